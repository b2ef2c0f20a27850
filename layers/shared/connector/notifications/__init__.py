"""Merchant notifications by email (SES), switchable per connection, batched into digests.

Every notification is a task message of kind ``notify_merchant`` (see
:class:`connector.connections.lifecycle.Notifier`), handled by :func:`handle` in the task worker:

1. **Record.** The connection's settings decide (``notifications.email`` and the switch of the
   event's category); a notification that passes is stored as ``NOTIFY#<task id>`` (a
   conditional put: a redelivered message records nothing twice).
2. **Window.** The first notification of a quiet connection opens its digest window
   (``NOTIFYWINDOW``, a conditional put) and sends a delayed ``notify_merchant`` message with
   ``{"action": "flush"}`` (SQS ``DelaySeconds`` = ``NOTIFICATION_WINDOW_SECONDS``, default 300,
   at most 900). Later notifications find the window open and only record themselves.
3. **Flush.** While notifications keep coming (the newest is less than ``quiet_s`` old) the
   flush is postponed by that quiet period, up to ``max_wait_s`` after the window opened, so a
   burst that outlasts the window is still one email. Then it closes the window (the next
   notification opens a new one), sends ONE email listing the pending notifications (counts per
   category, the first :data:`MAX_LISTED` of each with ids and reasons), marks the digest sent and
   deletes exactly the notifications it listed. A burst of a hundred failures is one email.

Nothing is lost: a failed send raises, the message is retried and finally dead-lettered while
the notifications stay recorded (the next window's digest includes them); a window whose flush
never came (a send that failed after the window was opened) is taken over once it is overdue.
A redelivered flush finds its sent marker and deletes what it listed without sending again.
Emails hold ids and the features' plain-words reasons, never buyer details or tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field

from connector import dynamo, keys
from connector.config import BaseEnv
from connector.runtime import now

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sesv2 import SESV2Client

    from connector.queues import MessageSender
    from connector.settings import NotificationSettings
    from connector.tasks import TaskMessage

#: event -> the switch of ``settings.notifications`` that governs it.
CATEGORIES: dict[str, str] = {
    "order_blocked": "blocked_orders",
    "order_not_shipped": "blocked_orders",
    "order_cancel_refused": "blocked_orders",
    "order_duplicate": "blocked_orders",
    "product_failed": "failed_products",
    "needs_reauth": "reauthorization",
    "disconnected": "reauthorization",
}
SECTION_TITLES = {
    "reauthorization": "Action needed: the connection's authorization",
    "blocked_orders": "TikTok orders that need your attention",
    "failed_products": "Products that could not be listed on TikTok Shop",
}
#: Plain words for the connection events' reasons.
REASON_WORDS = {
    "tiktok_seller_deauthorized": "the seller de-authorized the app on TikTok Shop",
    "tiktok_authorization_expiring": "TikTok Shop's authorization of the app expires soon",
    "tiktok_refresh_failed": "TikTok Shop refused to renew the app's access",
    "tiktok_authorization_lost": "TikTok Shop no longer accepts the app's access",
    "store_authorization_lost": "the store no longer accepts the app's access",
    "store_app_uninstalled": "the app was uninstalled from the store",
    "merchant_disconnected": "the connection was disconnected from the merchant API",
}
MAX_LISTED = 25
"""Notifications listed per category in one email (the rest are counted)."""
MAX_PER_DIGEST = 500
"""Notifications one flush handles; more open the next window at once."""
REASON_CHARS = 300
SENT_MARKER_TTL_S = 7 * 24 * 3600


class NotifyEnv(BaseEnv):
    notification_sender: str = Field(alias="NOTIFICATION_SENDER", default="", max_length=254)
    """The verified SES identity emails come from; empty: notifications are recorded nowhere."""
    notification_window_s: int = Field(alias="NOTIFICATION_WINDOW_SECONDS", default=300, ge=0, le=900)


@dataclass(frozen=True)
class Pending:
    notification_id: str
    event: str
    category: str
    reason: str
    subject_id: str | None
    created_ts: int
    recorded_at: int


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str


class NotificationStore(dynamo.Repository):
    """The conditional writes of notifications: each recorded once, one digest window open per
    connection at a time."""

    def put_once(self, item: dict[str, Any]) -> bool:
        """Record a notification; False when it was recorded already (a redelivery)."""
        return self._put_if_absent(item)

    def open_window(self, connection_id: str, digest_id: str, now: int, overdue_s: int) -> bool:
        """Open the connection's digest window unless one is open (an overdue one is taken over)."""
        return self._put_if({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.NOTIFY_WINDOW,
                             "digest_id": digest_id, "opened_at": now, keys.TTL_ATTRIBUTE: now + overdue_s + 86400},
                            f"{dynamo.ABSENT} OR opened_at < :overdue", values={":overdue": now - overdue_s})

    def close_window(self, connection_id: str, digest_id: str) -> bool:
        """Close the window when it is still this digest's."""
        return self._delete_if({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.NOTIFY_WINDOW},
                               "digest_id = :d", values={":d": digest_id})


