"""The order relay on the local cloud, normal path: buyer orders of every kind
the sandbox makes (paid, unpaid then paid, on hold, FBT, unlinked SKU, missed webhook) are relayed
or not as the settings say; then shipped with tracking from the store, moved along by TikTok,
cancelled both ways, refunded, and re-addressed, with statuses and stock checked on both sides.
The tests share one world; each has a connected shop of its own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from connector.stores.protocol import Cancellation, Fulfilment
from local.order_scenario import Shop, connect
from local.world import World, world
from tests.support.wait import until

QTY = 500


@pytest.fixture(scope="module")
def ow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    log = tmp_path_factory.mktemp("orders") / "functions.jsonl"
    with world(function_log=log, parameters={"OrderBlockedRetrySeconds": 1, "OrderRelayRetrySeconds": 1}) as w:
        yield w


@pytest.fixture
def shop(ow: World) -> Shop:
    """A connected shop of the test's own: three products on both sides, two of them linked."""
    s = connect(ow, products=3, linked=2, quantity=QTY)
    s.settings(on_hold="wait", relay_fbt=False, placeholder_email="buyer@orders.example")
    return s


def relayed(shop: Shop, order_id: str, timeout: float = 20) -> dict[str, Any]:
    orders = until(lambda: shop.store_orders_for(order_id) or None, timeout=timeout,
                   what=f"store order for {order_id}")
    record = until(lambda: ((r := shop.record(order_id)) is not None and r.state == "created" and r) or None,
                   timeout=timeout, what=f"order {order_id} recorded")
    assert len(orders) == 1
    assert record.store_order_id == str(orders[0]["id"])
    return orders[0]


def skus(shop: Shop) -> list[str]:
    return list(shop.skus)[:2]


def test_paid_order_becomes_one_store_order_with_summed_lines_paid_and_labelled(shop: Shop) -> None:
    a, b = skus(shop)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 1), (b, 1), (a, 1)], shipping_fee="4.50")

    order = relayed(shop, placed["id"])

    lines = sorted((str(i["productId"]), int(i["quantity"]), Decimal(str(i["price"]))) for i in order["items"])
    assert lines == sorted([(shop.skus[a], 2, Decimal("19.90")), (shop.skus[b], 1, Decimal("19.90"))])
    assert order["paymentStatus"] == "PAID" and order["email"] == "buyer@orders.example"
    assert Decimal(str(order["total"])) == Decimal("64.20") and Decimal(str(order["subtotal"])) == Decimal("59.70")
    assert "TikTok Shop" in str(order.get("privateAdminNotes")) and order["shippingPerson"]["city"] == "Los Angeles"
    # The store decremented its stock itself, once; TikTok decremented its own: equal.
    assert shop.store_stock(shop.skus[a]) == QTY - 2 == shop.stock_equal(a)
    assert shop.store_stock(shop.skus[b]) == QTY - 1 == shop.stock_equal(b)
    record = shop.record(placed["id"])
    assert record is not None and record.pending_units == {} and record.total == Decimal("64.20")
    assert record.buyer_ref and [(x.tiktok_sku_id, x.quantity) for x in record.lines] == [(a, 2), (b, 1)]


def test_unpaid_order_is_never_relayed_until_paid(shop: Shop) -> None:
    a, _ = skus(shop)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 1)], scenario="unpaid")
    shop.w.cloud.wait_idle(timeout=30)
    assert shop.store_orders_for(placed["id"]) == [] and shop.record(placed["id"]) is None

    shop.w.tiktok.pay_order(placed["id"])

    relayed(shop, placed["id"])


def test_on_hold_waits_with_pending_units_then_relays_when_released(shop: Shop) -> None:
    a, _ = skus(shop)
    saved_hold_s = shop.w.tiktok.config.hold_s
    shop.w.tiktok.config.hold_s = 3600 / shop.w.tiktok.time_scale
    try:
        placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 3)], scenario="on_hold")
    finally:
        shop.w.tiktok.config.hold_s = saved_hold_s
    waiting = until(lambda: ((r := shop.record(placed["id"])) is not None and r.state == "waiting_hold" and r)
                    or None, timeout=20, what="waiting_hold")
    assert waiting.pending_units == {shop.skus[a]: 3}
    assert shop.orders().pending_units(shop.connection_id).get(shop.skus[a], 0) >= 3
    assert shop.store_orders_for(placed["id"]) == []

    shop.w.tiktok.release_hold(placed["id"])

    relayed(shop, placed["id"])
    assert shop.record(placed["id"]).pending_units == {}  # type: ignore[union-attr]


