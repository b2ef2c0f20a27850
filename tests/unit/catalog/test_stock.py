"""Stock sync: the quantities TikTok receives (connector.catalog.stock.plan_stock): store quantity,
minus pending units, minus the reserve, unlimited, shared stock split, cap and floor, and the
low-inventory threshold with its three actions (and a product's own choice)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.catalog.stock.levels import MAX_QUANTITY, plan_stock, reserve, split, threshold_action
from connector.catalog.stock.requests import StockMessage
from connector.links import SkuLink
from connector.settings import StockSettings
from connector.stores.protocol import Stock, StoreVariant
from tests.unit.catalog.builders import product, variant


def link(key: str, product_id: str = "p1", stock_key: str | None = None) -> SkuLink:
    return SkuLink(connection_id="c1", store_product_id=product_id, variant_key=key, stock_key=stock_key or key,
                   shop_id="shop1", tiktok_product_id="tt-p1", tiktok_sku_id=f"sku-{key}")


def rule(**fields: Any) -> StockSettings:
    return StockSettings(**fields)


def shared(key: str, pool: str = "p1", stock: Stock | None = None) -> StoreVariant:
    return variant(key, stock_key=pool, stock=stock or Stock.counted(10))


def qty(plan: Any) -> dict[str, int]:
    return {s.variant_key: s.quantity for s in plan.skus}


# ---------------------------------------------------------------------------------- formula
def test_store_quantity_is_sent_as_it_is_without_reserve_or_pending() -> None:
    plan = plan_stock(product([variant("v1", stock=Stock.counted(12))]), [link("v1")], {}, rule())
    assert qty(plan) == {"v1": 12} and not plan.deactivate and plan.quantities() == {"sku-v1": 12}


def test_pending_units_of_tiktok_orders_not_in_the_store_are_subtracted() -> None:
    plan = plan_stock(product([variant("v1", stock=Stock.counted(12))]), [link("v1")],
                      {"v1": 5, "other-product": 40}, rule())
    assert qty(plan) == {"v1": 7}


def test_reserve_percent_rounds_up_then_the_fixed_reserve_is_held_back() -> None:
    one = product([variant("v1", stock=Stock.counted(10))])
    assert qty(plan_stock(one, [link("v1")], {}, rule(reserve_percent=Decimal("15")))) == {"v1": 8}
    assert qty(plan_stock(one, [link("v1")], {}, rule(reserve_percent=Decimal("15"), reserve_fixed=1))) == {"v1": 7}
    # The reserve is taken from what is left after pending units.
    assert qty(plan_stock(one, [link("v1")], {"v1": 6}, rule(reserve_percent=Decimal("50")))) == {"v1": 2}


def test_never_below_zero_and_never_above_99999() -> None:
    low = product([variant("v1", stock=Stock.counted(3))])
    assert qty(plan_stock(low, [link("v1")], {"v1": 9}, rule(reserve_fixed=5))) == {"v1": 0}
    huge = product([variant("v1", stock=Stock.counted(1_000_000))])
    assert qty(plan_stock(huge, [link("v1")], {}, rule())) == {"v1": MAX_QUANTITY}


def test_unlimited_and_untracked_stock_list_the_configured_quantity() -> None:
    unlimited = product([variant("v1", stock=Stock.unlimited_stock()),
                         variant("v2", stock=Stock(tracked=False, quantity=None))])
    plan = plan_stock(unlimited, [link("v1"), link("v2")], {"v1": 4},
                      rule(unlimited_quantity=250, reserve_percent=Decimal("50"), reserve_fixed=3, threshold=500))
    assert qty(plan) == {"v1": 250, "v2": 250}
    assert not plan.deactivate and not plan.low_pools  # unlimited stock is never "low"


def test_variants_sharing_the_product_stock_split_it_so_tiktok_never_promises_more() -> None:
    shirt = product([shared("p1:1"), shared("p1:2"), shared("p1:3")])
    plan = plan_stock(shirt, [link("p1:1", stock_key="p1"), link("p1:2", stock_key="p1"),
                             link("p1:3", stock_key="p1")], {}, rule())
    assert qty(plan) == {"p1:1": 4, "p1:2": 3, "p1:3": 3}
    # A pending order on one variant lowers the pool every sharing variant sells from.
    plan = plan_stock(shirt, [link("p1:1", stock_key="p1"), link("p1:2", stock_key="p1"),
                             link("p1:3", stock_key="p1")], {"p1:3": 4}, rule())
    assert qty(plan) == {"p1:1": 2, "p1:2": 2, "p1:3": 2}


def test_own_stock_and_shared_stock_side_by_side() -> None:
    mixed = product([variant("p1:1", stock=Stock.counted(7)), shared("p1:2", stock=Stock.counted(5)),
                     shared("p1:3", stock=Stock.counted(5))])
    plan = plan_stock(mixed, [link("p1:1"), link("p1:2", stock_key="p1"), link("p1:3", stock_key="p1")], {}, rule())
    assert qty(plan) == {"p1:1": 7, "p1:2": 3, "p1:3": 2}
    assert plan.pools == {"p1:1": 7, "p1": 5}


def test_a_product_gone_from_the_store_or_a_variant_gone_lists_zero() -> None:
    assert qty(plan_stock(None, [link("v1")], {}, rule())) == {"v1": 0}
    plan = plan_stock(product([variant("v1", stock=Stock.counted(4))]), [link("v1"), link("v9")], {}, rule())
    assert qty(plan) == {"v1": 4, "v9": 0}


# ---------------------------------------------------------------------------------- threshold
def two_skus(a: int, b: int) -> Any:
    return product([variant("v1", stock=Stock.counted(a)), variant("v2", stock=Stock.counted(b))])


def test_threshold_deactivate_when_any_sku_is_at_or_below_it() -> None:
    links = [link("v1"), link("v2")]
    at = plan_stock(two_skus(3, 20), links, {}, rule(threshold=3))
    assert at.deactivate and at.low_pools == ("v1",) and qty(at) == {"v1": 3, "v2": 20}
    above = plan_stock(two_skus(4, 20), links, {}, rule(threshold=3))
    assert not above.deactivate and not above.low_pools
    # Pending units and the reserve count: what TikTok may sell is what is compared.
    assert plan_stock(two_skus(6, 20), links, {"v1": 3}, rule(threshold=3)).deactivate
    assert plan_stock(two_skus(6, 20), links, {}, rule(threshold=3, reserve_fixed=3)).deactivate


def test_threshold_zero_sku_lists_zero_on_the_low_skus_only() -> None:
    plan = plan_stock(two_skus(2, 20), [link("v1"), link("v2")], {}, rule(threshold=3, threshold_action="zero_sku"))
    assert qty(plan) == {"v1": 0, "v2": 20} and not plan.deactivate


def test_threshold_exclude_and_a_products_own_choice() -> None:
    links = [link("v1"), link("v2")]
    excluded = plan_stock(two_skus(1, 20), links, {}, rule(threshold=3, threshold_action="exclude"))
    assert not excluded.deactivate and qty(excluded) == {"v1": 1, "v2": 20}
    own_exclude = plan_stock(two_skus(1, 20), links, {}, rule(threshold=3), {"stock_threshold": "exclude"})
    assert not own_exclude.deactivate
    own_zero = plan_stock(two_skus(1, 20), links, {}, rule(threshold=3, threshold_action="exclude"),
                          {"stock_threshold": "zero_sku"})
    assert qty(own_zero) == {"v1": 0, "v2": 20}
    # Off: no threshold at all.
    assert threshold_action(rule(), {"stock_threshold": "deactivate"}) is None
    assert threshold_action(rule(threshold=0), {"stock_threshold": "nonsense"}) == "deactivate"


def test_small_helpers() -> None:
    assert split(10, 3) == [4, 3, 3] and split(0, 2) == [0, 0] and split(-4, 2) == [0, 0] and split(5, 0) == []
    assert reserve(0, Decimal("50"), 3) == 0 and reserve(1, Decimal("1"), 0) == 1
    with pytest.raises(ValueError):
        StockMessage.model_validate({"connection_id": "", "correlation_id": "x"})


# ---------------------------------------------------------------------------------- properties
pool_stock = st.one_of(st.integers(-5, 200_000).map(Stock.counted), st.just(Stock.unlimited_stock()))


@st.composite
def scenarios(draw: Any) -> tuple[Any, list[SkuLink], dict[str, int], StockSettings, dict[str, str]]:
    pools = draw(st.lists(pool_stock, min_size=1, max_size=4))
    variants, links = [], []
    for p, stock in enumerate(pools):
        for n in range(draw(st.integers(1, 4))):
            key = f"p1:{p}-{n}"
            variants.append(variant(key, stock_key=f"pool{p}", stock=stock))
            if draw(st.booleans()) or n == 0:
                links.append(link(key, stock_key=f"pool{p}"))
    keys = [v.key for v in variants]
    pending = draw(st.dictionaries(st.sampled_from(keys), st.integers(0, 50), max_size=len(keys)))
    stock_rule = StockSettings(
        unlimited_quantity=draw(st.integers(0, 99_999)),
        reserve_percent=draw(st.decimals(0, 100, places=1)),
        reserve_fixed=draw(st.integers(0, 30)),
        threshold=draw(st.one_of(st.none(), st.integers(0, 40))),
        threshold_action=draw(st.sampled_from(["deactivate", "zero_sku", "exclude"])))
    overrides = draw(st.sampled_from([{}, {"stock_threshold": "exclude"}, {"stock_threshold": "zero_sku"}]))
    return product(variants), links, pending, stock_rule, overrides


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_no_pool_is_ever_oversold_and_every_figure_is_in_range(case: Any) -> None:
    store_product, links, pending, stock_rule, overrides = case
    plan = plan_stock(store_product, links, pending, stock_rule, overrides)
    assert plan == plan_stock(store_product, links, pending, stock_rule, overrides)  # deterministic
    assert {s.tiktok_sku_id for s in plan.skus} == {x.tiktok_sku_id for x in links}
    variants = {v.key: v for v in store_product.variants}
    by_pool: dict[str, int] = {}
    for sku in plan.skus:
        assert 0 <= sku.quantity <= MAX_QUANTITY
        by_pool[sku.stock_key] = by_pool.get(sku.stock_key, 0) + sku.quantity
    action = threshold_action(stock_rule, overrides)
    for pool, listed in by_pool.items():
        stock = next(v.stock for v in variants.values() if v.stock_key == pool)
        if stock.unlimited:
            assert all(s.quantity == stock_rule.unlimited_quantity for s in plan.skus if s.stock_key == pool)
            continue
        drawn = sum(u for k, u in pending.items() if variants[k].stock_key == pool)
        assert listed <= max(0, max(0, stock.quantity) - drawn)  # never more than the store can hand over
        if action == "zero_sku" and pool in plan.low_pools:
            assert listed == 0
    assert plan.deactivate == (action == "deactivate" and bool(plan.low_pools))
    if action is None:
        assert not plan.low_pools
