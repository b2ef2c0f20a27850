"""SQS event-source mappings and schedules for the local cloud.

SQS: like Lambda's poller, each mapping receives batches (BatchSize, MaximumBatchingWindow),
invokes the function with ``Records``, deletes what succeeded and leaves the rest on the queue.
With ``ReportBatchItemFailures`` only the reported items count as failed; a thrown error fails
the whole batch. Failed messages become visible again after ``retry_delay`` seconds (on AWS
after the queue's visibility timeout; the local cloud shortens the wait, not the semantics), and
the queue's redrive policy moves a message that keeps failing to its dead-letter queue.

Schedules: ``rate(...)`` expressions fire on a local clock (``speed`` times faster than real
time, or never when the clock is off) and on demand with :meth:`Scheduler.fire`.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from local.cloud.functions import FunctionHost
from local.cloud.template import TemplateError

log = logging.getLogger("local.cloud.eventsources")

WINDOW_POLL_S = 0.1
"""How often a poller gathering a batch within its batching window looks at the queue again.
Every look is a request the emulator serves; at 20 ms, a burst's batching windows made more
empty receives than all the other requests of a stock change together."""

RECEIVERS = 2
"""Receiving threads per mapping, whatever its concurrency: idle receivers are requests the
emulator serves, so their number does not grow with the invocations allowed at once."""


@dataclass
class SqsMapping:
    function: str
    queue_url: str
    queue_arn: str
    region: str
    batch_size: int = 10
    window_s: float = 0.0
    report_failures: bool = False
    concurrency: int = 2
    retry_delay: int = 1
    batches: int = 0
    _threads: list[threading.Thread] = field(default_factory=list)
    _busy: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def start(self, host: FunctionHost, sqs: Any, stop: threading.Event) -> None:
        """Receivers take batches only while an invocation slot is free and hand them to the
        invokers, so a long invocation holds one slot, not a receiver: as on AWS, where the
        pollers and the function's concurrency are separate."""
        self._slots = threading.Semaphore(self.concurrency)
        self._batches: queue.Queue[list[dict[str, Any]]] = queue.Queue()
        for index in range(self.concurrency):
            self._spawn(f"sqs-{self.function}-invoke-{index}", self._invoker, host, sqs, stop)
        for index in range(min(RECEIVERS, self.concurrency)):
            self._spawn(f"sqs-{self.function}-{index}", self._receiver, sqs, stop)

    def _spawn(self, name: str, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _receiver(self, sqs: Any, stop: threading.Event) -> None:
        while not stop.is_set():
            if not self._slots.acquire(timeout=0.5):
                continue
            try:
                messages = self._receive_batch(sqs)
            except Exception:  # the receiver must survive a hiccup of the emulator
                self._slots.release()
                if not stop.is_set():
                    log.exception("poller for %s failed; retrying", self.function)
                    stop.wait(0.5)
                continue
            if messages:
                self._batches.put(messages)
            else:
                self._slots.release()

    def _invoker(self, host: FunctionHost, sqs: Any, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                messages = self._batches.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                self._deliver(host, sqs, messages)
            except Exception:
                if not stop.is_set():
                    log.exception("delivering a batch to %s failed; its messages come back", self.function)
            finally:
                with self._lock:
                    self._busy -= 1
                self._slots.release()

    def _receive_batch(self, sqs: Any) -> list[dict[str, Any]]:
        """One batch: the first messages with a long poll, then more until the batch is full or
        the batching window closes. Counted busy from the first message on."""
        response = sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, self.batch_size),
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        if not messages:
            return []
        with self._lock:
            self._busy += 1
        try:
            deadline = time.monotonic() + self.window_s
            while len(messages) < self.batch_size and time.monotonic() < deadline:
                more = sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(10, self.batch_size - len(messages)),
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
                messages.extend(more.get("Messages", []))
                if not more.get("Messages"):  # an empty queue: look again shortly, not in a busy loop
                    time.sleep(min(WINDOW_POLL_S, max(0.0, deadline - time.monotonic())))
        except Exception:
            with self._lock:
                self._busy -= 1
            raise  # what was received comes back when its visibility ends
        return messages

    def _deliver(self, host: FunctionHost, sqs: Any, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [self._record(m) for m in messages]}
        self.batches += 1
        result = host.invoke(self.function, event)
        ids = {m["MessageId"] for m in messages}
        if result.failed:
            failed = ids
        elif self.report_failures and isinstance(result.payload, dict):
            failed = {str(f.get("itemIdentifier")) for f in result.payload.get("batchItemFailures") or []}
            if not failed <= ids:  # Lambda treats an unknown identifier as a failure of the batch
                failed = ids
        else:
            failed = set()
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=self.retry_delay
                )

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int:
    found = _RATE.match(expression.strip())
    if not found:
        raise TemplateError(f"schedule expression {expression!r}: the local clock understands rate(...) only")
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2).rstrip("s")]


@dataclass
class Schedule:
    name: str
    function: str
    expression: str
    kind: str  # "Schedule" (EventBridge rule) or "ScheduleV2" (EventBridge Scheduler)
    arn: str
    enabled: bool = True
    period_s: int = 0
    fired: int = 0

    def event(self) -> dict[str, Any]:
        source = "aws.scheduler" if self.kind == "ScheduleV2" else "aws.events"
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": source,
            "account": "123456789012",
            "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.arn.split(":")[3],
            "resources": [self.arn],
            "detail": {},
        }


class Scheduler:
    def __init__(self, host: FunctionHost, schedules: list[Schedule], speed: float | None) -> None:
        self.host = host
        self.schedules = {s.name: s for s in schedules}
        self.speed = speed
        for schedule in schedules:
            schedule.period_s = rate_seconds(schedule.expression)

    def fire(self, name: str) -> Any:
        """Fire one schedule now; returns the function's result (raises on its error)."""
        schedule = self.schedules[name]
        schedule.fired += 1
        result = self.host.invoke(schedule.function, schedule.event())
        if result.failed:
            raise RuntimeError(f"schedule {name}: {result.error_type}: {result.error_message}")
        return result.payload

    def start(self, stop: threading.Event) -> None:
        if not self.speed:
            return
        threading.Thread(target=self._clock, args=(stop,), name="local-scheduler", daemon=True).start()

    def _clock(self, stop: threading.Event) -> None:
        assert self.speed
        started = time.monotonic()
        next_due = {name: s.period_s / self.speed for name, s in self.schedules.items()}
        while not stop.wait(0.2):
            elapsed = time.monotonic() - started
            for name, schedule in self.schedules.items():
                if schedule.enabled and elapsed >= next_due[name]:
                    next_due[name] += schedule.period_s / self.speed
                    try:
                        self.fire(name)
                    except Exception as exc:
                        log.warning("schedule %s failed: %s", name, exc)
