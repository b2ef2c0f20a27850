"""Run the sandbox Ecwid alone: ``python -m local.sandbox_ecwid --products 50``."""

from __future__ import annotations

import argparse
import threading

from local.sandbox_ecwid.server import EcwidSandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A sandbox Ecwid store on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--client-id", default="sandbox-client-id")
    parser.add_argument("--client-secret", default="sandbox-client-secret")
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--products", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    sandbox = EcwidSandbox(
        args.client_id,
        args.client_secret,
        webhook_url=args.webhook_url,
        time_scale=args.time_scale,
        seed=args.seed,
        port=args.port,
    ).start()
    store_id = sandbox.default_store_id
    assert store_id is not None
    sandbox.seed_catalog(store_id, args.products)
    token = sandbox.issue_token(store_id)
    print(f"ECWID_API_BASE={sandbox.url}")
    print(f"ECWID_OAUTH_BASE={sandbox.oauth_url}")
    print(f"store id {store_id}, {args.products} products, token {token} (a sandbox token)")
    print("admin: GET /_admin/requests, /_admin/webhooks; Ctrl-C stops")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
