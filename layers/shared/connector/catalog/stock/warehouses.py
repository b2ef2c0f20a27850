"""Stock on several TikTok warehouses: which warehouses of a shop get a figure, from which store
location, and the figures themselves.

A connection's ``StockSettings.warehouses`` maps store location ids to TikTok warehouse ids. For
each TikTok shop of the connection:

- no location mapped to any of its warehouses: one figure, the store product as the adapter reads
  it (the connection's location, or the one figure of a store without locations), on the shop's
  default warehouse (as before warehouses could be mapped);
- locations mapped: each mapped warehouse gets the figure of its own location. The shop's default
  warehouse is always one of them (the map is refused otherwise): orders that name no warehouse,
  or one that gets no figure, are reserved against it.

Figures are planned per location (:func:`plan_warehouses`): the SKUs of every shop whose warehouse
takes that location's stock share its pool (as SKUs of one pool always do), minus the units of
TikTok orders in flight at those warehouses. Each figure is recorded under a key: the TikTok SKU
id for the default warehouse, ``<sku id>@<warehouse id>`` for another one (:func:`figure_key`).

Light: :func:`check_map` validates a map against what the store and TikTok say (pure),
:func:`verify_map` reads those first (the settings routes call it when a map is saved); the stock
sync (:mod:`.sync`) and the reconciliation (:mod:`.reconcile`) use the rest (pure).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connector.catalog.stock.levels import StockPlan, plan_stock
from connector.errors import BadRequest

if TYPE_CHECKING:
    from connector.connections.lifecycle import Collaborators
    from connector.connections.models import Connection, ShopLink, WarehouseInfo
    from connector.links import SkuLink
    from connector.settings import ConnectionSettings, StockSettings
    from connector.stores.protocol import Stock, StoreLocation, StorePlatform, StoreProduct


@dataclass(frozen=True)
class Target:
    """One TikTok warehouse that gets a figure."""

    shop_id: str
    warehouse_id: str
    location_id: str | None
    """The store location whose stock it gets; ``None``: the product as the adapter reads it."""
    default: bool


def figure_key(sku_id: str, target: Target) -> str:
    """Where a figure is recorded (``StockState.sent``): the SKU id for the default warehouse."""
    return sku_id if target.default else f"{sku_id}@{target.warehouse_id}"


def targets(mapping: Mapping[str, str], shop: ShopLink) -> tuple[Target, ...]:
    """The warehouses of one shop that get a figure, the default one first (none without a
    default warehouse)."""
    default = shop.default_warehouse_id
    if not default:
        return ()
    own = {w.id for w in shop.warehouses} | {default}
    mine = {wh: loc for loc, wh in mapping.items() if wh in own}
    if default not in mine:
        return (Target(shop.shop_id, default, None, True),)
    ordered = [default, *sorted(w for w in mine if w != default)]
    return tuple(Target(shop.shop_id, wh, mine[wh], wh == default) for wh in ordered)


def mapped_locations(mapping: Mapping[str, str]) -> list[str]:
    return sorted(mapping)


@dataclass(frozen=True)
class WarehousePlan:
    """Every figure of one product, on every warehouse that gets one."""

    plans: tuple[StockPlan, ...]
    figures: dict[str, int]
    """figure key -> quantity."""
    inventory: dict[str, tuple[tuple[str, int], ...]]
    """TikTok SKU id -> (warehouse id, quantity) of each of its warehouses, the default first."""
    products: dict[str, tuple[str, str]] = field(default_factory=dict)
    """TikTok SKU id -> (shop id, TikTok product id)."""

    @property
    def deactivate(self) -> bool:
        """The threshold rule takes the product offline only when every location is low."""
        return bool(self.plans) and all(p.deactivate for p in self.plans)

    @property
    def low_pools(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(pool for p in self.plans for pool in p.low_pools))


def _at_location(product: StoreProduct | None, stock: Mapping[str, Stock] | None) -> StoreProduct | None:
    """The product with each variant's stock at a location (``stock``: stock key -> figure)."""
    from connector.stores.protocol import Stock

    if product is None or stock is None:
        return product
    variants = tuple(v.model_copy(update={"stock": stock.get(v.stock_key, Stock.counted(0))})
                     for v in product.variants)
    return product.model_copy(update={"variants": variants})


