"""Every open order record carries a deadline, and the sweeper's work list is the open records
past theirs, oldest order first (against moto and DynamoDB Local)."""

from __future__ import annotations

from typing import Any

import pytest

from connector.orders.records import ClaimLost, OrderRepository, deadline_of
from tests.integration.orders.test_order_records import _record

pytestmark = pytest.mark.dynamodb_local


def test_retrying_keeps_its_first_failure_and_counts_tries(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = OrderRepository(name, client)
    claimed = repo.claim(_record("d1"), "t1", now=200, lease_s=60)
    assert claimed.deadline_at == 260
    assert repo.record_retrying("c1", "d1", "t2", now=210, next_try_at=212, error="x") is None  # not its claim
    parked = repo.record_retrying("c1", "d1", "t1", now=210, next_try_at=212, error="store_unavailable (503)")
    assert parked is not None and parked.state == "retrying" and parked.retry_attempts == 1
    assert parked.retry_since == 210 and parked.deadline_at == 212 and parked.claim_token is None
    assert parked.pending_units == {"p1": 2}  # still held back on TikTok
    # Before its deadline only its own relay (or the merchant) may claim it again.
    with pytest.raises(ClaimLost):
        repo.claim(_record("d1", attempts=0), "t9", now=211, lease_s=60)
    repo.claim(_record("d1", attempts=0), "t1", now=211, lease_s=60)
    again = repo.record_retrying("c1", "d1", "t1", now=215, next_try_at=219, error="store_unavailable (503)")
    assert again is not None and again.retry_attempts == 2 and again.retry_since == 210
    repo.claim(_record("d1", attempts=0), "t9", now=219, lease_s=60)  # due: anyone may resume it
    assert repo.record_created("c1", "d1", "t9", "store-1", now=220)
    done = repo.get("c1", "d1")
    assert done is not None and done.deadline_at is None and done.retry_attempts is None


def test_the_merchant_may_take_a_retrying_order_before_its_deadline(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = OrderRepository(name, client)
    repo.claim(_record("d2"), "t1", now=200, lease_s=60)
    repo.record_retrying("c1", "d2", "t1", now=201, next_try_at=900, error="x")
    taken = repo.claim(_record("d2", attempts=0), "retry-d2-abc", now=202, lease_s=60, take_over=True)
    assert taken.claim_token == "retry-d2-abc" and taken.retry_attempts == 1


def test_due_lists_open_records_past_their_deadline_oldest_order_first(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = OrderRepository(name, client)
    repo.claim(_record("d3", created_at=50), "t1", now=200, lease_s=60)  # lease ends 260
    repo.claim(_record("d4", created_at=40), "t2", now=200, lease_s=60)
    repo.record_retrying("c1", "d4", "t2", now=201, next_try_at=300, error="x")
    repo.claim(_record("d5", created_at=30), "t3", now=200, lease_s=60)
    assert repo.record_blocked("c1", "d5", "t3", "unlinked", now=201, give_up=True)  # waits for the merchant
    repo.claim(_record("d6", created_at=20), "t4", now=200, lease_s=60)
    assert repo.release("c1", "d6", "t4", "waiting_hold", now=201)
    assert [r.tiktok_order_id for r in repo.due("c1", now=259)] == []
    assert [r.tiktok_order_id for r in repo.due("c1", now=260)] == ["d3"]
    assert [r.tiktok_order_id for r in repo.due("c1", now=10_000)] == ["d6", "d4", "d3"]
    blocked = repo.get("c1", "d5")
    assert blocked is not None and deadline_of(blocked) is None and blocked.pending_units == {}
