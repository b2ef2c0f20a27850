"""HTTP to Ecwid's REST API: bearer auth, the per-token rate limit, retries, typed errors.

- Every call first takes a slot from the :class:`~connector.ratelimit.RateLimiter` under
  ``ecwid#<store_id>`` at 10 requests/s (600/min).
- A 429 pauses that key for Retry-After seconds (for every worker sharing the limiter) and
  the call goes again; it gives up with :class:`RateLimited` after ``max_rate_limited`` 429s.
- 5xx, timeouts and transport errors are retried with exponential backoff and jitter, unless
  the call is not idempotent (creating an order): then the caller decides (see
  ``EcwidStore.create_order``).
- Other 4xx are never retried: they become typed errors at once.

The token goes in the Authorization header only (Ecwid no longer accepts ``?token=``) and
appears in no message and no log line; messages carry the method, an id path and codes.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

import httpx

from connector.ratelimit import RateLimiter
from connector.stores import wire
from connector.stores.ecwid import config
from connector.stores.errors import (
    AuthError,
    RateLimited,
    ServerError,
    StoreError,
    StoreNotFound,
    StoreValidationError,
)
from connector.stores.wire import decode_json

logger = logging.getLogger(__name__)

Params = Mapping[str, str | int]


def encode_json(payload: Any) -> bytes:
    # Ecwid takes JSON numbers; repr(float) is the shortest round-trip form, so a price like
    # Decimal("19.99") goes out as 19.99 exactly.
    return wire.encode_json(payload, decimal=float)


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float:
    if not value:
        return config.DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return config.DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now()
    if math.isnan(seconds) or seconds < 0:
        return 0.0
    return seconds


class EcwidTransport:
    def __init__(
        self,
        store_id: str,
        token: str,
        *,
        api_base: str,
        http: httpx.Client | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 4,
        max_rate_limited: int = 8,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
    ) -> None:
        self.store_id = store_id
        self._token = token
        self._base = f"{api_base.rstrip('/')}/{store_id}"
        self._http = http or config.default_http()
        self._limiter = limiter or config.default_limiter()
        self._sleep = sleep
        self._max_attempts = max(1, max_attempts)
        self._max_rate_limited = max(1, max_rate_limited)
        self.backoff = wire.Backoff(backoff_base, backoff_cap)
        self.limiter_key = config.limiter_key(store_id)

    def __repr__(self) -> str:
        return f"EcwidTransport(store_id={self.store_id!r})"

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> Any:
        """One API call under ``/{storeId}``; returns the decoded JSON (``None`` for no body)."""
        where = f"{method} /{self.store_id}{path}"
        content = encode_json(body) if body is not None else None
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        failures = 0
        rate_limited = 0
        while True:
            self._limiter.acquire(self.limiter_key, config.RATE_PER_SECOND)
            try:
                response = self._http.request(
                    method, self._base + path, params=dict(params or {}), content=content, headers=headers
                )
            except httpx.TransportError as exc:
                # The httpx exception holds the request (and so the Authorization header):
                # it is not chained, only its type is kept.
                kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "transport"
                failures += 1
                if not idempotent or failures >= self._max_attempts:
                    raise ServerError(
                        f"ecwid {where}: {kind} ({type(exc).__name__}) after {failures} attempt(s)",
                        platform=config.PLATFORM,
                        platform_code=kind,
                    ) from None
                logger.warning("ecwid call failed, retrying", extra={"call": where, "failure": kind})
                self._sleep(self.backoff(failures))
                continue

            status = response.status_code
            if status == 429:
                rate_limited += 1
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                self._limiter.pause(self.limiter_key, retry_after)
                if rate_limited >= self._max_rate_limited:
                    raise RateLimited(
                        f"ecwid {where}: 429 {rate_limited} times",
                        retry_after=retry_after,
                        platform=config.PLATFORM,
                    )
                logger.info("ecwid rate limit, pausing", extra={"call": where, "retry_after": retry_after})
                continue
            if status >= 500:
                failures += 1
                if not idempotent or failures >= self._max_attempts:
                    raise self._error(where, response)
                logger.warning("ecwid server error, retrying", extra={"call": where, "status": status})
                self._sleep(self.backoff(failures))
                continue
            if status >= 400:
                raise self._error(where, response)
            if not response.content:
                return None
            try:
                return decode_json(response.content)
            except ValueError:
                raise ServerError(
                    f"ecwid {where}: {status} with a body that is not JSON",
                    platform=config.PLATFORM,
                    http_status=status,
                ) from None

    def _error(self, where: str, response: httpx.Response) -> StoreError:
        status = response.status_code
        code: str | None = None
        try:
            payload = decode_json(response.content) if response.content else None
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            raw = payload.get("errorCode") or payload.get("error")
            # A code is an identifier: short, and scrubbed in case a server echoes what we sent.
            code = self._scrub(str(raw))[:64] if raw is not None else None
        message = self._scrub(f"ecwid {where}: HTTP {status}" + (f" ({code})" if code else ""))
        kind: type[StoreError]
        if status in (401, 402, 403):
            # 402: the store's plan lacks the feature (combinations need Business): the merchant acts.
            kind = AuthError
        elif status == 404:
            kind = StoreNotFound
        elif status >= 500:
            kind = ServerError
        else:
            kind = StoreValidationError
        return kind(message, platform=config.PLATFORM, http_status=status, platform_code=code)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text
