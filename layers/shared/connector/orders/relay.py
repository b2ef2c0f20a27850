"""Relay one paid TikTok order into the store, exactly once (see docs/order-relay.md).

    read the order from TikTok (webhooks are hints: always re-read)
      -> decide: relay / wait for the hold / never (unpaid, FBT off) / cancelled
      -> claim ORDER#<id> with a conditional write (token = the state machine execution)
      -> resolve every line through the SKU links (blocked with a reason when one is missing)
      -> create the store order: an intent is recorded before the one POST; while an intent is
         open (the POST timed out, answered 5xx, or we crashed before recording) the store is
         searched over a settle window before any new POST (:func:`create_in_store`), and a
         second store order found for the TikTok order is cancelled (:mod:`.duplicates`)
      -> record it, removing ``pending_units`` in the same write.

Domain code: every collaborator is a parameter (:class:`RelayDeps`); the Lambda step builds them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from connector.orders.records import (
    HOLD_RECHECK_S,
    RETRY_FIELDS,
    UNRELAYED_STATES,
    ClaimLost,
    OrderLineSummary,
    OrderRecord,
    OrderRepository,
    buyer_ref,
    claimable,
)
from connector.stores.errors import StoreError

if TYPE_CHECKING:
    from connector.links import LinkRepository
    from connector.settings import OrderSettings
    from connector.stores.protocol import ShipTo, StoreOrder, StoreOrderDraft, StorePlatform
    from connector.tiktok.models import Order
    from connector.tiktok.protocol import ShopRef, TikTokShop

CENT = Decimal("0.01")
MANUAL_PREFIX = "retry-"
"""Execution names of relays started by the merchant (they may take over a blocked order)."""
SWEEP_PREFIX = "sweep-"
"""Execution names of relays started by the sweeper for a record past its deadline (they may
take over a blocked order whose own relay is gone)."""
MAX_RETRY_DELAY_S = 3600
"""Transient failures are retried after growing delays, at most this far apart."""
IN_EXECUTION_WAITS = 4
"""Retry delays up to this many times the first one (1x, 2x, 4x) are waited inside the relay's
execution; longer ones are the sweeper's."""
LEASE_S = 120
"""How long a claim holds before another relay may take over (longer than one relay step)."""
PAID_STATUSES = frozenset({"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION", "IN_TRANSIT",
                           "DELIVERED", "COMPLETED"})
RELAYED_STATES = frozenset({"created", "shipped", "in_transit", "delivered", "completed", "refunded"})

Outcome = Literal["created", "already", "waiting_hold", "blocked", "gave_up", "not_paid", "skipped", "cancelled",
                  "not_found", "settling", "verifying", "retrying"]
Decision = Literal["relay", "wait_hold", "not_paid", "skip_fbt", "cancelled"]


class InjectedCrash(RuntimeError):
    """The local-cloud fault hook: a crash between "the store created it" and "we recorded it"."""


@dataclass
class RelayResult:
    outcome: Outcome
    tiktok_order_id: str
    attempts: int = 0
    reason: str | None = None
    store_order_id: str | None = None
    tiktok_status: str | None = None
    wait_s: int = 0
    """``settling``: come back after this many seconds (the next search of the store)."""


