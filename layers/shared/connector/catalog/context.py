"""One connection's catalog: its store, its TikTok client bound to the connection's tokens, its
repositories and settings (:class:`Catalog`); every catalog step works through one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connector.catalog.records import (
    CategoryMapping,
    ProductRepository,
)
from connector.runtime import now as wall_clock

if TYPE_CHECKING:
    from connector.catalog.settings import SyncSettings
    from connector.connections.lifecycle import Collaborators, Notifier
    from connector.connections.models import Connection, ShopLink
    from connector.links import LinkRepository
    from connector.settings import ConnectionSettings
    from connector.stores.protocol import StorePlatform
    from connector.tiktok.protocol import ShopRef, TikTokShop


@dataclass
class Catalog:
    """One connection's catalog services (built by :func:`open_catalog`)."""

    connection: Connection
    shop: ShopLink
    store_factory: Callable[[], StorePlatform]
    """Opens the store adapter (decrypting its token) on first use only: status webhooks never need it."""
    tiktok: TikTokShop
    products: ProductRepository
    links: LinkRepository
    settings: ConnectionSettings
    notifier: Notifier | None = None
    correlation_id: str = "catalog"
    clock: Callable[[], float] = wall_clock
    fetch: Callable[[str], bytes] | None = None
    """Reads an image URL (default: an httpx GET)."""
    _categories: dict[str, Any] | None = None
    _mappings: dict[str, CategoryMapping | None] = field(default_factory=dict)
    _images: dict[tuple[str, str], str] = field(default_factory=dict)
    _images_checked: set[tuple[str, str]] = field(default_factory=set)

    _store: StorePlatform | None = None

    @property
    def store(self) -> StorePlatform:
        if self._store is None:
            self._store = self.store_factory()
        return self._store

    @property
    def connection_id(self) -> str:
        return self.connection.connection_id

    @property
    def shop_ref(self) -> ShopRef:
        from connector.tiktok.protocol import ShopRef

        return ShopRef(self.shop.shop_id, self.shop.cipher)

    @property
    def category_version(self) -> str:
        return "v2" if (self.shop.region or "").upper() == "US" else "v1"

    def now(self) -> int:
        return int(self.clock())

    def mapping(self, store_category_id: str | None) -> CategoryMapping | None:
        """The category's mapping (read once per catalog instance: one invocation)."""
        if store_category_id is None:
            return None
        if store_category_id not in self._mappings:
            self._mappings[store_category_id] = self.products.get_mapping(self.connection_id, store_category_id)
        return self._mappings[store_category_id]

    def sync_settings(self) -> SyncSettings:
        from connector.catalog.settings import from_connection_settings

        profile_units = self.settings
        return from_connection_settings(profile_units, region=self.shop.region or "US",
                                currency=self.shop.currency or self.connection.store_currency or "USD",
                                warehouse_id=self.shop.default_warehouse_id or "")

    def read(self, url: str) -> bytes:
        if self.fetch is not None:
            return self.fetch(url)
        response = _image_http().get(url)
        response.raise_for_status()
        return bytes(response.content)


@functools.cache
def _image_http() -> Any:
    """One pooled client per container for the store's images: a client per image paid a new
    TLS context (~10 ms of CPU) and a new connection for every image."""
    import httpx

    return httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0), follow_redirects=True)


def open_catalog(c: Collaborators, connection_id: str, correlation_id: str) -> Catalog:
    """The catalog of a connection that syncs (``Conflict`` when it does not)."""
    from connector.errors import Conflict, NotFound
    from connector.links import LinkRepository

    connection, settings = c.repo.with_settings(connection_id)
    if connection is None:
        raise NotFound(f"connection {connection_id} does not exist")
    if not connection.syncing:
        raise Conflict(f"connection {connection_id} is {connection.state}: catalog sync is paused",
                       reason=f"connection_{connection.state}")
    shops = c.repo.shops(connection_id)
    if not shops:
        raise Conflict(f"connection {connection_id} has no TikTok shop", reason="no_shop")
    from connector.ratelimit import DynamoRateLimiter

    table = c.repo.table_name
    # Pages of one sync run in parallel workers: TikTok's per-shop limit is kept in the table.
    tiktok = c.tiktok_for(connection_id, correlation_id, connection=connection).with_limiter(DynamoRateLimiter(table))
    return Catalog(connection=connection, shop=shops[0], store_factory=lambda: c.store_for(connection),
                   tiktok=tiktok, products=ProductRepository(table),
                   links=LinkRepository(table), settings=settings,
                   notifier=c.notifier, correlation_id=correlation_id, clock=c.clock)
