from __future__ import annotations

from decimal import Decimal

import pytest

from connector.catalog.settings import ListingContext, PackageDefaults, PriceRule, StockRule
from connector.catalog.transform import ListingRejected, main_image_urls, to_product_input
from connector.stores.protocol import Stock, StoreImage

from .builders import (
    EAN_13,
    GTIN_14,
    HOSTED_PREFIX,
    ISBN_13,
    UPC,
    UPC_2,
    WAREHOUSE,
    hosted_for,
    leaf,
    listing_for,
    product,
    sandbox_problems,
    settings,
    sized,
    uris_for,
    variant,
)

GENERAL = listing_for(leaf("general"))


def test_single_sku_product_has_no_sales_attributes_and_passes_the_sandbox() -> None:
    p = product([variant(gtin=UPC)])
    body = to_product_input(p, GENERAL, settings(), uris_for(p)).wire()
    assert body["skus"] == [
        {
            "seller_sku": "SKU-v1",
            "external_sku_id": "v1",
            "inventory": [{"warehouse_id": WAREHOUSE, "quantity": 5}],
            "price": {"amount": "19.90", "currency": "USD"},
            "identifier_code": {"code": UPC, "type": "UPC"},
        }
    ]
    assert body["external_product_id"] == "p1"
    assert body["category_version"] == "v2"
    assert sandbox_problems(body, "US", uris_for(p).values()) == []


def test_options_become_sales_attributes_with_the_sku_image_on_the_first() -> None:
    p = sized(
        {
            "a": {"Size": "S", "Color": "Red"},
            "b": {"Size": "M", "Color": "Red"},
            "c": {"Size": " S ", "Color": "Blue"},
        }
    )
    p = p.model_copy(
        update={
            "variants": (
                p.variants[0].model_copy(update={"image_url": "https://store.example/red.jpg"}),
                *p.variants[1:],
            )
        }
    )
    uris = uris_for(p)
    body = to_product_input(p, GENERAL, settings(), uris).wire()
    assert [sku["sales_attributes"] for sku in body["skus"]] == [
        [
            {"name": "Size", "value_name": "S", "sku_img": {"uri": uris["https://store.example/red.jpg"]}},
            {"name": "Color", "value_name": "Red"},
        ],
        [{"name": "Size", "value_name": "M"}, {"name": "Color", "value_name": "Red"}],
        [{"name": "Size", "value_name": "S"}, {"name": "Color", "value_name": "Blue"}],
    ]
    assert sandbox_problems(body, "US", uris.values()) == []


def test_identifier_priority_and_shared_codes_left_off() -> None:
    p = sized({"a": {"Size": "S"}, "b": {"Size": "M"}, "c": {"Size": "L"}, "d": {"Size": "XL"}})
    gtins = [ISBN_13, GTIN_14, EAN_13, EAN_13]
    p = p.model_copy(
        update={"variants": tuple(v.model_copy(update={"gtin": g}) for v, g in zip(p.variants, gtins, strict=True))}
    )
    body = to_product_input(p, GENERAL, settings(identifier_priority=("ISBN", "GTIN", "EAN")), uris_for(p)).wire()
    assert [sku.get("identifier_code") for sku in body["skus"]] == [
        {"code": ISBN_13, "type": "ISBN"},
        {"code": GTIN_14, "type": "GTIN"},
        None,
        None,
    ]


def test_price_and_stock_rules_apply() -> None:
    p = product([variant(price=Decimal("10.00"), compare_at=Decimal("12.00"), stock=Stock.unlimited_stock())])
    s = settings(
        price=PriceRule(source="compare_at", percent=Decimal("20"), rounding=".99"),
        stock=StockRule(unlimited_quantity=50, reserve_percent=Decimal("10"), reserve_fixed=1),
    )
    sku = to_product_input(p, GENERAL, s, uris_for(p)).wire()["skus"][0]
    assert sku["price"] == {"amount": "14.99", "currency": "USD"}
    assert sku["inventory"][0]["quantity"] == 44


def test_stock_is_capped_at_tiktok_maximum() -> None:
    p = product([variant(stock=Stock.counted(250_000))])
    body = to_product_input(p, GENERAL, settings(), uris_for(p)).wire()
    assert body["skus"][0]["inventory"][0]["quantity"] == 99_999
    assert sandbox_problems(body, "US", uris_for(p).values()) == []


