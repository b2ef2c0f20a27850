"""A whole world on 127.0.0.1: the sandbox TikTok Shop, the sandbox Ecwid, the sandbox Shopify and the local cloud,
wired together (the cloud's functions call the sandboxes; the sandboxes send their webhooks
and OAuth redirects to the cloud's gateway). Used by the e2e tests and the demo.

    with world() as w:
        browser = Browser()
        page = browser.install(w, seller_id=w.seller["id"])
"""

from __future__ import annotations

import contextlib
import html
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from local.cloud import LocalCloud
from local.sandbox_ecwid import EcwidSandbox
from local.sandbox_shopify import ShopifySandbox
from local.sandbox_tiktok import TikTokSandbox

APP_KEY = "local-app-key"
ECWID_CLIENT_ID = "local-ecwid-app"
SHOPIFY_CLIENT_ID = "local-shopify-app"
#: The topics the app subscribes every shop to (on Shopify: the app's configuration file).
SHOPIFY_TOPICS = ("products/create", "products/update", "products/delete", "inventory_levels/update",
                  "orders/create", "orders/updated", "orders/cancelled", "fulfillments/create", "fulfillments/update",
                  "app/uninstalled", "customers/data_request", "customers/redact", "shop/redact")
LOCAL_SENDER = "notifications@connector.localhost"


@dataclass
class World:
    tiktok: TikTokSandbox
    ecwid: EcwidSandbox
    cloud: LocalCloud
    app_secret: dict[str, str] = field(repr=False)
    shopify: ShopifySandbox | None = None

    @property
    def url(self) -> str:
        return self.cloud.url

    def install_link(self, store_id: int | None = None) -> str:
        """The merchant's install link; ``store_id`` picks the sandbox store that "logs in"."""
        return f"{self.url}/install/ecwid"

    def shopify_install_link(self, shop: str) -> str:
        """The install link as a merchant types it (``shop`` alone); Shopify's admin signs it."""
        return f"{self.url}/install/shopify?shop={shop}"

    def create_shopify_shop(self, name: str, *, currency: str = "USD") -> str:
        """A sandbox shop subscribed to the app's webhook topics (as an app's configuration does
        for every shop that installs it); its domain."""
        assert self.shopify is not None
        domain = f"{name.lower().replace(' ', '-')}-{secrets.token_hex(3)}.myshopify.com"
        self.shopify.create_shop(domain, name, currency=currency)
        for topic in SHOPIFY_TOPICS:
            self.shopify.subscribe(domain, topic, f"{self.url}/webhooks/shopify")
        return domain


