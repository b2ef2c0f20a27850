"""A listing a seller makes by hand in Seller Center (their own call to TikTok): the demo's
blocked order sells one, and the console tests reuse it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def view_seller(w: Any, shop_id: str) -> str:
    return str(w.tiktok.state.shops[shop_id].seller_id)


def hand_made_listing(w: Any, seller_id: str, shop_id: str, seller_sku: str) -> tuple[str, str]:
    """A listing made in Seller Center (the seller's own call to TikTok), live at once."""
    from connector.tiktok.client import ShopRef, TikTokClient
    from connector.tiktok.models import (
        ImageRef,
        InventoryEntry,
        PackageDimensions,
        PackageWeight,
        Price,
        ProductInput,
        SkuInput,
    )
    from connector.tiktok.oauth import StaticToken
    from local.sandbox_ecwid.images import render_png

    shop = w.tiktok.state.shops[shop_id]
    warehouse = shop.default_warehouse().id
    tokens = w.tiktok.issue_tokens(seller_id)
    client = TikTokClient(
        w.app_secret["tiktok_app_key"],
        w.app_secret["tiktok_app_secret"],
        api_base=w.tiktok.url,
        auth_base=w.tiktok.auth_url,
    ).with_tokens(StaticToken(tokens["access_token"]))
    ref = ShopRef(shop_id, shop.cipher)
    image = client.upload_image(ref, render_png(800, 800, (10, 120, 200), "hand"))
    created = client.create_product(
        ref,
        ProductInput(
            title="Hand made listing",
            description="<p>Made in Seller Center</p>",
            category_id="1000945",
            category_version="v2",
            main_images=[ImageRef(uri=image.uri)],
            skus=[
                SkuInput(
                    seller_sku=seller_sku,
                    inventory=[InventoryEntry(warehouse_id=warehouse, quantity=5)],
                    price=Price(amount=Decimal("12.00"), currency="USD"),
                )
            ],
            package_weight=PackageWeight(value="0.5", unit="KILOGRAM"),
            package_dimensions=PackageDimensions(length="10", width="10", height="10", unit="CENTIMETER"),
        ),
    )
    w.tiktok.review_now(created.product_id)
    return str(created.product_id), str(created.skus[0].id)