@dataclass
class Notifications:
    """The notification store and digest sender of one deployment (fakes or moto in tests)."""

    table: str
    tasks_queue_url: str
    sender_address: str
    window_s: int
    public_base_url: str = ""
    client: DynamoDBClient | None = None
    """DynamoDB client (default: the function's)."""
    ses: SESV2Client | None = None
    queue: MessageSender | None = None
    clock: Callable[[], float] = now

    @property
    def quiet_s(self) -> int:
        """A flush waits until no notification was recorded for this long."""
        return max(2, min(60, self.window_s // 2))

    @property
    def max_wait_s(self) -> int:
        """The longest a window stays open, however long the burst."""
        return 3 * self.window_s + self.quiet_s

    @property
    def overdue_s(self) -> int:
        """A window older than this lost its flush (it never stays open that long)."""
        return self.max_wait_s + self.window_s + 120

    def __post_init__(self) -> None:
        from connector import aws
        from connector.queues import SqsSender

        self.client = self.client or aws.client("dynamodb")
        self.ses = self.ses or aws.client("sesv2")
        self.queue = self.queue or SqsSender()
        self._store = NotificationStore(self.table, self.client)

    # ------------------------------------------------------------------ record
    def record(self, message: TaskMessage) -> str:
        """Store one notification when its connection wants it, and make sure a flush is scheduled."""
        from connector import keys, metrics
        from connector.observability import count, logger

        connection_id = message.connection_id
        event = str(message.payload.get("event", ""))
        category = CATEGORIES.get(event)
        if not connection_id or category is None:
            return self._suppressed("unknown_event", event)
        settings = self._settings(connection_id)
        if not getattr(settings, category):
            return self._suppressed("switched_off", event)
        if not settings.email:
            return self._suppressed("no_address", event)
        if not self.sender_address:
            logger().warning("notification not sent: NOTIFICATION_SENDER is not configured",
                             extra={"event": event})
            return self._suppressed("no_sender", event)
        item = {keys.PK: keys.conn_pk(connection_id), keys.SK: keys.notification_sk(message.task_id),
                "event": event, "category": category,
                "reason": " ".join(str(message.payload.get("reason", "")).split())[:REASON_CHARS],
                "subject_id": str(message.payload["subject_id"])[:128] if message.payload.get("subject_id") else None,
                "created_ts": _int(message.payload.get("created_ts"), int(self.clock())),
                "recorded_at": int(self.clock()),
                "correlation_id": message.correlation_id}
        if self._store.put_once(item):
            count(metrics.NOTIFICATIONS_RECORDED)
        self._ensure_window(connection_id, message.correlation_id)
        return "recorded"

    def _suppressed(self, why: str, event: str) -> str:
        from connector import metrics
        from connector.observability import count, logger

        count(metrics.NOTIFICATIONS_SUPPRESSED)
        logger().info("notification suppressed", extra={"event": event, "why": why})
        return f"suppressed_{why}"

    def _settings(self, connection_id: str) -> NotificationSettings:
        from connector.settings import SettingsRepository

        return SettingsRepository(self.table, self._store.client).get(connection_id).notifications

    def _ensure_window(self, connection_id: str, correlation_id: str) -> None:
        """Open the digest window and schedule its flush, unless one is open. An overdue window
        lost its flush (a crash between opening it and sending the flush): it is taken over."""
        now = int(self.clock())
        digest_id = f"{now}-{uuid.uuid4().hex[:12]}"
        if not self._store.open_window(connection_id, digest_id, now, self.overdue_s):
            return
        try:
            self._schedule_flush(connection_id, digest_id, correlation_id, self.window_s)
        except Exception:
            self._store.close_window(connection_id, digest_id)
            raise

    def _schedule_flush(self, connection_id: str, digest_id: str, correlation_id: str, delay_s: int) -> None:
        from connector.tasks import TaskMessage

        assert self.queue is not None
        self.queue.send(self.tasks_queue_url, TaskMessage(
            kind="notify_merchant", task_id=f"digest-{digest_id}", correlation_id=correlation_id,
            connection_id=connection_id, payload={"action": "flush", "digest_id": digest_id}),
            delay_seconds=max(0, min(delay_s, 900)))

    # ------------------------------------------------------------------ flush
    def flush(self, message: TaskMessage) -> str:
        """Close the window and send its digest (one email) of every pending notification."""
        from connector import dynamo, keys, metrics
        from connector.observability import count, logger

        connection_id = message.connection_id
        digest_id = str(message.payload.get("digest_id", ""))
        if not connection_id or not digest_id:
            return "ignored_malformed"
        conn_pk = keys.conn_pk(connection_id)
        window_key = dynamo.to_item({keys.PK: conn_pk, keys.SK: keys.NOTIFY_WINDOW})
        marker_key = dynamo.to_item({keys.PK: conn_pk, keys.SK: keys.digest_sent_sk(digest_id)})
        marker = self._store.client.get_item(TableName=self.table, Key=marker_key, ConsistentRead=True).get("Item")
        if marker is not None:  # a redelivery after the send: finish the clean-up only
            self._delete(connection_id, [str(i) for i in dynamo.from_item(marker).get("listed", [])])
            return "already_sent"
        pending, more = self._pending(connection_id)
        window = self._store.client.get_item(TableName=self.table, Key=window_key, ConsistentRead=True).get("Item")
        now = int(self.clock())
        if window is not None and pending and not more:
            opened = dynamo.from_item(window)
            quiet_for = now - max(p.recorded_at for p in pending)
            if (opened.get("digest_id") == digest_id and quiet_for < self.quiet_s
                    and now - int(opened.get("opened_at", now)) < self.max_wait_s):
                self._schedule_flush(connection_id, digest_id, message.correlation_id, self.quiet_s - quiet_for)
                return "postponed"
        self._store.close_window(connection_id, digest_id)  # only ours: an overdue one may have been taken over
        if not pending:
            return "nothing_pending"
        settings = self._settings(connection_id)
        wanted = [p for p in pending if getattr(settings, p.category)]
        ids = [p.notification_id for p in pending]
        if wanted and settings.email and self.sender_address:
            email = compose(connection_id, settings.email, wanted, self.public_base_url)
            self._send(email)
            count(metrics.NOTIFICATION_EMAILS_SENT)
            logger().info("notification digest sent", extra={"digest_id": digest_id, "notifications": len(wanted)})
        else:
            count(metrics.NOTIFICATIONS_SUPPRESSED, len(pending))
            logger().info("notification digest dropped: switched off or no address",
                          extra={"digest_id": digest_id, "notifications": len(pending)})
        now = int(self.clock())
        self._store.client.put_item(TableName=self.table, Item={**marker_key, **dynamo.to_item(
            {"listed": ids, "sent_at": now, keys.TTL_ATTRIBUTE: now + SENT_MARKER_TTL_S})})
        self._delete(connection_id, ids)
        if more:
            self._ensure_window(connection_id, message.correlation_id)
        return f"sent_{len(wanted)}" if wanted else "dropped"

    def _pending(self, connection_id: str) -> tuple[list[Pending], bool]:
        from connector import dynamo, keys

        kwargs: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ConsistentRead": True,
            "ExpressionAttributeValues": dynamo.values({":p": keys.conn_pk(connection_id),
                                                        ":s": keys.notification_sk("")})}
        found: list[Pending] = []
        while True:
            got = self._store.client.query(**kwargs)
            for raw in got.get("Items", []):
                item = dynamo.from_item(raw)
                found.append(Pending(
                    notification_id=str(item["sk"]).removeprefix(keys.notification_sk("")),
                    event=str(item.get("event", "")), category=str(item.get("category", "")),
                    reason=str(item.get("reason", "")), subject_id=item.get("subject_id"),
                    created_ts=int(item.get("created_ts", 0)),
                    recorded_at=int(item.get("recorded_at", item.get("created_ts", 0)))))
                if len(found) == MAX_PER_DIGEST:
                    return sorted(found, key=lambda p: p.created_ts), True
            if "LastEvaluatedKey" not in got:
                return sorted(found, key=lambda p: p.created_ts), False
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    def _delete(self, connection_id: str, notification_ids: list[str]) -> None:
        from connector import dynamo, keys

        requests = [{"DeleteRequest": {"Key": dynamo.to_item({keys.PK: keys.conn_pk(connection_id),
                                                              keys.SK: keys.notification_sk(i)})}}
                    for i in notification_ids]
        for start in range(0, len(requests), 25):
            batch: dict[str, Any] = {self.table: requests[start:start + 25]}
            for _attempt in range(8):
                left = self._store.client.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
                if not left:
                    break
                batch = left
            else:
                raise RuntimeError("DynamoDB left notifications undeleted after 8 attempts")

    def _send(self, email: Email) -> None:
        assert self.ses is not None
        self.ses.send_email(
            FromEmailAddress=self.sender_address, Destination={"ToAddresses": [email.to]},
            Content={"Simple": {"Subject": {"Data": email.subject, "Charset": "UTF-8"},
                                "Body": {"Text": {"Data": email.text, "Charset": "UTF-8"}}}})


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


# ---------------------------------------------------------------------- the email
def compose(connection_id: str, to: str, pending: list[Pending], public_base_url: str = "") -> Email:
    """One digest email: a section per category, the first :data:`MAX_LISTED` listed."""
    by_category: dict[str, list[Pending]] = {}
    for p in pending:
        by_category.setdefault(p.category, []).append(p)
    headline = []
    reauth = by_category.get("reauthorization", [])
    if reauth:
        headline.append("action needed: re-authorize" if any(p.event == "needs_reauth" for p in reauth)
                        else "the connection changed")
    if by_category.get("blocked_orders"):
        n = len(by_category["blocked_orders"])
        headline.append(f"{n} order{'s' if n != 1 else ''} blocked")
    if by_category.get("failed_products"):
        n = len(by_category["failed_products"])
        headline.append(f"{n} product{'s' if n != 1 else ''} failed")
    lines = ["Hello,", "", f"Here is what needs your attention on your TikTok Shop connection {connection_id}.", ""]
    for category in ("reauthorization", "blocked_orders", "failed_products"):
        items = by_category.get(category, [])
        if not items:
            continue
        lines += [f"{SECTION_TITLES[category]} ({len(items)})", ""]
        for p in items[:MAX_LISTED]:
            lines.append("- " + _line(p))
        if len(items) > MAX_LISTED:
            lines.append(f"- and {len(items) - MAX_LISTED} more: see the connector's "
                         f"{'orders' if category == 'blocked_orders' else 'products'} list")
        if category == "reauthorization" and any(p.event == "needs_reauth" for p in items):
            link = f"{public_base_url.rstrip('/')}/connections/{connection_id}/reauthorize" if public_base_url \
                else f"/connections/{connection_id}/reauthorize on the connector's address"
            lines += ["", f"Syncing is paused until you re-authorize: open {link}."]
        lines.append("")
    lines += ["You receive this email because notifications are on for this connection. Each kind can be "
              "switched off in the connection's settings (notifications.reauthorization, "
              "notifications.blocked_orders, notifications.failed_products)."]
    return Email(to=to, subject="TikTok Shop connector: " + ", ".join(headline), text="\n".join(lines) + "\n")


EVENT_WORDS = {
    "order_blocked": "Not created in the store",
    "order_not_shipped": "Shipment not sent to TikTok",
    "order_cancel_refused": "Cancellation not accepted by TikTok",
    "order_duplicate": "Duplicate store order cancelled",
    "product_failed": "Not listed",
}


def _line(p: Pending) -> str:
    """``<what happened>: <subject>: <reason>`` (the features often put the id in the reason)."""
    reason = REASON_WORDS.get(p.reason, p.reason) or "no reason given"
    if p.category in ("blocked_orders", "failed_products"):
        subject = ("TikTok order " if p.category == "blocked_orders" else "product ") + p.subject_id \
            if p.subject_id else ""
        return ": ".join(part for part in (EVENT_WORDS.get(p.event, p.event), subject, reason) if part)
    if p.event == "disconnected":
        return f"Disconnected: {reason}"
    return f"Re-authorization needed: {reason}"


# ---------------------------------------------------------------------- the task worker's entry
def handle(message: TaskMessage) -> str:
    """``notify_merchant``: record a notification, or flush a digest (``payload.action = flush``)."""
    from connector.config import load_env

    env = load_env(NotifyEnv)
    service = Notifications(table=env.table_name, tasks_queue_url=env.tasks_queue_url,
                            sender_address=env.notification_sender, window_s=env.notification_window_s,
                            public_base_url=env.public_base_url)
    if message.payload.get("action") == "flush":
        return service.flush(message)
    return service.record(message)
