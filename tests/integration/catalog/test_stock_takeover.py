"""Taking a product over from a holder whose TikTok call is stalled, on moto and on DynamoDB
Local: the item's conditions (``run_seq``, ``call_at``) and the request's choice between taking
over, waiting, and leaving the product to the holder (a scenario clock: waits move it)."""

from __future__ import annotations

from typing import Any

import pytest

from connector.catalog.stock.state import StockStateRepository
from connector.catalog.stock.sync import STALLED_S, StockDeps, _acquire_or_take_over

pytestmark = pytest.mark.dynamodb_local


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def _held(repo: StockStateRepository, product: str, now: float) -> int:
    """W1 holds ``product`` from a run that started at request 1 and has a call out since ``now``;
    returns the seq of a request that came after that run started."""
    repo.bump("c1", product, now)
    held = repo.acquire("c1", product, "w1", now, 30)
    assert held is not None and held.run_seq == 1
    assert repo.fence("c1", product, "w1", now, 30) == 1
    return repo.bump("c1", product, now).seq


def test_a_stalled_call_from_an_older_run_is_taken_over_and_its_retries_fenced_off(
        any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = StockStateRepository(table, client)
    seq = _held(repo, "p1", 100.0)
    assert repo.get("c1", "p1").call_at == 100.0  # type: ignore[union-attr]
    # Young call, or a request the holder's run already answers: no take-over.
    young = 100.0 + STALLED_S / 2
    assert repo.acquire("c1", "p1", "w2", young, 30, stalled_before=young - STALLED_S, seq=seq) is None
    assert repo.acquire("c1", "p1", "w2", 102.0, 30, stalled_before=102.0 - STALLED_S, seq=1) is None
    taken = repo.acquire("c1", "p1", "w2", 102.0, 30, stalled_before=102.0 - STALLED_S, seq=seq)
    assert taken is not None and taken.lease_owner == "w2" and taken.run_seq == seq and taken.call_at is None
    assert repo.fence("c1", "p1", "w1", 102.5, 30, new_call=False) is None  # W1's retry: refused
    assert repo.record("c1", "p1", "w1", 103.0, sent={"sku": 6}, version=1) is False


def test_a_retry_keeps_the_call_as_old_as_its_first_attempt(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = StockStateRepository(table, client)
    _held(repo, "p2", 100.0)
    assert repo.fence("c1", "p2", "w1", 110.0, 30, new_call=False) == 2
    assert repo.get("c1", "p2").call_at == 100.0  # type: ignore[union-attr]
    assert repo.fence("c1", "p2", "w1", 111.0, 30) == 3  # a new call
    assert repo.get("c1", "p2").call_at == 111.0  # type: ignore[union-attr]
    assert repo.record("c1", "p2", "w1", 112.0, sent={"sku": 1}, version=3)
    assert repo.get("c1", "p2").call_at is None  # type: ignore[union-attr]


def _deps(table: str, client: Any, clock: Clock) -> StockDeps:
    return StockDeps(table_name=table, dynamodb=client, clock=clock, sleep=clock.sleep)


def test_a_request_waits_for_a_young_call_then_takes_over(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    clock = Clock(100.3)
    repo = StockStateRepository(table, client)
    seq = _held(repo, "p3", 100.0)
    state = _acquire_or_take_over(_deps(table, client, clock), "c1", "p3", "w2", seq)
    assert state is not None and state.lease_owner == "w2"
    assert clock.slept == pytest.approx(STALLED_S - 0.3, abs=0.01)  # only until the call was stalled


def test_a_request_the_holder_answers_is_left_to_it_at_once(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    clock = Clock(105.0)
    repo = StockStateRepository(table, client)
    _held(repo, "p4", 100.0)
    # A request from before the holder's run: its call, however stalled, carries the figure.
    assert _acquire_or_take_over(_deps(table, client, clock), "c1", "p4", "w2", 1) is None
    # The holder between calls: it sees seq moved before it lets go.
    assert repo.record("c1", "p4", "w1", 105.0, sent={"sku": 1}, version=1)
    seq = repo.bump("c1", "p4", 105.0).seq
    assert _acquire_or_take_over(_deps(table, client, clock), "c1", "p4", "w2", seq) is None
    assert clock.slept == 0
    assert repo.release("c1", "p4", "w1", seen_seq=1) is False  # and syncs again
