"""The store-platform port and the common model it speaks.

Catalog and order logic talk to a store only through :class:`StorePlatform` (one instance per
connection, built from :class:`StoreCredentials`), and to the platform's app-level pieces
through :class:`StoreOAuth` (install flow) and :class:`StoreWebhooks` (verify and parse).
Every platform difference that bites (spec "Common model", differences 1-6) is settled in the
adapter, so the models below mean the same thing whatever the platform:

- a product always has at least one variant; a variant's ``key`` is stable and is what SKU
  links are stored under; ``stock_key`` names whose stock a variant sells from (an Ecwid
  combination without its own stock sells from its product);
- stock says whether it is tracked and whether it is unlimited; ``quantity`` is ``None``
  exactly when there is no number to read;
- money is :class:`~decimal.Decimal`, never float; times are timezone-aware UTC datetimes;
- GTIN and brand are fields, wherever the platform keeps them;
- descriptions stay HTML (sanitising for TikTok is the catalog's job).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------------------------------------
# Credentials and store profile
# ---------------------------------------------------------------------------------------------


class StoreCredentials(_Model):
    """What an adapter needs to act for one connection. The token never shows in repr or logs."""

    platform: str
    store_id: str
    token: SecretStr
    scopes: tuple[str, ...] = ()


class StoreProfile(_Model):
    store_id: str
    name: str
    currency: str
    weight_unit: str
    """Lower-case unit symbol: ``kg``, ``g``, ``lb``, ``oz`` or ``ct``."""
    dimension_unit: str
    """Lower-case unit symbol: ``cm``, ``mm``, ``in``, ``m`` or ``yd``."""
    timezone: str | None = None
    url: str | None = None


# ---------------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------------


class Stock(_Model):
    """One stock figure. ``quantity`` is ``None`` when the stock is unlimited or not tracked."""

    tracked: bool
    unlimited: bool = False
    quantity: int | None = None

    @classmethod
    def counted(cls, quantity: int) -> Stock:
        return cls(tracked=True, unlimited=False, quantity=quantity)

    @classmethod
    def unlimited_stock(cls) -> Stock:
        return cls(tracked=False, unlimited=True, quantity=None)

    def sellable(self, when_unlimited: int) -> int:
        """Units that may be sold: the count, never below zero, or ``when_unlimited``."""
        if self.unlimited or not self.tracked or self.quantity is None:
            return when_unlimited
        return max(0, self.quantity)


class StoreLocation(_Model):
    """A place the store keeps stock (a platform that keeps one figure per variant has none)."""

    id: str
    name: str = ""
    active: bool = True


class Dimensions(_Model):
    length: Decimal
    width: Decimal
    height: Decimal


class StoreImage(_Model):
    url: str
    is_main: bool = False
    width: int | None = None
    height: int | None = None


class StoreOption(_Model):
    """An option that tells variants apart (price-modifier-only options are not listed)."""

    name: str
    values: tuple[str, ...]


class StoreVariant(_Model):
    key: str
    """Stable identity of the sellable unit on this store (SKU links are stored under it)."""
    product_id: str
    stock_key: str
    """The key whose stock this variant sells from: its own, or its product's when inherited."""
    sku: str | None
    gtin: str | None = None
    price: Decimal
    compare_at: Decimal | None = None
    stock: Stock
    weight: Decimal | None = None
    dimensions: Dimensions | None = None
    option_values: dict[str, str] = Field(default_factory=dict)
    image_url: str | None = None

    @property
    def inherits_stock(self) -> bool:
        return self.stock_key != self.key


