"""The duplicate detector: one TikTok order must be one store order.

Ecwid has no idempotency key, so the relay's settle window (see :mod:`connector.orders.relay`)
makes a second POST unlikely, not impossible (a store whose search lags longer than the window).
Whenever two or more store orders carry one TikTok order id (found by the relay's search, or by a
store ``order_changed`` event for an order that is not the recorded one), the oldest is kept and
every newer one is cancelled in the store (which puts its stock back), the order record lists
them in ``duplicate_store_orders``, the merchant is notified and the operator alarmed
(``OrderDuplicateCancelled``). Keeping the oldest is a rule every detector applies alike, so
two detectors running at once agree on the order they keep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connector.orders.records import OrderRepository
    from connector.stores.protocol import StoreOrder, StorePlatform


def age(order: StoreOrder) -> tuple[int, str]:
    """Sort key, oldest first: the store's sequential number (Ecwid ``internalId``)."""
    digits = order.internal_id or order.number or ""
    return (int(digits) if digits.isdigit() else 0, order.ext_id)


def settle(store: StorePlatform, orders: OrderRepository, connection_id: str, tiktok_order_id: str,
           found: list[StoreOrder], now: int, notify: Callable[[str, str], None]) -> StoreOrder | None:
    """Keep the oldest of ``found`` (oldest first, as the adapter lists them), cancel the others
    in the store and mark the record. Returns the order kept (``None`` when ``found`` is empty)."""
    from connector import metrics
    from connector.observability import count, logger
    from connector.stores.protocol import Cancellation, PaymentStatus

    if not found:
        return None
    keep, newer = found[0], found[1:]
    if not newer:
        return keep
    cancelled: list[str] = []
    for duplicate in newer:
        if duplicate.payment_status is not PaymentStatus.CANCELLED:
            store.cancel_order(Cancellation(order_ext_id=duplicate.ext_id, restock=True,
                                            reason=f"duplicate of store order {keep.ext_id} for TikTok order "
                                                   f"{tiktok_order_id}"))
            count(metrics.ORDER_DUPLICATES_CANCELLED)
        cancelled.append(duplicate.ext_id)
    orders.record_duplicates(connection_id, tiktok_order_id, keep.ext_id, cancelled, now)
    logger().warning("duplicate store orders cancelled", extra={
        "tiktok_order_id": tiktok_order_id, "kept": keep.ext_id, "cancelled": cancelled})
    notify(tiktok_order_id, f"the store held {len(found)} orders for it; kept store order {keep.ext_id} and "
                            f"cancelled {', '.join(cancelled)} (stock put back)")
    return keep
