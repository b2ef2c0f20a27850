"""The Shopify admin opening the console, without a network: the check of the app URL's query
(``hmac``, ``timestamp``, the shop host, the ``id_token`` session token), the session it starts
through the console's shared seam, and the platform's wording, links and frame ancestors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connector.connections.models import Connection
from connector.connections.platforms import describe
from connector.console import access, render, session
from connector.stores.errors import LaunchRefused
from connector.stores.shopify.app import ShopifyApp
from connector.stores.shopify.launch import CLOCK_LEEWAY_S, verify_launch
from local.sandbox_shopify import sign_query
from local.sandbox_shopify.apps import make_session_token

CLIENT_ID = "app-client-id"
SECRET = "app-client-secret-0123456789"
SHOP = "tea-house.myshopify.com"
NOW = 1_800_000_000


def claims(**changes: Any) -> dict[str, Any]:
    return {"iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": CLIENT_ID, "sub": "42",
            "exp": NOW + 60, "nbf": NOW, "iat": NOW, "jti": "j1", "sid": "s1", **changes}


def launch(*, token: str | None = None, secret: str = SECRET, stamp: int = NOW, shop: str = SHOP,
           **extra: str) -> dict[str, str | list[str]]:
    params: dict[str, str] = {"embedded": "1", "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdGVh", "locale": "en",
                              "session": "abc", "shop": shop, "timestamp": str(stamp), **extra}
    if token is not None:
        params["id_token"] = token
    params["hmac"] = sign_query(secret, params)
    return dict(params)


def check(params: dict[str, str | list[str]], now: int = NOW) -> str:
    return verify_launch(params, client_id=CLIENT_ID, client_secret=SECRET, now=now)


def refused(params: dict[str, str | list[str]], now: int = NOW) -> str:
    with pytest.raises(LaunchRefused) as caught:
        check(params, now)
    return caught.value.reason


def test_a_signed_launch_names_its_shop_with_or_without_a_session_token() -> None:
    assert check(launch(token=make_session_token(claims(), SECRET))) == SHOP
    assert check(launch()) == SHOP  # an app not embedded is loaded without id_token


def test_a_launch_signed_with_another_secret_or_changed_after_signing_is_forged() -> None:
    assert refused(launch(secret="another-apps-secret")) == "forged"
    tampered = launch()
    tampered["shop"] = "other-shop.myshopify.com"
    assert refused(tampered) == "forged"
    unsigned = launch()
    del unsigned["hmac"]
    assert refused(unsigned) == "forged"


def test_a_shop_that_is_not_a_myshopify_host_is_refused_even_when_signed() -> None:
    assert refused(launch(shop="evil.example.com")) == "forged"


def test_an_old_or_future_timestamp_is_expired() -> None:
    assert refused(launch(stamp=NOW - 301)) == "expired"
    assert refused(launch(stamp=NOW + 301)) == "expired"
    assert check(launch(stamp=NOW - 300)) == SHOP


def test_an_expired_or_not_yet_valid_session_token_is_expired() -> None:
    assert refused(launch(token=make_session_token(claims(exp=NOW - CLOCK_LEEWAY_S - 1), SECRET))) == "expired"
    assert refused(launch(token=make_session_token(claims(nbf=NOW + CLOCK_LEEWAY_S + 1), SECRET))) == "expired"
    assert check(launch(token=make_session_token(claims(exp=NOW - CLOCK_LEEWAY_S), SECRET))) == SHOP


@pytest.mark.parametrize(("change", "value"), [
    ("aud", "another-app"), ("dest", "https://other-shop.myshopify.com"),
    ("iss", "https://other-shop.myshopify.com/admin"), ("exp", "soon"),
])
def test_a_session_token_for_another_app_or_shop_is_forged(change: str, value: str) -> None:
    assert refused(launch(token=make_session_token(claims(**{change: value}), SECRET))) == "forged"


def test_a_session_token_not_signed_with_the_apps_secret_is_forged() -> None:
    assert refused(launch(token=make_session_token(claims(), "another-secret"))) == "forged"
    head, body, _ = make_session_token(claims(), SECRET).split(".")
    assert refused(launch(token=f"{head}.{body}.")) == "forged"
    import base64

    none_head = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    assert refused(launch(token=f"{none_head}.{body}.x")) == "forged"
    for garbage in ("", "a.b", "not a jwt at all", "é.é.é", "a" * 5000):
        assert refused(launch(token=garbage)) == "forged"


def test_a_session_token_given_twice_or_no_app_configured_is_forged() -> None:
    token = make_session_token(claims(), SECRET)
    params = launch(token=token)
    params["id_token"] = [token, token]
    assert refused(params) == "forged"
    with pytest.raises(LaunchRefused):
        verify_launch(launch(), client_id="", client_secret="", now=NOW)


class Repo:
    """The three reads the console's seam makes, over a dict of connections."""

    def __init__(self, *connections: Connection) -> None:
        self.by_id = {c.connection_id: c for c in connections}

    def claimed_connection(self, platform: str, store_id: str) -> str | None:
        return next((c.connection_id for c in self.by_id.values()
                     if (c.platform, c.store_id) == (platform, store_id) and c.state != "disconnected"), None)

    def find_by_store(self, platform: str, store_id: str) -> str | None:
        return next((c.connection_id for c in self.by_id.values() if (c.platform, c.store_id) == (platform, store_id)),
                    None)

    def get(self, connection_id: str) -> Connection | None:
        return self.by_id.get(connection_id)