@dataclass
class RelayDeps:
    orders: OrderRepository
    links: LinkRepository
    settings: OrderSettings
    tiktok: TikTokShop
    shop: ShopRef
    store: StorePlatform
    notify_blocked: Callable[[str, str], None]
    """(tiktok_order_id, reason) -> tell the merchant (batched into e-mails by notifications)."""
    clock: Callable[[], float]
    after_store_create: Callable[[str], None] = field(default=lambda order_id: None)
    """Fault hook (see :func:`crash_hook_from_env`); does nothing in production."""
    stock_changed: Callable[[set[str]], None] = field(default=lambda store_product_ids: None)
    """Called with store product ids after their pending units were set or removed (the stock
    sync recomputes what TikTok may sell of them)."""
    stock_recorded: Callable[[set[str]], None] = field(default=lambda store_product_ids: None)
    """Called by the relay step with the products of a store order it recorded (their pending
    units released): the stock sync runs again a few seconds later (see ``service.relay_step``)."""
    max_attempts: int = 4
    """Blocked relays before giving up on automatic retries (1 + 3 retries)."""
    notify_duplicate: Callable[[str, str], None] = field(default=lambda order_id, what: None)
    """(tiktok_order_id, what was done) -> tell the merchant a duplicate store order was cancelled."""
    settle_s: int = 60
    """After an ambiguous create, how long the store is searched before a new POST."""
    settle_searches: int = 3
    """Searches (spread over ``settle_s``) that must miss the order before a new POST."""
    retry_base_s: int = 2
    """First delay after a transient failure (doubles each try, at most an hour)."""
    give_up_s: int = 72 * 3600
    """Transient failures are retried this long, then the order is ``blocked``."""


def _products(record: OrderRecord) -> set[str]:
    return {line.store_product_id for line in record.lines if line.store_product_id}


def decide(order: Order, settings: OrderSettings) -> Decision:
    """Intake and fulfilled-by-TikTok orders: what to do with an order in its current TikTok status."""
    if order.status == "CANCELLED":
        return "cancelled"
    if order.status == "UNPAID":
        return "not_paid"
    if order.fulfillment_type == "FULFILLMENT_BY_TIKTOK" and not settings.relay_fbt:
        return "skip_fbt"
    if order.status == "ON_HOLD":
        return "relay" if settings.on_hold == "relay" else "wait_hold"
    if order.status in PAID_STATUSES:
        return "relay"
    return "not_paid"


def _money(value: Any) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    return Decimal(str(value))


def unit_price(line: Any, price_source: str) -> Decimal:
    """The price of one unit: as the buyer paid (sale price), or the settlement price (the
    seller's price after the seller's own discount; platform discounts are paid by TikTok)."""
    if price_source == "settlement":
        original = _money(line.original_price) if line.original_price not in (None, "") else _money(line.sale_price)
        return original - _money(line.seller_discount)
    return _money(line.sale_price)


def summarize(order: Order, price_source: str) -> list[OrderLineSummary]:
    """One line per SKU with quantities summed (TikTok lists one line per unit); the unit price
    is the average over the SKU's units (they may carry different discounts)."""
    grouped: dict[str, list[Any]] = {}
    for line in order.line_items:
        if line.sku_id is None or (line.display_status or "") == "CANCELLED":
            continue
        grouped.setdefault(str(line.sku_id), []).append(line)
    summary = []
    for sku_id, lines in grouped.items():
        total = sum((unit_price(line, price_source) for line in lines), Decimal("0"))
        first = lines[0]
        summary.append(OrderLineSummary(
            tiktok_sku_id=sku_id, tiktok_product_id=str(first.product_id) if first.product_id else None,
            seller_sku=first.seller_sku, name=first.product_name or first.sku_name or sku_id,
            quantity=len(lines), unit_price=(total / len(lines)).quantize(CENT)))
    return summary


def base_record(connection_id: str, shop_id: str, order: Order, lines: list[OrderLineSummary], now: int,
                state: str) -> OrderRecord:
    payment = order.payment
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    shipping = _money(payment.shipping_fee) if payment else Decimal("0")
    tax = _money(payment.tax) if payment else Decimal("0")
    pending: dict[str, int] = {}
    for line in lines:
        if line.variant_key:
            pending[line.variant_key] = pending.get(line.variant_key, 0) + line.quantity
    return OrderRecord(
        connection_id=connection_id, tiktok_order_id=str(order.id), shop_id=shop_id, state=state,  # type: ignore[arg-type]
        tiktok_status=order.status, tiktok_update_time=order.update_time,
        currency=(payment.currency if payment else None), subtotal=subtotal, shipping=shipping, tax=tax,
        discount=Decimal("0"), total=subtotal + shipping + tax, lines=tuple(lines),
        buyer_ref=buyer_ref(connection_id, str(order.user_id) if order.user_id else None),
        fulfillment_type=order.fulfillment_type, package_ids=tuple(str(p.id) for p in order.packages),
        pending_units=pending, warehouse_id=str(order.warehouse_id) if order.warehouse_id else None,
        created_at=int(order.create_time or now), paid_at=order.paid_time, updated_at=now)


