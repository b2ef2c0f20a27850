"""An order scenario on the local cloud with a Shopify store: a shop of the sandbox Shopify
installed through the real install journey, one-variant products stocked at the shop's primary
location, one TikTok product with a SKU per store variant (same stock) and SKU links written
directly (the order tests do not depend on the catalog push). The merchant's own actions in
Shopify (a fulfilment with tracking) go through the adapter with a token of the shop's, as the
Shopify admin would make them."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connector.links import LinkRepository, SkuLink
from connector.orders.records import OrderRecord, OrderRepository
from connector.settings import SettingsRepository
from connector.stores.shopify import ShopifyCatalog
from connector.stores.shopify import config as shopify_config
from connector.tiktok.client import ShopRef, TikTokClient
from local.order_scenario import list_on_tiktok
from local.world import Browser, World, page_values


def _number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


@dataclass
class ShopifyShop:
    """One connected merchant: the connection, its TikTok shop, its Shopify shop and the links."""

    w: World
    connection_id: str
    merchant_token: str
    domain: str
    shop: ShopRef
    warehouse_id: str
    tiktok: TikTokClient
    store: ShopifyCatalog
    tiktok_product_id: str = ""
    skus: dict[str, str] = field(default_factory=dict)
    """TikTok SKU id -> Shopify variant number (linked SKUs)."""
    items: dict[str, str] = field(default_factory=dict)
    """Shopify variant number -> its inventory item GID."""

    @property
    def table(self) -> str:
        return self.w.cloud.table_name()

    def ddb(self) -> Any:
        return self.w.cloud.client("dynamodb")

    def record(self, order_id: str) -> OrderRecord | None:
        return OrderRepository(self.table, self.ddb()).get(self.connection_id, order_id)

    def link(self, sku_id: str, product_gid: str, variant_gid: str) -> None:
        variant = _number(variant_gid)
        LinkRepository(self.table, self.ddb()).put(SkuLink(
            connection_id=self.connection_id, store_product_id=_number(product_gid), variant_key=variant,
            stock_key=variant, shop_id=self.shop.id, tiktok_product_id=self.tiktok_product_id, tiktok_sku_id=sku_id,
            linked_by="hand", updated_at=int(time.time())))
        self.skus[sku_id] = variant

    def settings(self, **orders: Any) -> None:
        """The order settings given, and TikTok's first two shipping providers as the default
        carrier and UPS's."""
        repo = SettingsRepository(self.table, self.ddb())
        current = repo.get(self.connection_id)
        providers = self.w.tiktok.shipping_providers(self.w.tiktok.state.shops[self.shop.id])
        changes: dict[str, Any] = {"orders": orders, "carriers": {
            "default_provider_id": providers[0]["id"], "by_carrier": {"UPS": providers[1]["id"]}}}
        repo.put(self.connection_id, current.patched(changes), int(time.time()))

    def store_orders_for(self, tiktok_order_id: str) -> list[dict[str, Any]]:
        """The Shopify orders carrying this TikTok order id (``sourceIdentifier``), as the sandbox holds them."""
        assert self.w.shopify is not None
        return [o for o in self.w.shopify.orders(self.domain) if o.get("sourceIdentifier") == tiktok_order_id]

    def store_stock(self, sku_id: str) -> int:
        """Units available for this SKU's variant at the shop's primary location."""
        assert self.w.shopify is not None
        level = self.w.shopify.stock_level(self.domain, self.items[self.skus[sku_id]])
        assert level is not None, f"variant {self.skus[sku_id]} is not stocked at the primary location"
        return level["available"]

    def tiktok_stock(self, sku_id: str) -> int:
        _, sku = self.w.tiktok.state.sku_index(self.shop.id)[sku_id]
        return int(sku.inventory.get(self.warehouse_id, 0))

    def order(self, order_id: str) -> dict[str, Any]:
        return self.w.tiktok.order(order_id)


