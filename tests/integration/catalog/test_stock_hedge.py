"""A stock call TikTok holds is sent again by its own worker, against moto and the sandbox TikTok
Shop (the sandbox's ``late`` fault holds a call for real seconds, then applies it and answers):
the figure reaches TikTok while the first call is still held, the held call's late landing is
followed by the newest figure, and a call answered at once is never sent twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from connector.catalog.stock.state import StockStateRepository
from connector.catalog.stock.sync import STALLED_S
from local.sandbox_tiktok import TikTokSandbox
from tests.integration.catalog.test_stock_fence import _stalled_first_write
from tests.integration.catalog.test_stock_sync import Setup, started_sandbox, synced_setup

HELD_S = 4.0
"""How long TikTok holds the first call: past the second send (after a stall, 1 s), short of the
client's timeout (5 s), so the held call is answered."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[TikTokSandbox]:
    yield from started_sandbox(31)


@pytest.fixture
def setup(sandbox: TikTokSandbox, table: str) -> Iterator[Setup]:
    yield from synced_setup(sandbox, table, hedge_after_s=STALLED_S)


def _held_sync(setup: Setup) -> tuple[threading.Thread, list[str]]:
    """The store goes to 6 on p1:1 and a worker syncs it; TikTok holds that call ``HELD_S``."""
    return _stalled_first_write(setup, time.time, renew_every_s=10.0, stall_s=HELD_S)


def test_a_held_call_is_sent_again_and_its_late_landing_corrected(setup: Setup) -> None:
    before = len(setup.inventory_calls())
    worker, failed = _held_sync(setup)
    worker.join(timeout=30)
    assert failed == []
    held_at = setup.inventory_calls()[before]["t"]  # TikTok applies that call HELD_S later
    sixes = [w["t"] for w in setup.sandbox.inventory_writes(setup.tiktok_product_id)
             if w["sku_id"] == setup.sku_ids["p1:1"] and w["quantity"] == 6]
    assert sixes and sixes[0] < held_at + HELD_S, "6 reached TikTok only with the held call"
    # The second send's 6, the held call's late 6, and the newest figure sent once more after it.
    assert len(setup.inventory_calls()) - before == 3
    assert setup.tiktok_quantities()["p1:1"] == 6
    state = StockStateRepository(setup.deps.table_name).get(setup.connection_id, "p1")
    assert state is not None and state.lease_owner is None and state.sent[setup.sku_ids["p1:1"]] == 6
    assert state.raced > 0 and not state.needs_resend


def test_a_call_answered_at_once_is_sent_once(setup: Setup) -> None:
    before = len(setup.inventory_calls())
    setup.store.set_stock("p1", {"p1:1": 4})
    assert setup.sync(setup.change()) == []
    assert len(setup.inventory_calls()) - before == 1
    assert setup.tiktok_quantities()["p1:1"] == 4


def test_a_newer_change_during_the_held_call_ends_on_tiktok(setup: Setup) -> None:
    """The second send and a newer request's take-over meet: whichever takes the product sends
    the store's newest figure, and TikTok ends equal to the store."""
    worker, failed = _held_sync(setup)
    setup.store.set_stock("p1", {"p1:1": 2})
    assert setup.sync(setup.change()) == []
    worker.join(timeout=30)
    assert failed == []
    assert setup.tiktok_quantities()["p1:1"] == 2
    state = StockStateRepository(setup.deps.table_name).get(setup.connection_id, "p1")
    assert state is not None and state.lease_owner is None and state.sent[setup.sku_ids["p1:1"]] == 2
    assert not state.needs_resend
