"""The state every part of the sandbox Ecwid shares: the lock, the clock, ids, stores and the
webhook hook. One re-entrant lock guards all of it; handlers hold it while they read or
change anything."""

from __future__ import annotations

import itertools
import random
import threading
import time
from typing import Any

from local.sandbox_ecwid.args import ApiError
from local.sandbox_ecwid.model import (
    ALL_SCOPES,
    AuthCode,
    EmitHook,
    Store,
    TokenInfo,
)


class StateCore:
    def __init__(self, client_id: str, client_secret: str, *, seed: int = 0, emit: EmitHook | None = None) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_scopes = frozenset(ALL_SCOPES)
        self.lock = threading.RLock()
        self.public_url = "http://127.0.0.1"
        self.clock_offset = 0.0
        self.search_lag = 0.0
        """Seconds an order stays invisible to the order search after it was created (Ecwid's
        search index lags behind writes); ``GET /orders/{id}`` sees it at once."""
        self._rng = random.Random(seed)
        self._emit = emit
        self._ids = itertools.count(1000001)
        self._store_ids = itertools.count(1003)
        self.stores: dict[int, Store] = {}
        self.tokens: dict[str, TokenInfo] = {}
        self.codes: dict[str, AuthCode] = {}

    def now_float(self) -> float:
        return time.time() + self.clock_offset

    def now(self) -> int:
        return int(self.now_float())

    def _next_id(self) -> int:
        return next(self._ids)

    def _secret(self, prefix: str) -> str:
        return f"{prefix}{self._rng.getrandbits(160):040x}"

    def notify(self, store: Store, event_type: str, entity_id: int | str, data: dict[str, Any] | None = None) -> None:
        if self._emit is None or store.installed_scopes is None:
            return
        family = event_type.split(".", 1)[0]
        needed = {"product": ("read_catalog", "read_products"), "order": ("read_orders",)}.get(family)
        if needed is not None and not store.installed_scopes.intersection(needed):
            return
        self._emit(store.id, event_type, entity_id, data)

    def store(self, store_id: int | str) -> Store:
        try:
            return self.stores[int(store_id)]
        except (KeyError, ValueError):
            raise ApiError(404, f"Store {store_id} not found", "STORE_NOT_FOUND") from None
