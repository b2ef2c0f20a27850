"""Run the sandbox Shopify alone: ``python -m local.sandbox_shopify --products 300``."""

from __future__ import annotations

import argparse
import threading

from connector.stores.shopify.config import SCOPES
from local.sandbox_shopify.server import ShopifySandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A sandbox Shopify on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--client-id", default="sandbox-client-id")
    parser.add_argument("--client-secret", default="sandbox-client-secret")
    parser.add_argument("--shop", default="sandbox-shop.myshopify.com")
    parser.add_argument("--products", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    sandbox = ShopifySandbox(args.client_id, args.client_secret, seed=args.seed, port=args.port).start()
    sandbox.create_shop(args.shop)
    sandbox.seed_catalog(args.shop, args.products)
    token, _refresh = sandbox.issue_token(args.shop, SCOPES, expiring=False)
    print(f"SHOPIFY_SHOP_BASE={sandbox.shop_base}")
    print(f"shop {args.shop}, {args.products} products, token {token} (a sandbox token with the install scopes)")
    print(f"admin API: {sandbox.url}/_admin (see local/sandbox_shopify/admin.py)")
    print("Ctrl-C stops")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
