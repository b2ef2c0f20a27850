"""The first pull of a connection through the store protocol (``whole_catalog``) against the
sandbox Shopify: one bulk operation, the paged pull when another bulk query of the app runs, and
each product's store category from its product type."""

from __future__ import annotations

from connector.stores.shopify import ShopifyCatalog
from connector.stores.shopify.normalize import type_category
from connector.stores.shopify.store import BULK_PRODUCTS, BULK_RUN
from local.sandbox_shopify import ShopifySandbox


def test_the_whole_catalog_is_read_by_one_bulk_operation(
    shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog
) -> None:
    shopify.seed_catalog(shop, 40)

    whole = sorted(catalog.whole_catalog(), key=lambda p: int(p.ext_id))

    operations = [s.operation for s in shopify.served_for(shop)]
    assert operations.count("BulkProducts") == 1 and "Products" not in operations
    assert whole == sorted(catalog.list_products(), key=lambda p: int(p.ext_id))
    assert len(whole) == 40


def test_another_bulk_query_running_falls_back_to_the_paged_pull(
    shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog
) -> None:
    shopify.seed_catalog(shop, 12)
    catalog.transport.execute(BULK_RUN, {"query": BULK_PRODUCTS}, idempotent=False)  # the app's other bulk query

    whole = list(catalog.whole_catalog())

    assert len(whole) == 12
    assert "Products" in [s.operation for s in shopify.served_for(shop)]


def test_a_product_type_is_the_store_category(shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog) -> None:
    seeded = shopify.seed_catalog(shop, 10)
    by_id = {p.ext_id: p for p in catalog.list_products()}
    for gid, generated in seeded:
        product = by_id[gid.rsplit("/", 1)[-1]]
        expected = f"type-{generated.spec['productType'].lower()}"
        assert product.default_category_id == expected and product.category_ids == (expected,)


def test_type_categories_are_url_safe_and_absent_without_a_type() -> None:
    assert type_category("Home & Garden / Candles") == "type-home-garden-candles"
    assert type_category("T-Shirts") == "type-t-shirts"
    assert type_category("") is None and type_category("  --  ") is None and type_category(None) is None
