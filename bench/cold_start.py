"""Cold start: the import time of every handler module of template.yaml, each in a fresh
Python process (what Lambda pays on a cold start before the first event). Target: < 300 ms.

Usage: python -m bench.cold_start [--runs N] [--out bench/results/cold_start.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from local.cloud import template as tpl

TARGET_MS = 300.0
PROBE = """
import importlib.util, sys, time
sys.path.insert(0, {layer!r})
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler_under_test", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print((time.perf_counter() - started) * 1000)
"""


def handler_files() -> dict[str, Path]:
    template = tpl.load()
    found = {}
    for rid, res in template["Resources"].items():
        if res["Type"] == "AWS::Serverless::Function":
            props = tpl.function_properties(template, rid)
            module = props["Handler"].rpartition(".")[0]
            found[rid] = tpl.REPO_ROOT / props["CodeUri"] / f"{module}.py"
    return found


def measure(path: Path, runs: int) -> list[float]:
    layer = str(tpl.REPO_ROOT / "layers" / "shared")
    samples = []
    for _ in range(runs):
        out = subprocess.run(  # noqa: S603 - our own interpreter and probe
            [sys.executable, "-c", PROBE.format(layer=layer, path=str(path))],
            capture_output=True, text=True, check=True, timeout=60,
            env={"PATH": "/usr/bin:/bin", "POWERTOOLS_TRACE_DISABLED": "true"},
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return samples


def run(runs: int) -> dict[str, Any]:
    results = {}
    for rid, path in sorted(handler_files().items()):
        samples = measure(path, runs)
        results[rid] = {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1),
                        "runs": runs}
    worst = max(r["median_ms"] for r in results.values())
    return {
        "benchmark": "cold_start",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}".strip(),
        "target_ms": TARGET_MS,
        "worst_median_ms": worst,
        "meets_target": worst < TARGET_MS,
        "handlers": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=tpl.REPO_ROOT / "bench" / "results" / "cold_start.json")
    parser.add_argument("--smoke", action="store_true", help="one run per handler")
    args = parser.parse_args()
    if args.smoke:
        args.runs = 1
    report = run(args.runs)
    print(f"Cold start (import of each handler module, fresh process, median of {args.runs}):")
    for rid, result in report["handlers"].items():
        flag = "ok " if result["median_ms"] < TARGET_MS else "OVER"
        print(f"  {flag} {rid:32s} {result['median_ms']:7.1f} ms  (max {result['max_ms']:.1f})")
    print(f"  worst median {report['worst_median_ms']:.1f} ms, target < {TARGET_MS:.0f} ms")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
