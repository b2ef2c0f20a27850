"""The first pull as a bulk operation against the sandbox Shopify: the JSONL result gives the same
products as the paged pull, and failures are typed."""

from __future__ import annotations

import httpx
import pytest

from connector.stores import AuthError, StoreValidationError
from connector.stores.shopify import ShopifyCatalog
from connector.stores.shopify.store import BULK_PRODUCTS, BULK_RUN
from local.sandbox_shopify import ShopifySandbox
from local.sandbox_shopify.catalog import FLAW_MANY_VARIANTS, MANY_VARIANTS
from tests.integration.stores.helpers import RecordingLimiter, quick_sleep


def test_a_bulk_pull_gives_the_same_products_as_the_paged_pull(
    shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog
) -> None:
    seeded = shopify.seed_catalog(shop, 300)
    bulk = sorted(catalog.bulk_products(poll_every_s=0.01), key=lambda p: int(p.ext_id))
    paged = sorted(catalog.list_products(), key=lambda p: int(p.ext_id))

    assert len(bulk) == 300
    assert bulk == paged  # every field of every product and variant
    many = next(gid for gid, generated in seeded if FLAW_MANY_VARIANTS in generated.flaws)
    assert len(next(p for p in bulk if p.ext_id == many.rsplit("/", 1)[-1]).variants) == MANY_VARIANTS
    operations = [s.operation for s in shopify.served_for(shop)]
    assert operations.count("BulkProducts") == 1
    assert operations.count("BulkStatus") >= 2  # it was polled while it ran


def test_an_empty_shop_gives_nothing(catalog: ShopifyCatalog) -> None:
    assert list(catalog.bulk_products(poll_every_s=0.01)) == []


def test_a_second_bulk_query_while_one_runs_is_refused(
    shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog
) -> None:
    shopify.seed_catalog(shop, 3)
    catalog.transport.execute(BULK_RUN, {"query": BULK_PRODUCTS}, idempotent=False)
    with pytest.raises(StoreValidationError) as caught:
        list(catalog.bulk_products(poll_every_s=0.01))
    assert caught.value.platform_code == "bulk_refused"


def test_a_bulk_query_without_the_scope_fails_as_an_auth_error(
    shopify: ShopifySandbox, shop: str, http: httpx.Client
) -> None:
    shopify.seed_catalog(shop, 3)
    no_products, _ = shopify.issue_token(shop, ("read_orders",))
    catalog = ShopifyCatalog(shop, no_products, shop_base=shopify.shop_base, http=http,
                             limiter=RecordingLimiter(), sleep=quick_sleep)
    with pytest.raises(AuthError):
        list(catalog.bulk_products(poll_every_s=0.01))
