"""Stock on several TikTok warehouses (connector.catalog.stock.warehouses): which warehouses get a
figure, each one's figure from its own location minus the orders in flight at it, the threshold
across locations, and the map refused unless the store and TikTok allow it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from connector.catalog.stock.warehouses import (
    MapRefused,
    Target,
    check_map,
    figure_key,
    plan_warehouses,
    targets,
)
from connector.connections.models import ShopLink, WarehouseInfo
from connector.links import SkuLink
from connector.settings import ConnectionSettings, StockSettings
from connector.stores.protocol import Stock, StoreLocation
from tests.unit.catalog.builders import product, variant


def shop(shop_id: str = "shop1", default: str | None = "wA", others: tuple[str, ...] = ("wB",),
         disabled: tuple[str, ...] = ()) -> ShopLink:
    warehouses = [WarehouseInfo(id=default, is_default=True, status="ENABLED", type="SALES_WAREHOUSE")] if default \
        else []
    warehouses += [WarehouseInfo(id=w, status="ENABLED", type="SALES_WAREHOUSE") for w in others]
    warehouses += [WarehouseInfo(id=w, status="DISABLED", type="SALES_WAREHOUSE") for w in disabled]
    return ShopLink(shop_id=shop_id, cipher="c", default_warehouse_id=default, warehouses=tuple(warehouses))


def link(key: str, shop_id: str = "shop1") -> SkuLink:
    return SkuLink(connection_id="c1", store_product_id="p1", variant_key=key, stock_key=key, shop_id=shop_id,
                   tiktok_product_id=f"tt-{shop_id}", tiktok_sku_id=f"sku-{key}-{shop_id}")


def at(**figures: int) -> dict[str, Stock]:
    return {key: Stock.counted(n) for key, n in figures.items()}


MAP = {"L1": "wA", "L2": "wB"}
ONE = product([variant("v1", stock=Stock.counted(9))])


def plan(mapping: dict[str, str], pending: Any = None, rule: StockSettings | None = None,
         stock: Any = None, shops: Any = None, links: Any = None, item: Any = ONE) -> Any:
    return plan_warehouses(item, links or [link("v1")], shops or {"shop1": shop()}, mapping,
                           stock if stock is not None else {"L1": at(v1=7), "L2": at(v1=3)},
                           pending or {}, rule or StockSettings())


# ---------------------------------------------------------------------------------- targets
def test_without_a_map_the_default_warehouse_gets_the_store_figure_as_before() -> None:
    assert targets({}, shop()) == (Target("shop1", "wA", None, True),)
    got = plan({})
    assert got.figures == {"sku-v1-shop1": 9}  # the product as read: the connection's own location
    assert got.inventory == {"sku-v1-shop1": (("wA", 9),)}


def test_each_mapped_warehouse_gets_its_own_location_the_default_first() -> None:
    assert targets(MAP, shop()) == (Target("shop1", "wA", "L1", True), Target("shop1", "wB", "L2", False))
    got = plan(MAP)
    assert got.figures == {"sku-v1-shop1": 7, "sku-v1-shop1@wB": 3}
    assert got.inventory == {"sku-v1-shop1": (("wA", 7), ("wB", 3))}
    assert figure_key("s", Target("shop1", "wB", "L2", False)) == "s@wB"


def test_a_map_naming_another_shops_warehouses_leaves_this_shop_as_before() -> None:
    assert targets({"L9": "wZ"}, shop()) == (Target("shop1", "wA", None, True),)
    assert targets({"L1": "wA"}, shop(default=None)) == ()


def test_a_location_not_holding_the_variant_counts_zero_there() -> None:
    got = plan(MAP, stock={"L1": at(v1=7), "L2": {}})
    assert got.figures == {"sku-v1-shop1": 7, "sku-v1-shop1@wB": 0}


# ---------------------------------------------------------------------------------- orders in flight
def test_orders_in_flight_are_reserved_at_their_warehouse() -> None:
    got = plan(MAP, pending={"wB": {"v1": 2}})
    assert got.figures == {"sku-v1-shop1": 7, "sku-v1-shop1@wB": 1}


def test_orders_without_a_warehouse_or_at_an_unmapped_one_are_reserved_at_the_default() -> None:
    got = plan(MAP, pending={None: {"v1": 1}, "wElsewhere": {"v1": 2}, "wB": {"v1": 1}})
    assert got.figures == {"sku-v1-shop1": 4, "sku-v1-shop1@wB": 2}
    # Without a map every order in flight counts once against the one figure.
    assert plan({}, pending={None: {"v1": 1}, "wB": {"v1": 2}}).figures == {"sku-v1-shop1": 6}


def test_a_shop_without_a_mapped_warehouse_keeps_the_figure_as_read() -> None:
    shops = {"shop1": shop(), "shop2": shop("shop2", default="wC", others=())}
    got = plan({"L1": "wA", "L2": "wB"}, shops=shops, links=[link("v1"), link("v1", "shop2")])
    # shop2 has no mapped warehouse: its default takes the product as read (9), shop1 its locations.
    assert got.figures == {"sku-v1-shop1": 7, "sku-v1-shop1@wB": 3, "sku-v1-shop2": 9}


# ---------------------------------------------------------------------------------- threshold
def test_the_product_goes_offline_only_when_every_location_is_low() -> None:
    low = StockSettings(threshold=3, threshold_action="deactivate")
    one_low = plan(MAP, rule=low)
    assert not one_low.deactivate and one_low.low_pools == ("v1",)
    assert plan(MAP, rule=low, stock={"L1": at(v1=2), "L2": at(v1=1)}).deactivate
    zero = plan(MAP, rule=StockSettings(threshold=3, threshold_action="zero_sku"))
    assert zero.figures == {"sku-v1-shop1": 7, "sku-v1-shop1@wB": 0}


# ---------------------------------------------------------------------------------- the map refused
LOCATIONS = [StoreLocation(id="L1", name="Shop floor"), StoreLocation(id="L2", name="Back room"),
             StoreLocation(id="L3", name="Closed", active=False)]


def test_a_map_the_store_and_tiktok_allow_passes() -> None:
    check_map(MAP, LOCATIONS, [shop()])
    check_map({}, [], [shop()])  # no map: one figure, nothing to check


@pytest.mark.parametrize(("mapping", "locations", "shops", "reason"), [
    ({"L1": "wA"}, [], [shop()], "store_has_no_locations"),
    ({"L1": "wA", "L9": "wB"}, LOCATIONS, [shop()], "unknown_location"),
    ({"L1": "wA", "L3": "wB"}, LOCATIONS, [shop()], "inactive_location"),
    ({"L1": "wA", "L2": "wX"}, LOCATIONS, [shop()], "unknown_warehouse"),
    ({"L1": "wA", "L2": "wOld"}, LOCATIONS, [shop(disabled=("wOld",))], "unknown_warehouse"),
    ({"L2": "wB"}, LOCATIONS, [shop()], "default_warehouse_unmapped"),
], ids=["ecwid-like", "unknown-location", "inactive-location", "unknown-warehouse", "disabled-warehouse",
        "default-unmapped"])
def test_a_map_is_refused_with_its_reason(mapping: dict[str, str], locations: list[StoreLocation],
                                          shops: list[ShopLink], reason: str) -> None:
    with pytest.raises(MapRefused) as refused:
        check_map(mapping, locations, shops)
    assert refused.value.reason == reason and refused.value.status == 400


def test_the_settings_refuse_a_malformed_map() -> None:
    ok = ConnectionSettings().patched({"stock": {"warehouses": {" L1 ": "wA"}}})
    assert ok.stock.warehouses == {"L1": "wA"}
    for bad in ({"L1": "wA", "L2": "wA"}, {"": "wA"}, {"L1": "x" * 65}, ["L1"],
                {f"L{i}": f"w{i}" for i in range(51)}):
        with pytest.raises(ValidationError):
            ConnectionSettings().patched({"stock": {"warehouses": bad}})
