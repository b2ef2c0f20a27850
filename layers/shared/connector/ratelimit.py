"""Rate limiting of outbound platform calls, per tenant and API.

``RateLimiter`` is the port. Two adapters:
- :class:`LocalRateLimiter`: a token bucket inside one process (unit tests, single workers).
- :class:`DynamoRateLimiter`: shared by every Lambda process through one DynamoDB item per
  key (see its docstring), so concurrent workers together stay under the platform's limit.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from connector.dynamo import Repository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class RateLimiter(Protocol):
    def acquire(self, key: str, rate_per_second: float) -> None:
        """Block until one call under ``key`` may go out at ``rate_per_second``."""

    def pause(self, key: str, seconds: float) -> None:
        """Hold every caller of ``key`` for ``seconds`` (a 429 with Retry-After said so)."""


_EPSILON = 1e-9


class LocalRateLimiter:
    """Token bucket per key, shared by the threads of one process."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        burst_seconds: float = 1.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._burst_seconds = burst_seconds
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._stamp: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}

    def acquire(self, key: str, rate_per_second: float) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        capacity = max(1.0, rate_per_second * self._burst_seconds)
        while True:
            with self._lock:
                now = self._clock()
                wait = self._paused_until.get(key, 0.0) - now
                if wait <= 0:
                    tokens = self._tokens.get(key, capacity)
                    last = self._stamp.get(key, now)
                    tokens = min(capacity, tokens + (now - last) * rate_per_second)
                    self._stamp[key] = now
                    if tokens >= 1.0 - _EPSILON:  # float rounding must not leave a caller spinning
                        self._tokens[key] = max(0.0, tokens - 1.0)
                        return
                    self._tokens[key] = tokens
                    wait = (1.0 - tokens) / rate_per_second
            self._sleep(wait)

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            until = self._clock() + seconds
            self._paused_until[key] = max(until, self._paused_until.get(key, 0.0))
            self._tokens[key] = 0.0


class DynamoRateLimiter(Repository):
    """A limiter shared by every process through one DynamoDB item per key.

    Item ``pk = keys.rate_limit_pk(key)``, ``sk = "BUCKET"`` holding the current fixed window
    (``win``, its index since the epoch), the permits taken in it (``n``), an optional
    ``paused_until`` and the TTL attribute ``expires_at``.

    Time is cut into fixed windows of ``window_s`` (200 ms by default; longer when the rate is
    so low that a window would hold less than one permit), each with a quota of
    ``floor(rate * window)`` permits. ``acquire`` is one conditional UpdateItem in the steady
    state: *increment if the stored window is this one and under quota*. When the stored
    window is older, a second conditional update *resets* the item to this window with one
    permit taken. When the window is full (or the key is paused), the caller sleeps to the
    start of the next window (or the pause's end) plus a little jitter, so contending
    processes do not stampede. The old item comes back with the failed condition
    (``ReturnValuesOnConditionCheckFailure``), so a miss costs no extra read.

    Fixed windows can admit up to two quotas back to back around a boundary; with 200 ms
    windows that is at most 40% of one second's allowance, well inside a token bucket of one
    second's depth (how the sandbox, and presumably TikTok, count).
    """

    SORT_KEY = "BUCKET"
    TTL_S = 3600

    def __init__(
        self,
        table_name: str,
        *,
        client: DynamoDBClient | None = None,
        window_s: float = 0.2,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        jitter_s: float = 0.01,
        rnd: Callable[[], float] = random.random,
    ) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        super().__init__(table_name, client)
        self._window = window_s
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter_s
        self._rnd = rnd

    def _key(self, key: str) -> dict[str, Any]:
        from connector.keys import rate_limit_pk

        return {"pk": {"S": rate_limit_pk(key)}, "sk": {"S": self.SORT_KEY}}

    def window_for(self, rate_per_second: float) -> tuple[float, int]:
        """(window length in seconds, permits per window) for ``rate_per_second``."""
        window_ms = self._window_ms(rate_per_second)
        return window_ms / 1000, max(1, int(rate_per_second * window_ms / 1000 + 1e-9))

    def _window_ms(self, rate_per_second: float) -> int:
        # Whole milliseconds, so every process computes the same window index for an instant.
        return max(1, round(max(self._window, 1.0 / rate_per_second) * 1000))

    def acquire(self, key: str, rate_per_second: float) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        window_ms = self._window_ms(rate_per_second)
        _, quota = self.window_for(rate_per_second)
        item_key = self._key(key)
        while True:
            now = self._clock()
            current = int(now * 1000) // window_ms
            common = {
                ":win": {"N": str(current)},
                ":one": {"N": "1"},
                ":now": {"N": repr(now)},
                ":exp": {"N": str(int(now) + self.TTL_S)},
            }
            old = self._update_or_old(
                item_key,
                "SET n = n + :one, expires_at = :exp",
                "win = :win AND n < :quota AND (attribute_not_exists(paused_until) OR paused_until <= :now)",
                {**common, ":quota": {"N": str(quota)}},
            )
            if old is None:
                return
            stored_window = _number(old.get("win"))
            paused_until = _number(old.get("paused_until")) or 0.0
            if paused_until > now:
                self._sleep(paused_until - now + self._rnd() * self._jitter)
                continue
            if stored_window is None or stored_window < current:
                reset = self._update_or_old(
                    item_key,
                    "SET win = :win, n = :one, expires_at = :exp",
                    "(attribute_not_exists(win) OR win < :win)"
                    " AND (attribute_not_exists(paused_until) OR paused_until <= :now)",
                    common,
                )
                if reset is None:
                    return
                continue  # somebody else opened this window first: try to increment again
            # This window is full (or a faster clock already opened the next one): wait for it.
            next_start = (int(max(stored_window, current)) + 1) * window_ms / 1000
            self._sleep(max(0.001, next_start - now) + self._rnd() * self._jitter)

    def pause(self, key: str, seconds: float) -> None:
        until = self._clock() + seconds
        self._update_or_old(
            self._key(key),
            "SET paused_until = :until, expires_at = :exp",
            "attribute_not_exists(paused_until) OR paused_until < :until",
            {":until": {"N": repr(until)}, ":exp": {"N": str(int(until) + self.TTL_S)}},
        )

    def _update_or_old(
        self, item_key: dict[str, Any], update: str, condition: str, values: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Run a conditional update; ``None`` when it applied, else the item as it was."""
        from connector.dynamo import is_condition_failure

        try:
            self.client.update_item(
                TableName=self._table,
                Key=item_key,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except Exception as exc:
            if not is_condition_failure(exc):
                raise
            item = getattr(exc, "response", {}).get("Item")
            return dict(item) if isinstance(item, dict) else {}
        return None


def _number(attribute: Any) -> float | None:
    if isinstance(attribute, dict) and "N" in attribute:
        return float(attribute["N"])
    return None
