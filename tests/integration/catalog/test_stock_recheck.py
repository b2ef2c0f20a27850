"""After a stock call whose answer never came, TikTok's figures are read back and corrected, against
moto and the sandbox TikTok Shop (the sandbox's ``late`` fault holds a call past the client's
timeout, then applies it: the attempt lands after the worker gave up on it and after newer writes).
A call answered at once asks for no recheck; a recheck that finds TikTok right writes nothing;
a queue that refuses the recheck does not fail the sync."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from connector.catalog.stock.requests import StockMessage, request_recheck
from connector.catalog.stock.state import StockStateRepository
from local.sandbox_tiktok import TikTokSandbox
from tests.integration.catalog.test_stock_sync import Setup, started_sandbox, synced_setup
from tests.support.wait import until

RECHECK_AFTER_S = 45
LATE_S = 7.0
"""How long TikTok holds the first attempt: past the client's timeout (5 s), so the worker retries
and moves on; the held attempt lands 2 s after its retry."""
SEARCH = "/product/202309/inventory/search"


@dataclass
class Queued:
    """The stock queue as the worker sees it: each message with its delay."""

    messages: list[tuple[Any, int]] = field(default_factory=list)

    def send(self, queue_url: str, message: Any, *, delay_seconds: int = 0, **_: Any) -> str:
        self.messages.append((message, delay_seconds))
        return str(len(self.messages))

    def rechecks(self) -> list[tuple[StockMessage, int]]:
        return [(m, delay) for m, delay in self.messages if getattr(m, "action", None) == "recheck"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[TikTokSandbox]:
    yield from started_sandbox(37)


@pytest.fixture
def setup(sandbox: TikTokSandbox, table: str) -> Iterator[Setup]:
    yield from synced_setup(sandbox, table, sender=Queued(), recheck_after_s=RECHECK_AFTER_S)


def _queued(setup: Setup) -> Queued:
    assert isinstance(setup.deps.sender, Queued)
    return setup.deps.sender


def _searches(setup: Setup) -> int:
    return len(setup.sandbox.requests(pattern=SEARCH))


def test_an_attempt_landing_after_newer_writes_is_corrected_by_the_recheck(setup: Setup) -> None:
    sku = setup.sku_ids["p1:1"]
    setup.store.set_stock("p1", {"p1:1": 6})
    setup.sandbox.inject_fault("late", count=1, path=f"{setup.tiktok_product_id}/inventory/update", delay_s=LATE_S)
    started = time.time()
    assert setup.sync(setup.change()) == []  # the first attempt times out, its retry lands 6
    rechecks = _queued(setup).rechecks()
    assert len(rechecks) == 1, "no recheck asked for after an unanswered attempt"
    recheck, delay = rechecks[0]
    assert delay == RECHECK_AFTER_S and recheck.store_product_id == "p1"
    setup.store.set_stock("p1", {"p1:1": 2})
    assert setup.sync(setup.change()) == []
    assert time.time() < started + LATE_S, "the newer write came after the held attempt (machine too slow)"
    # The held attempt lands now, after the newer write: TikTok shows 6 against the store's 2.
    until(lambda: setup.tiktok_quantities()["p1:1"] == 6, timeout=LATE_S + 5, what="the held attempt applied late")
    searches = _searches(setup)
    assert setup.sync(recheck) == []
    assert _searches(setup) == searches + 1
    assert setup.tiktok_quantities()["p1:1"] == 2
    assert [w["quantity"] for w in setup.sandbox.inventory_writes(setup.tiktok_product_id)
            if w["sku_id"] == sku][-3:] == [2, 6, 2]
    state = StockStateRepository(setup.deps.table_name).get(setup.connection_id, "p1")
    assert state is not None and state.lease_owner is None and state.sent[sku] == 2


def test_a_recheck_that_finds_tiktok_right_writes_nothing(setup: Setup) -> None:
    writes = len(setup.inventory_calls())
    searches = _searches(setup)
    assert setup.sync(StockMessage(action="recheck", connection_id=setup.connection_id, store_product_id="p1",
                                   correlation_id="corr", reason="unanswered_call")) == []
    assert _searches(setup) == searches + 1
    assert len(setup.inventory_calls()) == writes


def test_a_call_answered_at_once_asks_for_no_recheck(setup: Setup) -> None:
    setup.store.set_stock("p1", {"p1:1": 3})
    assert setup.sync(setup.change()) == []
    assert setup.tiktok_quantities()["p1:1"] == 3
    assert _queued(setup).rechecks() == []


def test_a_queue_that_refuses_the_recheck_does_not_fail_the_sync(setup: Setup) -> None:
    class Refusing:
        def send(self, *args: Any, **kwargs: Any) -> str:
            raise RuntimeError("queue unavailable")

    request_recheck(setup.connection_id, "p1", "corr", delay_s=5, sender=Refusing(), queue_url="q")  # no raise
    deps = replace(setup.deps, sender=Refusing())
    setup.store.set_stock("p1", {"p1:1": 4})
    setup.sandbox.inject_fault("error", count=1, path=f"{setup.tiktok_product_id}/inventory/update", status=503)
    assert replace(setup, deps=deps).sync(setup.change()) == []
    assert setup.tiktok_quantities()["p1:1"] == 4
