"""Fenced stock writes against moto and the sandbox TikTok Shop: a TikTok call stalled past the
lease's length keeps the lease (renewed in flight) against a worker with nothing newer, but a
newer request takes the product over and sends its figure at once; a worker whose lease is gone
makes no write; and a write that landed late after a newer one (its lease lost or taken while it
was out) is followed at once by a resend of the newest figures.

The workers share a clock running 20 times faster than real time, so the 30 s lease ends in
1.5 real seconds; the sandbox's ``late`` fault holds a call for real seconds, then applies it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from connector.catalog.stock.state import StockStateRepository
from connector.catalog.stock.sync import LEASE_TTL_S, StockDeps
from local.sandbox_tiktok import TikTokSandbox
from tests.integration.catalog.test_stock_sync import Setup, _setup, started_sandbox
from tests.support.wait import until

SPEED = 20.0


@pytest.fixture(scope="module")
def sandbox() -> Iterator[TikTokSandbox]:
    yield from started_sandbox(23)


@pytest.fixture
def setup(sandbox: TikTokSandbox, table: str) -> Iterator[Setup]:
    yield from _setup(sandbox, table, None)


def _fast_clock() -> Callable[[], float]:
    start = time.time()
    return lambda: start + (time.time() - start) * SPEED


def _worker(setup: Setup, clock: Callable[[], float], *, renew_every_s: float) -> Setup:
    deps: StockDeps = replace(setup.deps, clock=clock, lease_renew_s=renew_every_s)
    return replace(setup, deps=deps)


def _stalled_first_write(setup: Setup, clock: Callable[[], float], *, renew_every_s: float,
                         stall_s: float) -> tuple[threading.Thread, list[str]]:
    """W1 syncs the store's figure 6; TikTok holds its inventory call ``stall_s`` real seconds
    (then applies it). Returns W1's thread (running) and its failed message ids."""
    w1 = _worker(setup, clock, renew_every_s=renew_every_s)
    setup.store.set_stock("p1", {"p1:1": 6})
    setup.sandbox.inject_fault("late", count=1, path=f"{setup.tiktok_product_id}/inventory/update",
                               delay_s=stall_s)
    failed: list[str] = []
    thread = threading.Thread(target=lambda: failed.extend(w1.sync(w1.change())))
    thread.start()
    until(lambda: not setup.sandbox.faults(), timeout=10, what="W1's call held by TikTok")
    return thread, failed


def _lease_over(setup: Setup, clock: Callable[[], float]) -> Callable[[], bool]:
    """True once the lease W1 took when it started would have ended without a renewal."""
    states = StockStateRepository(setup.deps.table_name)
    first = states.get(setup.connection_id, "p1")
    assert first is not None and first.lease_until is not None
    ends = first.lease_until
    return lambda: clock() > ends + 1


def test_a_call_stalled_past_the_lease_keeps_it_while_nothing_newer_comes(setup: Setup) -> None:
    setup.sync(setup.change())  # TikTok: 5 on p1:1
    clock = _fast_clock()
    w1, w1_failed = _stalled_first_write(setup, clock, renew_every_s=0.2, stall_s=3.0)
    until(_lease_over(setup, clock), timeout=10, what="the lease's first term over")
    states = StockStateRepository(setup.deps.table_name)
    held = states.get(setup.connection_id, "p1")
    assert held is not None and held.lease_owner is not None and held.lease_until is not None
    assert held.lease_until > clock()  # renewed in flight
    # A request from before W1's run (nothing newer than W1's figure) takes nothing over.
    assert states.acquire(setup.connection_id, "p1", "other", clock(), LEASE_TTL_S,
                          stalled_before=clock(), seq=held.run_seq) is None
    w1.join(timeout=30)
    assert w1_failed == []
    assert setup.tiktok_quantities()["p1:1"] == 6
    state = states.get(setup.connection_id, "p1")
    assert state is not None and state.lease_owner is None and state.sent[setup.sku_ids["p1:1"]] == 6
    assert state.version == state.sent_version and not state.needs_resend


def test_a_newer_request_takes_over_a_stalled_call_and_its_late_write_is_corrected(setup: Setup) -> None:
    setup.sync(setup.change())  # TikTok: 5 on p1:1
    before = len(setup.inventory_calls())
    clock = _fast_clock()
    w1, w1_failed = _stalled_first_write(setup, clock, renew_every_s=0.2, stall_s=3.0)

    setup.store.set_stock("p1", {"p1:1": 2})
    w3 = _worker(setup, clock, renew_every_s=0.2)
    assert w3.sync(w3.change()) == []  # W1's call is stalled: W3 takes the product over and writes 2
    assert setup.tiktok_quantities()["p1:1"] == 2

    w1.join(timeout=30)
    assert w1_failed == []
    # W1's 6 landed after W3's 2; W1 could not record it, marked the product and resent at once.
    assert len(setup.inventory_calls()) - before == 3  # W3's 2, W1's late 6, W1's resend of 2
    assert setup.tiktok_quantities()["p1:1"] == 2
    state = StockStateRepository(setup.deps.table_name).get(setup.connection_id, "p1")
    assert state is not None and state.lease_owner is None and state.sent[setup.sku_ids["p1:1"]] == 2
    assert state.raced > 0 and not state.needs_resend


