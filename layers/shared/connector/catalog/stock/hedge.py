"""A second send for a TikTok call that is held: the worker does not wait for TikTok's answer
when nothing newer comes along to take its product over.

A request that finds a product's call out longer than a stall takes the product over and sends
the newest figures (:func:`connector.catalog.stock.sync._acquire_or_take_over`). That only helps
when a newer request exists; a change whose own call TikTok holds would otherwise reach TikTok
only when TikTok lets the call go. So while a sync works, a watcher beside it plays that newer
request: once the sync's call has been out ``after_s``, it asks for the product once more and
takes it over the way any request would (re-reading the store, the next write version, the
held call's retries fenced off). The held call, if it lands later, cannot record its answer and
is followed by another send of the newest figures, as for any take-over.

    with Hedge(after_s=1.0, send=lambda: ...) as hedge:
        with hedge.watch.call():
            client.update_inventory(...)

A call answered within ``after_s`` costs nothing more; a held one costs one more call (two when
its late answer is followed by the corrective send). The second send does not hedge itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from connector.observability import logger
from connector.runtime import thread_in_context


class CallWatch:
    """When the sync's TikTok call in flight started (monotonic time), for the watcher."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._started: float | None = None
        self._stopped = False

    @contextmanager
    def call(self) -> Iterator[None]:
        with self._changed:
            self._started = time.monotonic()
            self._changed.notify_all()
        try:
            yield
        finally:
            with self._changed:
                self._started = None
                self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def wait_held(self, after_s: float) -> bool:
        """Block until a call has been out ``after_s`` (True) or the watch is stopped (False)."""
        with self._changed:
            while not self._stopped:
                if self._started is None:
                    self._changed.wait()
                    continue
                left = self._started + after_s - time.monotonic()
                if left <= 0:
                    return True
                self._changed.wait(left)
            return False


class Hedge:
    """Runs ``send`` once, in a thread beside the sync, if a call shown to :attr:`watch` is held
    ``after_s``; leaving the block waits for that send to end (a function must not return with
    work still running). A failed second send is logged: the sync itself still owns its result."""

    def __init__(self, *, after_s: float, send: Callable[[], object]) -> None:
        self.watch = CallWatch()
        self._after_s = after_s
        self._send = send
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        if not self.watch.wait_held(self._after_s):
            return
        try:
            self._send()
        except Exception as exc:
            logger().warning("second send for a held stock call failed", extra={
                "error": type(exc).__name__, "reason": getattr(exc, "reason", None)})

    def __enter__(self) -> Hedge:
        self._thread = thread_in_context(self._run, "stock-hedge")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.watch.stop()
        if self._thread is not None:
            self._thread.join()
