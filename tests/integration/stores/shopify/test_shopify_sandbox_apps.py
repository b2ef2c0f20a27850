"""The sandbox Shopify admin's app page: it frames the app URL signed as Shopify loads an embedded
app, and what it signs passes the connector's own launch check (and fails it once tampered)."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from connector.stores.errors import LaunchRefused
from connector.stores.shopify.launch import verify_launch
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.shopify.conftest import CLIENT_ID, CLIENT_SECRET

APP_URL = "http://127.0.0.1:9/console/shopify"


@pytest.fixture
def shop(shopify: ShopifySandbox) -> str:
    domain = f"apps-{time.time_ns()}.myshopify.com"
    shopify.create_shop(domain, "Apps")
    shopify.apps.set_app_url(APP_URL)
    return domain


def framed(shopify: ShopifySandbox, shop: str) -> dict[str, str | list[str]]:
    page = httpx.get(f"{shopify.url}/store/{shop}/admin/apps/tiktok-shop", timeout=10)
    assert page.status_code == 200 and 'iframe id="app"' in page.text
    src = html.unescape(re.search(r'<iframe[^>]* src="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    assert src.startswith(f"{APP_URL}?")
    return dict(parse_qsl(urlsplit(src).query, keep_blank_values=True))


def test_the_admin_page_frames_the_app_url_signed_as_shopify_signs_it(shopify: ShopifySandbox, shop: str) -> None:
    params = framed(shopify, shop)
    assert {"embedded", "host", "id_token", "locale", "session", "shop", "timestamp", "hmac"} <= set(params)
    assert verify_launch(params, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, now=time.time()) == shop
    tampered = {**params, "locale": "fr"}
    with pytest.raises(LaunchRefused):
        verify_launch(tampered, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, now=time.time())
    # the session token lives one minute
    with pytest.raises(LaunchRefused) as caught:
        verify_launch(params, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, now=time.time() + 120)
    assert caught.value.reason == "expired"


def test_an_unknown_shop_or_app_is_a_404_and_a_bad_app_url_a_400(shopify: ShopifySandbox, shop: str) -> None:
    assert httpx.get(f"{shopify.url}/store/nobody.myshopify.com/admin/apps/tiktok-shop", timeout=10).status_code == 404
    assert httpx.get(f"{shopify.url}/store/{shop}/admin/apps/another-app", timeout=10).status_code == 404
    for body in ({"url": "javascript:alert(1)"}, {"url": 3}, {"other": "x"}):
        answer = httpx.put(f"{shopify.url}/_admin/app-url", json=body, timeout=10)
        assert answer.status_code == 400 and answer.json()["code"] == "BAD_ADMIN_REQUEST", answer.text
    answer = httpx.put(f"{shopify.url}/_admin/app-url", content=b"not json", timeout=10)
    assert answer.status_code == 400
    assert httpx.put(f"{shopify.url}/_admin/app-url", json={"url": APP_URL}, timeout=10).json() == {"ok": True}
