"""The newer fulfillment and after-sales versions (202610, 202602, 202606) driven by
``tiktok-shop-api`` in its own request models: each request is accepted, each answer parses in its
response models, and the sandbox did what the request asked."""

from __future__ import annotations

from tiktok_shop_api.generated import models as m

from tests.integration.contract.conftest import TikTokWorld, data_of


def _provider(tiktok: TikTokWorld) -> str:
    return str(tiktok.sandbox.shipping_providers(tiktok.sandbox.state.shops[tiktok.shop.id])[0]["id"])


def test_mark_part_of_an_order_shipped_then_correct_its_tracking(tiktok: TikTokWorld) -> None:
    _, skus = tiktok.active_product()
    placed = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1), (skus[1], 1)])
    first_line = tiktok.ours.get_orders(tiktok.shop, [placed["id"]])[0].line_items[0].id
    provider = _provider(tiktok)
    api = tiktok.shop_api.fulfillment

    marked = data_of(
        api.mark_package_as_shipped(
            placed["id"],
            body=m.MarkPackageAsShippedRequest(
                order_line_list=[m.ConfirmOrderSplitRequestSplittableGroupsV2OrderLineList(order_line_id=first_line)],
                shipping_info_list=[m.ShippingInfoList(tracking_number="1Z300", shipping_provider_id=provider)],
            ),
        )
    )
    data_of(
        api.update_package_shipping_info(
            marked["package_id"],
            body=m.UpdatePackageShippingInfoRequest(
                shipping_info_list=[
                    m.ShippingInfoList(tracking_number="1Z301", shipping_provider_id=provider, note="relabelled")
                ]
            ),
        )
    )

    assert marked["order_id"] == placed["id"] and marked["order_line_item_ids"] == [first_line]
    assert tiktok.ours.get_orders(tiktok.shop, [placed["id"]])[0].status == "PARTIALLY_SHIPPING"
    assert tiktok.ours.get_package(tiktok.shop, marked["package_id"]).tracking_number == "1Z301"


def test_cancel_one_line_and_read_the_cancellation_with_its_lines(tiktok: TikTokWorld) -> None:
    _, skus = tiktok.active_product()
    placed = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1), (skus[1], 1)])
    first_line = tiktok.ours.get_orders(tiktok.shop, [placed["id"]])[0].line_items[0].id
    api = tiktok.shop_api.return_and_refund

    cancelled = data_of(
        api.cancel_order(
            body=m.CancelOrderRequest(
                order_id=placed["id"],
                cancel_reason="seller_cancel_reason_out_of_stock",
                order_line_list=[m.OrderLineList(order_line_item_id=first_line)],
            )
        )
    )
    found = data_of(
        api.search_cancellations(
            page_size="20", body=m.SearchCancellationsRequest(order_ids=[placed["id"]], locale="en-US")
        )
    )

    (cancellation,) = found["cancellations"]
    assert cancellation["cancel_id"] == cancelled["cancel_id"]
    assert [line["order_line_item_id"] for line in cancellation["cancel_line_items"]] == [first_line]
    assert cancellation["should_replenish_stock"] is True


def test_returns_search_and_rejection_with_a_decision(tiktok: TikTokWorld) -> None:
    _, skus = tiktok.active_product()
    placed = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1)])
    tiktok.ours.mark_package_shipped(
        tiktok.shop, placed["id"], tracking_number="1Z302", shipping_provider_id=_provider(tiktok)
    )
    tiktok.sandbox.advance_order(placed["id"], "DELIVERED")
    tiktok.sandbox.buyer_request_return(placed["id"], "RETURN_AND_REFUND")
    api = tiktok.shop_api.return_and_refund

    (found,) = data_of(api.search_returns(page_size="20", body=m.SearchReturnsRequest(order_ids=[placed["id"]])))[
        "return_orders"
    ]
    data_of(
        api.reject_return(
            found["return_id"],
            body=m.RejectReturnRequest(
                decision=m.RejectReturnRequestDecision.REJECT_RETURN,
                reject_reason="seller_reject_return_item_not_returned",
                comment="not received",
            ),
            idempotency_key="reject-" + found["return_id"],
        )
    )

    assert found["return_line_items"][0]["order_line_item_id"]
    assert tiktok.ours.search_returns(tiktok.shop, return_ids=[found["return_id"]]).items[0].return_status == (
        "REFUND_OR_RETURN_REQUEST_REJECT"
    )


def test_a_partial_refund_offer_for_a_received_package(tiktok: TikTokWorld) -> None:
    _, skus = tiktok.active_product()
    placed = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1)])
    tiktok.ours.mark_package_shipped(
        tiktok.shop, placed["id"], tracking_number="1Z303", shipping_provider_id=_provider(tiktok)
    )
    tiktok.sandbox.advance_order(placed["id"], "DELIVERED")
    return_id = tiktok.sandbox.buyer_request_return(placed["id"], "RETURN_AND_REFUND")["return_id"]
    tiktok.ours.approve_return(tiktok.shop, return_id, decision="APPROVE_RETURN")
    tiktok.sandbox.buyer_ship_return(return_id)
    api = tiktok.shop_api.return_and_refund

    data_of(
        api.reject_return(
            return_id,
            body=m.RejectReturnRequest(
                decision=m.RejectReturnRequestDecision.OFFER_PARTIAL_REFUND_AFTER_RECEIVING_PKG,
                reject_reason="seller_reject_received_damaged",
                partial_refund_amount=m.PartialRefundAmount(partial_refund_total="3.00", currency="USD"),
            ),
            idempotency_key="offer-" + return_id,
        )
    )
    (found,) = data_of(api.search_returns(page_size="20", body=m.SearchReturnsRequest(return_ids=[return_id])))[
        "return_orders"
    ]

    assert found["return_status"] == "AWAITING_BUYER_RESPONSE"
    assert found["partial_refund"] == {"amount": "3.00", "currency": "USD"}
