"""Keeping a product's stock lease while its sync works: a background renewal every third of the
lease's length, so a TikTok call stalled in its retries (five attempts, waits of up to 30 s)
never outlives the lease. Only a newer request takes the product over from a stalled call
(:func:`connector.catalog.stock.sync._acquire_or_take_over`); the renewal then finds the lease
gone and the fence refuses the stalled call's next attempt.

    with LeaseKeeper(states, connection_id, product_id, owner, clock, ttl_s=30):
        ...  # fenced writes (``StockStateRepository.fence``)

Each retry of a TikTok write is fenced too (:class:`FencedAttempts`): a call whose lease is
lost while it is retrying stops before its next attempt.

The renewal only extends a lease still ours (once it finds it gone, ``lost`` is set and the
fence refuses the next write). A worker that dies stops renewing: the lease ends
``ttl_s`` later and another worker takes over.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from connector.observability import logger
from connector.runtime import thread_in_context

if TYPE_CHECKING:
    from connector.catalog.stock.state import StockStateRepository
    from connector.ratelimit import RateLimiter


class LeaseKeeper:
    def __init__(self, states: StockStateRepository, connection_id: str, product_id: str, owner: str,
                 clock: Callable[[], float], *, ttl_s: float, every_s: float | None = None) -> None:
        self._states = states
        self._key = (connection_id, product_id)
        self._owner = owner
        self._clock = clock
        self._ttl_s = ttl_s
        self._every_s = every_s if every_s is not None else ttl_s / 3
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False
        self.renewals = 0

    def renew_once(self) -> bool:
        """One renewal; False (and ``lost``) when the lease is not ours any more."""
        try:
            ok = self._states.renew(*self._key, self._owner, self._clock(), self._ttl_s)
        except Exception as exc:  # a failed renewal is not a lost lease: the fence decides
            logger().warning("stock lease renewal failed", extra={
                "connection_id": self._key[0], "store_product_id": self._key[1], "error": type(exc).__name__})
            return True
        self.lost = not ok
        if ok:
            self.renewals += 1
        return ok

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self.renew_once()  # a lost lease may be taken back by this worker (same owner)

    def __enter__(self) -> LeaseKeeper:
        self._thread = thread_in_context(self._run, "stock-lease")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._every_s + 5)


class FencedAttempts:
    """A rate limiter for the TikTok client that fences every retry: the client takes a permit
    before each attempt of a call, so ``before_retry`` (the sync's fence) runs before the second
    and later attempts and, when the lease is lost, raises and ends the call's retries. Permits
    themselves come from ``inner``.

        limiter = FencedAttempts(inner, fence)
        client.with_limiter(limiter)
        limiter.new_call(); client.update_inventory(...)
    """

    def __init__(self, inner: RateLimiter, before_retry: Callable[[], None]) -> None:
        self._inner = inner
        self._before_retry = before_retry
        self._attempts = 0
        self.retried = False
        """Some call needed another attempt: an earlier attempt's answer never came or was a
        failure, and it may still land on TikTok (:mod:`.recheck`)."""

    def new_call(self) -> None:
        self._attempts = 0

    def acquire(self, key: str, rate_per_second: float) -> None:
        self._attempts += 1
        if self._attempts > 1:
            self.retried = True
            self._before_retry()
        self._inner.acquire(key, rate_per_second)

    def pause(self, key: str, seconds: float) -> None:
        self._inner.pause(key, seconds)
