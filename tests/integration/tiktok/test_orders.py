"""Orders, fulfillment, cancellations and returns: the client against the scripted buyer."""

from __future__ import annotations

import time
from typing import Any

import pytest

from connector.tiktok import errors as e
from connector.tiktok import webhooks as w
from local.sandbox_tiktok import codes
from tests.support.wait import until

from .conftest import Receiver, World, active_product


@pytest.fixture
def skus(world: World) -> list[str]:
    _, sku_ids = active_product(world)
    return sku_ids


def _order_events(world: World, receiver: Receiver, order_id: str) -> list[str]:
    return [ev["data"]["order_status"] for ev in world.events(receiver, 1) if ev["data"]["order_id"] == order_id]


def test_paid_order_awaits_shipment_with_a_package(world: World, receiver: Receiver, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])

    (order,) = world.client.get_orders(world.shop, [placed["id"]])

    assert order.status == "AWAITING_SHIPMENT"
    assert order.paid_time is not None and len(order.packages) == 1
    assert order.payment is not None and str(order.payment.total_amount) == "19.90"
    assert order.recipient_address is not None and order.recipient_address.name == "Jordan Rivera"
    assert until(lambda: _order_events(world, receiver, order.id) == ["UNPAID", "AWAITING_SHIPMENT"], timeout=5)


def test_unpaid_then_paid(world: World, receiver: Receiver, skus: list[str]) -> None:
    world.sandbox.config.unpaid_pay_after_s = 0.3 / world.sandbox.time_scale
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)], scenario="unpaid_then_paid")

    assert world.client.get_orders(world.shop, [placed["id"]])[0].status == "UNPAID"
    until(lambda: world.client.get_orders(world.shop, [placed["id"]])[0].status == "AWAITING_SHIPMENT", timeout=5)
    assert until(lambda: _order_events(world, receiver, placed["id"]) == ["UNPAID", "AWAITING_SHIPMENT"], timeout=5)


def test_unpaid_stays_unpaid_until_paid(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)], scenario="unpaid")
    unpaid = world.client.search_orders(world.shop, order_status="UNPAID")
    world.sandbox.pay_order(placed["id"])
    assert [o.id for o in unpaid.items] == [placed["id"]]
    assert world.client.get_orders(world.shop, [placed["id"]])[0].status == "AWAITING_SHIPMENT"


def test_on_hold_order_is_released(world: World, receiver: Receiver, skus: list[str]) -> None:
    world.sandbox.config.hold_s = 3600 / world.sandbox.time_scale
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)], scenario="on_hold")
    held = world.client.get_orders(world.shop, [placed["id"]])[0]

    world.sandbox.release_hold(placed["id"])

    assert held.status == "ON_HOLD" and held.is_on_hold_order
    assert world.client.get_orders(world.shop, [placed["id"]])[0].status == "AWAITING_SHIPMENT"

    def order_events() -> list[dict[str, Any]] | None:
        found = [ev for ev in world.events(receiver, 1) if ev["data"]["order_id"] == placed["id"]]
        return found[1:] if len(found) == 3 else None  # UNPAID, ON_HOLD, AWAITING_SHIPMENT

    events = until(order_events, timeout=5)
    assert [ev["data"]["order_status"] for ev in events] == ["ON_HOLD", "AWAITING_SHIPMENT"]
    assert [ev["data"]["is_on_hold_order"] for ev in events] == [True, False]


def test_fbt_order_has_a_masked_address_and_tiktok_ships(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)], fbt=True)
    order = world.client.get_orders(world.shop, [placed["id"]])[0]

    assert order.fulfillment_type == "FULFILLMENT_BY_TIKTOK" and order.shipping_type == "TIKTOK"
    assert order.recipient_address is not None and "*" in (order.recipient_address.name or "")
    with pytest.raises(e.TikTokError) as caught:
        world.client.ship_package(world.shop, order.packages[0].id)
    assert caught.value.tiktok_code == codes.ORDER_STATUS_FORBIDS


