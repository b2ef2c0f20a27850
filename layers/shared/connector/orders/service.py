"""The order features' entry points, wired from the handlers' collaborators:

- :func:`on_tiktok_event` / :func:`on_store_event`: the events queue consumer's handlers
  (registered in :data:`connector.connections.events.EVENT_HANDLERS`);
- :func:`relay_step`: one relay attempt (run inline by the events consumer, and the order relay
  state machine's step);
- :func:`start_relay`: starts one relay execution (the re-scan, the sweeper, the manual retry, and
  an inline attempt that must wait: :mod:`connector.orders.inline`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connector.observability import count, logger

if TYPE_CHECKING:
    from connector.connections.lifecycle import Collaborators
    from connector.connections.models import Connection, EventMessage, ShopLink
    from connector.orders.flows import FlowDeps
    from connector.orders.records import OrderRecord
    from connector.orders.relay import RelayDeps
    from connector.tiktok.models import Order
    from connector.tiktok.protocol import ShopRef

TIKTOK_ORDER_KINDS = ("order_status_change", "cancellation_status_change", "reverse_status_update",
                      "return_status_change", "recipient_address_update", "package_update")


def relay_state_machine_arn() -> str:
    from connector.errors import ConfigurationError
    from connector.runtime import environ

    arn = environ().get("ORDER_RELAY_STATE_MACHINE_ARN", "")
    if not arn:
        raise ConfigurationError("ORDER_RELAY_STATE_MACHINE_ARN is not set for this function",
                                 reason="bad_environment")
    return arn


def execution_name(kind: str, tiktok_order_id: str, discriminator: str) -> str:
    """Names dedupe: the same (order, cause) starts one execution, whatever the redeliveries."""
    digest = hashlib.sha256(discriminator.encode()).hexdigest()[:12]
    return f"{kind}-{tiktok_order_id}-{digest}"[:80]


def start_relay(connection_id: str, shop_id: str, tiktok_order_id: str, correlation_id: str, name: str, *,
                client: Any | None = None, arn: str | None = None, result: dict[str, Any] | None = None) -> bool:
    """Start a relay execution named ``name`` (its claim token). ``result``: the outcome of an
    attempt already made with that token; the execution starts at its wait instead of a new attempt."""
    import json

    from connector import aws

    sfn = client or aws.client("stepfunctions")
    payload: dict[str, Any] = {"connection_id": connection_id, "shop_id": shop_id,
                               "tiktok_order_id": tiktok_order_id, "correlation_id": correlation_id}
    if result is not None:
        payload["result"] = result
    try:
        sfn.start_execution(stateMachineArn=arn or relay_state_machine_arn(), name=name, input=json.dumps(payload))
    except sfn.exceptions.ExecutionAlreadyExists:
        return False
    count("OrderRelayStarted")
    return True


# ------------------------------------------------------------------------------ wiring
@dataclass
class Context:
    connection: Connection
    shop: ShopLink
    ref: ShopRef
    table: str


def context(c: Collaborators, connection_id: str, shop_id: str | None) -> Context:
    from connector.errors import NotFound
    from connector.tiktok.protocol import ShopRef

    connection = c.repo.require(connection_id)
    shops = c.repo.shops(connection_id)
    shop = next((s for s in shops if shop_id is None or s.shop_id == shop_id), None)
    if shop is None:
        raise NotFound(f"shop {shop_id} is not authorized for connection {connection_id}", reason="unknown_shop")
    return Context(connection, shop, ShopRef(shop.shop_id, shop.cipher), c.repo.table_name)


SYNC_AFTER_RECORD_S = 5
"""How long after a store order is recorded its products' stock is synced again: the store's
decrement is readable by then."""


def _stock_changed(connection_id: str, correlation_id: str, delay_s: int = 0) -> Callable[[set[str]], None]:
    def request(product_ids: set[str]) -> None:
        from connector.runtime import environ

        if not product_ids or not environ().get("STOCK_QUEUE_URL"):
            return
        try:
            from connector.catalog.stock.requests import request_stock_sync

            request_stock_sync(connection_id, sorted(product_ids), correlation_id, delay_s=delay_s)
        except Exception as exc:  # stock reconciliation catches up; never fail a relay for it
            count("OrderStockSyncRequestFailed")
            logger().warning("stock sync request failed", extra={"connection_id": connection_id,
                                                                 "error": type(exc).__name__})

    return request


def relay_deps(c: Collaborators, ctx: Context, correlation_id: str) -> RelayDeps:
    from connector.links import LinkRepository
    from connector.orders.records import OrderRepository
    from connector.orders.relay import RelayDeps, crash_hook_from_env
    from connector.settings import SettingsRepository

    connection_id = ctx.connection.connection_id

    def notify_blocked(order_id: str, reason: str) -> None:
        c.notifier.emit(connection_id, "order_blocked", f"TikTok order {order_id}: {reason}", correlation_id)

    return RelayDeps(
        notify_duplicate=duplicate_notifier(c, connection_id, correlation_id), settle_s=settle_seconds(),
        retry_base_s=_int_env("ORDER_RETRY_SECONDS", 2), give_up_s=_int_env("ORDER_RETRY_GIVE_UP_SECONDS", 72 * 3600),
        orders=OrderRepository(ctx.table), links=LinkRepository(ctx.table),
        settings=SettingsRepository(ctx.table).get(connection_id).orders,
        tiktok=c.tiktok_for(connection_id, correlation_id, connection=ctx.connection), shop=ctx.ref,
        store=c.store_for(ctx.connection),
        notify_blocked=notify_blocked, clock=c.clock, after_store_create=crash_hook_from_env(),
        stock_changed=_stock_changed(connection_id, correlation_id),
        stock_recorded=_stock_changed(connection_id, correlation_id, delay_s=SYNC_AFTER_RECORD_S))


def transient_errors() -> tuple[type[Exception], ...]:
    """Failures worth trying again later: the store or TikTok busy or down."""
    from connector.stores.errors import RateLimited as StoreRateLimited
    from connector.stores.errors import ServerError as StoreServerError
    from connector.tiktok.errors import RateLimited, ServerError

    return (RateLimited, ServerError, StoreRateLimited, StoreServerError)


def error_code(exc: Exception) -> str:
    """A transient error's kind for the record (``store_unavailable (503)``): no message, no payload."""
    code = getattr(exc, "code", None) or type(exc).__name__
    status = getattr(exc, "http_status", None)
    return f"{code} ({status})" if status else str(code)


