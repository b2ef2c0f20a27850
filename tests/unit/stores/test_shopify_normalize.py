"""Shopify GraphQL shapes -> the common store model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connector.stores import StoreValidationError
from connector.stores.shopify import normalize


def _variant(**changes: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": "gid://shopify/ProductVariant/42",
        "sku": "TS-RED-M",
        "barcode": "4006381333931",
        "price": "19.99",
        "compareAtPrice": "24.99",
        "inventoryQuantity": 7,
        "inventoryPolicy": "DENY",
        "selectedOptions": [{"name": "Color", "value": "Red"}, {"name": "Size", "value": "M"}],
        "inventoryItem": {"id": "gid://shopify/InventoryItem/9", "tracked": True,
                          "measurement": {"weight": {"unit": "POUNDS", "value": 2.5}}},
    }
    node.update(changes)
    return node


def _product(**changes: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": "gid://shopify/Product/7",
        "title": "Tee",
        "descriptionHtml": "<p>Soft</p>",
        "vendor": "Northwind",
        "productType": "T-Shirts",
        "status": "ACTIVE",
        "updatedAt": "2026-12-06T08:00:00Z",
        "options": [{"name": "Color", "values": ["Red"]}, {"name": "Size", "values": ["M"]}],
        "media": {"nodes": [
            {"mediaContentType": "VIDEO"},
            {"mediaContentType": "IMAGE", "image": {"url": "https://cdn/a.png", "width": 800, "height": 800}},
            {"mediaContentType": "IMAGE", "image": {"url": "https://cdn/b.png", "width": 600, "height": 300}},
        ]},
    }
    node.update(changes)
    return node


def test_a_product_and_its_variants_map_to_the_model() -> None:
    product = normalize.product(_product(), [_variant()], "KILOGRAMS")
    assert product.ext_id == "7"
    assert (product.title, product.description_html, product.brand) == ("Tee", "<p>Soft</p>", "Northwind")
    assert product.enabled and product.updated_at == datetime(2026, 12, 6, 8, tzinfo=UTC)
    assert product.attributes == {"product_type": "T-Shirts"}
    assert [(o.name, o.values) for o in product.options] == [("Color", ("Red",)), ("Size", ("M",))]
    assert [(i.url, i.is_main, i.width, i.height) for i in product.images] == [
        ("https://cdn/a.png", True, 800, 800), ("https://cdn/b.png", False, 600, 300)]
    variant = product.variants[0]
    assert (variant.key, variant.stock_key, variant.product_id) == ("42", "42", "7")
    assert not variant.inherits_stock
    assert (variant.sku, variant.gtin) == ("TS-RED-M", "4006381333931")
    assert (variant.price, variant.compare_at) == (Decimal("19.99"), Decimal("24.99"))
    assert variant.stock.tracked and variant.stock.quantity == 7
    assert variant.weight == Decimal("1.134")  # 2.5 lb in kg
    assert variant.option_values == {"Color": "Red", "Size": "M"}


def test_the_default_option_of_a_product_without_options_is_left_out() -> None:
    product = normalize.product(
        _product(options=[{"name": "Title", "values": ["Default Title"]}]),
        [_variant(selectedOptions=[{"name": "Title", "value": "Default Title"}])],
        "GRAMS",
    )
    assert product.options == ()
    assert product.variants[0].option_values == {}


def test_untracked_inventory_is_unlimited_and_blanks_are_none() -> None:
    variant = normalize.variant(
        _variant(sku="  ", barcode="", compareAtPrice=None, inventoryQuantity=None,
                 inventoryItem={"tracked": False, "measurement": {"weight": None}}),
        "7", "GRAMS")
    assert variant.stock.unlimited and variant.stock.quantity is None
    assert (variant.sku, variant.gtin, variant.compare_at, variant.weight) == (None, None, None, None)


def test_a_tracked_variant_without_a_count_has_zero() -> None:
    assert normalize.variant(_variant(inventoryQuantity=None), "7", "GRAMS").stock.quantity == 0


@pytest.mark.parametrize(
    ("unit", "value", "shop_unit", "expected"),
    [
        ("GRAMS", 500, "GRAMS", Decimal("500")),
        ("GRAMS", 500, "KILOGRAMS", Decimal("0.5")),
        ("KILOGRAMS", 1, "POUNDS", Decimal("2.205")),
        ("OUNCES", 16, "POUNDS", Decimal("1")),
        ("PARSECS", 1, "GRAMS", None),
    ],
)
def test_weight_is_converted_to_the_shops_unit(unit: str, value: float, shop_unit: str,
                                               expected: Decimal | None) -> None:
    assert normalize.weight({"weight": {"unit": unit, "value": value}}, shop_unit) == expected


def test_draft_products_are_disabled_and_a_blank_vendor_is_no_brand() -> None:
    product = normalize.product(_product(status="DRAFT", vendor=" ", productType=""), [_variant()], "GRAMS")
    assert not product.enabled and product.brand is None and product.attributes == {}


def test_a_variant_without_a_price_is_refused() -> None:
    with pytest.raises(StoreValidationError):
        normalize.variant(_variant(price=None), "7", "GRAMS")


def test_a_product_without_variants_is_refused() -> None:
    with pytest.raises(ValueError):
        normalize.product(_product(), [], "GRAMS")


@pytest.mark.parametrize(("value", "expected"), [("gid://shopify/Product/7", "7"), ("7", "7"), (7, "7")])
def test_ids(value: object, expected: str) -> None:
    assert normalize.number(value) == expected
    assert normalize.gid("Product", str(value)) == "gid://shopify/Product/7"


@pytest.mark.parametrize("value", ["", "gid://shopify/Product/x", "7; drop", "-7", None])
def test_bad_ids_are_refused(value: object) -> None:
    with pytest.raises(StoreValidationError):
        normalize.number(value)


def test_the_profile() -> None:
    profile = normalize.profile({"name": "Demo", "myshopifyDomain": "demo.myshopify.com", "currencyCode": "EUR",
                                 "weightUnit": "POUNDS", "unitSystem": "IMPERIAL_SYSTEM",
                                 "ianaTimezone": "Europe/Paris", "url": "https://demo.example"})
    assert (profile.store_id, profile.name, profile.currency) == ("demo.myshopify.com", "Demo", "EUR")
    assert (profile.weight_unit, profile.dimension_unit, profile.timezone) == ("lb", "in", "Europe/Paris")
