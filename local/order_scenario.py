"""An order scenario on the local cloud, used by the order e2e tests and the order latency bench:
a connected store on the local cloud with products on both sides, linked SKU by SKU (written
directly as SKU links, so the order tests do not depend on the catalog push), equal stock."""

from __future__ import annotations

import io
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from connector.links import LinkRepository, SkuLink
from connector.orders.records import OrderRecord, OrderRepository
from connector.settings import ConnectionSettings, SettingsRepository
from connector.stores.ecwid.store import EcwidStore
from connector.tiktok.client import ShopRef, TikTokClient
from local.world import APP_KEY, Browser, World, page_values


class _Tokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refresh(self, expired_token: str) -> str:
        return self.token


def png(size: int = 800) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Shop:
    """One connected merchant: the connection, its TikTok shop, its Ecwid store and the links."""

    w: World
    connection_id: str
    merchant_token: str
    seller: dict[str, Any]
    store_id: int
    shop: ShopRef
    warehouse_id: str
    tiktok: TikTokClient
    store: EcwidStore
    store_token: str = field(repr=False)
    tiktok_product_id: str = ""
    skus: dict[str, str] = field(default_factory=dict)
    """TikTok SKU id -> Ecwid product id (linked SKUs)."""
    unlinked: list[tuple[str, int]] = field(default_factory=list)
    """(TikTok SKU id, Ecwid product id) pairs created but not linked."""

    @property
    def table(self) -> str:
        return self.w.cloud.table_name()

    def ddb(self) -> Any:
        return self.w.cloud.client("dynamodb")

    def orders(self) -> OrderRepository:
        return OrderRepository(self.table, self.ddb())

    def record(self, order_id: str) -> OrderRecord | None:
        return self.orders().get(self.connection_id, order_id)

    def links(self) -> LinkRepository:
        return LinkRepository(self.table, self.ddb())

    def link(self, sku_id: str, product_id: int) -> None:
        self.links().put(SkuLink(connection_id=self.connection_id, store_product_id=str(product_id),
                                 variant_key=str(product_id), stock_key=str(product_id), shop_id=self.shop.id,
                                 tiktok_product_id=self.tiktok_product_id, tiktok_sku_id=sku_id, linked_by="hand",
                                 updated_at=int(time.time())))
        self.skus[sku_id] = str(product_id)

    def settings(self, **orders: Any) -> None:
        repo = SettingsRepository(self.table, self.ddb())
        current = repo.get(self.connection_id)
        providers = self.w.tiktok.shipping_providers(self.w.tiktok.state.shops[self.shop.id])
        changes: dict[str, Any] = {"orders": orders, "carriers": {
            "default_provider_id": providers[0]["id"], "by_carrier": {"UPS": providers[1]["id"]}}}
        repo.put(self.connection_id, current.patched(changes), int(time.time()))

    def store_orders(self) -> list[dict[str, Any]]:
        return self.w.ecwid.orders(self.store_id)

    def store_orders_for(self, tiktok_order_id: str) -> list[dict[str, Any]]:
        return [o for o in self.store_orders() if str(o.get("externalOrderId")) == tiktok_order_id]

    def store_stock(self, product_id: str | int) -> int | None:
        return self.w.ecwid.stock(self.store_id, int(product_id))

    def tiktok_stock(self, sku_id: str) -> int:
        _, sku = self.w.tiktok.state.sku_index(self.shop.id)[sku_id]
        return int(sku.inventory.get(self.warehouse_id, 0))

    def stock_equal(self, sku_id: str, timeout: float = 20) -> int:
        """Wait until TikTok lists what the store holds for this SKU (the stores decrement
        themselves; the stock sync then sends the store's figure); returns it."""
        from local.wait import until

        seen: list[tuple[int | None, int]] = []

        def equal() -> bool:
            seen[:] = [(self.store_stock(self.skus[sku_id]), self.tiktok_stock(sku_id))]
            return seen[0][0] == seen[0][1]

        try:
            until(equal, timeout=timeout, what=f"stock of {sku_id} equal on both sides")
        except AssertionError as exc:
            store, tiktok = seen[0]
            raise AssertionError(f"{exc}: the store holds {store}, TikTok lists {tiktok}") from None
        return self.tiktok_stock(sku_id)

    def order(self, order_id: str) -> dict[str, Any]:
        return self.w.tiktok.order(order_id)

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.w.url}/connections/{self.connection_id}{path}",
                             headers={"authorization": f"Bearer {self.merchant_token}"}, timeout=30, **kwargs)


