"""The order record repository (the contract of the order listing, overview and stock sync)
against moto and DynamoDB Local."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.errors import BadRequest
from connector.orders.records import ClaimLost, OrderLineSummary, OrderRecord, OrderRepository, buyer_ref

pytestmark = pytest.mark.dynamodb_local


def _record(order_id: str, **changes: Any) -> OrderRecord:
    base = OrderRecord(
        connection_id="c1", tiktok_order_id=order_id, shop_id="s1", state="claimed", currency="USD",
        total=Decimal("19.90"), subtotal=Decimal("17.90"), shipping=Decimal("2.00"),
        lines=(OrderLineSummary(tiktok_sku_id="sku1", variant_key="p1", quantity=2, unit_price=Decimal("8.95")),),
        buyer_ref=buyer_ref("c1", "u1"), pending_units={"p1": 2}, created_at=100, paid_at=110, updated_at=110)
    return base.model_copy(update=changes)


def test_claim_is_exclusive_and_created_removes_pending_units(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = OrderRepository(name, client)
    # Given a first relay claims the order
    claimed = repo.claim(_record("o1"), "t1", now=200, lease_s=60)
    assert claimed.state == "claimed"
    # When a second relay tries while the lease holds, it loses
    with pytest.raises(ClaimLost):
        repo.claim(_record("o1"), "t2", now=210, lease_s=60)
    assert repo.pending_units("c1") == {"p1": 2}
    # Then recording with a stale token fails and with the owner's token succeeds, dropping the units
    assert not repo.record_created("c1", "o1", "t2", "store-9", now=220)
    assert repo.record_created("c1", "o1", "t1", "store-9", now=220)
    got = repo.get("c1", "o1")
    assert got is not None and got.state == "created" and got.store_order_id == "store-9"
    assert got.pending_units == {} and got.claim_token is None
    assert got.total == Decimal("19.90") and got.lines[0].unit_price == Decimal("8.95")
    assert repo.pending_units("c1") == {}
    # A relayed order can never be claimed again
    with pytest.raises(ClaimLost):
        repo.claim(_record("o1"), "t3", now=10_000, lease_s=60)


def test_expired_claim_is_taken_over_and_blocked_counts_attempts(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = OrderRepository(name, client)
    repo.claim(_record("o2"), "t1", now=200, lease_s=60)
    repo.claim(_record("o2"), "t2", now=300, lease_s=60)  # t1 crashed; its lease ran out
    assert repo.record_blocked("c1", "o2", "t2", "SKU sku1 is not linked", now=310, give_up=False)
    blocked = repo.get("c1", "o2")
    assert blocked is not None and blocked.state == "blocked" and blocked.attempts == 1
    assert blocked.reason == "SKU sku1 is not linked" and blocked.pending_units == {"p1": 2}
    repo.claim(_record("o2"), "t3", now=320, lease_s=60)
    assert repo.record_blocked("c1", "o2", "t3", "still not linked", now=330, give_up=True)
    gave_up = repo.get("c1", "o2")
    assert gave_up is not None and gave_up.attempts == 2 and gave_up.pending_units == {}


def test_list_by_state_pages_and_tokens_are_scoped(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = OrderRepository(name, client)
    for i in range(5):
        repo.claim(_record(f"p{i}"), "t", now=100 + i, lease_s=60)
        repo.record_created("c1", f"p{i}", "t", f"s{i}", now=200 + i)
    repo.claim(_record("px"), "t", now=100, lease_s=60)
    seen: list[str] = []
    token: str | None = None
    while True:
        page, token = repo.list_by_state("c1", "created", limit=2, page_token=token)
        assert len(page) <= 2
        seen += [r.tiktok_order_id for r in page]
        if token is None:
            break
    assert seen == ["p4", "p3", "p2", "p1", "p0"]
    assert [r.tiktok_order_id for r in repo.list_by_state("c1", "claimed")[0]] == ["px"]
    assert repo.list_by_state("other", "created")[0] == []
    _, first_token = repo.list_by_state("c1", "created", limit=2)
    assert first_token is not None
    with pytest.raises(BadRequest):
        repo.list_by_state("other", "created", page_token=first_token)
    with pytest.raises(BadRequest):
        repo.list_by_state("c1", "nonsense")


def test_set_state_only_from_and_cancel_drops_pending(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = OrderRepository(name, client)
    repo.claim(_record("o3"), "t", now=100, lease_s=60)
    assert not repo.set_state("c1", "o3", "shipped", 110, only_from=("created",))
    assert repo.set_state("c1", "o3", "cancelled", 120, sets={"reason": "buyer cancelled on TikTok"})
    got = repo.get("c1", "o3")
    assert got is not None and got.state == "cancelled" and got.pending_units == {}
    assert not repo.set_state("c1", "missing", "cancelled", 120)


def test_buyer_ref_is_stable_and_not_the_id() -> None:
    assert buyer_ref("c1", "u1") == buyer_ref("c1", "u1") != buyer_ref("c2", "u1")
    assert "u1" not in (buyer_ref("c1", "u1") or "")
    assert buyer_ref("c1", None) is None
