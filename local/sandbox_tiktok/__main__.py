"""Run the sandbox on its own: ``python -m local.sandbox_tiktok --port 8710``.

Prints the three URLs to configure the connector with (TIKTOK_API_BASE, TIKTOK_AUTH_BASE,
TIKTOK_AUTHORIZE_URL) and a seller with one US shop; drive it through ``/_admin/``.
"""

from __future__ import annotations

import argparse
import json
import threading

from local.sandbox_tiktok.sandbox import TikTokSandbox


def main() -> None:
    parser = argparse.ArgumentParser(description="Sandbox TikTok Shop on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8710)
    parser.add_argument("--app-key", default="sandbox-app-key")
    parser.add_argument("--app-secret", default="sandbox-app-secret")
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--redirect-url", default=None)
    parser.add_argument("--time-scale", type=float, default=0.01)
    parser.add_argument("--rate-limit", type=float, default=50)
    args = parser.parse_args()
    sandbox = TikTokSandbox(
        args.app_key,
        args.app_secret,
        webhook_url=args.webhook_url,
        redirect_url=args.redirect_url,
        time_scale=args.time_scale,
        rate_limit_per_second=args.rate_limit,
        port=args.port,
    ).start()
    seller = sandbox.create_seller("Demo Seller", "US")
    print(f"TIKTOK_API_BASE={sandbox.url}")
    print(f"TIKTOK_AUTH_BASE={sandbox.auth_url}")
    print(f"TIKTOK_AUTHORIZE_URL={sandbox.authorize_url}")
    print(json.dumps({"seller": seller["id"], "shops": [s["id"] for s in seller["shops"]]}))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sandbox.stop()


if __name__ == "__main__":
    main()
