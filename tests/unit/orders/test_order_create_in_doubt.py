"""A store order creation whose outcome is unknown (timeout, 5xx after the store committed, a crash
before recording): the relay never posts again until the store was searched several times over
the settle window without finding the order, and a duplicate found is cancelled. In-memory fakes
(the repository's conditional writes are tested against DynamoDB in tests/integration/orders)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from connector.orders import relay as r
from connector.stores.errors import AmbiguousWrite, RateLimited
from connector.stores.protocol import Cancellation, PaymentStatus, StoreOrder, StoreOrderDraft
from tests.unit.orders.test_order_relay import FakeStore, deps, order

TOKEN = "ev-5001-abc"


@dataclass
class DoubtfulStore(FakeStore):
    """Creates the order, then fails the answer ``ambiguous`` times; the search hides orders
    while ``hidden`` (a lagging search index)."""

    ambiguous: int = 0
    hidden: bool = False
    refuse: int = 0
    posts: int = 0
    cancelled: list[str] = field(default_factory=list)

    def find_orders_by_tiktok_id(self, tiktok_order_id: str) -> list[StoreOrder]:
        return [] if self.hidden else super().find_orders_by_tiktok_id(tiktok_order_id)

    def find_order_by_tiktok_id(self, tiktok_order_id: str) -> StoreOrder | None:
        found = self.find_orders_by_tiktok_id(tiktok_order_id)
        return found[0] if found else None

    def create_order(self, draft: StoreOrderDraft) -> StoreOrder:
        found = self.find_order_by_tiktok_id(draft.tiktok_order_id)
        if found:
            return found
        self.posts += 1
        if self.refuse:
            self.refuse -= 1
            raise RateLimited("429", retry_after=1)
        created = super().create_order(draft)
        if self.ambiguous:
            self.ambiguous -= 1
            raise AmbiguousWrite("answer lost")
        return created

    def cancel_order(self, cancellation: Cancellation) -> StoreOrder:
        self.cancelled.append(cancellation.order_ext_id)
        for i, o in enumerate(self.orders):
            if o.ext_id == cancellation.order_ext_id:
                self.orders[i] = o.model_copy(update={"payment_status": PaymentStatus.CANCELLED})
                return self.orders[i]
        raise AssertionError(cancellation.order_ext_id)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def setup(store: DoubtfulStore, settle_s: int = 60) -> tuple[r.RelayDeps, Clock, list[str]]:
    d, _ = deps(order())
    clock = Clock()
    notified: list[str] = []
    d.store = store
    d.clock = clock
    d.settle_s = settle_s
    d.notify_duplicate = lambda oid, what: notified.append(what)
    return d, clock, notified


def run(d: r.RelayDeps, token: str = TOKEN) -> r.RelayResult:
    return r.relay(d, "c1", "shop", "5001", token)


def test_a_create_committed_but_answered_5xx_is_found_and_never_posted_again() -> None:
    store = DoubtfulStore(ambiguous=1, hidden=True)
    d, clock, _ = setup(store)
    first = run(d)
    assert first.outcome == "settling" and first.wait_s == 20
    record = d.orders.get("c1", "5001")
    assert record is not None and record.store_intent and record.settle_from == 1000
    clock.now += 20
    assert run(d).outcome == "settling"  # the search lags: still nothing seen, still no POST
    store.hidden = False
    clock.now += 20
    done = run(d)
    assert done.outcome == "created" and done.store_order_id == "1"
    assert store.posts == 1 and len(store.orders) == 1
    record = d.orders.get("c1", "5001")
    assert record is not None and record.store_intent is None and record.state == "created"


def test_no_new_post_until_several_searches_over_the_whole_window_missed() -> None:
    store = DoubtfulStore(hidden=True)
    store.ambiguous = 1
    d, clock, _ = setup(store)
    run(d)
    store.orders.clear()  # the store really did not keep it (a 5xx before the commit)
    store.hidden = False
    outcomes = []
    for _ in range(2):  # two searches inside the window: no POST
        clock.now += 20
        outcomes.append(run(d).outcome)
    assert outcomes == ["settling", "settling"] and store.posts == 1
    clock.now += 19  # a third search, but the window (60 s) has not ended
    assert run(d).outcome == "settling" and store.posts == 1
    clock.now += 1
    assert run(d).outcome == "verifying"  # created by the second POST; a twin is looked for later
    assert store.posts == 2 and len(store.orders) == 1


def test_a_crash_after_the_store_created_it_is_recovered_by_the_search_not_a_new_post() -> None:
    store = DoubtfulStore()
    d, _, _ = setup(store)
    crashed: list[str] = []

    def crash(order_id: str) -> None:
        if not crashed:
            crashed.append(order_id)
            raise r.InjectedCrash(order_id)

    d.after_store_create = crash
    with pytest.raises(r.InjectedCrash):
        run(d)
    assert crashed and d.orders.get("c1", "5001").store_intent  # type: ignore[union-attr]
    assert run(d).outcome == "created"
    assert store.posts == 1 and len(store.orders) == 1


def test_an_overlapping_invocation_with_the_same_claim_does_not_post() -> None:
    store = DoubtfulStore()
    d, _, _ = setup(store)
    claimed = d.orders.claim(r.base_record("c1", "shop", order(), [], 1000, "claimed"), TOKEN, 1000, r.LEASE_S)
    assert d.orders.record_intent("c1", "5001", TOKEN, "other-invocation", 1000)  # its POST is in flight
    result = r.relay(d, "c1", "shop", "5001", TOKEN)
    assert claimed.state == "claimed" and result.outcome == "settling"
    assert store.posts == 0


def test_a_refusal_before_anything_was_created_closes_the_intent() -> None:
    store = DoubtfulStore(refuse=1)
    d, _, _ = setup(store)
    with pytest.raises(RateLimited):
        run(d)
    record = d.orders.get("c1", "5001")
    assert record is not None and record.store_intent is None  # nothing in doubt: the retry posts at once
    assert run(d).outcome == "created" and store.posts == 2 and len(store.orders) == 1


def test_two_store_orders_for_one_tiktok_order_keep_the_oldest_and_cancel_the_newer() -> None:
    store = DoubtfulStore(ambiguous=1, hidden=True)
    d, clock, notified = setup(store)
    run(d)
    outcomes = []
    for _ in range(3):  # the search lags longer than the window: a second POST happens
        clock.now += 20
        outcomes.append(run(d))
    assert [o.outcome for o in outcomes] == ["settling", "settling", "verifying"]
    assert store.posts == 2 and len(store.orders) == 2
    record: Any = d.orders.get("c1", "5001")
    assert record.state == "created" and record.store_order_id == "2" and record.verify_after == clock.now + 60
    # Too early: nothing searched, the wait is what is left.
    clock.now += 30
    assert run(d).wait_s == 30 and store.cancelled == []
    clock.now += 30
    assert run(d).outcome == "verifying"  # still hidden: search again later (120 s)
    store.hidden = False
    clock.now += 120
    assert run(d).outcome == "verifying"
    record = d.orders.get("c1", "5001")
    assert record.store_order_id == "1" and record.duplicate_store_orders == ("2",)
    assert store.cancelled == ["2"] and notified and "cancelled 2" in notified[0]
    assert store.posts == 2


def test_the_twin_search_ends_after_a_few_checks() -> None:
    store = DoubtfulStore(ambiguous=1, hidden=True)
    d, clock, _ = setup(store)
    run(d)
    store.orders.clear()  # the first POST really created nothing
    for _ in range(3):
        clock.now += 20
        run(d)
    outcomes = []
    for _ in range(r.VERIFY_CHECKS):
        record: Any = d.orders.get("c1", "5001")
        clock.now = record.verify_after
        outcomes.append(run(d).outcome)
    assert outcomes == ["verifying"] * (r.VERIFY_CHECKS - 1) + ["already"]
    assert d.orders.get("c1", "5001").verify_after is None  # type: ignore[union-attr]
    assert run(d).outcome == "already" and len(store.orders) == 1
