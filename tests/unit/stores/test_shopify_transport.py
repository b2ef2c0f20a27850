"""The GraphQL Admin API client: request shape, cost-based throttling through the limiter, retries
and typed errors (HTTP answered by an httpx mock transport; the sandbox tests do real HTTP)."""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from connector.stores import AuthError, RateLimited, ServerError, StoreNotFound, StoreValidationError
from connector.stores.shopify import ShopifyTransport
from connector.stores.shopify.config import API_VERSION
from connector.stores.shopify.transport import THROTTLE_MARGIN_S, CostReport, operation_name

SHOP = "unit-shop.myshopify.com"
TOKEN = "shpat_unit_token_never_logged"
QUERY = "query Shop { shop { name } }"


class Limiter:
    def __init__(self) -> None:
        self.acquired: list[tuple[str, float]] = []
        self.paused: list[tuple[str, float]] = []

    def acquire(self, key: str, rate_per_second: float) -> None:
        self.acquired.append((key, rate_per_second))

    def pause(self, key: str, seconds: float) -> None:
        self.paused.append((key, seconds))


def _cost(requested: int, available: float, *, maximum: float = 1000.0, restore: float = 50.0,
          actual: int | None = None) -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                     "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available,
                                        "restoreRate": restore}}}


OK = {"data": {"shop": {"name": "Unit"}}, "extensions": _cost(2, 998, actual=1)}
THROTTLED = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
             "extensions": _cost(300, 100)}


class Script:
    """Answers in order; each answer is (status, json body or bytes, headers)."""

    def __init__(self, *answers: tuple[int, Any] | tuple[int, Any, dict[str, str]]) -> None:
        self.answers = deque(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body, *rest = self.answers.popleft()
        headers = rest[0] if rest else {}
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)


def _client(script: Callable[[httpx.Request], httpx.Response], limiter: Limiter, sleeps: list[float],
            **kwargs: Any) -> ShopifyTransport:
    return ShopifyTransport(SHOP, TOKEN, http=httpx.Client(transport=httpx.MockTransport(script)), limiter=limiter,
                            sleep=sleeps.append, **kwargs)


@pytest.fixture
def limiter() -> Limiter:
    return Limiter()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def test_a_query_goes_to_the_pinned_version_with_the_token_header(limiter: Limiter, sleeps: list[float]) -> None:
    script = Script((200, OK))
    data = _client(script, limiter, sleeps).execute(QUERY, {"first": 3})
    assert data == {"shop": {"name": "Unit"}}
    request = script.requests[0]
    assert request.url == f"https://{SHOP}/admin/api/{API_VERSION}/graphql.json"
    assert request.headers["X-Shopify-Access-Token"] == TOKEN
    assert "authorization" not in request.headers
    assert json.loads(request.content) == {"query": QUERY, "variables": {"first": 3}}
    assert limiter.acquired == [(f"shopify#{SHOP}", 20.0)]
    assert limiter.paused == [] and sleeps == []


def test_the_api_version_is_one_pinned_date() -> None:
    year, month = API_VERSION.split("-")
    assert len(year) == 4 and month in ("01", "04", "07", "10")


def test_throttled_waits_for_the_refill_and_sends_the_same_query_again(limiter: Limiter, sleeps: list[float]) -> None:
    script = Script((200, THROTTLED), (200, OK))
    client = _client(script, limiter, sleeps)
    assert client.execute(QUERY) == {"shop": {"name": "Unit"}}
    assert len(script.requests) == 2
    assert script.requests[0].content == script.requests[1].content
    # (300 requested - 100 available) / 50 restored per second
    assert limiter.paused == [(f"shopify#{SHOP}", pytest.approx(4.0 + THROTTLE_MARGIN_S))]
    assert client.throttled_calls == 1
    assert len(limiter.acquired) == 2  # the retry waits in the shared limiter, not in a private sleep
    assert sleeps == []


def test_an_http_429_waits_for_retry_after(limiter: Limiter, sleeps: list[float]) -> None:
    script = Script((429, {"errors": "Exceeded"}, {"Retry-After": "2.0"}), (200, OK))
    assert _client(script, limiter, sleeps).execute(QUERY) == {"shop": {"name": "Unit"}}
    assert limiter.paused == [(f"shopify#{SHOP}", 2.0)]


def test_it_gives_up_after_the_throttles_it_allows(limiter: Limiter, sleeps: list[float]) -> None:
    script = Script(*[(200, THROTTLED)] * 3)
    with pytest.raises(RateLimited) as caught:
        _client(script, limiter, sleeps, max_throttled=3).execute(QUERY)
    assert caught.value.retry_after > 0
    assert len(script.requests) == 3


def test_a_bucket_left_short_pauses_before_the_next_call(limiter: Limiter, sleeps: list[float]) -> None:
    answer = {"data": {"shop": {"name": "Unit"}}, "extensions": _cost(400, 150, restore=100.0, actual=380)}
    _client(Script((200, answer)), limiter, sleeps).execute(QUERY)
    assert limiter.paused == [(f"shopify#{SHOP}", pytest.approx(2.5 + THROTTLE_MARGIN_S))]


