"""The STOCK# item's single flight and figures, on moto and on DynamoDB Local (conditions,
reserved words, map values)."""

from __future__ import annotations

from typing import Any

import pytest

from connector.catalog.stock.state import StockStateRepository

pytestmark = pytest.mark.dynamodb_local


def test_lease_seq_and_figures(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = StockStateRepository(table, client)
    assert repo.get("c1", "p1") is None
    assert repo.bump("c1", "p1", 100.0).seq == 1

    held = repo.acquire("c1", "p1", "w1", 100.0, 30)
    assert held is not None and held.seq == 1 and held.lease_owner == "w1"
    assert repo.acquire("c1", "p1", "w2", 101.0, 30) is None  # held
    assert repo.acquire("c1", "p1", "w1", 101.0, 30) is not None  # ours again

    repo.record("c1", "p1", "w1", 102.5, sent={"sku1": 4, "sku2": 0}, deactivated=True, prices={"sku1": "22.99"})
    assert repo.record("c1", "p1", "w2", 103.0, sent={"sku1": 9}) is False  # not the holder: nothing overwritten

    repo.bump("c1", "p1", 103.0)  # a request during the sync
    assert repo.release("c1", "p1", "w1", seen_seq=1) is False  # must sync again
    again = repo.acquire("c1", "p1", "w1", 104.0, 30)
    assert again is not None and again.seq == 2
    assert repo.release("c1", "p1", "w1", seen_seq=2) is True

    state = repo.get("c1", "p1")
    assert state is not None and state.lease_owner is None and state.sent == {"sku1": 4, "sku2": 0}
    assert state.deactivated and state.prices == {"sku1": "22.99"} and state.sent_at == 102.5

    # An expired lease is taken over; the old holder learns it lost it (nothing left for it).
    assert repo.acquire("c1", "p1", "w3", 200.0, 30) is not None
    assert repo.acquire("c1", "p1", "w4", 231.0, 30) is not None
    assert repo.release("c1", "p1", "w3", seen_seq=2) is True
    repo.abandon("c1", "p1", "w4")
    assert repo.get("c1", "p1").lease_owner is None  # type: ignore[union-attr]
    assert [s.store_product_id for s in repo.all("c1")] == ["p1"] and list(repo.all("c2")) == []

    repo.set_reconcile_cursor("c1", last_run_at=300.25, last_full_at=None)
    assert repo.reconcile_cursor("c1") == {"last_run_at": 300.25}
    repo.set_reconcile_cursor("c1", last_run_at=400.0, last_full_at=400.0)
    assert repo.reconcile_cursor("c1") == {"last_run_at": 400.0, "last_full_at": 400.0}
    assert [s.store_product_id for s in repo.all("c1")] == ["p1"]  # the cursor is not a product


def test_fenced_writes_take_versions_under_the_lease_only(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = StockStateRepository(table, client)
    assert repo.fence("c1", "p9", "w1", 100.0, 30) is None  # nobody holds it: no write
    assert repo.acquire("c1", "p9", "w1", 100.0, 30) is not None
    assert repo.fence("c1", "p9", "w1", 101.0, 30) == 1
    assert repo.fence("c1", "p9", "w2", 101.0, 30) is None  # not the holder
    assert repo.get("c1", "p9").lease_until == 131.0  # type: ignore[union-attr]  # the fence renews
    assert repo.renew("c1", "p9", "w1", 120.0, 30) is True
    assert repo.renew("c1", "p9", "w2", 120.0, 30) is False
    assert repo.fence("c1", "p9", "w1", 151.0, 30) is None  # expired (150): no write, even by its holder

    # w1 writes (version 2), stalls; its lease expires; w2 takes over and writes (version 3).
    assert repo.fence("c1", "p9", "w1", 149.0, 30) == 2
    assert repo.acquire("c1", "p9", "w2", 180.0, 30) is not None
    assert repo.fence("c1", "p9", "w2", 180.5, 30) == 3
    assert repo.record("c1", "p9", "w2", 181.0, sent={"sku1": 2}, version=3) is True
    state = repo.get("c1", "p9")
    assert state is not None and state.sent_version == 3 and not state.needs_resend
    # w1's late answer: its figures are not recorded, and the product is marked for a resend.
    assert repo.record("c1", "p9", "w1", 182.0, sent={"sku1": 6}, version=2) is False
    marked = repo.mark_raced("c1", "p9", 182.0)
    assert marked.raced == 3 and marked.needs_resend and marked.seq == state.seq + 1 and marked.sent == {"sku1": 2}
    # The resend: fenced after the mark, recorded, clears it.
    assert repo.fence("c1", "p9", "w2", 183.0, 30) == 4
    assert repo.record("c1", "p9", "w2", 183.5, sent={"sku1": 2}, version=3) is False  # an older fence
    assert repo.record("c1", "p9", "w2", 184.0, sent={"sku1": 2}, version=4) is True
    assert not repo.get("c1", "p9").needs_resend  # type: ignore[union-attr]


def test_a_request_takes_a_free_lease_in_one_write_and_leaves_a_held_one_alone(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = StockStateRepository(table, client)
    first = repo.request_and_acquire("c7", "q1", "w1", 100.0, 30)
    assert first is not None and (first.seq, first.run_seq, first.lease_owner) == (1, 1, "w1")
    assert repo.request_and_acquire("c7", "q1", "w2", 101.0, 30) is None  # held: nothing written
    assert repo.get("c7", "q1").seq == 1  # type: ignore[union-attr]
    assert repo.record("c7", "q1", "w1", 102.0, sent={"sku1": 3}, release_seq=1) is True
    again = repo.request_and_acquire("c7", "q1", "w2", 103.0, 30)  # released: free again
    assert again is not None and (again.seq, again.run_seq, again.lease_owner) == (2, 2, "w2")
    assert again.sent == {"sku1": 3} and again.call_at is None
    expired = repo.request_and_acquire("c7", "q1", "w3", 134.0, 30)  # w2's lease ran out
    assert expired is not None and (expired.seq, expired.lease_owner) == (3, "w3")


def test_figures_recorded_with_the_release_only_when_no_request_came_in(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = StockStateRepository(table, client)
    held = repo.request_and_acquire("c7", "q2", "w1", 100.0, 30)
    assert held is not None
    version = repo.fence("c7", "q2", "w1", 100.5, 30)
    assert version == 1
    repo.bump("c7", "q2", 101.0)  # a request while the call was out
    assert repo.record("c7", "q2", "w1", 102.0, sent={"sku1": 5}, version=version, release_seq=held.seq) is False
    state = repo.get("c7", "q2")
    assert state is not None and state.lease_owner == "w1" and state.sent == {}  # nothing written
    assert repo.record("c7", "q2", "w1", 102.0, sent={"sku1": 5}, version=version) is True
    assert repo.release("c7", "q2", "w1", seen_seq=held.seq) is False  # the holder syncs again
    state = repo.get("c7", "q2")
    assert state is not None and state.lease_owner == "w1" and state.sent == {"sku1": 5} and state.sent_version == 1
    assert repo.record("c7", "q2", "w1", 103.0, sent={"sku1": 6}, version=version, release_seq=state.seq) is True
    state = repo.get("c7", "q2")
    assert state is not None and state.lease_owner is None and state.lease_until is None and state.sent == {"sku1": 6}
