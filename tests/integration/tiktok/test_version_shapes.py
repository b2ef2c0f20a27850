"""Fulfillment and after-sales operations served at 202309 and at their newer versions, each in its
own request and answer shape (field names as listed in docs/tiktok.md, "API versions")."""

from __future__ import annotations

from typing import Any

import pytest

from connector.tiktok import errors as e
from tests.integration.tiktok.conftest import World, active_product

MARK_OLD = "/fulfillment/202309/orders/{order_id}/packages"
MARK_NEW = "/fulfillment/202610/orders/{order_id}/packages"
TRACKING_OLD = "/fulfillment/202309/packages/{package_id}/shipping_info/update"
TRACKING_NEW = "/fulfillment/202610/packages/{package_id}/shipping_info/update"
LINE_FIELDS = {"order_line_item_id", "sku_id", "sku_name", "product_name", "seller_sku", "refund_amount"}
REFUND_FIELDS = {"currency", "refund_total", "refund_subtotal", "refund_shipping_fee", "refund_tax"}


@pytest.fixture
def skus(world: World) -> list[str]:
    _, sku_ids = active_product(world)
    return sku_ids


@pytest.fixture
def provider(world: World) -> str:
    return str(world.sandbox.shipping_providers(world.sandbox.state.shops[world.shop_id])[0]["id"])


def _post(world: World, path: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
    return world.client.request("POST", path, shop=world.shop, path_params=params, json=body)


def test_mark_shipped_202309_takes_flat_tracking_and_202610_a_shipping_info_list(
    world: World, skus: list[str], provider: str
) -> None:
    first = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    second = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])

    old = _post(world, MARK_OLD, {"tracking_number": "1Z1", "shipping_provider_id": provider}, order_id=first["id"])
    info = {"tracking_number": "1Z2", "shipping_provider_id": provider, "note": "left at the door"}
    new = _post(world, MARK_NEW, {"shipping_info_list": [info]}, order_id=second["id"])

    assert set(old) == set(new) == {"order_id", "package_id", "order_line_item_ids"}
    assert (old["order_id"], new["order_id"]) == (first["id"], second["id"])
    assert world.client.get_package(world.shop, new["package_id"]).tracking_number == "1Z2"


def test_each_mark_shipped_version_refuses_the_other_versions_fields(
    world: World, skus: list[str], provider: str
) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    flat = {"tracking_number": "1Z3", "shipping_provider_id": provider}

    with pytest.raises(e.BadRequest) as old_with_list:
        _post(world, MARK_OLD, {**flat, "shipping_info_list": [flat]}, order_id=placed["id"])
    with pytest.raises(e.BadRequest) as new_with_flat:
        _post(world, MARK_NEW, flat, order_id=placed["id"])
    with pytest.raises(e.BadRequest) as new_with_two:
        _post(world, MARK_NEW, {"shipping_info_list": [flat, flat]}, order_id=placed["id"])

    assert "shipping_info_list" in old_with_list.value.tiktok_message
    assert "shipping_info_list" in new_with_flat.value.tiktok_message
    assert "one tracking number" in new_with_two.value.tiktok_message
    assert world.client.get_orders(world.shop, [placed["id"]])[0].status == "AWAITING_SHIPMENT"


def test_mark_shipped_202610_ships_the_lines_of_its_order_line_list(
    world: World, skus: list[str], provider: str
) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1), (skus[1], 1)])
    order = world.client.get_orders(world.shop, [placed["id"]])[0]
    info = [{"tracking_number": "1Z4", "shipping_provider_id": provider}]
    first_line = order.line_items[0].id

    with pytest.raises(e.BadRequest) as bundle:
        _post(
            world,
            MARK_NEW,
            {"shipping_info_list": info, "order_line_list": [{"order_line_id": first_line, "sub_item_id": "1"}]},
            order_id=placed["id"],
        )
    shipped = _post(
        world,
        MARK_NEW,
        {"shipping_info_list": info, "order_line_list": [{"order_line_id": first_line}]},
        order_id=placed["id"],
    )

    assert "sub_item_id" in bundle.value.tiktok_message
    assert shipped["order_line_item_ids"] == [first_line]
    assert world.client.get_orders(world.shop, [placed["id"]])[0].status == "PARTIALLY_SHIPPING"


def test_package_tracking_update_202309_is_flat_and_202610_a_shipping_info_list(
    world: World, skus: list[str], provider: str
) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)], seller_shipping=True)
    shipped = _post(
        world,
        MARK_NEW,
        {"shipping_info_list": [{"tracking_number": "1Z5", "shipping_provider_id": provider}]},
        order_id=placed["id"],
    )
    package_id = shipped["package_id"]

    _post(world, TRACKING_OLD, {"tracking_number": "1Z6", "shipping_provider_id": provider}, package_id=package_id)
    after_old = world.client.get_package(world.shop, package_id).tracking_number
    _post(
        world,
        TRACKING_NEW,
        {"shipping_info_list": [{"tracking_number": "1Z7", "shipping_provider_id": provider}]},
        package_id=package_id,
    )
    with pytest.raises(e.BadRequest) as new_with_flat:
        _post(world, TRACKING_NEW, {"tracking_number": "1Z8", "shipping_provider_id": provider}, package_id=package_id)
    with pytest.raises(e.BadRequest) as old_with_list:
        _post(world, TRACKING_OLD, {"shipping_info_list": []}, package_id=package_id)

    assert after_old == "1Z6"
    assert world.client.get_package(world.shop, package_id).tracking_number == "1Z7"
    assert "shipping_info_list" in new_with_flat.value.tiktok_message
    assert "shipping_info_list" in old_with_list.value.tiktok_message


