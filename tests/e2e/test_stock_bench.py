"""The stock benchmarks run end to end (tiny sizes, on the suite's world) and write their figures."""

from __future__ import annotations

import json
from pathlib import Path

from bench import stock_burst, stock_latency
from local.world import World


def test_stock_latency_bench_smoke(tmp_path: Path, connected_world: World) -> None:
    output = tmp_path / "stock_latency.json"
    result = stock_latency.main(["--smoke", "--out", str(output)], connected_world)
    assert json.loads(output.read_text()) == result
    assert result["changes"] == 13 and result["bursts"] == 1 and result["single_changes"] == 3
    assert 1 <= result["inventory_calls_per_burst"]["max"] <= 2
    latency = result["latency_s"]
    assert latency["n"] == 4 and 0 < latency["p50"] <= latency["p95"] <= latency["max"] < 15


def test_stock_latency_bench_smoke_with_a_shopify_store(tmp_path: Path, connected_world: World) -> None:
    """The same run with a Shopify product: its variants' stock edits reach TikTok by the signed
    inventory webhook, and the figures say which store they are for."""
    output = tmp_path / "stock_latency_shopify.json"
    result = stock_latency.main(["--smoke", "--store", "shopify", "--out", str(output)], connected_world)
    assert json.loads(output.read_text()) == result
    assert result["store"] == "shopify" and result["changes"] == 13 and result["bursts"] == 1
    assert 1 <= result["inventory_calls_per_burst"]["max"] <= 2
    latency = result["latency_s"]
    assert latency["n"] == 4 and 0 < latency["p50"] <= latency["p95"] <= latency["max"] < 15


def test_stock_burst_bench_smoke(tmp_path: Path, connected_world: World) -> None:
    """A few changes over one listing with two held calls: every change reaches TikTok and both
    measures come out of the two timelines."""
    output = tmp_path / "stock_burst.json"
    result = stock_burst.main(["--smoke", "--out", str(output)], connected_world)
    assert json.loads(output.read_text()) == result
    assert result["changes"] == 12 and result["skus"] == 4
    assert result["stalls"]["injected"] == 2 and result["stalls"]["taken"] <= 2
    latency = result["latency_s"]
    assert latency["n"] == 12 and 0 < latency["p50"] <= latency["p95"] <= latency["max"] < 15
    assert result["oversold_sku_s"] >= 0 and result["oversold_sku_s_no_settle"] >= result["oversold_sku_s"]
    assert result["tiktok_inventory_calls"] >= 1 and result["stale_oversold_sku_s"] >= 0
    # Where the time went: the store's webhooks, the events consumer and the stock worker ran,
    # the two queue consumers with their messages' waits.
    functions = result["functions"]
    assert functions["WebhookEcwidFunction"]["invocations"] >= 12
    for consumer in ("ConnectionEventsFunction", "StockSyncFunction"):
        assert functions[consumer]["invocations"] >= 1 and functions[consumer]["queue_wait_s"]["n"] >= 1
        waited = functions[consumer]["queue_wait_s"]
        assert -0.01 <= waited["p50"] <= waited["p95"] < 60  # SentTimestamp is in whole milliseconds