def test_fbt_order_is_not_relayed_when_the_setting_is_off(shop: Shop) -> None:
    # On the third SKU: an FBT order moves TikTok's stock only (a, b stay equal on both sides).
    (c, _) = shop.unlinked[0]
    placed = shop.w.tiktok.place_order(shop.shop.id, [(c, 1)], fbt=True)
    record = until(lambda: ((r := shop.record(placed["id"])) is not None and r.state == "skipped" and r) or None,
                   timeout=20, what="skipped")
    assert "fulfilled by TikTok" in (record.reason or "") and record.pending_units == {}
    assert shop.store_orders_for(placed["id"]) == []


def test_unlinked_sku_blocks_with_reason_retries_three_times_then_relays_by_hand(shop: Shop) -> None:
    a, _ = skus(shop)
    (unlinked_sku, unlinked_product) = shop.unlinked[0]
    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 1), (unlinked_sku, 1)])
    # 1 attempt + 3 automatic retries (1 s apart here), then it gives up.
    record = until(lambda: ((r := shop.record(placed["id"])) is not None and r.attempts >= 4 and r) or None,
                   timeout=30, what="blocked 4 times")
    assert record.state == "blocked" and f"TikTok SKU {unlinked_sku}" in (record.reason or "")
    assert "not linked" in (record.reason or "") and record.pending_units == {}
    shop.w.cloud.wait_idle(timeout=30)
    assert shop.store_orders_for(placed["id"]) == [] and shop.record(placed["id"]).attempts == 4  # type: ignore[union-attr]

    shop.link(unlinked_sku, unlinked_product)
    answer = shop.api("POST", f"/orders/{placed['id']}/retry")

    assert answer.status_code == 202, answer.text
    relayed(shop, placed["id"])
    assert shop.api("POST", f"/orders/{placed['id']}/retry").status_code == 409  # not blocked any more
    assert shop.api("POST", "/orders/123/retry").status_code == 404


def test_missed_webhook_is_found_by_the_rescan(shop: Shop) -> None:
    a, _ = skus(shop)
    shop.w.tiktok.set_webhook_faults(drop=100)
    try:
        placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 1)])
        shop.w.cloud.wait_idle(timeout=30)
        assert shop.record(placed["id"]) is None
    finally:
        shop.w.tiktok.set_webhook_faults()
    bad = shop.api("POST", "/orders/rescan", json={"since": int(time.time()), "until": int(time.time()) - 5})
    assert bad.status_code == 400

    answer = shop.api("POST", "/orders/rescan", json={"since": int(time.time()) - 600})

    assert answer.status_code == 202, answer.text
    assert answer.json()["until"] > int(placed["update_time"])  # an order of this very second is in the range
    relayed(shop, placed["id"], timeout=60)  # the re-scan runs as a task: queue, worker, then the relay


def _ship_in_store(shop: Shop, store_order_id: str, tracking: str, carrier: str | None = None) -> None:
    shop.store.fulfil_order(Fulfilment(order_ext_id=store_order_id, tracking_number=tracking, carrier=carrier))


def test_store_shipment_ships_the_tiktok_package_and_tiktok_status_comes_back(shop: Shop) -> None:
    a, _ = skus(shop)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 1)])
    order = relayed(shop, placed["id"])

    _ship_in_store(shop, str(order["id"]), "1Z999AA10123456784", carrier="UPS")

    shipped = until(lambda: ((o := shop.order(placed["id"]))["status"] == "AWAITING_COLLECTION" and o) or None,
                    timeout=20, what="TikTok package shipped")
    assert shipped["tracking_number"] == "1Z999AA10123456784"
    providers = shop.w.tiktok.shipping_providers(shop.w.tiktok.state.shops[shop.shop.id])
    assert shipped["shipping_provider_id"] == providers[1]["id"]  # UPS mapped
    until(lambda: shop.record(placed["id"]).state == "shipped", timeout=20)  # type: ignore[union-attr]

    shop.w.tiktok.advance_order(placed["id"], "IN_TRANSIT")
    until(lambda: shop.record(placed["id"]).state == "in_transit", timeout=20)  # type: ignore[union-attr]
    shop.w.tiktok.advance_order(placed["id"], "DELIVERED")

    until(lambda: shop.store.get_order(str(order["id"])).fulfilment_status.value == "delivered", timeout=20,
          what="store order delivered")
    until(lambda: shop.record(placed["id"]).state == "delivered", timeout=20)  # type: ignore[union-attr]
    shop.w.tiktok.advance_order(placed["id"], "COMPLETED")
    until(lambda: shop.record(placed["id"]).state == "completed", timeout=20)  # type: ignore[union-attr]


