"""The demo's store-side steps on a sandbox Ecwid store (its REST API's shapes)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from local.demo.store import Seeded

if TYPE_CHECKING:
    import httpx

    from local.world import Browser, World


class EcwidDriver:
    platform = "Ecwid"
    keeps_dimensions = True

    def __init__(self, w: World) -> None:
        self.w = w
        self.store_id = 0

    def create(self, name: str, *, currency: str, products: int, seed: int) -> list[Seeded]:
        self.store_id = self.w.ecwid.create_store(name, currency=currency)
        seeded = self.w.ecwid.seed_catalog(self.store_id, products, seed=seed)
        return [Seeded(str(s.product_id), tuple(s.flaws)) for s in seeded]

    def describe(self) -> str:
        return f"Ecwid store {self.store_id}"

    def install(self, browser: Browser, seller_id: str) -> httpx.Response:
        return browser.install(self.w, seller_id=seller_id, store_id=self.store_id)

    def add_weight(self, product_id: str) -> None:
        self.w.ecwid.update_product(self.store_id, int(product_id), {"weight": Decimal("0.8")})

    def counted_stock(self, product_id: str) -> int | None:
        product = self.w.ecwid.product(self.store_id, int(product_id))
        return None if product.get("unlimited") else int(product.get("quantity") or 0)

    def set_stock(self, product_id: str, quantity: int) -> None:
        self.w.ecwid.update_product(self.store_id, int(product_id), {"quantity": quantity})

    def order_for(self, tiktok_order_id: str) -> dict[str, Any] | None:
        return next((o for o in self.w.ecwid.orders(self.store_id)
                     if str(o.get("externalOrderId")) == tiktok_order_id), None)

    def tiktok_order_ids(self) -> list[str]:
        return [str(o.get("externalOrderId")) for o in self.w.ecwid.orders(self.store_id)]

    def ship(self, order_id: str, tracking_number: str, carrier: str) -> None:
        order = next(o for o in self.w.ecwid.orders(self.store_id) if str(o["id"]) == order_id)
        self.w.ecwid.state.update_order(self.store_id, order_id, {
            "fulfillmentStatus": "SHIPPED",
            "trackingNumber": tracking_number,
            "shippingOption": {**(order.get("shippingOption") or {}), "shippingCarrierName": carrier},
        })

    def cancel(self, order_id: str) -> None:
        self.w.ecwid.state.update_order(self.store_id, order_id, {"paymentStatus": "CANCELLED"})

    def urls(self) -> list[tuple[str, str]]:
        return [("install link", self.w.install_link()), ("Ecwid sandbox", self.w.ecwid.url)]

    def stop_webhooks(self) -> None:
        self.w.ecwid.set_webhook_url(None)
