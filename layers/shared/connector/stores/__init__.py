"""Store platforms: one port (:class:`StorePlatform`) and one adapter per platform.

Catalog and order logic import from here only. :func:`open_store` builds the adapter for a
connection's credentials; adapters are imported lazily so a handler pays only for the
platform it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

from connector.stores.errors import (
    AuthError,
    InvalidSignature,
    RateLimited,
    ServerError,
    StoreError,
    StoreNotFound,
    StoreValidationError,
)
from connector.stores.protocol import (
    Cancellation,
    DeletedProduct,
    Dimensions,
    EventKind,
    Fulfilment,
    FulfilmentStatus,
    OrderLine,
    OrderTotals,
    PaymentStatus,
    ShipTo,
    Stock,
    StoreCategory,
    StoreCredentials,
    StoreEvent,
    StoreGrant,
    StoreImage,
    StoreLocation,
    StoreOAuth,
    StoreOption,
    StoreOrder,
    StoreOrderDraft,
    StorePlatform,
    StoreProduct,
    StoreProfile,
    StoreVariant,
    StoreWebhooks,
)

# platform name -> "module:callable" taking (credentials, **kwargs) and returning a StorePlatform.
# Adding a platform means adding its adapter package and one line here.
_ADAPTERS: dict[str, str] = {
    "ecwid": "connector.stores.ecwid:EcwidStore.from_credentials",
    "shopify": "connector.stores.shopify.store:ShopifyCatalog.from_credentials",
}


def open_store(credentials: StoreCredentials, **kwargs: Any) -> StorePlatform:
    """The adapter for one connection (``kwargs`` go to the adapter: http client, limiter...)."""
    target = _ADAPTERS.get(credentials.platform)
    if target is None:
        raise StoreValidationError(f"unknown store platform {credentials.platform!r}", platform=credentials.platform)
    module_name, _, attribute = target.partition(":")
    factory: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        factory = getattr(factory, part)
    store: StorePlatform = factory(credentials, **kwargs)
    return store


__all__ = [
    "AuthError",
    "Cancellation",
    "DeletedProduct",
    "Dimensions",
    "EventKind",
    "Fulfilment",
    "FulfilmentStatus",
    "InvalidSignature",
    "OrderLine",
    "OrderTotals",
    "PaymentStatus",
    "RateLimited",
    "ServerError",
    "ShipTo",
    "Stock",
    "StoreCategory",
    "StoreCredentials",
    "StoreError",
    "StoreEvent",
    "StoreGrant",
    "StoreImage",
    "StoreLocation",
    "StoreNotFound",
    "StoreOAuth",
    "StoreOption",
    "StoreOrder",
    "StoreOrderDraft",
    "StorePlatform",
    "StoreProduct",
    "StoreProfile",
    "StoreValidationError",
    "StoreVariant",
    "StoreWebhooks",
    "open_store",
]