def test_cancellation_search_answers_cancel_line_items_in_both_versions(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    world.sandbox.buyer_cancel(placed["id"])
    body = {"order_ids": [placed["id"]]}

    (old,) = _post(world, "/return_refund/202309/cancellations/search", body)["cancellations"]
    (new,) = _post(world, "/return_refund/202602/cancellations/search", body)["cancellations"]

    for found in (old, new):
        assert "line_items" not in found
        (line,) = found["cancel_line_items"]
        assert LINE_FIELDS | {"cancel_line_item_id"} <= set(line) and line["sku_id"] == skus[0]
        assert REFUND_FIELDS <= set(found["refund_amount"]) == set(line["refund_amount"])
    assert "should_replenish_stock" not in old and new["should_replenish_stock"] is True


def test_return_search_answers_return_line_items_in_both_versions(world: World, skus: list[str], provider: str) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    world.client.mark_package_shipped(world.shop, placed["id"], tracking_number="1Z9", shipping_provider_id=provider)
    world.sandbox.advance_order(placed["id"], "DELIVERED")
    world.sandbox.buyer_request_return(placed["id"], "REFUND")
    body = {"order_ids": [placed["id"]]}

    (old,) = _post(world, "/return_refund/202309/returns/search", body)["return_orders"]
    (new,) = _post(world, "/return_refund/202602/returns/search", body)["return_orders"]

    for found in (old, new):
        (line,) = found["return_line_items"]
        assert LINE_FIELDS | {"return_line_item_id"} <= set(line)
        assert set(found["refund_amount"]) >= REFUND_FIELDS
    assert "is_quick_refund" not in old and new["is_quick_refund"] is False


def test_seller_cancel_202602_takes_an_order_line_list_and_202309_does_not(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1), (skus[1], 1)])
    order = world.client.get_orders(world.shop, [placed["id"]])[0]
    lines = [{"order_line_item_id": order.line_items[0].id}]
    body = {"order_id": placed["id"], "cancel_reason": "seller_cancel_reason_out_of_stock", "order_line_list": lines}

    with pytest.raises(e.BadRequest) as old:
        _post(world, "/return_refund/202309/cancellations", body)
    cancelled = _post(world, "/return_refund/202602/cancellations", body)

    after = world.client.get_orders(world.shop, [placed["id"]])[0]
    assert "order_line_list" in old.value.tiktok_message
    assert cancelled["cancel_id"] and cancelled["cancel_status"]
    assert [line.display_status for line in after.line_items] == ["CANCELLED", "AWAITING_SHIPMENT"]


def _received_return(world: World, skus: list[str], provider: str) -> str:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    world.client.mark_package_shipped(world.shop, placed["id"], tracking_number="1Z10", shipping_provider_id=provider)
    world.sandbox.advance_order(placed["id"], "DELIVERED")
    found = world.sandbox.buyer_request_return(placed["id"], "RETURN_AND_REFUND")
    world.client.approve_return(world.shop, found["return_id"], decision="APPROVE_RETURN")
    world.sandbox.buyer_ship_return(found["return_id"])
    return str(found["return_id"])


def test_return_rejection_202606_can_offer_a_partial_refund_for_a_received_package(
    world: World, skus: list[str], provider: str
) -> None:
    return_id = _received_return(world, skus, provider)
    path = "/return_refund/202606/returns/{return_id}/reject"
    body = {"decision": "OFFER_PARTIAL_REFUND_AFTER_RECEIVING_PKG", "reject_reason": "seller_reject_received_damaged"}

    with pytest.raises(e.BadRequest) as no_amount:
        _post(world, path, body, return_id=return_id)
    world.client.request(
        "POST",
        path,
        shop=world.shop,
        path_params={"return_id": return_id},
        query={"idempotency_key": "offer-1"},
        json={**body, "partial_refund_amount": {"partial_refund_total": "4.50", "currency": "USD"}},
    )

    (found,) = _post(world, "/return_refund/202602/returns/search", {"return_ids": [return_id]})["return_orders"]
    assert "partial_refund_amount" in no_amount.value.tiktok_message
    assert found["return_status"] == "AWAITING_BUYER_RESPONSE"
    assert found["seller_proposed_return_type"] == "PARTIAL_REFUND"
    assert found["partial_refund"] == {"amount": "4.50", "currency": "USD"}


def test_return_rejection_202309_checks_a_decision_when_one_is_sent(
    world: World, skus: list[str], provider: str
) -> None:
    return_id = _received_return(world, skus, provider)
    path = "/return_refund/202309/returns/{return_id}/reject"
    reason = {"reject_reason": "seller_reject_received_damaged"}

    with pytest.raises(e.BadRequest) as offer:
        _post(world, path, {**reason, "decision": "OFFER_PARTIAL_REFUND_AFTER_RECEIVING_PKG"}, return_id=return_id)
    world.client.request(
        "POST",
        path,
        shop=world.shop,
        path_params={"return_id": return_id},
        query={"idempotency_key": "reject-received"},
        json={**reason, "decision": "REJECT_RECEIVED_PACKAGE"},
    )

    assert "decision" in offer.value.tiktok_message
    assert world.sandbox.state.returns[return_id].status == "REFUND_OR_RETURN_REQUEST_REJECT"
