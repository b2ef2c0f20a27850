"""Asking for a stock sync: the message the stock queue carries (ids only: the worker re-reads
the store, webhooks are hints), and the entry points other features use to send it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from connector.queues import MessageSender


StockAction = Literal["stock", "price", "reconcile", "recheck"]
"""``recheck``: read TikTok's figures of one product back after a call whose answer never came."""


class StockMessage(BaseModel):
    """One request on the stock queue. Ids only: the worker re-reads the store (webhooks are hints)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    action: StockAction = "stock"
    connection_id: str = Field(min_length=1)
    store_product_id: str | None = Field(default=None, max_length=128)
    correlation_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(default="store_event", max_length=64)
    """Why: ``store_event``, ``pending_units``, ``reconcile``, ``tiktok_differs``, ``manual``,
    ``held_call``, ``unanswered_call``."""
    task_id: str | None = Field(default=None, max_length=80)
    """A merchant task ("update stock" or "update price") this item belongs to: its result is recorded on the task."""
    force: bool = False
    """Send even figures equal to the last ones sent (manual actions)."""
    requested_at: float | None = None
    """When the change was seen (epoch seconds), for the latency metric."""


def request_stock_sync(connection_id: str, store_product_ids: Iterable[str], correlation_id: str, *,
                       reason: str = "pending_units", sender: MessageSender | None = None,
                       queue_url: str | None = None, delay_s: int = 0) -> int:
    """Ask the stock worker to recompute and send the stock of these store products (the order
    relay calls it when pending units change). Cheap: one SQS message per product (sent in
    batches), coalesced by the worker; an unchanged figure costs no TikTok call. Returns the
    number of messages sent. Needs ``STOCK_QUEUE_URL`` and ``sqs:SendMessage`` on the stock queue."""
    import time

    ids = list(dict.fromkeys(str(p) for p in store_product_ids if str(p)))
    if not ids:
        return 0
    messages = [StockMessage(connection_id=connection_id, store_product_id=pid, correlation_id=correlation_id,
                             reason=reason, requested_at=time.time()) for pid in ids]
    send_all(messages, sender=sender, queue_url=queue_url, delay_s=delay_s)
    return len(messages)


def request_recheck(connection_id: str, store_product_id: str, correlation_id: str, *, delay_s: int,
                    sender: MessageSender | None = None, queue_url: str | None = None) -> None:
    """Ask for TikTok's figures of this product to be read back in ``delay_s`` seconds (a delayed
    message, :mod:`.recheck`): one of its calls needed another attempt, so an earlier attempt may
    still land. Never raises: when the queue refuses, the reconciliation's read-back of recently
    written SKUs is the later net (logged)."""
    from connector import metrics
    from connector.observability import count, logger

    message = StockMessage(action="recheck", connection_id=connection_id, store_product_id=store_product_id,
                           correlation_id=correlation_id, reason="unanswered_call")
    try:
        if sender is None:
            from connector.queues import SqsSender

            sender = SqsSender()
        sender.send(queue_url or stock_queue_url(), message, delay_seconds=delay_s)
    except Exception as exc:
        logger().warning("stock recheck not queued; the reconciliation reads TikTok back later", extra={
            "connection_id": connection_id, "store_product_id": store_product_id, "error": type(exc).__name__})
        return
    count(metrics.stock_sync("recheck_queued"))


def send_all(messages: Sequence[StockMessage], *, sender: MessageSender | None = None,
             queue_url: str | None = None, delay_s: int = 0) -> None:
    """Enqueue on the stock queue (10 per SQS call when no ``sender`` is given), each delivered
    ``delay_s`` seconds from now."""
    url = queue_url or stock_queue_url()
    if sender is not None:
        for message in messages:
            sender.send(url, message, delay_seconds=delay_s)
        return
    from connector.queues import SqsSender

    SqsSender().send_batch(url, messages, delay_seconds=delay_s)


def stock_queue_url() -> str:
    from connector.config import StockEnv, load_env

    return load_env(StockEnv).stock_queue_url
