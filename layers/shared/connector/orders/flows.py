"""What happens to an order after it reached the store, both ways.

TikTok -> store (webhooks are hints, so every flow re-reads the TikTok order):
  - status: AWAITING_COLLECTION / IN_TRANSIT -> store shipped with tracking; DELIVERED /
    COMPLETED -> store delivered; CANCELLED -> store order cancelled, Ecwid restocks,
    optionally archived; a completed refund -> store refunded; address change before
    shipment -> store address updated.
Store -> TikTok:
  - shipped with a tracking number -> the TikTok package ships with the mapped provider;
  - cancelled -> TikTok seller cancellation where TikTok allows it, else the reason is kept on
    the order record and the merchant is told.

Our own writes come back as webhooks: each flow compares with the record's state
first and does nothing when the change is already there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connector.orders.records import OrderRecord, OrderRepository

if TYPE_CHECKING:
    from connector.settings import ConnectionSettings
    from connector.stores.protocol import StoreOrder, StorePlatform
    from connector.tiktok.models import Order
    from connector.tiktok.protocol import ShopRef, TikTokShop

#: TikTok status -> our state once the order is in the store.
STATE_OF_STATUS = {
    "AWAITING_SHIPMENT": "created",
    "PARTIALLY_SHIPPING": "created",
    "AWAITING_COLLECTION": "shipped",
    "IN_TRANSIT": "in_transit",
    "DELIVERED": "delivered",
    "COMPLETED": "completed",
    "CANCELLED": "cancelled",
}
_RANK = {"created": 0, "shipped": 1, "in_transit": 2, "delivered": 3, "completed": 4}
FINAL = frozenset({"cancelled", "refunded"})


@dataclass
class FlowDeps:
    orders: OrderRepository
    settings: ConnectionSettings
    tiktok: TikTokShop
    shop: ShopRef
    store: StorePlatform
    notify: Callable[[str, str, str], None]
    """(event, tiktok_order_id, reason) -> merchant notification."""
    clock: Callable[[], float]


def _now(deps: FlowDeps) -> int:
    return int(deps.clock())


# ------------------------------------------------------------------------ TikTok -> store
def sync_from_tiktok(deps: FlowDeps, record: OrderRecord, order: Order) -> str:
    """Reflect TikTok's status of a relayed order (shipping progress or a cancellation) on the store.
    Returns the outcome."""
    from connector.stores.protocol import Cancellation, Fulfilment

    if record.store_order_id is None or record.state in FINAL:
        return "unchanged"
    target = STATE_OF_STATUS.get(order.status)
    now = _now(deps)
    if target is None:
        return "unchanged"
    if target == "cancelled":
        deps.store.cancel_order(Cancellation(order_ext_id=record.store_order_id,
                                             reason="cancelled on TikTok Shop", restock=True))
        if deps.settings.orders.archive_cancelled:
            _archive(deps, record.store_order_id)
        moved = deps.orders.set_state(record.connection_id, record.tiktok_order_id, "cancelled", now,
                                      sets={"reason": order.cancel_reason or "cancelled on TikTok",
                                            "tiktok_status": order.status})
        return "cancelled" if moved else "unchanged"
    if _RANK.get(target, 0) <= _RANK.get(record.state, 0):
        return "unchanged"
    tracking = order.tracking_number or _line_tracking(order)
    if target in ("shipped", "in_transit", "delivered", "completed"):
        current = deps.store.get_order(record.store_order_id)
        delivered = target in ("delivered", "completed")
        needs = (delivered and current.fulfilment_status.value != "delivered") or (
            not delivered and current.fulfilment_status.value not in ("shipped", "delivered", "out_for_delivery"))
        if needs and tracking:
            deps.store.fulfil_order(Fulfilment(order_ext_id=record.store_order_id, tracking_number=tracking,
                                               carrier=order.shipping_provider, delivered=delivered))
    moved = deps.orders.set_state(record.connection_id, record.tiktok_order_id, target, now,
                                  only_from=tuple(s for s, r in _RANK.items() if r < _RANK[target]),
                                  sets={"tiktok_status": order.status,
                                        **({"tracking_number": tracking} if tracking else {})})
    return target if moved else "unchanged"


def _line_tracking(order: Order) -> str | None:
    for line in order.line_items:
        if line.tracking_number:
            return line.tracking_number
    return None


def _archive(deps: FlowDeps, store_order_id: str) -> None:
    archive = getattr(deps.store, "archive_order", None)
    if callable(archive):
        archive(store_order_id)


def refund_from_tiktok(deps: FlowDeps, record: OrderRecord) -> str:
    """Refunds: a completed refund on TikTok marks the store order refunded (partial when only some
    lines were refunded)."""
    if record.store_order_id is None or record.state == "refunded":
        return "unchanged"
    returns = deps.tiktok.search_returns(deps.shop, order_ids=[record.tiktok_order_id]).items
    done = [r for r in returns if r.return_status in ("RETURN_OR_REFUND_REQUEST_COMPLETE", "REFUND_SUCCESS")]
    if not done:
        return "unchanged"
    refunded_lines = {str(i) for r in done for i in _return_line_ids(r)}
    units = sum(line.quantity for line in record.lines)
    partial = bool(refunded_lines) and len(refunded_lines) < units
    deps.store.mark_refunded(record.store_order_id, partial=partial)
    if partial:
        deps.orders.update_fields(record.connection_id, record.tiktok_order_id, _now(deps),
                                  {"reason": "partially refunded on TikTok"})
        return "partially_refunded"
    deps.orders.set_state(record.connection_id, record.tiktok_order_id, "refunded", _now(deps),
                          sets={"reason": "refunded on TikTok"})
    return "refunded"


def _return_line_ids(found: object) -> list[str]:
    ids: list[str] = []
    for line in getattr(found, "return_line_items", []) or []:
        value = line.get("order_line_item_id") or line.get("id") if isinstance(line, dict) else line
        if value is not None:
            ids.append(str(value))
    return ids


def address_from_tiktok(deps: FlowDeps, record: OrderRecord, order: Order) -> str:
    """Address changes: before shipment, the store order gets the new address."""
    from connector.orders.relay import ship_to

    if record.store_order_id is None or record.state != "created":
        return "unchanged"
    address, _ = ship_to(order)
    if address is None:
        return "unchanged"
    deps.store.update_ship_to(record.store_order_id, address)
    deps.orders.update_fields(record.connection_id, record.tiktok_order_id, _now(deps),
                              {"tiktok_update_time": order.update_time or _now(deps)})
    return "address_updated"


# ------------------------------------------------------------------------ store -> TikTok
def from_store(deps: FlowDeps, record: OrderRecord, store_order: StoreOrder) -> str:
    """A store order changed (Ecwid ``order_changed``, re-read): ship or cancel on TikTok."""
    status = store_order.payment_status.value
    if status == "cancelled" and record.state not in FINAL:
        return _cancel_on_tiktok(deps, record)
    if (store_order.fulfilment_status.value in ("shipped", "delivered", "out_for_delivery")
            and store_order.tracking_number and record.state == "created"):
        return _ship_on_tiktok(deps, record, store_order)
    return "unchanged"


def _ship_on_tiktok(deps: FlowDeps, record: OrderRecord, store_order: StoreOrder) -> str:
    from connector.tiktok.errors import BadRequest, TikTokError

    provider = deps.settings.carriers.provider_for(store_order.carrier)
    now = _now(deps)
    if provider is None:
        reason = (f"shipped in the store with carrier {store_order.carrier or '(none)'}, which maps to no TikTok "
                  "shipping provider and there is no default: set one in the carrier mapping")
        deps.orders.update_fields(record.connection_id, record.tiktok_order_id, now, {"reason": reason})
        deps.notify("order_not_shipped", record.tiktok_order_id, reason)
        return "no_provider"
    tracking = str(store_order.tracking_number)
    order = deps.tiktok.get_orders(deps.shop, [record.tiktok_order_id])[0]
    if order.status not in ("AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"):
        # Already shipped on TikTok (our earlier attempt, or TikTok shipped it): just follow.
        return sync_from_tiktok(deps, record, order)
    packages = [str(p.id) for p in order.packages] or list(record.package_ids)
    try:
        if packages:
            for package_id in packages:
                deps.tiktok.ship_package(deps.shop, package_id, tracking_number=tracking,
                                         shipping_provider_id=provider)
        else:
            deps.tiktok.mark_package_shipped(deps.shop, record.tiktok_order_id, tracking_number=tracking,
                                             shipping_provider_id=provider)
    except BadRequest as exc:
        reason = f"TikTok refused the shipment ({exc.code}): check the tracking number and carrier"
        deps.orders.update_fields(record.connection_id, record.tiktok_order_id, now, {"reason": reason})
        deps.notify("order_not_shipped", record.tiktok_order_id, reason)
        return "ship_refused"
    except TikTokError:
        raise
    deps.orders.set_state(record.connection_id, record.tiktok_order_id, "shipped", now, only_from=("created",),
                          sets={"tracking_number": tracking, "shipping_provider_id": provider,
                                "tiktok_status": "AWAITING_COLLECTION"})
    return "shipped"


def _cancel_on_tiktok(deps: FlowDeps, record: OrderRecord) -> str:
    from connector.tiktok.errors import BadRequest

    now = _now(deps)
    order = deps.tiktok.get_orders(deps.shop, [record.tiktok_order_id])[0]
    if order.status == "CANCELLED":
        deps.orders.set_state(record.connection_id, record.tiktok_order_id, "cancelled", now,
                              sets={"reason": "cancelled in the store and on TikTok", "tiktok_status": order.status})
        return "cancelled"
    if order.status not in ("AWAITING_SHIPMENT", "ON_HOLD", "PARTIALLY_SHIPPING"):
        reason = (f"cancelled in the store, but TikTok does not allow a seller cancellation once the order is "
                  f"{order.status.lower().replace('_', ' ')}: handle it in TikTok Seller Center (return or refund)")
        deps.orders.update_fields(record.connection_id, record.tiktok_order_id, now, {"reason": reason})
        deps.notify("order_cancel_refused", record.tiktok_order_id, reason)
        return "cancel_refused"
    try:
        deps.tiktok.cancel_order(deps.shop, record.tiktok_order_id, cancel_reason="seller_cancelled_in_store")
    except BadRequest as exc:
        reason = f"cancelled in the store, but TikTok refused the cancellation ({exc.code})"
        deps.orders.update_fields(record.connection_id, record.tiktok_order_id, now, {"reason": reason})
        deps.notify("order_cancel_refused", record.tiktok_order_id, reason)
        return "cancel_refused"
    deps.orders.set_state(record.connection_id, record.tiktok_order_id, "cancelled", now,
                          sets={"reason": "cancelled in the store"})
    return "cancelled"
