"""The order relay under chaos with a Shopify shop: the same run and the same faults as Ecwid's
(``tests/e2e/test_orders_chaos.py``; the run is ``local/order_chaos.py``, the Shopify faults
``ShopifyChaos`` in ``local/shopify_order_scenario.py``), reproducible from a seed
(``ORDER_CHAOS_SEED``, default 7; printed):

paid buyer orders while TikTok answers server errors, timeouts and 429 bursts, 20% of its webhooks
are duplicated, 20% reordered and 10% dropped; Shopify answers server errors and late answers,
bursts of THROTTLED, its order search trails its writes by 2 s, some ``orderCreate`` calls are
applied and then answer 500 or lose their answer to the client's timeout (2 s,
``SHOPIFY_HTTP_TIMEOUT_SECONDS``), the shop is down for 5 s twice, and the relay itself crashes
between "store order created" and "recorded" in 5% of relays. After the faults stop and the
schedule (sweeper and re-scan) runs: exactly one Shopify order per paid TikTok order (found by its
``sourceIdentifier``), every record ``created``, no pending units left, stock equal on both sides.

Size: ``SHOPIFY_ORDER_CHAOS_ORDERS`` orders, default 60 (the suite's time budget: this file runs in
``make test`` beside Ecwid's 200-order run); the same code runs 200 with
``SHOPIFY_ORDER_CHAOS_ORDERS=200``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from connector.orders import relay as relay_module
from local.order_chaos import run_chaos
from local.shopify_order_scenario import ShopifyChaos, connect_shopify
from local.world import World, world

# A journey of minutes: it starts first, so the workers share the long files (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:No application metrics to publish")]

ORDERS = int(os.environ.get("SHOPIFY_ORDER_CHAOS_ORDERS", "60"))
SEED = int(os.environ.get("ORDER_CHAOS_SEED", "7"))
QTY = 1000


@pytest.fixture(scope="module")
def chaos_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    log = tmp_path_factory.mktemp("shopify-orders-chaos") / "functions.jsonl"
    env = {"ORDER_RELAY_CRASH_RATE": "0.05", "ORDER_RELAY_CRASH_SEED": str(SEED),
           "SHOPIFY_HTTP_TIMEOUT_SECONDS": "2"}
    with world(function_log=log, environment=env,
               parameters={"OrderBlockedRetrySeconds": 1, "OrderRelayRetrySeconds": 1,
                           "OrderSettleSeconds": 4}) as w:
        yield w


def test_paid_orders_under_chaos_are_in_shopify_exactly_once(chaos_world: World) -> None:
    w = chaos_world
    assert w.shopify is not None
    shop = connect_shopify(w, products=4, quantity=QTY)
    shop.settings(on_hold="wait", relay_fbt=False, placeholder_email="buyer@orders.example")
    w.shopify.set_search_lag(2)

    result = run_chaos(w, ShopifyChaos(shop), shop_id=shop.shop.id, sku_ids=list(shop.skus), orders=ORDERS,
                       seed=SEED, record=shop.record, crashes=lambda: len(relay_module._CRASHED))

    print("\n" + result.summary("shopify order chaos", SEED))
    assert result.store_orders == ORDERS and len(result.per_order) == ORDERS and result.duplicated == 0
    assert all(r.pending_units == {} and r.store_order_id for r in result.records)
    assert all(store == tiktok for store, tiktok in result.stock.values()), result.stock
    assert result.crashes >= 1  # the crash hook really fired (seeded: 5% of relays)
