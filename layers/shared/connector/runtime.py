"""Process-wide runtime facts: the function's environment and the clock.

On AWS every function has its own process, so ``os.environ`` is its environment. The local
cloud runs every function in one process, so it sets a per-invocation overlay with
:func:`environment_overlay`; code reads configuration through :func:`environ` only.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping

_overlay: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "connector_env_overlay", default=None
)


def environ() -> Mapping[str, str]:
    """The current function's environment (the local cloud's overlay wins over os.environ)."""
    overlay = _overlay.get()
    if overlay is None:
        return os.environ
    merged = dict(os.environ)
    merged.update(overlay)
    return merged


@contextlib.contextmanager
def environment_overlay(values: Mapping[str, str]) -> Iterator[None]:
    """Run a block with ``values`` as the function environment (used by the local cloud)."""
    token = _overlay.set(dict(values))
    try:
        yield
    finally:
        _overlay.reset(token)


def now() -> float:
    """Wall-clock seconds since the epoch (a function so tests can pass their own clock)."""
    return time.time()


def now_s() -> int:
    """Whole seconds since the epoch: the form every platform API wants."""
    return int(time.time())


def thread_in_context(target: Callable[[], object], name: str) -> threading.Thread:
    """A started daemon thread running ``target`` in a copy of this context, so it sees the
    function's environment (the local cloud keeps it in a context variable)."""
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(target,), name=name, daemon=True)
    thread.start()
    return thread
