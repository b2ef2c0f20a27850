"""The catalog's re-read window per store product, on moto and on DynamoDB Local: the first change
after a quiet spell reads at once, the first one inside the window queues one refresh due when it
ends, later ones ride on it; the refresh opens a new window; a refresh that could not be queued,
or has not come, does not hold back later changes; workers claiming at once get one read."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from connector.catalog.refresh import Claim, ReadGate

pytestmark = pytest.mark.dynamodb_local

WINDOW = 30.0


def _queued(any_table: tuple[str, Any], at: float) -> ReadGate:
    """A gate on which product p1 of c1 was read at 1000 and changed again at ``at`` (a refresh queued)."""
    gate = ReadGate(*any_table)
    assert gate.claim("c1", "p1", 1000.0, WINDOW).read
    assert gate.claim("c1", "p1", at, WINDOW).queue_in == 1030 - int(at)
    return gate


def test_a_burst_costs_one_read_now_and_one_when_the_window_ends(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    gate = ReadGate(table, client)
    assert gate.claim("c1", "p1", 1000.0, WINDOW) == Claim(read=True)
    assert gate.claim("c1", "p1", 1004.2, WINDOW) == Claim(read=False, queue_in=26)
    assert gate.claim("c1", "p1", 1010.0, WINDOW) == Claim(read=False)
    assert gate.claim("c1", "p1", 1029.9, WINDOW) == Claim(read=False)
    # Another product, or another connection, has a window of its own.
    assert gate.claim("c1", "p2", 1010.0, WINDOW) == Claim(read=True)
    assert gate.claim("c2", "p1", 1010.0, WINDOW) == Claim(read=True)


def test_the_refresh_opens_a_new_window_and_later_changes_queue_their_own(any_table: tuple[str, Any]) -> None:
    gate = _queued(any_table, 1001.0)
    gate.begin_refresh("c1", "p1", 1030.5, WINDOW)
    # A change after the refresh began was not read by it: it queues the next one.
    assert gate.claim("c1", "p1", 1031.0, WINDOW) == Claim(read=False, queue_in=30)
    assert gate.claim("c1", "p1", 1032.0, WINDOW) == Claim(read=False)
    # Quiet past the window: the next change reads at once again.
    gate.begin_refresh("c1", "p1", 1061.0, WINDOW)
    assert gate.claim("c1", "p1", 1091.5, WINDOW) == Claim(read=True)


def test_a_refresh_that_could_not_be_queued_is_queued_by_the_next_change(any_table: tuple[str, Any]) -> None:
    gate = _queued(any_table, 1002.0)
    gate.forget_refresh("c1", "p1", 1002.0)
    assert gate.claim("c1", "p1", 1003.0, WINDOW).queue_in == 27


def test_a_change_after_the_window_reads_at_once_even_if_its_refresh_never_ran(
        any_table: tuple[str, Any]) -> None:
    gate = _queued(any_table, 1001.0)
    # The refresh is still on its way (or dead-lettered): a change after the window reads now.
    assert gate.claim("c1", "p1", 1030.0, WINDOW) == Claim(read=True)
    assert gate.claim("c1", "p1", 1031.0, WINDOW).queue_in == 29


def test_workers_claiming_at_once_make_one_read_and_queue_one_refresh(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    gate = ReadGate(table, client)
    claims: list[Claim] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait()
        got = gate.claim("c1", "race", 1000.0, WINDOW)
        with lock:
            claims.append(got)

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for c in claims if c.read) == 1, claims
    assert sum(1 for c in claims if c.queue_in is not None) == 1, claims
    assert sum(1 for c in claims if not c.read and c.queue_in is None) == 6, claims
