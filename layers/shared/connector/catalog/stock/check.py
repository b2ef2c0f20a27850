"""Checking TikTok's own figures: part of each reconciliation run, TikTok's inventory is read
back (inventory search, by SKU id, in batches) for the SKUs written recently and for a rotating
slice of the whole catalog, and every product where TikTok shows another figure than the one it
should (the store's figure minus reserve and pending units) is synced again with every figure
sent (a forced sync recomputes from the store).

What it catches that comparing the store with the last recorded figures cannot: a write that
TikTok applied after a newer one (a request held in the network past every deadline, a worker
killed mid-call), an edit made on TikTok's side, or anything else that makes TikTok's figure
drift from the record.

With locations mapped to several warehouses (:mod:`.warehouses`), each warehouse's figure is
compared on its own (one search answers them all: TikTok lists a SKU's figure per warehouse).

The figure a SKU should show is the one this run computed from the store when the store product
changed since the last run, else the last figure TikTok accepted (``StockState.sent``), which the
store-side comparison keeps equal to the store. Products with a sync in flight (lease held) or
already queued by this run are left to that sync.

Cost: one call per :data:`SEARCH_BATCH` SKUs; the slice is sized so the whole catalog is read
once every :data:`CHECK_ROUND_S`. For a shop of 10,000 SKUs reconciled every 5 minutes: 139
SKUs of the slice per run plus the SKUs written since the last run, i.e. 2 calls per run while
fewer than 62 SKUs changed, 576 calls a day (docs/performance.md shows the count).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connector.observability import logger

if TYPE_CHECKING:
    from connector.catalog.stock.state import StockState
    from connector.catalog.stock.warehouses import Target
    from connector.links import SkuLink
    from connector.tiktok.protocol import TikTokShop


CHECK_ROUND_S = 6 * 3600
"""The whole catalog is read back from TikTok once in this time (the rotating slices)."""


SEARCH_BATCH = 100
"""SKU ids per inventory search call."""


MAX_CALLS_PER_RUN = 20
"""At most this many inventory searches per connection and run (2,000 SKUs); recently written
SKUs beyond it wait for their turn in the rotating slice."""


DEFAULT_RUN_GAP_S = 300.0
"""The gap assumed before a connection's first run (the schedule's rate)."""


@dataclass(frozen=True)
class CheckPlan:
    """The SKUs one run reads back, in order, and where the next run's slice starts."""

    skus: tuple[str, ...]
    next_offset: int
    slice_size: int
    recent: int


@dataclass
class CheckResult:
    read: int = 0
    calls: int = 0
    differing: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    """store product id -> figure key (the TikTok SKU id, ``@`` a warehouse other than the default)
    -> (TikTok's figure, the expected one)."""
    missing: int = 0
    """SKUs TikTok did not return (listing deleted on TikTok's side): left to the catalog."""
    error: str | None = None


def slice_size(total: int, gap_s: float) -> int:
    """SKUs of the rotating slice for a run ``gap_s`` after the previous one."""
    if total <= 0:
        return 0
    share = min(1.0, max(0.0, gap_s) / CHECK_ROUND_S)
    return max(1, math.ceil(total * share))


def plan_check(all_skus: Sequence[str], recent: Iterable[str], offset: int, gap_s: float) -> CheckPlan:
    """``recent`` first (written since the last run), then the slice of ``all_skus`` (kept in a
    stable order by the caller) from ``offset``, wrapping; each SKU once, at most
    ``MAX_CALLS_PER_RUN`` batches."""
    total = len(all_skus)
    size = slice_size(total, gap_s)
    start = offset % total if total else 0
    ring = [all_skus[(start + i) % total] for i in range(size)]
    in_ring, known = set(ring), set(all_skus)
    # The slice is never dropped: recent SKUs beyond the cap wait for their turn in it.
    room = max(0, MAX_CALLS_PER_RUN * SEARCH_BATCH - len(ring))
    fresh = [s for s in dict.fromkeys(recent) if s in known and s not in in_ring][:room]
    return CheckPlan(tuple(fresh + ring), (start + size) % total if total else 0, size, len(fresh))


def calls_for(skus_by_shop: Mapping[str, Sequence[str]]) -> int:
    """Inventory searches needed for these SKUs (batches per shop)."""
    return sum(math.ceil(len(s) / SEARCH_BATCH) for s in skus_by_shop.values() if s)


