"""``python -m bench.order_latency --smoke`` still runs end to end and writes its figures, with an
Ecwid store and with a Shopify store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import order_latency


@pytest.mark.parametrize("store", ["ecwid", "shopify"])
def test_order_latency_bench_smoke(tmp_path: Path, store: str) -> None:
    out = tmp_path / "order_latency.json"

    assert order_latency.main(["--smoke", "--interval", "0.5", "--store", store, "--out", str(out)]) == 0

    result = json.loads(out.read_text())
    assert result["store"] == store
    assert result["relayed"] == result["orders"] == 10 and result["duplicates"] == 0
    assert 0 < result["latency_s"]["p50"] <= result["latency_s"]["p95"] <= result["latency_s"]["max"]
    assert result["api_calls_per_order"]["tiktok"] > 0
    assert result["state_transitions_per_order"] == 0  # no state machine on the common path
    assert float(result["aws_usd_per_1000_orders"]["total"]) > 0
