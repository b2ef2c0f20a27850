"""Ecwid JSON -> common model: the differences that bite, settled once."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from connector.stores import (
    FulfilmentStatus,
    OrderLine,
    OrderTotals,
    PaymentStatus,
    ShipTo,
    Stock,
    StoreOrderDraft,
    StoreValidationError,
)
from connector.stores.ecwid import normalize
from connector.stores.wire import decode_json


def ecwid(text: str) -> Any:
    """Parse as the adapter does (non-integers as Decimal)."""
    return decode_json(text.encode())


def product_json(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 101,
        "sku": "TEE",
        "name": "Classic Tee",
        "price": Decimal("19.99"),
        "quantity": 7,
        "unlimited": False,
        "inStock": True,
        "weight": Decimal("0.25"),
        "dimensions": {"length": 30, "width": 20, "height": 2},
        "enabled": True,
        "description": "<p>Soft</p>",
        "categoryIds": [11, 12],
        "defaultCategoryId": 11,
        "productClassId": 0,
        "attributes": [
            {"id": 1, "name": "UPC", "value": "036000291452", "type": "UPC"},
            {"id": 2, "name": "Brand", "value": "Acme", "type": "BRAND"},
            {"id": 3, "name": "Material", "value": "Cotton", "type": "CUSTOM"},
        ],
        "updateTimestamp": 1735689600,
        "media": {
            "images": [
                {"id": "2", "isMain": False, "orderBy": 1, "imageOriginalUrl": "https://img/2.png"},
                {"id": "1", "isMain": True, "orderBy": 0, "imageOriginalUrl": "https://img/1.png"},
            ]
        },
        "originalImage": {"url": "https://img/1.png", "width": 1200, "height": 1200},
    }
    base.update(overrides)
    return base


def test_a_product_without_combinations_is_its_own_single_variant() -> None:
    product = normalize.product(product_json())
    assert len(product.variants) == 1
    variant = product.variants[0]
    assert variant.key == "101" == variant.stock_key
    assert variant.sku == "TEE"
    assert variant.price == Decimal("19.99")
    assert variant.stock == Stock(tracked=True, unlimited=False, quantity=7)
    assert variant.weight == Decimal("0.25")
    assert variant.gtin == "036000291452"
    assert product.brand == "Acme"
    assert product.attributes["Material"] == "Cotton"
    assert product.options == ()
    assert product.category_ids == ("11", "12")
    assert product.product_type_id == "0"
    assert product.updated_at.timestamp() == 1735689600


def test_unlimited_stock_has_no_quantity() -> None:
    data = product_json(unlimited=True)
    del data["quantity"]  # Ecwid omits quantity when stock is unlimited
    stock = normalize.product(data).variants[0].stock
    assert stock.unlimited and not stock.tracked and stock.quantity is None
    assert stock.sellable(when_unlimited=99) == 99


def test_money_stays_decimal_from_the_wire() -> None:
    data = ecwid('{"id": 5, "name": "x", "price": 0.1, "compareToPrice": 0.3, "quantity": 1}')
    variant = normalize.product(data).variants[0]
    assert variant.price == Decimal("0.1")
    assert variant.compare_at == Decimal("0.3")
    assert isinstance(variant.price, Decimal)


def test_combinations_inherit_sku_price_weight_and_stock_from_the_product() -> None:
    data = product_json(
        options=[
            {
                "type": "SELECT",
                "name": "Size",
                "choices": [{"text": "S"}, {"text": "M"}, {"text": "L"}, {"text": "XL"}],
            },
        ],
        combinations=[
            # inherits everything: the product's SKU, price, weight and stock
            {"id": 1, "options": [{"name": "Size", "value": "S"}], "unlimited": False},
            # own SKU, price, weight and stock
            {
                "id": 2,
                "options": [{"name": "Size", "value": "M"}],
                "sku": "TEE-M",
                "quantity": 3,
                "unlimited": False,
                "price": Decimal("21.50"),
                "weight": Decimal("0.3"),
                "attributes": [{"name": "UPC", "value": "012345678905", "type": "UPC"}],
            },
            # own SKU, but quantity omitted: the stock is the product's
            {"id": 3, "options": [{"name": "Size", "value": "L"}], "sku": "TEE-L", "unlimited": False},
            # own SKU and unlimited stock
            {"id": 4, "options": [{"name": "Size", "value": "XL"}], "sku": "TEE-XL", "unlimited": True},
        ],
    )
    product = normalize.product(data)
    by_key = {v.key: v for v in product.variants}
    assert list(by_key) == ["101:1", "101:2", "101:3", "101:4"]  # the product itself is not sold

    inherited = by_key["101:1"]
    assert (inherited.sku, inherited.price, inherited.weight) == ("TEE", Decimal("19.99"), Decimal("0.25"))
    assert inherited.stock == Stock.counted(7)
    assert inherited.stock_key == "101" and inherited.inherits_stock
    assert inherited.option_values == {"Size": "S"}
    assert inherited.gtin == "036000291452"

    own = by_key["101:2"]
    assert (own.sku, own.price, own.weight) == ("TEE-M", Decimal("21.50"), Decimal("0.3"))
    assert own.stock == Stock.counted(3)
    assert own.stock_key == "101:2" and not own.inherits_stock
    assert own.gtin == "012345678905"

    no_quantity = by_key["101:3"]
    assert no_quantity.sku == "TEE-L"
    assert no_quantity.stock_key == "101" and no_quantity.stock == Stock.counted(7)

    unlimited = by_key["101:4"]
    assert unlimited.stock.unlimited and unlimited.stock_key == "101:4"

    assert [(o.name, o.values) for o in product.options] == [("Size", ("S", "M", "L", "XL"))]


def test_an_own_price_of_zero_is_not_inherited() -> None:
    data = product_json(
        combinations=[{"id": 9, "options": [{"name": "Size", "value": "S"}], "sku": "F", "price": 0, "quantity": 1}]
    )
    assert normalize.product(data).variants[0].price == Decimal("0")


def test_combinations_fetched_separately_are_used() -> None:
    data = product_json(options=[{"name": "Color", "choices": [{"text": "Red"}]}])
    combos = [{"id": 77, "options": [{"name": "Color", "value": "Red"}], "sku": "TEE-R", "quantity": 2}]
    product = normalize.product(data, combos)
    assert [v.key for v in product.variants] == ["101:77"]


def test_price_modifier_only_options_make_no_variant() -> None:
    data = product_json(
        options=[
            {
                "type": "RADIO",
                "name": "Gift wrap",
                "choices": [
                    {"text": "No", "priceModifier": 0},
                    {"text": "Yes", "priceModifier": Decimal("2.5")},
                ],
            }
        ],
        combinations=[],
    )
    product = normalize.product(data)
    assert [v.key for v in product.variants] == ["101"]
    assert product.options == ()


def test_images_main_first_with_the_main_size() -> None:
    images = normalize.product(product_json()).images
    assert [i.url for i in images] == ["https://img/1.png", "https://img/2.png"]
    assert images[0].is_main and (images[0].width, images[0].height) == (1200, 1200)
    assert not images[1].is_main and images[1].width is None


def test_missing_or_zero_weight_and_no_category_normalise_to_none() -> None:
    data = product_json(categoryIds=[], defaultCategoryId=0, weight=0)
    product = normalize.product(data)
    assert product.category_ids == () and product.default_category_id is None
    assert product.variants[0].weight is None
    del data["weight"]
    assert normalize.product(data).variants[0].weight is None


def test_a_product_needs_an_id() -> None:
    with pytest.raises(StoreValidationError):
        normalize.product({"name": "no id"})


@pytest.mark.parametrize(("key", "expected"), [("12", (12, None)), ("12:34", (12, 34))])
def test_variant_keys_round_trip(key: str, expected: tuple[int, int | None]) -> None:
    assert normalize.split_key(key) == expected
    assert normalize.variant_key(*expected) == key


@pytest.mark.parametrize("key", ["", "abc", "1:x", "1:2:3"])
def test_bad_variant_keys_are_validation_errors(key: str) -> None:
    with pytest.raises(StoreValidationError):
        normalize.split_key(key)


def test_profile_units_are_normalised() -> None:
    profile = normalize.profile(
        {
            "generalInfo": {"storeId": 1003},
            "settings": {"storeName": "Shop"},
            "formatsAndUnits": {"currency": "EUR", "weightUnit": "POUND", "timezone": "Europe/Paris"},
        },
        "1003",
    )
    assert (profile.currency, profile.weight_unit, profile.dimension_unit, profile.name) == (
        "EUR",
        "lb",
        "in",
        "Shop",
    )
    metric = normalize.profile({"formatsAndUnits": {"weightUnit": "GRAM", "dimensionsUnit": "MM"}}, "7")
    assert (metric.store_id, metric.weight_unit, metric.dimension_unit) == ("7", "g", "mm")


def test_deleted_products_and_categories() -> None:
    deleted = normalize.deleted_product({"id": 5, "date": "2025-01-01 00:00:00 +0000"})
    assert deleted.ext_id == "5" and deleted.deleted_at.timestamp() == 1735689600
    assert normalize.deleted_product({"id": 6, "date": 1735689600}).deleted_at == deleted.deleted_at
    category = normalize.category({"id": 3, "parentId": 0, "name": "Tees", "productIds": [1, 2]})
    assert (category.ext_id, category.parent_id, category.product_ids) == ("3", None, ("1", "2"))


ORDER = """{
  "id": "TL3E4", "internalId": 20, "orderNumber": 20, "email": "buyer@example.com",
  "paymentStatus": "PAID", "fulfillmentStatus": "SHIPPED", "externalOrderId": "576461413038785752",
  "refererId": "576461413038785752", "trackingNumber": "1Z999", "trackingUrl": "https://track/1Z999",
  "subtotal": 41.49, "tax": 0, "total": 46.49, "createTimestamp": 1735689600, "updateTimestamp": 1735689700,
  "shippingOption": {"shippingMethodName": "TikTok Shop", "shippingRate": 5, "shippingCarrierName": "UPS"},
  "shippingPerson": {"name": "Ann Buyer", "street": "1 Main St\\nApt 2", "city": "Austin",
                     "countryCode": "US", "postalCode": "73301", "stateOrProvinceCode": "TX",
                     "phone": "+15550100"},
  "items": [
    {"productId": 101, "combinationId": 2, "sku": "TEE-M", "name": "Classic Tee", "quantity": 1,
     "price": 21.50,
     "selectedOptions": [{"name": "Size", "value": "M", "type": "CHOICE"}]},
    {"productId": 102, "sku": "MUG", "name": "Mug", "quantity": 2, "price": 9.995}
  ]
}"""


def test_orders_are_normalised() -> None:
    order = normalize.order(ecwid(ORDER))
    assert order.ext_id == "TL3E4" and order.internal_id == "20"
    assert order.tiktok_order_id == "576461413038785752"
    assert order.payment_status is PaymentStatus.PAID and order.fulfilment_status is FulfilmentStatus.SHIPPED
    assert [(line.variant_key, line.quantity, line.unit_price) for line in order.lines] == [
        ("101:2", 1, Decimal("21.50")),
        ("102", 2, Decimal("9.995")),
    ]
    assert order.lines[0].option_values == {"Size": "M"}
    assert order.totals == OrderTotals(
        subtotal=Decimal("41.49"), shipping=Decimal("5"), tax=Decimal("0"), total=Decimal("46.49")
    )
    assert order.ship_to is not None and order.ship_to.street == ("1 Main St", "Apt 2")
    assert (order.carrier, order.tracking_number, order.tracking_url) == (
        "UPS",
        "1Z999",
        "https://track/1Z999",
    )
    assert order.updated_at is not None and order.updated_at.timestamp() == 1735689700


def test_unknown_statuses_are_other_but_kept_raw() -> None:
    order = normalize.order({"id": "A1", "paymentStatus": "CUSTOM_PAYMENT_STATUS_1", "fulfillmentStatus": ""})
    assert order.payment_status is PaymentStatus.OTHER
    assert order.payment_status_raw == "CUSTOM_PAYMENT_STATUS_1"
    assert order.fulfilment_status is FulfilmentStatus.OTHER


def _draft(**overrides: Any) -> StoreOrderDraft:
    values: dict[str, Any] = {
        "tiktok_order_id": "576461413038785752",
        "lines": (
            OrderLine(
                variant_key="101:2",
                sku="TEE-M",
                name="Classic Tee",
                quantity=1,
                unit_price=Decimal("21.50"),
                option_values={"Size": "M"},
            ),
            OrderLine(variant_key="102", sku="MUG", name="Mug", quantity=2, unit_price=Decimal("9.99")),
        ),
        "ship_to": ShipTo(
            name="Ann Buyer",
            street=("1 Main St", "Apt 2"),
            city="Austin",
            region="TX",
            postal="73301",
            country="US",
            phone="+15550100",
        ),
        "email": "buyer@example.com",
        "currency": "USD",
        "totals": OrderTotals(subtotal=Decimal("41.48"), shipping=Decimal("5.00"), total=Decimal("46.48")),
    }
    values.update(overrides)
    return StoreOrderDraft(**values)


def test_the_order_body_makes_ecwid_decrement_stock_itself() -> None:
    body = normalize.order_body(_draft())
    assert body["paymentStatus"] == "PAID"
    assert body["email"] == "buyer@example.com"
    assert body["externalOrderId"] == body["refererId"] == "576461413038785752"
    first, second = body["items"]
    assert (first["productId"], first["combinationId"]) == (101, 2)
    assert first["selectedOptions"] == [{"name": "Size", "value": "M", "type": "CHOICE"}]
    assert second["productId"] == 102 and "combinationId" not in second
    assert body["shippingPerson"]["street"] == "1 Main St\nApt 2"
    assert body["shippingOption"]["shippingRate"] == Decimal("5.00")
    # Decimal goes out as an exact JSON number
    from connector.stores.ecwid.transport import encode_json

    assert json.loads(encode_json(body))["total"] == 46.48
    assert b'"price":21.5' in encode_json(body)


def test_a_line_without_a_variant_is_refused() -> None:
    # One line without ids would make Ecwid skip the stock decrement for the whole order.
    line = OrderLine(variant_key=None, sku=None, name="Custom", quantity=1, unit_price=Decimal("1"))
    with pytest.raises(StoreValidationError) as caught:
        normalize.order_body(_draft(lines=(line,)))
    assert caught.value.reason == "line_without_variant"


def test_buyer_details_stay_out_of_reprs() -> None:
    draft = _draft()
    text = repr(draft)
    for secret in ("Ann Buyer", "buyer@example.com", "1 Main St", "+15550100", "73301"):
        assert secret not in text
