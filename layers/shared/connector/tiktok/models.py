"""Pydantic models of the TikTok Shop requests we build and the answers we read.

Conventions at this edge:
- ids are ``str`` (TikTok sometimes sends numbers; :data:`Id` coerces them, never via float);
- money, weights and other amounts are :class:`~decimal.Decimal` (TikTok sends strings, and
  wants strings back: ``model_dump(mode="json")`` writes Decimals as strings);
- answers keep unknown fields (``extra="allow"``): TikTok adds fields without a new version;
- tokens are excluded from ``repr`` so a logged model cannot leak one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from connector.tiktok.fields import Amount, Id, Text


class Answer(BaseModel):
    """Base of the models of TikTok's answers: unknown fields kept, names as sent."""

    # defer_build: schemas are built on first use, not at import (cold starts stay short)
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


class Body(BaseModel):
    """Base of request bodies: unknown keys refused, so a typo fails in our tests."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    def wire(self) -> dict[str, Any]:
        """The JSON body as TikTok wants it (no nulls, amounts as strings)."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


# --- OAuth ------------------------------------------------------------------------------


class TokenSet(Answer):
    access_token: str = Field(repr=False)
    access_token_expire_in: int  # absolute Unix seconds, despite the name
    refresh_token: str = Field(repr=False)
    refresh_token_expire_in: int  # absolute Unix seconds
    open_id: Id | None = None
    seller_name: str | None = None
    seller_base_region: str | None = None
    user_type: int | None = None
    granted_scopes: list[str] = Field(default_factory=list)

    @property
    def access_expires_at(self) -> int:
        return self.access_token_expire_in

    @property
    def refresh_expires_at(self) -> int:
        return self.refresh_token_expire_in


class AuthorizedShop(Answer):
    id: Id
    name: str | None = None
    region: str | None = None
    seller_type: str | None = None  # LOCAL | CROSS_BORDER
    cipher: str = Field(repr=False)
    code: str | None = None


# --- Products: reference data --------------------------------------------------------


class Category(Answer):
    id: Id
    parent_id: Id | None = None
    local_name: str | None = None
    is_leaf: bool = False
    permission_statuses: list[str] = Field(default_factory=list)

    @property
    def is_available(self) -> bool:
        """A leaf the seller may list in now (``INVITE_ONLY`` needs Seller Center approval)."""
        return self.is_leaf and "AVAILABLE" in self.permission_statuses


class CategoryRules(Answer):
    product_certifications: list[dict[str, Any]] = Field(default_factory=list)
    size_chart: dict[str, Any] | None = None
    package_dimension: dict[str, Any] | None = None
    cod: dict[str, Any] | None = None


class AttributeValue(Answer):
    id: Id
    name: str | None = None


class Attribute(Answer):
    id: Id
    name: str | None = None
    type: str | None = None  # SALES_PROPERTY | PRODUCT_PROPERTY
    # TikTok spells it ``is_requried``; we read it under the right spelling.
    is_required: bool = Field(default=False, alias="is_requried")
    is_multiple_selection: bool | None = None
    is_customizable: bool | None = None
    values: list[AttributeValue] = Field(default_factory=list)
    requirement_conditions: list[dict[str, Any]] = Field(default_factory=list)


class Brand(Answer):
    id: Id
    name: str | None = None
    authorized_status: str | None = None
    brand_status: str | None = None
    is_t1_brand: bool | None = None


class RecommendedCategory(Answer):
    leaf_category_id: Id
    categories: list[dict[str, Any]] = Field(default_factory=list)


class UploadedImage(Answer):
    uri: str
    url: str | None = None
    width: int | None = None
    height: int | None = None
    use_case: str | None = None


# --- Products: requests --------------------------------------------------------------


class ImageRef(Body):
    uri: str


class Price(Body):
    amount: Decimal
    currency: str


class InventoryEntry(Body):
    warehouse_id: Id
    quantity: int


class SalesAttributeInput(Body):
    id: Id | None = None
    name: str | None = None
    value_id: Id | None = None
    value_name: str | None = None
    sku_img: ImageRef | None = None
    supplementary_sku_images: list[ImageRef] | None = None


