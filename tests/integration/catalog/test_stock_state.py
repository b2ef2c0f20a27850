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
    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        repo.record("c1", "p1", "w2", 103.0, sent={"sku1": 9})  # not the holder: nothing overwritten

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
