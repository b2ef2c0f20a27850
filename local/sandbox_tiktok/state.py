"""The sandbox's in-memory state. One re-entrant lock guards all of it; handlers hold it while
they read or change anything."""

from __future__ import annotations

import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from local.sandbox_tiktok import catalog

REGION_CURRENCY = {
    "US": "USD",
    "GB": "GBP",
    "UK": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "ES": "EUR",
    "IT": "EUR",
    "IE": "EUR",
    "JP": "JPY",
    "SG": "SGD",
    "MY": "MYR",
    "TH": "THB",
    "VN": "VND",
    "PH": "PHP",
    "ID": "IDR",
    "MX": "MXN",
    "BR": "BRL",
}


@dataclass
class Warehouse:
    id: str
    name: str
    type: str = "SALES_WAREHOUSE"
    is_default: bool = False
    effect_status: str = "ENABLED"

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_default": self.is_default,
            "effect_status": self.effect_status,
            "type": self.type,
            "sub_type": "DOMESTIC_WAREHOUSE",
            "address": {"region_code": "US", "city": "Los Angeles", "postal_code": "90001"},
        }


@dataclass
class Shop:
    id: str
    name: str
    region: str
    cipher: str
    seller_id: str
    code: str
    seller_type: str = "LOCAL"
    warehouses: list[Warehouse] = field(default_factory=list)
    daily_listing_limit: int = 1000
    listed_today: int = 0
    onboarded: bool = True
    has_shipping_template: bool = True

    @property
    def currency(self) -> str:
        return REGION_CURRENCY.get(self.region, "USD")

    @property
    def category_version(self) -> str:
        return "v2" if self.region == "US" else "v1"

    def warehouse(self, warehouse_id: str) -> Warehouse | None:
        return next((w for w in self.warehouses if w.id == warehouse_id), None)

    def default_warehouse(self) -> Warehouse:
        return next(w for w in self.warehouses if w.is_default and w.type == "SALES_WAREHOUSE")

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "seller_type": self.seller_type,
            "cipher": self.cipher,
            "code": self.code,
        }


@dataclass
class Seller:
    id: str
    name: str
    region: str
    shops: list[Shop] = field(default_factory=list)
    granted_scopes: list[str] = field(
        default_factory=lambda: [
            "seller.authorization.info",
            "seller.product.basic",
            "seller.product.write",
            "seller.order.info",
            "seller.fulfillment.basic",
            "seller.logistics",
            "seller.return_refund.basic",
        ]
    )


@dataclass
class Token:
    value: str
    seller_id: str
    expires_at: float
    kind: str  # access | refresh | code
    used: bool = False


@dataclass
class Image:
    uri: str
    width: int
    height: int
    use_case: str
    data: bytes
    content_type: str


@dataclass
class Sku:
    id: str
    seller_sku: str | None
    price: Decimal
    currency: str
    inventory: dict[str, int]  # warehouse id -> quantity
    sales_attributes: list[dict[str, Any]]
    external_sku_id: str | None = None
    identifier_code: dict[str, Any] | None = None
    list_price: dict[str, Any] | None = None

    def json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "id": self.id,
            "seller_sku": self.seller_sku,
            "external_sku_id": self.external_sku_id,
            "price": {
                "currency": self.currency,
                "sale_price": str(self.price),
                "tax_exclusive_price": str(self.price),
            },
            "inventory": [{"warehouse_id": w, "quantity": q} for w, q in self.inventory.items()],
            "sales_attributes": self.sales_attributes,
        }
        if self.identifier_code:  # an object in TikTok's documents: left out when there is none
            answer["identifier_code"] = self.identifier_code
        return answer


def compact(value: Any) -> Any:
    """``value`` without null members: TikTok leaves an absent field out (an object typed field
    sent as ``null`` breaks clients that type it as an object)."""
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def compact_dict(value: dict[str, Any]) -> dict[str, Any]:
    return {k: compact(v) for k, v in value.items() if v is not None}