def test_store_cancellation_cancels_on_tiktok_and_both_restock(shop: Shop) -> None:
    _, b = skus(shop)
    before = shop.stock_equal(b)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(b, 2)])
    order = relayed(shop, placed["id"])

    shop.store.cancel_order(Cancellation(order_ext_id=str(order["id"]), reason="merchant cancelled"))

    until(lambda: shop.order(placed["id"])["status"] == "CANCELLED", timeout=20, what="TikTok cancelled")
    until(lambda: shop.record(placed["id"]).state == "cancelled", timeout=20)  # type: ignore[union-attr]
    assert shop.store_stock(shop.skus[b]) == before == shop.stock_equal(b)


def test_store_cancellation_after_shipment_says_why(shop: Shop) -> None:
    # On the third SKU, linked here: the store restocks a shipped order, TikTok does not.
    (c, product) = shop.unlinked[0]
    shop.link(c, product)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(c, 1)])
    order = relayed(shop, placed["id"])
    shop.w.tiktok.advance_order(placed["id"], "IN_TRANSIT")
    until(lambda: shop.record(placed["id"]).state == "in_transit", timeout=20)  # type: ignore[union-attr]

    shop.store.cancel_order(Cancellation(order_ext_id=str(order["id"]), reason="merchant cancelled"))

    record = until(lambda: ((r := shop.record(placed["id"])) is not None and "does not allow" in (r.reason or "")
                   and r) or None, timeout=20, what="cancel refused with reason")
    assert record.state == "in_transit" and shop.order(placed["id"])["status"] == "IN_TRANSIT"


def test_tiktok_cancellation_cancels_the_store_order_and_restocks(shop: Shop) -> None:
    a, _ = skus(shop)
    before = shop.stock_equal(a)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 2)])
    order = relayed(shop, placed["id"])
    assert shop.store_stock(shop.skus[a]) == before - 2
    cancellation = shop.w.tiktok.buyer_cancel(placed["id"])

    shop.tiktok.approve_cancellation(shop.shop, cancellation["cancel_id"])  # the seller accepts in Seller Center

    until(lambda: shop.store.get_order(str(order["id"])).payment_status.value == "cancelled", timeout=20,
          what="store order cancelled")
    until(lambda: shop.record(placed["id"]).state == "cancelled", timeout=20)  # type: ignore[union-attr]
    assert shop.store_stock(shop.skus[a]) == before == shop.stock_equal(a)


def test_refund_marks_the_store_order_refunded(shop: Shop) -> None:
    a, _ = skus(shop)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 1)])
    order = relayed(shop, placed["id"])
    shop.w.tiktok.advance_order(placed["id"], "DELIVERED")
    until(lambda: shop.record(placed["id"]).state == "delivered", timeout=20)  # type: ignore[union-attr]
    found = shop.w.tiktok.buyer_request_return(placed["id"], return_type="REFUND")

    shop.w.tiktok.complete_return(found["return_id"])

    until(lambda: shop.store.get_order(str(order["id"])).payment_status.value == "refunded", timeout=20,
          what="store order refunded")
    until(lambda: shop.record(placed["id"]).state == "refunded", timeout=20)  # type: ignore[union-attr]


def test_address_change_before_shipment_updates_the_store_order(shop: Shop) -> None:
    a, _ = skus(shop)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 1)])
    order = relayed(shop, placed["id"])
    assert "Apt 5" in order["shippingPerson"]["street"]

    shop.w.tiktok.change_address(placed["id"])

    until(lambda: "Suite 12" in (shop.store_orders_for(placed["id"])[0]["shippingPerson"]["street"]), timeout=20,
          what="address updated")


def test_every_relayed_order_is_in_the_store_once_and_stock_is_equal(shop: Shop) -> None:
    # Given an FBT order that moves TikTok's stock only, then a run of orders on both linked SKUs
    a, b = skus(shop)
    shop.w.tiktok.place_order(shop.shop.id, [(a, 1)], fbt=True)
    placed = [shop.w.tiktok.place_order(shop.shop.id, [(a if i % 2 else b, 1 + i % 3)]) for i in range(10)]
    for order in placed:
        relayed(shop, order["id"])
    shop.w.cloud.wait_idle(timeout=30)
    # Then each is in the store once, recorded as relayed, and the stock sync made both sides equal
    by_tiktok: dict[str, int] = {}
    for order in shop.store_orders():
        by_tiktok[str(order["externalOrderId"])] = by_tiktok.get(str(order["externalOrderId"]), 0) + 1
    records = [r for r in shop.orders().all(shop.connection_id) if r.store_order_id]
    assert len(by_tiktok) == len(records) == len(placed) and all(n == 1 for n in by_tiktok.values())
    assert {r.tiktok_order_id for r in records} == set(by_tiktok) == {str(o["id"]) for o in placed}
    assert all(r.state == "created" for r in records)
    assert shop.stock_equal(a) == QTY - sum(1 + i % 3 for i in range(10) if i % 2)
    assert shop.stock_equal(b) == QTY - sum(1 + i % 3 for i in range(10) if not i % 2)