def resolve_lines(deps: RelayDeps, connection_id: str,
                  lines: list[OrderLineSummary]) -> tuple[list[OrderLineSummary], list[str]]:
    """Lines with their store variant filled in, and the plain-words problems of those without."""
    resolved: list[OrderLineSummary] = []
    problems: list[str] = []
    for line in lines:
        link = deps.links.by_tiktok_sku(connection_id, line.tiktok_sku_id)
        if link is None:
            problems.append(f"TikTok SKU {line.tiktok_sku_id} ({line.seller_sku or 'no seller SKU'}) is not linked "
                            "to a store product")
            resolved.append(line)
            continue
        resolved.append(line.model_copy(update={"variant_key": link.variant_key,
                                                "store_product_id": link.store_product_id}))
    return resolved, problems


def ship_to(order: Order) -> tuple[ShipTo | None, str | None]:
    """The store's shipping address from TikTok's (masked names become a placeholder)."""
    from connector.stores.protocol import ShipTo

    address = order.recipient_address
    if address is None or not address.region_code:
        return None, "the order has no shipping address (country missing)"
    levels = {(d.address_level_name or "").lower(): d.address_name for d in address.district_info}
    name = (address.name or " ".join(p for p in (address.first_name, address.last_name) if p) or "").strip()
    if not name or "*" in name:
        name = "TikTok Shop buyer"
    phone = address.phone_number if address.phone_number and "*" not in address.phone_number else None
    street = tuple(line for line in (address.address_line1, address.address_line2, address.address_line3,
                                     address.address_line4) if line and "*" not in line)
    return ShipTo(name=name, phone=phone, street=street, city=levels.get("city") or "",
                  region=levels.get("state") or levels.get("province"), postal=address.postal_code or "",
                  country=address.region_code), None


def draft_for(order: Order, record: OrderRecord, settings: OrderSettings) -> tuple[StoreOrderDraft | None, str | None]:
    from connector.stores.protocol import OrderLine, OrderTotals, StoreOrderDraft

    address, problem = ship_to(order)
    if address is None:
        return None, problem
    if not record.currency:
        return None, "the order has no currency"
    lines = tuple(OrderLine(variant_key=line.variant_key, sku=line.seller_sku, name=line.name or line.tiktok_sku_id,
                            quantity=line.quantity, unit_price=line.unit_price) for line in record.lines)
    totals = OrderTotals(subtotal=record.subtotal or Decimal("0"), shipping=record.shipping or Decimal("0"),
                         tax=record.tax or Decimal("0"), total=record.total or Decimal("0"))
    fbt = order.fulfillment_type == "FULFILLMENT_BY_TIKTOK"
    note = f"TikTok Shop order {order.id}" + (" (fulfilled by TikTok)" if fbt else "")
    return StoreOrderDraft(tiktok_order_id=str(order.id), lines=lines, ship_to=address,
                           email=settings.placeholder_email, currency=record.currency, totals=totals,
                           shipping_method="TikTok Shop", note=note, notify_customer=False,
                           external_fulfilment=fbt), None


