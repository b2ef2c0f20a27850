"""The Ecwid adapter over httpx.MockTransport: auth, rate limit, retries, errors, paging, orders."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.ratelimit import LocalRateLimiter
from connector.stores import (
    AuthError,
    OrderLine,
    OrderTotals,
    RateLimited,
    ServerError,
    ShipTo,
    StoreCredentials,
    StoreNotFound,
    StoreOAuth,
    StoreOrderDraft,
    StorePlatform,
    StoreValidationError,
    open_store,
)
from connector.stores.ecwid import EcwidOAuth, EcwidStore
from connector.stores.ecwid.transport import parse_retry_after
from connector.stores.errors import AmbiguousWrite

TOKEN = "secret_abcdefghijklmnopqrstuvwxyz0123456789"
BASE = "https://ecwid.test/api/v3"


class RecordingLimiter:
    def __init__(self) -> None:
        self.acquired: list[tuple[str, float]] = []
        self.paused: list[tuple[str, float]] = []

    def acquire(self, key: str, rate_per_second: float) -> None:
        self.acquired.append((key, rate_per_second))

    def pause(self, key: str, seconds: float) -> None:
        self.paused.append((key, seconds))


Handler = Callable[[httpx.Request], httpx.Response]


def make_store(handler: Handler, **kwargs: Any) -> tuple[EcwidStore, RecordingLimiter, list[float]]:
    limiter = RecordingLimiter()
    sleeps: list[float] = []
    store = EcwidStore(
        1003,
        TOKEN,
        api_base=BASE,
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        limiter=limiter,
        sleep=sleeps.append,
        **kwargs,
    )
    return store, limiter, sleeps


def ok(payload: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=payload)


PROFILE = {
    "generalInfo": {"storeId": 1003},
    "settings": {"storeName": "S"},
    "formatsAndUnits": {"currency": "USD"},
}


def test_calls_use_a_bearer_token_and_never_put_it_in_the_url() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok(PROFILE)

    store, limiter, _ = make_store(handler)
    assert store.profile().currency == "USD"
    (request,) = seen
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)
    assert str(request.url) == f"{BASE}/1003/profile"
    assert limiter.acquired == [("ecwid#1003", 10.0)]  # 600 requests a minute per token


def test_a_429_pauses_the_key_for_retry_after_then_retries() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "7"}), ok(PROFILE)]
    store, limiter, sleeps = make_store(lambda request: answers.pop(0))
    assert store.profile().store_id == "1003"
    assert limiter.paused == [("ecwid#1003", 7.0)]
    assert len(limiter.acquired) == 2  # the retry waited on the (paused) limiter, not on a private sleep
    assert sleeps == []


def test_429s_without_end_become_rate_limited() -> None:
    store, limiter, _ = make_store(
        lambda request: httpx.Response(429, headers={"Retry-After": "3"}), max_rate_limited=3
    )
    with pytest.raises(RateLimited) as caught:
        store.profile()
    assert caught.value.retry_after == 3.0
    assert caught.value.retryable
    assert len(limiter.paused) == 3


@pytest.mark.parametrize(("value", "expected"), [("5", 5.0), ("0.5", 0.5), (None, 5.0), ("soon", 5.0), ("-3", 0.0)])
def test_retry_after_parsing(value: str | None, expected: float) -> None:
    assert parse_retry_after(value) == expected


def test_retry_after_as_an_http_date() -> None:
    assert parse_retry_after("Wed, 01 Jan 2025 00:00:10 GMT", now=lambda: 1735689600.0) == 10.0


def test_server_errors_are_retried_with_backoff() -> None:
    answers = [httpx.Response(502), httpx.Response(503), ok(PROFILE)]
    store, _, sleeps = make_store(lambda request: answers.pop(0))
    assert store.profile().name == "S"
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0  # exponential, half jitter


def test_server_errors_that_persist_become_server_error() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500, json={"errorMessage": "boom"})

    store, _, _ = make_store(handler, max_attempts=3)
    with pytest.raises(ServerError) as caught:
        store.profile()
    assert len(calls) == 3
    assert caught.value.http_status == 500 and caught.value.retryable


def test_timeouts_are_retried_and_the_error_names_no_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    store, _, sleeps = make_store(handler, max_attempts=2)
    with pytest.raises(ServerError) as caught:
        store.profile()
    assert len(sleeps) == 1
    assert caught.value.platform_code == "timeout"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # the request stays behind
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, StoreValidationError),
        (409, StoreValidationError),
        (401, AuthError),
        (402, AuthError),
        (403, AuthError),
        (404, StoreNotFound),
    ],
)
def test_client_errors_are_typed_and_never_retried(status: int, kind: type[Exception]) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, json={"errorMessage": "nope", "errorCode": "SOME_CODE"})

    store, _, sleeps = make_store(handler)
    with pytest.raises(kind) as caught:
        store.get_product("5")
    assert len(calls) == 1 and sleeps == []
    error = caught.value
    assert getattr(error, "platform_code", None) == "SOME_CODE"
    assert "GET /1003/products/5" in str(error) and str(status) in str(error)


def test_errors_and_logs_never_contain_the_token(caplog: pytest.LogCaptureFixture) -> None:
    # A hostile or buggy server echoing the token back must not get it into our errors or logs.
    answers = [
        httpx.Response(503, json={"errorCode": TOKEN}),
        httpx.Response(403, json={"errorCode": f"bad {TOKEN}", "errorMessage": TOKEN}),
    ]
    store, _, _ = make_store(lambda request: answers.pop(0))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as caught:
        store.profile()
    error = caught.value
    for text in (str(error), repr(error), repr(error.args), str(error.platform_code), str(error.reason)):
        assert TOKEN not in text
    assert all(TOKEN not in record.getMessage() and TOKEN not in repr(record.__dict__) for record in caplog.records)
    assert TOKEN not in repr(store)


def test_ids_that_are_not_numbers_are_refused_before_any_call() -> None:
    store, limiter, _ = make_store(lambda request: ok({}))
    with pytest.raises(StoreValidationError):
        store.get_product("../orders")
    with pytest.raises(StoreValidationError):
        store.adjust_stock("12:abc", 1)
    with pytest.raises(StoreValidationError):  # order ids come from unsigned webhook bodies
        store.get_order("../products/1")
    with pytest.raises(StoreValidationError):
        EcwidStore("1003/../9", TOKEN, api_base=BASE)
    assert limiter.acquired == []


def test_json_numbers_arrive_as_decimal() -> None:
    product = {"id": 1, "name": "x", "price": 0.1, "quantity": 1, "updateTimestamp": 1}
    store, _, _ = make_store(lambda request: httpx.Response(200, content=json.dumps(product).encode()))
    assert store.get_price("1") == Decimal("0.1")


def _products(stamps: list[int]) -> list[dict[str, Any]]:
    return [
        {"id": i + 1, "name": f"p{i}", "price": 1, "quantity": 1, "updateTimestamp": t} for i, t in enumerate(stamps)
    ]


def _search(catalog: list[dict[str, Any]], requests: list[dict[str, str]]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        args = dict(request.url.params)
        requests.append(args)
        items = sorted(catalog, key=lambda p: (p["updateTimestamp"], p["id"]))
        if "updatedFrom" in args:
            items = [p for p in items if p["updateTimestamp"] >= int(args["updatedFrom"])]
        offset, limit = int(args["offset"]), min(100, int(args["limit"]))
        chunk = items[offset : offset + limit]
        return ok({"total": len(items), "count": len(chunk), "offset": offset, "limit": limit, "items": chunk})

    return handler


def test_listing_pages_by_update_time_and_reads_every_product_once() -> None:
    catalog = _products([1000 + i // 3 for i in range(250)])  # three products per second
    requests: list[dict[str, str]] = []
    store, _, _ = make_store(_search(catalog, requests))
    ids = [p.ext_id for p in store.list_products()]
    assert sorted(ids, key=int) == [str(i) for i in range(1, 251)]
    assert len(ids) == len(set(ids))
    assert all(r["sortBy"] == "UPDATED_TIME_ASC" and r["limit"] == "100" for r in requests)
    assert len(requests) == 3


def test_listing_survives_a_page_where_every_product_shares_one_second() -> None:
    catalog = _products([1000] * 230 + [1001] * 5)
    requests: list[dict[str, str]] = []
    store, _, _ = make_store(_search(catalog, requests))
    ids = [p.ext_id for p in store.list_products()]
    assert len(ids) == 235 == len(set(ids))


def test_incremental_listing_sends_updated_from() -> None:
    from datetime import UTC, datetime

    catalog = _products([1000, 2000, 3000])
    requests: list[dict[str, str]] = []
    store, _, _ = make_store(_search(catalog, requests))
    found = list(store.list_products(updated_since=datetime.fromtimestamp(2000, tz=UTC)))
    assert [p.ext_id for p in found] == ["2", "3"]
    assert requests[0]["updatedFrom"] == "2000"
    with pytest.raises(ValueError, match="timezone"):
        list(store.list_products(updated_since=datetime(2025, 1, 1)))


def _draft() -> StoreOrderDraft:
    return StoreOrderDraft(
        tiktok_order_id="5764614",
        lines=(OrderLine(variant_key="101", sku="MUG", name="Mug", quantity=2, unit_price=Decimal("9.99")),),
        ship_to=ShipTo(name="Ann", street=("1 Main St",), city="Austin", postal="73301", country="US"),
        email="ann@example.com",
        currency="USD",
        totals=OrderTotals(subtotal=Decimal("19.98"), total=Decimal("19.98")),
    )


class FakeOrders:
    """Just enough of Ecwid's order endpoints, with a switch to fail a create after doing it."""

    def __init__(self, fail_after_create: int = 0, fail_before_create: int = 0) -> None:
        self.orders: list[dict[str, Any]] = []
        self.posts = 0
        self.fail_after_create = fail_after_create
        self.fail_before_create = fail_before_create

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v3/1003")
        if request.method == "GET" and path == "/orders":
            ref = request.url.params.get("refererId")
            items = [o for o in self.orders if o.get("refererId") == ref]
            return ok({"total": len(items), "count": len(items), "offset": 0, "limit": 100, "items": items})
        if request.method == "POST" and path == "/orders":
            self.posts += 1
            if self.fail_before_create:
                self.fail_before_create -= 1
                return httpx.Response(503)
            body = json.loads(request.content)
            order = dict(body, id=f"X{len(self.orders) + 1}", internalId=len(self.orders) + 1)
            self.orders.append(order)
            if self.fail_after_create:
                self.fail_after_create -= 1
                return httpx.Response(500)
            return ok({"id": order["internalId"], "orderId": order["id"]})
        if request.method == "GET" and path.startswith("/orders/"):
            wanted = path.rsplit("/", 1)[1]
            for order in self.orders:
                if order["id"] == wanted:
                    return ok(order)
            return httpx.Response(404)
        return httpx.Response(404)


