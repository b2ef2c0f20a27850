"""What the journey asks of the merchant's store, whatever its platform: the few store-side steps
(make the store and its catalog, pass its consent, fix a product, ship, cancel, change stock,
find the relayed orders). One driver per platform (``ecwid``, ``shopify``); the journey itself
is the same for every platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from local.world import Browser, World

PLATFORMS = ("ecwid", "shopify")


@dataclass(frozen=True)
class Seeded:
    """A generated store product: its id as the connector names it, and its deliberate flaws."""

    product_id: str
    flaws: tuple[str, ...]


class StoreDriver(Protocol):
    platform: str
    """The platform's name as the merchant reads it ("Ecwid", "Shopify")."""
    keeps_dimensions: bool
    """Whether the store's products carry package dimensions (else the merchant sets a default size)."""

    def create(self, name: str, *, currency: str, products: int, seed: int) -> list[Seeded]:
        """The merchant's store with a generated catalog of ``products`` products."""
        ...

    def describe(self) -> str:
        """The store in a few words ("Ecwid store 1001")."""
        ...

    def install(self, browser: Browser, seller_id: str) -> httpx.Response:
        """The install link opened in ``browser``: the store's consent, then TikTok's; the final page."""
        ...

    def add_weight(self, product_id: str) -> None:
        """The merchant gives a product without a weight one (the store sends its webhook)."""
        ...

    def counted_stock(self, product_id: str) -> int | None:
        """Units of a one-variant product the store counts, ``None`` when it does not count them."""
        ...

    def set_stock(self, product_id: str, quantity: int) -> None:
        """The merchant changes a one-variant product's stock (where the connection takes it from)."""
        ...

    def order_for(self, tiktok_order_id: str) -> dict[str, Any] | None:
        """The store order relayed for a TikTok order (``id``: the store's order id), if any."""
        ...

    def tiktok_order_ids(self) -> list[str]:
        """The TikTok order id of every order in the store (one entry per store order)."""
        ...

    def ship(self, order_id: str, tracking_number: str, carrier: str) -> None:
        """The merchant ships a store order with a tracking number."""
        ...

    def cancel(self, order_id: str) -> None:
        """The merchant cancels a store order."""
        ...

    def urls(self) -> list[tuple[str, str]]:
        """(label, URL) of the store's sandbox, for ``--keep``."""
        ...

    def stop_webhooks(self) -> None:
        """No more webhooks from the store (the cloud is stopping)."""
        ...


def driver_for(platform: str, w: World) -> StoreDriver:
    if platform == "shopify":
        from local.demo.shopify import ShopifyDriver

        return ShopifyDriver(w)
    from local.demo.ecwid import EcwidDriver

    return EcwidDriver(w)
