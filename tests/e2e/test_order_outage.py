"""Store outages and permanent refusals on the local cloud: no order is stranded.

The clock is compressed through the template parameters: the first retry delay is 1 s
(``OrderRelayRetrySeconds``; doubling, the first three waits inside the relay's execution, later
ones resumed by the sweeper at their deadline) and transient failures are given up after 60 s
(``OrderRetryGiveUpSeconds``, 72 hours deployed). A "15-minute" outage is over before the relay's
own short waits end; a "3-hour" one outlives them, so the orders are parked ``retrying`` and only
the sweeper (the re-scan schedule, fired here by hand when records are due) brings them in.
Every test asserts exactly one store order per paid TikTok order, the store's stock, and that
every order record of the connection is in a named state with a deadline (or settled).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from connector.orders.records import OPEN_STATES, ORDER_STATES, OrderRecord, deadline_of
from local.order_scenario import Shop, connect
from local.sandbox_ecwid.server import Fault
from local.world import World, world
from tests.support.wait import until

# A journey of minutes: it starts first, so the workers share the long files (tests/conftest.py).
pytestmark = pytest.mark.slow

QTY = 500
GIVE_UP_S = 60


@pytest.fixture(scope="module")
def ow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    log = tmp_path_factory.mktemp("order-outage") / "functions.jsonl"
    with world(function_log=log, parameters={"OrderBlockedRetrySeconds": 1, "OrderRelayRetrySeconds": 1,
                                             "OrderSettleSeconds": 3, "OrderRetryGiveUpSeconds": GIVE_UP_S}) as w:
        yield w


@pytest.fixture
def shop(ow: World) -> Iterator[Shop]:
    ow.ecwid.clear_faults()
    s = connect(ow, products=1, linked=1, quantity=QTY)
    s.settings(on_hold="wait", relay_fbt=False)
    yield s
    ow.ecwid.clear_faults()


def records(shop: Shop, ids: list[str]) -> list[OrderRecord | None]:
    return [shop.record(i) for i in ids]


def relays_running(shop: Shop) -> int:
    sfn = shop.w.cloud.client("stepfunctions")
    arn = shop.w.cloud.state_machine_arn("OrderRelayStateMachine")
    return len(sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"])


def sweep_when_due(shop: Shop, ids: list[str]) -> None:
    """Wait until every parked record is past its deadline, then run the schedule (sweeper + scan)."""
    def due() -> bool:
        now = time.time()
        return all(r is not None and (r.state != "retrying" or (deadline_of(r) or 0) <= now)
                   for r in records(shop, ids))

    until(due, timeout=60, what="parked orders due")
    shop.w.cloud.fire_schedule("OrderScanFunction", "ScanSchedule")


def assert_named_states(shop: Shop) -> None:
    for record in shop.orders().all(shop.connection_id):
        assert record.state in ORDER_STATES
        if record.state in OPEN_STATES and not (record.state == "blocked" and record.pending_units == {}):
            assert deadline_of(record) is not None, record


def assert_relayed_once(shop: Shop, ids: list[str], sku: str, units: int) -> None:
    def created() -> list[OrderRecord | None] | None:
        found = records(shop, ids)
        return found if all(r is not None and r.state == "created" for r in found) else None

    until(created, timeout=60, what="every order created")
    for order_id in ids:
        assert len(shop.store_orders_for(order_id)) == 1
    assert shop.store_stock(shop.skus[sku]) == QTY - units
    assert_named_states(shop)


def test_a_short_outage_is_bridged_by_the_relays_own_waits(shop: Shop) -> None:
    sku = next(iter(shop.skus))
    shop.w.ecwid.start_outage(3)
    ids = [shop.w.tiktok.place_order(shop.shop.id, [(sku, 1)])["id"] for _ in range(3)]
    assert_relayed_once(shop, ids, sku, 3)


def test_a_long_outage_parks_orders_retrying_and_the_sweeper_brings_them_in_oldest_first(shop: Shop) -> None:
    sku = next(iter(shop.skus))
    shop.w.ecwid.start_outage()
    ids = [shop.w.tiktok.place_order(shop.shop.id, [(sku, 2)])["id"] for _ in range(3)]

    # The relays' own short waits end; the orders are parked retrying, each with a deadline.
    def parked() -> bool:
        found = records(shop, ids)
        return relays_running(shop) == 0 and all(r is not None and r.state == "retrying" for r in found)

    until(parked, timeout=60, what="orders parked retrying")
    first = [r for r in records(shop, ids) if r is not None]
    assert all(r.retry_attempts and r.retry_attempts >= 3 and r.last_error for r in first)
    assert all(r.pending_units == {shop.skus[sku]: 2} for r in first)  # TikTok's stock stays held back
    assert_named_states(shop)
    # The sweeper resumes them while the store is still down: they fail again, later deadlines.
    sweep_when_due(shop, ids)
    until(lambda: all(r is not None and r.retry_attempts is not None and r.retry_attempts > first[0].retry_attempts
                      and relays_running(shop) == 0 for r in records(shop, ids)), timeout=60, what="second round")
    again = [r for r in records(shop, ids) if r is not None]
    assert all((deadline_of(b) or 0) - b.updated_at > (deadline_of(a) or 0) - a.updated_at
               for a, b in zip(first, again, strict=True))  # growing delays
    assert shop.store_orders() == []
    # The store comes back: the next sweep drains the backlog, exactly once each.
    shop.w.ecwid.end_outage()
    sweep_when_due(shop, ids)
    assert_relayed_once(shop, ids, sku, 6)


def test_an_outage_past_the_give_up_window_blocks_with_a_reason_and_the_merchant_retry_works(shop: Shop) -> None:
    sku = next(iter(shop.skus))
    shop.w.ecwid.start_outage()
    order_id = shop.w.tiktok.place_order(shop.shop.id, [(sku, 1)])["id"]

    def blocked() -> OrderRecord | None:
        record = shop.record(order_id)
        if record is not None and record.state == "blocked":
            return record
        if record is not None and record.state == "retrying" and (deadline_of(record) or 0) <= time.time() \
                and relays_running(shop) == 0:
            shop.w.cloud.fire_schedule("OrderScanFunction", "ScanSchedule")
        return None

    record = until(blocked, timeout=GIVE_UP_S + 90, what="given up after the retry window")
    assert record.reason and "kept failing" in record.reason and record.pending_units == {}
    assert_named_states(shop)
    first_retry = shop.api("POST", f"/orders/{order_id}/retry")
    assert first_retry.status_code == 202  # a no-op while the store is down...
    # The retry is a task: until it has run, the record may still read "blocked" from before it.
    task = f"/tasks/{first_retry.json()['task_id']}"
    until(lambda: shop.api("GET", task).json()["task"]["state"] in ("completed", "error")
          and (r := shop.record(order_id)) is not None and r.state in ("retrying", "blocked")
          and relays_running(shop) == 0, timeout=60, what="the retry ran")
    shop.w.ecwid.end_outage()
    answer = shop.api("POST", f"/orders/{order_id}/retry")  # ...and brings the order in once the store is back
    assert answer.status_code == 202, answer.text
    assert_relayed_once(shop, [order_id], sku, 1)


def test_a_permanent_store_refusal_blocks_with_plain_words_and_the_merchant_retry_works(shop: Shop) -> None:
    sku = next(iter(shop.skus))
    shop.w.ecwid.add_fault(Fault(method="POST", path="^/orders$", status=400, times=4))
    order_id = shop.w.tiktok.place_order(shop.shop.id, [(sku, 1)])["id"]

    record = until(lambda: ((r := shop.record(order_id)) is not None and r.state == "blocked" and r) or None,
                   timeout=30, what="order blocked")
    assert record.reason is not None and "the store refused the order (HTTP 400" in record.reason
    assert record.store_intent is None  # a refusal created nothing: nothing to settle
    assert_named_states(shop)
    until(lambda: (r := shop.record(order_id)) is not None and r.pending_units == {} and relays_running(shop) == 0,
          timeout=30, what="automatic retries ended")
    shop.w.ecwid.clear_faults()
    answer = shop.api("POST", f"/orders/{order_id}/retry")
    assert answer.status_code == 202, answer.text
    assert_relayed_once(shop, [order_id], sku, 1)


def test_a_cancellation_during_an_outage_settles_the_parked_order_without_a_store_order(shop: Shop) -> None:
    sku = next(iter(shop.skus))
    shop.w.ecwid.start_outage()
    order_id = shop.w.tiktok.place_order(shop.shop.id, [(sku, 2)])["id"]
    until(lambda: (r := shop.record(order_id)) is not None and r.state == "retrying" and relays_running(shop) == 0,
          timeout=60, what="order parked retrying")
    cancellation = shop.w.tiktok.buyer_cancel(order_id)
    shop.tiktok.approve_cancellation(shop.shop, cancellation["cancel_id"])  # the seller accepts
    until(lambda: shop.order(order_id)["status"] == "CANCELLED", timeout=20, what="TikTok cancelled")

    def cancelled() -> OrderRecord | None:
        record = shop.record(order_id)
        if record is not None and record.state == "cancelled":
            return record
        if record is not None and (deadline_of(record) or 0) <= time.time() and relays_running(shop) == 0:
            shop.w.cloud.fire_schedule("OrderScanFunction", "ScanSchedule")
        return None

    record = until(cancelled, timeout=60, what="the parked order cancelled")
    assert record.pending_units == {} and record.deadline_at is None
    shop.w.ecwid.end_outage()
    shop.w.cloud.fire_schedule("OrderScanFunction", "ScanSchedule")
    assert shop.store_orders_for(order_id) == []
    assert shop.store_stock(shop.skus[sku]) == QTY
    assert_named_states(shop)