def test_create_order_is_idempotent_on_the_tiktok_order_id() -> None:
    fake = FakeOrders()
    store, _, _ = make_store(fake)
    first = store.create_order(_draft())
    second = store.create_order(_draft())
    assert first.ext_id == second.ext_id == "X1"
    assert first.tiktok_order_id == "5764614"
    assert fake.posts == 1


def test_a_create_that_failed_after_the_store_did_it_is_ambiguous_and_not_repeated() -> None:
    fake = FakeOrders(fail_after_create=1)
    store, _, _ = make_store(fake)
    with pytest.raises(AmbiguousWrite):
        store.create_order(_draft())
    assert fake.posts == 1 and len(fake.orders) == 1  # the caller settles; the adapter never posts again


def test_a_create_refused_with_a_5xx_is_ambiguous_too() -> None:
    # The adapter cannot tell "failed before" from "failed after": one POST, then the caller decides.
    fake = FakeOrders(fail_before_create=1)
    store, _, _ = make_store(fake)
    with pytest.raises(AmbiguousWrite):
        store.create_order(_draft())
    assert fake.posts == 1 and fake.orders == []
    assert store.create_order(_draft()).ext_id == "X1"  # a later call (after the settle window) posts


def test_find_order_ignores_orders_of_other_tiktok_ids(caplog: pytest.LogCaptureFixture) -> None:
    # Ecwid ignores a filter it does not know and returns every order: the adapter checks the field.
    everything = [
        {"id": "A", "internalId": 1, "refererId": "other"},
        {"id": "B", "internalId": 2, "refererId": "5764614"},
    ]
    store, _, _ = make_store(
        lambda request: ok({"total": 2, "count": 2, "offset": 0, "limit": 100, "items": everything})
    )
    found = store.find_order_by_tiktok_id("5764614")
    assert found is not None and found.ext_id == "B"
    assert any("filter still supported" in r.getMessage() for r in caplog.records)  # operators are told
    assert store.find_order_by_tiktok_id("nope") is None


