"""Fulfilment, cancellations and status mapping with in-memory fakes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.orders import flows
from connector.orders.records import OrderRecord
from connector.settings import ConnectionSettings
from connector.stores.protocol import FulfilmentStatus, OrderTotals, PaymentStatus, StoreOrder
from connector.tiktok.client import ShopRef
from connector.tiktok.models import Order


class Recorder:
    def __init__(self, status: str) -> None:
        self.status = status
        self.calls: list[tuple[str, Any]] = []

    def get_orders(self, shop: ShopRef, ids: list[str]) -> list[Order]:
        return [Order.model_validate({"id": ids[0], "status": self.status, "packages": [{"id": "pk1"}],
                                      "tracking_number": "TRK1", "shipping_provider": "USPS"})]

    def ship_package(self, shop: ShopRef, package_id: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("ship", (package_id, kwargs)))
        return {}

    def cancel_order(self, shop: ShopRef, order_id: str, **kwargs: Any) -> None:
        self.calls.append(("cancel", order_id))

    # store side
    def get_order(self, ext_id: str) -> StoreOrder:
        return store_order()

    def fulfil_order(self, fulfilment: Any) -> StoreOrder:
        self.calls.append(("fulfil", fulfilment))
        return store_order()

    def cancel_order_store(self, cancellation: Any) -> StoreOrder:
        self.calls.append(("store_cancel", cancellation))
        return store_order()


class Orders:
    def __init__(self) -> None:
        self.states: list[tuple[str, dict[str, Any]]] = []
        self.fields: list[dict[str, Any]] = []

    def set_state(self, connection_id: str, order_id: str, state: str, now: int, **kwargs: Any) -> bool:
        self.states.append((state, kwargs))
        return True

    def update_fields(self, connection_id: str, order_id: str, now: int, sets: dict[str, Any]) -> None:
        self.fields.append(dict(sets))


def store_order(**changes: Any) -> StoreOrder:
    base = StoreOrder(ext_id="9", tiktok_order_id="5001", totals=OrderTotals(subtotal=Decimal(1), total=Decimal(1)),
                      payment_status=PaymentStatus.PAID, fulfilment_status=FulfilmentStatus.SHIPPED,
                      tracking_number="1Z9", carrier="UPS")
    return base.model_copy(update=changes)


def record(state: str = "created") -> OrderRecord:
    return OrderRecord(connection_id="c1", tiktok_order_id="5001", shop_id="s", state=state,  # type: ignore[arg-type]
                       store_order_id="9", created_at=1, updated_at=1)


def deps(status: str, settings: dict[str, Any] | None = None) -> tuple[flows.FlowDeps, Recorder, Orders, list[Any]]:
    rec, orders, notes = Recorder(status), Orders(), []
    d = flows.FlowDeps(orders=orders, settings=ConnectionSettings.model_validate(settings or {}),  # type: ignore[arg-type]
                       tiktok=rec, shop=ShopRef("s", "c"), store=rec,  # type: ignore[arg-type]
                       notify=lambda *a: notes.append(a), clock=lambda: 10.0)
    return d, rec, orders, notes


def test_store_shipment_ships_each_package_with_the_mapped_provider() -> None:
    d, rec, orders, _ = deps("AWAITING_SHIPMENT", {"carriers": {"default_provider_id": "p0",
                                                                 "by_carrier": {"ups": "p-ups"}}})
    assert flows.from_store(d, record(), store_order()) == "shipped"
    assert rec.calls == [("ship", ("pk1", {"tracking_number": "1Z9", "shipping_provider_id": "p-ups"}))]
    assert orders.states[0][0] == "shipped"


def test_store_shipment_without_a_provider_mapping_says_why_and_ships_nothing() -> None:
    d, rec, orders, notes = deps("AWAITING_SHIPMENT")
    assert flows.from_store(d, record(), store_order(carrier="Local courier")) == "no_provider"
    assert rec.calls == [] and "maps to no TikTok shipping provider" in orders.fields[0]["reason"]
    assert notes and notes[0][0] == "order_not_shipped"


def test_our_own_shipment_coming_back_does_nothing() -> None:
    d, rec, _, _ = deps("AWAITING_COLLECTION")
    assert flows.from_store(d, record("shipped"), store_order()) == "unchanged" and rec.calls == []


def test_store_cancellation_after_shipment_is_refused_with_a_reason() -> None:
    d, rec, orders, notes = deps("IN_TRANSIT")
    cancelled = store_order(payment_status=PaymentStatus.CANCELLED)
    assert flows.from_store(d, record("in_transit"), cancelled) == "cancel_refused"
    assert not any(call[0] == "cancel" for call in rec.calls)
    assert "does not allow a seller cancellation once the order is in transit" in orders.fields[0]["reason"]
    assert notes[0][0] == "order_cancel_refused"


def test_store_cancellation_before_shipment_cancels_on_tiktok() -> None:
    d, rec, orders, _ = deps("AWAITING_SHIPMENT")
    assert flows.from_store(d, record(), store_order(payment_status=PaymentStatus.CANCELLED)) == "cancelled"
    assert ("cancel", "5001") in rec.calls and orders.states[-1][0] == "cancelled"


def test_status_moves_forward_only() -> None:
    d, _, orders, _ = deps("IN_TRANSIT")
    order = Recorder("IN_TRANSIT").get_orders(ShopRef("s", "c"), ["5001"])[0]
    assert flows.sync_from_tiktok(d, record("delivered"), order) == "unchanged" and orders.states == []
    assert flows.sync_from_tiktok(d, record("shipped"), order) == "in_transit"