def _int_env(name: str, default: int) -> int:
    from connector.runtime import environ

    try:
        return max(1, int(environ().get(name) or default))
    except ValueError:
        return default


def settle_seconds() -> int:
    """``ORDER_SETTLE_SECONDS`` (template parameter ``OrderSettleSeconds``, default 60)."""
    from connector.runtime import environ

    try:
        return max(1, int(environ().get("ORDER_SETTLE_SECONDS") or 60))
    except ValueError:
        return 60


def duplicate_notifier(c: Collaborators, connection_id: str, correlation_id: str) -> Callable[[str, str], None]:
    def notify(order_id: str, what: str) -> None:
        c.notifier.emit(connection_id, "order_duplicate", f"TikTok order {order_id}: {what}", correlation_id)

    return notify


def flow_deps(c: Collaborators, ctx: Context, correlation_id: str) -> FlowDeps:
    from connector.orders.flows import FlowDeps
    from connector.orders.records import OrderRepository
    from connector.settings import SettingsRepository

    connection_id = ctx.connection.connection_id

    def notify(event: str, order_id: str, reason: str) -> None:
        c.notifier.emit(connection_id, event, f"TikTok order {order_id}: {reason}", correlation_id)

    return FlowDeps(orders=OrderRepository(ctx.table), settings=SettingsRepository(ctx.table).get(connection_id),
                    tiktok=c.tiktok_for(connection_id, correlation_id, connection=ctx.connection), shop=ctx.ref,
                    store=c.store_for(ctx.connection), notify=notify, clock=c.clock)


