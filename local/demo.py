"""`make demo`: the connector's journey on the local cloud, shown step by step.

Until the full merchant journey lands (install, catalog sync, orders: see the README), the demo
runs the smoke journey of the foundation: it brings template.yaml up on the local cloud, sends
an operator canary through the gateway and follows it across the queue, the worker, the state
machine and the table. It exits 0 when every step worked, non-zero with the reason otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def signed(method: str, url: str) -> httpx.Response:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from local.cloud.cloud import LOCAL_CREDENTIALS

    request = AWSRequest(method=method, url=url)
    SigV4Auth(Credentials(*LOCAL_CREDENTIALS), "execute-api", "us-east-1").add_auth(request)
    return httpx.request(method, url, headers=dict(request.headers.items()), timeout=30)


def run(keep: bool) -> int:
    from local.cloud import LocalCloud

    step("Starting the local cloud from template.yaml (moto's server, in this process)")
    started = time.monotonic()
    log_path = Path(".local-cloud") / "functions.log"
    cloud = LocalCloud(gateway_port=3000 if keep else 0, function_log=log_path)
    cloud.start()
    try:
        info: dict[str, Any] = cloud.describe()
        print(f"    up in {time.monotonic() - started:.1f} s: {len(info['functions'])} functions, "
              f"{len(info['queues'])} queues, {len(info['state_machines'])} state machine(s)")
        print(f"    gateway {info['gateway']}  routes: {', '.join(info['routes'])}")
        print(f"    function logs (JSON lines): {log_path}")

        step("Sending an operator canary through the gateway (IAM-signed POST /ops/canary)")
        response = signed("POST", f"{cloud.url}/ops/canary")
        if response.status_code != 202:
            raise RuntimeError(f"the gateway answered {response.status_code}: {response.text}")
        canary_id = response.json()["canary_id"]
        print(f"    canary {canary_id} accepted")

        step("Following it: API -> tasks queue -> task worker -> state machine -> step -> table")
        deadline = time.monotonic() + 30
        seen: set[str] = set()
        run_info: dict[str, Any] = {}
        while time.monotonic() < deadline:
            run_info = signed("GET", f"{cloud.url}/ops/canary/{canary_id}").json()
            for stage in run_info.get("stages", {}):
                if stage not in seen:
                    seen.add(stage)
                    print(f"    reached {stage}")
            if run_info.get("status") == "completed":
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"the canary stalled after stages {sorted(seen)}")

        step("Report")
        print(f"    canary completed end to end in {run_info['latency_ms']} ms")
        print("    The full merchant journey (install, catalog sync, orders) joins this demo as its")
        print("    features land; see the README's status table.")
        if keep:
            print(f"\nEverything keeps running. Gateway: {cloud.url} (Ctrl-C to stop)")
            while True:
                time.sleep(3600)
        return 0
    finally:
        cloud.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="The connector's journey on the local cloud.")
    parser.add_argument("--keep", action="store_true", help="leave everything running and print the URLs")
    args = parser.parse_args()
    try:
        code = run(args.keep)
    except KeyboardInterrupt:
        code = 0
    except Exception as exc:
        print(f"\nDEMO FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
