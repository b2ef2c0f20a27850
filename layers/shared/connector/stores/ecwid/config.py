"""Ecwid facts and settings, each in one place (see docs/ecwid.md).

Endpoints come from the environment (``ECWID_API_BASE``, ``ECWID_OAUTH_BASE``) so the same
code talks to the real Ecwid or to the sandbox; both default to Ecwid itself.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from connector.ratelimit import LocalRateLimiter, RateLimiter
from connector.runtime import environ
from connector.stores.wire import pooled_http

if TYPE_CHECKING:
    import httpx

PLATFORM = "ecwid"

DEFAULT_API_BASE = "https://app.ecwid.com/api/v3"
DEFAULT_OAUTH_BASE = "https://my.ecwid.com/api/oauth"

REQUESTS_PER_MINUTE = 600
"""Per token; above it Ecwid answers 429 with Retry-After (seconds)."""
RATE_PER_SECOND = REQUESTS_PER_MINUTE / 60.0

PAGE_LIMIT = 100
"""Ecwid's maximum ``limit`` for every paged list."""

DEFAULT_RETRY_AFTER = 5.0
"""Used when a 429 comes without a usable Retry-After (Ecwid always sends one)."""

SCOPES: tuple[str, ...] = (
    "read_store_profile",
    "read_catalog",
    "update_catalog",
    "read_orders",
    "create_orders",
    "update_orders",
)

ORDER_REFERENCE_FILTER = "refererId"
"""The TikTok order id is written to ``externalOrderId`` (shown in the admin) and to
``refererId``, the one order field Ecwid documents as a search filter
(``GET /orders?refererId=``). Which field is best is UNCONFIRMED; change it here only."""

WEBHOOK_SIGNATURE_HEADER = "X-Ecwid-Webhook-Signature"

WEIGHT_UNITS = {"KILOGRAM": "kg", "GRAM": "g", "POUND": "lb", "OUNCE": "oz", "CARAT": "ct"}
DIMENSION_UNITS = {"CM": "cm", "MM": "mm", "IN": "in", "M": "m", "YD": "yd"}


def api_base() -> str:
    return (environ().get("ECWID_API_BASE") or DEFAULT_API_BASE).rstrip("/")


def oauth_base() -> str:
    return (environ().get("ECWID_OAUTH_BASE") or DEFAULT_OAUTH_BASE).rstrip("/")


def limiter_key(store_id: str) -> str:
    return f"{PLATFORM}#{store_id}"


@functools.cache
def default_limiter() -> RateLimiter:
    """One in-process limiter shared by every Ecwid adapter of this process (callers that run in
    several processes pass a shared limiter instead)."""
    return LocalRateLimiter()


HTTP_TIMEOUT_S = 20.0
"""Read timeout of calls to Ecwid (``ECWID_HTTP_TIMEOUT_SECONDS`` overrides it: the local cloud
shortens it to provoke lost answers)."""


def default_http() -> httpx.Client:
    """One pooled client per process and timeout (``ECWID_HTTP_TIMEOUT_SECONDS`` or the default)."""
    return pooled_http("ECWID_HTTP_TIMEOUT_SECONDS", HTTP_TIMEOUT_S)
