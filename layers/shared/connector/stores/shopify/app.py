"""What the Shopify app brings to a connection: the install OAuth of one shop (every request
Shopify sends is signed with ``hmac``; the shop must be a ``*.myshopify.com`` host), its webhooks
(``X-Shopify-Hmac-SHA256`` over the raw body; the delivery named by its headers) and the refresh
of its expiring offline tokens (see :mod:`connector.connections.platforms`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from connector.stores.errors import InvalidSignature, StoreValidationError
from connector.stores.protocol import StoreEvent
from connector.stores.shopify import config

if TYPE_CHECKING:
    from connector.stores.protocol import StoreGrant
    from connector.stores.shopify.oauth import ShopifyOAuth

Params = Mapping[str, "str | list[str]"]


class ShopifyApp:
    name = config.PLATFORM
    title = "Shopify"
    market_install = False
    """Shopify's install always comes through the app's install link first, which sends the
    merchant to the consent page with our state: a callback without one is refused."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self._client_id = client_id
        self._secret = client_secret

    def __repr__(self) -> str:
        return f"ShopifyApp(client_id={self._client_id!r})"

    @property
    def configured(self) -> bool:
        return bool(self._client_id and self._secret)

    def store_title(self, store_id: str) -> str:
        return f"Shopify shop {store_id}"

    def product_admin_url(self, store_id: str, product_id: str) -> str | None:
        """The product's page in the shop's admin, ``https://{shop}/admin/products/{id}`` (the
        numeric id; the sandbox's shop address when ``SHOPIFY_SHOP_BASE`` points there)."""
        if not config.valid_shop(store_id) or not product_id.isdigit():
            return None
        return f"{config.shop_url(store_id)}/admin/products/{product_id}"

    def admin_frame_ancestors(self, store_id: str) -> str:
        """Where the shop's admin frames an embedded app: the shop's own host and the unified admin."""
        return f"https://{store_id} https://admin.shopify.com" if config.valid_shop(store_id) else "https://admin.shopify.com"

    def admin_launch(self, params: Params, now: float) -> str:
        """The shop whose admin opened the app with this query (``LaunchRefused`` otherwise: forged
        or expired), see :mod:`connector.stores.shopify.launch`."""
        from connector.stores.shopify.launch import verify_launch

        return verify_launch(params, client_id=self._client_id, client_secret=self._secret, now=now)

    def _oauth(self, shop: str) -> ShopifyOAuth:
        from connector.stores.shopify.oauth import ShopifyOAuth

        return ShopifyOAuth(self._client_id, self._secret, shop=shop, http=config.default_http())

    def install_oauth(self, params: Params) -> ShopifyOAuth:
        """The shop asking to install: a request from the Shopify admin is signed (``hmac``, checked
        with its age); a merchant may also type the link with ``shop`` alone, which is fine since the
        consent happens on that shop's own page and the signed callback is checked."""
        from connector.stores.shopify.oauth import verify_install_request

        if "hmac" in params:
            return self._oauth(verify_install_request(self._secret, params))
        shop = params.get("shop")
        if not isinstance(shop, str) or not config.valid_shop(shop):
            raise StoreValidationError("shopify install: shop is not a *.myshopify.com host", platform=self.name)
        return self._oauth(shop)

    def callback_oauth(self, params: Params) -> ShopifyOAuth:
        """The redirect back must be signed by Shopify, recent, and name a ``*.myshopify.com`` shop."""
        from connector.stores.shopify.oauth import verify_install_request

        return self._oauth(verify_install_request(self._secret, params))

    def webhook_event(self, body: bytes, headers: Mapping[str, str]) -> StoreEvent:
        """The signature over the raw bytes first; then the headers and body are read."""
        from connector.stores.shopify.webhooks import ShopifyWebhooks

        if not self._secret:
            raise InvalidSignature("no Shopify client secret is configured", platform=self.name)
        hooks = ShopifyWebhooks(self._secret)
        if not hooks.verify(headers, body):
            raise InvalidSignature(f"{config.HMAC_HEADER} does not match", platform=self.name)
        return hooks.parse(body, headers)

    def refresh(self, store_id: str, refresh_token: str) -> StoreGrant:
        """A new access token and a new refresh token (they rotate: keep both)."""
        return self._oauth(store_id).refresh(refresh_token)
