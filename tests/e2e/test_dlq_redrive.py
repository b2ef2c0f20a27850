"""The dead-letter tool on the local cloud: a poison message reaches TasksDLQ, the operator lists
and shows it, fixes the cause, and redrives it back through the task worker, which now succeeds."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator

import pytest

from connector import dlq
from connector.canary import CanaryRepository, CanaryRun
from connector.errors import NotFound
from connector.tasks import TaskMessage
from local.cloud import LocalCloud
from tests.support.wait import until

STACK = "dlq-e2e"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    log = tmp_path_factory.mktemp("dlq-logs") / "functions.log"
    with LocalCloud(parameters={"CanaryRetrySeconds": 1, "AppSecretName": f"{STACK}/app"}, stack_name=STACK,
                    function_log=log) as running:
        yield running


def cli(cloud: LocalCloud, *argv: str) -> tuple[int, str]:
    """The operator's command, in this process, against the local cloud's moto endpoint."""
    out = io.StringIO()
    code = dlq.main([*argv, "--endpoint-url", cloud.describe()["moto"], "--stack", STACK, "--wait", "0"], out=out)
    return code, out.getvalue()


def dlq_messages(cloud: LocalCloud) -> int:
    return cloud.queue_depth("TasksDLQ")


def test_a_poison_message_is_listed_shown_and_redriven_through_the_fixed_handler(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    repo = CanaryRepository(cloud.table_name(), client=cloud.client("dynamodb"))
    canary_id = uuid.uuid4().hex
    correlation_id = f"dlq-{canary_id[:8]}"
    # Given a canary task whose canary record does not exist: the worker fails it (NotFound)
    # on every delivery, and after maxReceiveCount receives it is dead-lettered.
    message = TaskMessage(kind="canary", task_id=f"canary-{canary_id}", correlation_id=correlation_id,
                          payload={"canary_id": canary_id})
    message_id = sqs.send_message(QueueUrl=cloud.queue_url("TasksQueue"),
                                  MessageBody=message.model_dump_json())["MessageId"]
    until(lambda: dlq_messages(cloud) == 1, timeout=60, what="the poison message in TasksDLQ")
    with pytest.raises(NotFound):
        repo.get(canary_id)

    # The tool finds the stack's pairs by their redrive policies, and lists the message without its body.
    pairs = dlq.discover_by_prefix(sqs, STACK)
    assert {(p.source, p.dlq) for p in pairs} >= {("TasksQueue", "TasksDLQ"), ("StoreEventsQueue", "StoreEventsDLQ"),
                                                  ("TikTokEventsQueue", "TikTokEventsDLQ")}
    code, listed = cli(cloud, "list")
    assert code == 0, listed
    assert message_id in listed and f"correlation_id={correlation_id}" in listed and canary_id not in listed
    tasks_row = next(line for line in listed.splitlines() if line.startswith("TasksDLQ "))
    assert tasks_row.split() == ["TasksDLQ", "TasksQueue", "1"]

    # `show` is the explicit way to read the body; peeking leaves the message in the DLQ.
    code, shown = cli(cloud, "show", message_id)
    assert code == 0, shown
    assert canary_id in shown and "ApproximateReceiveCount" in shown
    assert dlq_messages(cloud) == 1

    # When the operator fixes the cause (the canary's record now exists) and redrives
    at_ms = int(time.time() * 1000)
    repo.create(CanaryRun(canary_id=canary_id, correlation_id=correlation_id, status="running",
                          stages={"api": at_ms}), at_ms)
    code, moved = cli(cloud, "redrive", "--queue", "TasksDLQ")
    assert code == 0, moved
    assert next(line for line in moved.splitlines() if line.startswith("TasksDLQ ")).split() == [
        "TasksDLQ", "TasksQueue", "1", "0"]

    # Then the worker processes it this time: the canary travels on to the state machine's step,
    # and the DLQ is empty.
    done = until(lambda: (run := repo.get(canary_id)).status == "completed" and run, timeout=30,
                 what="the redriven canary's completion")
    assert list(done.stages) == ["api", "worker", "state_machine"]
    cloud.wait_idle(timeout=30)
    assert dlq_messages(cloud) == 0
    code, listed = cli(cloud, "list", "--queue", "TasksDLQ")
    assert code == 0 and message_id not in listed
