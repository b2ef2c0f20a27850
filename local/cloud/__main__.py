"""`make local`: start the local cloud and keep it running, printing the URLs to explore."""

from __future__ import annotations

import argparse
import json
import signal
import threading

from local.cloud import LocalCloud


def main() -> None:
    parser = argparse.ArgumentParser(description="Run template.yaml on the local cloud (moto's server).")
    parser.add_argument("--port", type=int, default=3000, help="gateway port on 127.0.0.1 (default 3000)")
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        help="schedules fire this many times faster than real time (0 = only on demand)",
    )
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Merchant emails: read them with `python -m connector.notifications outbox --endpoint-url <moto>`.
    with LocalCloud(
        gateway_port=args.port,
        clock_speed=args.clock_speed or None,
        parameters={"NotificationSender": "notifications@connector.localhost"},
    ) as cloud:
        print(json.dumps(cloud.describe(), indent=2))
        print(f"\nLocal cloud up. Gateway: {cloud.url}  (Ctrl-C to stop)")
        stop.wait()


if __name__ == "__main__":
    main()
