"""The catalog side of a connected Shopify shop: its profile and its products, read through the
GraphQL Admin API with cursor paging.

- Products come oldest change first (``sortKey: UPDATED_AT``), filtered by
  ``updated_at:>='…'`` for an incremental pull. Cursors, not offsets: a product edited during a
  long scan moves to the end and is read again, changed; nothing shifts under the cursor.
- One page holds :data:`~config.PRODUCTS_PAGE` products with their first
  :data:`~config.VARIANTS_PER_PRODUCT` variants and :data:`~config.MEDIA_PER_PRODUCT` media, so
  the query's requested cost stays under Shopify's single-query limit; a product with more
  variants has the rest read by a second, paged query. Should Shopify still price a page above
  its limit (``MAX_COST_EXCEEDED``), the page size is halved and the page asked again.
- The first pull of a shop runs as a bulk operation instead (:meth:`whole_catalog`, :meth:`bulk_products`):
  one query over every product, run by Shopify in the background without the cost limit, its
  result a JSONL file where variants and media are lines of their own naming their product
  (``__parentId``).
- Throttling, retries and errors are the transport's (:mod:`.transport`).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from connector.stores.errors import AuthError, ServerError, StoreError, StoreNotFound, StoreValidationError
from connector.stores.protocol import (
    Cancellation,
    DeletedProduct,
    Fulfilment,
    ShipTo,
    Stock,
    StoreCategory,
    StoreCredentials,
    StoreLocation,
    StoreOrder,
    StoreOrderDraft,
    StorePlatform,
    StoreProduct,
    StoreProfile,
)
from connector.stores.shopify import config, normalize
from connector.stores.shopify.orders import ShopifyOrders
from connector.stores.shopify.stock import ShopifyStock
from connector.stores.shopify.transport import ShopifyTransport

if TYPE_CHECKING:
    import httpx

    from connector.ratelimit import RateLimiter

VARIANT_FIELDS = """
          id sku barcode price compareAtPrice inventoryQuantity inventoryPolicy
          selectedOptions { name value }
          inventoryItem {
            id tracked measurement { weight { unit value } }
            inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }
          }"""
"""A variant's fields; its stock is the ``available`` figure at the mapped location (``$location``)."""

PRODUCT_FIELDS = f"""
      id title handle descriptionHtml vendor productType status updatedAt
      options {{ name values }}
      media(first: {config.MEDIA_PER_PRODUCT}) {{
        nodes {{ mediaContentType ... on MediaImage {{ image {{ url width height }} }} }}
      }}
      variants(first: {config.VARIANTS_PER_PRODUCT}) {{
        pageInfo {{ hasNextPage endCursor }}
        nodes {{{VARIANT_FIELDS}
        }}
      }}"""

PRODUCTS_QUERY = f"""query Products($first: Int!, $after: String, $query: String, $location: ID!) {{
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{{PRODUCT_FIELDS}
    }}
  }}
}}"""

LOCATIONS_QUERY = """query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true) {
    pageInfo { hasNextPage endCursor }
    nodes { id name isActive }
  }
}"""

PRODUCT_QUERY = f"""query Product($id: ID!, $location: ID!) {{
  product(id: $id) {{{PRODUCT_FIELDS}
  }}
}}"""

VARIANTS_QUERY = f"""query ProductVariants($id: ID!, $first: Int!, $after: String, $location: ID!) {{
  product(id: $id) {{
    variants(first: $first, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{{VARIANT_FIELDS}
      }}
    }}
  }}
}}"""

BULK_PRODUCTS = f"""{{
  products {{
    edges {{
      node {{
        id title handle descriptionHtml vendor productType status updatedAt
        options {{ name values }}
        media {{ edges {{ node {{ mediaContentType ... on MediaImage {{ image {{ url width height }} }} }} }} }}
        variants {{ edges {{ node {{{VARIANT_FIELDS}
        }} }} }}
      }}
    }}
  }}
}}"""

BULK_RUN = """mutation BulkProducts($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message }
  }
}"""

BULK_STATUS = """query BulkStatus($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } }
}"""

BULK_DONE = ("COMPLETED",)
BULK_FAILED = ("FAILED", "CANCELED", "CANCELING", "EXPIRED")

