"""TikTok's listing limits (listed in docs/tiktok.md, "Listing rules") and the computations
validate and transform share, so that what is checked is exactly what is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Literal

from connector.catalog.settings import IdentifierKind, PriceRule, StockRule, SyncSettings
from connector.stores.protocol import StoreProduct, StoreVariant

SHORT_TITLE_REGIONS = frozenset({"US", "GB", "UK", "DE", "ES", "FR", "IE", "IT", "JP"})
LONG_TITLE_REGIONS = frozenset({"BR", "MX"})
MANY_SKU_REGIONS = frozenset({"BR", "DE", "ES", "FR", "IE", "IT", "JP", "MX", "GB", "UK", "US"})
MAX_MAIN_IMAGES = 9
MAX_SALES_ATTRIBUTES = 3
MAX_ATTRIBUTE_NAME = 20
MAX_ATTRIBUTE_VALUE = 50
MAX_DESCRIPTION_CHARS = 10_000
MAX_DESCRIPTION_IMAGES = 30
MAX_SELLER_SKU = 50
MAX_QUANTITY = 99_999
MIN_PRICE = Decimal("0.01")
CENT = Decimal("0.01")

EMOJI = re.compile("[\U0001f000-\U0001faff\U00002600-\U000027bf\ufe0f]")
REPEATS = re.compile(r"(.)\1{8,}")
CHINESE = re.compile("[\u4e00-\u9fff]")
_SPACES = re.compile(r"\s+")


def title_limits(region: str) -> tuple[int, int]:
    if region in SHORT_TITLE_REGIONS:
        return 1, 255
    if region in LONG_TITLE_REGIONS:
        return 1, 300
    return 25, 255


def max_skus(region: str) -> int:
    return 300 if region in MANY_SKU_REGIONS else 100


def clean_text(value: str) -> str:
    """Whitespace collapsed and trimmed (titles, option names and values)."""
    return _SPACES.sub(" ", value).strip()


# --- identifiers -------------------------------------------------------------------------------

_DIGITS = re.compile(r"^\d+$")


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code)


def gs1_check_digit_ok(code: str) -> bool:
    """GS1 mod-10 check (GTIN-8/12/13/14, EAN, UPC-A and ISBN-13 all use it)."""
    digits = [int(d) for d in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def identifier_kinds(code: str) -> tuple[IdentifierKind, ...]:
    """The kinds a normalised code can be sent as, by its length (empty: not a valid code)."""
    if not _DIGITS.match(code) or not gs1_check_digit_ok(code):
        return ()
    if len(code) == 8:
        return ("EAN",)
    if len(code) == 12:
        return ("UPC",)
    if len(code) == 13:
        return ("EAN", "ISBN") if code.startswith(("978", "979")) else ("EAN",)
    if len(code) == 14:
        return ("GTIN", "EAN")
    return ()


def identifier_value(variant: StoreVariant, source: str) -> str | None:
    """The store value that feeds the variant's identifier code: its barcode, its SKU, or none."""
    if source == "sku":
        return variant.sku
    if source == "none":
        return None
    return variant.gtin


def choose_identifier(code: str | None, priority: tuple[IdentifierKind, ...]) -> tuple[IdentifierKind, str] | None:
    """The kind to send a variant's code as: the first of ``priority`` the code fits."""
    if not code:
        return None
    normalised = normalise_code(code)
    kinds = identifier_kinds(normalised)
    kind = next((k for k in priority if k in kinds), None)
    return (kind, normalised) if kind else None


# --- options -> sales attributes -------------------------------------------------------------


def option_names(product: StoreProduct) -> list[str]:
    """Names of the options variants actually differ by: the product's order first, then any
    others in order of appearance; de-duplicated on the cleaned, lower-cased name."""
    used = {clean_text(name).lower() for v in product.variants for name in v.option_values}
    names: list[str] = []
    seen: set[str] = set()
    candidates = [o.name for o in product.options] + [n for v in product.variants for n in v.option_values]
    for name in candidates:
        key = clean_text(name).lower()
        if key in used and key not in seen:
            seen.add(key)
            names.append(name)
    return names


def option_value(variant: StoreVariant, name: str) -> str | None:
    key = clean_text(name).lower()
    for raw_name, value in variant.option_values.items():
        if clean_text(raw_name).lower() == key:
            return clean_text(value)
    return None


# --- price and stock -------------------------------------------------------------------------


def listed_price(variant: StoreVariant, rule: PriceRule) -> Decimal:
    """The price to list after the price rules, in cents; may be zero or negative (validate says so)."""
    base = variant.compare_at if rule.source == "compare_at" and variant.compare_at is not None else variant.price
    price = base * (Decimal(1) + rule.percent / Decimal(100)) + rule.fixed
    if rule.rounding == "whole":
        return price.to_integral_value(rounding=ROUND_CEILING).quantize(CENT)
    if rule.rounding in (".99", ".95"):
        ending = Decimal(rule.rounding)
        whole = (price - ending).to_integral_value(rounding=ROUND_CEILING)
        return (whole + ending).quantize(CENT)
    return price.quantize(CENT, rounding=ROUND_HALF_UP)


def listed_quantity(variant: StoreVariant, rule: StockRule) -> int:
    """Sellable units: unlimited -> the configured figure, minus the reserve, at least 0."""
    quantity = variant.stock.sellable(max(0, rule.unlimited_quantity))
    reserve = (Decimal(quantity) * rule.reserve_percent / Decimal(100)).to_integral_value(rounding=ROUND_CEILING)
    return max(0, quantity - int(reserve) - rule.reserve_fixed)


