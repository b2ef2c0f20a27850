"""Catalog push of 1,000 and 10,000 products against the sandbox TikTok's rate limit, on the local cloud.

    python -m bench.catalog_push                          # 1,000 then 10,000 products
    python -m bench.catalog_push --products 1000          # one size
    python -m bench.catalog_push --smoke                  # 20 products, for a quick test

For each size, a fresh seller and store on one local cloud: a generated catalog without
deliberate flaws (enabled products only) is loaded into the sandbox Ecwid store, the merchant
connects it, pulls it without pushing (``POST /catalog/pull {"push": false}``), fills each
category's required TikTok attributes through the merchant API, and then the measured run
starts: ``POST /catalog/sync`` -> task worker -> catalog state machine (Prepare, a Map of push
pages, Finish) -> catalog step function -> TikTok, until the task is completed.

Measured over that run:
- throughput: TikTok calls per second on each API as a ratio of the sandbox's rate limit
  (requests/s per app + shop + API; 429 beyond); the headline ratio is the busiest API's (the
  one that bounds the push: image upload), and products created per second;
- 429s seen (from the sandbox's request log) and requests lost: every product must exist on
  TikTok exactly once (``external_product_id`` = store product id) - a product missing or
  created twice is lost;
- memory: the functions run in-process on the local cloud (with moto and the sandboxes), so
  the figure is the whole process's resident set (VmRSS sampled every 0.2 s, and
  ``getrusage`` maxrss), peak during the push minus just before it; the sandboxes keep
  every product in memory, so part of the growth is theirs, not the workers';
- API economy: TikTok calls per product created, by kind (create, image upload, other);
- AWS cost per 1,000 products from the counted usage (``LocalCloud.usage()`` priced by
  ``bench.cost``).

Results: ``bench/results/catalog_push.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).parent / "results" / "catalog_push.json"
CREATE = "/product/202309/products"
UPLOAD = "/product/202309/images/upload"
TOO_MANY_REQUESTS = 36009002
TARGET_RATIO = 0.85


class RequestLog:
    """Every TikTok API call the sandbox answers during the run. The sandbox keeps its last
    20,000 entries only, so a thread moves them out as they come (under the log's lock)."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.entries: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _drain(self) -> None:
        with self.sandbox._log_lock:  # the sandbox's own lock: nothing is added while we move them
            self.entries += self.sandbox._log
            self.sandbox._log.clear()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._drain()

    def start(self) -> RequestLog:
        self._drain()
        self.entries.clear()
        self._thread.start()
        return self

    def stop(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._thread.join(timeout=5)
        self._drain()
        return self.entries


class Memory:
    """Peak resident set of this process (VmRSS) while running, sampled every 0.2 s."""

    def __init__(self) -> None:
        self.baseline = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, _rss_mb())

    def start(self) -> Memory:
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join(timeout=5)
        self.peak = max(self.peak, _rss_mb())
        return {"rss_before_mb": round(self.baseline, 1), "rss_peak_mb": round(self.peak, 1),
                "rss_growth_mb": round(self.peak - self.baseline, 1),
                "maxrss_process_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def flawless_catalog(n: int, seed: int) -> Any:
    """``n`` generated products without deliberate flaws, all enabled (the generator's variety
    otherwise: options, combinations, several images, unlimited and zero stock)."""
    from local.sandbox_ecwid.catalog import generate_catalog

    catalog = generate_catalog(int(n * 1.3) + 10, seed)
    catalog.products = [p for p in catalog.products if not p.flaws and p.spec.get("enabled", True)][:n]
    if len(catalog.products) < n:
        raise RuntimeError(f"the generator gave fewer than {n} flawless products")
    return catalog


def _wait(probe: Any, timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


_HTTP = httpx.Client(timeout=60)


class Api:
    def __init__(self, url: str, connection_id: str, token: str) -> None:
        self.base = f"{url}/connections/{connection_id}"
        self.headers = {"authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        answer = _HTTP.request(method, self.base + path, headers=self.headers, **kwargs)
        if answer.status_code != status:
            raise RuntimeError(f"{method} {path}: HTTP {answer.status_code}: {answer.text[:300]}")
        return answer.json()

    def finished(self, task_id: str, timeout: float) -> dict[str, Any]:
        said = [time.monotonic()]

        def probe() -> dict[str, Any] | None:
            task = self.call("GET", f"/tasks/{task_id}", 200, params={"limit": 1})["task"]
            if task["state"] == "error":
                raise RuntimeError(f"task {task_id} ended in error: {task.get('error')}")
            if time.monotonic() - said[-1] > 30:  # a sign of life on long runs
                said.append(time.monotonic())
                print(f"    {task['kind']}: {task['counts'].get('done', 0)}/{task.get('total') or '?'} "
                      f"after {said[-1] - said[0]:.0f} s", flush=True)
            return task if task["state"] == "completed" else None

        return _wait(probe, timeout, f"task {task_id}")  # type: ignore[no-any-return]


def fill_categories(api: Api) -> int:
    """Each category's required TikTok attributes, filled in bulk with the first value TikTok lists."""
    filled = 0
    for mapping in api.call("GET", "/catalog/categories", 200)["categories"]:
        missing = {a: spec for a, spec in mapping["attributes"].items() if a in mapping["required_attributes"]}
        if not missing:
            continue
        values = {a: [{"id": next(iter(spec["values"].values()))}] if spec["values"] else [{"name": "Natural"}]
                  for a, spec in missing.items()}
        api.call("PUT", f"/catalog/categories/{mapping['store_category_id']}", 200,
                 json={"attribute_values": values})
        filled += 1
    return filled


def push(w: Any, n: int, seed: int, rate: float, timeout: float) -> dict[str, Any]:
    from bench import cost
    from local.world import Browser, page_values

    seller = w.tiktok.create_seller(f"Bench seller {n}", "US")
    shop_id = seller["shops"][0]["id"]
    w.tiktok.set_shop(shop_id, daily_listing_limit=10 * n + 1000)  # the real limit is per day; not measured here
    w.tiktok.set_rate_limit(rate)
    store_id = w.ecwid.create_store(f"Bench store {n}", currency="USD")
    page = Browser().install(w, seller_id=seller["id"], store_id=store_id)
    if page.status_code != 200:
        raise RuntimeError(f"install failed: HTTP {page.status_code}")
    values = page_values(page)
    api = Api(w.url, values["connection-id"], values["merchant-token"])
    _wait(lambda: [t for t in api.call("GET", "/tasks", 200, params={"kind": "catalog_pull"})["tasks"]
                   if t["state"] == "completed"], 60, "the install's pull of the empty store")

    started = time.monotonic()
    w.ecwid.load_catalog(store_id, flawless_catalog(n, seed))
    pull = api.finished(api.call("POST", "/catalog/pull", 202, json={"push": False})["task_id"], timeout)
    filled = fill_categories(api)
    prepared_s = time.monotonic() - started
    print(f"  {n} products pulled ({pull['counts']}), {filled} categories filled in {prepared_s:.1f} s", flush=True)

    w.cloud.wait_idle(timeout=120)
    images_before = _image_bytes(w)
    w.tiktok.reset_rate_limits()
    w.cloud.reset_usage()
    log = RequestLog(w.tiktok).start()
    memory = Memory().start()
    started = time.monotonic()
    task_id = api.call("POST", "/catalog/sync", 202, json={})["task_id"]
    task = api.finished(task_id, timeout)
    elapsed = time.monotonic() - started
    memory_figures = memory.stop()
    entries = log.stop()
    usage = w.cloud.usage()

    # Exactly once: every store product is one TikTok product.
    # The sandbox keeps every uploaded image's bytes: part of the process's growth is that.
    sandbox_images_mb = (_image_bytes(w) - images_before) / 2**20
    with w.tiktok.state.lock:
        on_tiktok = Counter(str(p.body.get("external_product_id")) for p in w.tiktok.state.products.values()
                            if p.shop_id == shop_id)
    store_ids = {str(k) for k in w.ecwid.state.store(store_id).products}
    missing = sorted(store_ids - set(on_tiktok))
    duplicated = {k: v for k, v in on_tiktok.items() if v > 1}
    counts = {k: v for k, v in task["counts"].items() if k != "done"}
    created = int(counts.get("created", 0))

    by_pattern: Counter[str] = Counter()
    throttled: Counter[str] = Counter()
    for entry in entries:
        if entry.get("shop_id") not in (shop_id, None):
            continue
        key = f"{entry['method']} {entry['pattern']}"
        by_pattern[key] += 1
        if entry.get("code") == TOO_MANY_REQUESTS:
            throttled[key] += 1
    kinds = {"create": by_pattern.get(f"POST {CREATE}", 0) - throttled.get(f"POST {CREATE}", 0),
             "image_upload": by_pattern.get(f"POST {UPLOAD}", 0) - throttled.get(f"POST {UPLOAD}", 0)}
    kinds["other"] = sum(by_pattern.values()) - sum(throttled.values()) - kinds["create"] - kinds["image_upload"]
    per_api = {key: {"calls": calls, "per_s": round(calls / elapsed, 2),
                     "ratio_of_limit": round(calls / elapsed / rate, 3), "429": throttled.get(key, 0)}
               for key, calls in by_pattern.most_common()}
    creates_per_s = created / elapsed if elapsed else 0.0
    result = {
        "products": n,
        "created": created,
        "task_counts": counts,
        "push_s": round(elapsed, 1),
        "prepare_s": round(prepared_s, 1),
        "rate_limit_per_s": rate,
        "creates_per_s": round(creates_per_s, 2),
        # TikTok limits each API separately: the push is bound by its busiest API (image upload).
        "throughput_ratio": max((v["ratio_of_limit"] for v in per_api.values()), default=0.0),
        "busiest_api": max(per_api, key=lambda k: per_api[k]["calls"], default=None),
        "creates_ratio": round(creates_per_s / rate, 3),
        "target_ratio": TARGET_RATIO,
        "http_429": sum(throttled.values()),
        "requests_lost": len(missing) + sum(v - 1 for v in duplicated.values()),
        "missing_on_tiktok": len(missing),
        "created_twice": len(duplicated),
        "tiktok_calls": sum(by_pattern.values()),
        "calls_per_product_created": {k: round(v / max(1, created), 3) for k, v in kinds.items()},
        "calls_by_api": per_api,
        "memory": {**memory_figures, "sandbox_tiktok_image_bytes_mb": round(sandbox_images_mb, 1)},
        "memory_measured": "whole local-cloud process (functions, moto, both sandboxes): VmRSS peak during the "
                           "push minus just before it; ru_maxrss of the process",
        "aws_usd_per_1000_products": cost.per(usage, max(1, created), 1000),
        "lambda_invocations": usage.get("lambda_invocations", 0),
        "state_transitions": usage.get("state_transitions", 0),
    }
    print(f"  pushed {n}: {created} created in {elapsed:.1f} s = {creates_per_s:.1f}/s"
          f"; busiest API {result['busiest_api']} at {result['throughput_ratio']:.0%} of {rate:g}/s; "
          f"429s {result['http_429']}, "
          f"lost {result['requests_lost']}; "
          f"calls/product {result['calls_per_product_created']}; RSS +{memory_figures['rss_growth_mb']} MB; "
          f"${result['aws_usd_per_1000_products']['total']} per 1,000 products", flush=True)
    return result


def _image_bytes(w: Any) -> int:
    with w.tiktok.state.lock:
        return sum(len(i.data) for i in w.tiktok.state.images.values())


def run(sizes: list[int], *, seed: int, rate: float, timeout: float, log: Path,
        concurrency: int | None = None) -> dict[str, Any]:
    from local.world import world

    runs = []
    # Short retry pauses: a page throttled by TikTok is tried again 1 s later (default 5 s).
    # The functions' logs go to a file, not to this summary.
    # The connector paces itself at the same rate as the sandbox's limit (TikTokRatePerSecond).
    parameters: dict[str, Any] = {"CatalogRetrySeconds": 1, "TikTokRatePerSecond": rate}
    if concurrency:
        parameters["CatalogPushConcurrency"] = concurrency
    with world(function_log=log, parameters=parameters) as w:
        for n in sizes:
            print(f"catalog push of {n} products (sandbox limit {rate:g} requests/s per API)", flush=True)
            runs.append(push(w, n, seed, rate, timeout))
    return {
        "benchmark": "catalog_push",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"machine": platform.machine(), "python": platform.python_version()},
        "push_concurrency": concurrency or "template default",
        "runs": runs,
        "requests_lost": sum(r["requests_lost"] for r in runs),
        "meets_target": all(r["throughput_ratio"] >= TARGET_RATIO and r["requests_lost"] == 0 for r in runs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, nargs="+", default=[1000, 10000], help="catalog sizes to push")
    parser.add_argument("--rate", type=float, default=50.0,
                        help="the sandbox's limit, requests/s per API and shop; the connector is deployed with "
                             "the same TikTokRatePerSecond (TikTok's default is 50)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds allowed for each task (default: 2 h, or 2 s per product if more; a "
                             "10,000-product push on a 2-core machine needs more than 2 h)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="pages pushed at once (the stack's CatalogPushConcurrency; default: the template's)")
    parser.add_argument("--smoke", action="store_true", help="20 products (a quick check, measures nothing)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = [20] if args.smoke else args.products
    log = Path(".local-cloud") / f"bench-{args.out.stem}.functions.log"  # git-ignored
    log.parent.mkdir(exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    timeout = 300 if args.smoke else args.timeout or max(7200.0, 2.0 * max(sizes))
    result = run(sizes, seed=args.seed, rate=args.rate, timeout=timeout, log=log, concurrency=args.concurrency)
    result["smoke"] = args.smoke
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))
    return 0 if result["requests_lost"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