def test_cost_report_reads_extensions() -> None:
    report = CostReport(_cost(120, 30, maximum=100, restore=10))
    assert (report.requested, report.available, report.maximum, report.restore_rate) == (120, 30, 100, 10)
    assert report.refill_seconds() == pytest.approx(7.0)  # capped at the bucket size
    assert CostReport(None).refill_seconds() == 0.0
    assert CostReport({"cost": {"requestedQueryCost": "x"}}).requested is None


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthError), (402, AuthError), (403, AuthError), (423, AuthError), (404, StoreNotFound),
     (400, StoreValidationError)],
)
def test_http_errors_are_typed_and_not_retried(status: int, error: type[Exception], limiter: Limiter,
                                               sleeps: list[float]) -> None:
    script = Script((status, {"errors": f"[API] Invalid API key or access token {TOKEN}"}))
    with pytest.raises(error) as caught:
        _client(script, limiter, sleeps).execute(QUERY)
    assert len(script.requests) == 1
    assert TOKEN not in str(caught.value)


def test_server_errors_are_retried_with_backoff(limiter: Limiter, sleeps: list[float]) -> None:
    script = Script((502, b"bad gateway"), (503, b""), (200, OK))
    assert _client(script, limiter, sleeps).execute(QUERY) == {"shop": {"name": "Unit"}}
    assert len(sleeps) == 2 and all(s > 0 for s in sleeps)


def test_server_errors_give_up_after_the_attempts(limiter: Limiter, sleeps: list[float]) -> None:
    script = Script(*[(500, b"")] * 3)
    with pytest.raises(ServerError):
        _client(script, limiter, sleeps, max_attempts=3).execute(QUERY)
    assert len(script.requests) == 3


def test_a_mutation_that_is_not_idempotent_is_never_sent_twice(limiter: Limiter, sleeps: list[float]) -> None:
    script = Script((500, b""), (200, OK))
    with pytest.raises(ServerError):
        _client(script, limiter, sleeps).execute("mutation Make { x }", idempotent=False)
    assert len(script.requests) == 1


def test_a_transport_failure_is_retried_then_typed_without_the_request(limiter: Limiter, sleeps: list[float]) -> None:
    calls: list[httpx.Request] = []

    def fail(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ServerError) as caught:
        _client(fail, limiter, sleeps, max_attempts=2).execute(QUERY)
    assert len(calls) == 2
    assert caught.value.__cause__ is None and caught.value.platform_code == "timeout"


@pytest.mark.parametrize(
    ("code", "error"),
    [("undefinedField", StoreValidationError), ("MAX_COST_EXCEEDED", StoreValidationError),
     ("ACCESS_DENIED", AuthError)],
)
def test_graphql_errors_are_typed_with_code_and_path(code: str, error: type[Exception], limiter: Limiter,
                                                     sleeps: list[float]) -> None:
    body = {"errors": [{"message": f"Field 'nope' doesn't exist on type 'Product' {TOKEN}",
                        "path": ["query Shop", "products", "nope"], "extensions": {"code": code}}]}
    with pytest.raises(error) as caught:
        _client(Script((200, body)), limiter, sleeps).execute(QUERY)
    assert code in str(caught.value)
    assert "products.nope" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_an_internal_graphql_error_is_retried(limiter: Limiter, sleeps: list[float]) -> None:
    body = {"errors": [{"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}
    script = Script((200, body), (200, OK))
    assert _client(script, limiter, sleeps).execute(QUERY) == {"shop": {"name": "Unit"}}
    assert len(sleeps) == 1


@pytest.mark.parametrize("body", [b"<html>", b"[1]", json.dumps({"data": None}).encode()])
def test_an_answer_that_is_not_graphql_is_a_server_error(body: bytes, limiter: Limiter, sleeps: list[float]) -> None:
    with pytest.raises(ServerError):
        _client(Script((200, body)), limiter, sleeps).execute(QUERY)


def test_the_token_is_never_logged(limiter: Limiter, sleeps: list[float], caplog: pytest.LogCaptureFixture) -> None:
    script = Script((500, b""), (200, THROTTLED), (200, OK))
    with caplog.at_level(logging.DEBUG):
        _client(script, limiter, sleeps).execute(QUERY)
    assert caplog.records
    for record in caplog.records:
        assert TOKEN not in record.getMessage() and TOKEN not in json.dumps(record.__dict__, default=str)
    assert TOKEN not in repr(_client(script, limiter, sleeps))


def test_a_shop_outside_myshopify_is_refused() -> None:
    with pytest.raises(StoreValidationError):
        ShopifyTransport("evil.example.com", TOKEN)


def test_operation_names() -> None:
    assert operation_name("query Products($first: Int!) { x }") == "Products"
    assert operation_name("  mutation SetStock { x }") == "SetStock"
    assert operation_name("{ shop { name } }") == "anonymous"


def test_a_bulk_file_is_read_without_the_token(limiter: Limiter, sleeps: list[float]) -> None:
    script = Script((503, b""), (200, b'{"id":"gid://shopify/Product/1"}\n\n{"id":"x","__parentId":"y"}\n'))
    lines = list(_client(script, limiter, sleeps).download_lines("https://storage.example/bulk/1.jsonl?sig=abc"))
    assert lines == [b'{"id":"gid://shopify/Product/1"}', b'{"id":"x","__parentId":"y"}']
    assert all("X-Shopify-Access-Token" not in r.headers for r in script.requests)
    assert len(sleeps) == 1


def test_a_missing_bulk_file_is_a_server_error(limiter: Limiter, sleeps: list[float]) -> None:
    with pytest.raises(ServerError):
        list(_client(Script((404, b"")), limiter, sleeps).download_lines("https://storage.example/gone.jsonl"))
