"""Durable retry and permanent refusals in the relay's domain (in-memory fakes; the conditional
writes are tested against DynamoDB in tests/integration/orders/test_order_deadlines.py)."""

from __future__ import annotations

from typing import Any

import pytest

from connector.orders import relay as r
from connector.orders.records import OPEN_STATES, RETRY_FIELDS, OrderRecord
from connector.stores.errors import AuthError, StoreNotFound, StoreValidationError
from connector.stores.protocol import StoreOrder, StoreOrderDraft
from tests.unit.orders.test_order_relay import FakeOrders, FakeStore, deps, line, order


class RetryingOrders(FakeOrders):
    def record_retrying(self, connection_id: str, order_id: str, token: str, now: int, next_try_at: int,
                        error: str) -> OrderRecord | None:
        current = self.items.get(order_id)
        if current is None or not (current.state == "retrying" or (
                current.state == "claimed" and current.claim_token == token)):
            return None
        self.items[order_id] = current.model_copy(update={
            "state": "retrying", "deadline_at": next_try_at, "retry_owner": token, "last_error": error,
            "retry_since": current.retry_since or now, "retry_attempts": (current.retry_attempts or 0) + 1,
            "claim_token": None})
        return self.items[order_id]

    def set_state(self, connection_id: str, order_id: str, state: str, now: int, *,
                  only_from: tuple[str, ...] | None = None, sets: dict[str, Any] | None = None,
                  removes: tuple[str, ...] = ()) -> bool:
        current = self.items[order_id]
        if only_from and current.state not in only_from:
            return False
        if state in ("cancelled", "skipped"):  # as the repository does
            removes = (*removes, "pending_units", "claim_token", "claim_expires_at")
        if state not in OPEN_STATES:
            removes = (*removes, "deadline_at")
        cleared = {name: ({} if name == "pending_units" else None) for name in removes if name in RETRY_FIELDS
                   or name in ("pending_units", "deadline_at", "claim_token", "claim_expires_at")}
        self.items[order_id] = current.model_copy(update={"state": state, **(sets or {}), **cleared})
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def setup() -> tuple[r.RelayDeps, dict[str, Any], Clock]:
    d, seen = deps(order())
    d.orders = RetryingOrders()  # type: ignore[assignment]
    clock = Clock()
    d.clock = clock
    d.retry_base_s = 2
    d.give_up_s = 3600
    return d, seen, clock


def test_retry_delays_double_up_to_an_hour() -> None:
    assert [r.retry_delay(n, 2) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert r.retry_delay(40, 2) == r.MAX_RETRY_DELAY_S


def test_a_transient_failure_parks_the_order_with_growing_deadlines_then_gives_up() -> None:
    d, seen, clock = setup()
    d.orders.claim(r.base_record("c1", "shop", order(), [], 1000, "claimed"), "tok", 1000, r.LEASE_S)
    waits = []
    for _ in range(4):
        result = r.park(d, "c1", "shop", "5001", "tok", "store_unavailable (503)")
        record = d.orders.get("c1", "5001")
        assert result.outcome == "retrying" and record is not None and record.state == "retrying"
        waits.append((record.deadline_at or 0) - int(clock.now))
        clock.now += 10
    assert waits == [2, 4, 8, 16]
    clock.now = 1000 + 3600
    assert r.park(d, "c1", "shop", "5001", "tok", "store_unavailable (503)").outcome == "gave_up"
    record = d.orders.get("c1", "5001")
    assert record is not None and record.state == "blocked" and record.deadline_at is None
    assert record.reason and "kept failing" in record.reason and seen["blocked"] == [record.reason]


def test_only_the_first_short_waits_happen_inside_the_execution() -> None:
    d, _, _ = setup()
    d.orders.claim(r.base_record("c1", "shop", order(), [], 1000, "claimed"), "tok", 1000, r.LEASE_S)
    waits = [r.park(d, "c1", "shop", "5001", "tok", "x").wait_s for _ in range(5)]
    assert waits == [2, 4, 8, 0, 0]  # 16 s and later: the sweeper resumes the record at its deadline


def test_a_failure_before_the_first_sight_still_leaves_a_record_with_a_deadline() -> None:
    d, _, _ = setup()
    result = r.park(d, "c1", "shop", "5001", "tok", "tiktok_unavailable")
    record = d.orders.get("c1", "5001")
    assert result.outcome == "retrying" and record is not None and record.state == "retrying"
    assert record.deadline_at == 1002


class RefusingStore(FakeStore):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def create_order(self, draft: StoreOrderDraft) -> StoreOrder:
        raise self.error


@pytest.mark.parametrize(("error", "words"), [
    (StoreValidationError("x", http_status=400, platform_code="INVALID_VALUE"),
     "the store refused the order (HTTP 400"),
    (StoreNotFound("x", http_status=404), "does not know a product"),
    (AuthError("x", http_status=402), "re-authorize the store or check its plan"),
])
def test_a_permanent_store_refusal_blocks_with_plain_words(error: Exception, words: str) -> None:
    d, seen = deps(order())
    d.store = RefusingStore(error)
    result = r.relay(d, "c1", "shop", "5001", "tok")
    assert result.outcome == "blocked" and result.reason is not None and words in result.reason
    record = d.orders.get("c1", "5001")
    assert record is not None and record.state == "blocked" and record.store_intent is None
    assert seen["blocked"] == [result.reason]


def test_an_order_whose_every_line_is_cancelled_is_blocked_not_a_crash() -> None:
    d, seen = deps(order(lines=[line(1, "s1", display_status="CANCELLED"), line(2, "", sku_id=None)]))
    result = r.relay(d, "c1", "shop", "5001", "tok")
    assert result.outcome == "blocked" and result.reason is not None and "every line" in result.reason
    assert seen["blocked"] == [result.reason]