def tiktok_figure(sku: Mapping[str, Any], warehouse_id: str | None) -> int | None:
    """The quantity TikTok shows for a SKU of an inventory search answer: its entry for the
    warehouse we write (the shop's default), else its total."""
    for entry in sku.get("warehouse_inventory") or []:
        if warehouse_id and str(entry.get("warehouse_id")) == warehouse_id:
            return int(entry.get("available_quantity") or 0)
    total = sku.get("total_available_quantity")
    return int(total) if total is not None else None


def read_back(client: TikTokShop, shops: Mapping[str, Any], skus_by_shop: Mapping[str, Sequence[str]],
              warehouses: Mapping[str, Sequence[Target]]) -> tuple[dict[str, int], int]:
    """Figure key (:func:`~connector.catalog.stock.warehouses.figure_key`) -> TikTok's figure, on
    every warehouse that gets one of every SKU asked (by shop, in batches); and the number of calls
    made. ``shops``: shop id -> ``ShopRef``; ``warehouses``: shop id -> its warehouses that get a
    figure, the default first."""
    from connector.catalog.stock.warehouses import figure_key

    figures: dict[str, int] = {}
    calls = 0
    for shop_id, skus in sorted(skus_by_shop.items()):
        shop = shops.get(shop_id)
        if shop is None:
            continue
        targets = warehouses.get(shop_id, ())
        for start in range(0, len(skus), SEARCH_BATCH):
            calls += 1
            for record in client.search_inventory(shop, sku_ids=list(skus[start:start + SEARCH_BATCH])):
                for sku in record.skus:
                    if sku.get("id") is None:
                        continue
                    sku_id = str(sku["id"])
                    if not targets:
                        figure = tiktok_figure(sku, None)
                        if figure is not None:
                            figures[sku_id] = figure
                    for target in targets:
                        figure = tiktok_figure(sku, target.warehouse_id) if target.default \
                            else _at_warehouse(sku, target.warehouse_id)
                        if figure is not None:
                            figures[figure_key(sku_id, target)] = figure
    return figures, calls


def _at_warehouse(sku: Mapping[str, Any], warehouse_id: str) -> int:
    """A SKU's figure at one warehouse (0 when TikTok lists none there)."""
    for entry in sku.get("warehouse_inventory") or []:
        if str(entry.get("warehouse_id")) == warehouse_id:
            return int(entry.get("available_quantity") or 0)
    return 0


def check_tiktok(client: TikTokShop, shops: Mapping[str, Any], warehouses: Mapping[str, Sequence[Target]],
                 links: Mapping[str, Sequence[SkuLink]], states: Mapping[str, StockState],
                 planned: Mapping[str, Mapping[str, int]], skip: Iterable[str], plan: CheckPlan,
                 now: float) -> CheckResult:
    """Read back ``plan.skus`` and compare. ``links``: store product id -> its SKU links;
    ``planned``: store product id -> the figures this run computed from the store (products
    changed since the last run); ``skip``: products queued by this run."""
    from connector.tiktok.errors import TikTokError

    leave = set(skip)
    product_of: dict[str, SkuLink] = {}
    for product_id, members in links.items():
        state = states.get(product_id)
        in_flight = state is not None and state.lease_until is not None and state.lease_until > now
        if product_id in leave or in_flight:
            continue
        for link in members:
            product_of[link.tiktok_sku_id] = link
    by_shop: dict[str, list[str]] = {}
    for sku_id in plan.skus:
        owner = product_of.get(sku_id)
        if owner is not None:
            by_shop.setdefault(owner.shop_id, []).append(sku_id)
    result = CheckResult()
    try:
        figures, result.calls = read_back(client, shops, by_shop, warehouses)
    except TikTokError as exc:
        result.error = f"inventory_search:{exc.tiktok_code}"
        return result
    from connector.catalog.stock.warehouses import figure_key

    for shop_id, skus in by_shop.items():
        for sku_id in skus:
            link = product_of[sku_id]
            keys = [figure_key(sku_id, t) for t in warehouses.get(shop_id, ())] or [sku_id]
            if not any(key in figures for key in keys):
                result.missing += 1
                continue
            result.read += 1
            product_id = link.store_product_id
            for key in keys:
                shown = figures.get(key)
                expected = planned.get(product_id, {}).get(key)
                if expected is None:
                    state = states.get(product_id)
                    expected = state.sent.get(key) if state is not None else None
                if shown is not None and expected is not None and shown != expected:
                    result.differing.setdefault(product_id, {})[key] = (shown, expected)
    if result.differing:
        logger().warning("stock differs on TikTok; syncing again", extra={
            "products": len(result.differing),
            "skus": sum(len(v) for v in result.differing.values()),
            "above": sum(1 for v in result.differing.values() for shown, want in v.values() if shown > want)})
    return result