class IdentifierCode(Body):
    code: str
    type: Literal["GTIN", "EAN", "UPC", "ISBN", "JAN"] | str


class SkuInput(Body):
    id: Id | None = None  # on edits: keeps the SKU (and its orders) instead of replacing it
    seller_sku: str | None = None
    external_sku_id: str | None = None
    sales_attributes: list[SalesAttributeInput] | None = None
    inventory: list[InventoryEntry]
    price: Price
    identifier_code: IdentifierCode | None = None
    list_price: Price | None = None


class PackageWeight(Body):
    value: Text
    unit: Literal["KILOGRAM", "POUND", "GRAM"] | str


class PackageDimensions(Body):
    length: Text
    width: Text
    height: Text
    unit: Literal["CENTIMETER", "INCH"] | str


class AttributeValueInput(Body):
    id: Id | None = None
    name: str | None = None


class ProductAttributeInput(Body):
    id: Id
    values: list[AttributeValueInput]


class ProductInput(Body):
    """Body of create, full edit and listing check."""

    title: str
    description: str
    category_id: Id
    main_images: list[ImageRef]
    skus: list[SkuInput]
    package_weight: PackageWeight
    save_mode: Literal["AS_DRAFT", "LISTING"] | None = None
    brand_id: Id | None = None
    category_version: Literal["v1", "v2"] | None = None
    package_dimensions: PackageDimensions | None = None
    product_attributes: list[ProductAttributeInput] | None = None
    certifications: list[dict[str, Any]] | None = None
    size_chart: dict[str, Any] | None = None
    video: dict[str, Any] | None = None
    is_cod_allowed: bool | None = None
    external_product_id: str | None = None
    idempotency_key: str | None = Field(default=None, max_length=128)
    delivery_option_ids: list[Id] | None = None


class SkuInventoryUpdate(Body):
    id: Id
    inventory: list[InventoryEntry]


class SkuPriceUpdate(Body):
    id: Id
    price: Price
    list_price: Price | None = None


# --- Products: answers ---------------------------------------------------------------


class SalesAttributeRef(Answer):
    id: Id | None = None
    value_id: Id | None = None
    name: str | None = None
    value_name: str | None = None


class CreatedSku(Answer):
    id: Id
    seller_sku: str | None = None
    external_sku_id: str | None = None
    sales_attributes: list[SalesAttributeRef] = Field(default_factory=list)


class ProductWarning(Answer):
    message: str | None = None


class CreateProductResult(Answer):
    product_id: Id
    skus: list[CreatedSku] = Field(default_factory=list)
    warnings: list[ProductWarning] = Field(default_factory=list)


class SkuPriceInfo(Answer):
    currency: str | None = None
    sale_price: Amount = None
    tax_exclusive_price: Amount = None


class SkuInventoryInfo(Answer):
    warehouse_id: Id | None = None
    quantity: int = 0


class ProductSku(Answer):
    id: Id
    seller_sku: str | None = None
    external_sku_id: str | None = None
    price: SkuPriceInfo | None = None
    inventory: list[SkuInventoryInfo] = Field(default_factory=list)
    sales_attributes: list[SalesAttributeRef] = Field(default_factory=list)


class AuditFailure(Answer):
    position: str | None = None
    reasons: list[str] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)


class Product(Answer):
    id: Id
    status: str
    title: str | None = None
    description: str | None = None
    category_chains: list[dict[str, Any]] = Field(default_factory=list)
    brand: dict[str, Any] | None = None
    main_images: list[dict[str, Any]] = Field(default_factory=list)
    skus: list[ProductSku] = Field(default_factory=list)
    package_weight: dict[str, Any] | None = None
    package_dimensions: dict[str, Any] | None = None
    audit_failed_reasons: list[AuditFailure] = Field(default_factory=list)
    external_product_id: str | None = None
    create_time: int | None = None
    update_time: int | None = None


class ProductSummary(Answer):
    id: Id
    title: str | None = None
    status: str | None = None
    skus: list[ProductSku] = Field(default_factory=list)
    create_time: int | None = None
    update_time: int | None = None