def test_a_write_that_lands_after_a_newer_one_is_followed_by_the_newest_figure(setup: Setup) -> None:
    setup.sync(setup.change())
    before = len(setup.inventory_calls())
    clock = _fast_clock()
    # W1's renewals never happen (a worker frozen in a long pause): its lease ends mid-call.
    w1, w1_failed = _stalled_first_write(setup, clock, renew_every_s=3600, stall_s=3.0)
    until(_lease_over(setup, clock), timeout=10, what="W1's lease over")

    setup.store.set_stock("p1", {"p1:1": 2})
    w3 = _worker(setup, clock, renew_every_s=0.2)
    assert w3.sync(w3.change()) == []  # takes the expired lease and writes 2
    assert setup.tiktok_quantities()["p1:1"] == 2

    w1.join(timeout=30)
    assert w1_failed == []
    # W1's 6 landed after W3's 2; W1 could not record it, marked the product and resent at once.
    assert len(setup.inventory_calls()) - before == 3  # W3's 2, W1's late 6, W1's resend of 2
    assert setup.tiktok_quantities()["p1:1"] == 2
    state = StockStateRepository(setup.deps.table_name).get(setup.connection_id, "p1")
    assert state is not None and state.lease_owner is None and state.sent[setup.sku_ids["p1:1"]] == 2
    assert state.raced > 0 and not state.needs_resend


def test_a_worker_whose_lease_ended_before_its_write_makes_none(setup: Setup) -> None:
    setup.sync(setup.change())
    before = len(setup.inventory_calls())
    jumped = {"by": 0.0}

    def clock() -> float:
        return time.time() + jumped["by"]

    def pending(connection_id: str) -> dict[str, int]:
        jumped["by"] = LEASE_TTL_S + 5  # the worker stalls between taking the lease and writing
        return {}

    w1 = replace(setup, deps=replace(setup.deps, clock=clock, pending=pending, lease_renew_s=3600))
    setup.store.set_stock("p1", {"p1:1": 1})
    assert len(w1.sync(w1.change())) == 1  # refused by the fence: the message is retried
    assert len(setup.inventory_calls()) == before
    state = StockStateRepository(setup.deps.table_name).get(setup.connection_id, "p1")
    assert state is not None and state.lease_owner is None and state.sent[setup.sku_ids["p1:1"]] == 5
    assert setup.sync(setup.change()) == []  # the retry
    assert setup.tiktok_quantities()["p1:1"] == 1


def test_a_write_whose_answer_was_lost_is_sent_again_even_if_the_store_went_back(setup: Setup) -> None:
    setup.sync(setup.change())  # TikTok and the record: 5 on p1:1
    setup.store.set_stock("p1", {"p1:1": 9})
    # TikTok applies every attempt and the answers are lost: the sync fails, TikTok shows 9.
    setup.sandbox.inject_fault("timeout", count=4, path="inventory/update", delay_s=0.01, after=True)
    assert len(setup.sync(setup.change())) == 1
    assert setup.tiktok_quantities()["p1:1"] == 9
    setup.store.set_stock("p1", {"p1:1": 5})  # back to the figure last recorded
    assert setup.sync(setup.change()) == []
    assert setup.tiktok_quantities()["p1:1"] == 5


def test_a_call_whose_lease_is_taken_while_it_retries_makes_no_further_attempt(setup: Setup) -> None:
    setup.sync(setup.change())
    before = len(setup.inventory_calls())
    states = StockStateRepository(setup.deps.table_name)
    # The first attempt stalls, then fails (a 5xx); meanwhile another worker takes the lease.
    setup.sandbox.inject_fault("timeout", count=1, path="inventory/update", delay_s=1.0)
    w1 = _worker(setup, time.time, renew_every_s=3600)
    setup.store.set_stock("p1", {"p1:1": 3})
    failed: list[str] = []
    thread = threading.Thread(target=lambda: failed.extend(w1.sync(w1.change())))
    thread.start()
    until(lambda: not setup.sandbox.faults(), timeout=10, what="W1's first attempt held")
    assert states.acquire(setup.connection_id, "p1", "other", time.time() + LEASE_TTL_S + 1, 60) is not None
    thread.join(timeout=30)
    assert failed == []  # the retry was refused by the fence: no second attempt went out, and
    assert len(setup.inventory_calls()) - before == 1  # the holder is left to send every figure
    state = states.get(setup.connection_id, "p1")
    assert state is not None and state.lease_owner == "other" and state.needs_resend
    states.abandon(setup.connection_id, "p1", "other")
    assert setup.sync(setup.change()) == [] and setup.tiktok_quantities()["p1:1"] == 3
