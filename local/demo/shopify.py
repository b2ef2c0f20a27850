"""The demo's store-side steps on a sandbox Shopify shop. The merchant's own actions (a product's
weight, a stock count, a fulfilment with tracking, a cancellation) are made as Shopify's admin
makes them: the sandbox's product and stock edits send their webhooks, and the fulfilment and
cancellation go through the GraphQL Admin API with a token of the shop's."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from local.demo.store import Seeded

if TYPE_CHECKING:
    import httpx

    from connector.stores.shopify import ShopifyCatalog
    from local.sandbox_shopify import ShopifySandbox
    from local.world import Browser, World


def _number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


class ShopifyDriver:
    platform = "Shopify"
    keeps_dimensions = False

    def __init__(self, w: World) -> None:
        assert w.shopify is not None
        self.w = w
        self.sandbox: ShopifySandbox = w.shopify
        self.domain = ""
        self._admin: ShopifyCatalog | None = None

    def create(self, name: str, *, currency: str, products: int, seed: int) -> list[Seeded]:
        self.domain = self.w.create_shopify_shop(name, currency=currency)
        seeded = self.sandbox.seed_catalog(self.domain, products, seed=seed)
        return [Seeded(_number(product_gid), tuple(generated.flaws)) for product_gid, generated in seeded]

    def describe(self) -> str:
        return f"Shopify shop {self.domain}"

    def install(self, browser: Browser, seller_id: str) -> httpx.Response:
        return browser.install_shopify(self.w, self.domain, seller_id=seller_id)

    def _product(self, product_id: str) -> dict[str, Any]:
        shop = self.sandbox.state.shop(self.domain)
        assert shop is not None
        with shop.lock:
            return copy.deepcopy(shop.products[f"gid://shopify/Product/{product_id}"])

    def add_weight(self, product_id: str) -> None:
        variants = self._product(product_id)["variants"]
        for variant in variants:
            variant["inventoryItem"]["measurement"] = {"weight": {"unit": "KILOGRAMS", "value": 0.8}}
        self.sandbox.update_product(self.domain, f"gid://shopify/Product/{product_id}", {"variants": variants})

    def counted_stock(self, product_id: str) -> int | None:
        (variant,) = self._product(product_id)["variants"]
        if not variant["inventoryItem"].get("tracked") or variant.get("inventoryPolicy") == "CONTINUE":
            return None
        level = self.sandbox.stock_level(self.domain, variant["inventoryItem"]["id"])
        return None if level is None else int(level["available"])

    def set_stock(self, product_id: str, quantity: int) -> None:
        (variant,) = self._product(product_id)["variants"]
        self.sandbox.set_available(self.domain, variant["id"], quantity)

    def order_for(self, tiktok_order_id: str) -> dict[str, Any] | None:
        found = next((o for o in self.sandbox.orders(self.domain) if o.get("sourceIdentifier") == tiktok_order_id),
                     None)
        return None if found is None else {**found, "id": _number(found["id"])}

    def tiktok_order_ids(self) -> list[str]:
        return [str(o.get("sourceIdentifier")) for o in self.sandbox.orders(self.domain)]

    def admin(self) -> ShopifyCatalog:
        """The shop's admin, as the merchant uses it (the GraphQL Admin API)."""
        if self._admin is None:
            from connector.stores.shopify import ShopifyCatalog
            from connector.stores.shopify import config as shopify_config

            access, _refresh = self.sandbox.issue_token(self.domain, shopify_config.SCOPES)
            self._admin = ShopifyCatalog(self.domain, access, shop_base=self.sandbox.shop_base)
        return self._admin

    def ship(self, order_id: str, tracking_number: str, carrier: str) -> None:
        from connector.stores.protocol import Fulfilment

        self.admin().fulfil_order(Fulfilment(order_ext_id=order_id, tracking_number=tracking_number, carrier=carrier))

    def cancel(self, order_id: str) -> None:
        from connector.stores.protocol import Cancellation

        self.admin().cancel_order(Cancellation(order_ext_id=order_id, reason="cancelled by the merchant"))

    def urls(self) -> list[tuple[str, str]]:
        return [("install link", self.w.shopify_install_link(self.domain)), ("Shopify sandbox", self.sandbox.url),
                ("Shopify shop", self.domain)]

    def stop_webhooks(self) -> None:
        self.sandbox.webhooks.unsubscribe_all(self.domain)
