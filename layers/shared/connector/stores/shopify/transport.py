"""HTTP to Shopify's GraphQL Admin API: token header, cost-based throttling, retries, typed errors.

- ``POST {shop}/admin/api/{API_VERSION}/graphql.json`` with ``X-Shopify-Access-Token``; the
  version is the one constant :data:`~connector.stores.shopify.config.API_VERSION`.
- Shopify meters queries by cost in a leaky bucket per app and shop. Every answer reports
  ``extensions.cost`` (``requestedQueryCost``, ``actualQueryCost`` and ``throttleStatus`` with
  ``maximumAvailable``, ``currentlyAvailable``, ``restoreRate``). Over budget, the answer is an
  error with ``extensions.code == "THROTTLED"`` and no data. The client then pauses the shop's key
  in the shared :class:`~connector.ratelimit.RateLimiter` for as long as the bucket needs to
  refill the points the query asked for (so every worker sharing the limiter waits too) and sends
  the same query again: a throttled call is delayed, never lost. After a success that left fewer
  points than the query cost, it pauses before the next call the same way. An HTTP 429 (with
  Retry-After) is treated like THROTTLED.
- 5xx, timeouts, transport errors and ``INTERNAL_SERVER_ERROR`` are retried with exponential
  backoff and jitter when the call is idempotent (every query; a mutation says so itself).
- Everything else becomes a typed error of :mod:`connector.stores.errors` at once.

The token goes in the header only and appears in no message and no log line; messages carry
the operation name, HTTP status, Shopify's error code and the field path, never a body.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import httpx

from connector.ratelimit import RateLimiter
from connector.stores import wire
from connector.stores.errors import AuthError, RateLimited, ServerError, StoreError, StoreNotFound, StoreValidationError
from connector.stores.shopify import config
from connector.stores.wire import decode_json

logger = logging.getLogger(__name__)

THROTTLE_MARGIN_S = 0.05
"""Added to every computed refill wait (clocks and rounding)."""

_OPERATION = re.compile(r"^\s*(query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)")
_AUTH_CODES = {"ACCESS_DENIED", "UNAUTHORIZED", "FORBIDDEN"}
_RETRY_CODES = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"}


def encode_json(payload: Any) -> bytes:
    return wire.encode_json(payload, decimal=str)  # Shopify's Money and Decimal scalars are strings


def operation_name(document: str) -> str:
    found = _OPERATION.match(document)
    return found.group(2) if found else "anonymous"


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


class CostReport:
    """``extensions.cost`` of one answer (missing numbers stay ``None``)."""

    def __init__(self, extensions: object) -> None:
        cost = extensions.get("cost") if isinstance(extensions, dict) else None
        cost = cost if isinstance(cost, dict) else {}
        status = cost.get("throttleStatus")
        status = status if isinstance(status, dict) else {}
        self.requested = _number(cost.get("requestedQueryCost"))
        self.actual = _number(cost.get("actualQueryCost"))
        self.maximum = _number(status.get("maximumAvailable"))
        self.available = _number(status.get("currentlyAvailable"))
        self.restore_rate = _number(status.get("restoreRate"))

    def refill_seconds(self, needed: float | None = None) -> float:
        """Seconds until the bucket holds ``needed`` points (default: what the query asked for)."""
        want = needed if needed is not None else self.requested
        if want is None or self.available is None:
            return 0.0
        if self.maximum is not None:
            want = min(want, self.maximum)
        rate = self.restore_rate if self.restore_rate and self.restore_rate > 0 else config.DEFAULT_RESTORE_RATE
        return max(0.0, (want - self.available) / rate)


class ShopifyTransport:
    """GraphQL calls for one shop with one access token.

    ``http``, ``limiter`` and ``sleep`` are seams for tests; ``shop_base`` defaults to
    ``SHOPIFY_SHOP_BASE`` (or Shopify itself). ``throttled_calls`` counts THROTTLED answers
    (each one was sent again)."""

    def __init__(
        self,
        shop: str,
        token: str,
        *,
        shop_base: str | None = None,
        api_version: str = config.API_VERSION,
        http: httpx.Client | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 4,
        max_throttled: int = 30,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
    ) -> None:
        if not config.valid_shop(shop):
            raise StoreValidationError("not a *.myshopify.com shop", platform=config.PLATFORM)
        self.shop = shop
        self._token = token
        self._url = config.shop_url(shop, shop_base) + config.graphql_path(api_version)
        self._http = http or config.default_http()
        self._limiter = limiter or config.default_limiter()
        self._sleep = sleep
        self._max_attempts = max(1, max_attempts)
        self._max_throttled = max(1, max_throttled)
        self.backoff = wire.Backoff(backoff_base, backoff_cap)
        self.limiter_key = config.limiter_key(shop)
        self._counter_lock = threading.Lock()
        self.throttled_calls = 0
        self.last_cost: CostReport | None = None

    def __repr__(self) -> str:
        return f"ShopifyTransport(shop={self.shop!r})"

    def sleep(self, seconds: float) -> None:
        """The transport's clock seam (tests compress it)."""
        self._sleep(seconds)

    def execute(self, document: str, variables: Mapping[str, Any] | None = None, *, idempotent: bool = True) -> Any:
        """Run one GraphQL document; returns its ``data`` (an object)."""
        where = f"shopify {operation_name(document)}"
        content = encode_json({"query": document, "variables": dict(variables or {})})
        headers = {
            config.ACCESS_TOKEN_HEADER: self._token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        failures = 0
        throttled = 0
        while True:
            self._limiter.acquire(self.limiter_key, config.REQUESTS_PER_SECOND)
            try:
                response = self._http.post(self._url, content=content, headers=headers)
            except httpx.TransportError as exc:
                # The httpx exception holds the request (and so the token): only its type is kept.
                kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "transport"
                failures += 1
                if not idempotent or failures >= self._max_attempts:
                    raise ServerError(
                        f"{where}: {kind} ({type(exc).__name__}) after {failures} attempt(s)",
                        platform=config.PLATFORM,
                        platform_code=kind,
                    ) from None
                logger.warning("shopify call failed, retrying", extra={"call": where, "failure": kind})
                self._sleep(self.backoff(failures))
                continue

            status = response.status_code
            if status == 429:
                throttled = self._throttled(where, throttled, _retry_after(response.headers.get("Retry-After")))
                continue
            if status >= 500:
                failures += 1
                if not idempotent or failures >= self._max_attempts:
                    raise self._http_error(where, response)
                logger.warning("shopify server error, retrying", extra={"call": where, "status": status})
                self._sleep(self.backoff(failures))
                continue
            if status >= 400:
                raise self._http_error(where, response)
            try:
                payload = decode_json(response.content)
            except ValueError:
                raise ServerError(f"{where}: HTTP {status} with a body that is not JSON",
                                  platform=config.PLATFORM, http_status=status) from None
            if not isinstance(payload, dict):
                raise ServerError(f"{where}: the answer is not an object", platform=config.PLATFORM)
            cost = CostReport(payload.get("extensions"))
            self.last_cost = cost
            errors = payload.get("errors")
            if errors:
                codes = _codes(errors)
                if "THROTTLED" in codes:
                    throttled = self._throttled(where, throttled, cost.refill_seconds() + THROTTLE_MARGIN_S)
                    continue
                if codes & _RETRY_CODES:
                    failures += 1
                    if idempotent and failures < self._max_attempts:
                        logger.warning("shopify internal error, retrying", extra={"call": where})
                        self._sleep(self.backoff(failures))
                        continue
                raise self._graphql_error(where, errors, codes)
            data = payload.get("data")
            if not isinstance(data, dict):
                raise ServerError(f"{where}: no data in the answer", platform=config.PLATFORM, http_status=status)
            wait = cost.refill_seconds()
            if wait > 0:  # the next call of this size would be throttled: let the bucket refill first
                self._limiter.pause(self.limiter_key, wait + THROTTLE_MARGIN_S)
            return data

    def download_lines(self, url: str) -> Iterator[bytes]:
        """The lines of a bulk operation's result file. Its URL is pre-signed storage: the access
        token is not sent. Read to the end before anything is yielded, so a failure midway
        raises before the caller has acted on part of the file."""
        failures = 0
        while True:
            try:
                response = self._http.get(url, headers={"Accept": "application/jsonl"})
            except httpx.TransportError as exc:
                failures += 1
                if failures >= self._max_attempts:
                    raise ServerError(f"shopify bulk file: {type(exc).__name__} after {failures} attempt(s)",
                                      platform=config.PLATFORM, platform_code="transport") from None
                self._sleep(self.backoff(failures))
                continue
            if response.status_code >= 500 and failures + 1 < self._max_attempts:
                failures += 1
                self._sleep(self.backoff(failures))
                continue
            if response.status_code != 200:
                raise ServerError(f"shopify bulk file: HTTP {response.status_code}", platform=config.PLATFORM,
                                  http_status=response.status_code)
            return iter([line for line in response.content.splitlines() if line.strip()])

    def _throttled(self, where: str, throttled: int, wait: float) -> int:
        throttled += 1
        with self._counter_lock:
            self.throttled_calls += 1
        self._limiter.pause(self.limiter_key, wait)
        if throttled >= self._max_throttled:
            raise RateLimited(f"{where}: throttled {throttled} times", retry_after=wait,
                              platform=config.PLATFORM, http_status=None, platform_code="THROTTLED")
        logger.info("shopify throttled, waiting for the bucket", extra={"call": where, "wait_s": round(wait, 3)})
        return throttled

    def _http_error(self, where: str, response: httpx.Response) -> StoreError:
        status = response.status_code
        message = f"{where}: HTTP {status}"
        kind: type[StoreError]
        if status in (401, 402, 403, 423):
            # 401 token invalid or expired, 402 shop frozen (unpaid), 403 scope missing, 423 shop locked
            kind = AuthError
        elif status == 404:
            kind = StoreNotFound
        elif status >= 500:
            kind = ServerError
        else:
            kind = StoreValidationError
        return kind(message, platform=config.PLATFORM, http_status=status, platform_code=f"http_{status}")

    def _graphql_error(self, where: str, errors: object, codes: set[str]) -> StoreError:
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        path = first.get("path") if isinstance(first, dict) else None
        where_path = ".".join(str(p) for p in path if isinstance(p, str | int))[:120] if isinstance(path, list) else ""
        code = sorted(codes)[0] if codes else "graphql_error"
        code = self._scrub(code)[:64]
        message = f"{where}: {code}" + (f" at {where_path}" if where_path else "")
        kind: type[StoreError]
        if codes & _AUTH_CODES:
            kind = AuthError
        elif codes & _RETRY_CODES:
            kind = ServerError
        else:
            kind = StoreValidationError
        return kind(self._scrub(message), platform=config.PLATFORM, platform_code=code)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _codes(errors: object) -> set[str]:
    codes: set[str] = set()
    if isinstance(errors, list):
        for error in errors:
            extensions = error.get("extensions") if isinstance(error, dict) else None
            code = extensions.get("code") if isinstance(extensions, dict) else None
            if isinstance(code, str) and code.isprintable():
                codes.add(code)
    return codes


def _retry_after(value: str | None) -> float:
    try:
        seconds = float(value) if value else 1.0
    except ValueError:
        seconds = 1.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else 1.0