def relay(deps: RelayDeps, connection_id: str, shop_id: str, tiktok_order_id: str, token: str, *,
          read: Order | None = None) -> RelayResult:
    """Relay one order (idempotent; safe to run again after any failure with the same token).
    ``read``: the order as the caller has just read it from TikTok (spares a second read)."""
    from connector import metrics
    from connector.observability import count, logger

    now = int(deps.clock())
    existing = deps.orders.get(connection_id, tiktok_order_id)
    if existing is not None and existing.verify_after is not None and existing.state in RELAYED_STATES:
        return verify_single(deps, existing, now)
    if existing is not None and existing.state in RELAYED_STATES | {"cancelled", "skipped"}:
        # Relayed (or settled) already: a duplicate or late relay costs one read, no API call.
        return RelayResult("already", tiktok_order_id, existing.attempts, store_order_id=existing.store_order_id,
                           tiktok_status=existing.tiktok_status)
    found = [read] if read is not None and read.id == tiktok_order_id else deps.tiktok.get_orders(
        deps.shop, [tiktok_order_id])
    if not found:
        return RelayResult("not_found", tiktok_order_id, reason="TikTok does not know this order")
    order = found[0]
    if (existing is not None and existing.state == "blocked" and existing.blocked_by not in (None, token)
            and not token.startswith((MANUAL_PREFIX, SWEEP_PREFIX))):
        # Another relay owns this blocked order's automatic retries; a merchant's retry may take it.
        return RelayResult("already", tiktok_order_id, existing.attempts, existing.reason, tiktok_status=order.status)
    decision = decide(order, deps.settings)
    if decision == "not_paid":
        return RelayResult("not_paid", tiktok_order_id, tiktok_status=order.status)
    if decision == "relay" and existing is not None and not claimable(
            existing, token, now, take_over=token.startswith(MANUAL_PREFIX)):
        # Another relay's live claim (a duplicated notification of a new order): the claim's
        # conditional write would fail, and bill the whole record for it. Nothing more is read.
        count("OrderRelayClaimLost")
        return RelayResult("already", tiktok_order_id, existing.attempts, tiktok_status=order.status)
    lines = summarize(order, deps.settings.price_source)
    lines, problems = resolve_lines(deps, connection_id, lines)
    if decision == "cancelled":
        if existing is not None and existing.state in UNRELAYED_STATES:
            settle_cancelled(deps, existing, now)
        return RelayResult("cancelled", tiktok_order_id, tiktok_status=order.status)
    if decision == "skip_fbt":
        record = base_record(connection_id, shop_id, order, lines, now, "skipped")
        deps.orders.put_new(record.model_copy(update={
            "reason": "fulfilled by TikTok; relaying these orders is off in the settings", "pending_units": {}}))
        return RelayResult("skipped", tiktok_order_id, tiktok_status=order.status)
    if decision == "wait_hold":
        record = base_record(connection_id, shop_id, order, lines, now, "waiting_hold")
        if deps.orders.put_new(record.model_copy(update={"reason": "on hold: TikTok's cancellation window",
                                                         "deadline_at": now + HOLD_RECHECK_S})):
            deps.stock_changed(_products(record))
        elif existing is not None and existing.state == "waiting_hold":
            deps.orders.update_fields(connection_id, tiktok_order_id, now, {"deadline_at": now + HOLD_RECHECK_S})
        return RelayResult("waiting_hold", tiktok_order_id, tiktok_status=order.status)

    record = base_record(connection_id, shop_id, order, lines, now, "claimed")
    if existing is not None:
        record = record.model_copy(update={"attempts": existing.attempts})
    try:
        claimed = deps.orders.claim(record, token, now, LEASE_S, take_over=token.startswith(MANUAL_PREFIX),
                                    previous_units=existing.pending_units if existing is not None else None)
    except ClaimLost:
        count("OrderRelayClaimLost")
        return RelayResult("already", tiktok_order_id, record.attempts, tiktok_status=order.status)
    if existing is None or existing.pending_units != claimed.pending_units:
        deps.stock_changed(_products(claimed))

    draft = None
    if not lines:
        problems.append("every line of the order is cancelled or has no SKU: there is nothing to create in the store")
    if not problems:
        draft, problem = draft_for(order, claimed, deps.settings)
        if problem:
            problems.append(problem)
    if problems or draft is None:
        return _block(deps, connection_id, tiktok_order_id, token, claimed, "; ".join(problems), now, order.status)

    try:
        created = create_in_store(deps, connection_id, tiktok_order_id, token, claimed, draft)
    except StoreError as exc:
        if exc.retryable:
            raise
        return _block(deps, connection_id, tiktok_order_id, token, claimed, refusal_reason(exc), now, order.status)
    if isinstance(created, RelayResult):
        return created
    store_order, reposted = created
    deps.after_store_create(tiktok_order_id)
    recorded_at = int(deps.clock())
    verify_after = recorded_at + deps.settle_s if reposted else None
    if not deps.orders.record_created(connection_id, tiktok_order_id, token, store_order.ext_id, recorded_at,
                                      verify_after=verify_after):
        # Our lease ran out and another relay took over (it finds this same store order), or the
        # order was cancelled on TikTok meanwhile: then this store order is cancelled too.
        count("OrderRelayRecordLost")
        now_record = deps.orders.get(connection_id, tiktok_order_id)
        if now_record is not None and now_record.state == "cancelled":
            cancel_store_orders(deps, now_record, [store_order], int(deps.clock()))
            return RelayResult("cancelled", tiktok_order_id, claimed.attempts, store_order_id=store_order.ext_id)
        return RelayResult("already", tiktok_order_id, claimed.attempts, store_order_id=store_order.ext_id)
    deps.stock_changed(_products(claimed))
    count(metrics.ORDERS_RELAYED)
    paid = order.paid_time or order.create_time
    if paid:  # from TikTok's paid time (whole seconds) to recorded
        metrics.latency(metrics.ORDER_RELAY_LATENCY, max(0.0, deps.clock() - paid) * 1000)
    logger().info("order relayed", extra={"tiktok_order_id": tiktok_order_id, "store_order_id": store_order.ext_id})
    if reposted:
        # Posted again after a settle window: look for a twin the lagging search hid.
        return RelayResult("verifying", tiktok_order_id, claimed.attempts, store_order_id=store_order.ext_id,
                           tiktok_status=order.status, wait_s=deps.settle_s)
    return RelayResult("created", tiktok_order_id, claimed.attempts, store_order_id=store_order.ext_id,
                       tiktok_status=order.status)


