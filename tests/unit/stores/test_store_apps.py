"""The store platforms' apps as the registry gives them (no network): what each accepts on its
install link and callback, and how its webhooks are checked before they are read."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from connector.appsecrets import AppCredentials
from connector.connections.platforms import app, query_params
from connector.stores.errors import AuthError, InvalidSignature, StoreValidationError
from connector.stores.protocol import EventKind
from connector.stores.shopify.oauth import install_hmac
from connector.stores.shopify.webhooks import signature

SECRET = "app-secret"
CREDS = AppCredentials(shopify_client_id="cid", shopify_client_secret=SECRET, ecwid_client_id="eid",
                       ecwid_client_secret="esecret", state_signing_key="k" * 32)
SHOP = "unit-shop.myshopify.com"


def signed(**params: str) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = dict(params)
    values["hmac"] = install_hmac(SECRET, values)
    return values


def test_the_install_link_takes_a_signed_request_or_a_shop_alone() -> None:
    shopify = app("shopify", CREDS)
    oauth = shopify.install_oauth(signed(shop=SHOP, timestamp=str(int(time.time()))))
    url = urlsplit(oauth.authorize_url(redirect_uri="https://api.example/oauth/shopify/callback", state="s"))
    assert url.path.endswith("/admin/oauth/authorize") and parse_qs(url.query)["client_id"] == ["cid"]
    assert shopify.install_oauth({"shop": SHOP}).platform == "shopify"


@pytest.mark.parametrize("params", [
    {}, {"shop": "evil.example.com"}, {"shop": "https://unit-shop.myshopify.com"},
    {"shop": [SHOP, "other.myshopify.com"]},
])
def test_the_install_link_refuses_what_names_no_single_shop(params: dict[str, str | list[str]]) -> None:
    with pytest.raises(StoreValidationError):
        app("shopify", CREDS).install_oauth(params)


def test_a_callback_must_be_signed_recent_and_name_a_shop() -> None:
    shopify = app("shopify", CREDS)
    now = str(int(time.time()))
    assert shopify.callback_oauth(signed(code="c", shop=SHOP, state="s", timestamp=now)).platform == "shopify"
    with pytest.raises(InvalidSignature):
        shopify.callback_oauth({"code": "c", "shop": SHOP, "state": "s", "timestamp": now})
    forged = signed(code="c", shop=SHOP, state="s", timestamp=now)
    forged["code"] = "other"
    with pytest.raises(InvalidSignature):
        shopify.callback_oauth(forged)
    with pytest.raises(StoreValidationError):
        shopify.callback_oauth(signed(code="c", shop=SHOP, state="s", timestamp=str(int(time.time()) - 3600)))
    with pytest.raises(StoreValidationError):
        shopify.callback_oauth(signed(code="c", shop="evil.example.com", state="s", timestamp=now))


def test_webhooks_are_verified_before_they_are_read() -> None:
    shopify = app("shopify", CREDS)
    body = json.dumps({"id": 7}).encode()
    headers = {"X-Shopify-Topic": "products/delete", "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": "w1",
               "X-Shopify-Hmac-SHA256": signature(SECRET, body)}
    event = shopify.webhook_event(body, headers)
    assert (event.kind, event.entity_id, event.event_id, event.store_id) == (EventKind.PRODUCT_DELETED, "7", "w1",
                                                                              SHOP)
    with pytest.raises(InvalidSignature):
        shopify.webhook_event(b"not even json", {**headers, "X-Shopify-Hmac-SHA256": signature("other", b"x")})
    with pytest.raises(InvalidSignature):
        app("shopify", AppCredentials(state_signing_key="k" * 32)).webhook_event(body, headers)


def test_ecwid_installs_from_its_market_and_has_no_tokens_to_refresh() -> None:
    ecwid = app("ecwid", CREDS)
    assert ecwid.market_install and not app("shopify", CREDS).market_install
    assert ecwid.install_oauth({}) is ecwid.callback_oauth({"code": "c"})  # one client per app
    with pytest.raises(AuthError):
        ecwid.refresh("42", "anything")


def test_query_params_keep_repeated_names_and_blank_values() -> None:
    assert query_params("a=1&b=&c%5B%5D=x&c%5B%5D=y&a=2") == {"a": ["1", "2"], "b": "", "c": ["x", "y"]}
