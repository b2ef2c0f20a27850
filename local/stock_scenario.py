"""A stock scenario on the local cloud, used by the stock tests and the stock bench: a sandbox Ecwid
product with four combinations (two with their own stock, two sharing the product's) linked by hand
to a live four-SKU sandbox TikTok listing, so stock can be exercised without the catalog push."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from local.world import APP_KEY, Browser, World, page_values

INVENTORY = "/product/202309/products/{product_id}/inventory/update"


@dataclass
class Linked:
    """A store product with four combinations linked to a four-SKU TikTok listing."""

    world: World
    connection_id: str
    merchant_token: str
    store_id: int
    product_id: int
    combination_ids: list[int]
    tiktok_product_id: str
    sku_ids: list[str]
    shop: dict[str, Any] | None = None
    """The TikTok shop the listing is in (its ``seller_id``, ``id``, ``cipher``...)."""
    own: tuple[bool, ...] = (True, True, False, False)
    """Which combinations have stock of their own (the others share the product's)."""

    @property
    def variant_keys(self) -> list[str]:
        return [f"{self.product_id}:{cid}" for cid in self.combination_ids]

    def set_quantity(self, index: int, quantity: int, *, notify: bool = True) -> None:
        """A merchant's edit of one combination's stock (or of the product's, shared by the
        combinations without their own)."""
        state = self.world.ecwid.state
        if self.own[index]:
            state.update_combination(
                self.store_id, self.product_id, self.combination_ids[index], {"quantity": quantity}
            )
        else:
            state.update_product(self.store_id, self.product_id, {"quantity": quantity}, notify=notify)

    def tiktok_quantities(self) -> list[int]:
        skus = {
            s["id"]: sum(i["quantity"] for i in s["inventory"])
            for s in self.world.tiktok.product(self.tiktok_product_id)["skus"]
        }
        return [skus[sku] for sku in self.sku_ids]

    def tiktok_status(self) -> str:
        return str(self.world.tiktok.product(self.tiktok_product_id)["status"])

    def inventory_calls(self) -> int:
        return sum(1 for r in self.world.tiktok.requests(pattern=INVENTORY) if self.tiktok_product_id in r["path"])

    def store_webhooks_idle(self) -> bool:
        return self.world.ecwid.webhooks.pending() == 0


def connect_and_link(w: World, *, name: str = "Stock") -> Linked:
    """Install a store (both consents), keep the catalog feature's hands off, create the store
    product and a TikTok listing directly, and write the SKU links."""
    from connector.settings import ConnectionSettings, SettingsRepository

    seller = w.tiktok.create_seller(f"{name} seller", "US")
    store_id = w.ecwid.create_store(f"{name} store", currency="USD")
    page = Browser().install(w, seller_id=seller["id"], store_id=store_id)
    if page.status_code != 200:
        raise RuntimeError(f"install failed: {page.status_code}")
    values = page_values(page)
    connection_id, token = values["connection-id"], values["merchant-token"]
    table, ddb = w.cloud.table_name(), w.cloud.client("dynamodb")
    SettingsRepository(table, ddb).put(
        connection_id,
        ConnectionSettings().patched({"catalog": {"auto_pull": False, "auto_update": False}}),
        int(time.time()),
    )
    shop = {**seller["shops"][0], "seller_id": seller["id"]}
    return _link_product(w, connection_id, token, store_id, shop, name=name, own_stock=(6, 8, None, None))


def link_another(linked: Linked, *, name: str, own_stock: tuple[int | None, ...] = (5, 5, 5, 5)) -> Linked:
    """One more store product linked to a new four-SKU TikTok listing on the same connection
    (by default every combination with stock of its own)."""
    assert linked.shop is not None
    return _link_product(linked.world, linked.connection_id, linked.merchant_token, linked.store_id, linked.shop,
                         name=name, own_stock=own_stock)


def _link_product(w: World, connection_id: str, token: str, store_id: int, shop: dict[str, Any], *, name: str,
                  own_stock: tuple[int | None, ...]) -> Linked:
    from connector.links import LinkRepository, SkuLink

    table, ddb = w.cloud.table_name(), w.cloud.client("dynamodb")
    sizes = ["M", "L", "XL", "XXL"]
    product_id = w.ecwid.add_product(
        store_id,
        {
            "name": f"{name} tee",
            "sku": f"{name}-TEE",
            "price": 20,
            "quantity": 9,
            "combinations": [
                {
                    "options": [{"name": "Size", "value": s}],
                    **({"sku": f"{name}-{s}", "quantity": q} if q is not None else {}),
                }
                for s, q in zip(sizes, own_stock, strict=True)
            ],
        },
        notify=False,
    )
    combination_ids = [int(c["id"]) for c in w.ecwid.product(store_id, product_id)["combinations"]]

    tiktok_product_id, sku_ids = _tiktok_listing(w, shop["seller_id"], shop)
    links = LinkRepository(table, ddb)
    for index, (cid, sku_id) in enumerate(zip(combination_ids, sku_ids, strict=True)):
        key = f"{product_id}:{cid}"
        links.put(
            SkuLink(
                connection_id=connection_id,
                store_product_id=str(product_id),
                variant_key=key,
                stock_key=key if own_stock[index] is not None else str(product_id),
                seller_sku=f"{name}-{sizes[index]}",
                shop_id=shop["id"],
                tiktok_product_id=tiktok_product_id,
                tiktok_sku_id=sku_id,
                linked_by="hand",
            )
        )
    return Linked(w, connection_id, token, store_id, product_id, combination_ids, tiktok_product_id, sku_ids, shop,
                  tuple(q is not None for q in own_stock))


def _tiktok_listing(w: World, seller_id: str, shop: dict[str, Any]) -> tuple[str, list[str]]:
    """A live four-SKU listing created through the TikTok client (as the catalog push would)."""
    import io
    from decimal import Decimal

    from PIL import Image

    from connector.tiktok.client import ShopRef, TikTokClient
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
        TokenSet,
    )
    from connector.tiktok.oauth import RefreshingTokens

    app = TikTokClient(
        APP_KEY,
        w.app_secret["tiktok_app_secret"],
        api_base=w.tiktok.url,
        auth_base=w.tiktok.auth_url,
        authorize_url=w.tiktok.authorize_url,
    )
    client = app.with_tokens(
        RefreshingTokens(TokenSet.model_validate(w.tiktok.issue_tokens(seller_id)), app.refresh_access_token)
    )
    ref = ShopRef(shop["id"], shop["cipher"])
    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), (20, 120, 200)).save(buffer, format="PNG")
    uri = client.upload_image(ref, buffer.getvalue()).uri
    created = client.create_product(
        ref,
        ProductInput.model_validate(
            {
                "title": "Organic Cotton Crew T-shirt",
                "description": "<p>Soft organic cotton tee.</p>",
                "category_id": "1000302",
                "main_images": [ImageRef(uri=uri)],
                "skus": [
                    SkuInput(
                        seller_sku=f"TEE-{color}-{size}",
                        sales_attributes=[
                            SalesAttributeInput(id="100000", value_name=color),
                            SalesAttributeInput(id="100007", value_name=size),
                        ],
                        inventory=[InventoryEntry(warehouse_id=shop["default_warehouse_id"], quantity=1)],
                        price=Price(amount=Decimal("19.90"), currency="USD"),
                    )
                    for color in ("Black", "White")
                    for size in ("M", "L")
                ],
                "package_weight": PackageWeight(value="0.25", unit="KILOGRAM"),
                "package_dimensions": PackageDimensions(length="30", width="20", height="3", unit="CENTIMETER"),
                "product_attributes": [ProductAttributeInput(id="101610", values=[AttributeValueInput(id="3001")])],
                "brand_id": "7082427311584347905",
            }
        ),
    )
    wait_for(lambda: w.tiktok.product(created.product_id)["status"] == "ACTIVATE", 10, "TikTok review")
    client.close()
    return created.product_id, [s.id for s in created.skus]


def wait_for(probe: Callable[[], Any], timeout: float, what: str, interval: float = 0.005) -> float:
    """Seconds until ``probe()`` is truthy (a deadline, never a blind sleep)."""
    start = time.monotonic()
    while not probe():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
    return time.monotonic() - start


class StockLinked(Protocol):
    """A linked store product as the stock bench drives it (an Ecwid one, a Shopify one)."""

    world: World

    def set_quantity(self, index: int, quantity: int) -> None: ...

    def tiktok_quantities(self) -> list[int]: ...

    def inventory_calls(self) -> int: ...

    def store_webhooks_idle(self) -> bool: ...


def settle(linked: StockLinked, timeout: float = 30) -> None:
    """Every webhook delivered and every queue drained."""
    wait_for(linked.store_webhooks_idle, timeout, "store webhooks", 0.02)
    linked.world.cloud.wait_idle(timeout)
