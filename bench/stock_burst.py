"""A burst of store stock changes over many SKUs while TikTok stalls some inventory calls, on the
local cloud: p95 change -> TikTok and oversold SKU-seconds (targets: p95 < 2 s, 0 oversold).

    python -m bench.stock_burst                      # 1,000 changes over 100 SKUs
    python -m bench.stock_burst --smoke              # 12 changes over 4 SKUs, for a quick test

Store products with four combinations, each with stock of its own, are linked to four-SKU
sandbox TikTok listings. The bench changes the SKUs' stock through the store at a steady pace
(every SKU's figures distinct, so each figure TikTok shows names the change it came from) while
the sandbox TikTok's fault switches hold some inventory calls: ``timeout`` (TikTok applies the
call, the answer is lost after the client's timeout: the call retries) and ``late`` (TikTok holds
the call, then applies it after newer ones and answers).

Measured from two timelines: the store's (each change and when it was made) and the sandbox
TikTok's applied inventory writes (``inventory_writes``: when each SKU's figure was applied).

- Change -> TikTok: from the change until TikTok first shows that figure or a newer one of the SKU.
- Oversold SKU-seconds: over every SKU, the time TikTok showed more than the store's figure
  (no reserve, no orders here: the store's figure is what TikTok should show), counted only
  once the store's figure had been lower for longer than the settle time (2 s, the latency
  target): a figure on its way is latency, a figure left above the store is an oversell. The
  count with no settle time at all is reported too (``oversold_sku_s_no_settle``), and the part
  of it that races cause, whatever the machine's pace (``stale_oversold_sku_s``): TikTok above
  the store on an older figure that landed after a newer one.
Where the time went (``functions``): each function's invocations during the burst, timed around
the local cloud's function host: how long each ran and, for a queue's batch, how long its
messages had waited on the queue (from SQS's ``SentTimestamp``) when the function got them.
Results: ``bench/results/stock_burst.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.stock_latency import _summary
from local.stock_scenario import Linked, connect_and_link, link_another, settle, wait_for

if TYPE_CHECKING:
    from local.world import World

RESULTS = Path(__file__).parent / "results" / "stock_burst.json"
SETTLE_S = 2.0
"""A store figure TikTok has not caught up with after this long counts as oversold."""
TARGET_P95_S = 2.0
STORE_READ = r"/products/\d+$"
"""The sandbox Ecwid's path of one product's read."""


@dataclass(frozen=True)
class Change:
    at: float
    sku: str
    quantity: int


@dataclass(frozen=True)
class Stall:
    at: float
    kind: str
    product_id: str


class InvocationTimes:
    """Every invocation of the local cloud's functions while in the ``with`` block: its function,
    how long it ran and how long each message of its batch had waited on its queue."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.ran: list[tuple[str, float, list[float]]] = []

    def __enter__(self) -> InvocationTimes:
        invoke = type(self.host).invoke

        def timed(key: str, event: Any) -> Any:
            started, wall = time.monotonic(), time.time()
            result = invoke(self.host, key, event)
            records = event.get("Records", []) if isinstance(event, dict) else []
            waits = [wall - int(r["attributes"]["SentTimestamp"]) / 1000 for r in records
                     if isinstance(r, dict) and (r.get("attributes") or {}).get("SentTimestamp")]
            self.ran.append((self.host.get(key).logical_id, time.monotonic() - started, waits))
            return result

        self.host.invoke = timed  # this host only; its pollers and gateway call it by attribute
        return self

    def __exit__(self, *exc: object) -> None:
        del self.host.invoke

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in sorted({name for name, _, _ in self.ran}):
            runs = [(took, waits) for n, took, waits in self.ran if n == name]
            waits = [w for _, ws in runs for w in ws]
            out[name] = {"invocations": len(runs), "ran_s": _summary([took for took, _ in runs]),
                         **({"queue_wait_s": _summary(waits),
                             "messages_per_batch": round(len(waits) / len(runs), 1)} if waits else {})}
        return out


