"""The template's rules, asserted on template.yaml: dead-letter queues with depth alarms, queue and
function timeouts, a log group per function, scoped policies, the table's keys and protection, state
machines from files, alarms with runbook entries and the operations dashboard."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.cloud import template as tpl

TEMPLATE = tpl.load()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
REPO = tpl.REPO_ROOT


def of_type(kind: str) -> dict[str, Any]:
    return {rid: res for rid, res in RESOURCES.items() if res["Type"] == kind}


def target(value: Any) -> str:
    """The logical id a Ref / GetAtt points at."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


FUNCTIONS = {rid: tpl.function_properties(TEMPLATE, rid) for rid in of_type("AWS::Serverless::Function")}
QUEUES = of_type("AWS::SQS::Queue")
DLQS = {target(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]) for q in QUEUES.values()
        if "RedrivePolicy" in q.get("Properties", {})}
MAIN_QUEUES = {rid: q for rid, q in QUEUES.items() if rid not in DLQS}
ALARMS = of_type("AWS::CloudWatch::Alarm")


def sqs_sources() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for rid, props in FUNCTIONS.items():
        for name, event in (props.get("Events") or {}).items():
            if event["Type"] == "SQS":
                found.append((rid, name, event["Properties"]))
    return found


def test_every_main_queue_has_a_dead_letter_queue() -> None:
    assert MAIN_QUEUES, "the template defines no queues"
    for rid, queue in MAIN_QUEUES.items():
        policy = queue["Properties"].get("RedrivePolicy")
        assert policy, f"{rid} has no redrive policy"
        assert target(policy["deadLetterTargetArn"]) in QUEUES, f"{rid} redrives outside the template"
        assert 1 <= policy["maxReceiveCount"] <= 10


@pytest.mark.parametrize("dlq", sorted(DLQS))
def test_every_dead_letter_queue_has_a_depth_alarm_to_the_topic(dlq: str) -> None:
    matching = [
        a for a in ALARMS.values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and any(target(d["Value"]) == dlq for d in a["Properties"].get("Dimensions", []))
    ]
    assert matching, f"{dlq} has no depth alarm"
    for alarm in matching:
        assert {"Ref": "AlarmTopic"} in alarm["Properties"]["AlarmActions"]
        assert alarm["Properties"]["Threshold"] == 0


def test_visibility_timeout_is_at_least_six_times_the_consumer_timeout() -> None:
    sources = sqs_sources()
    assert sources
    for rid, _name, props in sources:
        queue = target(props["Queue"])
        visibility = int(QUEUES[queue]["Properties"]["VisibilityTimeout"])
        timeout = int(FUNCTIONS[rid].get("Timeout", 3))
        assert visibility >= 6 * timeout, f"{queue}: {visibility} s < 6 x {rid}'s {timeout} s"


def test_every_sqs_event_source_reports_batch_item_failures() -> None:
    for rid, name, props in sqs_sources():
        assert "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []), f"{rid}.{name}"


def test_sqs_triggered_functions_have_no_function_level_dead_letter_queue() -> None:
    for rid, _name, _props in sqs_sources():
        assert "DeadLetterQueue" not in FUNCTIONS[rid], f"{rid}: the queue's redrive policy is what catches poison"


@pytest.mark.parametrize("rid", sorted(FUNCTIONS))
def test_every_function_has_description_own_log_group_and_code(rid: str) -> None:
    props = FUNCTIONS[rid]
    assert props.get("Description", "").strip(), f"{rid} has no Description"
    group = props["LoggingConfig"]["LogGroup"]
    group_id = target(group)
    assert RESOURCES[group_id]["Type"] == "AWS::Logs::LogGroup"
    assert RESOURCES[group_id]["Properties"].get("RetentionInDays"), f"{group_id} keeps logs forever"
    others = [o for o, p in FUNCTIONS.items() if o != rid and target(p["LoggingConfig"]["LogGroup"]) == group_id]
    assert not others, f"{rid} shares its log group with {others}"
    module, _, _attr = props["Handler"].rpartition(".")
    assert (REPO / props["CodeUri"] / f"{module}.py").is_file()


def _policy_targets(policy: Any) -> list[Any]:
    if isinstance(policy, str):
        return [policy]
    if "Statement" in policy:
        return list(policy["Statement"])
    return [policy]


# Actions whose resource must be "*" (CloudWatch Logs delivery for Step Functions logging).
LOG_DELIVERY = {"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}


@pytest.mark.parametrize("rid", sorted([*FUNCTIONS, *of_type("AWS::Serverless::StateMachine")]))
def test_policies_are_scoped_to_own_resources(rid: str) -> None:
    props = FUNCTIONS.get(rid) or RESOURCES[rid]["Properties"]
    policies = props.get("Policies") or []
    assert policies, f"{rid} has no policy"
    for policy in policies:
        for item in _policy_targets(policy):
            assert not (isinstance(item, str) and ("FullAccess" in item or item.startswith("arn:"))), (
                f"{rid} uses a managed policy {item}")
            if isinstance(item, dict) and "Effect" in item:
                actions = item["Action"] if isinstance(item["Action"], list) else [item["Action"]]
                assert all("*" not in a for a in actions), f"{rid}: wildcard action"
                if item.get("Resource") == "*":
                    assert set(actions) <= LOG_DELIVERY, f"{rid}: '*' resource for {actions}"
            elif isinstance(item, dict):
                (_template_name, args), = item.items()
                for value in args.values():
                    assert isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value), (
                        f"{rid}: policy template argument {value!r} is not one of the stack's resources")


