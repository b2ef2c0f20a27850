from __future__ import annotations

import pytest

from local.cloud import template as tpl


def resolver() -> tpl.Resolver:
    r = tpl.Resolver(region="eu-west-1", stack_name="st", parameters={"Days": 30, "Email": ""},
                     conditions={"HasEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Email"}, ""]}]}})
    r.refs["Queue"] = "http://q"
    r.attrs[("Queue", "Arn")] = "arn:aws:sqs:eu-west-1:123456789012:q"
    return r


def test_short_form_tags_become_long_form() -> None:
    template = tpl.load()
    props = template["Resources"]["TasksQueue"]["Properties"]
    assert props["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["TasksDLQ", "Arn"]}


def test_resolves_refs_getatt_sub_join_and_conditions() -> None:
    r = resolver()
    assert r.resolve({"Ref": "Queue"}) == "http://q"
    assert r.resolve({"Fn::GetAtt": ["Queue", "Arn"]}).endswith(":q")
    assert r.resolve({"Fn::Sub": "${AWS::Region}/${Queue.Arn}/${Days}/${!Literal}"}) == (
        "eu-west-1/arn:aws:sqs:eu-west-1:123456789012:q/30/${Literal}")
    assert r.resolve({"Fn::Sub": ["${A}-${AWS::StackName}", {"A": {"Ref": "Days"}}]}) == "30-st"
    assert r.resolve({"Fn::Join": ["-", ["a", {"Ref": "Days"}]]}) == "a-30"
    assert r.condition("HasEmail") is False


def test_unknown_reference_and_intrinsic_are_errors() -> None:
    r = resolver()
    with pytest.raises(tpl.TemplateError, match="Nope"):
        r.resolve({"Ref": "Nope"})
    with pytest.raises(tpl.TemplateError, match="Fn::GetAZs"):
        r.resolve({"Fn::GetAZs": ""})


def test_globals_merge_into_functions() -> None:
    props = tpl.function_properties(tpl.load(), "TaskWorkerFunction")
    variables = props["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": "ConnectorTable"}  # from Globals
    assert "CANARY_STATE_MACHINE_ARN" in variables  # its own
    assert props["Runtime"] == "python3.13"
    assert props["Timeout"] == 30  # the function's own value wins over Globals


def test_definition_substitution_needs_every_name() -> None:
    assert tpl.substitute_definition('{"A": ${N}}', {"N": 3}) == {"A": 3}
    with pytest.raises(tpl.TemplateError, match="Missing"):
        tpl.substitute_definition('{"A": "${Missing}"}', {})
