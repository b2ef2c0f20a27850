"""Contract tests: the sandbox's listing rules pinned to TikTok's documented rules (docs/tiktok.md).

Each case breaks one rule of an otherwise valid listing and expects TikTok's code through
the real client (docs/tiktok.md lists the codes; spec-silent ones are the sandbox's choice).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from connector.tiktok import errors as e
from connector.tiktok.models import (
    IdentifierCode,
    ImageRef,
    InventoryEntry,
    PackageDimensions,
    PackageWeight,
    Price,
    ProductInput,
    SalesAttributeInput,
    SkuInput,
)
from local.sandbox_tiktok import codes

from .conftest import World, png, tee_product

Mutation = Callable[[World, dict[str, Any]], None]


def _sku(world: World, attrs: list[SalesAttributeInput] | None = None, **kw: Any) -> SkuInput:
    values: dict[str, Any] = {
        "seller_sku": kw.pop("seller_sku", "SKU-1"),
        "sales_attributes": attrs,
        "inventory": [InventoryEntry(warehouse_id=world.warehouse_id, quantity=kw.pop("quantity", 5))],
        "price": Price(amount=Decimal(kw.pop("amount", "9.99")), currency=kw.pop("currency", "USD")),
    }
    values.update(kw)
    return SkuInput.model_validate(values)


def _upload(world: World, width: int, height: int, color: tuple[int, int, int] = (1, 2, 3)) -> str:
    return world.client.upload_image(world.shop, png(width, height, color)).uri


def _set(**fields: Any) -> Mutation:
    def mutate(world: World, body: dict[str, Any]) -> None:
        body.update(fields)

    return mutate


def _four_sales_attributes(world: World, body: dict[str, Any]) -> None:
    attrs = [
        SalesAttributeInput(id="100000", value_name="Black"),
        SalesAttributeInput(id="100007", value_name="M"),
        SalesAttributeInput(id="100016", value_name="Classic"),
        SalesAttributeInput(name="Sleeve", value_name="Short"),
    ]
    body["skus"] = [_sku(world, attrs)]


def _identifier(kind: str, code: str) -> Mutation:
    def mutate(world: World, body: dict[str, Any]) -> None:
        body["skus"] = [_sku(world, identifier_code=IdentifierCode(type=kind, code=code))]

    return mutate


def _main_images(count: int, width: int = 800, height: int = 800) -> Mutation:
    def mutate(world: World, body: dict[str, Any]) -> None:
        body["main_images"] = [ImageRef(uri=_upload(world, width, height, (i, 9, 9))) for i in range(count)]

    return mutate


def _skus(build: Callable[[World], list[SkuInput]]) -> Mutation:
    def mutate(world: World, body: dict[str, Any]) -> None:
        body["skus"] = build(world)

    return mutate


def _colors(world: World, *values: str) -> list[SkuInput]:
    return [
        _sku(world, [SalesAttributeInput(id="100000", value_name=v)], seller_sku=f"C-{i}") for i, v in enumerate(values)
    ]


def _sku_image_on_second(world: World) -> list[SkuInput]:
    image = ImageRef(uri=_upload(world, 800, 800))
    return [
        _sku(
            world,
            [
                SalesAttributeInput(id="100000", value_name="Black"),
                SalesAttributeInput(id="100007", value_name="M", sku_img=image),
            ],
        )
    ]


REFUSED: dict[str, tuple[Mutation, int]] = {
    "4 sales attributes": (_four_sales_attributes, codes.SALES_ATTRIBUTES_TOO_MANY),
    "11-digit UPC": (_identifier("UPC", "01234567890"), codes.IDENTIFIER_INVALID),
    "13-digit GTIN": (_identifier("GTIN", "0123456789012"), codes.IDENTIFIER_INVALID),
    "12-digit EAN": (_identifier("EAN", "012345678901"), codes.IDENTIFIER_INVALID),
    "ISBN with letters": (_identifier("ISBN", "12345678AX"), codes.IDENTIFIER_INVALID),
    "unknown identifier type": (_identifier("ASIN", "B000000000"), codes.IDENTIFIER_INVALID),
    "10 main images": (_main_images(10), codes.MAIN_IMAGES_TOO_MANY),
    "299x299 main image": (_main_images(1, 299, 299), codes.IMAGE_TOO_SMALL),
    "4001 px main image": (_main_images(1, 4001, 4001), codes.IMAGE_TOO_LARGE),
    "image never uploaded": (_set(main_images=[ImageRef(uri="tos-not-uploaded")]), codes.IMAGE_NOT_FOUND),
    "unknown category": (_set(category_id="999999"), codes.CATEGORY_NOT_FOUND),
    "parent category": (_set(category_id="1002248"), codes.CATEGORY_NOT_LEAF),
    "v1 category in a v2 shop": (_set(category_id="601302"), codes.CATEGORY_WRONG_VERSION),
    "invite-only leaf": (_set(category_id="1001801", product_attributes=[]), codes.CATEGORY_RESTRICTED),
    "required attribute missing": (_set(product_attributes=[]), codes.REQUIRED_ATTRIBUTE_MISSING),
    "title over 255": (_set(title="T" * 10 + " tee" * 62), codes.TITLE_INVALID),
    "title with emoji": (_set(title="Cotton tee \U0001f525 summer"), codes.TITLE_INVALID),
    "title with 9 repeated chars": (_set(title="Cotton tee !!!!!!!!!"), codes.TITLE_INVALID),
    "description over 10000": (_set(description="<p>" + "x" * 10_001 + "</p>"), codes.DESCRIPTION_TOO_LONG),
    "description with 31 images": (
        _set(description="".join('<img src="http://x/y.png">' for _ in range(31))),
        codes.DESCRIPTION_TOO_MANY_IMAGES,
    ),
    "description image not hosted by TikTok": (
        _set(description='<p>Hi</p><img src="https://cdn.example.com/a.png" width="800" height="800">'),
        codes.DESCRIPTION_FOREIGN_IMAGE,
    ),
    "description in Chinese": (_set(description="<p>纯棉T恤</p>"), codes.DESCRIPTION_CHINESE),
    "SKU image on a secondary attribute": (_skus(_sku_image_on_second), codes.SKU_IMAGE_NOT_PRIMARY),
    "SKUs with different attributes": (
        _skus(
            lambda w: [
                _sku(w, [SalesAttributeInput(id="100000", value_name="Black")], seller_sku="A"),
                _sku(w, [SalesAttributeInput(id="100007", value_name="M")], seller_sku="B"),
            ]
        ),
        codes.SALES_ATTRIBUTES_INCONSISTENT,
    ),
    "several SKUs without attributes": (
        _skus(lambda w: [_sku(w, seller_sku="A"), _sku(w, seller_sku="B")]),
        codes.SALES_ATTRIBUTES_MISSING,
    ),
    "two SKUs with the same values": (_skus(lambda w: _colors(w, "Black", "black")), codes.SALES_ATTRIBUTES_DUPLICATE),
    "custom attribute value over 50": (_skus(lambda w: _colors(w, "v" * 51)), codes.SALES_ATTRIBUTE_TOO_LONG),
    "301 SKUs": (
        _skus(
            lambda w: [
                _sku(w, [SalesAttributeInput(name="Pattern", value_name=f"P{i}")], seller_sku=f"S{i}")
                for i in range(301)
            ]
        ),
        codes.SKUS_TOO_MANY,
    ),
    "seller_sku with a space": (_skus(lambda w: [_sku(w, seller_sku="TEE 1")]), codes.SELLER_SKU_INVALID),
    "seller_sku over 50": (_skus(lambda w: [_sku(w, seller_sku="S" * 51)]), codes.SELLER_SKU_INVALID),
    "duplicate identifiers": (
        _skus(
            lambda w: [
                _sku(
                    w,
                    [SalesAttributeInput(id="100000", value_name=v)],
                    seller_sku=v,
                    identifier_code=IdentifierCode(type="UPC", code="012345678905"),
                )
                for v in ("Black", "White")
            ]
        ),
        codes.IDENTIFIER_DUPLICATE,
    ),
    "price with 3 decimals": (_skus(lambda w: [_sku(w, amount="9.999")]), codes.PRICE_INVALID),
    "zero price": (_skus(lambda w: [_sku(w, amount="0")]), codes.PRICE_INVALID),
    "foreign currency": (_skus(lambda w: [_sku(w, currency="EUR")]), codes.PRICE_CURRENCY_MISMATCH),
    "quantity over 99999": (_skus(lambda w: [_sku(w, quantity=100_000)]), codes.INVENTORY_OUT_OF_RANGE),
    "unknown warehouse": (
        _skus(lambda w: [_sku(w, inventory=[InventoryEntry(warehouse_id="123", quantity=1)])]),
        codes.WAREHOUSE_NOT_FOUND,
    ),
    "disabled warehouse": (
        _skus(
            lambda w: [
                _sku(
                    w,
                    inventory=[
                        InventoryEntry(
                            warehouse_id=next(
                                x["id"] for x in w.seller["shops"][0]["warehouses"] if x["effect_status"] == "DISABLED"
                            ),
                            quantity=1,
                        )
                    ],
                )
            ]
        ),
        codes.WAREHOUSE_NOT_SALES,
    ),
    "weight in grams in the US": (
        _set(package_weight=PackageWeight(value="250", unit="GRAM")),
        codes.PACKAGE_WEIGHT_INVALID,
    ),
    "weight with 4 decimals": (
        _set(package_weight=PackageWeight(value="0.2501", unit="KILOGRAM")),
        codes.PACKAGE_WEIGHT_INVALID,
    ),
    "no package dimensions": (_set(package_dimensions=None), codes.PACKAGE_DIMENSIONS_INVALID),
    "fractional dimensions": (
        _set(package_dimensions=PackageDimensions(length="30.5", width="20", height="3", unit="CENTIMETER")),
        codes.PACKAGE_DIMENSIONS_INVALID,
    ),
    "pounds with centimetres": (
        _set(package_weight=PackageWeight(value="0.5", unit="POUND")),
        codes.PACKAGE_DIMENSIONS_INVALID,
    ),
    "brand of another category": (_set(brand_id="7082427311584347908"), codes.BRAND_NOT_AVAILABLE),
    "unauthorized T1 brand": (_set(brand_id="7082427311584347911"), codes.BRAND_NOT_AUTHORIZED),
    "attribute of another category": (
        _set(product_attributes=[{"id": "101900", "values": [{"id": "3601"}]}]),
        codes.ATTRIBUTE_NOT_IN_CATEGORY,
    ),
    "toy without its certification": (
        _set(category_id="1004215", product_attributes=[{"id": "102000", "values": [{"id": "3801"}]}], brand_id=None),
        codes.QUALIFICATION_MISSING,
    ),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_listing_rule_is_refused_with_its_code(world: World, case: str) -> None:
    mutate, code = REFUSED[case]
    body = dict(tee_product(world))
    mutate(world, body)
    product = ProductInput.model_validate(body)

    with pytest.raises(e.ProductValidationError) as caught:
        world.client.create_product(world.shop, product)

    assert caught.value.tiktok_code == code, caught.value.tiktok_message
    assert caught.value.request_id
    assert not any(p.shop_id == world.shop_id for p in world.sandbox.state.products.values())  # nothing listed


def _hosted_image_description(world: World) -> str:
    url = world.client.upload_image(world.shop, png(900, 900), use_case="DESCRIPTION_IMAGE").url
    return f'<p>Look</p><img src="{url}" width="900" height="900">'


ACCEPTED: dict[str, Mutation] = {
    "3 sales attributes": _skus(
        lambda w: [
            _sku(
                w,
                [
                    SalesAttributeInput(id="100000", value_name="Black"),
                    SalesAttributeInput(id="100007", value_name="M"),
                    SalesAttributeInput(name="Sleeve", value_name="Short"),
                ],
            )
        ]
    ),
    "12-digit UPC": _identifier("UPC", "012345678905"),
    "14-digit GTIN": _identifier("GTIN", "00012345678905"),
    "8-digit EAN": _identifier("EAN", "96385074"),
    "ISBN 9 digits + X": _identifier("ISBN", "123456789X"),
    "13-digit JAN": _identifier("JAN", "4901234567894"),
    "9 main images": _main_images(9),
    "600x600 main image": _main_images(1, 600, 600),
    "300x300 main image": _main_images(1, 300, 300),
    "4:3 main image": _main_images(1, 800, 600),
    "255-character title": _set(title="T" * 5 + " tee" * 62 + "!!"),
    "single SKU without attributes": _skus(lambda w: [_sku(w)]),
    "zero stock": _skus(lambda w: [_sku(w, quantity=0)]),
    "pounds with inches": _set(
        package_weight=PackageWeight(value="0.55", unit="POUND"),
        package_dimensions=PackageDimensions(length="12", width="8", height="1", unit="INCH"),
    ),
    "description with TikTok-hosted image": lambda w, body: body.update(description=_hosted_image_description(w)),
    "no brand": _set(brand_id=None),
}


@pytest.mark.parametrize("case", list(ACCEPTED), ids=list(ACCEPTED))
def test_listing_within_the_rules_is_accepted(world: World, case: str) -> None:
    body = dict(tee_product(world))
    ACCEPTED[case](world, body)

    result = world.client.create_product(world.shop, ProductInput.model_validate(body))

    assert result.product_id in world.sandbox.state.products
    assert len(result.skus) == len(body["skus"])


def test_missing_required_field_is_a_bad_request(world: World) -> None:
    body = tee_product(world).wire()
    del body["package_weight"]
    with pytest.raises(e.BadRequest) as caught:
        world.client.request("POST", "/product/202309/products", shop=world.shop, json=body)
    assert caught.value.tiktok_code == codes.BAD_PARAMETER
    assert "package_weight" in caught.value.tiktok_message


def test_listing_check_reports_every_problem(world: World) -> None:
    body = dict(tee_product(world))
    body["title"] = "Tee \U0001f525"
    body["description"] = "<p>纯棉</p>"
    _four_sales_attributes(world, body)

    result = world.client.check_listing(world.shop, ProductInput.model_validate(body))

    assert not result.passed
    assert {f.code for f in result.fail_reasons} >= {
        codes.TITLE_INVALID,
        codes.DESCRIPTION_CHINESE,
        codes.SALES_ATTRIBUTES_TOO_MANY,
    }
    assert world.client.check_listing(world.shop, tee_product(world)).passed


def test_non_us_shop_wants_v1_categories_longer_titles_and_kilograms(sandbox: Any, world: World) -> None:
    seller = sandbox.create_seller("SG Seller", "SG")
    shop = seller["shops"][0]
    tokens = sandbox.issue_tokens(seller["id"])
    from connector.tiktok.client import ShopRef
    from connector.tiktok.oauth import StaticToken

    client = world.client.with_tokens(StaticToken(tokens["access_token"]))
    ref = ShopRef(id=shop["id"], cipher=shop["cipher"])
    body = dict(tee_product(world, images=[client.upload_image(ref, png()).uri]))
    body.update(category_id="1000302", title="Short title")
    body["skus"] = [
        _sku(world, inventory=[InventoryEntry(warehouse_id=shop["default_warehouse_id"], quantity=1)], currency="SGD")
    ]

    with pytest.raises(e.ProductValidationError) as wrong_version:
        client.create_product(ref, ProductInput.model_validate(body))
    body["category_id"] = "601302"
    with pytest.raises(e.ProductValidationError) as short_title:
        client.create_product(ref, ProductInput.model_validate(body))
    body["title"] = "Organic cotton crew neck t-shirt"
    created = client.create_product(ref, ProductInput.model_validate(body))

    assert wrong_version.value.tiktok_code == codes.CATEGORY_WRONG_VERSION
    assert short_title.value.tiktok_code == codes.TITLE_INVALID
    assert created.product_id
