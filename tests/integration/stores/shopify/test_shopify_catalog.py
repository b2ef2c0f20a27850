"""The Shopify catalog pull against the sandbox Shopify: paging across 250+ products, variants past
the first page, the model's fields, incremental pulls, and refusals typed as errors."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from connector.stores import AuthError, ServerError, StoreNotFound, StoreValidationError
from connector.stores.shopify import ShopifyCatalog, ShopifyTransport
from connector.stores.shopify.config import PRODUCTS_PAGE, VARIANTS_PER_PRODUCT
from local.sandbox_shopify import ShopifySandbox
from local.sandbox_shopify.catalog import FLAW_MANY_VARIANTS, MANY_VARIANTS
from tests.integration.stores.helpers import RecordingLimiter, quick_sleep


def _number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


def test_a_catalog_of_260_products_is_paged_completely_in_update_order(
    shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog
) -> None:
    seeded = shopify.seed_catalog(shop, 260)
    products = list(catalog.list_products())

    assert len(products) == 260
    assert {p.ext_id for p in products} == {_number(gid) for gid, _ in seeded}
    stamps = [p.updated_at for p in products]
    assert stamps == sorted(stamps)  # oldest change first
    pages = [s for s in shopify.served_for(shop) if s.operation == "Products"]
    assert len(pages) == math.ceil(260 / PRODUCTS_PAGE)
    assert all(s.status == 200 and not s.codes for s in shopify.served_for(shop))
    assert all(s.requested_cost <= 1000 for s in shopify.served_for(shop))


def test_a_product_with_more_variants_than_a_page_is_read_whole(
    shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog
) -> None:
    seeded = shopify.seed_catalog(shop, 60)
    many = [gid for gid, generated in seeded if FLAW_MANY_VARIANTS in generated.flaws]
    assert many, "the generator's seed must give one product with many variants"
    by_id = {p.ext_id: p for p in catalog.list_products()}
    product = by_id[_number(many[0])]
    assert len(product.variants) == MANY_VARIANTS > VARIANTS_PER_PRODUCT
    assert len({v.key for v in product.variants}) == MANY_VARIANTS
    assert [s.operation for s in shopify.served_for(shop)].count("ProductVariants") >= 1
    assert len(product.options) == 3
    assert all(set(v.option_values) == {"Size", "Color", "Material"} for v in product.variants)


def test_the_model_carries_brand_barcode_description_media_options_and_weight(
    shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog
) -> None:
    seeded = shopify.seed_catalog(shop, 40)
    stored = {_number(p["id"]): p for p in shopify.state.products(shop)}
    for product in catalog.list_products():
        raw = stored[product.ext_id]
        assert product.title == raw["title"]
        assert product.description_html == raw["descriptionHtml"]
        assert product.brand == raw["vendor"]
        assert product.enabled is (raw["status"] == "ACTIVE")
        assert product.attributes == {"product_type": raw["productType"]}
        assert [i.url for i in product.images] == [m["image"]["url"] for m in raw["media"]]
        if product.images:
            assert product.images[0].is_main and (product.images[0].width, product.images[0].height) == (
                raw["media"][0]["image"]["width"], raw["media"][0]["image"]["height"])
        if raw["options"] == [{"name": "Title", "values": ["Default Title"],
                               "id": raw["options"][0]["id"], "position": 1}]:
            assert product.options == ()
        else:
            assert [o.name for o in product.options] == [o["name"] for o in raw["options"]]
        for variant, raw_variant in zip(product.variants, raw["variants"], strict=True):
            assert variant.key == variant.stock_key == _number(raw_variant["id"])
            assert variant.product_id == product.ext_id
            assert variant.sku == raw_variant["sku"]
            assert variant.gtin == raw_variant["barcode"]
            assert variant.price == Decimal(raw_variant["price"])
            assert isinstance(variant.price, Decimal)
            item = raw_variant["inventoryItem"]
            if item["tracked"]:
                assert variant.stock.quantity == raw_variant["inventoryQuantity"]
            else:
                assert variant.stock.unlimited
            weight = item["measurement"]["weight"]
            if weight is None:
                assert variant.weight is None
            else:  # the shop weighs in grams
                factor = {"KILOGRAMS": Decimal(1000), "GRAMS": Decimal(1), "POUNDS": Decimal("453.59237"),
                          "OUNCES": Decimal("28.349523125")}[weight["unit"]]
                assert variant.weight is not None
                assert abs(variant.weight - Decimal(str(weight["value"])) * factor) <= Decimal("0.0005")
    assert len(seeded) == 40


def test_an_incremental_pull_reads_only_what_changed_since(
    shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog
) -> None:
    seeded = shopify.seed_catalog(shop, 30)
    later = datetime(2026, 12, 1, tzinfo=UTC)
    changed = [seeded[4][0], seeded[17][0]]
    for offset, gid in enumerate(changed):
        shopify.state.touch_product(shop, gid, {"title": f"Changed {offset}"},
                                    updated_at=later + timedelta(seconds=offset))
    pulled = list(catalog.list_products(updated_since=later))
    assert [p.ext_id for p in pulled] == [_number(g) for g in changed]
    assert [p.title for p in pulled] == ["Changed 0", "Changed 1"]
    assert list(catalog.list_products(updated_since=later + timedelta(days=1))) == []


def test_one_product_is_read_by_id_and_a_missing_one_is_not_found(
    shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog
) -> None:
    seeded = shopify.seed_catalog(shop, 5)
    product = catalog.get_product(_number(seeded[2][0]))
    assert product.ext_id == _number(seeded[2][0])
    assert catalog.get_product(seeded[2][0]).ext_id == product.ext_id  # a GID is accepted too
    with pytest.raises(StoreNotFound):
        catalog.get_product("999999999999")
    with pytest.raises(StoreValidationError):
        catalog.get_product("12; drop")


def test_the_profile_names_currency_and_units(shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog) -> None:
    profile = catalog.profile()
    assert profile.store_id == shop
    assert profile.currency == "USD"
    assert (profile.weight_unit, profile.dimension_unit) == ("g", "cm")


def test_a_query_with_a_field_shopify_lacks_is_refused_as_shopify_refuses_it(
    shopify: ShopifySandbox, shop: str, token: str, http: httpx.Client
) -> None:
    transport = ShopifyTransport(shop, token, shop_base=shopify.shop_base, http=http, limiter=RecordingLimiter())
    with pytest.raises(StoreValidationError) as caught:
        transport.execute("query Bad { products(first: 1) { nodes { id weight } } }")
    assert caught.value.platform_code == "undefinedField"
    assert "products.nodes.weight" in str(caught.value)
    with pytest.raises(StoreValidationError) as too_big:
        transport.execute("query Big { products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }")
    assert too_big.value.platform_code == "MAX_COST_EXCEEDED"


def test_a_bad_token_or_a_missing_scope_is_an_auth_error(
    shopify: ShopifySandbox, shop: str, http: httpx.Client
) -> None:
    shopify.seed_catalog(shop, 3)
    wrong = ShopifyCatalog(shop, "shpat_not_a_token", shop_base=shopify.shop_base, http=http,
                           limiter=RecordingLimiter())
    with pytest.raises(AuthError) as caught:
        list(wrong.list_products())
    assert caught.value.http_status == 401 and "shpat_not_a_token" not in str(caught.value)
    no_scope, _ = shopify.issue_token(shop, ("read_orders",))
    blind = ShopifyCatalog(shop, no_scope, shop_base=shopify.shop_base, http=http, limiter=RecordingLimiter())
    with pytest.raises(AuthError) as denied:
        list(blind.list_products())
    assert denied.value.platform_code == "ACCESS_DENIED"


def test_an_expired_token_is_an_auth_error(shopify: ShopifySandbox, shop: str, token: str,
                                           catalog: ShopifyCatalog) -> None:
    shopify.state.expire_token(token)
    with pytest.raises(AuthError):
        catalog.profile()


def test_server_errors_are_retried_and_an_outage_is_a_server_error(
    shopify: ShopifySandbox, shop: str, token: str, http: httpx.Client
) -> None:
    shopify.seed_catalog(shop, 20)
    catalog = ShopifyCatalog(shop, token, shop_base=shopify.shop_base, http=http, limiter=RecordingLimiter(),
                             sleep=quick_sleep)
    shopify.add_fault(status=503, times=2)
    assert len(list(catalog.list_products())) == 20
    shopify.add_fault(status=500, times=10)
    with pytest.raises(ServerError):
        catalog.profile()
