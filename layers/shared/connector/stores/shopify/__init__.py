"""The Shopify adapter (see docs/shopify.md).

- :class:`ShopifyWebhooks`: signature check and typed parsing of webhook deliveries.
- :class:`ShopifyOAuth`: install request check, authorize URL, code exchange and token refresh.
- :class:`ShopifyTransport`: the GraphQL Admin API client (cost-based throttling, typed errors).
- :class:`ShopifyCatalog`: the catalog side of :class:`~connector.stores.protocol.StorePlatform`.

Configuration: ``SHOPIFY_SHOP_BASE`` (default ``https://{shop}``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connector.stores.shopify.oauth import ShopifyOAuth, install_hmac, verify_install_request
    from connector.stores.shopify.store import ShopifyCatalog
    from connector.stores.shopify.transport import ShopifyTransport
    from connector.stores.shopify.webhooks import ShopifyWebhooks, signature

# Imported on first use: a webhook receiver needs only ``webhooks`` (no httpx at cold start).
_HOME = {
    "ShopifyOAuth": "oauth",
    "install_hmac": "oauth",
    "verify_install_request": "oauth",
    "ShopifyCatalog": "store",
    "ShopifyTransport": "transport",
    "ShopifyWebhooks": "webhooks",
    "signature": "webhooks",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = [
    "ShopifyCatalog",
    "ShopifyOAuth",
    "ShopifyTransport",
    "ShopifyWebhooks",
    "install_hmac",
    "signature",
    "verify_install_request",
]
