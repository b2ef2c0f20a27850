"""The stock latency benchmark runs end to end (tiny size) and writes its figures."""

from __future__ import annotations

import json
from pathlib import Path

from bench import stock_latency


def test_stock_latency_bench_smoke(tmp_path: Path) -> None:
    output = tmp_path / "stock_latency.json"
    result = stock_latency.main(["--smoke", "--out", str(output)])
    assert json.loads(output.read_text()) == result
    assert result["changes"] == 13 and result["bursts"] == 1 and result["single_changes"] == 3
    assert 1 <= result["inventory_calls_per_burst"]["max"] <= 2
    latency = result["latency_s"]
    assert latency["n"] == 4 and 0 < latency["p50"] <= latency["p95"] <= latency["max"] < 15
