"""Stock change in the store -> TikTok inventory updated, on the local cloud (target p95 < 2 s).

    python -m bench.stock_latency --changes 200      # >= 200 changes, bursts included
    python -m bench.stock_latency --smoke            # a handful, for a quick test
    python -m bench.stock_latency --store shopify    # the same with a Shopify store

A sandbox Ecwid product with four combinations (two with their own stock, two sharing the
product's), or with ``--store shopify`` a sandbox Shopify product with four variants stocked at
the mapped location, is linked to a sandbox TikTok listing; the bench changes stock through the
store (its webhooks travel the whole path: receiver -> store events queue -> events consumer ->
stock queue -> stock worker -> TikTok) and times each change until TikTok shows the new figure.
Every 20 changes hold one burst of 10 back-to-back changes on one SKU, timed from its last
change, and the TikTok inventory calls each burst cost are counted from the sandbox's request
log. Results: ``bench/results/stock_latency.json`` (Shopify: ``stock_latency_shopify.json``), with
the store platform under ``store``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.stock_scenario import StockLinked, settle, wait_for

if TYPE_CHECKING:
    from local.world import World

RESULTS = Path(__file__).parent / "results" / "stock_latency.json"
STORES = ("ecwid", "shopify")
BURST = 10


def results_path(store: str) -> Path:
    """Where a run's JSON goes by default: Ecwid's keeps the original name."""
    return RESULTS if store == "ecwid" else RESULTS.with_name(f"stock_latency_{store}.json")


def link(w: World, store: str) -> StockLinked:
    if store == "shopify":
        from local import shopify_stock_scenario

        return shopify_stock_scenario.connect_and_link(w, name="Bench")
    from local import stock_scenario

    return stock_scenario.connect_and_link(w, name="Bench")


def run(linked: StockLinked, changes: int, *, burst_offset: int = 10) -> dict[str, Any]:
    singles: list[float] = []
    bursts: list[float] = []
    burst_calls: list[int] = []
    quantity = 100
    done = 0
    # First figures on TikTok (the initial sync), so every change below is a real difference.
    linked.set_quantity(0, quantity)
    wait_for(lambda: linked.tiktok_quantities()[0] == quantity, 30, "initial sync")
    settle(linked)
    linked.world.cloud.reset_usage()  # price only the measured changes
    calls_before = linked.inventory_calls()
    while done < changes:
        if done % 20 == burst_offset and changes - done >= BURST:
            settle(linked)
            before = linked.inventory_calls()
            for _ in range(BURST):
                quantity += 1
                linked.set_quantity(1, quantity)
            final = quantity
            bursts.append(wait_for(lambda f=final: linked.tiktok_quantities()[1] == f, 30, "burst"))  # type: ignore[misc]
            settle(linked)
            burst_calls.append(linked.inventory_calls() - before)
            done += BURST
            continue
        quantity += 1
        index = done % 2
        linked.set_quantity(index, quantity)
        singles.append(wait_for(lambda q=quantity, i=index: linked.tiktok_quantities()[i] == q, 30, "stock change"))  # type: ignore[misc]
        done += 1
    every = singles + bursts
    settle(linked)
    from bench.cost import per

    usage = linked.world.cloud.usage()
    inventory_calls = linked.inventory_calls() - calls_before
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "changes": done,
        "single_changes": len(singles),
        "bursts": len(bursts),
        "burst_size": BURST,
        "latency_s": _summary(every),
        "single_latency_s": _summary(singles),
        "burst_latency_s": _summary(bursts),
        "inventory_calls_per_burst": {"max": max(burst_calls, default=0), "mean": round(statistics.fmean(
            burst_calls), 2) if burst_calls else 0, "each": burst_calls},
        "target_p95_s": 2.0,
        "meets_target": bool(every) and _summary(every)["p95"] < 2.0,
        "tiktok_inventory_calls_per_change": round(inventory_calls / done, 3) if done else 0,
        "aws_usd_per_10000_changes": per(usage, units=done, scale=10_000) if done else {},
        "lambda_invocations_per_change": round(usage["lambda_invocations"] / done, 2) if done else 0,
    }


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0, "n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"p50": round(statistics.median(ordered), 3), "p95": round(p95, 3), "max": round(ordered[-1], 3),
            "n": len(ordered)}


def main(argv: list[str] | None = None, running: World | None = None) -> dict[str, Any]:
    """``running``: a world already up (the test suite's), else one is started for the run."""
    from contextlib import nullcontext

    from local.world import world

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200, help="store stock changes to time (bursts included)")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (13 changes, one burst of 10) for tests")
    parser.add_argument("--store", choices=STORES, default="ecwid", help="the store platform (default: ecwid)")
    parser.add_argument("--out", "--output", dest="output", type=Path, default=None,
                        help="where the JSON result goes (python -m bench passes --out)")
    args = parser.parse_args(argv)
    args.output = args.output or results_path(args.store)
    changes = 13 if args.smoke else max(1, args.changes)
    with nullcontext(running) if running is not None else world() as w:
        linked = link(w, args.store)
        result = run(linked, changes, burst_offset=2 if args.smoke else 10)
    result["store"] = args.store
    result["smoke"] = args.smoke
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
