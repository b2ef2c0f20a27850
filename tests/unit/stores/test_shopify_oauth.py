"""Shopify's install flow: the signed install request, the authorize URL, the code exchange for an
expiring offline token and its refresh (HTTP answered by an httpx mock transport)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connector.stores import AuthError, InvalidSignature, ServerError, StoreOAuth, StoreValidationError
from connector.stores.shopify import ShopifyOAuth, install_hmac, verify_install_request
from connector.stores.shopify.oauth import new_state, query_params, same_state, signed_message

# The worked example of Shopify's OAuth guide (secret "hush"), as its verification section gave it.
GUIDE_SECRET = "hush"
GUIDE_QUERY = (
    "code=0907a61c0c8d55e99db179b68161bc00&hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
    "&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173"
)
GUIDE_NOW = 1337178173 + 10

SECRET = "shpss_unit_secret"
SHOP = "unit-shop.myshopify.com"
NOW = 1_796_000_000.0


def _signed(params: dict[str, str], secret: str = SECRET) -> dict[str, str]:
    return {**params, "hmac": install_hmac(secret, params)}


def _install(**extra: str) -> dict[str, str]:
    return _signed({"shop": SHOP, "timestamp": str(int(NOW)), "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdW5pdA==",
                    **extra})


def test_the_guide_example_verifies() -> None:
    params = query_params(GUIDE_QUERY)
    assert verify_install_request(GUIDE_SECRET, params, now=GUIDE_NOW) == "some-shop.myshopify.com"
    assert signed_message(params) == (
        "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&state=0.6784241404160823"
        "&timestamp=1337178173"
    )


def test_an_install_request_of_ours_verifies_and_names_the_shop() -> None:
    assert verify_install_request(SECRET, _install(), now=NOW) == SHOP
    params = _install()
    params["hmac"] = params["hmac"].upper()  # hex digits in either case
    assert verify_install_request(SECRET, params, now=NOW) == SHOP


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p.update(shop="other-shop.myshopify.com"),
        lambda p: p.update(timestamp=str(int(NOW) + 1)),
        lambda p: p.update(extra="1"),
        lambda p: p.pop("host"),
        lambda p: p.update(hmac="0" * 64),
        lambda p: p.update(hmac=""),
        lambda p: p.pop("hmac"),
    ],
)
def test_a_tampered_or_unsigned_request_is_refused(tamper: Callable[[dict[str, str]], object]) -> None:
    params = _install()
    tamper(params)
    with pytest.raises(InvalidSignature):
        verify_install_request(SECRET, params, now=NOW)


def test_a_request_signed_with_another_secret_is_refused() -> None:
    params = _signed({"shop": SHOP, "timestamp": str(int(NOW))}, secret="someone-else")
    with pytest.raises(InvalidSignature):
        verify_install_request(SECRET, params, now=NOW)


def test_a_value_cannot_smuggle_a_pair_past_the_signature() -> None:
    # "a=1&b=2" signed as one parameter must not verify as two parameters a=1, b=2
    one = {"shop": SHOP, "timestamp": str(int(NOW)), "a": "1&b=2"}
    two = {"shop": SHOP, "timestamp": str(int(NOW)), "a": "1", "b": "2"}
    assert signed_message(one) != signed_message(two)
    forged = {**two, "hmac": install_hmac(SECRET, one)}
    with pytest.raises(InvalidSignature):
        verify_install_request(SECRET, forged, now=NOW)


@pytest.mark.parametrize(
    "shop",
    ["evil.example.com", "unit-shop.myshopify.com.evil.com", "Unit-Shop.myshopify.com", "-shop.myshopify.com",
     "shop.myshopify.co", "a/b.myshopify.com", ""],
)
def test_a_shop_outside_myshopify_is_refused_even_when_signed(shop: str) -> None:
    params = _signed({"shop": shop, "timestamp": str(int(NOW))})
    with pytest.raises(StoreValidationError):
        verify_install_request(SECRET, params, now=NOW)


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_a_stale_or_future_timestamp_is_refused(offset: int) -> None:
    params = _signed({"shop": SHOP, "timestamp": str(int(NOW) + offset)})
    with pytest.raises(StoreValidationError):
        verify_install_request(SECRET, params, now=NOW)


@pytest.mark.parametrize("stamp", [None, "", "12.5", "-5", "1e9", "x" * 20])
def test_a_missing_or_malformed_timestamp_is_refused(stamp: str | None) -> None:
    params: dict[str, str] = {"shop": SHOP}
    if stamp is not None:
        params["timestamp"] = stamp
    with pytest.raises(StoreValidationError):
        verify_install_request(SECRET, _signed(params), now=NOW)


def test_repeated_parameters_are_signed_as_a_list() -> None:
    params = query_params(f"shop={SHOP}&timestamp={int(NOW)}&ids[]=2&ids[]=1")
    assert params["ids"] == ["2", "1"]
    assert 'ids=["2", "1"]' in signed_message(params)
    assert verify_install_request(SECRET, {**params, "hmac": install_hmac(SECRET, params)}, now=NOW) == SHOP


def test_state_helpers() -> None:
    state = new_state()
    assert len(state) >= 24 and state != new_state()
    assert same_state(state, state)
    assert not same_state(state, state + "x")
    assert not same_state(state, None)


class Recorder:
    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self._answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._answer(request)

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.requests[-1].content)
        return parsed


def _oauth(recorder: Recorder) -> ShopifyOAuth:
    return ShopifyOAuth("client-id", SECRET, shop=SHOP, http=httpx.Client(transport=httpx.MockTransport(recorder)),
                        clock=lambda: NOW)


TOKENS = {
    "access_token": "shpat_access_1",
    "scope": "read_products,write_products,read_inventory",
    "expires_in": 3600,
    "refresh_token": "shprt_refresh_1",
    "refresh_token_expires_in": 7_776_000,
}


def test_the_authorize_url_names_the_shop_and_everything_shopify_needs() -> None:
    oauth = ShopifyOAuth("client-id", SECRET, shop=SHOP)
    assert isinstance(oauth, StoreOAuth)
    url = urlsplit(oauth.authorize_url(redirect_uri="https://app.example/cb", state="st-1"))
    assert (url.scheme, url.netloc, url.path) == ("https", SHOP, "/admin/oauth/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == ["client-id"]
    assert query["redirect_uri"] == ["https://app.example/cb"]
    assert query["state"] == ["st-1"]
    assert "read_products" in query["scope"][0].split(",")
    custom = urlsplit(oauth.authorize_url(redirect_uri="https://a/cb", state="s", scopes=("read_products",)))
    assert parse_qs(custom.query)["scope"] == ["read_products"]


def test_the_shop_base_can_point_at_a_sandbox() -> None:
    oauth = ShopifyOAuth("id", SECRET, shop=SHOP, shop_base="http://127.0.0.1:9/store/{shop}")
    assert oauth.authorize_url(redirect_uri="r", state="s").startswith(f"http://127.0.0.1:9/store/{SHOP}/admin/oauth/")


def test_the_code_is_exchanged_for_an_expiring_offline_token() -> None:
    recorder = Recorder(lambda _r: httpx.Response(200, json=TOKENS))
    grant = _oauth(recorder).exchange_code(code="code-1", redirect_uri="https://app.example/cb")
    request = recorder.requests[0]
    assert (request.method, request.url.path) == ("POST", "/admin/oauth/access_token")
    assert recorder.body == {"client_id": "client-id", "client_secret": SECRET, "code": "code-1", "expiring": "1"}
    assert grant.platform == "shopify" and grant.store_id == SHOP
    assert grant.token.get_secret_value() == "shpat_access_1"
    assert grant.refresh_token is not None and grant.refresh_token.get_secret_value() == "shprt_refresh_1"
    assert grant.scopes == ("read_products", "write_products", "read_inventory")
    assert grant.expires_at == datetime.fromtimestamp(NOW + 3600, tz=UTC)
    assert grant.refresh_expires_at == datetime.fromtimestamp(NOW + 7_776_000, tz=UTC)
    assert "shpat_access_1" not in repr(grant) and "shprt_refresh_1" not in repr(grant)
    assert len(recorder.requests) == 1


def test_a_non_expiring_answer_gives_a_grant_without_expiry() -> None:
    recorder = Recorder(lambda _r: httpx.Response(200, json={"access_token": "shpat_x", "scope": "read_products"}))
    grant = _oauth(recorder).exchange_code(code="c")
    assert grant.expires_at is None and grant.refresh_token is None


def test_a_refresh_rotates_both_tokens() -> None:
    rotated = {**TOKENS, "access_token": "shpat_access_2", "refresh_token": "shprt_refresh_2"}
    recorder = Recorder(lambda _r: httpx.Response(200, json=rotated))
    grant = _oauth(recorder).refresh("shprt_refresh_1")
    assert recorder.body == {
        "client_id": "client-id",
        "client_secret": SECRET,
        "grant_type": "refresh_token",
        "refresh_token": "shprt_refresh_1",
    }
    assert grant.token.get_secret_value() == "shpat_access_2"
    assert grant.refresh_token is not None and grant.refresh_token.get_secret_value() == "shprt_refresh_2"


def test_a_refresh_without_a_refresh_token_is_an_auth_error() -> None:
    recorder = Recorder(lambda _r: httpx.Response(200, json=TOKENS))
    with pytest.raises(AuthError):
        _oauth(recorder).refresh("")
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, {"error": "invalid_request", "error_description": f"bad secret {SECRET}"}, AuthError),
        (401, {"error": "invalid_client"}, AuthError),
        (503, b"down", ServerError),
        (200, {"scope": "read_products"}, StoreValidationError),
        (200, b"not json", StoreValidationError),
    ],
)
def test_failures_are_typed_and_never_carry_secrets(status: int, body: Any, error: type[Exception]) -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    recorder = Recorder(answer)
    with pytest.raises(error) as caught:
        _oauth(recorder).exchange_code(code="the-code")
    text = str(caught.value) + repr(caught.value)
    assert SECRET not in text and "the-code" not in text
    assert len(recorder.requests) == 1  # a code is single-use: never sent twice


def test_a_transport_failure_is_a_server_error_without_the_request() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ServerError) as caught:
        _oauth(Recorder(fail)).refresh("shprt_secret_refresh")
    assert caught.value.__cause__ is None
    assert "shprt_secret_refresh" not in str(caught.value) and SECRET not in str(caught.value)


def test_an_oauth_client_is_for_a_myshopify_shop_and_hides_its_secret() -> None:
    with pytest.raises(StoreValidationError):
        ShopifyOAuth("id", SECRET, shop="evil.example.com")
    assert SECRET not in repr(ShopifyOAuth("id", SECRET, shop=SHOP))