def test_multi_unit_and_multi_sku_orders(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 3), (skus[1], 1)], shipping_fee="4.99", tax="1.60")
    order = world.client.get_orders(world.shop, [placed["id"]])[0]
    detail = world.client.get_order_price_detail(world.shop, order.id)

    assert len(order.line_items) == 4  # one line item per unit
    assert order.units_by_sku() == {skus[0]: 3, skus[1]: 1}
    assert order.payment is not None and str(order.payment.total_amount) == "86.19"
    assert str(detail.total) == "86.19"
    assert {line.id for line in detail.line_items} == {line.id for line in order.line_items}
    assert sum((line.total or 0) for line in detail.line_items) == detail.total
    inventory = world.client.search_inventory(world.shop, sku_ids=[skus[0]])
    assert inventory[0].skus[0]["total_available_quantity"] == 7


def test_search_pages_and_order_detail_batches(world: World, skus: list[str]) -> None:
    world.sandbox.set_shop(world.shop_id)  # defaults
    world.client.update_inventory(
        world.shop,
        world.client.search_inventory(world.shop, sku_ids=[skus[0]])[0].product_id,
        [_stock(world, skus[0], 200)],
    )
    ids = [world.sandbox.place_order(world.shop_id, [(skus[0], 1)])["id"] for _ in range(55)]

    page = world.client.search_orders(world.shop, page_size=20)
    everything = list(world.client.iter_orders(world.shop, page_size=50))
    details = world.client.get_orders(world.shop, ids)

    assert page.total_count == 55 and page.next_page_token
    assert sorted(o.id for o in everything) == sorted(ids)
    assert [o.id for o in details] == ids
    detail_calls = world.requests("/order/202507/orders")
    assert len(detail_calls) == 2


def _stock(world: World, sku_id: str, quantity: int) -> object:
    from connector.tiktok.models import InventoryEntry, SkuInventoryUpdate

    return SkuInventoryUpdate(id=sku_id, inventory=[InventoryEntry(warehouse_id=world.warehouse_id, quantity=quantity)])


def test_overlapping_windows_find_each_change_once(world: World, skus: list[str]) -> None:
    start = int(time.time())
    first = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    until(lambda: int(time.time()) > start + 1, timeout=5, what="the clock to move on")
    middle = int(time.time())
    second = world.sandbox.place_order(world.shop_id, [(skus[1], 1)])
    end = int(time.time()) + 1

    earlier = [o.id for o in world.client.iter_orders_changed(world.shop, since=start, until=middle, overlap_s=0)]
    later = [o.id for o in world.client.iter_orders_changed(world.shop, since=middle, until=end, overlap_s=5)]

    assert earlier == [first["id"]]
    assert sorted(later) == sorted([first["id"], second["id"]])  # the overlap re-reads the first


def test_seller_ships_with_own_carrier_then_fixes_tracking(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1), (skus[1], 1)])
    order = world.client.get_orders(world.shop, [placed["id"]])[0]
    options = world.client.get_delivery_options(world.shop, world.warehouse_id)
    provider = world.client.get_shipping_providers(world.shop, order.delivery_option_id or options[-1].id)[1]

    with pytest.raises(e.TikTokError) as missing:
        world.client.ship_package(world.shop, order.packages[0].id)
    world.client.ship_package(
        world.shop, order.packages[0].id, tracking_number="1Z999", shipping_provider_id=provider.id
    )
    world.client.update_shipping_info(world.shop, order.id, tracking_number="1Z1000", shipping_provider_id=provider.id)

    shipped = world.client.get_orders(world.shop, [order.id])[0]
    package = world.client.get_package(world.shop, order.packages[0].id)
    assert missing.value.tiktok_code == codes.SELF_SHIPMENT_INVALID
    assert shipped.status == "AWAITING_COLLECTION"
    assert shipped.tracking_number == "1Z1000" and package.tracking_number == "1Z1000"
    assert package.status == "FULFILLING" and package.order_ids == [order.id]
    assert [p.id for p in world.client.search_packages(world.shop, package_status="FULFILLING").items] == [package.id]


