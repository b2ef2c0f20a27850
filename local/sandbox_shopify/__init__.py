"""A sandbox Shopify for tests and local runs (see docs/shopify.md).

    sandbox = ShopifySandbox("client-id", "client-secret").start()
    sandbox.create_shop("demo.myshopify.com"); sandbox.seed_catalog("demo.myshopify.com", 300)
    SHOPIFY_SHOP_BASE=sandbox.shop_base

Run it alone with ``python -m local.sandbox_shopify`` (prints the base and a token).
"""

from __future__ import annotations

from local.sandbox_shopify.catalog import FLAWS, GeneratedProduct, generate_catalog
from local.sandbox_shopify.server import Fault, Served, ShopifySandbox, sign_query

__all__ = ["FLAWS", "Fault", "GeneratedProduct", "Served", "ShopifySandbox", "generate_catalog", "sign_query"]
