"""What the features (catalog, orders, connections) need from TikTok Shop: the :class:`TikTokShop`
port, and :class:`ShopRef`, the shop a call is about.

The features type their TikTok dependency with :class:`TikTokShop`, as they type a store with
:class:`connector.stores.protocol.StorePlatform`; :class:`connector.tiktok.client.TikTokClient`
is the implementation, and a test may pass any object with these methods. The list is what the
features call today: add a method here when a feature starts calling it.

This module stays cheap to import (no HTTP client, models only for type checking).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from connector.ratelimit import RateLimiter
    from connector.tiktok.models import (
        Attribute,
        AuthorizedShop,
        BulkProductResult,
        Category,
        CategoryRules,
        CreateProductResult,
        InventoryRecord,
        MarkShippedResult,
        Order,
        Page,
        Product,
        ProductInput,
        ProductSummary,
        RecommendedCategory,
        Return,
        SellerCancelResult,
        SkuInventoryUpdate,
        SkuPriceUpdate,
        TokenSet,
        UploadedImage,
        Warehouse,
    )
    from connector.tiktok.oauth import TokenProvider


@dataclass(frozen=True)
class ShopRef:
    """The shop a call is about: its id (rate-limit scope) and cipher (``shop_cipher``)."""

    id: str
    cipher: str = field(repr=False)


class TikTokShop(Protocol):
    """TikTok Shop as the features use it. Shop-scoped calls take a :class:`ShopRef` first."""

    # --- binding to a seller / a shared limiter ------------------------------------------
    def with_tokens(self, tokens: TokenProvider) -> TikTokShop: ...

    def with_limiter(self, limiter: RateLimiter) -> TikTokShop: ...

    # --- authorization -------------------------------------------------------------------
    def authorization_url(self, state: str, *, region: str | None = None) -> str: ...

    def get_access_token(self, auth_code: str) -> TokenSet: ...

    def refresh_access_token(self, refresh_token: str) -> TokenSet: ...

    def get_authorized_shops(self, *, access_token: str | None = None) -> list[AuthorizedShop]: ...

    # --- products ------------------------------------------------------------------------
    def get_categories(
        self, shop: ShopRef, *, category_version: str | None = None, keyword: str | None = None
    ) -> list[Category]: ...

    def get_category_rules(
        self, shop: ShopRef, category_id: str, *, category_version: str | None = None
    ) -> CategoryRules: ...

    def get_attributes(
        self, shop: ShopRef, category_id: str, *, category_version: str | None = None
    ) -> list[Attribute]: ...

    def recommend_category(
        self,
        shop: ShopRef,
        product_title: str,
        *,
        description: str | None = None,
        image_uris: Sequence[str] | None = None,
        category_version: str | None = None,
    ) -> RecommendedCategory: ...

    def upload_image(
        self, shop: ShopRef, data: bytes, *, use_case: str = "MAIN_IMAGE", filename: str = "image"
    ) -> UploadedImage: ...

    def create_product(self, shop: ShopRef, product: ProductInput) -> CreateProductResult: ...

    def edit_product(self, shop: ShopRef, product_id: str, product: ProductInput) -> CreateProductResult: ...

    def get_product(self, shop: ShopRef, product_id: str) -> Product: ...

    def search_products(
        self,
        shop: ShopRef,
        *,
        status: str | None = None,
        seller_skus: Sequence[str] | None = None,
        create_time_ge: int | None = None,
        create_time_le: int | None = None,
        update_time_ge: int | None = None,
        update_time_le: int | None = None,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> Page[ProductSummary]: ...

    def activate_products(self, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult: ...

    def deactivate_products(self, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult: ...

    def update_inventory(
        self, shop: ShopRef, product_id: str, skus: Sequence[SkuInventoryUpdate]
    ) -> dict[str, Any]: ...

    def search_inventory(
        self, shop: ShopRef, *, product_ids: Sequence[str] | None = None, sku_ids: Sequence[str] | None = None
    ) -> list[InventoryRecord]: ...

    def update_prices(self, shop: ShopRef, product_id: str, skus: Sequence[SkuPriceUpdate]) -> dict[str, Any]: ...

    # --- logistics -----------------------------------------------------------------------
    def get_warehouses(self, shop: ShopRef) -> list[Warehouse]: ...

    # --- orders, fulfillment, after-sales -------------------------------------------------
    def get_orders(self, shop: ShopRef, order_ids: Sequence[str]) -> list[Order]: ...

    def iter_orders_changed(
        self, shop: ShopRef, *, since: int, until: int, overlap_s: int = 300, order_status: str | None = None
    ) -> Iterator[Order]: ...

    def ship_package(
        self,
        shop: ShopRef,
        package_id: str,
        *,
        handover_method: str = "DROP_OFF",
        pickup_slot: Mapping[str, int] | None = None,
        tracking_number: str | None = None,
        shipping_provider_id: str | None = None,
    ) -> dict[str, Any]: ...

    def mark_package_shipped(
        self,
        shop: ShopRef,
        order_id: str,
        *,
        tracking_number: str,
        shipping_provider_id: str,
        order_line_item_ids: Sequence[str] | None = None,
    ) -> MarkShippedResult: ...

    def cancel_order(
        self,
        shop: ShopRef,
        order_id: str,
        *,
        cancel_reason: str,
        order_line_item_ids: Sequence[str] | None = None,
        skus: Sequence[Mapping[str, Any]] | None = None,
    ) -> SellerCancelResult: ...

    def search_returns(
        self,
        shop: ShopRef,
        *,
        order_ids: Sequence[str] | None = None,
        return_ids: Sequence[str] | None = None,
        return_status: Sequence[str] | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        page_size: int = 50,
        page_token: str | None = None,
    ) -> Page[Return]: ...