@dataclass
class Product:
    id: str
    shop_id: str
    status: str
    body: dict[str, Any]  # the listing as last sent (create / edit), without SKUs
    skus: list[Sku]
    create_time: int
    update_time: int
    audit_failed_reasons: list[dict[str, Any]] = field(default_factory=list)
    approved_once: bool = False
    review_token: int = 0  # bumps on each edit so a stale scheduled review is ignored

    written_at: float = field(default=0.0, compare=False, repr=False)
    """When ``update_time`` was last set (monotonic): what search lag measures from."""

    def __post_init__(self) -> None:
        self.written_at = time.monotonic()

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "update_time":
            object.__setattr__(self, "written_at", time.monotonic())

    def audit(self) -> dict[str, str]:
        """The review state as the 202502 search and 202509 edits answer it."""
        if self.status == "PENDING":
            return {"status": "AUDITING"}
        if self.status == "FAILED":
            return {"status": "FAILED"}
        return {"status": "APPROVED" if self.approved_once else "NONE"}

    def summary(self) -> dict[str, Any]:
        return compact_dict(
            {
                "id": self.id,
                "title": self.body.get("title"),
                "status": self.status,
                "skus": [s.json() for s in self.skus],
                "create_time": self.create_time,
                "update_time": self.update_time,
            }
        )

    def detail(self, images: dict[str, Image], image_url: str, brand_name: str = "") -> dict[str, Any]:
        found = catalog.find(str(self.body.get("category_id")))
        chains = []
        if found:
            node, version = found
            chains = [
                {"id": n.id(version), "local_name": n.name, "is_leaf": catalog.is_leaf(n)} for n in catalog.chain(node)
            ]
        main_images = []
        for ref in self.body.get("main_images") or []:
            image = images.get(ref.get("uri", ""))
            main_images.append(
                {
                    "uri": ref.get("uri"),
                    "urls": [image_url + ref.get("uri", "")] if image else [],
                    "width": image.width if image else None,
                    "height": image.height if image else None,
                }
            )
        answer = {
            "id": self.id,
            "status": self.status,
            "title": self.body.get("title"),
            "description": self.body.get("description"),
            "category_chains": chains,
            "main_images": main_images,
            "skus": [s.json() for s in self.skus],
            "package_weight": self.body.get("package_weight"),
            "package_dimensions": self.body.get("package_dimensions"),
            "product_attributes": self.body.get("product_attributes") or [],
            "external_product_id": self.body.get("external_product_id"),
            "audit_failed_reasons": self.audit_failed_reasons,
            "create_time": self.create_time,
            "update_time": self.update_time,
        }
        if self.body.get("brand_id"):  # an object in TikTok's documents: left out when there is none
            answer["brand"] = {"id": str(self.body["brand_id"]), "name": brand_name}
        return compact_dict(answer)


@dataclass
class Package:
    id: str
    shop_id: str
    order_id: str
    line_item_ids: list[str]
    status: str = "PROCESSING"  # PROCESSING | FULFILLING | COMPLETED | CANCELLED
    tracking_number: str | None = None
    shipping_provider_id: str | None = None
    shipping_provider_name: str | None = None
    shipped_at: int | None = None
    create_time: int = 0
    update_time: int = 0

    def _common(self, orders: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "orders": orders,
            "order_line_item_ids": self.line_item_ids,
            "tracking_number": self.tracking_number,
            "shipping_provider_id": self.shipping_provider_id,
            "shipping_provider_name": self.shipping_provider_name,
            "create_time": self.create_time,
            "update_time": self.update_time,
        }

    def search_item(self, orders: list[dict[str, Any]]) -> dict[str, Any]:
        """A package as the package search lists it: ``id`` and ``status``."""
        return {"id": self.id, "status": self.status, **self._common(orders)}

    def detail(self, orders: list[dict[str, Any]]) -> dict[str, Any]:
        """A package as its detail answers it: ``package_id`` and ``package_status``."""
        return {"package_id": self.id, "package_status": self.status, **self._common(orders)}


