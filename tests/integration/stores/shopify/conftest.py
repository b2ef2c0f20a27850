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
    access, _refresh = shopify.issue_token(shop, ("read_products", "read_inventory", "read_locations"))
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


WRITE_SCOPES = ("read_products", "write_products", "read_inventory", "write_inventory", "read_orders", "write_orders",
                "read_merchant_managed_fulfillment_orders", "write_merchant_managed_fulfillment_orders",
                "read_locations")
"""The scopes the adapter asks for at install (``config.SCOPES``)."""


def simple_product(sku: str, *, price: str = "12.50", quantity: int = 5, tracked: bool = True,
                   policy: str = "DENY") -> dict[str, object]:
    """A one-variant product spec in the sandbox's GraphQL shape."""
    return {
        "title": f"Product {sku}", "descriptionHtml": "<p>A product</p>", "vendor": "Acme", "productType": "",
        "status": "ACTIVE", "options": [{"name": "Title", "values": ["Default Title"]}], "media": [],
        "variants": [{"sku": sku, "barcode": None, "price": price, "compareAtPrice": None,
                      "inventoryQuantity": quantity, "inventoryPolicy": policy,
                      "selectedOptions": [{"name": "Title", "value": "Default Title"}],
                      "inventoryItem": {"tracked": tracked, "measurement": {"weight": None}}}],
    }


@pytest.fixture
def write_token(shopify: ShopifySandbox, shop: str) -> str:
    access, _refresh = shopify.issue_token(shop, WRITE_SCOPES)
    return access


@pytest.fixture
def store(shopify: ShopifySandbox, shop: str, write_token: str, limiter: RecordingLimiter,
          http: httpx.Client) -> ShopifyCatalog:
    """The adapter with the install scopes, at the shop's primary location."""
    return ShopifyCatalog(shop, write_token, shop_base=shopify.shop_base, http=http, limiter=limiter,
                          sleep=quick_sleep)