@pytest.mark.parametrize(
    ("region", "store_unit", "weight", "dims"),
    [
        (
            "US",
            "lb",
            {"value": "1.50", "unit": "POUND"},
            {"length": "20", "width": "15", "height": "3", "unit": "INCH"},
        ),
        (
            "US",
            "kg",
            {"value": "1.500", "unit": "KILOGRAM"},
            {"length": "20", "width": "15", "height": "3", "unit": "CENTIMETER"},
        ),
        (
            "GB",
            "lb",
            {"value": "0.681", "unit": "KILOGRAM"},
            {"length": "51", "width": "39", "height": "8", "unit": "CENTIMETER"},
        ),
        (
            "BR",
            "g",
            {"value": "2", "unit": "GRAM"},
            {"length": "20", "width": "15", "height": "3", "unit": "CENTIMETER"},
        ),
    ],
)
def test_package_units_per_region(region: str, store_unit: str, weight: dict[str, str], dims: dict[str, str]) -> None:
    p = product([variant(weight=Decimal("1.5"))])
    dim_unit = "in" if store_unit == "lb" else "cm"
    listing = listing_for(leaf("general"), region)
    s = settings(region, store_weight_unit=store_unit, store_dimension_unit=dim_unit)
    body = to_product_input(p, listing, s, uris_for(p)).wire()
    assert body["package_weight"] == weight
    assert body["package_dimensions"] == dims
    assert sandbox_problems(body, region, uris_for(p).values()) == []


def test_default_package_is_used_when_the_product_has_none() -> None:
    p = product([variant(weight=None, dimensions=None)])
    defaults = PackageDefaults(weight=Decimal("0.3"), length=Decimal(10), width=Decimal(8), height=Decimal(4))
    body = to_product_input(p, GENERAL, settings(package=defaults), uris_for(p)).wire()
    assert body["package_weight"] == {"value": "0.300", "unit": "KILOGRAM"}
    assert body["package_dimensions"]["length"] == "10"


def test_images_main_first_only_uploaded_ones_at_most_nine() -> None:
    images = tuple(StoreImage(url=f"https://s.example/{n}.jpg", is_main=n == 3) for n in range(12))
    p = product(images=images)
    assert main_image_urls(p)[0] == "https://s.example/3.jpg"
    uris = uris_for(p)
    del uris["https://s.example/0.jpg"]
    body = to_product_input(p, GENERAL, settings(), uris).wire()
    assert [i["uri"] for i in body["main_images"]] == [
        uris[u] for u in ["https://s.example/3.jpg", *(f"https://s.example/{n}.jpg" for n in (1, 2, 4, 5, 6, 7, 8, 9))]
    ]


def test_description_images_use_the_hosted_urls() -> None:
    p = product(
        description_html='<p>Look</p><img src="https://store.example/d.jpg"><img src="https://store.example/x.jpg">'
    )
    hosted = hosted_for(["https://store.example/d.jpg"])
    body = to_product_input(p, GENERAL, settings(), uris_for(p), hosted).wire()
    assert body["description"] == f'<p>Look</p><p><img src="{HOSTED_PREFIX}d0.jpg"></p>'
    assert sandbox_problems(body, "US", uris_for(p).values()) == []


def test_attributes_and_certifications_are_sent() -> None:
    toys = listing_for(leaf("toys"))
    p = product(title="Building blocks starter set")
    body = to_product_input(p, toys, settings(), uris_for(p)).wire()
    assert body["product_attributes"] == [{"id": "102000", "values": [{"id": "3801"}]}]
    assert body["certifications"][0]["id"] == "7000001"
    assert sandbox_problems(body, "US", uris_for(p).values()) == []


def test_blocking_problems_raise_with_the_problems() -> None:
    with pytest.raises(ListingRejected) as caught:
        to_product_input(product([variant(gtin=UPC[:11])]), ListingContext(category_id=None), settings(), {})
    assert [p.code for p in caught.value.problems] == ["no_category", "bad_identifier"]


def test_no_uploaded_image_raises() -> None:
    with pytest.raises(ListingRejected) as caught:
        to_product_input(product(), GENERAL, settings(), {})
    assert [p.code for p in caught.value.problems] == ["no_images"]


def test_sandbox_rejects_what_validate_rejects_for_the_generator_flaws() -> None:
    """Sanity of the oracle: a bad UPC sent anyway is refused by the sandbox too."""
    p = product([variant(gtin=UPC_2)])
    body = to_product_input(p, GENERAL, settings(), uris_for(p)).wire()
    body["skus"][0]["identifier_code"] = {"code": UPC[:11], "type": "UPC"}
    assert sandbox_problems(body, "US", uris_for(p).values())
