"""The slice of Shopify's GraphQL Admin API schema the sandbox serves (field names as in the
Admin API): the shop, products with options, media, variants and their inventory items.

Anything else is refused as Shopify refuses it (``undefinedField``), so a query the adapter sends
that the real API would not take fails here first. Scopes: reading products needs
``read_products``, as on Shopify.
"""

from __future__ import annotations

from typing import Any

from local.sandbox_shopify.graphql import (
    Context,
    Engine,
    Page,
    QueryError,
    Schema,
    connection,
    obj,
    objects,
    scalar,
)
from local.sandbox_shopify.state import Shop, parse_search

SORT_KEYS = {
    "ID": lambda p: [int(p["id"].rsplit("/", 1)[-1])],
    "UPDATED_AT": lambda p: [p["updatedAt"], int(p["id"].rsplit("/", 1)[-1])],
    "CREATED_AT": lambda p: [p["createdAt"], int(p["id"].rsplit("/", 1)[-1])],
    "TITLE": lambda p: [p["title"], int(p["id"].rsplit("/", 1)[-1])],
}


class Request:
    """What a resolver sees of the request: the shop and the token's scopes."""

    def __init__(self, shop: Shop, scopes: tuple[str, ...]) -> None:
        self.shop = shop
        self.scopes = scopes


def _need(context: Context, scope: str, field_name: str) -> Request:
    request: Request = context.state
    implied = {scope, scope.replace("read_", "write_")}
    if not implied & set(request.scopes):
        raise QueryError(
            f"Access denied for {field_name} field. Required access: `{scope}` access scope.",
            code="ACCESS_DENIED", path=[field_name], requiredAccess=f"`{scope}` access scope.",
            documentation="https://shopify.dev/api/usage/access-scopes")
    return request


def _products(_source: Any, args: dict[str, Any], context: Context) -> Page:
    request = _need(context, "read_products", "products")
    checks, warnings = parse_search(args.get("query"))
    for warning in warnings:
        context.warnings.append({"field": "query", "message": warning})
    sort_key = str(args.get("sortKey") or "ID")
    if sort_key not in SORT_KEYS:
        raise QueryError(f"Argument 'sortKey' on Field 'products' has an invalid value ({sort_key}). Expected type "
                         "'ProductSortKeys'.", code="argumentLiteralsIncompatible")
    with request.shop.lock:
        items = [p for p in request.shop.products.values() if all(check(p) for check in checks)]
    key = SORT_KEYS[sort_key]
    items.sort(key=key)
    return Page(items, key)


def _product(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = _need(context, "read_products", "product")
    with request.shop.lock:
        return request.shop.products.get(str(args.get("id")))


def _variant(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = _need(context, "read_products", "productVariant")
    wanted = str(args.get("id"))
    with request.shop.lock:
        for product in request.shop.products.values():
            for variant in product["variants"]:
                if variant["id"] == wanted:
                    return {**variant, "product": product}
    return None


def _shop(_source: Any, _args: dict[str, Any], context: Context) -> Any:
    request: Request = context.state
    return request.shop.view()


def _variants(source: Any, _args: dict[str, Any], _context: Context) -> Page:
    return Page([{**v, "product": source} for v in source["variants"]], lambda v: [v["position"]])


def _media(source: Any, _args: dict[str, Any], _context: Context) -> Page:
    return Page(list(source.get("media", [])), lambda m: [m["position"]])


def _options(source: Any, args: dict[str, Any], _context: Context) -> list[Any]:
    options = list(source.get("options", []))
    first = args.get("first")
    return options[:first] if isinstance(first, int) and first >= 0 else options


def _image(source: Any, _args: dict[str, Any], _context: Context) -> Any:
    return source.get("image")


MEDIA_FIELDS = {
    "id": scalar("ID"),
    "alt": scalar(),
    "mediaContentType": scalar("MediaContentType"),
    "status": scalar("MediaStatus"),
}

SCHEMA = Schema(
    types={
        "QueryRoot": {
            "shop": obj("Shop", resolve=_shop),
            "products": connection("Product", frozenset({"query", "sortKey", "savedSearchId"}), resolve=_products),
            "product": obj("Product", frozenset({"id"}), resolve=_product),
            "productVariant": obj("ProductVariant", frozenset({"id"}), resolve=_variant),
        },
        "Shop": {
            "id": scalar("ID"),
            "name": scalar(),
            "myshopifyDomain": scalar(),
            "currencyCode": scalar("CurrencyCode"),
            "weightUnit": scalar("WeightUnit"),
            "unitSystem": scalar("UnitSystem"),
            "ianaTimezone": scalar(),
            "url": scalar("URL"),
        },
        "Product": {
            "id": scalar("ID"),
            "title": scalar(),
            "handle": scalar(),
            "descriptionHtml": scalar("HTML"),
            "vendor": scalar(),
            "productType": scalar(),
            "status": scalar("ProductStatus"),
            "tags": scalar("[String!]"),
            "createdAt": scalar("DateTime"),
            "updatedAt": scalar("DateTime"),
            "totalInventory": scalar("Int"),
            "options": objects("ProductOption", frozenset({"first"}), resolve=_options),
            "media": connection("Media", frozenset({"query", "sortKey"}), resolve=_media),
            "variants": connection("ProductVariant", frozenset({"sortKey"}), resolve=_variants),
        },
        "ProductOption": {
            "id": scalar("ID"),
            "name": scalar(),
            "position": scalar("Int"),
            "values": scalar("[String!]"),
        },
        "Media": dict(MEDIA_FIELDS),
        "MediaImage": {**MEDIA_FIELDS, "image": obj("Image", resolve=_image)},
        "Video": dict(MEDIA_FIELDS),
        "ExternalVideo": dict(MEDIA_FIELDS),
        "Model3d": dict(MEDIA_FIELDS),
        "Image": {
            "id": scalar("ID"),
            "url": scalar("URL", frozenset({"transform"})),
            "altText": scalar(),
            "width": scalar("Int"),
            "height": scalar("Int"),
        },
        "ProductVariant": {
            "id": scalar("ID"),
            "title": scalar(),
            "sku": scalar(),
            "barcode": scalar(),
            "price": scalar("Money"),
            "compareAtPrice": scalar("Money"),
            "position": scalar("Int"),
            "inventoryQuantity": scalar("Int"),
            "inventoryPolicy": scalar("ProductVariantInventoryPolicy"),
            "selectedOptions": objects("SelectedOption"),
            "inventoryItem": obj("InventoryItem"),
            "product": obj("Product"),
        },
        "SelectedOption": {"name": scalar(), "value": scalar()},
        "InventoryItem": {
            "id": scalar("ID"),
            "sku": scalar(),
            "tracked": scalar("Boolean"),
            "measurement": obj("InventoryItemMeasurement"),
        },
        "InventoryItemMeasurement": {"weight": obj("Weight")},
        "Weight": {"unit": scalar("WeightUnit"), "value": scalar("Float")},
    },
    interfaces={"Media": frozenset({"MediaImage", "Video", "ExternalVideo", "Model3d"})},
)

ENGINE = Engine(SCHEMA, {"query": "QueryRoot"})