def test_order_creation_is_never_blindly_retried_on_a_timeout() -> None:
    posts = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request)
            raise httpx.ReadTimeout("slow", request=request)
        return ok({"total": 0, "count": 0, "offset": 0, "limit": 100, "items": []})

    store, _, _ = make_store(handler, max_attempts=2)
    with pytest.raises(AmbiguousWrite):
        store.create_order(_draft())
    assert len(posts) == 1  # a lost answer may hide a created order: never posted again here


def test_the_adapter_satisfies_the_port_and_is_built_from_credentials() -> None:
    credentials = StoreCredentials(platform="ecwid", store_id="1003", token=TOKEN)
    assert TOKEN not in repr(credentials)
    store = open_store(credentials, api_base=BASE, limiter=LocalRateLimiter())
    assert isinstance(store, EcwidStore) and isinstance(store, StorePlatform)
    assert store.store_id == "1003" and store.platform == "ecwid"
    with pytest.raises(StoreValidationError):
        open_store(StoreCredentials(platform="magento", store_id="1", token="t"))


def test_api_base_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return ok(PROFILE)

    monkeypatch.setenv("ECWID_API_BASE", "http://127.0.0.1:9/api/v3/")
    store = EcwidStore(
        1003, TOKEN, http=httpx.Client(transport=httpx.MockTransport(handler)), limiter=RecordingLimiter()
    )
    store.profile()
    assert seen == ["http://127.0.0.1:9/api/v3/1003/profile"]