def run(listings: Sequence[Linked], changes: int, *, rate: float, stalls: int, stall_s: float, late_s: float,
        seed: int = 7, timeline: dict[str, Any] | None = None) -> dict[str, Any]:
    """The burst; ``timeline`` (when given) receives both timelines and the stalls, as measured."""
    w = listings[0].world
    skus = [(linked, index) for linked in listings for index in range(len(linked.sku_ids))]
    rng = random.Random(seed)
    per_sku = -(-changes // len(skus))
    figures = {linked.sku_ids[i]: rng.sample(range(0, 3 * per_sku + 10), per_sku + 1) for linked, i in skus}
    # Every SKU starts on its first figure, on both sides, before the clock starts.
    for linked, index in skus:
        linked.set_quantity(index, figures[linked.sku_ids[index]][0])
    wait_for(lambda: all(_shown(linked)[i] == figures[linked.sku_ids[i]][0] for linked, i in skus), 120,
             "the first figures on TikTok", 0.05)
    settle(listings[0], timeout=120)
    order = [(linked, index) for linked, index in skus for _ in range(per_sku)]
    rng.shuffle(order)
    order = order[:changes]
    used = dict.fromkeys(figures, 1)
    stall_every = max(1, len(order) // (stalls + 1)) if stalls else 0
    store: list[Change] = [Change(0.0, linked.sku_ids[i], figures[linked.sku_ids[i]][0]) for linked, i in skus]
    injected: list[Stall] = []
    w.tiktok.clear_inventory_writes()
    calls_before = len(w.tiktok.requests(pattern="/product/202309/products/{product_id}/inventory/update"))
    reads_before, refused_before = w.ecwid.request_count("GET", STORE_READ), w.ecwid.request_count(status=429)
    with InvocationTimes(w.cloud.host) as timed:
        started = time.monotonic()
        for n, (linked, index) in enumerate(order):
            if stall_every and n % stall_every == stall_every // 2 and len(injected) < stalls:
                kind = "timeout" if len(injected) % 2 == 0 else "late"
                w.tiktok.inject_fault(kind, count=1, path=f"{linked.tiktok_product_id}/inventory/update",
                                      delay_s=stall_s if kind == "timeout" else late_s, after=kind == "timeout")
                injected.append(Stall(time.time(), kind, linked.tiktok_product_id))
            sku = linked.sku_ids[index]
            quantity = figures[sku][used[sku]]
            used[sku] += 1
            pause = started + n / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # the bench's pace, not a wait on the system
            at = time.time()
            linked.set_quantity(index, quantity)
            store.append(Change(at, sku, quantity))
        sent_s = time.monotonic() - started
        last = {sku: figures[sku][used[sku] - 1] for sku in figures}
        wait_for(lambda: all(_shown(linked)[i] == last[linked.sku_ids[i]] for linked, i in skus), 180,
                 "every last figure on TikTok", 0.1)
        settle(listings[0], timeout=180)
    ended = time.time()
    untaken = len(w.tiktok.faults())  # a held call injected where no call came afterwards
    w.tiktok.clear_faults()
    writes = [(e["t"], e["sku_id"], int(e["quantity"])) for e in w.tiktok.inventory_writes()]
    measured = [c for c in store if c.at > 0]
    latencies = _latencies(measured, writes)
    oversold = _oversold(store, writes, ended, settle_s=SETTLE_S)
    oversold_raw = _oversold(store, writes, ended, settle_s=0.0)
    stale = _stale_oversold(store, writes, ended)
    calls = len(w.tiktok.requests(pattern="/product/202309/products/{product_id}/inventory/update")) - calls_before
    reads = w.ecwid.request_count("GET", STORE_READ) - reads_before
    summary = _summary(latencies)
    if timeline is not None:
        timeline.update({"store": [[c.at, c.sku, c.quantity] for c in store], "tiktok": writes,
                         "stalls": [[x.at, x.kind, x.product_id] for x in injected]})
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "changes": len(measured),
        "skus": len(skus),
        "products": len(listings),
        "pace_changes_per_s": round(len(measured) / sent_s, 1) if sent_s else 0,
        "stalls": {"injected": len(injected), "taken": len(injected) - untaken,
                   "timeout": sum(1 for s in injected if s.kind == "timeout"),
                   "late": sum(1 for s in injected if s.kind == "late"), "timeout_stall_s": stall_s,
                   "late_s": late_s},
        "latency_s": summary,
        "target_p95_s": TARGET_P95_S,
        "settle_s": SETTLE_S,
        "oversold_sku_s": round(sum(oversold.values()), 3),
        "oversold_skus": sorted(sku for sku, v in oversold.items() if v > 0),
        "oversold_sku_s_no_settle": round(sum(oversold_raw.values()), 3),
        "stale_oversold_sku_s": round(sum(stale.values()), 3),
        "stale_oversold_skus": sorted(sku for sku, v in stale.items() if v > 0),
        "meets_target": bool(latencies) and summary["p95"] < TARGET_P95_S and sum(oversold.values()) == 0,
        "tiktok_inventory_calls": calls,
        # The store's API budget (Ecwid: 600 requests a minute per store) bounds the pace a store
        # can sustain: every product sync reads the product once.
        "store_product_reads": reads,
        "store_product_reads_per_s": round(reads / sent_s, 2) if sent_s else 0,
        "store_rate_limited": w.ecwid.request_count(status=429) - refused_before,
        "tiktok_inventory_writes_per_change": round(len(writes) / len(measured), 3) if measured else 0,
        "functions": timed.summary(),
    }


def _shown(linked: Linked) -> list[int]:
    return linked.tiktok_quantities()


def _latencies(changes: Sequence[Change], writes: Sequence[tuple[float, str, int]]) -> list[float]:
    """Per change: seconds until TikTok applied that figure or a newer one of the same SKU."""
    by_sku: dict[str, list[Change]] = {}
    for change in changes:
        by_sku.setdefault(change.sku, []).append(change)
    out: list[float] = []
    for sku, mine in by_sku.items():
        landed = [(t, q) for t, s, q in writes if s == sku]
        for i, change in enumerate(mine):
            newer = {c.quantity for c in mine[i:]}
            first = next((t for t, q in landed if t >= change.at and q in newer), None)
            if first is None:
                raise RuntimeError(f"change to {change.quantity} on SKU {sku} never reached TikTok")
            out.append(first - change.at)
    return out


def _oversold(store: Sequence[Change], writes: Sequence[tuple[float, str, int]], until: float, *,
              settle_s: float) -> dict[str, float]:
    """Per SKU: seconds TikTok showed more than the store, once the store's lower figure was
    older than ``settle_s``."""
    out: dict[str, float] = {}
    skus = {c.sku for c in store}
    for sku in skus:
        # The store's figure as a step function; TikTok's as the last applied write.
        steps = sorted((c.at, c.quantity) for c in store if c.sku == sku)
        shown = sorted((t, q) for t, s, q in writes if s == sku)
        start_figure = steps[0][1]
        events = sorted({t for t, _ in steps} | {t for t, _ in shown} | {t + settle_s for t, _ in steps} | {until})
        total = 0.0
        for a, b in itertools.pairwise(events):
            mid = (a + b) / 2
            tiktok = next((q for t, q in reversed(shown) if t <= mid), start_figure)
            # What TikTok may still show at ``mid``: any store figure of the last ``settle_s``.
            allowed = max(q for t, q in _window(steps, mid - settle_s, mid))
            if tiktok > allowed:
                total += b - a
        out[sku] = total
    return out


def _stale_oversold(store: Sequence[Change], writes: Sequence[tuple[float, str, int]],
                    until: float) -> dict[str, float]:
    """Per SKU: seconds TikTok showed more than the store on a figure older than one it had
    already shown (a write that landed after a newer one)."""
    out: dict[str, float] = {}
    for sku in {c.sku for c in store}:
        steps = sorted((c.at, c.quantity) for c in store if c.sku == sku)
        index_of = {q: i for i, (_, q) in enumerate(steps)}
        shown = sorted((t, q) for t, s, q in writes if s == sku)
        newest = -1
        total = 0.0
        for k, (t, q) in enumerate(shown):
            end = shown[k + 1][0] if k + 1 < len(shown) else until
            age = index_of.get(q, -1)
            if age < newest:
                cuts = [t] + [at for at, _ in steps if t < at < end] + [end]
                for a, b in itertools.pairwise(cuts):
                    in_store = next((x for at, x in reversed(steps) if at <= a), steps[0][1])
                    if q > in_store:
                        total += b - a
            newest = max(newest, age)
        out[sku] = total
    return out


def _window(steps: Sequence[tuple[float, int]], start: float, end: float) -> list[tuple[float, int]]:
    """The store's figures in force at some moment of [start, end]."""
    before = [s for s in steps if s[0] <= start]
    inside = [s for s in steps if start < s[0] <= end]
    return ([before[-1]] if before else []) + inside


def listings_for(w: World, skus: int, name: str) -> list[Linked]:
    """Four-SKU listings, every combination with stock of its own, on one new connection."""
    first = connect_and_link(w, name=name)
    # The first listing's last two combinations share the product's stock: give it its own.
    listings = [link_another(first, name=f"{name}-0")]
    while len(listings) * 4 < skus:
        listings.append(link_another(first, name=f"{name}-{len(listings)}"))
    return listings


def main(argv: list[str] | None = None, running: World | None = None) -> dict[str, Any]:
    """``running``: a world already up (the test suite's), else one is started for the run."""
    import os
    from contextlib import nullcontext

    from local.cloud import template
    from local.world import world

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--skus", type=int, default=100, help="rounded up to whole four-SKU listings")
    parser.add_argument("--rate", type=float, default=10.0, help="store changes per second")
    parser.add_argument("--stalls", type=int, default=20, help="TikTok inventory calls held (half timeout, half late)")
    parser.add_argument("--smoke", action="store_true", help="12 changes over 4 SKUs, two stalls, for tests")
    parser.add_argument("--out", "--output", dest="output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.changes, args.skus, args.rate, args.stalls = 12, 4, 12.0, 2
    stall_s = 12.0 if not args.smoke else 1.0
    # The catalog's re-read window as deployed (the local worlds shorten it for the tests).
    window = template.load()["Parameters"]["CatalogRefreshSeconds"]["Default"]
    with nullcontext(running) if running is not None else world(parameters={"CatalogRefreshSeconds": window}) as w:
        listings = listings_for(w, args.skus, "Burst")
        result = run(listings, args.changes, rate=args.rate, stalls=args.stalls, stall_s=stall_s,
                     late_s=1.0 if args.smoke else 3.0)
    result["smoke"] = args.smoke
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
