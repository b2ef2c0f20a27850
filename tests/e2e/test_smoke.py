"""The foundation's smoke journey on the local cloud: a request through the gateway travels
function -> SQS -> function -> state machine -> function -> DynamoDB and back out; a poison
message ends in the dead-letter queue without holding back the good ones."""

from __future__ import annotations

import json

import httpx

from local.cloud import LocalCloud
from tests.support.aws import signed_request
from tests.support.wait import until


def read_canary(cloud: LocalCloud, canary_id: str) -> dict:
    response = signed_request("GET", f"{cloud.gateway.url}/ops/canary/{canary_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_canary_travels_every_stage_and_comes_back_out(cloud: LocalCloud) -> None:
    # Given the local cloud is up, when an operator starts a canary through the gateway
    started = signed_request("POST", f"{cloud.gateway.url}/ops/canary")
    assert started.status_code == 202, started.text
    canary_id = started.json()["canary_id"]

    # Then it reaches the worker (via SQS) and the state machine's step (via Step Functions),
    # and the record written in DynamoDB comes back out through the gateway.
    done = until(lambda: (run := read_canary(cloud, canary_id))["status"] == "completed" and run,
                 timeout=30, what="canary completion")
    assert list(done["stages"]) == ["api", "worker", "state_machine"]
    assert done["stages"]["api"] <= done["stages"]["worker"] <= done["stages"]["state_machine"]
    assert done["latency_ms"] >= 0
    # The execution ends just after its last step wrote the record: wait for it to say so.
    def succeeded() -> set[str]:
        return {e["name"] for e in cloud.client("stepfunctions").list_executions(
            stateMachineArn=cloud.state_machine_arn("CanaryStateMachine"), statusFilter="SUCCEEDED")["executions"]}

    until(lambda: f"canary-{canary_id}" in succeeded(), timeout=30, what="the canary's execution succeeded")
    assert cloud.function("CanaryStepFunction").stats.invocations >= 1

    # And one correlation id follows the probe through the logs of all three functions.
    assert cloud.function_log
    lines = [json.loads(line) for line in cloud.function_log.read_text().splitlines() if canary_id in line]
    correlation = {line.get("correlation_id") for line in lines}
    assert len(correlation) == 1 and None not in correlation
    assert {line["message"] for line in lines} >= {"canary started", "task dispatched",
                                                  "canary reached the state machine"}


def test_operator_routes_refuse_unsigned_requests(cloud: LocalCloud) -> None:
    response = httpx.post(f"{cloud.gateway.url}/ops/canary")
    assert response.status_code == 403
    missing = signed_request("GET", f"{cloud.gateway.url}/ops/canary/doesnotexist")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_poison_message_reaches_the_dlq_and_good_messages_still_flow(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    dlq = cloud.queue_url("TasksDLQ")
    # Given a message no worker can ever process, sent next to a healthy canary
    sqs.send_message(QueueUrl=cloud.queue_url("TasksQueue"), MessageBody=json.dumps({"kind": "no-such-kind"}))
    started = signed_request("POST", f"{cloud.gateway.url}/ops/canary")
    canary_id = started.json()["canary_id"]

    # Then the canary completes, and the poison message is retried and lands in the DLQ
    until(lambda: read_canary(cloud, canary_id)["status"] == "completed", timeout=30, what="canary completion")
    moved = until(lambda: sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10,
                                              AttributeNames=["All"]).get("Messages"),
                  timeout=60, what="poison message in the DLQ")
    assert [json.loads(m["Body"]) for m in moved] == [{"kind": "no-such-kind"}]  # only the poison
    assert int(moved[0]["Attributes"]["ApproximateReceiveCount"]) >= 5  # retried maxReceiveCount times first


def test_a_schedule_fires_the_canary_on_demand(cloud: LocalCloud) -> None:
    result = cloud.fire_schedule("OpsApiFunction", "CanarySchedule")
    until(lambda: read_canary(cloud, result["canary_id"])["status"] == "completed", timeout=30,
          what="scheduled canary completion")


def test_the_meter_counts_the_billable_requests_of_a_canary(cloud: LocalCloud) -> None:
    # Given a quiet local cloud with its usage counters reset
    cloud.wait_idle(timeout=60)
    cloud.reset_usage()
    # When one canary runs end to end
    canary_id = signed_request("POST", f"{cloud.gateway.url}/ops/canary").json()["canary_id"]
    until(lambda: read_canary(cloud, canary_id)["status"] == "completed", timeout=30, what="canary completion")
    cloud.wait_idle(timeout=30)
    usage = cloud.usage()
    # Then every kind of billable request it made is counted
    assert usage["http_api_requests"] >= 2  # the start and at least one read
    assert usage["lambda_by_function"]["OpsApiFunction"]["invocations"] >= 2
    assert usage["lambda_by_function"]["TaskWorkerFunction"]["invocations"] >= 1
    assert usage["lambda_by_function"]["CanaryStepFunction"]["invocations"] == 1
    assert usage["lambda_gb_seconds"] > 0
    assert usage["requests_by_action"]["sqs:SendMessage"] >= 1
    assert usage["requests_by_action"].get("sqs:ReceiveMessage", 0) >= 1
    assert usage["dynamodb_write_units"] >= 3  # created, reached the worker, reached the state machine
    assert usage["dynamodb_read_units"] >= 0.5
    assert usage["state_transitions"] >= 1