@contextlib.contextmanager
def world(
    *,
    function_log: Path | None = None,
    tiktok_time_scale: float = 0.001,
    ecwid_time_scale: float = 0.001,
    shopify_time_scale: float = 0.001,
    environment: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Iterator[World]:
    app_secret = {
        "tiktok_app_key": APP_KEY,
        "tiktok_app_secret": secrets.token_hex(16),
        "ecwid_client_id": ECWID_CLIENT_ID,
        "ecwid_client_secret": secrets.token_hex(16),
        "shopify_client_id": SHOPIFY_CLIENT_ID,
        "shopify_client_secret": secrets.token_hex(16),
        "state_signing_key": secrets.token_urlsafe(32),
    }
    tiktok = TikTokSandbox(APP_KEY, app_secret["tiktok_app_secret"], time_scale=tiktok_time_scale).start()
    ecwid = EcwidSandbox(ECWID_CLIENT_ID, app_secret["ecwid_client_secret"], time_scale=ecwid_time_scale).start()
    shopify = ShopifySandbox(SHOPIFY_CLIENT_ID, app_secret["shopify_client_secret"],
                             time_scale=shopify_time_scale).start()
    env = {
        "TIKTOK_API_BASE": tiktok.url,
        "TIKTOK_AUTH_BASE": tiktok.auth_url,
        "TIKTOK_AUTHORIZE_URL": tiktok.authorize_url,
        "ECWID_API_BASE": ecwid.url,
        "ECWID_OAUTH_BASE": ecwid.oauth_url,
        "SHOPIFY_SHOP_BASE": shopify.shop_base,
        "CONSOLE_IMAGE_SOURCES": ecwid.base_url,  # the console's thumbnails of the sandbox store's (http) images
        **dict(environment or {}),
    }
    # Own names, so several clouds can share one process (moto's state is per process).
    stack = f"world-{secrets.token_hex(3)}"
    # Merchant emails go out from a verified local SES identity; moto keeps them (notifications outbox).
    cloud = LocalCloud(
        parameters={
            "CanaryRetrySeconds": 1,
            # A stock call that needed another attempt is rechecked on TikTok soon, so a settle waits little.
            "StockRecheckSeconds": 5,
            # A product edited twice in a row gets its second re-read for the listing soon.
            "CatalogRefreshSeconds": 2,
            "AppSecretName": f"{stack}/app",
            "NotificationSender": LOCAL_SENDER,
            **dict(parameters or {}),
        },
        environment=env,
        secret_values=app_secret,
        function_log=function_log,
        stack_name=stack,
    )
    try:
        cloud.start()
        tiktok.set_webhook_url(f"{cloud.url}/webhooks/tiktok")
        tiktok.set_redirect_url(f"{cloud.url}/oauth/tiktok/callback")
        ecwid.set_webhook_url(f"{cloud.url}/webhooks/ecwid")
        shopify.apps.set_app_url(f"{cloud.url}/console/shopify")
        yield World(tiktok, ecwid, cloud, app_secret, shopify)
    finally:
        cloud.stop()
        tiktok.stop()
        ecwid.stop()
        shopify.stop()


_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_ID = re.compile(r"<code id='(?P<id>[a-z-]+)'>(?P<value>[^<]*)</code>")


class Browser:
    """An HTTP client that follows redirects as a browser does, keeps cookies (the install's
    ``tts_oauth`` nonce, which every OAuth callback checks, and the merchant session), and can
    press the sandboxes' consent buttons. One Browser is one person's browser: a consent link
    opened in another Browser is refused."""

    def __init__(self) -> None:
        self.http = httpx.Client(follow_redirects=True, timeout=30)

    def close(self) -> None:
        self.http.close()

    def get(self, url: str) -> httpx.Response:
        return self.http.get(url)

    def tiktok_consent(self, page: httpx.Response, seller_id: str, decision: str = "approve") -> httpx.Response:
        """Press "Authorize" (or "Cancel") on the sandbox TikTok authorization page."""
        form = {name: html.unescape(value) for name, value in _INPUT.findall(page.text)}
        form.update(seller_id=seller_id, decision=decision)
        action = str(page.url).split("/oauth/authorize")[0] + "/oauth/authorize"
        return self.http.post(action, data=form)

    def install_shopify(self, w: World, shop: str, *, seller_id: str, decision: str = "approve") -> httpx.Response:
        """Open the Shopify install link for ``shop``, pass the shop's consent (auto-approved by the
        sandbox), then TikTok's: the final page."""
        consent = self.get(w.shopify_install_link(shop))
        assert "/oauth/authorize" in str(consent.url), f"expected TikTok's consent page, got {consent.url}"
        return self.tiktok_consent(consent, seller_id, decision)

    def install(
        self, w: World, *, seller_id: str, store_id: int | None = None, decision: str = "approve"
    ) -> httpx.Response:
        """Open the install link, pass the store's consent (auto-approved by the sandbox for
        ``store_id``, or its default store), then TikTok's: the final page."""
        if store_id is not None:
            w.ecwid.default_store_id = store_id
        consent = self.get(w.install_link())
        assert "/oauth/authorize" in str(consent.url), f"expected TikTok's consent page, got {consent.url}"
        return self.tiktok_consent(consent, seller_id, decision)


def page_values(page: httpx.Response) -> dict[str, str]:
    """The ids the success page shows (connection id, state, merchant token)."""
    return {m.group("id"): html.unescape(m.group("value")) for m in _ID.finditer(page.text)}
