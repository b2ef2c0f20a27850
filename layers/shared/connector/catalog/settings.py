"""What catalog sync needs besides the store product: the mapping and the connection settings.

Plain frozen dataclasses (no pydantic): they are built by the caller from stored settings, and
importing them costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from connector.settings import ConnectionSettings

PriceSource = Literal["price", "compare_at"]
Rounding = Literal["none", "whole", ".99", ".95"]
IdentifierKind = Literal["GTIN", "EAN", "UPC", "ISBN"]
IdentifierSource = Literal["barcode", "sku", "none"]


@dataclass(frozen=True)
class AttributeValue:
    """One value of a TikTok product attribute: a TikTok value id, or a custom name."""

    id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class ListingContext:
    """The product's mapping to TikTok (category, attributes, brand, certificates) and what is known
    of its images."""

    category_id: str | None
    """The TikTok leaf category, or ``None`` when the product's category is not mapped."""
    category_version: Literal["v1", "v2"] | None = None
    required_attributes: Mapping[str, str] = field(default_factory=dict)
    """Required PRODUCT_PROPERTY attributes of the category: id -> name (for messages)."""
    attribute_values: Mapping[str, tuple[AttributeValue, ...]] = field(default_factory=dict)
    """The values filled (per category or per product): attribute id -> values."""
    required_certifications: Mapping[str, str] = field(default_factory=dict)
    """Certifications the category requires: id -> name."""
    certifications: tuple[Mapping[str, Any], ...] = ()
    """Certifications as TikTok wants them (``{"id", "images", "files", ...}``)."""
    brand_id: str | None = None
    failed_images: Mapping[str, str] = field(default_factory=dict)
    """Store image URLs that could not be read or uploaded: url -> reason."""
    sales_attributes: Mapping[str, SalesAttributeSpec] = field(default_factory=dict)
    """The category's SALES_PROPERTY attributes by lower-cased name: an option of that name is sent
    with TikTok's attribute id (and value ids where a value matches), not as a custom name."""
    description_images: Mapping[str, str] | None = None
    """Store description image URL -> TikTok-hosted URL, once re-hosted: the description is
    measured as it will be sent (``None``: not re-hosted yet, store URLs stand in)."""


@dataclass(frozen=True)
class SalesAttributeSpec:
    """One TikTok sales attribute of a category: its id and its known values (lower-cased name -> id)."""

    id: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PackageDefaults:
    """The connection's default package, used where the product has no weight / dimensions."""

    weight: Decimal | None = None
    weight_unit: str = "kg"
    """``kg``, ``g``, ``lb``, ``oz`` or ``ct``."""
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    dimension_unit: str = "cm"
    """``cm``, ``mm``, ``m``, ``in`` or ``yd``."""


@dataclass(frozen=True)
class PriceRule:
    """The price sent to TikTok. ``percent`` then ``fixed`` are added (negative: markdown),
    then the result is rounded *up* to the ending chosen (never below the computed price)."""

    source: PriceSource = "price"
    percent: Decimal = Decimal("0")
    fixed: Decimal = Decimal("0")
    rounding: Rounding = "none"


@dataclass(frozen=True)
class StockRule:
    """Sellable quantity. Unlimited stock lists ``unlimited_quantity``; a reserve (percent,
    rounded up, plus a fixed number) is held back; never below zero."""

    unlimited_quantity: int = 100
    reserve_percent: Decimal = Decimal("0")
    reserve_fixed: int = 0


@dataclass(frozen=True)
class SyncSettings:
    """The connection's settings that shape a listing."""

    region: str
    currency: str
    warehouse_id: str
    store_weight_unit: str = "kg"
    store_dimension_unit: str = "cm"
    package: PackageDefaults = field(default_factory=PackageDefaults)
    price: PriceRule = field(default_factory=PriceRule)
    stock: StockRule = field(default_factory=StockRule)
    identifier_priority: tuple[IdentifierKind, ...] = ("GTIN", "UPC", "EAN", "ISBN")
    identifier_source: IdentifierSource = "barcode"
    """Which store field feeds a SKU's identifier code: the variant's barcode, its SKU, or none."""


def from_connection_settings(settings: ConnectionSettings, *, region: str, currency: str,
                             warehouse_id: str) -> SyncSettings:
    """The catalog core's view of these settings for one shop."""
    p = settings.package
    return SyncSettings(
        region=region, currency=currency, warehouse_id=warehouse_id,
        store_weight_unit=settings.catalog.store_weight_unit,
        store_dimension_unit=settings.catalog.store_dimension_unit,
        package=PackageDefaults(weight=p.weight, weight_unit=p.weight_unit, length=p.length, width=p.width,
                                height=p.height, dimension_unit=p.dimension_unit),
        price=PriceRule(source=settings.price.source, percent=settings.price.percent, fixed=settings.price.fixed,
                        rounding=settings.price.rounding),
        stock=StockRule(unlimited_quantity=settings.stock.unlimited_quantity,
                        reserve_percent=settings.stock.reserve_percent, reserve_fixed=settings.stock.reserve_fixed),
        identifier_priority=settings.catalog.identifier_priority,
        identifier_source=settings.catalog.identifier_source)
