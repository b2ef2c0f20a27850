"""Shopify facts and settings, each in one place (see docs/shopify.md for the sources).

The shop address comes from the environment so the same code talks to a real shop or to the
sandbox: ``SHOPIFY_SHOP_BASE`` is a template with ``{shop}`` (default ``https://{shop}``); the
sandbox sets ``http://127.0.0.1:<port>/store/{shop}``.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from connector.ratelimit import LocalRateLimiter, RateLimiter
from connector.runtime import environ
from connector.stores.wire import pooled_http

if TYPE_CHECKING:
    import httpx

PLATFORM = "shopify"

API_VERSION = "2026-07"
"""The GraphQL Admin API version every call names. Stable versions come out each quarter and
are supported for at least twelve months; 2026-07 is the latest stable one in the docs checked."""

DEFAULT_SHOP_BASE = "https://{shop}"

SHOP_DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
"""A shop's permanent host; anything else in a ``shop`` parameter is refused."""

SCOPES: tuple[str, ...] = (
    "read_products",
    "write_products",
    "read_inventory",
    "write_inventory",
    "read_orders",
    "write_orders",
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
    "read_locations",
)
"""Requested at install (the minimal set is UNCONFIRMED)."""

INSTALL_MAX_AGE_S = 300
"""How old (or how far in the future) the ``timestamp`` of a signed install request may be."""

# Webhook delivery headers (HTTP header names are case-insensitive).
HMAC_HEADER = "X-Shopify-Hmac-SHA256"
TOPIC_HEADER = "X-Shopify-Topic"
SHOP_HEADER = "X-Shopify-Shop-Domain"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"

ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"  # noqa: S105 (a header name)

MAX_QUERY_COST = 1000
"""Shopify refuses a single query whose requested cost is above this (MAX_COST_EXCEEDED)."""

REQUESTS_PER_SECOND = 20.0
"""A ceiling on calls per shop taken from the shared limiter; the real budget is the cost bucket
that every answer reports (``extensions.cost.throttleStatus``), honoured by pausing the key."""

DEFAULT_RESTORE_RATE = 100.0
"""Points per second restored on the Standard plan; used only when an answer names none."""

# Page sizes of the catalog pull, chosen so that one page stays under MAX_QUERY_COST.
PRODUCTS_PAGE = 8
VARIANTS_PER_PRODUCT = 14
MEDIA_PER_PRODUCT = 8
VARIANTS_PAGE = 100
MAX_PAGE = 250
"""Shopify's largest ``first`` on any connection."""

# The first pull's bulk operation: polled every second (Shopify finishes a small shop's in a few),
# given up after 10 minutes, inside the catalog step's 15-minute Lambda timeout.
BULK_POLL_SECONDS = 1.0
BULK_TIMEOUT_SECONDS = 600.0


def shop_base_template() -> str:
    return (environ().get("SHOPIFY_SHOP_BASE") or DEFAULT_SHOP_BASE).rstrip("/")


def shop_url(shop: str, template: str | None = None) -> str:
    """The base URL of one shop (``https://x.myshopify.com`` or the sandbox's)."""
    return (template or shop_base_template()).rstrip("/").replace("{shop}", shop)


def graphql_path(version: str = API_VERSION) -> str:
    return f"/admin/api/{version}/graphql.json"


def limiter_key(shop: str) -> str:
    return f"{PLATFORM}#{shop}"


def valid_shop(shop: str | None) -> bool:
    return shop is not None and SHOP_DOMAIN.fullmatch(shop) is not None


@functools.cache
def default_limiter() -> RateLimiter:
    """One in-process limiter shared by every Shopify client of this process (callers that run in
    several processes pass a shared limiter instead)."""
    return LocalRateLimiter()


HTTP_TIMEOUT_S = 20.0
"""Read timeout of calls to Shopify (``SHOPIFY_HTTP_TIMEOUT_SECONDS`` overrides it: the local
cloud shortens it to provoke lost answers)."""


def default_http() -> httpx.Client:
    """One pooled client per process and timeout (``SHOPIFY_HTTP_TIMEOUT_SECONDS`` or the default)."""
    return pooled_http("SHOPIFY_HTTP_TIMEOUT_SECONDS", HTTP_TIMEOUT_S)
