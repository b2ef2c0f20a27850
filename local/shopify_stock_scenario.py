"""A stock scenario on the local cloud with a Shopify store, used by the stock bench: a sandbox
Shopify product with four variants (each stocked at the shop's primary location, the one the
install maps to the TikTok warehouse) linked by hand to a live four-SKU sandbox TikTok listing,
so stock can be exercised without the catalog push. The merchant's stock edits are the sandbox
admin's (each sends its signed ``inventory_levels/update`` webhook)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from local.stock_scenario import INVENTORY, _tiktok_listing
from local.world import Browser, World, page_values

SIZES = ("M", "L", "XL", "XXL")


def _number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


@dataclass
class ShopifyLinked:
    """A Shopify product with four variants linked to a four-SKU TikTok listing."""

    world: World
    connection_id: str
    merchant_token: str
    domain: str
    variant_gids: list[str]
    tiktok_product_id: str
    sku_ids: list[str]

    def set_quantity(self, index: int, quantity: int) -> None:
        """A merchant's edit of one variant's stock at the primary location."""
        assert self.world.shopify is not None
        self.world.shopify.set_available(self.domain, self.variant_gids[index], quantity)

    def tiktok_quantities(self) -> list[int]:
        skus = {
            s["id"]: sum(i["quantity"] for i in s["inventory"])
            for s in self.world.tiktok.product(self.tiktok_product_id)["skus"]
        }
        return [skus[sku] for sku in self.sku_ids]

    def inventory_calls(self) -> int:
        return sum(1 for r in self.world.tiktok.requests(pattern=INVENTORY) if self.tiktok_product_id in r["path"])

    def store_webhooks_idle(self) -> bool:
        assert self.world.shopify is not None
        return self.world.shopify.webhooks.idle()


def connect_and_link(w: World, *, name: str = "Stock") -> ShopifyLinked:
    """Install a Shopify shop (both consents), keep the catalog feature's hands off, create the
    store product and a TikTok listing directly, and write the SKU links."""
    from connector.links import LinkRepository, SkuLink
    from connector.settings import ConnectionSettings, SettingsRepository

    assert w.shopify is not None
    seller = w.tiktok.create_seller(f"{name} seller", "US")
    domain = w.create_shopify_shop(f"{name} shop", currency="USD")
    page = Browser().install_shopify(w, domain, seller_id=seller["id"])
    if page.status_code != 200:
        raise RuntimeError(f"install failed: {page.status_code}")
    values = page_values(page)
    connection_id = values["connection-id"]
    table, ddb = w.cloud.table_name(), w.cloud.client("dynamodb")
    SettingsRepository(table, ddb).put(
        connection_id,
        ConnectionSettings().patched({"catalog": {"auto_pull": False, "auto_update": False}}),
        int(time.time()),
    )
    w.cloud.wait_idle(30)  # the install's catalog pull has run (the shop had no product then)
    product: dict[str, Any] = w.shopify.state.add_product(domain, {
        "title": f"{name} tee", "descriptionHtml": "<p>Soft organic cotton tee.</p>", "vendor": "Acme",
        "productType": "T-Shirts", "status": "ACTIVE", "options": [{"name": "Size", "values": list(SIZES)}],
        "media": [],
        "variants": [{"sku": f"{name}-{size}", "barcode": None, "price": "20.00", "compareAtPrice": None,
                      "inventoryQuantity": 5, "inventoryPolicy": "DENY",
                      "selectedOptions": [{"name": "Size", "value": size}],
                      "inventoryItem": {"tracked": True, "measurement": {"weight": None}}} for size in SIZES],
    })
    shop = {**seller["shops"][0], "seller_id": seller["id"]}
    tiktok_product_id, sku_ids = _tiktok_listing(w, seller["id"], shop)
    links = LinkRepository(table, ddb)
    variant_gids = [v["id"] for v in product["variants"]]
    for size, variant_gid, sku_id in zip(SIZES, variant_gids, sku_ids, strict=True):
        variant = _number(variant_gid)
        links.put(SkuLink(
            connection_id=connection_id, store_product_id=_number(product["id"]), variant_key=variant,
            stock_key=variant, seller_sku=f"{name}-{size}", shop_id=shop["id"], tiktok_product_id=tiktok_product_id,
            tiktok_sku_id=sku_id, linked_by="hand"))
    return ShopifyLinked(w, connection_id, values["merchant-token"], domain, variant_gids, tiktok_product_id, sku_ids)