def product_spec(sku: str, *, price: str, quantity: int) -> dict[str, Any]:
    """A one-variant product in the sandbox Shopify's GraphQL shape, tracked, ``quantity`` available."""
    return {
        "title": f"Order product {sku}", "descriptionHtml": "<p>Soft organic cotton tee.</p>", "vendor": "Acme",
        "productType": "", "status": "ACTIVE", "options": [{"name": "Title", "values": ["Default Title"]}],
        "media": [],
        "variants": [{"sku": sku, "barcode": None, "price": price, "compareAtPrice": None,
                      "inventoryQuantity": quantity, "inventoryPolicy": "DENY",
                      "selectedOptions": [{"name": "Title", "value": "Default Title"}],
                      "inventoryItem": {"tracked": True, "measurement": {"weight": None}}}],
    }


def connect_shopify(w: World, *, products: int = 2, quantity: int = 500, price: str = "19.90") -> ShopifyShop:
    """Install a Shopify shop for a new seller, create ``products`` Shopify products and one TikTok
    product with a SKU per store product (same stock), and link each SKU to its variant."""
    assert w.shopify is not None
    seller = w.tiktok.create_seller("Shopify Order Seller", "US")
    domain = w.create_shopify_shop("Order Shop", currency="USD")
    page = Browser().install_shopify(w, domain, seller_id=seller["id"])
    assert page.status_code == 200, page.text
    values = page_values(page)
    suffix = uuid.uuid4().hex[:6].upper()
    seller_skus = [f"SHO-{suffix}-{i}" for i in range(products)]
    made = [w.shopify.state.add_product(domain, product_spec(sku, price=price, quantity=quantity))
            for sku in seller_skus]
    client, ref, tiktok_product_id, by_seller_sku = list_on_tiktok(w, seller, seller_skus, quantity=quantity,
                                                                    price=price)
    access, _refresh = w.shopify.issue_token(domain, shopify_config.SCOPES)
    store = ShopifyCatalog(domain, access, shop_base=w.shopify.shop_base)
    result = ShopifyShop(w, values["connection-id"], values["merchant-token"], domain, ref,
                         seller["shops"][0]["default_warehouse_id"], client, store, tiktok_product_id)
    for sku, product in zip(seller_skus, made, strict=True):
        variant = product["variants"][0]
        result.items[_number(variant["id"])] = variant["inventoryItem"]["id"]
        result.link(by_seller_sku[sku], product["id"], variant["id"])
    return result


@dataclass
class ShopifyChaos:
    """A Shopify shop under the chaos run (:mod:`local.order_chaos`), with Ecwid's faults in
    Shopify's terms: server errors before and after ``orderCreate`` applied, late answers,
    THROTTLED bursts (Shopify's 429), creates that commit and lose their answer to the client's
    timeout (run the functions with ``SHOPIFY_HTTP_TIMEOUT_SECONDS=2``), and two 5-second
    outages. The draws are Ecwid's, in the same order."""

    shop: ShopifyShop

    def inject(self, rng: random.Random, index: int, orders: int, injected: Counter[str]) -> None:
        shopify = self.shop.w.shopify
        assert shopify is not None
        if rng.random() < 0.15:
            after = rng.random() < 0.5  # the order exists although the relay saw a 500
            shopify.add_fault(status=500, times=1, after=after, operation="^CreateOrder$" if after else None)
            injected["store_5xx"] += 1
        if rng.random() < 0.06:
            shopify.add_fault(status=504, times=1, delay_s=0.3)
            injected["store_timeouts"] += 1
        if index % 25 == 20:
            shopify.throttle_operation(self.shop.domain, ".", times=3)
            injected["store_throttled_bursts"] += 1
        if rng.random() < 0.05:  # committed, but the answer is lost to the client's timeout
            shopify.add_fault(status=500, times=1, after=True, stall_s=3, operation="^CreateOrder$")
            injected["store_commit_then_timeout"] += 1
        if index in (orders // 3, 2 * orders // 3):
            shopify.start_outage(5)
            injected["store_outages_5s"] += 1

    def clear(self) -> None:
        assert self.shop.w.shopify is not None
        self.shop.w.shopify.clear_faults()

    def order_ids(self) -> list[str]:
        assert self.shop.w.shopify is not None
        return [str(o.get("sourceIdentifier")) for o in self.shop.w.shopify.orders(self.shop.domain)]

    def stock(self) -> dict[str, tuple[int | None, int]]:
        return {sku: (self.shop.store_stock(sku), self.shop.tiktok_stock(sku)) for sku in self.shop.skus}