@dataclass
class Order:
    id: str
    shop_id: str
    status: str
    line_items: list[dict[str, Any]]
    payment: dict[str, Any]
    recipient_address: dict[str, Any]
    create_time: int
    update_time: int
    user_id: str
    buyer_email: str
    fulfillment_type: str = "FULFILLMENT_BY_SELLER"
    shipping_type: str = "SELLER"
    delivery_option_id: str = ""
    warehouse_id: str = ""
    paid_time: int | None = None
    is_on_hold_order: bool = False
    is_buyer_request_cancel: bool = False
    cancel_reason: str | None = None
    cancellation_initiator: str | None = None
    buyer_message: str = ""
    package_ids: list[str] = field(default_factory=list)
    tracking_number: str | None = None
    shipping_provider: str | None = None
    shipping_provider_id: str | None = None

    written_at: float = field(default=0.0, compare=False, repr=False)
    """When ``update_time`` was last set (monotonic): what search lag measures from."""

    def __post_init__(self) -> None:
        self.written_at = time.monotonic()

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "update_time":
            object.__setattr__(self, "written_at", time.monotonic())

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "create_time": self.create_time,
            "paid_time": self.paid_time,
            "update_time": self.update_time,
            "user_id": self.user_id,
            "buyer_email": self.buyer_email,
            "buyer_message": self.buyer_message,
            "cancel_reason": self.cancel_reason,
            "cancellation_initiator": self.cancellation_initiator,
            "is_buyer_request_cancel": self.is_buyer_request_cancel,
            "is_on_hold_order": self.is_on_hold_order,
            "is_cod": False,
            "is_sample_order": False,
            "is_replacement_order": False,
            "order_type": "NORMAL",
            "fulfillment_type": self.fulfillment_type,
            "shipping_type": self.shipping_type,
            "delivery_option_id": self.delivery_option_id,
            "shipping_provider": self.shipping_provider,
            "shipping_provider_id": self.shipping_provider_id,
            "tracking_number": self.tracking_number,
            "warehouse_id": self.warehouse_id,
            "rts_sla_time": self.create_time + 3 * 86400,
            "shipping_due_time": self.create_time + 3 * 86400,
            "collection_due_time": self.create_time + 5 * 86400,
            "delivery_due_time": self.create_time + 10 * 86400,
            "payment": self.payment,
            "recipient_address": self.recipient_address,
            "line_items": self.line_items,
            "packages": [{"id": p} for p in self.package_ids],
        }


@dataclass
class Cancellation:
    id: str
    shop_id: str
    order_id: str
    status: str
    type: str  # CANCEL | BUYER_CANCEL
    role: str  # BUYER | SELLER | SYSTEM
    reason: str
    line_item_ids: list[str]
    create_time: int
    update_time: int

    def json(self, lines: list[dict[str, Any]], newer: bool = False) -> dict[str, Any]:
        """``lines`` are the order's line items this cancellation covers; ``newer`` is the 202602
        shape, which adds ``should_replenish_stock`` (and bundle sub-line items, which the sandbox
        has none of)."""
        items = [
            {"cancel_line_item_id": f"42{self.id[2:-3]}{index + 1:03d}", **after_sale_line(line)}
            for index, line in enumerate(lines)
        ]
        answer = {
            "cancel_id": self.id,
            "order_id": self.order_id,
            "cancel_status": self.status,
            "cancel_type": self.type,
            "role": self.role,
            "cancel_reason": self.reason,
            "cancel_reason_text": self.reason,
            "refund_amount": refund_amount(lines),
            "cancel_line_items": items,
            "create_time": self.create_time,
            "update_time": self.update_time,
        }
        if newer:
            answer["should_replenish_stock"] = True  # the sandbox puts cancelled units back in stock
        return answer


def refund_amount(lines: list[dict[str, Any]]) -> dict[str, str]:
    """A refund of the lines' sale prices (the sandbox refunds neither shipping nor tax). TikTok's
    ``buyer_service_fee`` is charged in one market only (ID) and is left out."""
    total = sum((Decimal(line["sale_price"]) for line in lines), Decimal("0"))
    return {
        "currency": lines[0]["currency"] if lines else "USD",
        "refund_total": str(total),
        "refund_subtotal": str(total),
        "refund_shipping_fee": "0.00",
        "refund_tax": "0.00",
        "retail_delivery_fee": "0.00",
    }


