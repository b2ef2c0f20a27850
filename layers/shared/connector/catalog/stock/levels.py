"""The quantities TikTok receives for a product's SKUs.

The store is the source of truth. Every figure sent is absolute and recomputed from
the store product each time:

    pool      = the store quantity of a stock holder (a variant, or the product whose stock
                several variants share), unlimited / untracked -> ``unlimited_quantity``
    available = pool - pending units of TikTok orders not in the store yet (every variant
                selling from that pool)
    reserve   = ceil(available * reserve_percent / 100) + reserve_fixed
    net       = max(0, available - reserve)
    per SKU   = net split evenly over the linked SKUs selling from the pool (the remainder one by
                one to the first SKUs by variant key), so the SKUs of a shared pool never promise
                more than the pool holds; capped at 99,999.

Unlimited pools list ``unlimited_quantity`` on every SKU (nothing to reserve or split). The
low-inventory threshold compares each pool's ``net`` (what TikTok may sell from it) with
``threshold``: ``deactivate`` takes the whole TikTok product offline while any pool is at or
below it, ``zero_sku`` lists 0 on the SKUs of the low pools, ``exclude`` leaves the product out
of the rule. A product's own choice (``ProductRecord.sync_overrides["stock_threshold"]``) wins
over the connection's ``threshold_action``, and its own threshold
(``sync_overrides["stock_threshold_at"]``, a whole number) over the connection's ``threshold``.

This module is pure and light: the worker is :mod:`connector.catalog.stock.worker`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from connector.links import SkuLink
    from connector.settings import StockSettings
    from connector.stores.protocol import StoreProduct


MAX_QUANTITY = 99_999


ThresholdAction = Literal["deactivate", "zero_sku", "exclude"]


THRESHOLD_OVERRIDE_KEY = "stock_threshold"
THRESHOLD_AT_OVERRIDE_KEY = "stock_threshold_at"


def threshold_at(rule: StockSettings, overrides: Mapping[str, str] | None = None) -> int | None:
    """The low-inventory threshold that applies to a product (``None``: off)."""
    own = (overrides or {}).get(THRESHOLD_AT_OVERRIDE_KEY)
    if own is not None and own.isdigit():
        return int(own)
    return rule.threshold


@dataclass(frozen=True)
class SkuQuantity:
    variant_key: str
    stock_key: str
    tiktok_product_id: str
    tiktok_sku_id: str
    quantity: int
    low: bool = False
    """Its pool is at or below the threshold."""


@dataclass(frozen=True)
class StockPlan:
    skus: tuple[SkuQuantity, ...]
    deactivate: bool = False
    """The threshold rule wants the TikTok product offline (action ``deactivate``)."""
    low_pools: tuple[str, ...] = ()
    pools: Mapping[str, int] = field(default_factory=dict)
    """stock key -> net units TikTok may sell from it (``-1``: unlimited)."""

    def quantities(self) -> dict[str, int]:
        """tiktok sku id -> quantity."""
        return {s.tiktok_sku_id: s.quantity for s in self.skus}


def reserve(available: int, percent: Decimal, fixed: int) -> int:
    """Units held back from ``available``: percent rounded up, plus the fixed number."""
    if available <= 0:
        return 0
    held = (Decimal(available) * percent / Decimal(100)).to_integral_value(rounding=ROUND_CEILING)
    return int(held) + fixed


def split(units: int, ways: int) -> list[int]:
    """``units`` over ``ways`` SKUs: even shares, the remainder one by one to the first ones."""
    if ways <= 0:
        return []
    base, extra = divmod(max(0, units), ways)
    return [base + (1 if i < extra else 0) for i in range(ways)]


def threshold_action(rule: StockSettings, overrides: Mapping[str, str] | None = None) -> ThresholdAction | None:
    """The action that applies to a product (``None``: the rule is off for it)."""
    if threshold_at(rule, overrides) is None:
        return None
    own = (overrides or {}).get(THRESHOLD_OVERRIDE_KEY)
    action: str = own if own in ("deactivate", "zero_sku", "exclude") else rule.threshold_action
    return None if action == "exclude" else action  # type: ignore[return-value]


def plan_stock(product: StoreProduct | None, links: Sequence[SkuLink], pending: Mapping[str, int],
               rule: StockSettings, overrides: Mapping[str, str] | None = None) -> StockPlan:
    """The absolute quantity of every linked SKU of one store product (see the module doc).

    ``product`` ``None`` (deleted in the store) or a linked variant gone from it: 0 on those SKUs.
    ``pending``: variant key -> units paid on TikTok, not yet in the store (other products' keys
    are ignored).
    """
    variants = {v.key: v for v in product.variants} if product is not None else {}
    action = threshold_action(rule, overrides)
    threshold = threshold_at(rule, overrides)
    # Pools: stock key -> the linked SKUs selling from it (sorted by variant key: stable split).
    pools: dict[str, list[SkuLink]] = {}
    gone: list[SkuLink] = []
    for link in sorted(links, key=lambda x: x.variant_key):
        variant = variants.get(link.variant_key)
        if variant is None:
            gone.append(link)
            continue
        pools.setdefault(variant.stock_key, []).append(link)
    # Pending units by pool (every variant of the product, linked or not, draws on its pool).
    drawn: dict[str, int] = {}
    for key, units in pending.items():
        variant = variants.get(key)
        if variant is not None and units > 0:
            drawn[variant.stock_key] = drawn.get(variant.stock_key, 0) + int(units)

    out: list[SkuQuantity] = []
    nets: dict[str, int] = {}
    low_pools: list[str] = []
    for stock_key, members in pools.items():
        stock = variants[members[0].variant_key].stock
        unlimited = stock.unlimited or not stock.tracked or stock.quantity is None
        if unlimited:
            shares = [min(MAX_QUANTITY, max(0, rule.unlimited_quantity))] * len(members)
            nets[stock_key] = -1
            low = False
        else:
            assert stock.quantity is not None
            available = max(0, stock.quantity) - drawn.get(stock_key, 0)
            net = max(0, available - reserve(available, rule.reserve_percent, rule.reserve_fixed))
            nets[stock_key] = net
            low = action is not None and threshold is not None and net <= threshold
            shares = [min(MAX_QUANTITY, s) for s in split(net, len(members))]
            if low:
                low_pools.append(stock_key)
        for link, share in zip(members, shares, strict=True):
            quantity = 0 if (low and action == "zero_sku") else share
            out.append(SkuQuantity(link.variant_key, stock_key, link.tiktok_product_id, link.tiktok_sku_id,
                                   quantity, low))
    for link in gone:
        out.append(SkuQuantity(link.variant_key, link.stock_key, link.tiktok_product_id, link.tiktok_sku_id, 0,
                               action is not None))
        if action is not None:
            low_pools.append(link.stock_key)
    return StockPlan(skus=tuple(out), deactivate=bool(low_pools) and action == "deactivate",
                     low_pools=tuple(low_pools), pools=nets)
