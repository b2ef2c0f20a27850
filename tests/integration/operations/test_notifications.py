"""Merchant notifications on moto: they are recorded per connection's settings and batched: a
burst of failures is one digest email (moto's SES keeps it); redeliveries send nothing twice; a
failed send loses nothing; switches and a missing address suppress."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from pydantic import BaseModel

from connector import keys
from connector.notifications import MAX_LISTED, Notifications
from connector.notifications.__main__ import outbox
from connector.settings import ConnectionSettings, SettingsRepository
from connector.tasks import TaskMessage

SENDER = "notifications@connector.test"


@dataclass
class FakeQueue:
    """Remembers what was sent (the delayed flush messages)."""

    sent: list[tuple[TaskMessage, int]] = field(default_factory=list)
    fail: bool = False

    def send(self, queue_url: str, message: BaseModel, *, group_id: str | None = None, dedupe_id: str | None = None,
             delay_seconds: int = 0) -> str:
        if self.fail:
            raise RuntimeError("queue unavailable")
        assert isinstance(message, TaskMessage)
        self.sent.append((message, delay_seconds))
        return f"m-{len(self.sent)}"

    def flushes(self) -> list[TaskMessage]:
        return [m for m, _ in self.sent if m.payload.get("action") == "flush"]


class Clock:
    def __init__(self) -> None:
        self.t = 1_790_000_000.0

    def __call__(self) -> float:
        return self.t


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture
def world(moto_endpoint: str, table: str) -> dict[str, Any]:
    _client(moto_endpoint, "ses").verify_email_identity(EmailAddress=SENDER)
    queue, clock = FakeQueue(), Clock()
    ddb = _client(moto_endpoint, "dynamodb")
    service = Notifications(table=table, tasks_queue_url="https://queue.test/tasks", sender_address=SENDER,
                            window_s=300, public_base_url="https://connector.test", client=ddb,
                            ses=_client(moto_endpoint, "sesv2"), queue=queue, clock=clock)
    return {"service": service, "queue": queue, "clock": clock, "ddb": ddb, "table": table,
            "endpoint": moto_endpoint}


def connect(w: dict[str, Any], **notifications: Any) -> tuple[str, str]:
    """A connection whose settings send notifications to a fresh address."""
    connection_id = f"c{secrets.token_hex(4)}"
    email = f"merchant-{connection_id}@shop.test"
    settings = ConnectionSettings().patched({"notifications": {"email": email, **notifications}})
    SettingsRepository(w["table"], w["ddb"]).put(connection_id, settings, 1)
    return connection_id, email


def event(connection_id: str, name: str, reason: str, subject: str | None = None) -> TaskMessage:
    payload = {"event": name, "reason": reason, "created_ts": "1790000000"}
    if subject:
        payload["subject_id"] = subject
    return TaskMessage(kind="notify_merchant", task_id=f"notify-{secrets.token_hex(8)}", correlation_id="corr-1",
                       connection_id=connection_id, payload=payload)


def at_window_end(w: dict[str, Any], flush: TaskMessage) -> str:
    """The delayed flush arrives: the window has passed."""
    w["clock"].t += w["service"].window_s
    return str(w["service"].flush(flush))


def pending(w: dict[str, Any], connection_id: str) -> list[dict[str, Any]]:
    return w["ddb"].query(TableName=w["table"], KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                          ExpressionAttributeValues={":p": {"S": keys.conn_pk(connection_id)},
                                                     ":s": {"S": "NOTIFY#"}})["Items"]


def test_a_burst_of_a_hundred_failures_is_one_email(world: dict[str, Any]) -> None:
    w = world
    conn, email = connect(w)
    service: Notifications = w["service"]
    # Given a burst: 60 blocked orders, 40 failed products and a de-authorization within the window
    for i in range(60):
        assert service.record(event(conn, "order_blocked", f"TikTok order 57{i:04d}: sku_not_linked")) == "recorded"
    for i in range(40):
        service.record(event(conn, "product_failed", "missing_weight: the product has no weight", subject=f"p{i}"))
    service.record(event(conn, "needs_reauth", "tiktok_seller_deauthorized"))
    # Then one flush is scheduled, delayed by the window
    (flush,) = w["queue"].flushes()
    assert w["queue"].sent[0][1] == 300
    assert outbox(w["endpoint"], email) == []
    # When the window ends
    assert at_window_end(w, flush) == "sent_101"
    # Then exactly one email, listing the first of each kind and counting the rest
    (sent,) = outbox(w["endpoint"], email)
    assert sent["from"] == SENDER and sent["to"] == [email]
    assert sent["subject"] == ("TikTok Shop connector: action needed: re-authorize, 60 orders blocked, "
                               "40 products failed")
    body = sent["body"]
    assert "TikTok orders that need your attention (60)" in body and "and 35 more" in body
    assert body.count("Not listed: product p") == MAX_LISTED and "and 15 more" in body
    assert "the seller de-authorized the app on TikTok Shop" in body
    assert f"https://connector.test/connections/{conn}/reauthorize" in body
    assert pending(w, conn) == []
    # And a new failure after the flush opens a new window (a second, later email)
    service.record(event(conn, "order_blocked", "TikTok order 1: sku_not_linked"))
    assert len(w["queue"].flushes()) == 2
    assert at_window_end(w, w["queue"].flushes()[1]) == "sent_1"
    assert len(outbox(w["endpoint"], email)) == 2


def test_redelivered_messages_record_and_send_nothing_twice(world: dict[str, Any]) -> None:
    w = world
    conn, email = connect(w)
    service: Notifications = w["service"]
    message = event(conn, "order_blocked", "TikTok order 9: sku_not_linked")
    service.record(message)
    service.record(message)  # SQS redelivery
    assert len(pending(w, conn)) == 1 and len(w["queue"].flushes()) == 1
    flush = w["queue"].flushes()[0]
    assert at_window_end(w, flush) == "sent_1"
    assert at_window_end(w, flush) == "already_sent"
    assert len(outbox(w["endpoint"], email)) == 1


def test_a_failed_send_loses_nothing_and_the_retry_sends(world: dict[str, Any]) -> None:
    w = world
    conn, email = connect(w)
    service: Notifications = w["service"]
    service.record(event(conn, "product_failed", "no_images", subject="p1"))
    flush = w["queue"].flushes()[0]
    real_ses = service.ses

    class Down:
        def send_email(self, **_kwargs: Any) -> None:
            raise RuntimeError("SES throttled")

    service.ses = Down()
    with pytest.raises(RuntimeError):
        at_window_end(w, flush)
    assert len(pending(w, conn)) == 1  # still recorded
    service.ses = real_ses
    assert at_window_end(w, flush) == "sent_1"  # the SQS retry of the same message
    assert len(outbox(w["endpoint"], email)) == 1 and pending(w, conn) == []


def test_a_window_whose_flush_was_never_sent_is_taken_over_when_overdue(world: dict[str, Any]) -> None:
    w = world
    conn, email = connect(w)
    service: Notifications = w["service"]
    w["queue"].fail = True
    with pytest.raises(RuntimeError):
        service.record(event(conn, "order_blocked", "TikTok order 1: sku_not_linked"))
    w["queue"].fail = False
    # The failed send closed its window again: the retry of the same message schedules a flush.
    service.record(event(conn, "order_blocked", "TikTok order 2: sku_not_linked"))
    assert len(w["queue"].flushes()) == 1
    # A window left open (a crash between opening it and sending its flush) is taken over once overdue.
    w["ddb"].put_item(TableName=w["table"], Item={
        "pk": {"S": keys.conn_pk(conn)}, "sk": {"S": keys.NOTIFY_WINDOW}, "digest_id": {"S": "lost"},
        "opened_at": {"N": str(int(w["clock"].t))}})
    service.record(event(conn, "order_blocked", "TikTok order 3: sku_not_linked"))
    assert len(w["queue"].flushes()) == 1  # still inside the window: wait for its flush
    w["clock"].t += w["service"].overdue_s + 1
    service.record(event(conn, "order_blocked", "TikTok order 4: sku_not_linked"))
    flushes = w["queue"].flushes()
    assert len(flushes) == 2
    assert at_window_end(w, flushes[1]).startswith("sent_")
    (sent,) = outbox(w["endpoint"], email)
    assert all(f"TikTok order {n}" in sent["body"] for n in (1, 2, 3, 4))


def test_switched_off_kinds_and_missing_address_are_suppressed(world: dict[str, Any]) -> None:
    w = world
    service: Notifications = w["service"]
    conn, email = connect(w, blocked_orders=False)
    assert service.record(event(conn, "order_blocked", "TikTok order 1: x")) == "suppressed_switched_off"
    assert service.record(event(conn, "something_new", "x")) == "suppressed_unknown_event"
    assert pending(w, conn) == [] and w["queue"].sent == []
    service.record(event(conn, "product_failed", "no_images", subject="p1"))
    # The merchant switches product emails off before the window ends: the digest is dropped.
    SettingsRepository(w["table"], w["ddb"]).put(conn, ConnectionSettings().patched(
        {"notifications": {"email": email, "failed_products": False}}), 2)
    assert at_window_end(w, w["queue"].flushes()[0]) == "dropped"
    assert outbox(w["endpoint"], email) == [] and pending(w, conn) == []

    nobody = f"c{secrets.token_hex(4)}"  # default settings: no address
    assert service.record(event(nobody, "needs_reauth", "tiktok_refresh_failed")) == "suppressed_no_address"


def test_no_sender_configured_suppresses(world: dict[str, Any]) -> None:
    w = world
    service: Notifications = w["service"]
    service.sender_address = ""
    conn, _email = connect(w)
    assert service.record(event(conn, "needs_reauth", "tiktok_refresh_failed")) == "suppressed_no_sender"
    assert pending(w, conn) == []


def test_emails_carry_no_secrets_or_buyer_details(world: dict[str, Any]) -> None:
    w = world
    conn, email = connect(w)
    service: Notifications = w["service"]
    service.record(event(conn, "order_blocked", "TikTok order 5: sku_not_linked\nline two " + "x" * 400))
    at_window_end(w, w["queue"].flushes()[0])
    (sent,) = outbox(w["endpoint"], email)
    listed = [line for line in sent["body"].splitlines() if "TikTok order 5" in line]
    assert len(listed) == 1 and len(listed[0]) < 360  # one line, reason cut to 300 characters
    assert "corr-1" not in sent["body"]  # correlation ids stay in logs


def test_a_burst_longer_than_the_window_is_still_one_email(world: dict[str, Any]) -> None:
    w = world
    conn, email = connect(w)
    service: Notifications = w["service"]
    clock = w["clock"]
    service.record(event(conn, "order_blocked", "TikTok order 1: sku_not_linked"))
    (flush,) = w["queue"].flushes()
    # The burst goes on: one more failure every 30 s, past the 300 s window
    for n in range(2, 12):
        clock.t += 30
        service.record(event(conn, "order_blocked", f"TikTok order {n}: sku_not_linked"))
    clock.t += 1
    assert service.flush(flush) == "postponed"  # the last one is 1 s old: wait for quiet
    postponed, delay = w["queue"].sent[-1]
    assert postponed.payload == flush.payload and delay == service.quiet_s - 1
    assert outbox(w["endpoint"], email) == []
    clock.t += service.quiet_s
    assert service.flush(postponed) == "sent_11"
    (sent,) = outbox(w["endpoint"], email)
    assert "11 orders blocked" in sent["subject"]


def test_an_endless_burst_is_sent_when_the_window_has_waited_long_enough(world: dict[str, Any]) -> None:
    w = world
    conn, email = connect(w)
    service: Notifications = w["service"]
    clock = w["clock"]
    service.record(event(conn, "order_blocked", "TikTok order 0: sku_not_linked"))
    message = w["queue"].flushes()[0]
    outcomes = []
    for n in range(1, 40):
        clock.t += 30
        service.record(event(conn, "order_blocked", f"TikTok order {n}: sku_not_linked"))
        if clock.t - 1_790_000_000 >= service.window_s:
            outcomes.append(service.flush(message))
            if outcomes[-1] != "postponed":
                break
            message = w["queue"].sent[-1][0]
    assert outcomes[-1].startswith("sent_") and "postponed" in outcomes
    assert clock.t - 1_790_000_000 <= service.max_wait_s + 30
    assert len(outbox(w["endpoint"], email)) == 1


def test_outbox_command_prints_the_local_emails(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    from connector.notifications.__main__ import main

    w = world
    conn, email = connect(w)
    w["service"].record(event(conn, "needs_reauth", "tiktok_refresh_failed"))
    at_window_end(w, w["queue"].flushes()[0])
    assert main(["outbox", "--endpoint-url", w["endpoint"], "--to", email]) == 0
    out = capsys.readouterr().out
    assert f"To: {email}" in out and "Subject: TikTok Shop connector: action needed: re-authorize" in out
    assert "TikTok Shop refused to renew the app's access" in out and out.rstrip().endswith("1 email(s)")
