"""Contract tests of the sandbox's gate (docs/tiktok.md: signing and error codes): signatures, timestamps,
tokens, shop ciphers, scopes and rate limits answer with TikTok's codes and HTTP statuses.
Requests here are built by hand (not by the client) so each rule can be broken alone."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from connector.tiktok.signing import sign_request
from local.sandbox_tiktok import codes

from .conftest import APP_KEY, APP_SECRET, World, png


def raw(
    world: World,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    cipher: bool = True,
    token: str | None = None,
    timestamp: str | None = None,
    extra: dict[str, str] | None = None,
    mutate_sign: Any = None,
    signed_body: bytes | None = None,
    token_in_query: bool = False,
) -> httpx.Response:
    query: dict[str, str] = {"app_key": APP_KEY, "timestamp": timestamp or str(int(time.time()))}
    if cipher:
        query["shop_cipher"] = world.shop.cipher
    query.update(extra or {})
    sign = sign_request(APP_SECRET, path, query, signed_body if signed_body is not None else body)
    query["sign"] = mutate_sign(sign) if mutate_sign else sign
    access = token if token is not None else world.tokens.access_token()
    headers = {"content-type": "application/json"}
    if token_in_query:
        query["access_token"] = access
    else:
        headers["x-tts-access-token"] = access
    return httpx.request(method, world.sandbox.url + path, params=query, content=body, headers=headers, timeout=5)


def code_of(response: httpx.Response) -> int:
    payload = response.json()
    assert payload["request_id"], "every answer carries a request_id"
    return int(payload["code"])


WAREHOUSES = "/logistics/202309/warehouses"
DEACTIVATE = "/product/202309/products/deactivate"


def test_a_correctly_signed_request_succeeds(world: World) -> None:
    response = raw(world, "GET", WAREHOUSES)
    assert (response.status_code, code_of(response)) == (200, 0)
    assert response.json()["data"]["warehouses"]


def test_wrong_signature_is_106001_with_http_401(world: World) -> None:
    response = raw(world, "GET", WAREHOUSES, mutate_sign=lambda s: s[:-1] + ("0" if s[-1] != "0" else "1"))
    assert (response.status_code, code_of(response)) == (401, codes.INVALID_SIGNATURE)


def test_uppercase_signature_is_refused(world: World) -> None:
    response = raw(world, "GET", WAREHOUSES, mutate_sign=str.upper)
    assert code_of(response) == codes.INVALID_SIGNATURE


def test_body_not_sent_as_signed_is_refused(world: World) -> None:
    sent = json.dumps({"product_ids": ["1"]}).encode()  # with spaces
    signed = json.dumps({"product_ids": ["1"]}, separators=(",", ":")).encode()
    response = raw(world, "POST", DEACTIVATE, body=sent, signed_body=signed)
    assert code_of(response) == codes.INVALID_SIGNATURE


def test_float_timestamp_is_refused(world: World) -> None:
    response = raw(world, "GET", WAREHOUSES, timestamp=f"{time.time():.3f}")
    assert code_of(response) == codes.BAD_PARAMETER


@pytest.mark.parametrize("offset", [-303, 33])
def test_timestamp_outside_the_window_is_36009004(world: World, offset: int) -> None:
    response = raw(world, "GET", WAREHOUSES, timestamp=str(int(time.time()) + offset))
    assert code_of(response) == codes.BAD_PARAMETER
    assert "imestamp" in response.json()["message"]


@pytest.mark.parametrize("offset", [-280, 20])
def test_timestamp_inside_the_window_is_accepted(world: World, offset: int) -> None:
    assert code_of(raw(world, "GET", WAREHOUSES, timestamp=str(int(time.time()) + offset))) == 0


def test_missing_cipher_on_a_shop_call_is_106013(world: World) -> None:
    assert code_of(raw(world, "GET", WAREHOUSES, cipher=False)) == codes.MISSING_SHOP_CIPHER


@pytest.mark.parametrize("path", ["/authorization/202309/shops", "/seller/202309/shops"])
def test_cipher_where_not_accepted_is_36009004(world: World, path: str) -> None:
    response = raw(world, "GET", path, cipher=True)
    assert code_of(response) == codes.BAD_PARAMETER
    assert "shop_cipher" in response.json()["message"]
    assert code_of(raw(world, "GET", path, cipher=False)) == 0


def test_cipher_on_image_upload_is_36009004(world: World) -> None:
    path = "/product/202309/images/upload"
    query = {"app_key": APP_KEY, "timestamp": str(int(time.time())), "shop_cipher": world.shop.cipher}
    query["sign"] = sign_request(APP_SECRET, path, query, multipart=True)
    response = httpx.post(
        world.sandbox.url + path,
        params=query,
        files={"data": ("a.png", png(), "image/png")},
        data={"use_case": "MAIN_IMAGE"},
        headers={"x-tts-access-token": world.tokens.access_token()},
    )
    assert code_of(response) == codes.BAD_PARAMETER


def test_cipher_of_another_sellers_shop_is_101000(world: World) -> None:
    other = world.sandbox.create_seller("Other", "US")["shops"][0]
    query_cipher = {"shop_cipher": other["cipher"]}
    response = raw(world, "GET", WAREHOUSES, cipher=False, extra=query_cipher)
    assert code_of(response) == codes.TOKEN_SHOP_MISMATCH


def test_unknown_token_is_refused_and_token_in_query_does_not_count(world: World) -> None:
    assert raw(world, "GET", WAREHOUSES, token="TTP_not_a_token").status_code == 401
    assert code_of(raw(world, "GET", WAREHOUSES, token="TTP_not_a_token")) == codes.INVALID_ACCESS_TOKEN
    assert code_of(raw(world, "GET", WAREHOUSES, token_in_query=True, token="")) == codes.INVALID_ACCESS_TOKEN


def test_expired_token_is_105002(world: World) -> None:
    token = world.tokens.access_token()
    world.sandbox.expire_access_tokens(world.seller["id"])
    response = raw(world, "GET", WAREHOUSES, token=token)
    assert (response.status_code, code_of(response)) == (401, codes.TOKEN_EXPIRED)


def test_scope_not_granted_is_105005(world: World) -> None:
    world.sandbox.set_scopes(world.seller["id"], ["seller.authorization.info", "seller.logistics"])
    assert code_of(raw(world, "GET", WAREHOUSES)) == 0
    assert code_of(raw(world, "GET", "/product/202312/prerequisites")) == codes.SCOPE_NOT_GRANTED


def test_rate_limit_is_http_429_with_36009002_per_shop_and_api(world: World) -> None:
    world.sandbox.set_rate_limit(5)
    started = time.monotonic()
    answers = [raw(world, "GET", WAREHOUSES) for _ in range(12)]
    elapsed = time.monotonic() - started
    limited = [r for r in answers if r.status_code == 429]
    assert limited and all(code_of(r) == codes.TOO_MANY_REQUESTS for r in limited)
    # a bucket one second deep (5) plus what refilled meanwhile
    assert sum(1 for r in answers if code_of(r) == 0) <= 5 + int(5 * elapsed) + 1
    # another API of the same shop has its own budget
    assert code_of(raw(world, "GET", "/product/202312/prerequisites")) == 0


def test_unknown_path_and_wrong_method(world: World) -> None:
    unknown = raw(world, "GET", "/product/202309/nothing_here")
    wrong_method = raw(world, "PATCH", WAREHOUSES)
    assert (unknown.status_code, code_of(unknown)) == (404, codes.INVALID_PATH)
    assert (wrong_method.status_code, code_of(wrong_method)) == (405, codes.INVALID_PATH)


def test_token_endpoints_need_app_credentials_and_the_right_grant(world: World) -> None:
    base = world.sandbox.auth_url + "/api/v2/token"
    code = world.sandbox.issue_auth_code(world.seller["id"])
    wrong_secret = httpx.get(
        base + "/get",
        params={"app_key": APP_KEY, "app_secret": "nope", "auth_code": code, "grant_type": "authorized_code"},
    ).json()
    wrong_grant = httpx.get(
        base + "/refresh",
        params={"app_key": APP_KEY, "app_secret": APP_SECRET, "refresh_token": "x", "grant_type": "authorized_code"},
    ).json()
    assert wrong_secret["code"] == codes.BAD_PARAMETER
    assert wrong_grant["code"] == codes.BAD_PARAMETER
    assert "refresh_token" in wrong_grant["message"]


def test_token_endpoints_live_on_the_auth_host_only(world: World) -> None:
    response = httpx.get(world.sandbox.url + "/api/v2/token/get", params={"app_key": APP_KEY})
    assert response.status_code == 404