def after_sale_line(line: dict[str, Any]) -> dict[str, Any]:
    """The fields a cancellation or return line item shares: the order line it covers and its SKU."""
    found = {
        "order_line_item_id": line["id"],
        "sku_id": line["sku_id"],
        "sku_name": line.get("sku_name") or "",
        "product_name": line.get("product_name") or "",
        "seller_sku": line.get("seller_sku"),
        "refund_amount": refund_amount([line]),
    }
    return {k: v for k, v in found.items() if v is not None}


@dataclass
class Return:
    id: str
    shop_id: str
    order_id: str
    status: str
    type: str  # REFUND | RETURN_AND_REFUND
    role: str
    reason: str
    line_item_ids: list[str]
    refund_total: Decimal
    currency: str
    create_time: int
    update_time: int
    partial_refund: Decimal | None = None  # the seller's counter-offer, once made

    def json(self, lines: list[dict[str, Any]], newer: bool = False) -> dict[str, Any]:
        """``lines`` are the order's line items this return covers; ``newer`` is the 202602 shape,
        which adds ``is_quick_refund`` (and bundle sub-line items, which the sandbox has none of)."""
        items = [
            {"return_line_item_id": f"43{self.id[2:-3]}{index + 1:03d}", **after_sale_line(line)}
            for index, line in enumerate(lines)
        ]
        amount = refund_amount(lines)
        total = str(self.refund_total)
        amount.update(currency=self.currency, refund_total=total, refund_subtotal=total)
        answer: dict[str, Any] = {
            "return_id": self.id,
            "order_id": self.order_id,
            "return_status": self.status,
            "return_type": self.type,
            "role": self.role,
            "return_reason": self.reason,
            "return_reason_text": self.reason,
            "refund_amount": amount,
            "return_line_items": items,
            "create_time": self.create_time,
            "update_time": self.update_time,
        }
        if self.partial_refund is not None:
            answer["seller_proposed_return_type"] = "PARTIAL_REFUND"
            answer["partial_refund"] = {"amount": str(self.partial_refund), "currency": self.currency}
        if newer:
            answer["is_quick_refund"] = False
        return answer


class State:
    """Everything the sandbox knows, plus id and secret generation."""

    def __init__(self, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self._counter = 0
        self.sellers: dict[str, Seller] = {}
        self.shops: dict[str, Shop] = {}
        self.tokens: dict[str, Token] = {}
        self.images: dict[str, Image] = {}
        self.products: dict[str, Product] = {}
        self.orders: dict[str, Order] = {}
        self.packages: dict[str, Package] = {}
        self.cancellations: dict[str, Cancellation] = {}
        self.returns: dict[str, Return] = {}
        self.brands: list[catalog.Brand] = catalog.default_brands()
        self.idempotency: dict[tuple[str, str, str], Any] = {}

    # --- ids -----------------------------------------------------------------------------

    def new_id(self, prefix: int = 17) -> str:
        """A 19-digit id like TikTok's (deterministic for a seed, unique in this sandbox)."""
        with self.lock:
            self._counter += 1
            middle = self._rng.randrange(10**10, 10**11)
            return f"{prefix}{middle}{self._counter:06d}"[:19].ljust(19, "0")

    def new_secret(self, prefix: str) -> str:
        return prefix + secrets.token_urlsafe(24)

    def now(self) -> int:
        return int(time.time())

    # --- lookups ---------------------------------------------------------------------------

    def shop_by_cipher(self, cipher: str) -> Shop | None:
        return next((s for s in self.shops.values() if s.cipher == cipher), None)

    def sku_index(self, shop_id: str) -> dict[str, tuple[Product, Sku]]:
        return {
            sku.id: (product, sku)
            for product in self.products.values()
            if product.shop_id == shop_id
            for sku in product.skus
        }
