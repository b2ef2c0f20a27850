"""The order record: its states, its fields, and its item attributes (one ``CONN#<id>`` /
``ORDER#<tiktok_order_id>`` item per TikTok order seen; :mod:`connector.orders.records` reads
and writes them). Money is ``Decimal``, stored as strings; TikTok ids are strings; no buyer
details (``buyer_ref`` is a keyed hash).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

OrderState = Literal[
    "waiting_hold",  # paid but on hold (TikTok's cancellation window); relayed when it ends
    "claimed",  # a relay owns it and is creating the store order
    "retrying",  # the store or TikTok failed for a while: tried again at next_try_at (deadline_at)
    "created",  # the store order exists and is recorded (awaiting shipment)
    "blocked",  # cannot be created (reason); retried automatically, then by hand
    "shipped",  # shipped with tracking (TikTok: awaiting collection)
    "in_transit",
    "delivered",
    "completed",
    "cancelled",
    "refunded",
    "skipped",  # never relayed by setting (FBT with relay_fbt off); reason says why
]
ORDER_STATES: tuple[str, ...] = get_args(OrderState)
#: States in which the store order does not exist yet (a relay may still create it).
UNRELAYED_STATES = frozenset({"waiting_hold", "claimed", "retrying", "blocked"})
#: States a relay still has to move on; each record in one carries ``deadline_at`` (but a blocked
#: order whose automatic retries ended: it waits for the merchant's retry).
OPEN_STATES = ("claimed", "retrying", "waiting_hold", "blocked")
#: States from which a relay may (re)claim the order.
CLAIMABLE_STATES = ("waiting_hold", "blocked")
MAX_PAGE_SIZE = 100
BLOCKED_RECHECK_S = 3600
"""A blocked order still retried automatically is looked at by the sweeper after this long (its
relay's own retries come every ``OrderBlockedRetrySeconds``, 10 minutes by default)."""
HOLD_RECHECK_S = 3600
"""A ``waiting_hold`` order is read again from TikTok after this long (the hold ends with a
webhook; this is the way out when that webhook is lost)."""
#: The fields of a store order creation whose outcome is not known yet.
INTENT_FIELDS = ("store_intent", "store_intent_at", "settle_from", "settle_misses")
#: The fields of a relay retried after transient failures.
RETRY_FIELDS = ("retry_attempts", "retry_since", "retry_owner", "last_error")


class OrderLineSummary(BaseModel):
    """One line per TikTok SKU (TikTok lists one line per unit; these are summed)."""

    model_config = ConfigDict(frozen=True)

    tiktok_sku_id: str
    tiktok_product_id: str | None = None
    variant_key: str | None = None
    """The store variant (``None`` while the SKU has no link)."""
    store_product_id: str | None = None
    seller_sku: str | None = None
    name: str = ""
    quantity: int = Field(gt=0)
    unit_price: Decimal
    """The unit price used on the store order (paid or settlement, per setting)."""


class OrderRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection_id: str
    tiktok_order_id: str
    shop_id: str
    state: OrderState
    reason: str | None = None
    """Plain words: why blocked / skipped / why a store cancellation could not reach TikTok."""
    attempts: int = 0
    """Relay attempts that ended blocked (automatic and by hand)."""
    tiktok_status: str | None = None
    """TikTok's last seen status (UNPAID, ON_HOLD, AWAITING_SHIPMENT, ...)."""
    tiktok_update_time: int | None = None
    store_order_id: str | None = None
    currency: str | None = None
    subtotal: Decimal | None = None
    shipping: Decimal | None = None
    tax: Decimal | None = None
    discount: Decimal | None = None
    total: Decimal | None = None
    lines: tuple[OrderLineSummary, ...] = ()
    buyer_ref: str | None = None
    """A keyed hash of TikTok's buyer id: groups a buyer's orders, identifies nobody."""
    fulfillment_type: str | None = None
    package_ids: tuple[str, ...] = ()
    tracking_number: str | None = None
    shipping_provider_id: str | None = None
    pending_units: dict[str, int] = Field(default_factory=dict)
    """variant_key -> units paid on TikTok and not yet in the store."""
    warehouse_id: str | None = None
    """The TikTok warehouse the order ships from (its pending units are reserved there)."""
    claim_token: str | None = None
    claim_expires_at: int | None = None
    blocked_by: str | None = None
    """The relay (execution) that owns a blocked order's automatic retries."""
    store_intent: str | None = None
    """Set (a fresh id) before every POST that creates the store order, removed when the store
    order is recorded: while set, the store may hold the order although we did not see it."""
    store_intent_at: int | None = None
    settle_from: int | None = None
    """When the last create failed ambiguously (timeout, 5xx, lost connection): the settle
    window, in which the store is searched before any new POST, runs from here."""
    settle_misses: int | None = None
    """Searches since the intent that did not find the store order."""
    deadline_at: int | None = None
    """When the relay must have moved this record on: the claim's lease, the next try of a
    ``retrying`` order, the next look at a ``waiting_hold`` or ``blocked`` one. The sweeper
    resumes any open record past it, whatever TikTok's update time says."""
    retry_attempts: int | None = None
    """Tries that failed on a transient store or TikTok error since ``retry_since``."""
    retry_since: int | None = None
    retry_owner: str | None = None
    """The relay that parked it ``retrying`` (it may come back before the deadline)."""
    last_error: str | None = None
    """The last transient error's kind (a code, never a payload)."""
    verify_after: int | None = None
    """Set when the store order came from a second POST: search for a twin again from then."""
    verify_checks: int | None = None
    duplicate_store_orders: tuple[str, ...] = ()
    """Store orders found carrying this TikTok order besides ``store_order_id``, cancelled in the
    store by the duplicate detector."""
    created_at: int
    """When TikTok created the order (epoch seconds)."""
    paid_at: int | None = None
    relayed_at: int | None = None
    """When the store order was recorded."""
    updated_at: int

    @field_validator("tiktok_order_id", "shop_id", mode="before")
    @classmethod
    def _ids_are_strings(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def buyer_ref(connection_id: str, tiktok_user_id: str | None) -> str | None:
    """A non-identifying, per-connection stable buyer reference (for "top customers")."""
    if not tiktok_user_id:
        return None
    digest = hashlib.sha256(f"buyer:{connection_id}:{tiktok_user_id}".encode()).hexdigest()
    return f"b_{digest[:16]}"


# ------------------------------------------------------------------------- (de)serialization
_MONEY = ("subtotal", "shipping", "tax", "discount", "total")


def to_attributes(record: OrderRecord) -> dict[str, Any]:
    """The record as plain item attributes (money as strings, never float)."""
    data = record.model_dump(exclude_none=True, mode="json")  # Decimal -> str
    if not data.get("pending_units"):
        data.pop("pending_units", None)
    for name in ("package_ids", "duplicate_store_orders"):
        if not data.get(name):
            data.pop(name, None)
    data["lines"] = [dict(line) for line in data.get("lines", [])]
    return data


def from_attributes(item: Mapping[str, Any]) -> OrderRecord:
    fields = OrderRecord.model_fields
    data = {k: v for k, v in item.items() if k in fields}
    for name in ("attempts", "tiktok_update_time", "claim_expires_at", "created_at", "paid_at", "relayed_at",
                 "updated_at", "store_intent_at", "settle_from", "settle_misses", "verify_after", "verify_checks",
                 "deadline_at", "retry_attempts", "retry_since"):
        if isinstance(data.get(name), Decimal):
            data[name] = int(data[name])
    if "pending_units" in data:
        data["pending_units"] = {str(k): int(v) for k, v in data["pending_units"].items()}
    if "lines" in data:
        data["lines"] = [{**line, "quantity": int(line["quantity"])} for line in data["lines"]]
    return OrderRecord.model_validate(data)


def deadline_of(record: OrderRecord) -> int | None:
    """When an open record must have moved on (a record written before deadlines existed: its
    claim's lease)."""
    if record.deadline_at is not None:
        return record.deadline_at
    return record.claim_expires_at if record.state == "claimed" else None


def claimable(current: OrderRecord, token: str, now: int, *, take_over: bool = False) -> bool:
    """Whether a claim by ``token`` may take this record (the claim's condition, read in Python to
    spare a write that would fail; the condition stays the guard)."""
    if current.state in CLAIMABLE_STATES:
        return True
    if current.state == "claimed":
        return current.claim_token == token or (current.claim_expires_at or 0) < now
    if current.state == "retrying":
        return take_over or current.retry_owner == token or (current.deadline_at or 0) <= now
    return False
