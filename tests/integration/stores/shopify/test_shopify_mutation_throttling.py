"""THROTTLED answers to mutations: two workers sharing one limiter write stock and create orders
while the shop's cost bucket is spent; every throttled mutation is sent again, none is lost and
none is applied twice."""

from __future__ import annotations

import threading
from decimal import Decimal

import httpx

from connector.ratelimit import LocalRateLimiter
from connector.stores import OrderLine, OrderTotals, ShipTo, StoreOrderDraft
from connector.stores.shopify import ShopifyCatalog
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.helpers import quick_sleep
from tests.integration.stores.shopify.conftest import simple_product

BUCKET = 1000.0
RESTORE = 2000.0
ROUNDS = 6


def test_two_workers_lose_no_throttled_mutation(shopify: ShopifySandbox, shop: str, write_token: str,
                                                http: httpx.Client) -> None:
    variant = shopify.state.add_product(shop, simple_product("TEE", quantity=100))["variants"][0]
    key, item = variant["id"].rsplit("/", 1)[-1], variant["inventoryItem"]["id"]
    shared = LocalRateLimiter()
    workers = [ShopifyCatalog(shop, write_token, shop_base=shopify.shop_base, http=http, limiter=shared,
                              sleep=quick_sleep, max_throttled=200) for _ in range(2)]
    workers[0].location_id  # noqa: B018 (read the location before the bucket is spent)
    workers[1].location_id  # noqa: B018
    shopify.set_cost_limits(BUCKET, RESTORE)
    shopify.drain_bucket(shop, throttle_next=2)
    shopify.throttle_operation(shop, "AdjustStock|CreateOrder", times=6)
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for round_ in range(ROUNDS):
                workers[index].adjust_stock(key, -1)
                workers[index].create_order(StoreOrderDraft(
                    tiktok_order_id=f"5764607523034{index}{round_:04d}",
                    lines=(OrderLine(variant_key=key, sku="TEE", name="Tee", quantity=1,
                                     unit_price=Decimal("12.50")),),
                    ship_to=ShipTo(name="Ada Lovelace", city="Springfield", postal="62701", country="US"),
                    email="buyer@example.com", currency="USD",
                    totals=OrderTotals(subtotal=Decimal("12.50"), total=Decimal("12.50"))))
        except BaseException as exc:  # reported below, the thread must not swallow it
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    assert len(shopify.orders(shop)) == 2 * ROUNDS
    # 12 deltas of -1 and 12 orders of one unit each: every write applied exactly once
    assert shopify.stock_level(shop, item) == {"available": 100 - 4 * ROUNDS, "committed": 2 * ROUNDS,
                                               "on_hand": 100 - 2 * ROUNDS}
    throttled = shopify.throttled_answers(shop)
    assert throttled >= 8
    assert sum(w.transport.throttled_calls for w in workers) == throttled
    mutations = [s for s in shopify.served_for(shop) if s.operation in ("AdjustStock", "CreateOrder")]
    assert len([s for s in mutations if "THROTTLED" in s.codes]) >= 6
    assert len([s for s in mutations if "THROTTLED" not in s.codes]) == 4 * ROUNDS
