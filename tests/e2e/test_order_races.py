"""Relays of one order racing each other on the local cloud: every way a relay can start, at the
same moment, and two invocations holding one claim token.

Each test asserts exactly one store order per paid TikTok order (none cancelled as a duplicate
either: the second POST never happened), the store's stock at the expected figure, and every
order record of the connection in a named state with its deadline (or settled).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from connector.orders.records import OPEN_STATES, ORDER_STATES, OrderRecord, deadline_of
from local.order_scenario import Shop, connect
from local.sandbox_ecwid.server import Fault
from local.world import World, world
from tests.support.wait import until

QTY = 500
SETTLE_S = 3


@pytest.fixture(scope="module")
def rw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    log = tmp_path_factory.mktemp("order-races") / "functions.jsonl"
    with world(function_log=log, parameters={"OrderBlockedRetrySeconds": 1, "OrderRelayRetrySeconds": 1,
                                             "OrderSettleSeconds": SETTLE_S}) as w:
        yield w


@pytest.fixture
def shop(rw: World) -> Iterator[Shop]:
    rw.ecwid.clear_faults()
    rw.tiktok.set_webhook_faults()
    s = connect(rw, products=1, linked=1, quantity=QTY)
    s.settings(on_hold="wait", relay_fbt=False)
    yield s
    rw.ecwid.clear_faults()
    rw.tiktok.set_webhook_faults()


def relays_running(shop: Shop) -> int:
    sfn = shop.w.cloud.client("stepfunctions")
    arn = shop.w.cloud.state_machine_arn("OrderRelayStateMachine")
    return len(sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"])


def store_posts(shop: Shop) -> int:
    return len(shop.w.ecwid.requests("POST", f"^/api/v3/{shop.store_id}/orders$"))


def at_once(*actions: Callable[[], Any]) -> list[Any]:
    """Run every action in its own thread, released together; their results (or exceptions)."""
    gate = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        gate.wait(timeout=30)
        try:
            results[index] = action()
        except Exception as exc:  # handed back to the test, which asserts on it
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def redeliver(shop: Shop, order_id: str) -> int:
    """TikTok sends the order's last notification again (as it does when it saw no answer)."""
    deliveries = [d for d in shop.w.tiktok.webhooks.deliveries()
                  if json.loads(d.body).get("data", {}).get("order_id") == order_id]
    assert deliveries, f"no notification of order {order_id}"
    body = deliveries[-1].body
    headers = {"content-type": "application/json", "authorization": shop.w.tiktok.webhooks.sign(body)}
    url = shop.w.tiktok.webhooks.url
    assert url
    return httpx.post(url, content=body, headers=headers, timeout=30).status_code


def assert_named_states(shop: Shop) -> None:
    for record in shop.orders().all(shop.connection_id):
        assert record.state in ORDER_STATES
        if record.state in OPEN_STATES and not (record.state == "blocked" and record.pending_units == {}):
            assert deadline_of(record) is not None, record


def assert_relayed_once(shop: Shop, order_id: str, sku: str, units: int) -> OrderRecord:
    def created() -> OrderRecord | None:
        record = shop.record(order_id)
        done = record is not None and record.state == "created" and record.store_intent is None
        return record if done and relays_running(shop) == 0 else None

    record = until(created, timeout=90, what=f"order {order_id} created, no relay running")
    in_store = shop.store_orders_for(order_id)
    assert len(in_store) == 1, in_store  # one POST made an order: no duplicate, not even a cancelled one
    assert record.store_order_id == str(in_store[0]["id"])
    assert record.pending_units == {} and record.duplicate_store_orders == ()
    assert shop.store_stock(shop.skus[sku]) == QTY - units
    assert_named_states(shop)
    return record


def test_duplicate_webhooks_a_rescan_and_a_manual_retry_at_the_same_moment_make_one_store_order(shop: Shop) -> None:
    # Given a paid order parked ``retrying`` by a store outage, past its deadline
    sku = next(iter(shop.skus))
    shop.w.ecwid.start_outage()
    order_id = shop.w.tiktok.place_order(shop.shop.id, [(sku, 2)])["id"]

    def parked() -> OrderRecord | None:
        record = shop.record(order_id)
        return record if record is not None and record.state == "retrying" and relays_running(shop) == 0 else None

    record = until(parked, timeout=60, what="order parked retrying")
    due_at = deadline_of(record) or 0
    until(lambda: time.time() >= due_at, timeout=60, what="parked order due")
    shop.w.ecwid.end_outage()

    # When TikTok sends its notification twice more, the schedule runs (sweeper and re-scan),
    # and the merchant presses retry, all at the same moment
    results = at_once(lambda: redeliver(shop, order_id), lambda: redeliver(shop, order_id),
                      lambda: shop.w.cloud.fire_schedule("OrderScanFunction", "ScanSchedule"),
                      lambda: shop.api("POST", f"/orders/{order_id}/retry"))

    # Then every start was accepted, and exactly one store order exists
    assert results[0] == 200 and results[1] == 200, results
    assert not isinstance(results[2], Exception), results[2]
    retry = results[3]
    assert isinstance(retry, httpx.Response) and retry.status_code in (202, 409), retry
    assert_relayed_once(shop, order_id, sku, 2)
    shop.stock_equal(sku)


def test_overlapping_invocations_with_one_claim_token_post_once(shop: Shop) -> None:
    # Given a paid order nobody relayed (its notifications were lost), and a store whose create
    # commits and then answers slowly with a 500 (the first invocation is still busy when the
    # second one runs)
    sku = next(iter(shop.skus))
    shop.w.tiktok.set_webhook_faults(drop=2)
    order_id = shop.w.tiktok.place_order(shop.shop.id, [(sku, 3)])["id"]
    shop.w.ecwid.add_fault(Fault(method="POST", path="^/orders$", status=500, after=True, stall=3))
    posts_before = store_posts(shop)
    token = f"ev-{order_id}-{uuid.uuid4().hex[:12]}"
    payload = {"connection_id": shop.connection_id, "shop_id": shop.shop.id, "tiktok_order_id": order_id,
               "correlation_id": uuid.uuid4().hex}
    sfn = shop.w.cloud.client("stepfunctions")
    arn = shop.w.cloud.state_machine_arn("OrderRelayStateMachine")

    # When the relay's execution runs its step while another invocation of that step with the
    # same claim token (a Lambda retry overlapping a slow attempt) runs too
    results = at_once(
        lambda: sfn.start_execution(stateMachineArn=arn, name=token, input=json.dumps(payload)),
        lambda: shop.w.cloud.host.invoke("OrderRelayStepFunction", {**payload, "token": token}))

    # Then only one of them posted; the other waited for the settle window's searches
    overlapping = results[1]
    assert not overlapping.failed, overlapping.error_message
    assert overlapping.payload["outcome"] in ("settling", "created"), overlapping.payload
    record = assert_relayed_once(shop, order_id, sku, 3)
    assert store_posts(shop) - posts_before == 1
    assert record.claim_token is None and record.attempts == 0
    shop.stock_equal(sku)
