"""The dead-letter tool against a small in-memory SQS (no sockets in unit tests)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from connector import dlq

ACCOUNT = "123456789012"


@dataclass
class _Message:
    id: str
    body: str
    attributes: dict[str, str]
    message_attributes: dict[str, Any]
    receives: int = 0
    visible_at: float = 0.0
    handle: str = ""


@dataclass
class _Queue:
    name: str
    attributes: dict[str, str]
    messages: list[_Message] = field(default_factory=list)


class FakeSqs:
    """Enough of SQS for the tool: visibility, receive counts, receipt handles, FIFO attributes."""

    def __init__(self) -> None:
        self.queues: dict[str, _Queue] = {}
        self.now = 1_000_000.0
        self.fail_sends_to: set[str] = set()
        self.sent: list[dict[str, Any]] = []
        self._ids = 0

    def _id(self) -> str:
        self._ids += 1
        return f"m{self._ids}"

    def create(self, name: str, dlq_name: str | None = None, fifo: bool = False) -> str:
        url = f"https://sqs.local/{ACCOUNT}/{name}"
        attributes = {"QueueArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"}
        if fifo:
            attributes["FifoQueue"] = "true"
        if dlq_name:
            attributes["RedrivePolicy"] = json.dumps({
                "deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{dlq_name}", "maxReceiveCount": 5})
        self.queues[url] = _Queue(name, attributes)
        return url

    def put(self, url: str, body: str, *, group: str | None = None, sent_s: float | None = None,
            message_attributes: dict[str, Any] | None = None) -> str:
        attributes = {"SentTimestamp": str(int((sent_s if sent_s is not None else self.now) * 1000))}
        if group:
            attributes["MessageGroupId"] = group
        message = _Message(self._id(), body, attributes, message_attributes or {})
        self.queues[url].messages.append(message)
        return message.id

    # ---- the client's API
    def list_queues(self, **params: Any) -> dict[str, Any]:
        prefix = params.get("QueueNamePrefix", "")
        return {"QueueUrls": [u for u, q in self.queues.items() if q.name.startswith(prefix)]}

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        queue = self.queues[QueueUrl]
        attrs = dict(queue.attributes)
        attrs["ApproximateNumberOfMessages"] = str(sum(m.visible_at <= self.now for m in queue.messages))
        attrs["ApproximateNumberOfMessagesNotVisible"] = str(sum(m.visible_at > self.now for m in queue.messages))
        return {"Attributes": {k: v for k, v in attrs.items() if k in AttributeNames}}

    def receive_message(self, QueueUrl: str, MaxNumberOfMessages: int, VisibilityTimeout: int,
                        **_: Any) -> dict[str, Any]:
        assert 1 <= MaxNumberOfMessages <= 10
        out = []
        for message in self.queues[QueueUrl].messages:
            if len(out) == MaxNumberOfMessages:
                break
            if message.visible_at <= self.now:
                message.receives += 1
                message.visible_at = self.now + VisibilityTimeout
                message.handle = f"{message.id}-{message.receives}"
                out.append({"MessageId": message.id, "ReceiptHandle": message.handle, "Body": message.body,
                            "Attributes": {**message.attributes, "ApproximateReceiveCount": str(message.receives)},
                            "MessageAttributes": {k: {**v, "StringListValues": []}
                                                  for k, v in message.message_attributes.items()}})
        return {"Messages": out} if out else {}

    def _by_handle(self, url: str, handle: str) -> _Message:
        return next(m for m in self.queues[url].messages if m.handle == handle)

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> None:
        self._by_handle(QueueUrl, ReceiptHandle).visible_at = self.now + VisibilityTimeout

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.queues[QueueUrl].messages.remove(self._by_handle(QueueUrl, ReceiptHandle))

    def send_message(self, **params: Any) -> dict[str, Any]:
        if self.queues[params["QueueUrl"]].name in self.fail_sends_to:
            raise RuntimeError("send refused")
        for key in params.get("MessageAttributes", {}).values():
            assert set(key) <= {"DataType", "StringValue", "BinaryValue"}
        self.sent.append(params)
        message = _Message(self._id(), params["MessageBody"], {}, params.get("MessageAttributes", {}))
        if "MessageGroupId" in params:
            message.attributes["MessageGroupId"] = params["MessageGroupId"]
        self.queues[params["QueueUrl"]].messages.append(message)
        return {"MessageId": message.id}


class FakeCloudFormation:
    def __init__(self, pages: list[list[dict[str, str]]]) -> None:
        self.pages = pages
        self.calls: list[dict[str, Any]] = []

    def list_stack_resources(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        index = int(params.get("NextToken", 0))
        page: dict[str, Any] = {"StackResourceSummaries": self.pages[index]}
        if index + 1 < len(self.pages):
            page["NextToken"] = str(index + 1)
        return page


@pytest.fixture
def sqs() -> FakeSqs:
    fake = FakeSqs()
    fake.create("stk-TasksDLQ")
    fake.create("stk-TasksQueue", dlq_name="stk-TasksDLQ")
    fake.create("stk-EventsDLQ.fifo", fifo=True)
    fake.create("stk-EventsQueue.fifo", dlq_name="stk-EventsDLQ.fifo", fifo=True)
    fake.create("other-TasksDLQ")
    fake.create("other-TasksQueue", dlq_name="other-TasksDLQ")
    return fake


def url(fake: FakeSqs, name: str) -> str:
    return next(u for u, q in fake.queues.items() if q.name == name)


def pending(fake: FakeSqs, name: str) -> list[str]:
    return [m.body for m in fake.queues[url(fake, name)].messages]


def test_discovery_pairs_each_source_with_its_dlq_within_the_stack(sqs: FakeSqs) -> None:
    pairs = dlq.discover_by_prefix(sqs, "stk")
    assert [(p.source, p.dlq, p.fifo) for p in pairs] == [("EventsQueue", "EventsDLQ", True),
                                                          ("TasksQueue", "TasksDLQ", False)]
    assert pairs[1].source_url == url(sqs, "stk-TasksQueue") and pairs[1].dlq_url == url(sqs, "stk-TasksDLQ")


def test_discovery_on_aws_reads_the_stacks_queue_resources_across_pages(sqs: FakeSqs) -> None:
    cfn = FakeCloudFormation([
        [{"LogicalResourceId": "TasksQueue", "ResourceType": "AWS::SQS::Queue",
          "PhysicalResourceId": url(sqs, "stk-TasksQueue")},
         {"LogicalResourceId": "Table", "ResourceType": "AWS::DynamoDB::Table", "PhysicalResourceId": "t"}],
        [{"LogicalResourceId": "TasksDLQ", "ResourceType": "AWS::SQS::Queue",
          "PhysicalResourceId": url(sqs, "stk-TasksDLQ")}],
    ])
    pairs = dlq.discover_stack(sqs, cfn, "stk")
    assert [(p.source, p.dlq) for p in pairs] == [("TasksQueue", "TasksDLQ")]
    assert [c["StackName"] for c in cfn.calls] == ["stk", "stk"]


def test_list_counts_and_peeks_without_bodies_and_leaves_messages_visible(sqs: FakeSqs) -> None:
    dlq_url = url(sqs, "stk-TasksDLQ")
    first = sqs.put(dlq_url, json.dumps({"kind": "canary", "correlation_id": "c-1", "payload": {"x": "secret-ish"}}),
                    sent_s=sqs.now - 120)
    sqs.put(dlq_url, "not json")
    pairs = dlq.select(dlq.discover_by_prefix(sqs, "stk"), "TasksDLQ")

    [summary] = dlq.list_dlqs(sqs, pairs, clock=lambda: sqs.now)

    assert summary.approximate == 2
    assert summary.peeked[0] == dlq.Peek(first, 120, 1, "kind=canary correlation_id=c-1")
    assert summary.peeked[1].label == "-"
    assert all(m.visible_at <= sqs.now for m in sqs.queues[dlq_url].messages)  # released again
    text = dlq.format_list([summary])
    assert first in text and "kind=canary" in text and "secret-ish" not in text


def test_list_peeks_at_most_the_asked_number(sqs: FakeSqs) -> None:
    for i in range(15):
        sqs.put(url(sqs, "stk-TasksDLQ"), json.dumps({"kind": "canary", "n": i}))
    [summary] = dlq.list_dlqs(sqs, dlq.select(dlq.discover_by_prefix(sqs, "stk"), "TasksDLQ"), peek=12)
    assert len(summary.peeked) == 12 and summary.approximate == 15


def test_show_returns_the_body_and_attributes_and_keeps_the_message(sqs: FakeSqs) -> None:
    dlq_url = url(sqs, "stk-TasksDLQ")
    for i in range(12):
        sqs.put(dlq_url, json.dumps({"n": i}))
    wanted = sqs.put(dlq_url, json.dumps({"kind": "canary"}), message_attributes={
        "trace": {"DataType": "String", "StringValue": "t-1"}})
    pairs = dlq.discover_by_prefix(sqs, "stk")

    shown = dlq.show(sqs, pairs, wanted)

    assert shown and shown.pair.dlq == "TasksDLQ" and json.loads(shown.body) == {"kind": "canary"}
    assert shown.attributes["ApproximateReceiveCount"] == "1"
    assert shown.message_attributes["trace"]["StringValue"] == "t-1"
    assert len(sqs.queues[dlq_url].messages) == 13
    assert all(m.visible_at <= sqs.now for m in sqs.queues[dlq_url].messages)
    assert dlq.show(sqs, pairs, "missing") is None
    assert '"kind": "canary"' in dlq.format_shown(shown)


def test_redrive_moves_body_and_attributes_back_and_deletes_after_sending(sqs: FakeSqs) -> None:
    dlq_url = url(sqs, "stk-TasksDLQ")
    sqs.put(dlq_url, "a", message_attributes={"trace": {"DataType": "String", "StringValue": "t-1"}})
    sqs.put(dlq_url, "b")
    results = dlq.redrive(sqs, dlq.discover_by_prefix(sqs, "stk"))
    assert [(r.pair.dlq, r.moved, r.failed) for r in results] == [("EventsDLQ", 0, 0), ("TasksDLQ", 2, 0)]
    assert pending(sqs, "stk-TasksDLQ") == [] and pending(sqs, "stk-TasksQueue") == ["a", "b"]
    assert sqs.sent[0]["MessageAttributes"] == {"trace": {"DataType": "String", "StringValue": "t-1"}}
    assert pending(sqs, "other-TasksQueue") == []  # another stack's queues are untouched
    assert "TasksDLQ" in dlq.format_redrive(results)


def test_redrive_to_fifo_keeps_the_group_with_a_new_dedupe_id(sqs: FakeSqs) -> None:
    dlq_url = url(sqs, "stk-EventsDLQ.fifo")
    sqs.put(dlq_url, "x", group="shop-1")
    sqs.put(dlq_url, "y", group="shop-1")
    dlq.redrive(sqs, dlq.select(dlq.discover_by_prefix(sqs, "stk"), "EventsDLQ"))
    assert [s["MessageGroupId"] for s in sqs.sent] == ["shop-1", "shop-1"]
    dedupe = [s["MessageDeduplicationId"] for s in sqs.sent]
    assert len(set(dedupe)) == 2 and all(dedupe)


def test_redrive_honours_max_and_a_single_message_id(sqs: FakeSqs) -> None:
    dlq_url = url(sqs, "stk-TasksDLQ")
    ids = [sqs.put(dlq_url, body) for body in "abcde"]
    pairs = dlq.discover_by_prefix(sqs, "stk")

    assert sum(r.moved for r in dlq.redrive(sqs, pairs, max_messages=2)) == 2
    assert pending(sqs, "stk-TasksDLQ") == ["c", "d", "e"]
    assert sum(r.moved for r in dlq.redrive(sqs, pairs, message_id=ids[3])) == 1
    assert pending(sqs, "stk-TasksDLQ") == ["c", "e"] and pending(sqs, "stk-TasksQueue") == ["a", "b", "d"]
    assert all(m.visible_at <= sqs.now for m in sqs.queues[dlq_url].messages)  # the skipped ones are released


def test_a_failed_send_leaves_the_message_in_the_dlq(sqs: FakeSqs) -> None:
    dlq_url = url(sqs, "stk-TasksDLQ")
    sqs.put(dlq_url, "a")
    sqs.fail_sends_to.add("stk-TasksQueue")
    [result] = dlq.redrive(sqs, dlq.select(dlq.discover_by_prefix(sqs, "stk"), "TasksDLQ"))
    assert (result.moved, result.failed) == (0, 1) and "RuntimeError" in result.errors[0]
    assert pending(sqs, "stk-TasksDLQ") == ["a"]
    assert all(m.visible_at <= sqs.now for m in sqs.queues[dlq_url].messages)


def test_cli_lists_shows_and_redrives(sqs: FakeSqs) -> None:
    message_id = sqs.put(url(sqs, "stk-TasksDLQ"), json.dumps({"kind": "canary", "correlation_id": "c-9"}))
    local = ["--endpoint-url", "http://127.0.0.1:1", "--stack", "stk", "--wait", "0"]

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = dlq.main([*argv, *local], out=out, clients=(sqs, None))
        return code, out.getvalue()

    code, text = run("list")
    assert code == 0 and "TasksDLQ" in text and message_id in text and "correlation_id=c-9" in text
    code, text = run("show", message_id)
    assert code == 0 and '"correlation_id": "c-9"' in text
    assert run("show", "nope")[0] == 1
    assert run("list", "--queue", "NoSuchDLQ")[0] == 2
    code, text = run("redrive", "--message-id", message_id)
    assert code == 0 and pending(sqs, "stk-TasksQueue") == [json.dumps({"kind": "canary", "correlation_id": "c-9"})]
    assert run("redrive", "--message-id", message_id)[0] == 1


def test_cli_on_aws_needs_a_stack() -> None:
    out = io.StringIO()
    assert dlq.main(["list"], out=out, clients=(FakeSqs(), None)) == 2
    assert "--stack" in out.getvalue()


def test_table_aligns_columns() -> None:
    assert dlq.table(["a", "long"], [["xyz", None]]).splitlines() == ["a    long", "---  ----", "xyz  -"]
