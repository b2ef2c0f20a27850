"""`make bench` in smoke mode (tiny sizes): every benchmark runs through ``python -m bench`` in
its own process and writes its JSON with its key figures. Measures nothing; checks the suite
still runs end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# A journey of minutes: it starts first, so the workers share the long files (tests/conftest.py).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(1200)
def test_every_bench_runs_in_smoke_mode_and_writes_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    done = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out)], cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True, timeout=1140, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["smoke"] is True and summary["failed"] == {}
    assert set(summary["results"]) == {"cold_start", "stock_latency", "stock_burst", "order_latency", "catalog_push",
                                       "stock_latency_shopify", "order_latency_shopify"}

    cold = json.loads((out / "cold_start.json").read_text())
    assert cold["handlers"] and all(h["median_ms"] > 0 for h in cold["handlers"].values())

    stock = json.loads((out / "stock_latency.json").read_text())
    assert stock["changes"] >= 10 and 0 < stock["latency_s"]["p50"] <= stock["latency_s"]["p95"]
    assert stock["inventory_calls_per_burst"]["each"]
    assert float(stock["aws_usd_per_10000_changes"]["total"]) > 0 and stock["tiktok_inventory_calls_per_change"] > 0

    burst = json.loads((out / "stock_burst.json").read_text())
    assert burst["changes"] > 0 and burst["latency_s"]["n"] == burst["changes"]
    assert burst["oversold_sku_s"] >= 0 and burst["stalls"]["injected"] > 0

    orders = json.loads((out / "order_latency.json").read_text())
    assert orders["relayed"] == orders["orders"] > 0 and orders["duplicates"] == 0
    assert 0 < orders["latency_s"]["p50"] <= orders["latency_s"]["p95"]
    assert float(orders["aws_usd_per_1000_orders"]["total"]) > 0

    for name, store in (("stock_latency", "ecwid"), ("stock_latency_shopify", "shopify")):
        figures = json.loads((out / f"{name}.json").read_text())
        assert figures["store"] == store and figures["latency_s"]["n"] > 0
    for name, store in (("order_latency", "ecwid"), ("order_latency_shopify", "shopify")):
        figures = json.loads((out / f"{name}.json").read_text())
        assert figures["store"] == store and figures["relayed"] == figures["orders"] > 0
        assert figures["duplicates"] == 0

    catalog = json.loads((out / "catalog_push.json").read_text())
    (run,) = catalog["runs"]
    assert run["products"] == 20 and run["created"] == 20 and run["requests_lost"] == 0
    assert run["missing_on_tiktok"] == 0 and run["created_twice"] == 0
    assert run["calls_per_product_created"]["create"] == 1.0
    assert run["calls_per_product_created"]["image_upload"] >= 1.0
    assert run["throughput_ratio"] > 0 and run["http_429"] >= 0
    assert run["memory"]["rss_peak_mb"] > 0 and float(run["aws_usd_per_1000_products"]["total"]) > 0
