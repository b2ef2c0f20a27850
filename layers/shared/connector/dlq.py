"""The operator's dead-letter tool: list, show and redrive the stack's dead-lettered messages.

Queue pairs (source queue -> its DLQ) come from each source's ``RedrivePolicy``. On AWS the
stack's queues are found through CloudFormation (``list_stack_resources``); against a local
cloud (``--endpoint-url``) through ``list_queues``, filtered by the stack's name prefix.

A redrive receives from the DLQ, sends the same body and message attributes to the source
queue (FIFO: same group, a new deduplication id) and deletes from the DLQ only after the send
succeeded, so a failure leaves the message where it was. SQS's ``StartMessageMoveTask`` is not
used: moto does not run it, and this path behaves the same on both.

Peeking (``list``, ``show``) receives with a short visibility timeout and releases the messages
again (visibility 0); it raises their receive count in the DLQ, which is harmless there (a DLQ
has no redrive policy of its own).

    python -m connector.dlq list --stack NAME [--region R]
    python -m connector.dlq show MESSAGE_ID --stack NAME
    python -m connector.dlq redrive [--max N] [--message-id ID] --stack NAME
    python -m connector.dlq list --endpoint-url http://127.0.0.1:PORT [--stack tts-local]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_sqs import SQSClient

#: How long a peeked or skipped message stays hidden before it is released (or expires).
HOLD_SECONDS = 30
#: Message attributes a send accepts (a received attribute may carry empty list fields too).
_ATTRIBUTE_FIELDS = ("DataType", "StringValue", "BinaryValue")


@dataclass(frozen=True)
class QueuePair:
    source: str  # logical name (the template's id on AWS, the name past the stack prefix locally)
    source_url: str
    dlq: str
    dlq_url: str
    fifo: bool = False


@dataclass(frozen=True)
class Peek:
    message_id: str
    age_s: int | None
    receive_count: int | None
    label: str  # the body's kind / correlation id when it is JSON, else "-"


@dataclass(frozen=True)
class DlqSummary:
    pair: QueuePair
    approximate: int
    peeked: list[Peek] = field(default_factory=list)


@dataclass(frozen=True)
class ShownMessage:
    pair: QueuePair
    message_id: str
    body: str
    attributes: dict[str, str]
    message_attributes: dict[str, Any]


@dataclass
class RedriveResult:
    pair: QueuePair
    moved: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- discovery
def pairs_from_urls(sqs: SQSClient, urls: Mapping[str, str]) -> list[QueuePair]:
    """Pair queues given as logical name -> URL by each one's ``RedrivePolicy``."""
    by_arn: dict[str, tuple[str, str]] = {}
    policies: dict[str, str] = {}
    fifo: dict[str, bool] = {}
    for name, url in urls.items():
        answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy", "FifoQueue"])
        attrs = {str(k): v for k, v in answer.get("Attributes", {}).items()}
        by_arn[str(attrs["QueueArn"])] = (name, url)
        fifo[name] = str(attrs.get("FifoQueue", "false")).lower() == "true"
        if attrs.get("RedrivePolicy"):
            policies[name] = str(attrs["RedrivePolicy"])
    pairs: list[QueuePair] = []
    for name, policy in policies.items():
        target = str(json.loads(policy).get("deadLetterTargetArn", ""))
        if target in by_arn:
            dlq, dlq_url = by_arn[target]
            pairs.append(QueuePair(name, urls[name], dlq, dlq_url, fifo[name]))
    return sorted(pairs, key=lambda p: p.dlq)


def discover_by_prefix(sqs: SQSClient, stack: str | None = None) -> list[QueuePair]:
    """Local cloud: every queue whose name starts with ``<stack>-`` (all queues without a stack)."""
    prefix = f"{stack}-" if stack else ""
    urls: dict[str, str] = {}
    params: dict[str, Any] = {"MaxResults": 1000}
    if prefix:
        params["QueueNamePrefix"] = prefix
    while True:
        page = sqs.list_queues(**params)
        for url in page.get("QueueUrls", []):
            name = str(url).rstrip("/").rsplit("/", 1)[-1]
            if name.startswith(prefix):
                urls[name[len(prefix):].removesuffix(".fifo")] = str(url)
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    return pairs_from_urls(sqs, urls)


def discover_stack(sqs: SQSClient, cloudformation: CloudFormationClient, stack: str) -> list[QueuePair]:
    """AWS: the stack's ``AWS::SQS::Queue`` resources (their physical id is the queue URL)."""
    urls: dict[str, str] = {}
    params: dict[str, Any] = {"StackName": stack}
    while True:
        page = cloudformation.list_stack_resources(**params)
        for resource in page.get("StackResourceSummaries", []):
            if resource.get("ResourceType") == "AWS::SQS::Queue" and resource.get("PhysicalResourceId"):
                urls[str(resource["LogicalResourceId"])] = str(resource["PhysicalResourceId"])
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    return pairs_from_urls(sqs, urls)