def plan_warehouses(product: StoreProduct | None, links: Sequence[SkuLink], shops: Mapping[str, ShopLink],
                    mapping: Mapping[str, str], stock_by_location: Mapping[str, Mapping[str, Stock]],
                    pending: Mapping[str | None, Mapping[str, int]], rule: StockSettings,
                    overrides: Mapping[str, str] | None = None) -> WarehousePlan:
    """Every figure of a product (see the module doc). ``pending``: warehouse id (``None``: the
    order named none) -> variant key -> units in flight; ``stock_by_location``: location id ->
    stock key -> figure, for every mapped location (:meth:`StorePlatform.stock_at`)."""
    by_shop = {shop_id: targets(mapping, shop) for shop_id, shop in shops.items()}
    claimed = {t.warehouse_id for ts in by_shop.values() for t in ts}
    groups: dict[str | None, list[Target]] = {}
    for ts in by_shop.values():
        for t in ts:
            groups.setdefault(t.location_id, []).append(t)
    plans: list[StockPlan] = []
    figures: dict[str, int] = {}
    inventory: dict[str, list[tuple[str, int]]] = {}
    products = {link.tiktok_sku_id: (link.shop_id, link.tiktok_product_id) for link in links}
    for location, members in sorted(groups.items(), key=lambda g: (g[0] is not None, g[0] or "")):
        target_of = {t.shop_id: t for t in members}
        group_links = [link for link in links if link.shop_id in target_of]
        if not group_links:
            continue
        keys: set[str | None] = {t.warehouse_id for t in members}
        if any(t.default for t in members):
            keys |= {k for k in pending if k not in claimed}
        units: dict[str, int] = {}
        for key in keys:
            for variant, n in pending.get(key, {}).items():
                units[variant] = units.get(variant, 0) + int(n)
        at = _at_location(product, stock_by_location.get(location) if location is not None else None)
        plan = plan_stock(at, group_links, units, rule, overrides)
        plans.append(plan)
        shop_of = {link.tiktok_sku_id: link.shop_id for link in group_links}
        for sku in plan.skus:
            target = target_of[shop_of[sku.tiktok_sku_id]]
            figures[figure_key(sku.tiktok_sku_id, target)] = sku.quantity
            inventory.setdefault(sku.tiktok_sku_id, []).append((target.warehouse_id, sku.quantity))
    ordered = {sku: tuple(sorted(entries, key=lambda e: _rank(by_shop, products[sku][0], e[0])))
               for sku, entries in inventory.items()}
    return WarehousePlan(tuple(plans), figures, ordered, products)


def _rank(by_shop: Mapping[str, Sequence[Target]], shop_id: str, warehouse_id: str) -> tuple[int, str]:
    for index, t in enumerate(by_shop.get(shop_id, ())):
        if t.warehouse_id == warehouse_id:
            return index, warehouse_id
    return len(by_shop.get(shop_id, ())), warehouse_id


def read_keys(mapping: Mapping[str, str], shops: Iterable[ShopLink]) -> dict[str, tuple[Target, ...]]:
    """shop id -> the warehouses whose figures the reconciliation reads back."""
    return {shop.shop_id: targets(mapping, shop) for shop in shops}