class ListingCheckFailure(Answer):
    code: int | None = None
    reasons: list[str] = Field(default_factory=list)


class ListingCheckResult(Answer):
    check_result: str  # PASS | FAILED
    fail_reasons: list[ListingCheckFailure] = Field(default_factory=list)
    warnings: list[ProductWarning] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.check_result == "PASS"


class PrerequisiteCheck(Answer):
    check_item: str
    is_failed: bool = False
    fail_reasons: list[str] = Field(default_factory=list)


class Prerequisites(Answer):
    check_results: list[PrerequisiteCheck] = Field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not any(check.is_failed for check in self.check_results)


class ProductIdError(Answer):
    code: int | None = None
    message: str | None = None
    detail: dict[str, Any] | None = None


class BulkProductResult(Answer):
    """Answer of activate / deactivate / delete: the ids TikTok could not act on."""

    errors: list[ProductIdError] = Field(default_factory=list)


class InventoryRecord(Answer):
    product_id: Id
    skus: list[dict[str, Any]] = Field(default_factory=list)


# --- Logistics -----------------------------------------------------------------------


class Warehouse(Answer):
    id: Id
    name: str | None = None
    is_default: bool = False
    effect_status: str | None = None  # ENABLED | DISABLED | RESTRICTED
    type: str | None = None  # SALES_WAREHOUSE | RETURN_WAREHOUSE
    sub_type: str | None = None
    address: dict[str, Any] | None = Field(default=None, repr=False)


class DeliveryOption(Answer):
    id: Id
    name: str | None = None
    type: str | None = None


class ShippingProvider(Answer):
    id: Id
    name: str | None = None


# --- Orders --------------------------------------------------------------------------


class Payment(Answer):
    currency: str | None = None
    sub_total: Amount = None
    shipping_fee: Amount = None
    tax: Amount = None
    total_amount: Amount = None
    original_total_product_price: Amount = None
    seller_discount: Amount = None
    platform_discount: Amount = None
    product_tax: Amount = None
    retail_delivery_fee: Amount = None


class DistrictInfo(Answer):
    address_level_name: str | None = None
    address_name: str | None = None


class RecipientAddress(Answer):
    # Buyer details: excluded from repr so a logged order does not carry them.
    name: str | None = Field(default=None, repr=False)
    first_name: str | None = Field(default=None, repr=False)
    last_name: str | None = Field(default=None, repr=False)
    phone_number: str | None = Field(default=None, repr=False)
    address_line1: str | None = Field(default=None, repr=False)
    address_line2: str | None = Field(default=None, repr=False)
    address_line3: str | None = Field(default=None, repr=False)
    address_line4: str | None = Field(default=None, repr=False)
    full_address: str | None = Field(default=None, repr=False)
    postal_code: str | None = Field(default=None, repr=False)
    region_code: str | None = None
    district_info: list[DistrictInfo] = Field(default_factory=list, repr=False)


class LineItem(Answer):
    id: Id
    product_id: Id | None = None
    product_name: str | None = None
    sku_id: Id | None = None
    seller_sku: str | None = None
    sku_name: str | None = None
    sku_image: str | None = None
    original_price: Amount = None
    sale_price: Amount = None
    seller_discount: Amount = None
    platform_discount: Amount = None
    currency: str | None = None
    display_status: str | None = None
    package_id: Id | None = None
    package_status: str | None = None
    tracking_number: str | None = None
    cancel_reason: str | None = None
    is_gift: bool | None = None


class PackageRef(Answer):
    id: Id