# --- package ---------------------------------------------------------------------------------

WeightUnit = Literal["KILOGRAM", "POUND", "GRAM"]
DimensionUnit = Literal["CENTIMETER", "INCH"]

_KG_PER: dict[str, Decimal] = {
    "kg": Decimal(1),
    "g": Decimal("0.001"),
    "lb": Decimal("0.45359237"),
    "oz": Decimal("0.028349523125"),
    "ct": Decimal("0.0002"),
}
_CM_PER: dict[str, Decimal] = {
    "cm": Decimal(1),
    "mm": Decimal("0.1"),
    "m": Decimal(100),
    "in": Decimal("2.54"),
    "yd": Decimal("91.44"),
}
_IMPERIAL = frozenset({"lb", "oz"})
_PLACES: dict[str, Decimal] = {"KILOGRAM": Decimal("0.001"), "POUND": CENT, "GRAM": Decimal(1)}


def units_for(region: str, store_weight_unit: str) -> tuple[WeightUnit, DimensionUnit]:
    """TikTok's units for the region, close to the store's own (one measurement system)."""
    if region == "US" and store_weight_unit in _IMPERIAL:
        return "POUND", "INCH"
    if region in ("BR", "JP", "MX") and store_weight_unit in ("g", "ct"):
        return "GRAM", "CENTIMETER"
    return "KILOGRAM", "CENTIMETER"


def known_weight_unit(unit: str) -> bool:
    return unit in _KG_PER


def known_dimension_unit(unit: str) -> bool:
    return unit in _CM_PER


def convert_weight(value: Decimal, from_unit: str, to_unit: WeightUnit) -> Decimal:
    """Converted and rounded *up* to TikTok's precision (so a positive weight stays positive)."""
    kilograms = value * _KG_PER[from_unit]
    target = {"KILOGRAM": kilograms, "GRAM": kilograms * 1000, "POUND": kilograms / _KG_PER["lb"]}[to_unit]
    return target.quantize(_PLACES[to_unit], rounding=ROUND_CEILING)


def convert_length(value: Decimal, from_unit: str, to_unit: DimensionUnit) -> int:
    """Converted and rounded *up* to a whole number (the box must fit the item), at least 1."""
    centimetres = value * _CM_PER[from_unit]
    target = centimetres if to_unit == "CENTIMETER" else centimetres / _CM_PER["in"]
    return max(1, int(target.to_integral_value(rounding=ROUND_CEILING)))


@dataclass(frozen=True)
class Package:
    weight: Decimal
    weight_unit: WeightUnit
    length: int
    width: int
    height: int
    dimension_unit: DimensionUnit


def _positive(value: Decimal | None) -> bool:
    return value is not None and value.is_finite() and value > 0


def package_weight_kg(product: StoreProduct, settings: SyncSettings) -> Decimal | None:
    """The heaviest variant (the package must carry any of them), in kilograms; variants without
    a weight count with the connection default; ``None`` when no weight is known at all."""
    weights: list[Decimal] = []
    default = settings.package
    default_kg: Decimal | None = None
    if default.weight is not None and _positive(default.weight) and known_weight_unit(default.weight_unit):
        default_kg = default.weight * _KG_PER[default.weight_unit]
    own_unit = _KG_PER.get(settings.store_weight_unit)
    for variant in product.variants:
        if _positive(variant.weight) and own_unit is not None:
            assert variant.weight is not None
            weights.append(variant.weight * own_unit)
        elif default_kg is not None:
            weights.append(default_kg)
        else:
            return None
    return max(weights)


def package_dimensions_cm(product: StoreProduct, settings: SyncSettings) -> tuple[Decimal, Decimal, Decimal] | None:
    """The box that fits every variant (largest of each side), in centimetres."""
    default = settings.package
    default_cm: tuple[Decimal, Decimal, Decimal] | None = None
    if known_dimension_unit(default.dimension_unit) and all(
        _positive(side) for side in (default.length, default.width, default.height)
    ):
        factor = _CM_PER[default.dimension_unit]
        assert default.length is not None and default.width is not None and default.height is not None
        default_cm = (default.length * factor, default.width * factor, default.height * factor)
    own = _CM_PER.get(settings.store_dimension_unit)
    boxes: list[tuple[Decimal, Decimal, Decimal]] = []
    for variant in product.variants:
        dims = variant.dimensions
        if dims is not None and own is not None and all(_positive(s) for s in (dims.length, dims.width, dims.height)):
            boxes.append((dims.length * own, dims.width * own, dims.height * own))
        elif default_cm is not None:
            boxes.append(default_cm)
        else:
            return None
    return (max(b[0] for b in boxes), max(b[1] for b in boxes), max(b[2] for b in boxes))


def package(product: StoreProduct, settings: SyncSettings) -> Package | None:
    weight_kg = package_weight_kg(product, settings)
    dims_cm = package_dimensions_cm(product, settings)
    if weight_kg is None or dims_cm is None:
        return None
    weight_unit, dimension_unit = units_for(settings.region, settings.store_weight_unit)
    length, width, height = (convert_length(side, "cm", dimension_unit) for side in dims_cm)
    return Package(
        weight=convert_weight(weight_kg, "kg", weight_unit),
        weight_unit=weight_unit,
        length=length,
        width=width,
        height=height,
        dimension_unit=dimension_unit,
    )
