"""The Shopify install flow against the sandbox: consent, the signed redirect, the code exchange for
an expiring offline token, and refresh-token rotation."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from connector.stores import AuthError, InvalidSignature
from connector.stores.shopify import ShopifyCatalog, ShopifyOAuth, verify_install_request
from connector.stores.shopify.oauth import new_state, query_params, same_state
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.helpers import RecordingLimiter
from tests.integration.stores.shopify.conftest import CLIENT_ID, CLIENT_SECRET

REDIRECT = "https://connector.example/install/shopify/callback"


def _oauth(shopify: ShopifySandbox, shop: str, http: httpx.Client) -> ShopifyOAuth:
    return ShopifyOAuth(CLIENT_ID, CLIENT_SECRET, shop=shop, shop_base=shopify.shop_base, http=http)


def _callback(response: httpx.Response) -> dict[str, str | list[str]]:
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return query_params(urlsplit(location).query)


def test_consent_redirects_back_signed_and_the_code_buys_an_expiring_token(
    shopify: ShopifySandbox, shop: str, http: httpx.Client
) -> None:
    shopify.seed_catalog(shop, 2)
    oauth = _oauth(shopify, shop, http)
    state = new_state()
    params = _callback(http.get(oauth.authorize_url(redirect_uri=REDIRECT, state=state)))

    assert verify_install_request(CLIENT_SECRET, params) == shop
    assert isinstance(params["state"], str) and same_state(state, params["state"])
    code = params["code"]
    assert isinstance(code, str)
    grant = oauth.exchange_code(code=code, redirect_uri=REDIRECT)
    assert grant.store_id == shop
    assert grant.expires_at is not None and grant.refresh_token is not None
    assert "read_products" in grant.scopes
    catalog = ShopifyCatalog(shop, grant.token, shop_base=shopify.shop_base, http=http, limiter=RecordingLimiter())
    assert catalog.profile().store_id == shop
    with pytest.raises(AuthError):  # a code is single-use
        oauth.exchange_code(code=code, redirect_uri=REDIRECT)


def test_the_consent_page_asks_before_redirecting(shopify: ShopifySandbox, shop: str, http: httpx.Client) -> None:
    shopify.auto_approve = False
    page = http.get(_oauth(shopify, shop, http).authorize_url(redirect_uri=REDIRECT, state="s-1"))
    assert page.status_code == 200 and "read_products" in page.text
    found = re.search(r'id="install" href="([^"]+)"', page.text)
    assert found is not None
    approve = found.group(1).replace("&amp;", "&")
    params = _callback(http.get(shopify.url + approve))
    assert verify_install_request(CLIENT_SECRET, params) == shop
    assert params["state"] == "s-1"


def test_a_tampered_redirect_is_refused(shopify: ShopifySandbox, shop: str, http: httpx.Client) -> None:
    response = http.get(_oauth(shopify, shop, http).authorize_url(redirect_uri=REDIRECT, state="s"))
    raw = urlsplit(response.headers["location"]).query
    params = dict(parse_qsl(raw))
    params["shop"] = "other-shop.myshopify.com"
    with pytest.raises(InvalidSignature):
        verify_install_request(CLIENT_SECRET, params)
    with pytest.raises(InvalidSignature):
        verify_install_request("another-app-secret", dict(parse_qsl(raw)))


def test_the_authorize_endpoint_refuses_a_bad_request(shopify: ShopifySandbox, shop: str, http: httpx.Client) -> None:
    stranger = ShopifyOAuth("not-the-app", CLIENT_SECRET, shop=shop, shop_base=shopify.shop_base, http=http)
    assert http.get(stranger.authorize_url(redirect_uri=REDIRECT, state="s")).status_code == 400
    oauth = _oauth(shopify, shop, http)
    assert http.get(oauth.authorize_url(redirect_uri=REDIRECT, state="s", scopes=("read_everything",))).status_code \
        == 400
    unknown = ShopifyOAuth(CLIENT_ID, CLIENT_SECRET, shop="nobody-here.myshopify.com", shop_base=shopify.shop_base,
                           http=http)
    assert http.get(unknown.authorize_url(redirect_uri=REDIRECT, state="s")).status_code == 404


def test_refresh_rotates_and_the_old_refresh_token_dies_once_the_new_token_is_used(
    shopify: ShopifySandbox, shop: str, http: httpx.Client
) -> None:
    oauth = _oauth(shopify, shop, http)
    params = _callback(http.get(oauth.authorize_url(redirect_uri=REDIRECT, state="s")))
    code = params["code"]
    assert isinstance(code, str)
    first = oauth.exchange_code(code=code)
    assert first.refresh_token is not None

    second = oauth.refresh(first.refresh_token)
    assert second.refresh_token is not None
    assert second.token != first.token and second.refresh_token != first.refresh_token
    # the answer was lost? the old refresh token still works until the new access token is used
    third = oauth.refresh(first.refresh_token)
    assert third.refresh_token is not None
    ShopifyCatalog(shop, third.token, shop_base=shopify.shop_base, http=http, limiter=RecordingLimiter()).profile()
    with pytest.raises(AuthError):
        oauth.refresh(first.refresh_token)
    fourth = oauth.refresh(third.refresh_token)
    assert fourth.token.get_secret_value().startswith("shpat_")


def test_wrong_app_credentials_are_refused(shopify: ShopifySandbox, shop: str, http: httpx.Client) -> None:
    params = _callback(http.get(_oauth(shopify, shop, http).authorize_url(redirect_uri=REDIRECT, state="s")))
    code = params["code"]
    assert isinstance(code, str)
    impostor = ShopifyOAuth(CLIENT_ID, "wrong-secret", shop=shop, shop_base=shopify.shop_base, http=http)
    with pytest.raises(AuthError) as caught:
        impostor.exchange_code(code=code)
    assert "wrong-secret" not in str(caught.value)
