"""Fixtures for the Shopify adapter against the sandbox Shopify (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from connector.stores.shopify import ShopifyCatalog
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.helpers import RecordingLimiter, quick_sleep

CLIENT_ID = "shopify-sandbox-app"
CLIENT_SECRET = "shopify-sandbox-app-secret"
FAST_RESTORE = 1_000_000.0
"""Points per second restored when a test is not about throttling (the bucket never empties)."""

TIME_SCALE = 0.0002
"""Shopify's webhook retry schedule compressed: one minute -> 12 ms, four hours -> 2.9 s."""

_shops = itertools.count(1)


@pytest.fixture(scope="package")
def shopify() -> Iterator[ShopifySandbox]:
    """One sandbox for this package; every test gets its own shop, and the autouse fixture below
    resets the global switches."""
    server = ShopifySandbox(CLIENT_ID, CLIENT_SECRET, seed=24, time_scale=TIME_SCALE).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_shopify(shopify: ShopifySandbox) -> None:
    shopify.clear_faults()
    shopify.set_cost_limits(2000.0, FAST_RESTORE)
    shopify.auto_approve = True
    shopify.webhooks.duplicate = 0.0
    shopify.webhooks.forged = 0.0


@pytest.fixture
def shop(shopify: ShopifySandbox) -> str:
    return shopify.create_shop(f"it-shop-{next(_shops)}.myshopify.com", weight_unit="GRAMS")


@pytest.fixture
def token(shopify: ShopifySandbox, shop: str) -> str:
    access, _refresh = shopify.issue_token(shop, ("read_products", "read_inventory"))
    return access


@pytest.fixture
def limiter() -> RecordingLimiter:
    return RecordingLimiter()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    client = httpx.Client(timeout=httpx.Timeout(5.0))
    yield client
    client.close()


@pytest.fixture
def catalog(shopify: ShopifySandbox, shop: str, token: str, limiter: RecordingLimiter,
            http: httpx.Client) -> ShopifyCatalog:
    return ShopifyCatalog(shop, token, shop_base=shopify.shop_base, http=http, limiter=limiter, sleep=quick_sleep)
