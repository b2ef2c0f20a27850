"""Connection settings: the settings of one connection, in one place.

Stored as one item (``CONN#<id>`` / ``SETTINGS``) holding the JSON of :class:`ConnectionSettings`;
a connection without that item uses the defaults below. Catalog, stock, orders, notifications
and the merchant API all read the same model
(:func:`connector.catalog.settings.from_connection_settings` turns it into the plain dataclasses the
catalog core takes).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connector import keys
from connector.dynamo import ABSENT, Repository

FieldSource = Literal["store", "override", "tiktok", "none"]
"""Where a listing field comes from, as the sync rules say: the store, a connector-side override,
TikTok (leave it as it is on TikTok) or nowhere (don't sync)."""
SYNC_FIELDS = ("name", "description", "price", "media", "barcode", "stock")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackageSettings(_Section):
    """The default package, for products without their own weight / dimensions."""

    weight: Decimal | None = Field(default=None, gt=0, le=Decimal("5000"))
    weight_unit: Literal["kg", "g", "lb", "oz"] = "kg"
    length: Decimal | None = Field(default=None, gt=0, le=Decimal("10000"))
    width: Decimal | None = Field(default=None, gt=0, le=Decimal("10000"))
    height: Decimal | None = Field(default=None, gt=0, le=Decimal("10000"))
    dimension_unit: Literal["cm", "mm", "m", "in"] = "cm"


class SyncRules(_Section):
    """Sync rules: the source of each field. Product-level overrides (on the product record) win."""

    name: FieldSource = "store"
    description: FieldSource = "store"
    price: FieldSource = "store"
    media: FieldSource = "store"
    barcode: FieldSource = "store"
    stock: FieldSource = "store"

    def merged(self, overrides: dict[str, str] | None) -> SyncRules:
        """These rules with a product's per-field overrides applied."""
        if not overrides:
            return self
        return self.model_validate({**self.model_dump(), **{k: v for k, v in overrides.items() if k in SYNC_FIELDS}})


class PriceSettings(_Section):
    """Price rules: markup or markdown, rounding, and which store price is the base."""

    source: Literal["price", "compare_at"] = "price"
    percent: Decimal = Field(default=Decimal("0"), ge=Decimal("-90"), le=Decimal("1000"))
    fixed: Decimal = Field(default=Decimal("0"), ge=Decimal("-100000"), le=Decimal("100000"))
    rounding: Literal["none", "whole", ".99", ".95"] = "none"


MAX_MAPPED_LOCATIONS = 50


class StockSettings(_Section):
    """Stock sync: unlimited stock, the reserve held back, and the low-inventory threshold."""

    unlimited_quantity: int = Field(default=100, ge=0, le=99_999)
    reserve_percent: Decimal = Field(default=Decimal("0"), ge=0, le=100)
    reserve_fixed: int = Field(default=0, ge=0, le=99_999)
    threshold: int | None = Field(default=None, ge=0, le=99_999)
    """Low-inventory threshold: a SKU at or below it triggers ``threshold_action``. ``None``: off."""
    threshold_action: Literal["deactivate", "zero_sku", "exclude"] = "deactivate"
    warehouses: Mapping[str, str] = Field(default_factory=dict)
    """Store location id -> TikTok warehouse id: each mapped warehouse gets the figure of its own
    location (:mod:`connector.catalog.stock.warehouses`). Empty: one figure, the store's (at the
    connection's location), on the shop's default warehouse. Set through the merchant API's
    settings route, which checks it with the store and TikTok (a ``Mapping``, so the console's
    generic form leaves it to that route)."""

    @field_validator("warehouses")
    @classmethod
    def _warehouse_map(cls, value: Mapping[str, str]) -> dict[str, str]:
        if len(value) > MAX_MAPPED_LOCATIONS:
            raise ValueError(f"at most {MAX_MAPPED_LOCATIONS} locations mapped to warehouses")
        cleaned = {k.strip(): v.strip() for k, v in value.items()}
        if any(not k or not v or len(k) > 64 or len(v) > 64 for k, v in cleaned.items()):
            raise ValueError("location and warehouse ids are 1 to 64 characters")
        if len(set(cleaned.values())) != len(cleaned):
            raise ValueError("each warehouse gets the figure of one location only")
        return cleaned


class CatalogSettings(_Section):
    """Catalog pull and transform: automatic pull and update, identifier priority, store units."""

    auto_pull: bool = True
    """New store products are pulled (and pushed) automatically."""
    auto_update: bool = True
    """Later store changes update the TikTok listing."""
    identifier_source: Literal["barcode", "sku", "none"] = "barcode"
    """The store field whose value becomes a SKU's identifier code on TikTok: the variant's barcode
    (Ecwid's UPC attribute), its SKU (for stores that keep barcodes there), or none."""
    identifier_priority: tuple[Literal["GTIN", "UPC", "EAN", "ISBN"], ...] = Field(
        default=("GTIN", "UPC", "EAN", "ISBN"), min_length=1, max_length=4)
    """The kind a code is sent as when it fits several (first match wins)."""

    @field_validator("identifier_priority")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("each identifier kind at most once")
        return value
    store_weight_unit: Literal["kg", "g", "lb", "oz"] = "kg"
    store_dimension_unit: Literal["cm", "mm", "m", "in"] = "cm"


class OrderSettings(_Section):
    """Order relay options: on-hold and FBT orders, line prices, cancelled orders, the placeholder customer."""

    on_hold: Literal["wait", "relay"] = "wait"
    """Orders on hold (TikTok's cancellation window): wait until it ends, or relay at once."""
    relay_fbt: bool = False
    """Relay Fulfilled-by-TikTok orders (stock still leaves the store's count)."""
    price_source: Literal["paid", "settlement"] = "paid"
    archive_cancelled: bool = False
    placeholder_email: str = Field(default="tiktok-buyer@example.invalid", max_length=254)


class CarrierSettings(_Section):
    """Carrier mapping: store carrier name -> TikTok shipping provider id, with a default."""

    default_provider_id: str | None = Field(default=None, max_length=64)
    by_carrier: dict[str, str] = Field(default_factory=dict)

    @field_validator("by_carrier")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 200:
            raise ValueError("at most 200 carrier mappings")
        return {k.strip().lower(): v for k, v in value.items() if k.strip()}

    def provider_for(self, carrier: str | None) -> str | None:
        if carrier and carrier.strip().lower() in self.by_carrier:
            return self.by_carrier[carrier.strip().lower()]
        return self.default_provider_id


class NotificationSettings(_Section):
    """Notifications: where merchant emails go and which ones are sent."""

    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    blocked_orders: bool = True
    failed_products: bool = True
    reauthorization: bool = True


class ConnectionSettings(_Section):
    package: PackageSettings = Field(default_factory=PackageSettings)
    sync_rules: SyncRules = Field(default_factory=SyncRules)
    price: PriceSettings = Field(default_factory=PriceSettings)
    stock: StockSettings = Field(default_factory=StockSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    orders: OrderSettings = Field(default_factory=OrderSettings)
    carriers: CarrierSettings = Field(default_factory=CarrierSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)

    def patched(self, changes: dict[str, Any]) -> ConnectionSettings:
        """These settings with a partial update (section -> fields) applied and validated."""
        current = self.model_dump(mode="json")
        for section, fields in changes.items():
            if section not in current:
                raise ValueError(f"unknown settings section {section!r}")
            if not isinstance(fields, dict):
                raise ValueError(f"settings section {section!r} must be an object")
            current[section] = {**current[section], **fields}
        return ConnectionSettings.model_validate(current)


def settings_from_item(item: Mapping[str, Any]) -> ConnectionSettings:
    """A connection's settings from its ``SETTINGS`` item (deserialized)."""
    return ConnectionSettings.model_validate_json(item["settings"])


class SettingsRepository(Repository):
    """Reads and writes the settings item of a connection."""

    def get(self, connection_id: str) -> ConnectionSettings:
        item = self._read({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.SETTINGS})
        if item is None:
            return ConnectionSettings()
        return settings_from_item(item)

    def put(self, connection_id: str, settings: ConnectionSettings, now: int) -> None:
        self._put({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.SETTINGS,
                   "settings": settings.model_dump_json(), "updated_at": now})

    def read_versioned(self, connection_id: str) -> tuple[str | None, int]:
        """(settings JSON or None for the defaults, version) of a connection."""
        item = self._read({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.SETTINGS})
        if item is None:
            return None, 0
        return str(item["settings"]), int(item.get("version", 0))

    def put_if_version(self, connection_id: str, settings_json: str, version: int, now: int) -> bool:
        """Write the settings if nobody wrote since ``version`` was read: False otherwise."""
        return self._put_if({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.SETTINGS,
                             "settings": settings_json, "updated_at": now, "version": version + 1},
                            f"{ABSENT} OR version = :v"
                            + (" OR attribute_not_exists(version)" if version == 0 else ""),
                            values={":v": version})