# --------------------------------------------------------------------------------------------
# OAuth
# --------------------------------------------------------------------------------------------


def test_authorize_url_carries_our_state_and_every_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECWID_OAUTH_BASE", "http://127.0.0.1:9/api/oauth")
    oauth = EcwidOAuth("client-1", "shh")
    assert isinstance(oauth, StoreOAuth)
    url = httpx.URL(oauth.authorize_url(redirect_uri="https://app.example/cb", state="st-1"))
    assert str(url).startswith("http://127.0.0.1:9/api/oauth/authorize?")
    params = dict(url.params)
    assert params == {
        "client_id": "client-1",
        "redirect_uri": "https://app.example/cb",
        "response_type": "code",
        "scope": "read_store_profile read_catalog update_catalog read_orders create_orders update_orders",
        "state": "st-1",
    }


def test_the_code_is_exchanged_by_a_form_post() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok(
            {
                "access_token": "secret_tok",
                "token_type": "bearer",
                "scope": "read_catalog read_orders",
                "store_id": 1003,
            }
        )

    oauth = EcwidOAuth(
        "client-1",
        "shh",
        oauth_base="https://my.ecwid.test/api/oauth",
        http=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    grant = oauth.exchange_code(code="c0de", redirect_uri="https://app.example/cb")
    (request,) = seen
    assert request.method == "POST" and str(request.url) == "https://my.ecwid.test/api/oauth/token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {
        "client_id": "client-1",
        "client_secret": "shh",
        "code": "c0de",
        "redirect_uri": "https://app.example/cb",
        "grant_type": "authorization_code",
    }
    assert grant.store_id == "1003" and grant.token.get_secret_value() == "secret_tok"
    assert grant.scopes == ("read_catalog", "read_orders")
    assert "secret_tok" not in repr(grant)
    assert grant.credentials().platform == "ecwid"


def test_a_refused_exchange_is_an_auth_error_without_secrets() -> None:
    handler = lambda request: httpx.Response(400, json={"error": "invalid_grant"})  # noqa: E731
    oauth = EcwidOAuth(
        "client-1",
        "shh-secret",
        oauth_base="https://x/api/oauth",
        http=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    with pytest.raises(AuthError) as caught:
        oauth.exchange_code(code="the-code", redirect_uri="https://app.example/cb")
    assert caught.value.platform_code == "invalid_grant"
    assert "shh-secret" not in str(caught.value) and "the-code" not in str(caught.value)
