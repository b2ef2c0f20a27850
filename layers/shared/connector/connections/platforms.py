"""The store platforms a connection can be on, and what each one's app brings to the connection
layer: the install OAuth (:meth:`StoreApp.install_oauth`, :meth:`StoreApp.callback_oauth`), the
webhooks (:meth:`StoreApp.webhook_event`: verify, then parse), the refresh of expiring store
tokens (:meth:`StoreApp.refresh`); the store adapter itself comes from
:func:`connector.stores.open_store` under the same platform name.

Adding a platform means its ``app`` module under ``connector/stores/<name>/``, one line in
:data:`APPS`, and its client id and secret in the app secret (``<name>_client_id``,
``<name>_client_secret``). Nothing else in the connection layer names a platform.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from connector.errors import NotFound

if TYPE_CHECKING:
    from connector.appsecrets import AppCredentials
    from connector.stores.protocol import StoreEvent, StoreGrant, StoreOAuth

Params = Mapping[str, "str | list[str]"]

#: platform name -> "module:class" of its app (imported on first use: a handler pays only for its own).
APPS: dict[str, str] = {
    "ecwid": "connector.stores.ecwid.app:EcwidApp",
    "shopify": "connector.stores.shopify.app:ShopifyApp",
}
STORE_PLATFORMS: tuple[str, ...] = tuple(APPS)


class UnknownPlatform(NotFound):
    code = "unknown_platform"


class StoreApp(Protocol):
    """One store platform's app, built with its client id and secret."""

    name: str
    market_install: bool
    """Whether an install may reach the callback without our state (an app market's)."""

    title: str
    """The platform's name as merchants know it (the console's wording)."""

    @property
    def configured(self) -> bool: ...

    def store_title(self, store_id: str) -> str:
        """How the console names one store of this platform (never a secret)."""
        ...

    def product_admin_url(self, store_id: str, product_id: str) -> str | None:
        """Where the merchant edits this product in the store's own admin (``None``: no known link)."""
        ...

    def admin_frame_ancestors(self, store_id: str) -> str:
        """The origins (a CSP ``frame-ancestors`` list) of the admin that frames the app for this store."""
        ...

    def admin_launch(self, params: Params, now: float) -> str:
        """The store whose admin opened the app's URL with this signed query (a platform that signs
        it); :class:`~connector.stores.errors.LaunchRefused` otherwise."""
        ...

    def install_oauth(self, params: Params) -> StoreOAuth:
        """The OAuth of the store the install link names (``params``: its query); raises
        :class:`~connector.stores.errors.StoreError` types when the request is not acceptable."""
        ...

    def callback_oauth(self, params: Params) -> StoreOAuth:
        """The OAuth of the store the callback names, after checking what the platform signed."""
        ...

    def webhook_event(self, body: bytes, headers: Mapping[str, str]) -> StoreEvent:
        """Verify (``InvalidSignature``), then parse (``StoreValidationError`` when malformed)."""
        ...

    def refresh(self, store_id: str, refresh_token: str) -> StoreGrant:
        """A fresh store token (and refresh token) for a platform whose tokens expire."""
        ...


def query_params(raw_query: str) -> dict[str, str | list[str]]:
    """A request's query string decoded; a name given more than once keeps every value, in order
    (what a platform signs is the query as sent)."""
    from urllib.parse import parse_qsl

    params: dict[str, str | list[str]] = {}
    for raw_key, value in parse_qsl(raw_query, keep_blank_values=True):
        key = raw_key.removesuffix("[]")
        current = params.get(key)
        if current is None:
            params[key] = value
        else:
            params[key] = [*current, value] if isinstance(current, list) else [current, value]
    return params


def _build(platform: str, client_id: str, client_secret: str) -> StoreApp:
    target = APPS.get(platform)
    if target is None:
        raise UnknownPlatform(f"unknown store platform {platform[:32]!r}", reason="unknown_platform")
    module, _, name = target.partition(":")
    built: StoreApp = getattr(importlib.import_module(module), name)(client_id, client_secret)
    return built


def app(platform: str, creds: AppCredentials) -> StoreApp:
    """The app of ``platform`` with the credentials the app secret holds for it."""
    return _build(platform, *creds.store_client(platform))


def describe(platform: str) -> StoreApp:
    """The app of ``platform`` without credentials: for its wording and links only (the console's
    screens), never for a call to the store."""
    return _build(platform, "", "")