def select(pairs: Iterable[QueuePair], queue: str | None) -> list[QueuePair]:
    """Only the pair whose DLQ (or source) is named ``queue``; every pair without one."""
    chosen = [p for p in pairs if queue is None or queue in (p.dlq, p.source)]
    if queue is not None and not chosen:
        raise LookupError(f"no dead-letter queue named {queue}")
    return chosen


# ---------------------------------------------------------------------- operations
def _receive(sqs: SQSClient, url: str, count: int, wait_s: int) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=max(1, min(count, 10)), VisibilityTimeout=HOLD_SECONDS,
        WaitTimeSeconds=wait_s, AttributeNames=["All"], MessageAttributeNames=["All"],
    )
    return [dict(m) for m in answer.get("Messages", [])]


def _release(sqs: SQSClient, url: str, messages: Iterable[dict[str, Any]]) -> None:
    for message in messages:
        try:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        except Exception:  # noqa: S112 - the hold expires by itself after HOLD_SECONDS
            continue


def approximate_count(sqs: SQSClient, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    ).get("Attributes", {})
    return sum(int(v) for v in attrs.values())


def _label(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return "-"
    if not isinstance(parsed, dict):
        return "-"
    parts = [f"{key}={parsed[key]}" for key in ("kind", "correlation_id") if isinstance(parsed.get(key), str | int)]
    return " ".join(parts) or "-"


def _peek(message: Mapping[str, Any], now_s: float) -> Peek:
    attrs = message.get("Attributes", {})
    sent = attrs.get("SentTimestamp")
    count = attrs.get("ApproximateReceiveCount")
    return Peek(
        message_id=str(message["MessageId"]),
        age_s=max(0, int(now_s - int(sent) / 1000)) if sent else None,
        receive_count=int(count) if count else None,
        label=_label(str(message.get("Body", ""))),
    )


def list_dlqs(sqs: SQSClient, pairs: Sequence[QueuePair], peek: int = 10, wait_s: int = 0,
              clock: Callable[[], float] = time.time) -> list[DlqSummary]:
    """Each DLQ's approximate depth and a peek at up to ``peek`` of its messages (no bodies)."""
    summaries = []
    for pair in pairs:
        held: list[dict[str, Any]] = []
        seen: set[str] = set()
        try:
            while len(held) < peek:
                batch = [m for m in _receive(sqs, pair.dlq_url, peek - len(held), wait_s) if m["MessageId"] not in seen]
                if not batch:
                    break
                seen.update(m["MessageId"] for m in batch)
                held.extend(batch)
        finally:
            _release(sqs, pair.dlq_url, held)
        now_s = clock()
        summaries.append(DlqSummary(pair, approximate_count(sqs, pair.dlq_url), [_peek(m, now_s) for m in held]))
    return summaries


def show(sqs: SQSClient, pairs: Sequence[QueuePair], message_id: str, wait_s: int = 0) -> ShownMessage | None:
    """The body and attributes of one dead-lettered message; it stays in its DLQ."""
    for pair in pairs:
        held: list[dict[str, Any]] = []
        try:
            while True:
                batch = _receive(sqs, pair.dlq_url, 10, wait_s)
                if not batch:
                    break
                held.extend(batch)
                for message in batch:
                    if message["MessageId"] == message_id:
                        return ShownMessage(pair, message_id, str(message.get("Body", "")),
                                            {k: str(v) for k, v in message.get("Attributes", {}).items()},
                                            dict(message.get("MessageAttributes", {})))
        finally:
            _release(sqs, pair.dlq_url, held)
    return None


def _send_params(pair: QueuePair, message: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"QueueUrl": pair.source_url, "MessageBody": message["Body"]}
    attributes = {
        name: {k: v for k, v in value.items() if k in _ATTRIBUTE_FIELDS}
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    if attributes:
        params["MessageAttributes"] = attributes
    if pair.fifo:
        params["MessageGroupId"] = message.get("Attributes", {}).get("MessageGroupId", "redrive")
        params["MessageDeduplicationId"] = uuid.uuid4().hex
    return params


def redrive(sqs: SQSClient, pairs: Sequence[QueuePair], max_messages: int | None = None,
            message_id: str | None = None, wait_s: int = 0) -> list[RedriveResult]:
    """Move dead-lettered messages back to their source queue: send, then delete.

    ``max_messages`` caps the moves over all pairs; ``message_id`` moves that one message only.
    A message whose send fails stays in its DLQ (released at the end) and is counted as failed.
    """
    results = []
    budget = max_messages if max_messages is not None else sys.maxsize
    if message_id is not None:
        budget = min(budget, 1)
    for pair in pairs:
        result = RedriveResult(pair)
        results.append(result)
        held: list[dict[str, Any]] = []  # skipped or failed: hidden until the end, so the loop ends
        try:
            while result.moved < budget:
                batch = _receive(sqs, pair.dlq_url, budget - result.moved, wait_s)
                if not batch:
                    break
                for message in batch:
                    if result.moved >= budget or (message_id is not None and message["MessageId"] != message_id):
                        held.append(message)
                        continue
                    try:
                        sqs.send_message(**_send_params(pair, message))
                    except Exception as exc:
                        result.failed += 1
                        result.errors.append(f"{message['MessageId']}: {type(exc).__name__}")
                        held.append(message)
                        continue
                    sqs.delete_message(QueueUrl=pair.dlq_url, ReceiptHandle=message["ReceiptHandle"])
                    result.moved += 1
        finally:
            _release(sqs, pair.dlq_url, held)
        budget -= result.moved
        if budget <= 0:
            break
    return results


# ---------------------------------------------------------------------- output
def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_list(summaries: Sequence[DlqSummary]) -> str:
    parts = [table(["dlq", "source", "messages"], [[s.pair.dlq, s.pair.source, s.approximate] for s in summaries])]
    for summary in summaries:
        if summary.peeked:
            parts.append(f"\n{summary.pair.dlq}:\n" + table(
                ["message id", "age (s)", "receives", "body"],
                [[p.message_id, p.age_s, p.receive_count, p.label] for p in summary.peeked]))
    return "\n".join(parts)


def format_shown(shown: ShownMessage) -> str:
    lines = [f"queue: {shown.pair.dlq} (source {shown.pair.source})", f"message id: {shown.message_id}",
             "attributes:"]
    lines += [f"  {k}: {v}" for k, v in sorted(shown.attributes.items())]
    if shown.message_attributes:
        lines.append("message attributes:")
        lines += [f"  {k}: {v.get('StringValue', v.get('DataType'))}"
                  for k, v in sorted(shown.message_attributes.items())]
    try:
        body = json.dumps(json.loads(shown.body), indent=2, sort_keys=True)
    except ValueError:
        body = shown.body
    lines += ["body:", body]
    return "\n".join(lines)


def format_redrive(results: Sequence[RedriveResult]) -> str:
    text = table(["dlq", "source", "moved", "failed"],
                 [[r.pair.dlq, r.pair.source, r.moved, r.failed] for r in results])
    errors = [e for r in results for e in r.errors]
    return text + ("\nerrors:\n" + "\n".join(f"  {e}" for e in errors) if errors else "")


# ---------------------------------------------------------------------- command line
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m connector.dlq", description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--stack", help="the stack's name (required on AWS; a name prefix against --endpoint-url)")
    common.add_argument("--region", help="AWS region (default: the environment's)")
    common.add_argument("--endpoint-url", help="a local cloud's moto server, e.g. http://127.0.0.1:PORT")
    common.add_argument("--queue", help="only this DLQ (or source queue), by logical name, e.g. TasksDLQ")
    common.add_argument("--wait", type=int, default=1, help="seconds each receive waits (long polling; default 1)")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", parents=[common], help="each DLQ's depth and a peek at its messages")
    listing.add_argument("--peek", type=int, default=10, help="messages to peek at per DLQ (default 10)")
    shown = commands.add_parser("show", parents=[common], help="one message's body and attributes")
    shown.add_argument("message_id")
    moving = commands.add_parser("redrive", parents=[common], help="move messages back to their source queue")
    moving.add_argument("--max", type=int, dest="max_messages", help="move at most this many")
    moving.add_argument("--message-id", help="move only this message")
    return parser


def _clients(args: argparse.Namespace) -> tuple[Any, Any]:
    import boto3

    session = boto3.session.Session(region_name=args.region)
    extra: dict[str, Any] = {}
    if args.endpoint_url:
        extra["endpoint_url"] = args.endpoint_url
        if session.get_credentials() is None:  # moto accepts any credentials
            extra.update(aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106
        if session.region_name is None:
            extra["region_name"] = "us-east-1"
    factory: Any = session.client
    return factory("sqs", **extra), factory("cloudformation", **extra)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         clients: tuple[Any, Any] | None = None) -> int:
    stream = out or sys.stdout
    args = _parser().parse_args(argv)
    if not args.endpoint_url and not args.stack:
        stream.write("--stack is required on AWS (or give --endpoint-url for a local cloud)\n")
        return 2
    sqs, cloudformation = clients or _clients(args)
    if args.endpoint_url:
        found = discover_by_prefix(sqs, args.stack)
    else:
        found = discover_stack(sqs, cloudformation, args.stack)
    try:
        pairs = select(found, args.queue)
    except LookupError as exc:
        stream.write(f"{exc}\n")
        return 2
    if not pairs:
        stream.write("no queues with a dead-letter queue found\n")
        return 1
    if args.command == "list":
        stream.write(format_list(list_dlqs(sqs, pairs, peek=args.peek, wait_s=args.wait)) + "\n")
        return 0
    if args.command == "show":
        shown = show(sqs, pairs, args.message_id, wait_s=args.wait)
        if shown is None:
            stream.write(f"message {args.message_id} is not in any dead-letter queue\n")
            return 1
        stream.write(format_shown(shown) + "\n")
        return 0
    results = redrive(sqs, pairs, max_messages=args.max_messages, message_id=args.message_id, wait_s=args.wait)
    stream.write(format_redrive(results) + "\n")
    if args.message_id and not any(r.moved for r in results):
        stream.write(f"message {args.message_id} is not in any dead-letter queue\n")
        return 1
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
