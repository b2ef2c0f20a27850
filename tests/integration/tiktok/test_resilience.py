"""Each error family of the client against the sandbox's faults: what is retried, what is
raised, what every error carries, and what it never carries."""

from __future__ import annotations

import httpx
import pytest

from connector.ratelimit import LocalRateLimiter
from connector.tiktok import errors as e
from connector.tiktok.client import RetryPolicy, ShopRef
from connector.tiktok.oauth import StaticToken
from local.sandbox_tiktok import codes

from .conftest import APP_SECRET, World, make_client, tee_product

WAREHOUSES = "/logistics/202309/warehouses"


class CountingLimiter(LocalRateLimiter):
    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[tuple[str, float]] = []

    def pause(self, key: str, seconds: float) -> None:
        self.pauses.append((key, seconds))
        super().pause(key, seconds)


def test_server_errors_are_retried_until_success(world: World) -> None:
    world.sandbox.inject_fault("error", count=2, path=WAREHOUSES, status=503)

    assert world.client.get_warehouses(world.shop)

    assert [r["code"] for r in world.requests(WAREHOUSES)] == [codes.INTERNAL_ERROR, codes.INTERNAL_ERROR, 0]


def test_persistent_server_errors_raise_server_error_with_request_id(world: World) -> None:
    world.sandbox.inject_fault("error", count=10, path=WAREHOUSES, status=500)

    with pytest.raises(e.ServerError) as caught:
        world.client.get_warehouses(world.shop)

    assert caught.value.retryable and caught.value.http_status == 500
    assert caught.value.request_id and len(caught.value.request_id) > 10
    assert len(world.requests(WAREHOUSES)) == 4  # the policy's max_attempts


def test_timeouts_are_retried_then_raise_timeout(world: World) -> None:
    client = make_client(
        world.sandbox,
        http=httpx.Client(timeout=httpx.Timeout(0.3)),
        retry=RetryPolicy(max_attempts=2, base_delay_s=0.01),
    ).with_tokens(world.tokens)
    world.sandbox.inject_fault("timeout", count=1, path=WAREHOUSES, delay_s=0.6)

    assert client.get_warehouses(world.shop)  # the second attempt answers

    world.sandbox.inject_fault("timeout", count=2, path=WAREHOUSES, delay_s=0.6)
    with pytest.raises(e.Timeout) as caught:
        client.get_warehouses(world.shop)
    assert caught.value.retryable


def test_create_retried_after_a_lost_answer_lists_once(world: World) -> None:
    # The sandbox creates the product, then the answer is lost (the client times out).
    client = make_client(
        world.sandbox,
        http=httpx.Client(timeout=httpx.Timeout(0.4)),
        retry=RetryPolicy(max_attempts=3, base_delay_s=0.01),
    ).with_tokens(world.tokens)
    product = tee_product(world)
    world.sandbox.inject_fault("timeout", count=1, path="/product/202309/products", delay_s=0.8, after=True)

    result = client.create_product(world.shop, product)

    mine = [p for p in world.sandbox.state.products.values() if p.shop_id == world.shop_id]
    assert [p.id for p in mine] == [result.product_id]


def test_rate_limited_pauses_the_key_then_succeeds(world: World) -> None:
    limiter = CountingLimiter()
    client = make_client(world.sandbox, limiter=limiter, retry=RetryPolicy(max_delay_s=2)).with_tokens(world.tokens)
    world.sandbox.inject_fault("rate_limit", count=1, path=WAREHOUSES)

    assert client.get_warehouses(world.shop)

    assert limiter.pauses == [(f"tiktok#{world.shop_id}#{WAREHOUSES}", 1.0)]  # Retry-After honoured
    assert [r["code"] for r in world.requests(WAREHOUSES)] == [codes.TOO_MANY_REQUESTS, 0]


def test_persistent_rate_limit_raises_rate_limited(world: World) -> None:
    client = make_client(world.sandbox, limiter=CountingLimiter(), retry=RetryPolicy(max_attempts=2)).with_tokens(
        world.tokens
    )
    world.sandbox.inject_fault("rate_limit", count=2, path=WAREHOUSES)
    with pytest.raises(e.RateLimited) as caught:
        client.get_warehouses(world.shop)
    assert caught.value.tiktok_code == codes.TOO_MANY_REQUESTS and caught.value.http_status == 429