class Order(Answer):
    id: Id
    status: str
    create_time: int | None = None
    paid_time: int | None = None
    update_time: int | None = None
    user_id: Id | None = None
    buyer_email: str | None = Field(default=None, repr=False)
    buyer_message: str | None = Field(default=None, repr=False)
    cancel_reason: str | None = None
    cancellation_initiator: str | None = None
    is_buyer_request_cancel: bool | None = None
    is_on_hold_order: bool | None = None
    is_cod: bool | None = None
    is_sample_order: bool | None = None
    is_replacement_order: bool | None = None
    order_type: str | None = None
    fulfillment_type: str | None = None
    shipping_type: str | None = None
    delivery_option_id: Id | None = None
    shipping_provider: str | None = None
    shipping_provider_id: Id | None = None
    tracking_number: str | None = None
    warehouse_id: Id | None = None
    rts_sla_time: int | None = None
    shipping_due_time: int | None = None
    collection_due_time: int | None = None
    delivery_due_time: int | None = None
    payment: Payment | None = None
    recipient_address: RecipientAddress | None = None
    line_items: list[LineItem] = Field(default_factory=list)
    packages: list[PackageRef] = Field(default_factory=list)

    def units_by_sku(self) -> dict[str, int]:
        """Units per SKU id: one line item is one unit (UNCONFIRMED, see docs/tiktok.md)."""
        counts: dict[str, int] = {}
        for line in self.line_items:
            if line.sku_id is not None:
                counts[line.sku_id] = counts.get(line.sku_id, 0) + 1
        return counts


class PriceLine(Answer):
    """One line item's share of the price breakdown."""

    id: Id | None = None
    currency: str | None = None
    sku_sale_price: Amount = None
    subtotal: Amount = None
    shipping_sale_price: Amount = None
    tax_amount: Amount = None
    total: Amount = None


class PriceDetail(Answer):
    """Order price breakdown (``/order/202407/orders/{id}/price_detail``); fields vary by market."""

    currency: str | None = None
    subtotal: Amount = None
    sku_sale_price: Amount = None
    shipping_sale_price: Amount = None
    tax_amount: Amount = None
    total: Amount = None
    line_items: list[PriceLine] = Field(default_factory=list)


class PackageSku(Answer):
    id: Id
    quantity: int | None = None


class PackageOrder(Answer):
    id: Id
    skus: list[PackageSku] = Field(default_factory=list)


class Package(Answer):
    """A package from the package search (``id``, ``status``) or its detail (``package_id``,
    ``package_status``): both carry ``orders[]``."""

    id: Id = Field(validation_alias=AliasChoices("id", "package_id"))
    status: str | None = Field(default=None, validation_alias=AliasChoices("status", "package_status"))
    orders: list[PackageOrder] = Field(default_factory=list)
    order_line_item_ids: list[Id] = Field(default_factory=list)
    tracking_number: str | None = None
    shipping_provider_id: Id | None = None
    shipping_provider_name: str | None = None
    create_time: int | None = None
    update_time: int | None = None

    @property
    def order_ids(self) -> list[str]:
        return [order.id for order in self.orders]


class MarkShippedResult(Answer):
    package_id: Id
    order_id: Id | None = None  # answered from 202610 on
    order_line_item_ids: list[Id] = Field(default_factory=list)
    warning: dict[str, Any] | str | None = None


# --- Cancellations and returns ---------------------------------------------------------


class Cancellation(Answer):
    cancel_id: Id
    order_id: Id
    cancel_status: str
    cancel_type: str | None = None  # CANCEL | BUYER_CANCEL
    cancel_reason_text: str | None = None
    role: str | None = None
    cancel_line_items: list[dict[str, Any]] = Field(default_factory=list)
    create_time: int | None = None
    update_time: int | None = None


class SellerCancelResult(Answer):
    cancel_id: Id
    cancel_status: str | None = None


class RefundAmount(Answer):
    currency: str | None = None
    refund_total: Amount = None
    refund_subtotal: Amount = None
    refund_shipping_fee: Amount = None
    refund_tax: Amount = None


class Return(Answer):
    return_id: Id
    order_id: Id
    return_status: str
    return_type: str | None = None  # REFUND | RETURN_AND_REFUND | REPLACEMENT
    role: str | None = None
    refund_amount: RefundAmount | None = None
    return_line_items: list[dict[str, Any]] = Field(default_factory=list)
    create_time: int | None = None
    update_time: int | None = None


# --- Pages -----------------------------------------------------------------------------

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a search: the items, the token of the next page (``None`` at the end)."""

    items: list[T]
    next_page_token: str | None = None
    total_count: int | None = None
