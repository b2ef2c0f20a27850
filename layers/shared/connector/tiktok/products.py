"""Products: reference data (categories, rules, attributes, brands), images, listings, bulk
status changes, inventory and prices.

Creates carry an ``idempotency_key`` (made here when the caller gave none) so a retried create
cannot list twice. Each distinct image is uploaded once per shop (:class:`ImageCache`).
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from connector.tiktok.filters import ProductFilter
from connector.tiktok.models import (
    Attribute,
    Brand,
    BulkProductResult,
    Category,
    CategoryRules,
    CreateProductResult,
    InventoryRecord,
    ListingCheckResult,
    Page,
    Prerequisites,
    Product,
    ProductInput,
    ProductSummary,
    RecommendedCategory,
    SkuInventoryUpdate,
    SkuPriceUpdate,
    UploadedImage,
)
from connector.tiktok.protocol import ShopRef
from connector.tiktok.transport import Service, Transport, chunks, drop_none, page_of, paged, parse

CATEGORIES = "/product/202309/categories"
CATEGORY_RULES = "/product/202309/categories/{category_id}/rules"
CATEGORY_ATTRIBUTES = "/product/202309/categories/{category_id}/attributes"
CATEGORY_RECOMMEND = "/product/202309/categories/recommend"
BRANDS = "/product/202309/brands"
IMAGES_UPLOAD = "/product/202309/images/upload"
PRODUCTS = "/product/202309/products"
PRODUCT = "/product/202309/products/{product_id}"
PRODUCT_EDIT = "/product/202509/products/{product_id}"
PRODUCT_PARTIAL_EDIT = "/product/202509/products/{product_id}/partial_edit"
PRODUCTS_SEARCH = "/product/202502/products/search"
PRODUCTS_ACTIVATE = "/product/202309/products/activate"
PRODUCTS_DEACTIVATE = "/product/202309/products/deactivate"
PRODUCTS_RECOVER = "/product/202309/products/recover"
PRODUCT_INVENTORY_UPDATE = "/product/202309/products/{product_id}/inventory/update"
PRODUCT_PRICES_UPDATE = "/product/202309/products/{product_id}/prices/update"
INVENTORY_SEARCH = "/product/202309/inventory/search"
LISTING_CHECK = "/product/202309/products/listing_check"
PREREQUISITES = "/product/202312/prerequisites"

#: Most ids one bulk status call accepts.
PRODUCT_BULK_BATCH = 20


class ImageCache(Protocol):
    """Remembers uploaded images so each distinct image is uploaded once per shop."""

    def get(self, key: str) -> UploadedImage | None: ...

    def put(self, key: str, image: UploadedImage) -> None: ...


class InMemoryImageCache:
    def __init__(self) -> None:
        self._items: dict[str, UploadedImage] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> UploadedImage | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: str, image: UploadedImage) -> None:
        with self._lock:
            self._items[key] = image


def image_cache_key(shop_id: str, use_case: str, data: bytes) -> str:
    return f"{shop_id}#{use_case}#{hashlib.sha256(data).hexdigest()}"


class ProductsService(Service):
    def __init__(self, transport: Transport, images: ImageCache) -> None:
        super().__init__(transport)
        self._images = images

    # --- reference data ------------------------------------------------------------------

    def categories(
        self, shop: ShopRef, *, category_version: str | None = None, keyword: str | None = None
    ) -> list[Category]:
        data = self._transport.request(
            "GET", CATEGORIES, shop=shop, query={"category_version": category_version, "keyword": keyword}
        )
        return [parse(Category, c) for c in data.get("categories") or []]

    def category_rules(self, shop: ShopRef, category_id: str, *, category_version: str | None = None) -> CategoryRules:
        data = self._transport.request(
            "GET",
            CATEGORY_RULES,
            shop=shop,
            path_params={"category_id": category_id},
            query={"category_version": category_version},
        )
        return parse(CategoryRules, data)

    def attributes(self, shop: ShopRef, category_id: str, *, category_version: str | None = None) -> list[Attribute]:
        data = self._transport.request(
            "GET",
            CATEGORY_ATTRIBUTES,
            shop=shop,
            path_params={"category_id": category_id},
            query={"category_version": category_version},
        )
        return [parse(Attribute, a) for a in data.get("attributes") or []]

    def brands(
        self,
        shop: ShopRef,
        *,
        category_id: str | None = None,
        brand_name: str | None = None,
        category_version: str | None = None,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> Page[Brand]:
        data = self._transport.request(
            "GET",
            BRANDS,
            shop=shop,
            query={
                "page_size": page_size,
                "page_token": page_token,
                "category_id": category_id,
                "brand_name": brand_name,
                "category_version": category_version,
            },
        )
        return page_of(data, "brands", Brand)

    def create_brand(self, shop: ShopRef, name: str) -> str:
        """Create a custom brand (no ``shop_cipher`` on this call); returns its id."""
        data = self._transport.request("POST", BRANDS, shop=shop, json={"name": name})
        return str(data.get("id") or data.get("brand_id") or "")

    def recommend_category(
        self,
        shop: ShopRef,
        product_title: str,
        *,
        description: str | None = None,
        image_uris: Sequence[str] | None = None,
        category_version: str | None = None,
    ) -> RecommendedCategory:
        body = drop_none(
            {
                "product_title": product_title,
                "description": description,
                "images": [{"uri": uri} for uri in image_uris] if image_uris else None,
                "category_version": category_version,
            }
        )
        data = self._transport.request("POST", CATEGORY_RECOMMEND, shop=shop, json=body)
        return parse(RecommendedCategory, data)

    def prerequisites(self, shop: ShopRef) -> Prerequisites:
        return parse(Prerequisites, self._transport.request("GET", PREREQUISITES, shop=shop))

    def upload_image(
        self, shop: ShopRef, data: bytes, *, use_case: str = "MAIN_IMAGE", filename: str = "image"
    ) -> UploadedImage:
        """Upload image bytes (URLs are refused by TikTok), once per distinct image and shop."""
        key = image_cache_key(shop.id, use_case, data)
        cached = self._images.get(key)
        if cached is not None:
            return cached
        answer = self._transport.request(
            "POST",
            IMAGES_UPLOAD,
            shop=shop,
            files={"data": (filename, data, "application/octet-stream")},
            form={"use_case": use_case},
        )
        image = parse(UploadedImage, answer)
        self._images.put(key, image)
        return image

    # --- listings ------------------------------------------------------------------------

    def create(self, shop: ShopRef, product: ProductInput) -> CreateProductResult:
        if product.idempotency_key is None:
            product = product.model_copy(update={"idempotency_key": uuid.uuid4().hex})
        data = self._transport.request("POST", PRODUCTS, shop=shop, json=product.wire())
        return parse(CreateProductResult, data)

    def check_listing(self, shop: ShopRef, product: ProductInput) -> ListingCheckResult:
        data = self._transport.request("POST", LISTING_CHECK, shop=shop, json=product.wire())
        return parse(ListingCheckResult, data)

    def edit(self, shop: ShopRef, product_id: str, product: ProductInput) -> CreateProductResult:
        """Full replace (PUT): TikTok blanks whatever is omitted, so send everything."""
        data = self._transport.request(
            "PUT", PRODUCT_EDIT, shop=shop, path_params={"product_id": product_id}, json=product.wire()
        )
        data.setdefault("product_id", product_id)
        return parse(CreateProductResult, data)

    def partial_edit(
        self, shop: ShopRef, product_id: str, fields: Mapping[str, Any] | BaseModel
    ) -> CreateProductResult:
        """Replace the given top-level fields only (each one replaced whole)."""
        if isinstance(fields, BaseModel):
            body = fields.model_dump(mode="json", exclude_none=True, exclude_unset=True, by_alias=True)
        else:
            body = dict(fields)
        data = self._transport.request(
            "POST", PRODUCT_PARTIAL_EDIT, shop=shop, path_params={"product_id": product_id}, json=body
        )
        data.setdefault("product_id", product_id)
        return parse(CreateProductResult, data)

    def get(self, shop: ShopRef, product_id: str) -> Product:
        data = self._transport.request("GET", PRODUCT, shop=shop, path_params={"product_id": product_id})
        return parse(Product, data)

    def search(
        self,
        shop: ShopRef,
        filters: ProductFilter | None = None,
        *,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> Page[ProductSummary]:
        data = self._transport.request(
            "POST",
            PRODUCTS_SEARCH,
            shop=shop,
            query={"page_size": page_size, "page_token": page_token},
            json=(filters or ProductFilter()).wire(),
        )
        return page_of(data, "products", ProductSummary)

    def iterate(
        self, shop: ShopRef, filters: ProductFilter | None = None, *, page_size: int = 100
    ) -> Iterator[ProductSummary]:
        """Every product matching ``filters``, page after page."""
        return paged(lambda token: self.search(shop, filters, page_size=page_size, page_token=token))

    # --- status, in batches of 20 ----------------------------------------------------------

    def activate(self, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult:
        return self._bulk("POST", PRODUCTS_ACTIVATE, shop, product_ids)

    def deactivate(self, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult:
        return self._bulk("POST", PRODUCTS_DEACTIVATE, shop, product_ids)

    def delete(self, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult:
        return self._bulk("DELETE", PRODUCTS, shop, product_ids)

    def recover(self, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult:
        return self._bulk("POST", PRODUCTS_RECOVER, shop, product_ids)

    def _bulk(self, method: str, path: str, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult:
        merged = BulkProductResult()
        for chunk in chunks(list(dict.fromkeys(product_ids)), PRODUCT_BULK_BATCH):
            data = self._transport.request(method, path, shop=shop, json={"product_ids": list(chunk)})
            merged.errors.extend(parse(BulkProductResult, data).errors)
        return merged

    # --- inventory and prices --------------------------------------------------------------

    def update_inventory(self, shop: ShopRef, product_id: str, skus: Sequence[SkuInventoryUpdate]) -> dict[str, Any]:
        """Absolute quantities; list every warehouse the SKU is assigned to (TikTok's rule)."""
        return self._transport.request(
            "POST",
            PRODUCT_INVENTORY_UPDATE,
            shop=shop,
            path_params={"product_id": product_id},
            json={"skus": [s.wire() for s in skus]},
        )

    def search_inventory(
        self, shop: ShopRef, *, product_ids: Sequence[str] | None = None, sku_ids: Sequence[str] | None = None
    ) -> list[InventoryRecord]:
        """Current stock per SKU and warehouse, by product ids or by SKU ids."""
        body = drop_none(
            {
                "product_ids": list(product_ids) if product_ids else None,
                "sku_ids": list(sku_ids) if sku_ids else None,
            }
        )
        data = self._transport.request("POST", INVENTORY_SEARCH, shop=shop, json=body)
        return [parse(InventoryRecord, r) for r in data.get("inventory") or []]

    def update_prices(self, shop: ShopRef, product_id: str, skus: Sequence[SkuPriceUpdate]) -> dict[str, Any]:
        return self._transport.request(
            "POST",
            PRODUCT_PRICES_UPDATE,
            shop=shop,
            path_params={"product_id": product_id},
            json={"skus": [s.wire() for s in skus]},
        )
