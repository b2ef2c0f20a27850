"""The connection aggregate and the small messages that travel the events queues."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ConnectionState = Literal["pending", "active", "paused", "needs_reauth", "disconnected"]
"""pending: store connected, TikTok not authorized yet. paused: syncing refused for a reason
(currency mismatch...). needs_reauth: a token or the authorization is gone or expiring.
disconnected: the merchant or the store removed it; tokens are deleted."""

SYNCING_STATES: frozenset[str] = frozenset({"active"})

# TikTok quotes no currency on a shop: it is the region's (shops have a region).
REGION_CURRENCY: dict[str, str] = {
    "US": "USD", "GB": "GBP", "UK": "GBP", "DE": "EUR", "FR": "EUR", "ES": "EUR", "IT": "EUR", "IE": "EUR",
    "JP": "JPY", "SG": "SGD", "MY": "MYR", "TH": "THB", "VN": "VND", "PH": "PHP", "ID": "IDR", "MX": "MXN",
    "BR": "BRL",
}


def region_currency(region: str | None) -> str | None:
    return REGION_CURRENCY.get((region or "").upper())


class WarehouseInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str | None = None
    is_default: bool = False
    status: str | None = None
    type: str | None = None


class ShopLink(BaseModel):
    """A TikTok shop authorized for a connection."""

    model_config = ConfigDict(frozen=True)

    shop_id: str
    cipher: str = Field(repr=False)
    name: str | None = None
    region: str | None = None
    currency: str | None = None
    default_warehouse_id: str | None = None
    warehouses: tuple[WarehouseInfo, ...] = ()

    def public(self) -> dict[str, Any]:
        """What the merchant API shows (the cipher is an internal routing value)."""
        return {"shop_id": self.shop_id, "name": self.name, "region": self.region, "currency": self.currency,
                "default_warehouse_id": self.default_warehouse_id,
                "warehouses": [w.model_dump() for w in self.warehouses]}


class Connection(BaseModel):
    """One store linked to one TikTok seller. Token ciphertexts never leave the repository as
    plaintext; this model carries the ciphertexts only (``repr`` hides them)."""

    connection_id: str
    platform: str
    store_id: str
    state: ConnectionState
    reason: str | None = None
    store_currency: str | None = None
    store_location_id: str | None = None
    """The store location whose stock is synced (the one mapped to the TikTok warehouse), for a
    platform that keeps stock per location: the shop's primary one, recorded at install.
    ``None``: the platform keeps one figure, or the adapter's default applies."""
    seller_id: str | None = None
    seller_name: str | None = None
    seller_region: str | None = None
    created_at: int
    updated_at: int
    tiktok_access_expires_at: int | None = None
    tiktok_refresh_expires_at: int | None = None
    store_access_expires_at: int | None = None
    """When the store token stops working (``None``: it lasts until the app is removed)."""
    store_token_ct: bytes | None = Field(default=None, repr=False)
    tiktok_tokens_ct: bytes | None = Field(default=None, repr=False)
    merchant_token_hash: str | None = Field(default=None, repr=False)
    merchant_token_expires_at: int | None = None
    session_version: int = 0
    checked_at: int | None = None

    @property
    def syncing(self) -> bool:
        return self.state in SYNCING_STATES

    def public(self, shops: list[ShopLink]) -> dict[str, Any]:
        return {
            "connection_id": self.connection_id, "platform": self.platform, "store_id": self.store_id,
            "state": self.state, "reason": self.reason, "syncing": self.syncing,
            "store_currency": self.store_currency, "seller_name": self.seller_name,
            "tiktok_access_expires_at": self.tiktok_access_expires_at,
            "tiktok_refresh_expires_at": self.tiktok_refresh_expires_at,
            "checked_at": self.checked_at, "merchant_token_expires_at": self.merchant_token_expires_at,
            "shops": [s.public() for s in shops],
        }


class EventMessage(BaseModel):
    """What a webhook receiver enqueues: small, typed, ids only (workers re-read the entity)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    """``tiktok`` or a store platform's name (:data:`connector.connections.platforms.STORE_PLATFORMS`)."""
    kind: str = Field(min_length=1, max_length=64)
    connection_id: str = Field(min_length=1)
    event_id: str = Field(min_length=1, max_length=200)
    correlation_id: str = Field(min_length=1, max_length=128)
    shop_id: str | None = None
    store_id: str | None = None
    entity_ids: dict[str, str] = Field(default_factory=dict)
    occurred_at: int | None = None

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        from connector.connections.platforms import STORE_PLATFORMS

        if value != "tiktok" and value not in STORE_PLATFORMS:
            raise ValueError(f"unknown event source {value[:32]!r}")
        return value


class CheckResult(BaseModel):
    connection_id: str
    state: ConnectionState
    reason: str | None
    store_ok: bool
    tiktok_ok: bool
    store_currency: str | None
    shops: list[dict[str, Any]]