def _block(deps: RelayDeps, connection_id: str, tiktok_order_id: str, token: str, claimed: OrderRecord, reason: str,
           now: int, tiktok_status: str | None) -> RelayResult:
    """``blocked`` with a reason in plain words (``attempts`` + 1); the merchant is told on the
    first block and when automatic retries end."""
    from connector import metrics
    from connector.observability import logger

    attempts = claimed.attempts + 1
    give_up = attempts >= deps.max_attempts
    deps.orders.record_blocked(connection_id, tiktok_order_id, token, reason, now, give_up=give_up)
    if give_up:
        deps.stock_changed(_products(claimed))
    metrics.count_for_tenant(metrics.ORDERS_BLOCKED, connection_id)
    logger().info("order blocked", extra={"tiktok_order_id": tiktok_order_id, "attempts": attempts})
    if attempts == 1 or give_up:
        deps.notify_blocked(tiktok_order_id, reason)
    return RelayResult("gave_up" if give_up else "blocked", tiktok_order_id, attempts, reason,
                       tiktok_status=tiktok_status)


def refusal_reason(exc: StoreError) -> str:
    """A permanent store refusal in plain words (codes only, never a payload)."""
    from connector.stores.errors import AuthError, StoreNotFound

    code = f" (HTTP {exc.http_status}{', ' + exc.platform_code if exc.platform_code else ''})" \
        if exc.http_status else ""
    if isinstance(exc, AuthError):
        return (f"the store refused the app's access or plan{code}: re-authorize the store or check its plan, "
                "then retry the order")
    if isinstance(exc, StoreNotFound):
        return (f"the store does not know a product of this order any more{code}: re-link the TikTok SKU to a "
                "store product, then retry the order")
    return f"the store refused the order{code}: check the linked products and the order's details, then retry it"


