"""``python -m local.demo [--store ecwid|shopify] [--keep]``: see the package's description."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from local.demo.journey import journey
from local.demo.output import DemoFailed, current_step, show, step
from local.demo.store import PLATFORMS, driver_for


def run(platform: str, keep: bool) -> int:
    from local.world import world

    step(
        f"Starting the sandbox TikTok Shop, the sandbox {platform.title()} store and the local cloud (template.yaml)"
    )
    started = time.monotonic()
    log_path = Path(".local-cloud") / "functions.log"
    # Short retry pauses so the journey's retries happen while you watch (defaults: 5 s, 600 s).
    with world(
        function_log=log_path,
        parameters={"CatalogRetrySeconds": 1, "OrderBlockedRetrySeconds": 1, "OrderRelayRetrySeconds": 1},
    ) as w:
        info = w.cloud.describe()
        show(
            f"up in {time.monotonic() - started:.1f} s: {len(info['functions'])} functions, "
            f"{len(info['queues'])} queues, {len(info['state_machines'])} state machine(s), "
            f"{len(info['routes'])} routes"
        )
        show(f"gateway {w.url}")
        store = driver_for(platform, w)
        try:
            return journey(w, store, keep)
        finally:  # no webhook lands on a cloud that is stopping
            w.tiktok.set_webhook_url(None)
            store.stop_webhooks()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.demo",
                                     description="The connector's journey on the local cloud.")
    parser.add_argument("--store", choices=PLATFORMS, default="ecwid",
                        help="the merchant's store platform (default: ecwid)")
    parser.add_argument("--keep", action="store_true", help="leave everything running and print the URLs")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        code = run(args.store, args.keep)
    except KeyboardInterrupt:
        code = 0
    except Exception as exc:  # every failure ends the demo with its step and reason
        kind = "" if isinstance(exc, DemoFailed) else f"{type(exc).__name__}: "
        print(f'\nDEMO FAILED at step "{current_step()}": {kind}{exc}', file=sys.stderr, flush=True)
        code = 1
    print(f"(demo wall time {time.monotonic() - started:.0f} s)", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
