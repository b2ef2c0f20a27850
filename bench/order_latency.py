"""Paid TikTok order -> store order created, on the local cloud (target p95 < 3 s).

    python -m bench.order_latency --orders 200     # >= 200 paid orders
    python -m bench.order_latency --smoke          # a handful, for a quick test
    python -m bench.order_latency --store shopify  # the same with a Shopify store

A connected store with four products linked to a four-SKU TikTok listing; a scripted buyer pays
orders of 1 to 3 lines at a steady pace; each order is timed from the buyer's checkout (paid at
once) until its store order exists (the whole path: TikTok webhook -> receiver -> TikTok events
queue -> events consumer, which relays it inline -> the store: Ecwid, or Shopify with
``--store shopify``, its order found again by ``sourceIdentifier``). The TikTok and store API
calls the run cost are counted from the sandboxes' request logs (the echo of our own store
writes included), and AWS usage is priced per 1,000 relayed orders (``bench.cost``).
Results: ``bench/results/order_latency.json`` (Shopify: ``order_latency_shopify.json``), with the
store platform under ``store``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.world import World

RESULTS = Path(__file__).parent / "results" / "order_latency.json"
TARGET_P95_S = 3.0
STORES = ("ecwid", "shopify")


def results_path(store: str) -> Path:
    """Where a run's JSON goes by default: Ecwid's keeps the original name."""
    return RESULTS if store == "ecwid" else RESULTS.with_name(f"order_latency_{store}.json")


def connect(w: World, store: str) -> tuple[Any, Callable[[], list[str]], Callable[[], int]]:
    """A connected store with four products linked to a four-SKU listing: the scenario, the TikTok
    order ids of the orders in the store, and the count of store API calls served so far."""
    if store == "shopify":
        from local.shopify_order_scenario import connect_shopify

        shop = connect_shopify(w, products=4, quantity=50_000)
        shopify = w.shopify
        assert shopify is not None
        return (shop, lambda: [str(o.get("sourceIdentifier")) for o in shopify.orders(shop.domain)],
                lambda: len(shopify.served_for(shop.domain)))
    from local.order_scenario import connect as connect_ecwid

    ecwid_shop = connect_ecwid(w, products=4, linked=4, quantity=50_000)
    return (ecwid_shop, lambda: [str(o.get("externalOrderId")) for o in w.ecwid.orders(ecwid_shop.store_id)],
            w.ecwid.request_count)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run(orders: int, interval_s: float, seed: int, store: str = "ecwid") -> dict[str, Any]:
    from bench import cost
    from local.world import world

    with world(parameters={"OrderBlockedRetrySeconds": 1, "OrderRelayRetrySeconds": 1}) as w:
        shop, in_store, store_requests = connect(w, store)
        shop.settings(on_hold="wait", relay_fbt=False)
        sku_ids = list(shop.skus)
        rng = random.Random(seed)
        # Warm up (first imports, first token reads) outside the measurement.
        warm = w.tiktok.place_order(shop.shop.id, [(sku_ids[0], 1)])["id"]
        deadline = time.monotonic() + 60
        while not shop.store_orders_for(warm) and time.monotonic() < deadline:
            time.sleep(0.05)
        w.cloud.wait_idle(timeout=60)
        tiktok_before = len(w.tiktok.requests())
        store_before = store_requests()
        w.cloud.reset_usage()

        placed_at: dict[str, float] = {}
        seen_at: dict[str, float] = {}
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                now = time.monotonic()
                for key in in_store():
                    if key in placed_at and key not in seen_at:
                        seen_at[key] = now
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        started = time.monotonic()
        for i in range(orders):
            lines = [(sku_ids[rng.randrange(len(sku_ids))], rng.randint(1, 2)) for _ in range(rng.randint(1, 3))]
            t0 = time.monotonic()
            order_id = w.tiktok.place_order(shop.shop.id, lines)["id"]
            placed_at[order_id] = t0
            pause = started + (i + 1) * interval_s - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        deadline = time.monotonic() + 300
        while len(seen_at) < orders and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        watcher.join(timeout=5)
        with contextlib.suppress(TimeoutError):  # other features' queues may still be busy
            w.cloud.wait_idle(timeout=60)
        usage = w.cloud.usage()
        tiktok_calls = len(w.tiktok.requests()) - tiktok_before
        store_calls = store_requests() - store_before
        latencies = [seen_at[o] - placed_at[o] for o in placed_at if o in seen_at]
        relayed = len(latencies)
        duplicates = sum(1 for o in placed_at if len(shop.store_orders_for(o)) > 1)
        result = {
            "benchmark": "order_latency",
            "store": store,
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": {"machine": platform.machine(), "python": platform.python_version()},
            "orders": orders, "relayed": relayed, "duplicates": duplicates,
            "interval_s": interval_s, "seed": seed,
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
            "latency_s": {
                "p50": round(statistics.median(latencies), 3) if latencies else None,
                "p95": round(_percentile(latencies, 0.95), 3) if latencies else None,
                "max": round(max(latencies), 3) if latencies else None,
            },
            "target_p95_s": TARGET_P95_S,
            "api_calls_per_order": {
                "tiktok": round(tiktok_calls / max(1, relayed), 2),
                "store": round(store_calls / max(1, relayed), 2),
            },
            "aws_usd_per_1000_orders": cost.per(usage, max(1, relayed), 1000),
            "lambda_invocations_per_order": {
                name: round(stats["invocations"] / max(1, relayed), 2)
                for name, stats in sorted(usage.get("lambda_by_function", {}).items())},
            "state_transitions_per_order": round(usage.get("state_transitions", 0) / max(1, relayed), 2),
        }
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between checkouts")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--smoke", action="store_true", help="10 orders (a quick check)")
    parser.add_argument("--store", choices=STORES, default="ecwid", help="the store platform (default: ecwid)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    args.out = args.out or results_path(args.store)
    orders = 10 if args.smoke else args.orders
    result = run(orders, args.interval, args.seed, args.store)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    ok = result["relayed"] == orders and result["duplicates"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
