"""Shopify's cost-based rate limit against the sandbox: THROTTLED answers are waited out through the
shared limiter and sent again, so no call is lost, with one worker or two sharing the limiter."""

from __future__ import annotations

import math
import threading

import httpx

from connector.ratelimit import LocalRateLimiter, RateLimiter
from connector.stores import StoreProduct
from connector.stores.shopify import ShopifyCatalog
from connector.stores.shopify.config import PRODUCTS_PAGE
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.helpers import RecordingLimiter, quick_sleep

PRODUCTS = 48
BUCKET = 1000.0
RESTORE = 4000.0
"""Points per second: a drained bucket takes a quarter of a second to hold one page's cost."""


def _catalog(shopify: ShopifySandbox, shop: str, token: str, limiter: RateLimiter,
             http: httpx.Client) -> ShopifyCatalog:
    return ShopifyCatalog(shop, token, shop_base=shopify.shop_base, http=http, limiter=limiter,
                          sleep=quick_sleep, max_throttled=200)


def test_a_throttled_pull_waits_for_the_bucket_and_loses_nothing(
    shopify: ShopifySandbox, shop: str, token: str, http: httpx.Client
) -> None:
    seeded = shopify.seed_catalog(shop, PRODUCTS)
    shopify.set_cost_limits(BUCKET, RESTORE)
    shopify.drain_bucket(shop, throttle_next=2)
    limiter = RecordingLimiter()
    catalog = _catalog(shopify, shop, token, limiter, http)

    products = list(catalog.list_products())

    assert {p.ext_id for p in products} == {gid.rsplit("/", 1)[-1] for gid, _ in seeded}
    throttled = shopify.throttled_answers(shop)
    assert throttled >= 2
    assert catalog.transport.throttled_calls == throttled  # every THROTTLED answer was sent again
    served = shopify.served_for(shop)
    answered = [s for s in served if s.operation == "Products" and "THROTTLED" not in s.codes]
    assert len(answered) == math.ceil(PRODUCTS / PRODUCTS_PAGE)  # each page answered exactly once
    assert all(s.status == 200 and set(s.codes) <= {"THROTTLED"} for s in served)
    # the waits went through the shared limiter, sized by the bucket's refill
    waits = [seconds for key, seconds, _ in limiter.pauses if key == f"shopify#{shop}"]
    assert waits and all(0 < w <= BUCKET / RESTORE + 0.1 for w in waits)


def test_two_workers_sharing_the_limiter_each_get_the_whole_catalog(
    shopify: ShopifySandbox, shop: str, token: str, http: httpx.Client
) -> None:
    seeded = shopify.seed_catalog(shop, PRODUCTS)
    expected = {gid.rsplit("/", 1)[-1] for gid, _ in seeded}
    shopify.set_cost_limits(BUCKET, RESTORE)
    shopify.drain_bucket(shop, throttle_next=2)
    shared = LocalRateLimiter()
    workers = [_catalog(shopify, shop, token, shared, http) for _ in range(2)]
    results: list[list[StoreProduct]] = [[], []]
    failures: list[BaseException] = []

    def pull(index: int) -> None:
        try:
            results[index] = list(workers[index].list_products())
        except BaseException as exc:  # reported below, the thread must not swallow it
            failures.append(exc)

    threads = [threading.Thread(target=pull, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    for result in results:
        assert {p.ext_id for p in result} == expected
        assert len(result) == PRODUCTS
    throttled = shopify.throttled_answers(shop)
    assert throttled >= 2
    assert sum(w.transport.throttled_calls for w in workers) == throttled
    answered = [s for s in shopify.served_for(shop) if s.operation == "Products" and "THROTTLED" not in s.codes]
    assert len(answered) == 2 * math.ceil(PRODUCTS / PRODUCTS_PAGE)


def test_the_cost_report_of_each_answer_is_read(shopify: ShopifySandbox, shop: str, token: str,
                                                http: httpx.Client) -> None:
    shopify.seed_catalog(shop, 3)
    shopify.set_cost_limits(BUCKET, RESTORE)
    catalog = _catalog(shopify, shop, token, RecordingLimiter(), http)
    catalog.profile()
    cost = catalog.transport.last_cost
    assert cost is not None
    assert (cost.requested, cost.actual, cost.maximum, cost.restore_rate) == (1, 1, BUCKET, RESTORE)
    assert cost.available is not None and 0 <= cost.available <= BUCKET