DELETIONS_QUERY = """query DeletedProducts($first: Int!, $after: String, $query: String) {
  deletionEvents(first: $first, after: $after, subjectTypes: [PRODUCT], query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { subjectId occurredAt }
  }
}"""

COLLECTIONS_QUERY = f"""query Collections($first: Int!, $after: String) {{
  collections(first: $first, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ id title products(first: {config.MAX_PAGE}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ id }} }} }}
  }}
}}"""

COLLECTION_PRODUCTS = """query CollectionProducts($id: ID!, $first: Int!, $after: String) {
  collection(id: $id) {
    products(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } }
  }
}"""

COLLECTIONS_PAGE = 3
"""Collections per page with their first 250 products: 2 + 3 x (1 + 2 + 250) points, under the limit."""

SHOP_QUERY = """query Shop {
  shop { name myshopifyDomain currencyCode weightUnit unitSystem ianaTimezone url }
}"""


def _search_stamp(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _page_info(connection: dict[str, Any]) -> tuple[bool, str | None]:
    info = _dict(connection.get("pageInfo"))
    cursor = info.get("endCursor")
    return bool(info.get("hasNextPage")), cursor if isinstance(cursor, str) else None


class ShopifyCatalog:
    """One connected Shopify shop (its catalog, stock, prices and orders), acting with that
    shop's access token: the :class:`~connector.stores.protocol.StorePlatform` for Shopify.

    ``location_id`` is the location whose stock is read and written (the one mapped to the TikTok
    warehouse); ``None`` means the shop's primary location. ``http``, ``limiter`` and ``sleep``
    are the seams for tests; ``shop_base`` defaults to ``SHOPIFY_SHOP_BASE`` (or Shopify itself)."""

    platform = config.PLATFORM

    def __init__(
        self,
        shop: str,
        token: str | SecretStr,
        *,
        shop_base: str | None = None,
        http: httpx.Client | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 4,
        max_throttled: int = 30,
        location_id: str | None = None,
    ) -> None:
        self._shop = shop
        self._api = ShopifyTransport(
            shop,
            token.get_secret_value() if isinstance(token, SecretStr) else token,
            shop_base=shop_base,
            http=http,
            limiter=limiter,
            sleep=sleep,
            max_attempts=max_attempts,
            max_throttled=max_throttled,
        )
        self._weight_unit: str | None = None
        self.page_size = config.PRODUCTS_PAGE
        self._stock = ShopifyStock(self._api, location_id)
        self._orders = ShopifyOrders(self._api, sleep)

    @classmethod
    def from_credentials(cls, credentials: StoreCredentials, **kwargs: Any) -> ShopifyCatalog:
        if credentials.platform != config.PLATFORM:
            raise StoreValidationError(f"not Shopify credentials: {credentials.platform!r}", platform=config.PLATFORM)
        return cls(credentials.store_id, credentials.token, **kwargs)

    def __repr__(self) -> str:
        return f"ShopifyCatalog(shop={self._shop!r})"

    @property
    def store_id(self) -> str:
        return self._shop

    @property
    def transport(self) -> ShopifyTransport:
        return self._api

    @property
    def location_id(self) -> str:
        """The mapped location's id (a plain number), the shop's primary one unless set."""
        return normalize.number(self._stock.location_gid, "location id")

    def location(self) -> dict[str, Any]:
        """The mapped location: ``{"id", "name", "active"}``."""
        return self._stock.location()

    # -----------------------------------------------------------------------------------------

    def _shop_data(self) -> dict[str, Any]:
        data = self._api.execute(SHOP_QUERY)
        shop = data.get("shop")
        if not isinstance(shop, dict):
            raise ServerError("shopify Shop: no shop in the answer", platform=config.PLATFORM)
        self._weight_unit = str(shop.get("weightUnit") or "KILOGRAMS")
        return shop

    def profile(self) -> StoreProfile:
        return normalize.profile(self._shop_data())

    def _shop_weight_unit(self) -> str:
        if self._weight_unit is None:
            self._shop_data()
        return self._weight_unit or "KILOGRAMS"

    def list_products(self, *, updated_since: datetime | None = None) -> Iterator[StoreProduct]:
        """Every product (or those changed at or after ``updated_since``), oldest change first."""
        unit = self._shop_weight_unit()
        search = f"updated_at:>='{_search_stamp(updated_since)}'" if updated_since is not None else None
        after: str | None = None
        while True:
            connection = self._products_page(after, search)
            for node in normalize_nodes(connection):
                yield normalize.product(node, self._all_variants(node), unit)
            more, after = _page_info(connection)
            if not more or after is None:
                return

    def _products_page(self, after: str | None, search: str | None) -> dict[str, Any]:
        while True:
            try:
                data = self._api.execute(PRODUCTS_QUERY, {"first": self.page_size, "after": after, "query": search,
                                                          "location": self._stock.location_gid})
            except StoreValidationError as exc:
                if exc.platform_code == "MAX_COST_EXCEEDED" and self.page_size > 1:
                    self.page_size = max(1, self.page_size // 2)
                    continue
                raise
            connection = data.get("products")
            if not isinstance(connection, dict):
                raise ServerError("shopify Products: no products in the answer", platform=config.PLATFORM)
            return connection

    def _all_variants(self, node: dict[str, Any], location_gid: str | None = None) -> list[dict[str, Any]]:
        first = _dict(node.get("variants"))
        variants = normalize_nodes(first)
        more, after = _page_info(first)
        while more and after is not None:
            data = self._api.execute(VARIANTS_QUERY, {"id": node.get("id"), "first": config.VARIANTS_PAGE,
                                                      "after": after,
                                                      "location": location_gid or self._stock.location_gid})
            product = data.get("product")
            if not isinstance(product, dict):
                raise StoreNotFound(f"shopify product {node.get('id')} went away while its variants were read",
                               platform=config.PLATFORM)
            connection = _dict(product.get("variants"))
            variants.extend(normalize_nodes(connection))
            more, after = _page_info(connection)
        return variants

    def whole_catalog(self) -> Iterator[StoreProduct]:
        """Every product by one bulk operation (no cost limit, no page per 8 products); should
        another bulk query of the app be running on the shop (one at a time per shop), the paged
        pull instead. The bulk file is read whole before the first product is given."""
        try:
            products = list(self.bulk_products(poll_every_s=config.BULK_POLL_SECONDS,
                                               timeout_s=config.BULK_TIMEOUT_SECONDS))
        except StoreValidationError as exc:
            if exc.platform_code != "bulk_refused":
                raise
            yield from self.list_products()
            return
        yield from products

    def bulk_products(self, *, poll_every_s: float = 2.0, timeout_s: float = 3600.0) -> Iterator[StoreProduct]:
        """Every product, read by one bulk operation (for the first pull of a large catalog).

        Starts the operation, polls it every ``poll_every_s`` seconds (through the transport's
        ``sleep``) until it completes, then reads its JSONL file. A failed, cancelled or expired
        operation, or one still running after ``timeout_s``, raises :class:`ServerError`; another
        bulk query of the app already running on the shop raises :class:`StoreValidationError`."""
        unit = self._shop_weight_unit()
        # a bulk query takes no variables: the location is written into it
        query = BULK_PRODUCTS.replace("$location", json.dumps(self._stock.location_gid))
        started = self._api.execute(BULK_RUN, {"query": query}, idempotent=False)
        payload = _dict(started.get("bulkOperationRunQuery"))
        errors = payload.get("userErrors")
        if isinstance(errors, list) and errors:
            message = str(_dict(errors[0]).get("message") or "refused")[:200]
            raise StoreValidationError(f"shopify BulkProducts: {message}", platform=config.PLATFORM,
                                  platform_code="bulk_refused")
        operation_id = _dict(payload.get("bulkOperation")).get("id")
        if not isinstance(operation_id, str):
            raise ServerError("shopify BulkProducts: no operation id", platform=config.PLATFORM)
        url = self._await_bulk(operation_id, poll_every_s, timeout_s)
        if url is None:
            return  # an empty shop: Shopify gives no file
        yield from _assemble(self._api.download_lines(url), unit)

    def _await_bulk(self, operation_id: str, poll_every_s: float, timeout_s: float) -> str | None:
        waited = 0.0
        while True:
            node = _dict(self._api.execute(BULK_STATUS, {"id": operation_id}).get("node"))
            status = str(node.get("status") or "")
            if status in BULK_DONE:
                url = node.get("url")
                return url if isinstance(url, str) and url else None
            if status in BULK_FAILED:
                code = str(node.get("errorCode") or status)[:64]
                kind = AuthError if code == "ACCESS_DENIED" else ServerError
                raise kind(f"shopify bulk operation {normalize.number(operation_id)}: {status} ({code})",
                                  platform=config.PLATFORM, platform_code=code)
            if waited >= timeout_s:
                raise ServerError(f"shopify bulk operation {normalize.number(operation_id)}: still {status} after "
                                  f"{timeout_s:.0f} s", platform=config.PLATFORM, platform_code="bulk_timeout")
            self._api.sleep(poll_every_s)
            waited += poll_every_s

    def get_product(self, product_id: str) -> StoreProduct:
        return self._product_at(product_id, self._stock.location_gid)

    def _product_at(self, product_id: str, location_gid: str) -> StoreProduct:
        """The product with each variant's stock at ``location_gid``."""
        unit = self._shop_weight_unit()
        data = self._api.execute(PRODUCT_QUERY, {"id": normalize.gid("Product", product_id), "location": location_gid})
        node = data.get("product")
        if not isinstance(node, dict):
            raise StoreNotFound(f"shopify product {normalize.number(product_id)} not found", platform=config.PLATFORM)
        return normalize.product(node, self._all_variants(node, location_gid), unit)

    def stock_at(self, product_id: str, location_ids: Sequence[str]) -> dict[str, dict[str, Stock]]:
        """The product read once per location (its variants' ``available`` figure there)."""
        found: dict[str, dict[str, Stock]] = {}
        for location_id in dict.fromkeys(location_ids):
            product = self._product_at(product_id, normalize.gid("Location", location_id))
            found[location_id] = {v.stock_key: v.stock for v in product.variants}
        return found

    def locations(self) -> list[StoreLocation]:
        """The shop's locations (active and not), in Shopify's order."""
        found: list[StoreLocation] = []
        after: str | None = None
        while True:
            data = self._api.execute(LOCATIONS_QUERY, {"first": config.MAX_PAGE, "after": after})
            connection = _dict(data.get("locations"))
            for node in normalize_nodes(connection):
                found.append(StoreLocation(id=normalize.number(node.get("id"), "location id"),
                                           name=str(node.get("name") or ""), active=bool(node.get("isActive", True))))
            more, after = _page_info(connection)
            if not more or after is None:
                return found


    def deleted_products(self, *, since: datetime) -> Iterator[DeletedProduct]:
        """Products deleted at or after ``since``, from Shopify's deletion events (the
        ``products/delete`` webhook is the main path; this pull catches deliveries missed)."""
        search = f"occurred_at:>='{_search_stamp(since)}'"
        after: str | None = None
        while True:
            data = self._api.execute(DELETIONS_QUERY, {"first": config.MAX_PAGE, "after": after, "query": search})
            connection = _dict(data.get("deletionEvents"))
            for node in normalize_nodes(connection):
                yield DeletedProduct(ext_id=normalize.number(node.get("subjectId"), "product id"),
                                     deleted_at=normalize.when(node.get("occurredAt")))
            more, after = _page_info(connection)
            if not more or after is None:
                return

    def list_categories(self) -> list[StoreCategory]:
        """Collections (manual and smart alike) with the ids of their products."""
        categories: list[StoreCategory] = []
        after: str | None = None
        while True:
            data = self._api.execute(COLLECTIONS_QUERY, {"first": COLLECTIONS_PAGE, "after": after})
            connection = _dict(data.get("collections"))
            for node in normalize_nodes(connection):
                products = _dict(node.get("products"))
                ids = [normalize.number(p.get("id"), "product id") for p in normalize_nodes(products)]
                more, cursor = _page_info(products)
                while more and cursor is not None:
                    page = _dict(_dict(self._api.execute(COLLECTION_PRODUCTS, {
                        "id": node.get("id"), "first": config.MAX_PAGE, "after": cursor}).get("collection")).get(
                        "products"))
                    ids += [normalize.number(p.get("id"), "product id") for p in normalize_nodes(page)]
                    more, cursor = _page_info(page)
                categories.append(StoreCategory(ext_id=normalize.number(node.get("id"), "collection id"),
                                                name=str(node.get("title") or ""), product_ids=tuple(ids)))
            more, after = _page_info(connection)
            if not more or after is None:
                return categories

    # -- stock and price (at the mapped location) ----------------------------------------------

    def set_stock(self, stock_key: str, stock: Stock) -> None:
        self._stock.set_stock(stock_key, stock)

    def adjust_stock(self, stock_key: str, delta: int) -> None:
        self._stock.adjust_stock(stock_key, delta)

    def available_at_location(self, stock_key: str) -> int | None:
        """The count at the mapped location (``None``: untracked, or not stocked there)."""
        return self._stock.available(stock_key)

    def get_price(self, variant_key: str) -> Decimal:
        return self._stock.get_price(variant_key)

    def stock_location(self) -> str | None:
        """The mapped location's id (:attr:`location_id`)."""
        return self.location_id

    def product_of_stock_change(self, entity_id: str, details: Mapping[str, str],
                                also: Collection[str] = ()) -> str | None:
        """An ``inventory_levels/*`` delivery names an inventory item and a location: the item's
        product when the location is the mapped one, one of ``also`` (or unnamed), ``None`` for
        another location."""
        location = details.get("location_id")
        if location is not None and location in also:
            location = None
        return self._stock.product_of_item(entity_id, location)

    # -- orders --------------------------------------------------------------------------------

    def create_order(self, draft: StoreOrderDraft) -> StoreOrder:
        return self._orders.create_order(draft)

    def find_order_by_tiktok_id(self, tiktok_order_id: str) -> StoreOrder | None:
        return self._orders.find_order_by_tiktok_id(tiktok_order_id)

    def find_orders_by_tiktok_id(self, tiktok_order_id: str) -> list[StoreOrder]:
        return self._orders.find_orders_by_tiktok_id(tiktok_order_id)

    def get_order(self, order_ext_id: str) -> StoreOrder:
        return self._orders.get_order(order_ext_id)

    def fulfil_order(self, fulfilment: Fulfilment) -> StoreOrder:
        return self._orders.fulfil_order(fulfilment)

    def cancel_order(self, cancellation: Cancellation) -> StoreOrder:
        return self._orders.cancel_order(cancellation)

    def mark_refunded(self, order_ext_id: str, *, partial: bool = False) -> StoreOrder:
        return self._orders.mark_refunded(order_ext_id, partial=partial)

    def update_ship_to(self, order_ext_id: str, ship_to: ShipTo) -> StoreOrder:
        return self._orders.update_ship_to(order_ext_id, ship_to)


def normalize_nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = connection.get("nodes")
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def _assemble(lines: Iterator[bytes], unit: str) -> Iterator[StoreProduct]:
    """Products from a bulk result: a product line, then lines naming it in ``__parentId`` (its
    media and variants, told apart by their fields), in file order."""
    products: dict[str, dict[str, Any]] = {}
    variants: dict[str, list[dict[str, Any]]] = defaultdict(list)
    media: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for raw in lines:
        try:
            line = json.loads(raw)
        except ValueError:
            raise ServerError("shopify bulk file: a line is not JSON", platform=config.PLATFORM) from None
        if not isinstance(line, dict):
            continue
        parent = line.pop("__parentId", None)
        if parent is None:
            if isinstance(line.get("id"), str):
                products[line["id"]] = line
        elif "mediaContentType" in line:
            media[str(parent)].append(line)
        elif str(line.get("id", "")).startswith("gid://shopify/ProductVariant/"):
            variants[str(parent)].append(line)
    for product_id, node in products.items():
        try:
            yield normalize.product({**node, "media": {"nodes": media.get(product_id, [])}},
                                    variants.get(product_id, []), unit)
        except (StoreError, ValueError) as exc:
            raise ServerError(f"shopify bulk file: product {normalize.number(product_id)} is malformed "
                              f"({type(exc).__name__})", platform=config.PLATFORM) from None


if TYPE_CHECKING:  # mypy proves the adapter satisfies the port
    _port: StorePlatform = ShopifyCatalog("x.myshopify.com", "")
