"""Operator metrics: the metric catalogue's helpers write EMF as CloudWatch reads it, and the task
worker (which sends merchant emails) has exactly what notifications need in the template."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connector import metrics
from connector.observability import metrics as emf
from local.cloud import template as tpl


@pytest.fixture(autouse=True)
def _fresh_metrics() -> Any:
    emf().clear_metrics()
    yield
    emf().clear_metrics()


def _value(line: dict[str, Any], name: str) -> float:
    value = line[name]
    return float(sum(value) if isinstance(value, list) else value)


def _emf_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def test_tenant_metrics_get_their_own_line_with_the_connection_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.count_for_tenant(metrics.ORDERS_BLOCKED, "conn-1", 2)
    metrics.count_for_tenant(metrics.PRODUCTS_PUSHED, "conn-1", 5)  # not a tenant metric: no own line
    (line,) = _emf_lines(capsys.readouterr().out)
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "TikTokShopConnector"
    assert sorted(directive["Dimensions"][0]) == ["connection_id", "service"]
    assert line["connection_id"] == "conn-1" and _value(line, metrics.ORDERS_BLOCKED) == 2.0
    emf().flush_metrics()
    (flushed,) = _emf_lines(capsys.readouterr().out)
    assert _value(flushed, metrics.ORDERS_BLOCKED) == 2.0 and _value(flushed, metrics.PRODUCTS_PUSHED) == 5.0
    assert "connection_id" not in flushed  # the handler's flush stays per service


def test_latency_is_in_milliseconds(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.latency(metrics.ORDER_RELAY_LATENCY, 812.5)
    emf().flush_metrics()
    (line,) = _emf_lines(capsys.readouterr().out)
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Metrics"] == [{"Name": "OrderRelayLatency", "Unit": "Milliseconds"}]
    assert _value(line, "OrderRelayLatency") == 812.5


def test_catalogue_names_are_unique_and_plain() -> None:
    assert len(set(metrics.CATALOGUE)) == len(metrics.CATALOGUE)
    assert all(name.replace("_", "").isalnum() and len(name) <= 255 for name in metrics.CATALOGUE)


def test_task_worker_may_send_the_digest_and_its_delayed_flush() -> None:
    template = tpl.load()
    props = tpl.function_properties(template, "TaskWorkerFunction")
    variables = props["Environment"]["Variables"]
    assert variables["NOTIFICATION_SENDER"] == {"Ref": "NotificationSender"}
    assert variables["NOTIFICATION_WINDOW_SECONDS"] == {"Ref": "NotificationWindowSeconds"}
    policies = props["Policies"]
    assert {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["TasksQueue", "QueueName"]}}} in policies
    ses = [s for p in policies if isinstance(p, dict) for s in p.get("Statement", []) if "ses:SendEmail" in s["Action"]]
    assert ses and ses[0]["Condition"]["StringEquals"]["ses:FromAddress"] == {"Ref": "NotificationSender"}
    window = template["Parameters"]["NotificationWindowSeconds"]
    assert window["MaxValue"] <= 900  # SQS DelaySeconds
    identity = template["Resources"]["NotificationSenderIdentity"]
    assert identity["Type"] == "AWS::SES::EmailIdentity" and identity["Condition"] == "HasNotificationSender"