# ------------------------------------------------------------------- cancelled before the store
def settle_cancelled(deps: RelayDeps, record: OrderRecord, now: int) -> None:
    """TikTok cancelled an order not recorded in the store yet, in any open state (a dead claim
    too). A store order can only exist if a create was ever attempted (an intent is open): then
    the store is searched and what it holds is cancelled (restocked) *before* the record moves, so
    a store failure here leaves the record with its deadline and the sweeper comes back. Then the
    record is ``cancelled`` and its pending units released."""
    if record.store_intent is not None:
        found = deps.store.find_orders_by_tiktok_id(record.tiktok_order_id)
        cancel_store_orders(deps, record, found, now)
    moved = deps.orders.set_state(record.connection_id, record.tiktok_order_id, "cancelled", now,
                                  only_from=tuple(sorted(UNRELAYED_STATES)),
                                  sets={"reason": "cancelled on TikTok before it reached the store"},
                                  removes=(*RETRY_FIELDS, "blocked_by"))
    if moved:
        deps.stock_changed(_products(record))


def cancel_store_orders(deps: RelayDeps, record: OrderRecord, found: list[StoreOrder], now: int) -> None:
    """Cancel (restocking) the store orders of a TikTok order cancelled before it was recorded,
    and keep their ids on the record."""
    from connector.stores.protocol import Cancellation, PaymentStatus

    for store_order in found:
        if store_order.payment_status is not PaymentStatus.CANCELLED:
            deps.store.cancel_order(Cancellation(order_ext_id=store_order.ext_id, restock=True,
                                                 reason="cancelled on TikTok Shop"))
    if found:
        deps.orders.update_fields(record.connection_id, record.tiktok_order_id, now,
                                  {"store_order_id": found[0].ext_id,
                                   "duplicate_store_orders": [o.ext_id for o in found[1:]]})


# ------------------------------------------------------------------- durable retry
def retry_delay(attempt: int, base_s: int) -> int:
    """Seconds before try ``attempt + 1`` after ``attempt`` transient failures: doubling from
    ``base_s``, at most :data:`MAX_RETRY_DELAY_S`."""
    return int(min(MAX_RETRY_DELAY_S, max(1, base_s) * 2 ** min(max(0, attempt - 1), 30)))


