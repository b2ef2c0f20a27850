"""A TikTok cancellation settles an order not recorded in the store in any open state, a dead
claim included; a store order that exists (its create was in doubt, or lost the race with the
cancellation) is cancelled in the store. In-memory fakes."""

from __future__ import annotations

from typing import Any

import pytest

from connector.orders import relay as r
from connector.orders.records import OrderRecord
from connector.stores.protocol import Cancellation, PaymentStatus, StoreOrder
from tests.unit.orders.test_order_relay import FakeStore, deps, order
from tests.unit.orders.test_order_retry import RetryingOrders


class CancellingOrders(RetryingOrders):
    def update_fields(self, connection_id: str, order_id: str, now: int, sets: dict[str, Any]) -> None:
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in sets.items()}
        self.items[order_id] = self.items[order_id].model_copy(update=values)


class CancellingStore(FakeStore):
    def __init__(self) -> None:
        super().__init__()
        self.cancelled: list[str] = []

    def cancel_order(self, cancellation: Cancellation) -> StoreOrder:
        self.cancelled.append(cancellation.order_ext_id)
        for i, o in enumerate(self.orders):
            if o.ext_id == cancellation.order_ext_id:
                self.orders[i] = o.model_copy(update={"payment_status": PaymentStatus.CANCELLED})
                return self.orders[i]
        raise AssertionError(cancellation.order_ext_id)


def setup(status: str = "CANCELLED") -> tuple[r.RelayDeps, dict[str, Any], CancellingStore]:
    d, seen = deps(order(status))
    d.orders = CancellingOrders()  # type: ignore[assignment]
    store = CancellingStore()
    d.store = store
    return d, seen, store


def put(d: r.RelayDeps, state: str, **fields: Any) -> OrderRecord:
    record = r.base_record("c1", "shop", order(), r.summarize(order(), "paid"), 900, state).model_copy(
        update={"pending_units": {"100": 2, "200": 1}, **fields})
    d.orders.items["5001"] = record  # type: ignore[attr-defined]
    return record


@pytest.mark.parametrize(("state", "fields"), [
    ("claimed", {"claim_token": "dead", "claim_expires_at": 950, "deadline_at": 950}),  # a dead claim
    ("claimed", {"claim_token": "live", "claim_expires_at": 5000, "deadline_at": 5000}),
    ("retrying", {"deadline_at": 2000, "retry_attempts": 3, "retry_since": 900}),
    ("blocked", {"reason": "unlinked"}),
    ("waiting_hold", {"deadline_at": 4000}),
])
def test_a_cancellation_settles_every_open_state(state: str, fields: dict[str, Any]) -> None:
    d, seen, store = setup()
    put(d, state, **fields)
    assert r.relay(d, "c1", "shop", "5001", "tok").outcome == "cancelled"
    record = d.orders.get("c1", "5001")
    assert record is not None and record.state == "cancelled" and record.pending_units == {}
    assert record.deadline_at is None and record.retry_attempts is None
    assert store.cancelled == [] and seen["stock"]  # never posted: nothing to look for in the store


def test_a_store_order_of_a_create_in_doubt_is_cancelled_in_the_store() -> None:
    d, _, store = setup()
    store.orders.append(StoreOrder.model_validate({
        "ext_id": "S1", "tiktok_order_id": "5001", "payment_status": "paid", "fulfilment_status": "awaiting_processing",
        "totals": {"subtotal": "1", "shipping": "0", "tax": "0", "total": "1"}}))
    put(d, "claimed", claim_token="dead", claim_expires_at=950, store_intent="i1", store_intent_at=950,
        settle_from=951)
    assert r.relay(d, "c1", "shop", "5001", "tok").outcome == "cancelled"
    record = d.orders.get("c1", "5001")
    assert record is not None and record.state == "cancelled" and record.store_order_id == "S1"
    assert store.cancelled == ["S1"]


def test_a_relay_that_created_the_order_as_it_was_cancelled_cancels_its_store_order() -> None:
    d, _, store = setup("AWAITING_SHIPMENT")

    def cancel_meanwhile(order_id: str) -> None:  # TikTok's cancellation lands between create and record
        current = d.orders.items[order_id]  # type: ignore[attr-defined]
        d.orders.items[order_id] = current.model_copy(update={"state": "cancelled"})  # type: ignore[attr-defined]

    d.after_store_create = cancel_meanwhile
    result = r.relay(d, "c1", "shop", "5001", "tok")
    assert result.outcome == "cancelled" and store.cancelled == [result.store_order_id]
    record = d.orders.get("c1", "5001")
    assert record is not None and record.store_order_id == result.store_order_id