def test_mark_part_of_an_order_shipped_splits_the_package(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1), (skus[1], 1)])
    order = world.client.get_orders(world.shop, [placed["id"]])[0]
    provider = world.sandbox.shipping_providers(world.sandbox.state.shops[world.shop_id])[0]

    result = world.client.mark_package_shipped(
        world.shop,
        order.id,
        tracking_number="9400",
        shipping_provider_id=provider["id"],
        order_line_item_ids=[order.line_items[0].id],
    )
    partial = world.client.get_orders(world.shop, [order.id])[0]
    world.client.mark_package_shipped(world.shop, order.id, tracking_number="9401", shipping_provider_id=provider["id"])
    done = world.client.get_orders(world.shop, [order.id])[0]

    assert result.order_line_item_ids == [order.line_items[0].id]
    assert result.package_id != order.packages[0].id
    assert partial.status == "PARTIALLY_SHIPPING"
    assert done.status == "AWAITING_COLLECTION" and len(done.packages) == 2
    world.client.update_package_shipping_info(
        world.shop, result.package_id, tracking_number="9402", shipping_provider_id=provider["id"]
    )
    assert world.client.get_package(world.shop, result.package_id).tracking_number == "9402"
    assert world.client.get_package(world.shop, done.packages[0].id).tracking_number == "9401"


def test_order_progresses_to_delivered(world: World, receiver: Receiver, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    for status in ("AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"):
        world.sandbox.advance_order(placed["id"], status)
    assert world.client.get_orders(world.shop, [placed["id"]])[0].status == "COMPLETED"
    assert until(
        lambda: (
            _order_events(world, receiver, placed["id"])[-4:]
            == ["AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"]
        ),
        timeout=5,
    )


def test_buyer_cancels_on_hold_order_at_once(world: World, receiver: Receiver, skus: list[str]) -> None:
    world.sandbox.config.hold_s = 3600 / world.sandbox.time_scale
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 2)], scenario="on_hold")
    world.sandbox.buyer_cancel(placed["id"])

    order = world.client.get_orders(world.shop, [placed["id"]])[0]
    (cancellation,) = world.client.search_cancellations(world.shop, order_ids=[order.id]).items

    assert order.status == "CANCELLED" and order.cancellation_initiator == "BUYER"
    assert cancellation.cancel_status == "CANCELLATION_REQUEST_COMPLETE" and cancellation.cancel_type == "BUYER_CANCEL"
    assert world.client.search_inventory(world.shop, sku_ids=[skus[0]])[0].skus[0]["total_available_quantity"] == 10
    assert until(lambda: "CANCEL" in _order_events(world, receiver, order.id), timeout=5)  # webhook spelling