def test_api_functions_fit_api_gateway_timeout() -> None:
    for rid, props in FUNCTIONS.items():
        if any(e["Type"] == "HttpApi" for e in (props.get("Events") or {}).values()):
            assert int(props.get("Timeout", 3)) <= 29, rid


def test_globals_runtime_architecture_tracing_and_json_logs() -> None:
    glob = TEMPLATE["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13"
    assert glob["Architectures"] == ["arm64"]
    assert glob["Tracing"] == "Active"
    assert glob["LoggingConfig"]["LogFormat"] == "JSON"
    assert glob["Environment"]["Variables"]["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    assert glob["Environment"]["Variables"]["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert {"Ref": "SharedLayer"} in glob["Layers"]


def test_table_has_keys_indexes_ttl_recovery_and_encryption() -> None:
    props = RESOURCES["ConnectorTable"]["Properties"]
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["pk", "sk"]
    assert {i["IndexName"] for i in props["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2", "gsi3"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True


def test_state_machines_come_from_files_with_substitutions() -> None:
    machines = of_type("AWS::Serverless::StateMachine")
    assert machines
    for rid, res in machines.items():
        props = res["Properties"]
        assert "Definition" not in props, rid
        path = REPO / props["DefinitionUri"]
        assert path.is_file() and path.parent.name == "statemachines"
        used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", path.read_text()))
        assert used == set(props.get("DefinitionSubstitutions") or {}), f"{rid}: substitutions and definition differ"


def test_alarm_topic_is_encrypted_and_every_alarm_notifies_it() -> None:
    assert "KmsMasterKeyId" in RESOURCES["AlarmTopic"]["Properties"]
    for rid, alarm in ALARMS.items():
        assert {"Ref": "AlarmTopic"} in alarm["Properties"]["AlarmActions"], rid


def test_every_alarm_has_a_runbook_entry() -> None:
    runbook = (REPO / "docs" / "operations.md").read_text()
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
               for h in re.findall(r"^#+ (.+)$", runbook, flags=re.M)}
    for rid, alarm in ALARMS.items():
        found = re.search(r"docs/operations\.md#([a-z0-9-]+)", alarm["Properties"]["AlarmDescription"])
        assert found, f"{rid}: the description names no runbook"
        assert found.group(1) in anchors, f"{rid}: runbook section #{found.group(1)} is missing"


def test_dashboard_url_is_an_output_and_dashboard_body_is_json() -> None:
    assert "DashboardUrl" in TEMPLATE["Outputs"]
    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    parsed = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    assert parsed["widgets"]


def test_app_credentials_secret_is_referenced_by_name() -> None:
    secret = RESOURCES["AppSecret"]["Properties"]
    assert secret["Name"] == {"Ref": "AppSecretName"}
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["APP_SECRET_NAME"] == {"Ref": "AppSecretName"}


def test_events_folder_has_a_sample_for_every_function() -> None:
    names = {p.name for p in (REPO / "events").glob("*.json")}
    for rid, props in FUNCTIONS.items():
        folder = Path(props["CodeUri"]).name
        assert any(n.startswith(folder) for n in names), f"no sample event for {rid} in events/"


# ---------------------------------------------------------------------- operations
def _dashboard_body() -> str:
    return str(RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])


@pytest.mark.parametrize("machine", sorted(of_type("AWS::Serverless::StateMachine")))
def test_every_state_machine_has_a_failed_executions_alarm(machine: str) -> None:
    matching = [a for a in ALARMS.values() if a["Properties"].get("MetricName") == "ExecutionsFailed"
                and any(target(d["Value"]) == machine for d in a["Properties"].get("Dimensions", []))]
    assert matching, f"{machine} has no ExecutionsFailed alarm"


def test_dashboard_shows_every_dead_letter_queue_and_the_metric_catalogue() -> None:
    from connector import metrics

    body = _dashboard_body()
    for dlq in sorted(DLQS):
        assert f"${{{dlq}.QueueName}}" in body, f"the dashboard does not show {dlq}"
    missing = [name for name in metrics.CATALOGUE if f'"{name}"' not in body]
    assert not missing, f"the dashboard does not show {missing}"


def test_runbook_lists_the_metric_catalogue() -> None:
    from connector import metrics

    runbook = (REPO / "docs" / "operations.md").read_text()
    missing = [name for name in metrics.CATALOGUE if f"`{name}`" not in runbook]
    assert not missing, f"docs/operations.md does not list {missing}"
