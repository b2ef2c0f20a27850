from __future__ import annotations

from decimal import Decimal

import pytest

from connector.catalog import rules as r
from connector.catalog.settings import PackageDefaults, PriceRule, StockRule
from connector.stores.protocol import Dimensions, Stock

from .builders import EAN_8, EAN_13, GTIN_14, ISBN_13, UPC, product, settings, variant


@pytest.mark.parametrize(
    ("code", "kinds"),
    [
        (UPC, ("UPC",)),
        (EAN_8, ("EAN",)),
        (EAN_13, ("EAN",)),
        (ISBN_13, ("EAN", "ISBN")),
        (GTIN_14, ("GTIN", "EAN")),
        (UPC[:11], ()),  # an 11-digit UPC
        (UPC[:11] + "3", ()),  # wrong check digit
        ("03600029145A", ()),
        ("", ()),
    ],
)
def test_identifier_kinds(code: str, kinds: tuple[str, ...]) -> None:
    assert r.identifier_kinds(code) == kinds


def test_identifier_priority_decides_the_kind() -> None:
    assert r.choose_identifier(ISBN_13, ("GTIN", "UPC", "EAN", "ISBN")) == ("EAN", ISBN_13)
    assert r.choose_identifier(ISBN_13, ("ISBN", "EAN")) == ("ISBN", ISBN_13)
    assert r.choose_identifier(GTIN_14, ("GTIN",)) == ("GTIN", GTIN_14)
    assert r.choose_identifier(UPC, ("EAN", "ISBN")) is None
    assert r.choose_identifier("036000 29145-2", ("UPC",)) == ("UPC", UPC)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (PriceRule(), "19.90"),
        (PriceRule(percent=Decimal("10")), "21.89"),
        (PriceRule(percent=Decimal("-25")), "14.93"),  # 14.925 rounds half up
        (PriceRule(fixed=Decimal("-4.90")), "15.00"),
        (PriceRule(percent=Decimal("10"), rounding=".99"), "21.99"),
        (PriceRule(fixed=Decimal("0.10"), rounding=".99"), "20.99"),
        (PriceRule(rounding=".95"), "19.95"),
        (PriceRule(fixed=Decimal("0.10"), rounding="whole"), "20.00"),
        (PriceRule(source="compare_at"), "29.00"),
    ],
)
def test_price_rules(rule: PriceRule, expected: str) -> None:
    v = variant(price=Decimal("19.90"), compare_at=Decimal("29.00"))
    assert r.listed_price(v, rule) == Decimal(expected)


def test_compare_at_source_falls_back_to_the_price() -> None:
    assert r.listed_price(variant(price=Decimal("5"), compare_at=None), PriceRule(source="compare_at")) == Decimal("5")


@pytest.mark.parametrize(
    ("stock", "rule", "expected"),
    [
        (Stock.counted(10), StockRule(), 10),
        (Stock.counted(-3), StockRule(), 0),
        (Stock.unlimited_stock(), StockRule(unlimited_quantity=250), 250),
        (Stock(tracked=False), StockRule(unlimited_quantity=7), 7),
        (Stock.counted(10), StockRule(reserve_percent=Decimal("15")), 8),  # 1.5 reserved -> 2
        (Stock.counted(10), StockRule(reserve_fixed=4), 6),
        (Stock.counted(3), StockRule(reserve_fixed=5), 0),
    ],
)
def test_stock_rules(stock: Stock, rule: StockRule, expected: int) -> None:
    assert r.listed_quantity(variant(stock=stock), rule) == expected


def test_weight_conversion_rounds_up_to_tiktok_precision() -> None:
    assert r.convert_weight(Decimal("1"), "lb", "KILOGRAM") == Decimal("0.454")
    assert r.convert_weight(Decimal("8"), "oz", "POUND") == Decimal("0.50")
    assert r.convert_weight(Decimal("0.0001"), "kg", "GRAM") == Decimal("1")
    assert r.convert_weight(Decimal("250"), "g", "KILOGRAM") == Decimal("0.250")


def test_length_conversion_is_whole_and_at_least_one() -> None:
    assert r.convert_length(Decimal("10"), "in", "CENTIMETER") == 26
    assert r.convert_length(Decimal("30"), "cm", "INCH") == 12
    assert r.convert_length(Decimal("2"), "mm", "CENTIMETER") == 1


def test_units_follow_the_region_and_the_store() -> None:
    assert r.units_for("US", "lb") == ("POUND", "INCH")
    assert r.units_for("US", "kg") == ("KILOGRAM", "CENTIMETER")
    assert r.units_for("GB", "lb") == ("KILOGRAM", "CENTIMETER")
    assert r.units_for("BR", "g") == ("GRAM", "CENTIMETER")


def test_package_is_the_heaviest_variant_and_the_largest_box() -> None:
    p = product(
        [
            variant(
                "a",
                weight=Decimal("1.5"),
                dimensions=Dimensions(length=Decimal(10), width=Decimal(40), height=Decimal(2)),
            ),
            variant(
                "b", weight=Decimal("2"), dimensions=Dimensions(length=Decimal(30), width=Decimal(5), height=Decimal(2))
            ),
        ]
    )
    pkg = r.package(p, settings("US", store_weight_unit="lb", store_dimension_unit="in"))
    assert pkg is not None
    assert (pkg.weight, pkg.weight_unit) == (Decimal("2.00"), "POUND")
    assert (pkg.length, pkg.width, pkg.height, pkg.dimension_unit) == (30, 40, 2, "INCH")


def test_package_uses_the_connection_default_with_its_own_units() -> None:
    p = product([variant(weight=None, dimensions=None)])
    defaults = PackageDefaults(
        weight=Decimal("500"),
        weight_unit="g",
        length=Decimal(4),
        width=Decimal(3),
        height=Decimal(2),
        dimension_unit="in",
    )
    pkg = r.package(p, settings("GB", store_weight_unit="lb", package=defaults))
    assert pkg is not None
    assert (pkg.weight, pkg.weight_unit) == (Decimal("0.500"), "KILOGRAM")
    assert (pkg.length, pkg.width, pkg.height, pkg.dimension_unit) == (11, 8, 6, "CENTIMETER")
    assert r.package(p, settings("GB")) is None