# ------------------------------------------------------- the relay step (inline, and the state machine's)
def relay_step(c: Collaborators, event: dict[str, Any], *, read: Order | None = None,
               ctx: Context | None = None) -> dict[str, Any]:
    """One relay attempt with the claim token ``event["token"]``; the state machine loops on the
    outcomes that must wait (waits, then calls again with the same token)."""
    from connector.orders.records import OrderRepository
    from connector.orders.relay import relay

    connection_id = str(event["connection_id"])
    order_id = str(event["tiktok_order_id"])
    token = str(event.get("token") or event.get("execution") or "")
    if not token:
        raise ValueError("the relay step needs a claim token (its execution name)")
    correlation_id = str(event.get("correlation_id") or token)
    if ctx is None:  # (the events consumer passes the context it has just read and checked)
        connection = c.repo.get(connection_id)
        if connection is None or not connection.syncing:
            # Paused, needs re-authorization or gone: nothing is relayed; when the connection is
            # active again the re-scan (whose cursor did not move meanwhile) relays what is missing.
            return {"outcome": "paused", "tiktok_order_id": order_id, "attempts": 0, "wait_s": 0}
        ctx = context(c, connection_id, event.get("shop_id"))
    deps = relay_deps(c, ctx, correlation_id)
    # The products whose pending units moved during this attempt: at most one stock sync request,
    # at its end. When the attempt recorded the store order, its pending units are gone and the
    # request is delayed a few seconds: a sync at once could read the store before its decrement.
    # The store's product webhook queues a sync too, but that one may run before the record, with
    # the units still held back on top of the store's decrement (TikTok then lower than the store,
    # and nothing left to announce their release): the delayed request closes that.
    changed: set[str] = set()
    request_sync, deps.stock_changed = deps.stock_changed, changed.update
    recorded = False
    try:
        result = relay(deps, connection_id, ctx.shop.shop_id, order_id, token, read=read)
        recorded = result.outcome in ("created", "verifying")
    except transient_errors() as exc:
        # The store or TikTok is down or busy: park the order ``retrying`` (durable, growing delays).
        from connector.orders.relay import park

        logger().warning("order relay: transient failure", extra={"tiktok_order_id": order_id,
                                                                  "error": type(exc).__name__})
        result = park(deps, connection_id, ctx.shop.shop_id, order_id, token, error_code(exc))
    finally:
        if recorded:
            deps.stock_recorded(changed)
        else:
            request_sync(changed)
    if result.outcome == "created" and result.tiktok_status not in (None, "AWAITING_SHIPMENT", "ON_HOLD"):
        # Relayed late (a missed order): bring the store up to TikTok's status at once.
        record = OrderRepository(ctx.table).get(connection_id, order_id)
        if record is not None:
            flows = flow_deps(c, ctx, correlation_id)
            from connector.orders.flows import sync_from_tiktok

            sync_from_tiktok(flows, record, flows.tiktok.get_orders(ctx.ref, [order_id])[0])
    return {"outcome": result.outcome, "tiktok_order_id": order_id, "attempts": result.attempts,
            "store_order_id": result.store_order_id, "wait_s": result.wait_s}