def park(deps: RelayDeps, connection_id: str, shop_id: str, tiktok_order_id: str, token: str,
         error: str) -> RelayResult:
    """The relay failed on a transient store or TikTok error: record ``retrying`` with the next
    try's time (the state machine waits for short delays; the sweeper resumes longer ones), or,
    after ``deps.give_up_s`` of failures, ``blocked`` with the reason and the merchant told."""
    from connector.observability import count, logger

    now = int(deps.clock())
    existing = deps.orders.get(connection_id, tiktok_order_id)
    if existing is None:
        first = OrderRecord(connection_id=connection_id, tiktok_order_id=tiktok_order_id, shop_id=shop_id,
                            state="retrying", created_at=now, updated_at=now, retry_attempts=1, retry_since=now,
                            retry_owner=token, last_error=error, deadline_at=now + retry_delay(1, deps.retry_base_s))
        if deps.orders.put_new(first):
            return RelayResult("retrying", tiktok_order_id, reason=error, wait_s=retry_delay(1, deps.retry_base_s))
        existing = deps.orders.get(connection_id, tiktok_order_id)
        if existing is None:
            raise RuntimeError(f"order {tiktok_order_id}: its record vanished")
    mine = existing.state == "retrying" or (existing.state == "claimed" and existing.claim_token == token)
    if not mine:
        # Settled meanwhile, or another relay owns it; an open record keeps its own deadline.
        return RelayResult("already", tiktok_order_id, existing.attempts, store_order_id=existing.store_order_id)
    attempt = (existing.retry_attempts or 0) + 1
    since = existing.retry_since or now
    if now - since >= deps.give_up_s:
        reason = (f"the store or TikTok kept failing for {max(1, (now - since) // 3600)} hours (last: {error}); "
                  "retry the order when they work again")
        if deps.orders.set_state(connection_id, tiktok_order_id, "blocked", now, only_from=("claimed", "retrying"),
                                 sets={"reason": reason}, removes=("pending_units", "claim_token", "deadline_at",
                                                                   "claim_expires_at", *RETRY_FIELDS)):
            deps.stock_changed(_products(existing))
            deps.notify_blocked(tiktok_order_id, reason)
            count("OrderRetryGaveUp")
        return RelayResult("gave_up", tiktok_order_id, existing.attempts, reason)
    wait = retry_delay(attempt, deps.retry_base_s)
    parked = deps.orders.record_retrying(connection_id, tiktok_order_id, token, now, now + wait, error)
    if parked is None:
        return RelayResult("already", tiktok_order_id, existing.attempts)
    logger().info("order relay retrying", extra={"tiktok_order_id": tiktok_order_id, "attempt": attempt,
                                                 "wait_s": wait, "error": error})
    # The first short waits happen inside the relay's execution; later ones end it, and the
    # sweeper resumes the record at its deadline.
    return RelayResult("retrying", tiktok_order_id, existing.attempts, error,
                       wait_s=wait if wait <= IN_EXECUTION_WAITS * deps.retry_base_s else 0)


# ------------------------------------------------------------------- creating the store order
VERIFY_CHECKS = 4
"""Searches for a twin after a second POST, at 1, 3, 7 and 15 settle windows after it."""


def verify_single(deps: RelayDeps, record: OrderRecord, now: int) -> RelayResult:
    """After a second POST (the first one's order was not found over the settle window), search
    again at growing intervals: a twin the lagging search hid is cancelled by the detector."""
    from connector.orders import duplicates

    due = record.verify_after or now
    if now < due:
        return RelayResult("verifying", record.tiktok_order_id, record.attempts, store_order_id=record.store_order_id,
                           wait_s=due - now)
    found = deps.store.find_orders_by_tiktok_id(record.tiktok_order_id)
    duplicates.settle(deps.store, deps.orders, record.connection_id, record.tiktok_order_id, found, now,
                      deps.notify_duplicate)
    checks = (record.verify_checks or 0) + 1
    if checks >= VERIFY_CHECKS:
        deps.orders.set_verify(record.connection_id, record.tiktok_order_id, None, checks)
        return RelayResult("already", record.tiktok_order_id, record.attempts, store_order_id=record.store_order_id)
    wait = deps.settle_s * 2 ** checks
    deps.orders.set_verify(record.connection_id, record.tiktok_order_id, now + wait, checks)
    return RelayResult("verifying", record.tiktok_order_id, record.attempts, store_order_id=record.store_order_id,
                       wait_s=wait)