def list_on_tiktok(w: World, seller: dict[str, Any], seller_skus: list[str], *, quantity: int,
                   price: str) -> tuple[TikTokClient, ShopRef, str, dict[str, str]]:
    """One active TikTok product of the seller's first shop with a SKU per seller SKU (``quantity``
    each in the shop's warehouse): its client, shop, product id and seller SKU -> TikTok SKU id.
    It names no store platform; the order scenarios of every platform use it."""
    from connector.tiktok.models import (
        AttributeValueInput,
        ImageRef,
        InventoryEntry,
        PackageDimensions,
        PackageWeight,
        Price,
        ProductAttributeInput,
        ProductInput,
        SalesAttributeInput,
        SkuInput,
    )
    from local.wait import until

    shop = seller["shops"][0]
    ref = ShopRef(shop["id"], shop["cipher"])
    tokens = w.tiktok.issue_tokens(seller["id"])
    client = TikTokClient(APP_KEY, w.app_secret["tiktok_app_secret"], api_base=w.tiktok.url,
                          auth_base=w.tiktok.auth_url, authorize_url=w.tiktok.authorize_url
                          ).with_tokens(_Tokens(tokens["access_token"]))
    image = client.upload_image(ref, png()).uri
    created = client.create_product(ref, ProductInput.model_validate({
        "title": "Organic Cotton Crew T-shirt",
        "description": "<p>Soft organic cotton tee.</p>",
        "category_id": "1000302",
        "main_images": [ImageRef(uri=image)],
        "skus": [SkuInput(seller_sku=seller_sku, sales_attributes=[SalesAttributeInput(id="100000",
                                                                                        value_name=f"Color {i}")],
                          inventory=[InventoryEntry(warehouse_id=shop["default_warehouse_id"], quantity=quantity)],
                          price=Price(amount=Decimal(price), currency="USD"))
                 for i, seller_sku in enumerate(seller_skus)],
        "package_weight": PackageWeight(value="0.25", unit="KILOGRAM"),
        "package_dimensions": PackageDimensions(length="30", width="20", height="3", unit="CENTIMETER"),
        "product_attributes": [ProductAttributeInput(id="101610", values=[AttributeValueInput(id="3001")])],
        "brand_id": "7082427311584347905",
    }))
    w.tiktok.review_now(created.product_id)
    until(lambda: client.get_product(ref, created.product_id).status == "ACTIVATE", timeout=10,
          what="product review")
    return client, ref, created.product_id, {s.seller_sku: s.id for s in created.skus if s.seller_sku}


def connect(w: World, *, products: int = 3, linked: int = 2, quantity: int = 500,
            price: str = "19.90") -> Shop:
    """Install a store, create ``products`` Ecwid products and one TikTok product with a SKU per
    store product (same stock), and link the first ``linked`` of them."""
    seller = w.tiktok.create_seller("Order Seller", "US")
    store_id = w.ecwid.create_store("Order Store", currency="USD")
    browser = Browser()
    page = browser.install(w, seller_id=seller["id"], store_id=store_id)
    assert page.status_code == 200, page.text
    values = page_values(page)
    store_token = w.ecwid.issue_token(store_id)
    store = EcwidStore(store_id, store_token, api_base=w.ecwid.url)
    product_ids = [w.ecwid.add_product(store_id, {"name": f"Order product {i}", "sku": f"ORD-{i}",
                                                   "price": price, "quantity": quantity}, notify=False)
                   for i in range(products)]
    client, ref, tiktok_product_id, by_seller_sku = list_on_tiktok(
        w, seller, [f"ORD-{i}" for i in range(products)], quantity=quantity, price=price)
    result = Shop(w, values["connection-id"], values["merchant-token"], seller, store_id, ref,
                  seller["shops"][0]["default_warehouse_id"], client, store, store_token, tiktok_product_id)
    for i, pid in enumerate(product_ids):
        sku_id = by_seller_sku[f"ORD-{i}"]
        if i < linked:
            result.link(sku_id, pid)
        else:
            result.unlinked.append((sku_id, pid))
    return result


def new_settings() -> ConnectionSettings:
    return ConnectionSettings()


@dataclass
class EcwidChaos:
    """An Ecwid store under the chaos run (:mod:`local.order_chaos`): server errors before and
    after the order is made, timeouts, 429 bursts, creates that commit and lose their answer to
    the client's timeout (run the functions with ``ECWID_HTTP_TIMEOUT_SECONDS=2``), and two
    5-second outages."""

    shop: Shop

    def inject(self, rng: random.Random, index: int, orders: int, injected: Counter[str]) -> None:
        from local.sandbox_ecwid.server import Fault

        ecwid = self.shop.w.ecwid
        if rng.random() < 0.15:
            after = rng.random() < 0.5  # the order exists although the relay saw a 500
            ecwid.add_fault(Fault(status=500, times=1, method="POST" if after else None,
                                  path="orders" if after else None, after=after))
            injected["store_5xx"] += 1
        if rng.random() < 0.06:
            ecwid.add_fault(Fault(status=504, times=1, delay=0.3))
            injected["store_timeouts"] += 1
        if index % 25 == 20:
            ecwid.add_fault(Fault(status=429, times=3, retry_after=1))
            injected["store_429_bursts"] += 1
        if rng.random() < 0.05:  # committed, but the answer is lost to the client's timeout
            ecwid.add_fault(Fault(status=500, times=1, method="POST", path="^/orders$", after=True, stall=3))
            injected["store_commit_then_timeout"] += 1
        if index in (orders // 3, 2 * orders // 3):
            ecwid.start_outage(5)
            injected["store_outages_5s"] += 1

    def clear(self) -> None:
        self.shop.w.ecwid.clear_faults()

    def order_ids(self) -> list[str]:
        return [str(o.get("externalOrderId")) for o in self.shop.store_orders()]

    def stock(self) -> dict[str, tuple[int | None, int]]:
        return {sku: (self.shop.store_stock(pid), self.shop.tiktok_stock(sku)) for sku, pid in self.shop.skus.items()}