def test_a_fast_client_against_a_slow_limit_gets_through_by_backing_off(world: World) -> None:
    world.sandbox.set_rate_limit(10)
    client = make_client(world.sandbox, retry=RetryPolicy(max_attempts=8, base_delay_s=0.1, max_delay_s=1)).with_tokens(
        world.tokens
    )
    for _ in range(25):
        client.get_warehouses(world.shop)
    answers = [r["code"] for r in world.requests(WAREHOUSES)]
    assert answers.count(0) == 25
    assert codes.TOO_MANY_REQUESTS in answers  # the limit was hit and survived


def test_bad_signature_is_an_auth_error(world: World) -> None:
    client = make_client(world.sandbox, tokens=world.tokens, app_secret="not-the-secret")  # a misconfigured deployment
    with pytest.raises(e.InvalidSignature) as caught:
        client.get_warehouses(world.shop)
    assert caught.value.http_status == 401 and not caught.value.retryable


def test_clock_skew_is_a_bad_request(world: World) -> None:
    import time

    client = make_client(world.sandbox, tokens=world.tokens, clock=lambda: time.time() - 600)
    with pytest.raises(e.BadRequest) as caught:
        client.get_warehouses(world.shop)
    assert caught.value.tiktok_code == codes.BAD_PARAMETER


def test_scope_error(world: World) -> None:
    world.sandbox.set_scopes(world.seller["id"], ["seller.authorization.info"])
    with pytest.raises(e.ScopeError) as caught:
        world.client.get_warehouses(world.shop)
    assert caught.value.tiktok_code == codes.SCOPE_NOT_GRANTED


def test_wrong_cipher_is_a_shop_cipher_error(world: World) -> None:
    other = world.sandbox.create_seller("Someone else")["shops"][0]
    with pytest.raises(e.ShopCipherError) as caught:
        world.client.get_warehouses(ShopRef(id=other["id"], cipher=other["cipher"]))
    assert caught.value.tiktok_code == codes.TOKEN_SHOP_MISMATCH


def test_no_error_text_contains_a_token_or_secret(world: World) -> None:
    """Provoke one error of every family and search every rendering for secrets."""
    secrets = [APP_SECRET, world.tokens.tokens.access_token, world.tokens.tokens.refresh_token, world.shop.cipher]
    caught: list[Exception] = []

    def attempt(fn: object) -> None:
        try:
            fn()  # type: ignore[operator]
        except e.TikTokError as exc:
            caught.append(exc)

    attempt(
        lambda: make_client(world.sandbox, tokens=StaticToken("TTP_wrong_" + secrets[1])).get_warehouses(world.shop)
    )
    world.sandbox.inject_fault("error", count=10, path=WAREHOUSES)
    attempt(lambda: world.client.get_warehouses(world.shop))
    world.sandbox.clear_faults()
    attempt(lambda: world.client.create_product(world.shop, tee_product(world, category_id="1")))
    attempt(lambda: world.client.get_product(world.shop, "1"))
    attempt(lambda: world.client.refresh_access_token("TTP_R_not_a_refresh_token_" + secrets[2]))
    attempt(lambda: world.client.get_access_token("AC_wrong_code_" + secrets[1]))
    bad = make_client(world.sandbox, tokens=world.tokens, app_secret=APP_SECRET + "x")
    attempt(lambda: bad.get_warehouses(world.shop))
    world.sandbox.expire_access_tokens(world.seller["id"])
    world.sandbox.expire_refresh_tokens(world.seller["id"])
    attempt(lambda: world.client.get_warehouses(world.shop))

    assert len(caught) == 8
    for exc in caught:
        text = " | ".join([str(exc), repr(exc), exc.args[0], getattr(exc, "tiktok_message", "")])
        for secret in secrets:
            assert secret not in text, f"{type(exc).__name__} leaks a secret"
