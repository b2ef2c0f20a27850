"""What the operations routes (:mod:`connector.api.operations`) accept and answer: query models
(validated, 400 naming the parameter when one does not fit) and response models. The OpenAPI
document (:mod:`connector.api.openapi`) is generated from these.

Money is ``Decimal`` and travels as a string. Models build their schema on first use
(``defer_build``): the merchant API's cold start does not pay for them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connector.tasks import TaskKind, TaskState

_QUERY = ConfigDict(extra="forbid", frozen=True, defer_build=True)
_VIEW = ConfigDict(frozen=True, defer_build=True)

ProductStatusName = Literal["not_synced", "sync_failed", "in_review", "review_failed", "active", "deactivated"]
OrderStateName = Literal["waiting_hold", "claimed", "retrying", "created", "blocked", "shipped", "in_transit",
                         "delivered", "completed", "cancelled", "refunded", "skipped"]
PageToken = Field(default=None, min_length=1, max_length=2048,
                  description="The `next_page_token` of the previous page.")


# ------------------------------------------------------------------------------ errors
class ErrorBody(BaseModel):
    model_config = _VIEW

    error: str = Field(description="A stable code: bad_request, unauthorized, forbidden, not_found, conflict...")
    message: str
    reason: str | None = None
    fields: list[str] | None = Field(default=None, description="The request fields that were refused.")


# ------------------------------------------------------------------------------ tasks
class TaskQuery(BaseModel):
    model_config = _QUERY

    kind: TaskKind | None = None
    state: TaskState | None = None
    limit: int = Field(default=20, ge=1, le=100)
    page_token: str | None = PageToken


class TaskView(BaseModel):
    model_config = _VIEW

    task_id: str
    kind: str
    state: TaskState
    counts: dict[str, int] = Field(default_factory=dict)
    total: int | None = None
    note: str | None = None
    error: str | None = None
    created_at: int
    updated_at: int
    finished_at: int | None = None


class TaskPage(BaseModel):
    model_config = _VIEW

    tasks: list[TaskView]
    next_page_token: str | None = None


class TaskItemQuery(BaseModel):
    model_config = _QUERY

    outcome: str | None = Field(default=None, min_length=1, max_length=40, pattern=r"^[a-z_]+$")
    limit: int = Field(default=50, ge=1, le=200)
    page_token: str | None = PageToken


class TaskItemView(BaseModel):
    model_config = _VIEW

    item_id: str
    outcome: str
    reason: str | None = None
    details: dict[str, str] = Field(default_factory=dict)
    at: int = 0


class TaskDetail(BaseModel):
    model_config = _VIEW

    task: TaskView
    items: list[TaskItemView]
    next_page_token: str | None = Field(default=None, description="More items: pass it as `page_token`.")


# ------------------------------------------------------------------------------ products
class ProductQuery(BaseModel):
    model_config = _QUERY

    status: ProductStatusName | None = None
    limit: int = Field(default=50, ge=1, le=200)
    page_token: str | None = PageToken


class ProductView(BaseModel):
    model_config = _VIEW

    store_product_id: str
    title: str = ""
    sku: str | None = None
    status: ProductStatusName
    reason: str | None = Field(default=None, description="Plain words: why it failed or is not synced.")
    problems: list[str] = Field(default_factory=list, description="Machine codes of the reasons.")
    enabled: bool = True
    deleted: bool = False
    excluded: bool = Field(default=False, description="Excluded from sync by the merchant: never pushed.")
    image_url: str | None = Field(default=None, description="The store's main image URL.")
    variant_count: int = 0
    shop_id: str | None = None
    tiktok_product_id: str | None = None
    tiktok_status: str | None = None
    category_id: str | None = None
    last_synced_at: int | None = None
    updated_at: int = 0


class ProductPage(BaseModel):
    model_config = _VIEW

    products: list[ProductView]
    next_page_token: str | None = None


# ------------------------------------------------------------------------------ orders
class OrderQuery(BaseModel):
    model_config = _QUERY

    state: OrderStateName | None = None
    limit: int = Field(default=50, ge=1, le=100)
    page_token: str | None = PageToken


class OrderLineView(BaseModel):
    model_config = _VIEW

    tiktok_sku_id: str
    tiktok_product_id: str | None = None
    store_product_id: str | None = None
    seller_sku: str | None = None
    name: str = ""
    quantity: int
    unit_price: Decimal


class OrderView(BaseModel):
    model_config = _VIEW

    tiktok_order_id: str
    shop_id: str
    state: OrderStateName
    reason: str | None = Field(default=None, description="Plain words: why blocked, skipped or not cancelled.")
    attempts: int = 0
    tiktok_status: str | None = None
    store_order_id: str | None = None
    currency: str | None = None
    total: Decimal | None = None
    lines: list[OrderLineView] = Field(default_factory=list)
    fulfillment_type: str | None = None
    tracking_number: str | None = None
    created_at: int
    paid_at: int | None = None
    relayed_at: int | None = None
    updated_at: int


class OrderPage(BaseModel):
    model_config = _VIEW

    orders: list[OrderView]
    next_page_token: str | None = None


# ------------------------------------------------------------------------------ overview
class OverviewQuery(BaseModel):
    model_config = _QUERY

    days: int = Field(default=30, ge=1, le=366, description="The period: the last N days (orders by creation).")
    top: int = Field(default=10, ge=1, le=50)


class TopProduct(BaseModel):
    model_config = _VIEW

    product_id: str = Field(description="The store product id (the TikTok product id while unlinked).")
    name: str = ""
    units: int
    revenue: Decimal
    currency: str | None = None


class TopCustomer(BaseModel):
    model_config = _VIEW

    buyer_ref: str = Field(description="A per-connection hash of the buyer: identifies nobody.")
    orders: int
    spent: Decimal
    currency: str | None = None


class Overview(BaseModel):
    model_config = _VIEW

    since: int
    until: int
    products_by_status: dict[str, int]
    orders_by_state: dict[str, int]
    orders: int = Field(description="Orders created in the period.")
    revenue: dict[str, Decimal] = Field(description="Currency -> total of the period's sold orders "
                                                    "(relayed and not cancelled or refunded).")
    top_products: list[TopProduct]
    top_customers: list[TopCustomer]


# ------------------------------------------------------------------------------ warehouses
class LocationChoice(BaseModel):
    model_config = _VIEW

    id: str
    name: str = ""
    active: bool = True


class WarehouseChoice(BaseModel):
    model_config = _VIEW

    id: str
    name: str | None = None
    is_default: bool = False


class ShopWarehouses(BaseModel):
    model_config = _VIEW

    shop_id: str
    name: str | None = None
    default_warehouse_id: str | None = None
    warehouses: list[WarehouseChoice] = Field(description="The shop's enabled sales warehouses, as last read "
                                                          "from TikTok.")


class WarehouseMapView(BaseModel):
    model_config = _VIEW

    warehouses: dict[str, str] = Field(description="The map in force: store location id -> TikTok warehouse id "
                                                   "(empty: one figure on each shop's default warehouse).")
    locations: list[LocationChoice] = Field(description="The store's locations (none for a store that keeps one "
                                                        "figure per product).")
    shops: list[ShopWarehouses]


# ------------------------------------------------------------------------------ settings
class SettingsPatch(BaseModel):
    """Sections with the fields to change: ``{"stock": {"reserve_fixed": 2}}``."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)