# ---------------------------------------------------------------------- events
def on_tiktok_event(message: EventMessage, c: Collaborators) -> str:
    """TikTok order webhooks: relay an order not in the store yet, or carry the
    change (status, cancellation, refund, address) to the store order."""
    from connector.orders.records import OrderRepository

    order_id = message.entity_ids.get("order_id")
    if not order_id:
        return "no_order_id"
    if not c.repo.require(message.connection_id).syncing:
        return "paused"
    ctx = context(c, message.connection_id, message.shop_id)
    record = OrderRepository(ctx.table).get(message.connection_id, order_id)
    if record is None or record.store_order_id is None:
        if record is not None and record.state in ("skipped", "cancelled"):
            return "not_relayed"
        if record is not None and record.state == "blocked":
            return "blocked"  # its relay retries it (or the merchant, by hand)
        if record is not None and record.state == "claimed" and (record.claim_expires_at or 0) > c.clock():
            return "relay_running"
        if record is not None and record.state == "retrying" and (record.deadline_at or 0) > c.clock():
            return "retrying"  # tried again at its deadline (its relay, or the sweeper)
        if record is None:
            # Most order webhooks of a new order are not worth a relay (UNPAID first, FBT off):
            # one read of TikTok decides, and duplicates of a paid order reach the claim.
            from connector.orders.relay import decide
            from connector.settings import SettingsRepository

            found = c.tiktok_for(message.connection_id, message.correlation_id).get_orders(ctx.ref, [order_id])
            if not found:
                return "unknown_order"
            decision = decide(found[0], SettingsRepository(ctx.table).get(message.connection_id).orders)
            if decision in ("not_paid", "cancelled"):
                return "not_relayed"
            read = found[0]
        else:
            read = None
        # Relayed here and now (duplicated webhooks meet at the claim); the state machine only
        # if the order must wait.
        from connector.orders.inline import relay_inline

        return relay_inline(c, ctx, order_id, message.correlation_id, read=read)
    return apply_tiktok_change(c, ctx, record, message.kind, message.correlation_id)


def apply_tiktok_change(c: Collaborators, ctx: Context, record: OrderRecord, kind: str, correlation_id: str) -> str:
    from connector.orders import flows

    deps = flow_deps(c, ctx, correlation_id)
    if kind in ("reverse_status_update", "return_status_change"):
        return flows.refund_from_tiktok(deps, record)
    order = deps.tiktok.get_orders(ctx.ref, [record.tiktok_order_id])[0]
    if kind == "recipient_address_update":
        return flows.address_from_tiktok(deps, record, order)
    return flows.sync_from_tiktok(deps, record, order)


def on_store_event(message: EventMessage, c: Collaborators) -> str:
    """A store order changed: re-read it; shipped with tracking / cancelled -> TikTok."""
    from connector.orders import flows
    from connector.orders.records import OrderRepository

    store_order_id = message.entity_ids.get("entity_id")
    if not store_order_id:
        return "no_order_id"
    connection = c.repo.require(message.connection_id)
    store = c.store_for(connection)
    store_order = store.get_order(store_order_id)
    if not store_order.tiktok_order_id:
        return "not_a_tiktok_order"
    orders = OrderRepository(c.repo.table_name)
    record = orders.get(message.connection_id, store_order.tiktok_order_id)
    if record is None:
        return "unknown_order"
    if record.state == "cancelled" and record.store_order_id in (None, store_order.ext_id) \
            and store_order.payment_status.value != "cancelled" and record.relayed_at is None:
        # Cancelled on TikTok before it was recorded; this store order (its create was in doubt,
        # or lost the race with the cancellation) is cancelled too, restocking it.
        from connector.orders.relay import cancel_store_orders

        ctx = context(c, message.connection_id, record.shop_id)
        cancel_store_orders(relay_deps(c, ctx, message.correlation_id), record, [store_order], int(c.clock()))
        return "cancelled_late_store_order"
    if record.store_order_id is not None and record.store_order_id != store_order.ext_id:
        if store_order.ext_id in record.duplicate_store_orders:
            return "duplicate_cancelled"
        # A second store order for one TikTok order: keep the oldest, cancel the rest.
        from connector.orders import duplicates

        found = store.find_orders_by_tiktok_id(store_order.tiktok_order_id)
        if not any(o.ext_id == store_order.ext_id for o in found):
            found.append(store_order)  # the search lags: the event's order is newer than those listed
        found.sort(key=duplicates.age)
        duplicates.settle(store, orders, message.connection_id, store_order.tiktok_order_id, found, int(c.clock()),
                          duplicate_notifier(c, message.connection_id, message.correlation_id))
        return "duplicate_cancelled"
    if record.store_order_id is None:
        return "not_recorded_yet"  # the relay (settling or about to record) finds it by its search
    ctx = context(c, message.connection_id, record.shop_id)
    return flows.from_store(flow_deps(c, ctx, message.correlation_id), record, store_order)
