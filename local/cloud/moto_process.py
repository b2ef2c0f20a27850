"""The AWS emulator's own process (see :class:`local.cloud.moto_server.MotoServer`).

    python -m local.cloud.moto_process --port 5000 [--metered] [--lambda-url URL]
"""

from __future__ import annotations

import argparse
import logging
import os

from local.cloud.moto_server import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto's server as the local cloud runs it")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--metered", action="store_true", help="count what each request would cost")
    parser.add_argument("--lambda-url", help="where Lambda functions are invoked")
    args = parser.parse_args(argv)
    # moto's Step Functions interpreter calls the other services on this server's port.
    os.environ["MOTO_PORT"] = str(args.port)
    logging.basicConfig(level=logging.WARNING, format="aws emulator: %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    run(args.host, args.port, metered=args.metered, lambda_url=args.lambda_url)


if __name__ == "__main__":
    main()
