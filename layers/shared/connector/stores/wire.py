"""What every store transport does the same way on the wire: one pooled HTTP client per process,
JSON with money as ``Decimal``, and the wait before a retry (exponential, half jitter)."""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.runtime import environ

if TYPE_CHECKING:
    import httpx


def pooled_http(timeout_setting: str, default_s: float) -> httpx.Client:
    """One pooled client per process and timeout (thread-safe; a token travels per request). The
    timeout in seconds is the setting named ``timeout_setting`` when it is a positive number
    (the local cloud shortens it to provoke lost answers), else ``default_s``."""
    try:
        timeout = float(environ().get(timeout_setting) or default_s)
    except ValueError:
        timeout = default_s
    return _http(timeout if timeout > 0 else default_s)


@functools.cache
def _http(timeout: float) -> httpx.Client:
    import httpx

    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))


def decode_json(content: bytes) -> Any:
    """JSON with every non-integer number as Decimal (money never passes through float)."""
    return json.loads(content, parse_float=Decimal)


def encode_json(payload: Any, *, decimal: Callable[[Decimal], object]) -> bytes:
    """Compact JSON; a ``Decimal`` goes out as ``decimal(value)`` (a number or a string, as the
    platform's API takes money)."""

    def default(value: object) -> object:
        if isinstance(value, Decimal):
            return decimal(value)
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")

    return json.dumps(payload, default=default, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before retry number ``attempt`` (1-based): the ceiling doubles from
    ``base`` up to ``cap``, and the wait is drawn from its upper half."""

    base: float = 0.5
    cap: float = 8.0

    def __call__(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * float(2 ** (attempt - 1)))
        return ceiling / 2 + random.uniform(0.0, ceiling / 2)