class StoreProduct(_Model):
    ext_id: str
    title: str
    description_html: str = ""
    sku: str | None = None
    brand: str | None = None
    category_ids: tuple[str, ...] = ()
    default_category_id: str | None = None
    product_type_id: str | None = None
    images: tuple[StoreImage, ...] = ()
    enabled: bool = True
    updated_at: datetime
    attributes: dict[str, str] = Field(default_factory=dict)
    options: tuple[StoreOption, ...] = ()
    variants: tuple[StoreVariant, ...]

    @field_validator("variants")
    @classmethod
    def _at_least_one_variant(cls, value: tuple[StoreVariant, ...]) -> tuple[StoreVariant, ...]:
        if not value:
            raise ValueError("a product always has at least one variant")
        return value

    @field_validator("updated_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("updated_at must be timezone-aware")
        return value

    def variant(self, key: str) -> StoreVariant | None:
        return next((v for v in self.variants if v.key == key), None)


class DeletedProduct(_Model):
    ext_id: str
    deleted_at: datetime


class StoreCategory(_Model):
    ext_id: str
    name: str
    parent_id: str | None = None
    enabled: bool = True
    product_ids: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Orders
# ---------------------------------------------------------------------------------------------


class PaymentStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    INCOMPLETE = "incomplete"
    OTHER = "other"


class FulfilmentStatus(enum.StrEnum):
    AWAITING_PROCESSING = "awaiting_processing"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    WILL_NOT_DELIVER = "will_not_deliver"
    RETURNED = "returned"
    READY_FOR_PICKUP = "ready_for_pickup"
    OUT_FOR_DELIVERY = "out_for_delivery"
    OTHER = "other"


class ShipTo(_Model):
    """A buyer's address: buyer details, so kept out of every repr."""

    name: str = Field(repr=False)
    phone: str | None = Field(default=None, repr=False)
    company: str | None = Field(default=None, repr=False)
    street: tuple[str, ...] = Field(default=(), repr=False)
    city: str = Field(default="", repr=False)
    region: str | None = Field(default=None, repr=False)
    postal: str = Field(default="", repr=False)
    country: str


class OrderLine(_Model):
    variant_key: str | None
    """``None`` for a custom line the store cannot tie to a variant (it moves no stock)."""
    sku: str | None
    name: str
    quantity: int = Field(gt=0)
    unit_price: Decimal
    option_values: dict[str, str] = Field(default_factory=dict)


class OrderTotals(_Model):
    subtotal: Decimal
    shipping: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    total: Decimal


class StoreOrderDraft(_Model):
    """An order to create on the store for a paid TikTok order.

    Adapters create it so that the store decrements stock itself, exactly once (paid, with
    variant ids, with a customer e-mail), and stamp ``tiktok_order_id`` on it so it can be
    found again after a crash.
    """

    tiktok_order_id: str
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    ship_to: ShipTo
    email: str = Field(repr=False)
    currency: str
    totals: OrderTotals
    shipping_method: str = "TikTok Shop"
    note: str | None = None
    notify_customer: bool = False
    external_fulfilment: bool = False
    """Fulfilment is done outside the store (by TikTok); the store then hides its own tools."""


class StoreOrder(_Model):
    ext_id: str
    """The identifier to use for every later call (Ecwid: ``orderId``)."""
    internal_id: str | None = None
    number: str | None = None
    tiktok_order_id: str | None = None
    lines: tuple[OrderLine, ...] = ()
    ship_to: ShipTo | None = None
    email: str | None = Field(default=None, repr=False)
    currency: str | None = None
    totals: OrderTotals
    payment_status: PaymentStatus
    fulfilment_status: FulfilmentStatus
    payment_status_raw: str = ""
    fulfilment_status_raw: str = ""
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Fulfilment(_Model):
    order_ext_id: str
    carrier: str | None = None
    tracking_number: str
    tracking_url: str | None = None
    lines: tuple[OrderLine, ...] = ()
    """Empty means the whole order."""
    delivered: bool = False


class Cancellation(_Model):
    order_ext_id: str
    reason: str
    restock: bool = True


# ---------------------------------------------------------------------------------------------
# Webhooks and the install flow
# ---------------------------------------------------------------------------------------------


class EventKind(enum.StrEnum):
    PRODUCT_CHANGED = "product_changed"
    PRODUCT_DELETED = "product_deleted"
    ORDER_CHANGED = "order_changed"
    APP_UNINSTALLED = "app_uninstalled"
    STOCK_CHANGED = "stock_changed"
    """A stock figure changed without a product event (a platform that keeps stock apart)."""
    CUSTOMER_DATA_REQUEST = "customer_data_request"
    """A buyer asked the merchant for the data held about them (privacy law)."""
    CUSTOMER_REDACT = "customer_redact"
    """Erase what is held about one buyer (privacy law)."""
    SHOP_REDACT = "shop_redact"
    """Erase what is held about the store, some time after it removed the app (privacy law)."""
    UNKNOWN = "unknown"
    """Anything we do not act on: acknowledge and ignore."""


class StoreEvent(_Model):
    """A store webhook, normalised. It is a hint: workers re-read the entity it names."""

    platform: str
    kind: EventKind
    event_id: str
    """The producer's id, the de-duplication key."""
    event_type: str
    """The platform's own name for the event (kept for logs and metrics)."""
    store_id: str
    entity_id: str | None
    occurred_at: datetime
    details: dict[str, str] = Field(default_factory=dict)


class StoreGrant(_Model):
    """The outcome of a successful install: who the store is and the token to act for it."""

    platform: str
    store_id: str
    token: SecretStr
    scopes: tuple[str, ...]
    public_token: SecretStr | None = None
    expires_at: datetime | None = None
    """When ``token`` stops working (``None``: it lasts until the app is removed)."""
    refresh_token: SecretStr | None = None
    """Trades for a new token (and a new refresh token: keep the latest) before or after expiry."""
    refresh_expires_at: datetime | None = None

    def credentials(self) -> StoreCredentials:
        return StoreCredentials(platform=self.platform, store_id=self.store_id, token=self.token, scopes=self.scopes)


# ---------------------------------------------------------------------------------------------
# The ports
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class StorePlatform(Protocol):
    """One connected store. Adapters are built per connection from :class:`StoreCredentials`.

    Every method raises only :mod:`connector.stores.errors` types for platform failures.
    """

    @property
    def platform(self) -> str: ...

    @property
    def store_id(self) -> str: ...

    def profile(self) -> StoreProfile: ...

    # catalog
    def list_products(self, *, updated_since: datetime | None = None) -> Iterator[StoreProduct]:
        """Every product (or those changed at or after ``updated_since``), oldest change first."""
        ...

    def whole_catalog(self) -> Iterator[StoreProduct]:
        """Every product, read the way the platform reads a whole catalog fastest (the first pull
        of a connection): a platform with a bulk export uses it, the others page as
        :meth:`list_products` does. No order is promised."""
        ...

    def deleted_products(self, *, since: datetime) -> Iterator[DeletedProduct]: ...

    def get_product(self, product_id: str) -> StoreProduct: ...

    def list_categories(self) -> list[StoreCategory]: ...

    # stock and price
    def set_stock(self, stock_key: str, stock: Stock) -> None:
        """Set an absolute figure (a count, or unlimited) on the variant or product named."""
        ...

    def adjust_stock(self, stock_key: str, delta: int) -> None: ...

    def get_price(self, variant_key: str) -> Decimal: ...

    def stock_location(self) -> str | None:
        """The location whose stock this adapter reads and writes (the one given, else the
        store's primary one), or ``None`` for a platform that keeps one figure per variant."""
        ...

    def locations(self) -> list[StoreLocation]:
        """Every place the store keeps stock; empty for a platform that keeps one figure per
        variant (its stock then goes to one TikTok warehouse, the default)."""
        ...

    def stock_at(self, product_id: str, location_ids: Sequence[str]) -> dict[str, dict[str, Stock]]:
        """A product's stock at each location named: location id -> stock key -> figure (a
        variant not stocked at a location counts 0 there). Only called with ids from
        :meth:`locations`."""
        ...

    def product_of_stock_change(self, entity_id: str, details: Mapping[str, str],
                                also: Collection[str] = ()) -> str | None:
        """The product whose stock a ``stock_changed`` event names (``entity_id`` and ``details``
        as the platform's webhook parser gave them), or ``None`` when the change is at a location
        this connection does not sync (its own location and the locations in ``also``, those
        mapped to TikTok warehouses). Raises :class:`~connector.stores.errors.StoreNotFound`
        when what the event names no longer exists."""
        ...

    # orders
    def create_order(self, draft: StoreOrderDraft) -> StoreOrder:
        """Create the store order with one POST, after a look-up by ``draft.tiktok_order_id``
        (an order found is returned). A failure that leaves it unknown whether the store created
        the order raises :class:`~connector.stores.errors.AmbiguousWrite`: the adapter never
        posts twice; the relay searches over a settle window before it posts again."""
        ...

    def find_order_by_tiktok_id(self, tiktok_order_id: str) -> StoreOrder | None:
        """The oldest store order carrying the TikTok order id."""
        ...

    def find_orders_by_tiktok_id(self, tiktok_order_id: str) -> list[StoreOrder]:
        """Every store order carrying the TikTok order id, oldest first (more than one is a
        duplicate for the relay's detector)."""
        ...

    def get_order(self, order_ext_id: str) -> StoreOrder: ...

    def fulfil_order(self, fulfilment: Fulfilment) -> StoreOrder: ...

    def cancel_order(self, cancellation: Cancellation) -> StoreOrder: ...

    def mark_refunded(self, order_ext_id: str, *, partial: bool = False) -> StoreOrder: ...

    def update_ship_to(self, order_ext_id: str, ship_to: ShipTo) -> StoreOrder:
        """Address change: the buyer changed the address before shipment."""
        ...


@runtime_checkable
class StoreOAuth(Protocol):
    """The app side of a platform's install flow (app credentials, not a connection's)."""

    @property
    def platform(self) -> str: ...

    def authorize_url(self, *, redirect_uri: str, state: str, scopes: tuple[str, ...] | None = None) -> str: ...

    def exchange_code(self, *, code: str, redirect_uri: str) -> StoreGrant: ...


@runtime_checkable
class StoreWebhooks(Protocol):
    """Verifies and parses a platform's webhooks (signed with the app's secret)."""

    @property
    def platform(self) -> str: ...

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool: ...

    def parse(self, body: bytes) -> StoreEvent:
        """A typed event; unknown event types give ``EventKind.UNKNOWN``, never an error."""
        ...
