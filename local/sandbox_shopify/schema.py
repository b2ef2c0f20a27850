"""The slice of Shopify's GraphQL Admin API schema the sandbox serves (field names as in the
Admin API): the shop, products with options, media, variants and their inventory items.

Anything else is refused as Shopify refuses it (``undefinedField``), so a query the adapter sends
that the real API would not take fails here first. Scopes: reading products needs
``read_products``, as on Shopify.
"""

from __future__ import annotations

import json
from typing import Any

from local.sandbox_shopify import orders, stock
from local.sandbox_shopify.access import Request, need
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
from local.sandbox_shopify.state import gid, parse_search, stamp

SORT_KEYS = {
    "ID": lambda p: [int(p["id"].rsplit("/", 1)[-1])],
    "UPDATED_AT": lambda p: [p["updatedAt"], int(p["id"].rsplit("/", 1)[-1])],
    "CREATED_AT": lambda p: [p["createdAt"], int(p["id"].rsplit("/", 1)[-1])],
    "TITLE": lambda p: [p["title"], int(p["id"].rsplit("/", 1)[-1])],
}


def _products(_source: Any, args: dict[str, Any], context: Context) -> Page:
    request = need(context, "read_products", "products")
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
    request = need(context, "read_products", "product")
    with request.shop.lock:
        return request.shop.products.get(str(args.get("id")))


def _variant(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "read_products", "productVariant")
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


def _bulk_run(_source: Any, args: dict[str, Any], context: Context) -> Any:
    """Run the query at once and keep its JSONL; the operation reads RUNNING until it is next
    looked at, then COMPLETED (or FAILED with the error that stopped it)."""
    request: Request = context.state
    assert request.sandbox is not None
    query = args.get("query")
    if not isinstance(query, str) or not query.strip():
        return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": "Query can't be blank"}]}
    with request.shop.lock:
        current = request.shop.bulk.get("current")
        if current is not None and current["status"] in ("CREATED", "RUNNING"):
            return {"bulkOperation": None, "userErrors": [{
                "field": None,
                "message": f"A bulk query operation for this app and shop is already in progress: {current['id']}."}]}
    lines, errors = ENGINE.run_bulk(query, request)
    if errors and errors[0].get("locations") is not None and not errors[0].get("extensions"):
        return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": errors[0]["message"]}]}
    number = request.sandbox.next_id()
    body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
    operation: dict[str, Any] = {
        "__typename": "BulkOperation",
        "id": gid("BulkOperation", number),
        "status": "RUNNING",
        "errorCode": None,
        "createdAt": stamp(request.sandbox.now()),
        "completedAt": None,
        "objectCount": "0",
        "rootObjectCount": "0",
        "fileSize": None,
        "url": None,
        "partialDataUrl": None,
        "query": query,
        "_outcome": {
            "status": "FAILED" if errors else "COMPLETED",
            "errorCode": str(errors[0].get("extensions", {}).get("code", "INTERNAL_SERVER_ERROR")) if errors else None,
            "objectCount": str(len(lines)),
            "rootObjectCount": str(sum(1 for line in lines if "__parentId" not in line)),
            "fileSize": str(len(body)) if lines else None,
            "url": f"{request.base_url}/bulk/{number}.jsonl" if lines and not errors else None,
        },
    }
    request.sandbox.bulk_files[f"{number}.jsonl"] = body
    with request.shop.lock:
        request.shop.bulk[operation["id"]] = operation
        request.shop.bulk["current"] = operation
    return {"bulkOperation": operation, "userErrors": []}


def _settle(operation: dict[str, Any] | None, request: Request) -> dict[str, Any] | None:
    if operation is not None and operation["status"] == "RUNNING":
        operation.update(operation["_outcome"])
        assert request.sandbox is not None
        operation["completedAt"] = stamp(request.sandbox.now())
    return operation


def _current_bulk(_source: Any, _args: dict[str, Any], context: Context) -> Any:
    request: Request = context.state
    with request.shop.lock:
        current = request.shop.bulk.get("current")
        shown = dict(current) if current is not None else None
        _settle(current, request)
    return shown


def _node(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request: Request = context.state
    wanted = str(args.get("id"))
    if wanted.startswith("gid://shopify/BulkOperation/"):
        with request.shop.lock:
            operation = request.shop.bulk.get(wanted)
            shown = dict(operation) if operation is not None else None
            _settle(operation, request)
        return shown
    if wanted.startswith("gid://shopify/Product/"):
        return _product(None, {"id": wanted}, context)
    return None


BULK_FIELDS = {
    "id": scalar("ID"),
    "status": scalar("BulkOperationStatus"),
    "errorCode": scalar("BulkOperationErrorCode"),
    "createdAt": scalar("DateTime"),
    "completedAt": scalar("DateTime"),
    "objectCount": scalar("UnsignedInt64"),
    "rootObjectCount": scalar("UnsignedInt64"),
    "fileSize": scalar("UnsignedInt64"),
    "url": scalar("URL"),
    "partialDataUrl": scalar("URL"),
    "query": scalar(),
}

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
            "node": obj("Node", frozenset({"id"}), resolve=_node),
            "currentBulkOperation": obj("BulkOperation", frozenset({"type"}), resolve=_current_bulk),
            **stock.QUERIES,
            **orders.QUERIES,
        },
        "Mutation": {
            "bulkOperationRunQuery": obj("BulkOperationRunQueryPayload", frozenset({"query", "groupObjects"}),
                                         resolve=_bulk_run),
            **stock.MUTATIONS,
            **orders.MUTATIONS,
        },
        "BulkOperationRunQueryPayload": {"bulkOperation": obj("BulkOperation"), "userErrors": objects("UserError")},
        "UserError": {"field": scalar("[String!]"), "message": scalar()},
        "BulkOperation": dict(BULK_FIELDS),
        "Node": {"id": scalar("ID")},
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
            **stock.ITEM_FIELDS,
        },
        "InventoryItemMeasurement": {"weight": obj("Weight")},
        "Weight": {"unit": scalar("WeightUnit"), "value": scalar("Float")},
        **stock.TYPES,
        **orders.TYPES,
    },
    interfaces={
        "Media": frozenset({"MediaImage", "Video", "ExternalVideo", "Model3d"}),
        "Node": frozenset({"BulkOperation", "Product"}),
    },
)

ENGINE = Engine(SCHEMA, {"query": "QueryRoot", "mutation": "Mutation"})
