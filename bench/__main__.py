"""`make bench`: every benchmark in one run, each in its own process, then one summary.

Usage: python -m bench [--smoke] [--only NAME ...] [--out DIR]

Each benchmark is a module ``bench.<name>`` that takes ``--out PATH`` (its JSON result) and
``--smoke`` (tiny sizes, for the test suite). The benchmarks a store platform changes (stock and
order latency) run once per platform (``--store``): Ecwid's figures under the benchmark's name,
Shopify's under ``<name>_shopify``. The summary (``summary.json`` in the output folder) keeps each
run's figures with the machine and the date.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCHES = ("cold_start", "stock_latency", "stock_burst", "order_latency", "catalog_push")
PER_STORE = {"stock_latency": ("ecwid", "shopify"), "order_latency": ("ecwid", "shopify")}
"""The benchmarks run once per store platform (the first platform's run keeps the plain name)."""
RESULTS = Path(__file__).with_name("results")


def machine() -> dict[str, Any]:
    return {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "system": platform.system(), "date": time.strftime("%Y-%m-%d")}


def run(names: list[str], out: Path, smoke: bool) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"machine": machine(), "smoke": smoke, "results": {}, "failed": {}}
    runs = [(name, store) for name in names for store in PER_STORE.get(name, (None,))]
    for bench, store in runs:
        first = store is None or store == PER_STORE[bench][0]
        name = bench if first else f"{bench}_{store}"
        path = out / f"{name}.json"
        command = [sys.executable, "-m", f"bench.{bench}", "--out", str(path)] + (["--smoke"] if smoke else [])
        command += ["--store", store] if store else []
        print(f"\n### bench.{bench}" + (f" --store {store}" if store else ""), flush=True)
        started = time.monotonic()
        done = subprocess.run(command, check=False)  # noqa: S603 (our own modules, fixed names)
        elapsed = round(time.monotonic() - started, 1)
        if done.returncode != 0 or not path.is_file():
            summary["failed"][name] = f"exit {done.returncode} after {elapsed} s"
            continue
        summary["results"][name] = json.loads(path.read_text())
        summary["results"][name]["wall_s"] = elapsed
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks every bench runs, measures nothing")
    parser.add_argument("--only", nargs="*", choices=BENCHES, default=list(BENCHES))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    summary = run(args.only, args.out, args.smoke)
    print(f"\nresults in {args.out}/ ({', '.join(sorted(summary['results']))})")
    for name, why in summary["failed"].items():
        print(f"FAILED bench.{name}: {why}", file=sys.stderr)
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
