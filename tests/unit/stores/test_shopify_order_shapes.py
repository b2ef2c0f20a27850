"""Shopify order shapes <-> the common order model, without a server."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.stores import FulfilmentStatus, OrderLine, OrderTotals, PaymentStatus, ShipTo, StoreOrderDraft
from connector.stores.shopify import order_shapes


def _bag(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount}}


def _node(**changes: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": "gid://shopify/Order/42", "name": "#1001", "sourceIdentifier": "576460752303423001",
        "email": "buyer@example.com", "currencyCode": "USD", "createdAt": "2026-12-01T10:00:00Z",
        "updatedAt": "2026-12-01T10:05:00Z", "cancelledAt": None,
        "displayFinancialStatus": "PAID", "displayFulfillmentStatus": "UNFULFILLED",
        "subtotalPriceSet": _bag("25.00"), "totalShippingPriceSet": _bag("4.00"), "totalTaxSet": _bag("0.0"),
        "totalDiscountsSet": _bag("0.0"), "totalPriceSet": _bag("29.00"),
        "shippingAddress": {"firstName": "Ada", "lastName": "Lovelace", "address1": "1 Main St", "address2": None,
                            "city": "Springfield", "company": None, "countryCodeV2": "US", "provinceCode": "IL",
                            "zip": "62701", "phone": None},
        "lineItems": {"nodes": [
            {"id": "gid://shopify/LineItem/1", "title": "Tee", "sku": "TEE-1", "quantity": 2,
             "variant": {"id": "gid://shopify/ProductVariant/7"}, "originalUnitPriceSet": _bag("12.50")},
            {"id": "gid://shopify/LineItem/2", "title": "Gift wrap", "sku": None, "quantity": 1, "variant": None,
             "originalUnitPriceSet": _bag("0.00")}]},
        "fulfillments": [], "refunds": [],
    }
    node.update(changes)
    return node


def test_an_order_reads_into_the_model() -> None:
    order = order_shapes.order(_node())
    assert (order.ext_id, order.number, order.tiktok_order_id) == ("42", "#1001", "576460752303423001")
    assert order.lines[0] == OrderLine(variant_key="7", sku="TEE-1", name="Tee", quantity=2,
                                       unit_price=Decimal("12.50"))
    assert order.lines[1].variant_key is None
    assert order.totals == OrderTotals(subtotal=Decimal("25.00"), shipping=Decimal("4.00"), total=Decimal("29.00"))
    assert order.ship_to == ShipTo(name="Ada Lovelace", street=("1 Main St",), city="Springfield", region="IL",
                                   postal="62701", country="US")
    assert order.payment_status is PaymentStatus.PAID
    assert order.fulfilment_status is FulfilmentStatus.AWAITING_PROCESSING
    assert "buyer@example.com" not in repr(order) and "Lovelace" not in repr(order)


@pytest.mark.parametrize(("changes", "payment", "fulfilment"), [
    ({"displayFinancialStatus": "PENDING"}, PaymentStatus.AWAITING_PAYMENT, FulfilmentStatus.AWAITING_PROCESSING),
    ({"cancelledAt": "2026-12-02T00:00:00Z"}, PaymentStatus.CANCELLED, FulfilmentStatus.WILL_NOT_DELIVER),
    ({"cancelledAt": "2026-12-02T00:00:00Z", "displayFinancialStatus": "REFUNDED"}, PaymentStatus.REFUNDED,
     FulfilmentStatus.WILL_NOT_DELIVER),
    ({"refunds": [{"id": "gid://shopify/Refund/1"}]}, PaymentStatus.PARTIALLY_REFUNDED,
     FulfilmentStatus.AWAITING_PROCESSING),
    ({"displayFulfillmentStatus": "PARTIALLY_FULFILLED"}, PaymentStatus.PAID, FulfilmentStatus.PROCESSING),
    ({"displayFulfillmentStatus": "FULFILLED",
      "fulfillments": [{"displayStatus": "DELIVERED", "trackingInfo": []}]}, PaymentStatus.PAID,
     FulfilmentStatus.DELIVERED),
    ({"displayFinancialStatus": "SOMETHING_NEW", "displayFulfillmentStatus": "SOMETHING_NEW"}, PaymentStatus.OTHER,
     FulfilmentStatus.OTHER),
])
def test_statuses(changes: dict[str, Any], payment: PaymentStatus, fulfilment: FulfilmentStatus) -> None:
    order = order_shapes.order(_node(**changes))
    assert (order.payment_status, order.fulfilment_status) == (payment, fulfilment)


def test_tracking_comes_from_the_latest_fulfilment_with_a_number() -> None:
    order = order_shapes.order(_node(displayFulfillmentStatus="FULFILLED", fulfillments=[
        {"displayStatus": "FULFILLED", "trackingInfo": [{"company": "UPS", "number": "1Z1", "url": None}]},
        {"displayStatus": "FULFILLED", "trackingInfo": [{"company": "USPS", "number": "94001", "url": "https://t/9"}]},
        {"displayStatus": "FULFILLED", "trackingInfo": []},
    ]))
    assert (order.carrier, order.tracking_number, order.tracking_url) == ("USPS", "94001", "https://t/9")


def test_a_draft_becomes_a_paid_order_input_with_the_tiktok_id() -> None:
    draft = StoreOrderDraft(
        tiktok_order_id="576460752303423001",
        lines=(OrderLine(variant_key="7", sku="TEE-1", name="Tee", quantity=2, unit_price=Decimal("12.50")),
               OrderLine(variant_key=None, sku="GIFT", name="Gift wrap", quantity=1, unit_price=Decimal("1.00"))),
        ship_to=ShipTo(name="Ada King Lovelace", phone="+15550100", street=("1 Main St", "Apt 2", "Rear"),
                       city="Springfield", region="IL", postal="62701", country="us"),
        email="buyer@example.com", currency="usd",
        totals=OrderTotals(subtotal=Decimal("26.00"), shipping=Decimal("4.00"), total=Decimal("30.00")),
        note="TikTok order",
    )
    body = order_shapes.order_input(draft)
    assert body["sourceIdentifier"] == "576460752303423001" and body["financialStatus"] == "PAID"
    assert body["currency"] == "USD"
    assert body["lineItems"][0] == {"quantity": 2, "variantId": "gid://shopify/ProductVariant/7",
                                    "priceSet": {"shopMoney": {"amount": Decimal("12.50"), "currencyCode": "USD"}}}
    assert body["lineItems"][1]["title"] == "Gift wrap" and "variantId" not in body["lineItems"][1]
    assert body["shippingAddress"] == {"firstName": "Ada King", "lastName": "Lovelace", "address1": "1 Main St",
                                       "address2": "Apt 2, Rear", "city": "Springfield", "provinceCode": "IL",
                                       "zip": "62701", "countryCode": "US", "phone": "+15550100"}
    assert body["transactions"][0]["amountSet"]["shopMoney"]["amount"] == Decimal("30.00")
    assert body["shippingLines"][0]["priceSet"]["shopMoney"]["amount"] == Decimal("4.00")
    assert body["note"] == "TikTok order"
    assert order_shapes.mailing_address(ShipTo(name="Cher", country="FR")) == {"lastName": "Cher", "countryCode": "FR"}


def test_a_discount_becomes_one_fixed_discount_code() -> None:
    draft = StoreOrderDraft(
        tiktok_order_id="1", lines=(OrderLine(variant_key="7", sku=None, name="Tee", quantity=1,
                                              unit_price=Decimal("10.00")),),
        ship_to=ShipTo(name="Ada", country="US"), email="b@example.com", currency="USD",
        totals=OrderTotals(subtotal=Decimal("10.00"), discount=Decimal("2.00"), total=Decimal("8.00")))
    assert order_shapes.order_input(draft)["discountCode"] == {"itemFixedDiscountCode": {
        "code": order_shapes.DISCOUNT_CODE, "amountSet": {"shopMoney": {"amount": Decimal("2.00"),
                                                                        "currencyCode": "USD"}}}}
    no_discount = draft.model_copy(update={"totals": OrderTotals(subtotal=Decimal("10.00"), total=Decimal("10.00"))})
    assert "discountCode" not in order_shapes.order_input(no_discount)
