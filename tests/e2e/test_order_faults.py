"""Store faults around the one write that must happen exactly once: creating the store order.

On the local cloud with the sandbox Ecwid's fault switches: a POST /orders that commits and then
answers 500, or whose answer is lost to the client's timeout (the sandbox stalls past it), while
the store's order search lags behind its writes. Each test asserts exactly one live store order
per paid TikTok order, the store's stock at the expected figure, and the order record in a named,
settled state with no create left in doubt. The settle window is compressed (6 s instead of 60 s)
through the ``OrderSettleSeconds`` parameter; the client timeout (2 s) through
``ECWID_HTTP_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connector.orders.records import OrderRecord
from local.order_scenario import Shop, connect
from local.sandbox_ecwid.server import Fault
from local.world import World, world
from tests.support.wait import until

QTY = 500
SETTLE_S = 6
CLIENT_TIMEOUT_S = 2


@pytest.fixture(scope="module")
def fw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    log = tmp_path_factory.mktemp("order-faults") / "functions.jsonl"
    with world(function_log=log, environment={"ECWID_HTTP_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT_S)},
               parameters={"OrderBlockedRetrySeconds": 1, "OrderRelayRetrySeconds": 1,
                           "OrderSettleSeconds": SETTLE_S}) as w:
        yield w


@pytest.fixture
def shop(fw: World) -> Iterator[Shop]:
    fw.ecwid.clear_faults()
    s = connect(fw, products=1, linked=1, quantity=QTY)
    s.settings(on_hold="wait", relay_fbt=False)
    yield s
    fw.ecwid.clear_faults()


def live_store_orders(shop: Shop, order_id: str) -> list[dict[str, Any]]:
    return [o for o in shop.store_orders_for(order_id) if o.get("paymentStatus") != "CANCELLED"]


def settled(shop: Shop, order_id: str, timeout: float = 40) -> OrderRecord:
    def done() -> OrderRecord | None:
        record = shop.record(order_id)
        return record if record is not None and record.state == "created" and record.store_intent is None else None

    return until(done, timeout=timeout, what=f"order {order_id} recorded as created")


def assert_exactly_once(shop: Shop, order_id: str, sku: str, quantity: int) -> OrderRecord:
    record = settled(shop, order_id)
    live = live_store_orders(shop, order_id)
    assert len(live) == 1, live
    assert record.store_order_id == str(live[0]["id"])
    assert record.pending_units == {}
    assert shop.store_stock(shop.skus[sku]) == QTY - quantity
    return record


def test_a_create_that_commits_then_answers_500_while_the_search_lags_is_not_posted_again(shop: Shop) -> None:
    sku = next(iter(shop.skus))
    shop.w.ecwid.set_search_lag(2)
    shop.w.ecwid.add_fault(Fault(method="POST", path="^/orders$", status=500, after=True))

    placed = shop.w.tiktok.place_order(shop.shop.id, [(sku, 2)])

    record = assert_exactly_once(shop, placed["id"], sku, 2)
    assert len(shop.store_orders_for(placed["id"])) == 1 and record.duplicate_store_orders == ()
    assert len(shop.w.ecwid.requests("POST", "^/api/v3/\\d+/orders$")) >= 1


def test_a_create_whose_answer_is_lost_to_the_client_timeout_is_not_posted_again(shop: Shop) -> None:
    sku = next(iter(shop.skus))
    shop.w.ecwid.set_search_lag(4)  # still hidden when the client has given up and looks
    shop.w.ecwid.add_fault(Fault(method="POST", path="^/orders$", status=500, after=True,
                                 stall=CLIENT_TIMEOUT_S + 1.5))

    placed = shop.w.tiktok.place_order(shop.shop.id, [(sku, 3)])

    record = assert_exactly_once(shop, placed["id"], sku, 3)
    assert len(shop.store_orders_for(placed["id"])) == 1 and record.duplicate_store_orders == ()


def test_a_search_lagging_past_the_settle_window_ends_in_one_live_order_and_the_duplicate_cancelled(
        shop: Shop) -> None:
    sku = next(iter(shop.skus))
    shop.w.ecwid.set_search_lag(SETTLE_S * 2)  # longer than the window: the relay posts again
    shop.w.ecwid.add_fault(Fault(method="POST", path="^/orders$", status=500, after=True))

    placed = shop.w.tiktok.place_order(shop.shop.id, [(sku, 1)])

    settled(shop, placed["id"])
    # The second store order's order.created webhook (or the next search) meets the detector.
    record = until(lambda: ((r := shop.record(placed["id"])) is not None and r.duplicate_store_orders and r)
                   or None, timeout=40, what="the duplicate detected")
    all_orders = shop.store_orders_for(placed["id"])
    assert len(all_orders) == 2
    oldest, newest = sorted(all_orders, key=lambda o: int(o["internalId"]))
    assert record.store_order_id == str(oldest["id"])
    assert record.duplicate_store_orders == (str(newest["id"]),)
    until(lambda: len(live_store_orders(shop, placed["id"])) == 1, timeout=20, what="the newer order cancelled")
    assert live_store_orders(shop, placed["id"])[0]["id"] == oldest["id"]
    until(lambda: shop.store_stock(shop.skus[sku]) == QTY - 1, timeout=20, what="the duplicate's stock put back")
    assert record.state == "created" and record.store_intent is None
