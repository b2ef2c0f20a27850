"""The sandbox Ecwid's records (stores, tokens, authorization codes, seeded products) and the
values Ecwid accepts for scopes and order statuses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALL_SCOPES = frozenset(
    {
        "read_store_profile",
        "update_store_profile",
        "read_catalog",
        "update_catalog",
        "read_orders",
        "create_orders",
        "update_orders",
        "read_customers",
        "public_storefront",
    }
)
PAYMENT_STATUSES = frozenset({"AWAITING_PAYMENT", "PAID", "CANCELLED", "REFUNDED", "PARTIALLY_REFUNDED", "INCOMPLETE"})
FULFILLMENT_STATUSES = frozenset(
    {
        "AWAITING_PROCESSING",
        "PROCESSING",
        "SHIPPED",
        "DELIVERED",
        "WILL_NOT_DELIVER",
        "RETURNED",
        "READY_FOR_PICKUP",
        "OUT_FOR_DELIVERY",
    }
)
MAX_LIMIT = 100
CODE_LIFETIME = 600.0



@dataclass
class TokenInfo:
    token: str
    store_id: int
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    store_id: int
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: float
    used: bool = False
    token: str | None = None


@dataclass
class Store:
    id: int
    name: str
    currency: str
    weight_unit: str
    dimensions_unit: str
    timezone: str
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: list[tuple[int, int]] = field(default_factory=list)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    classes: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    images: dict[int, dict[str, Any]] = field(default_factory=dict)
    installed_scopes: frozenset[str] | None = None


@dataclass
class SeededProduct:
    index: int
    product_id: int
    flaws: tuple[str, ...]
    combination_ids: tuple[int, ...]


EmitHook = Callable[[int, str, "int | str", "dict[str, Any] | None"], None]