def test_buyer_cancel_request_approved(world: World, receiver: Receiver, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    request = world.sandbox.buyer_cancel(placed["id"], "Ordered by mistake")
    pending = world.client.search_cancellations(world.shop, cancel_status=["CANCELLATION_REQUEST_PENDING"])
    flagged = world.client.get_orders(world.shop, [placed["id"]])[0]

    world.client.approve_cancellation(world.shop, request["cancel_id"], idempotency_key="approve-1")
    world.client.approve_cancellation(world.shop, request["cancel_id"], idempotency_key="approve-1")  # a retry

    assert [c.cancel_id for c in pending.items] == [request["cancel_id"]]
    assert flagged.is_buyer_request_cancel is True
    assert world.client.get_orders(world.shop, [placed["id"]])[0].status == "CANCELLED"
    statuses = until(
        lambda: [
            ev["data"]["cancel_status"] for ev in world.events(receiver, 11) if ev["data"]["order_id"] == placed["id"]
        ][1:],
        timeout=5,
    )
    assert statuses == ["CANCELLATION_REQUEST_COMPLETE"]
    parsed = [w.parse_event(d["body"]) for d in receiver.deliveries(world.shop_id)]
    assert any(
        isinstance(ev, w.CancellationStatusChange) and ev.data.cancel_id == request["cancel_id"] for ev in parsed
    )


def test_buyer_cancel_request_rejected_has_two_spellings(world: World, receiver: Receiver, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    request = world.sandbox.buyer_cancel(placed["id"])

    world.client.reject_cancellation(
        world.shop, request["cancel_id"], reject_reason="seller_reject_apply_product_has_been_packed"
    )

    (found,) = world.client.search_cancellations(world.shop, cancel_ids=[request["cancel_id"]]).items
    assert found.cancel_status == "CANCELLATION_REQUEST_CANCEL"
    assert until(
        lambda: (
            w.CANCELLATION_REQUEST_CANCELLED
            in [
                ev["data"]["cancel_status"]
                for ev in world.events(receiver, 11)
                if ev["data"]["order_id"] == placed["id"]
            ]
        ),
        timeout=5,
    )
    assert world.client.get_orders(world.shop, [placed["id"]])[0].status == "AWAITING_SHIPMENT"
    with pytest.raises(e.TikTokError) as again:
        world.client.approve_cancellation(world.shop, request["cancel_id"])
    assert again.value.tiktok_code == codes.AFTERSALE_STATUS_FORBIDS


def test_seller_cancels_an_order(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    result = world.client.cancel_order(world.shop, placed["id"], cancel_reason="seller_cancel_out_of_stock")
    order = world.client.get_orders(world.shop, [placed["id"]])[0]
    assert result.cancel_status == "CANCELLATION_REQUEST_COMPLETE"
    assert order.status == "CANCELLED" and order.cancellation_initiator == "SELLER"
    with pytest.raises(e.TikTokError) as shipped_cancel:
        world.client.cancel_order(world.shop, placed["id"], cancel_reason="again")
    assert shipped_cancel.value.tiktok_code == codes.ORDER_STATUS_FORBIDS


def test_returns_and_refunds(world: World, receiver: Receiver, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    world.sandbox.advance_order(placed["id"], "DELIVERED")
    refund = world.sandbox.buyer_request_return(placed["id"], "REFUND")
    ret = world.sandbox.buyer_request_return(placed["id"], "RETURN_AND_REFUND")

    world.client.approve_return(world.shop, refund["return_id"])
    world.client.approve_return(world.shop, ret["return_id"])
    world.sandbox.buyer_ship_return(ret["return_id"])
    world.sandbox.complete_return(ret["return_id"])

    found = {r.return_id: r for r in world.client.search_returns(world.shop, order_ids=[placed["id"]]).items}
    assert found[refund["return_id"]].return_status == "RETURN_OR_REFUND_REQUEST_COMPLETE"
    assert found[ret["return_id"]].return_status == "RETURN_OR_REFUND_REQUEST_COMPLETE"
    assert found[refund["return_id"]].refund_amount is not None
    assert str(found[refund["return_id"]].refund_amount.refund_total) == "19.90"

    def return_statuses() -> list[str] | None:
        found = [
            ev["data"]["return_status"]
            for ev in world.events(receiver, 12)
            if ev["data"]["return_id"] == ret["return_id"]
        ]
        return found if len(found) == 4 else None

    statuses = until(return_statuses, timeout=5)
    assert statuses == [
        "RETURN_OR_REFUND_REQUEST_PENDING",
        "AWAITING_BUYER_SHIP",
        "BUYER_SHIPPED_ITEM",
        "RETURN_OR_REFUND_REQUEST_COMPLETE",
    ]


def test_return_rejected(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    world.sandbox.advance_order(placed["id"], "IN_TRANSIT")
    ret = world.sandbox.buyer_request_return(placed["id"])
    world.client.reject_return(
        world.shop, ret["return_id"], decision="REJECT_REFUND", reject_reason="reject_not_received"
    )
    (found,) = world.client.search_returns(world.shop, return_ids=[ret["return_id"]]).items
    assert found.return_status == "REFUND_OR_RETURN_REQUEST_REJECT"


def test_address_change_sends_webhook_3(world: World, receiver: Receiver, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    world.sandbox.change_address(placed["id"])
    event = until(lambda: world.events(receiver, 3), timeout=5)[0]
    assert event["data"]["order_id"] == placed["id"]


def test_unknown_entities_are_not_found(world: World) -> None:
    with pytest.raises(e.TikTokNotFound):
        world.client.get_order_price_detail(world.shop, "576000000000000000")
    with pytest.raises(e.TikTokNotFound):
        world.client.get_package(world.shop, "115000000000000000")
    with pytest.raises(e.TikTokNotFound):
        world.client.approve_cancellation(world.shop, "400000000000000000")
    with pytest.raises(e.TikTokNotFound):
        world.client.approve_return(world.shop, "410000000000000000")
