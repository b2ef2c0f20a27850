"""The fulfillment and after-sales calls go to TikTok's newest versions, in those versions' shapes."""

from __future__ import annotations

import pytest

from connector.tiktok.after_sales import CANCELLATIONS, CANCELLATIONS_SEARCH, RETURN_REJECT, RETURNS_SEARCH
from connector.tiktok.fulfillment import ORDER_MARK_SHIPPED, PACKAGE_SHIPPING_INFO

from .conftest import SHOP, Harness, json_body, ok


def test_each_call_uses_the_newest_version_found() -> None:
    assert ORDER_MARK_SHIPPED == "/fulfillment/202610/orders/{order_id}/packages"
    assert PACKAGE_SHIPPING_INFO == "/fulfillment/202610/packages/{package_id}/shipping_info/update"
    assert CANCELLATIONS == "/return_refund/202602/cancellations"
    assert CANCELLATIONS_SEARCH == "/return_refund/202602/cancellations/search"
    assert RETURNS_SEARCH == "/return_refund/202602/returns/search"
    assert RETURN_REJECT == "/return_refund/202606/returns/{return_id}/reject"


def test_mark_shipped_sends_a_shipping_info_list_and_an_order_line_list(harness: Harness) -> None:
    path = "/fulfillment/202610/orders/5001/packages"
    answer = {"order_id": "5001", "package_id": "p9", "order_line_item_ids": ["l1"]}
    harness.fake.script(path, ok(answer))

    result = harness.client.mark_package_shipped(
        SHOP, "5001", tracking_number="1Z1", shipping_provider_id="7", order_line_item_ids=["l1"]
    )

    (call,) = harness.fake.calls(path)
    assert json_body(call) == {
        "order_line_list": [{"order_line_id": "l1"}],
        "shipping_info_list": [{"tracking_number": "1Z1", "shipping_provider_id": "7"}],
    }
    assert (result.order_id, result.package_id, result.order_line_item_ids) == ("5001", "p9", ["l1"])


def test_mark_shipped_of_the_whole_order_names_no_lines(harness: Harness) -> None:
    path = "/fulfillment/202610/orders/5001/packages"
    harness.fake.script(path, ok({"package_id": "p9"}))

    harness.client.mark_package_shipped(SHOP, "5001", tracking_number="1Z1", shipping_provider_id="7")

    (call,) = harness.fake.calls(path)
    assert json_body(call) == {"shipping_info_list": [{"tracking_number": "1Z1", "shipping_provider_id": "7"}]}


def test_package_tracking_update_sends_a_shipping_info_list(harness: Harness) -> None:
    path = "/fulfillment/202610/packages/p9/shipping_info/update"
    harness.fake.script(path, ok({}))

    harness.client.update_package_shipping_info(SHOP, "p9", tracking_number="1Z2", shipping_provider_id="7")

    (call,) = harness.fake.calls(path)
    assert json_body(call) == {"shipping_info_list": [{"tracking_number": "1Z2", "shipping_provider_id": "7"}]}


def test_a_cancellation_reads_its_cancel_line_items(harness: Harness) -> None:
    line = {"cancel_line_item_id": "c1", "order_line_item_id": "l1", "sku_id": "s1"}
    found = {"cancel_id": "9", "order_id": "5001", "cancel_status": "CANCELLATION_REQUEST_PENDING"}
    harness.fake.script(CANCELLATIONS_SEARCH, ok({"cancellations": [{**found, "cancel_line_items": [line]}]}))

    (cancellation,) = harness.client.search_cancellations(SHOP, order_ids=["5001"]).items

    assert cancellation.cancel_line_items == [line]


def test_return_rejection_sends_the_decision(harness: Harness) -> None:
    path = "/return_refund/202606/returns/r1/reject"
    harness.fake.script(path, ok({}))

    harness.client.reject_return(SHOP, "r1", decision="REJECT_RETURN", reject_reason="seller_reject_x")

    (call,) = harness.fake.calls(path)
    assert json_body(call) == {"decision": "REJECT_RETURN", "reject_reason": "seller_reject_x"}
    assert call.query["idempotency_key"]


def test_return_rejection_refuses_an_unknown_decision_before_sending(harness: Harness) -> None:
    with pytest.raises(ValueError, match="decision must be one of"):
        harness.client.reject_return(SHOP, "r1", decision="MAYBE", reject_reason="seller_reject_x")

    assert harness.fake.calls("/return_refund/202606/returns/r1/reject") == []