# -------------------------------------------------------------------------------- validation
class MapRefused(BadRequest):
    """A location -> warehouse map the store or TikTok does not allow (a 400 with the reason)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, reason=reason)


def check_map(mapping: Mapping[str, str], locations: Sequence[StoreLocation], shops: Sequence[ShopLink]) -> None:
    """Refuse a map unless every location is one of the store's (active) locations, every
    warehouse an enabled sales warehouse of one of the connection's TikTok shops (as TikTok lists
    them now), and each shop with a mapped warehouse has its default warehouse mapped too."""
    if not mapping:
        return
    if not locations:
        raise MapRefused("this store keeps one stock figure per product: it has no locations to map to warehouses",
                         "store_has_no_locations")
    known = {loc.id: loc for loc in locations}
    for location_id in sorted(mapping):
        found = known.get(location_id)
        if found is None:
            raise MapRefused(f"location {location_id} is not a location of the store", "unknown_location")
        if not found.active:
            raise MapRefused(f"location {location_id} is not active in the store", "inactive_location")
    owner: dict[str, ShopLink] = {}
    for shop in shops:
        for w in sales_warehouses(shop):
            owner[w.id] = shop
    for location_id, warehouse_id in sorted(mapping.items()):
        if warehouse_id not in owner:
            raise MapRefused(f"warehouse {warehouse_id} (mapped from location {location_id}) is not an enabled "
                             "sales warehouse of this connection's TikTok shops", "unknown_warehouse")
    mapped = set(mapping.values())
    for shop in {owner[w].shop_id: owner[w] for w in mapped}.values():
        if not shop.default_warehouse_id or shop.default_warehouse_id not in mapped:
            raise MapRefused(f"shop {shop.shop_id}: its default warehouse {shop.default_warehouse_id or '(none)'} "
                             "must be mapped to a location too (orders without a warehouse are reserved there)",
                             "default_warehouse_unmapped")


def sales_warehouses(shop: ShopLink) -> list[WarehouseInfo]:
    """A shop's enabled sales warehouses: the ones a store location can be mapped to."""
    return [w for w in shop.warehouses
            if (w.type or "SALES_WAREHOUSE") == "SALES_WAREHOUSE" and (w.status or "ENABLED") == "ENABLED"]


def store_locations(c: Collaborators, connection: Connection) -> list[StoreLocation]:
    """The store's locations, or a 502 naming the store when it does not answer."""
    from connector.errors import UpstreamError
    from connector.stores.errors import StoreError

    try:
        return list(c.store_for(connection).locations())
    except StoreError as exc:
        raise UpstreamError(f"the store's locations could not be read ({type(exc).__name__})",
                            reason="store_unavailable") from None


def verify_map(c: Collaborators, connection_id: str, mapping: Mapping[str, str], correlation_id: str,
               now: int) -> None:
    """:func:`check_map` against the store's locations and the warehouses TikTok lists now (the
    connection's shops are refreshed with them, as a connection check does). A side that does
    not answer is a 502 naming it; nothing is checked for an empty map (one figure, as before)."""
    from connector.connections.lifecycle import read_shops
    from connector.errors import UpstreamError
    from connector.tiktok.errors import TikTokError

    if not mapping:
        return
    locations = store_locations(c, c.repo.require(connection_id))
    held = {s.shop_id for s in c.repo.shops(connection_id)}
    try:
        fresh = [s for s in read_shops(c.tiktok_for(connection_id, correlation_id)) if s.shop_id in held]
    except TikTokError as exc:
        raise UpstreamError(f"TikTok's warehouses could not be read ({exc.tiktok_code})",
                            reason="tiktok_unavailable") from None
    for shop in fresh:
        c.repo.update_shop(connection_id, shop, now)
    check_map(mapping, locations, fresh)


def plan_product(store: StorePlatform, product_id: str, links: Sequence[SkuLink], shops: Mapping[str, ShopLink],
                 settings: ConnectionSettings, overrides: Mapping[str, str], product: StoreProduct | None,
                 pending: Mapping[str | None, Mapping[str, int]]) -> WarehousePlan:
    """Every figure of one product on every warehouse that gets one: ``store`` is read at each
    mapped location the product's shops use (the stock sync and the reconciliation)."""
    mapping = settings.stock.warehouses
    used = {link.shop_id for link in links}
    locations = sorted({t.location_id for shop_id in used if shop_id in shops
                        for t in targets(mapping, shops[shop_id]) if t.location_id is not None})
    stock = store.stock_at(product_id, locations) if locations and product is not None else {}
    return plan_warehouses(product, links, {k: v for k, v in shops.items() if k in used}, mapping, stock, pending,
                           settings.stock, overrides)