def connection(connection_id: str, shop: str, state: str = "active") -> Connection:
    return Connection(connection_id=connection_id, platform="shopify", store_id=shop, state=state,  # type: ignore[arg-type]
                      store_token_ct=b"sealed", created_at=0, updated_at=0, session_version=2)


def test_a_launch_starts_a_console_session_bound_to_the_shops_connection() -> None:
    repo = Repo(connection("c-tea", SHOP), connection("c-other", "other-shop.myshopify.com"))
    app = ShopifyApp(CLIENT_ID, SECRET)
    found, value = access.from_store_admin(app, launch(token=make_session_token(claims(), SECRET)),
                                           repo=repo, signing_key="key", now=NOW)  # type: ignore[arg-type]
    assert found.connection_id == "c-tea"
    assert session.claim("key", "cs", value, now=NOW) == ("c-tea", 2)


@pytest.mark.parametrize(("connections", "params", "reason"), [
    ((), launch(), "not_connected"),
    ((connection("c-tea", SHOP, "disconnected"),), launch(), "not_connected"),
    ((connection("c-tea", SHOP),), launch(secret="wrong"), "forged"),
    ((connection("c-tea", SHOP),), launch(stamp=NOW - 3600), "expired"),
], ids=["no connection", "disconnected", "forged", "stale"])
def test_a_launch_that_does_not_open_says_why_and_issues_nothing(connections: tuple[Connection, ...],
                                                                params: dict[str, str | list[str]],
                                                                reason: str) -> None:
    with pytest.raises(access.AdminRefused) as caught:
        access.from_store_admin(ShopifyApp(CLIENT_ID, SECRET), params, repo=Repo(*connections),  # type: ignore[arg-type]
                                signing_key="key", now=NOW)
    assert caught.value.reason == reason


def test_ecwid_opens_no_signed_app_url() -> None:
    with pytest.raises(access.AdminRefused) as caught:
        access.from_store_admin(describe("ecwid"), launch(), repo=Repo(), signing_key="key", now=NOW)  # type: ignore[arg-type]
    assert caught.value.reason == "forged"


def test_the_platform_names_its_stores_and_product_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPIFY_SHOP_BASE", raising=False)
    shopify, ecwid = describe("shopify"), describe("ecwid")
    assert (shopify.title, shopify.store_title(SHOP)) == ("Shopify", f"Shopify shop {SHOP}")
    assert shopify.product_admin_url(SHOP, "8001") == f"https://{SHOP}/admin/products/8001"
    assert shopify.product_admin_url(SHOP, "gid://shopify/Product/1") is None
    assert shopify.product_admin_url("evil.example.com", "8001") is None
    assert (ecwid.title, ecwid.store_title("1003"), ecwid.product_admin_url("1003", "5")) == (
        "Ecwid", "Ecwid store 1003", None)


def test_the_shopify_page_may_be_framed_by_the_shops_admin_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSOLE_FRAME_ANCESTORS", raising=False)
    ancestors = describe("shopify").admin_frame_ancestors(SHOP)
    policy = render.security_headers(in_admin=True, admin_ancestors=ancestors,
                                     ecwid_files=False)["Content-Security-Policy"]
    assert policy.endswith(f"frame-ancestors https://{SHOP} https://admin.shopify.com")
    assert "cloudfront" not in policy  # Ecwid's SDK hosts are allowed on Ecwid's page only
    assert describe("shopify").admin_frame_ancestors("evil.example.com") == "https://admin.shopify.com"