def create_in_store(deps: RelayDeps, connection_id: str, tiktok_order_id: str, token: str, claimed: OrderRecord,
                    draft: StoreOrderDraft) -> tuple[StoreOrder, bool] | RelayResult:
    """The store order of ``draft``, created at most once as far as the store lets us know.

    Before every POST an intent is written on the record (conditional: no other intent open, so
    two invocations holding one claim never both post). While an intent is open, the outcome of
    its POST is unknown to us (it timed out, answered 5xx, or we crashed): the store is searched
    instead, and a new POST is allowed only when ``deps.settle_searches`` searches, the last at
    least ``deps.settle_s`` after the failure, found nothing. Until then the result is a
    ``settling`` RelayResult (the caller comes back after ``wait_s``). Otherwise the store order
    and whether it came from a second POST (then the caller looks for a twin later)."""
    import uuid

    from connector import metrics
    from connector.observability import count, logger
    from connector.orders import duplicates
    from connector.stores.errors import AmbiguousWrite, StoreError

    now = int(deps.clock())
    intent = claimed.store_intent
    if intent is not None:
        found = deps.store.find_orders_by_tiktok_id(tiktok_order_id)
        if found:
            kept = duplicates.settle(deps.store, deps.orders, connection_id, tiktok_order_id, found, now,
                                     deps.notify_duplicate)
            assert kept is not None
            return kept, False
        misses = deps.orders.record_settle_miss(connection_id, tiktok_order_id, intent, now)
        window_from = claimed.settle_from or claimed.store_intent_at or now
        if misses is None or misses < deps.settle_searches or now - window_from < deps.settle_s:
            return _settling(deps, tiktok_order_id, claimed)
        # Searched often and long enough: the POST of that intent created nothing.
        fresh = uuid.uuid4().hex
        if not deps.orders.record_intent(connection_id, tiktok_order_id, token, fresh, now, replaces=intent):
            return _settling(deps, tiktok_order_id, claimed)
        logger().info("order not in the store after the settle window: posting again",
                      extra={"tiktok_order_id": tiktok_order_id, "searches": misses})
        intent = fresh
        reposted = True
    else:
        reposted = False
        intent = uuid.uuid4().hex
        if not deps.orders.record_intent(connection_id, tiktok_order_id, token, intent, now):
            # Another invocation with this claim (a retry overlapping a slow attempt) is posting.
            return _settling(deps, tiktok_order_id, claimed)
    try:
        return deps.store.create_order(draft), reposted
    except AmbiguousWrite:
        deps.orders.record_ambiguous(connection_id, tiktok_order_id, intent, int(deps.clock()))
        count(metrics.ORDER_CREATE_AMBIGUOUS)
        logger().warning("store order creation ambiguous: settling before any new POST",
                         extra={"tiktok_order_id": tiktok_order_id})
        return _settling(deps, tiktok_order_id, claimed)
    except StoreError:
        # Refused before anything was created (429, validation, auth): the intent is closed.
        deps.orders.clear_intent(connection_id, tiktok_order_id, intent, int(deps.clock()))
        raise


def _settling(deps: RelayDeps, tiktok_order_id: str, claimed: OrderRecord) -> RelayResult:
    return RelayResult("settling", tiktok_order_id, claimed.attempts,
                       wait_s=max(1, -(-deps.settle_s // max(1, deps.settle_searches))))


# --------------------------------------------------------------------------- the fault hook
CRASH_RATE_ENV = "ORDER_RELAY_CRASH_RATE"
CRASH_SEED_ENV = "ORDER_RELAY_CRASH_SEED"
_CRASHED: set[str] = set()


def crash_hook_from_env(environ: Any = None) -> Callable[[str], None]:
    """Local cloud only (documented in docs/development.md): with ``ORDER_RELAY_CRASH_RATE`` set
    (0..1), that share of relays (chosen by a hash of ``ORDER_RELAY_CRASH_SEED`` and the order id,
    so a seed reproduces a run) crash once right after the store created the order and before
    we recorded it. Unset, as in every deployed stack, it does nothing."""
    from connector.runtime import environ as runtime_environ

    env = environ if environ is not None else runtime_environ()
    try:
        rate = float(env.get(CRASH_RATE_ENV) or 0)
    except ValueError:
        rate = 0.0
    if rate <= 0:
        return lambda order_id: None
    seed = str(env.get(CRASH_SEED_ENV) or "0")

    def crash(order_id: str) -> None:
        digest = int(hashlib.sha256(f"{seed}:{order_id}".encode()).hexdigest()[:8], 16)
        if digest / 0xFFFFFFFF < rate and order_id not in _CRASHED:
            _CRASHED.add(order_id)
            raise InjectedCrash(f"injected crash after the store created order {order_id}")

    return crash
