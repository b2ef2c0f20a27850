"""Locations and per-location inventory in the sandbox Shopify: the queries (``location``,
``locations``, ``inventoryItem`` with its ``variant``, ``inventoryLevel(locationId:)`` and
``inventoryLevels``) and the mutations ``inventorySetQuantities`` (compare-and-set on ``changeFromQuantity``),
``inventoryAdjustQuantities``, ``inventoryItemUpdate`` and ``inventoryActivate``.

Each level holds ``available`` and ``committed`` (units in open orders); ``on_hand`` is their
sum. The two quantity mutations need ``@idempotent(key:)`` from 2026-04 on: the same key with the
same input answers what it answered the first time without applying again; with another input it
is ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from local.sandbox_shopify import inputs
from local.sandbox_shopify.access import IDEMPOTENCY_REQUIRED_FROM, Request, need, user_error
from local.sandbox_shopify.graphql import Context, Page, QueryError, connection, obj, objects, scalar
from local.sandbox_shopify.state import Shop, gid, stamp

QUANTITY_NAMES = ("available", "on_hand")


def level_view(shop: Shop, item_gid: str, location_gid: str) -> dict[str, Any] | None:
    level = shop.level(item_gid, location_gid)
    if level is None:
        return None
    item_number = item_gid.rsplit("/", 1)[-1]
    return {
        "id": f"gid://shopify/InventoryLevel/{location_gid.rsplit('/', 1)[-1]}?inventory_item_id={item_number}",
        "location": shop.locations.get(location_gid),
        "_level": dict(level),
        "updatedAt": None,
    }


def quantities(level: dict[str, int]) -> dict[str, int]:
    return {"available": level["available"], "committed": level["committed"],
            "on_hand": level["available"] + level["committed"]}


# -- queries -----------------------------------------------------------------------------------


def _location(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "read_locations", "location")
    with request.shop.lock:
        wanted = args.get("id") or request.shop.primary_location
        return request.shop.locations.get(str(wanted))


def _locations(_source: Any, _args: dict[str, Any], context: Context) -> Page:
    request = need(context, "read_locations", "locations")
    with request.shop.lock:
        items = list(request.shop.locations.values())
    return Page(items, lambda loc: [int(loc["id"].rsplit("/", 1)[-1])])


def _inventory_item(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "read_inventory", "inventoryItem")
    with request.shop.lock:
        variant = request.shop.variant_of_item(str(args.get("id")))
        return variant["inventoryItem"] if variant is not None else None


def _item_variant(source: Any, _args: dict[str, Any], context: Context) -> Any:
    """The variant an inventory item belongs to, with its product (``variant { product { id } }``)."""
    request = need(context, "read_products", "variant")
    with request.shop.lock:
        for product in request.shop.products.values():
            for variant in product["variants"]:
                if variant["inventoryItem"]["id"] == source["id"]:
                    return {**variant, "product": product}
    return None


def _item_level(source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "read_inventory", "inventoryLevel")
    with request.shop.lock:
        return level_view(request.shop, source["id"], str(args.get("locationId")))


def _item_levels(source: Any, _args: dict[str, Any], context: Context) -> Page:
    request = need(context, "read_inventory", "inventoryLevels")
    with request.shop.lock:
        views = [level_view(request.shop, item, location) for (item, location) in request.shop.levels
                 if item == source["id"]]
    return Page([v for v in views if v is not None], lambda v: [v["id"]])


def _quantities(source: Any, args: dict[str, Any], _context: Context) -> list[dict[str, Any]]:
    names = args.get("names")
    if not isinstance(names, list) or not names:
        raise QueryError("Field 'quantities' is missing required arguments: names", code="missingRequiredArguments")
    figures = quantities(source["_level"])
    unknown = [n for n in names if n not in figures]
    if unknown:
        raise QueryError(f"The quantity name {unknown[0]!r} is not valid.", code="BAD_REQUEST")
    return [{"name": name, "quantity": figures[name]} for name in names]


# -- idempotency ---------------------------------------------------------------------------------


def idempotent(context: Context, request: Request, field_name: str, args: dict[str, Any],
               apply: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``apply`` once per ``@idempotent`` key (required from 2026-04)."""
    key = context.directives.get("idempotent", {}).get("key")
    if key is None:
        if request.version >= IDEMPOTENCY_REQUIRED_FROM:
            raise QueryError(f"The @idempotent directive with a key is required for {field_name}.",
                             code="BAD_REQUEST")
        with request.shop.lock:
            return apply()
    if not isinstance(key, str) or not key or len(key) > 255:
        raise QueryError("The idempotency key must be a string of 1 to 255 characters.", code="BAD_REQUEST")
    fingerprint = json.dumps([field_name, args], sort_keys=True, default=str)
    with request.shop.lock:
        seen = request.shop.idempotency.get(key)
        if seen is not None:
            if seen[0] != fingerprint:
                return {"inventoryAdjustmentGroup": None, "userErrors": [user_error(
                    None, "The same idempotency key cannot be used with different operation parameters.",
                    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")]}
            if seen[1].get("userErrors"):
                return {"inventoryAdjustmentGroup": None, "userErrors": [user_error(
                    None, "A previous request with this idempotency key failed. Retry with a new idempotency key.",
                    "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")]}
            return copy.deepcopy(seen[1])
        answer = apply()
        request.shop.idempotency[key] = (fingerprint, copy.deepcopy(answer))
        return answer


# -- mutations -----------------------------------------------------------------------------------


def _target_errors(shop: Shop, item_gid: str, location_gid: str, where: list[Any]) -> list[dict[str, Any]]:
    variant = shop.variant_of_item(item_gid)
    if variant is None:
        return [user_error([*where, "inventoryItemId"], "The specified inventory item could not be found.",
                           "INVALID_INVENTORY_ITEM")]
    if location_gid not in shop.locations:
        return [user_error([*where, "locationId"], "The specified location could not be found.", "INVALID_LOCATION")]
    if not variant["inventoryItem"].get("tracked", True):
        return [user_error([*where, "inventoryItemId"], "The inventory item is not tracked.",
                           "NON_MUTABLE_INVENTORY_ITEM")]
    if shop.level(item_gid, location_gid) is None:
        return [user_error([*where, "locationId"], "The item is not stocked at the location.",
                           "ITEM_NOT_STOCKED_AT_LOCATION")]
    return []


def _group(request: Request, reason: str, changes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": gid("InventoryAdjustmentGroup", request.state.next_id()), "reason": reason,
            "createdAt": stamp(request.state.now()), "changes": changes}


def _change(shop: Shop, name: str, delta: int, item_gid: str, location_gid: str) -> dict[str, Any]:
    level = shop.level(item_gid, location_gid) or {"available": 0, "committed": 0}
    return {"name": name, "delta": delta, "quantityAfterChange": quantities(level)[name],
            "item": {"id": item_gid}, "location": shop.locations[location_gid]}


def _set_quantities(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "write_inventory", "inventorySetQuantities")
    inputs.check(args, {"input": "InventorySetQuantitiesInput!"})
    data = args["input"]
    if request.version >= IDEMPOTENCY_REQUIRED_FROM:
        for index, quantity in enumerate(data["quantities"]):
            if "changeFromQuantity" not in quantity:
                raise QueryError(
                    f"Variable $input of type InventorySetQuantitiesInput! was provided invalid value for "
                    f"quantities.{index}.changeFromQuantity (changeFromQuantity must be given; null skips the check)",
                    code="INVALID_VARIABLE")

    def apply() -> dict[str, Any]:
        shop = request.shop
        name = data["name"]
        if name not in QUANTITY_NAMES:
            return {"inventoryAdjustmentGroup": None, "userErrors": [user_error(
                ["input", "name"], "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME")]}
        errors: list[dict[str, Any]] = []
        for index, quantity in enumerate(data["quantities"]):
            where = ["input", "quantities", str(index)]
            errors += _target_errors(shop, quantity["inventoryItemId"], quantity["locationId"], where)
            if errors:
                continue
            current = quantities(shop.levels[(quantity["inventoryItemId"], quantity["locationId"])])[name]
            expected = quantity.get("changeFromQuantity")
            if expected is not None and expected != current:
                errors.append(user_error([*where, "changeFromQuantity"],
                                         "The changeFromQuantity value does not match persisted value.",
                                         "CHANGE_FROM_QUANTITY_STALE"))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for quantity in data["quantities"]:
            item, location = quantity["inventoryItemId"], quantity["locationId"]
            delta = quantity["quantity"] - quantities(shop.levels[(item, location)])[name]
            shop.move_stock(item, location, available=delta)
            changes.append(_change(shop, name, delta, item, location))
        return {"inventoryAdjustmentGroup": _group(request, data["reason"], changes), "userErrors": []}

    return idempotent(context, request, "inventorySetQuantities", args, apply)


def _adjust_quantities(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "write_inventory", "inventoryAdjustQuantities")
    inputs.check(args, {"input": "InventoryAdjustQuantitiesInput!"})
    data = args["input"]

    def apply() -> dict[str, Any]:
        shop = request.shop
        name = data["name"]
        if name not in QUANTITY_NAMES:
            return {"inventoryAdjustmentGroup": None, "userErrors": [user_error(
                ["input", "name"], "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME")]}
        errors: list[dict[str, Any]] = []
        for index, change in enumerate(data["changes"]):
            where = ["input", "changes", str(index)]
            errors += _target_errors(shop, change["inventoryItemId"], change["locationId"], where)
            if not errors and change.get("changeFromQuantity") is not None and change["changeFromQuantity"] != \
                    quantities(shop.levels[(change["inventoryItemId"], change["locationId"])])[name]:
                errors.append(user_error([*where, "changeFromQuantity"],
                                         "The changeFromQuantity value does not match persisted value.",
                                         "CHANGE_FROM_QUANTITY_STALE"))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for change in data["changes"]:
            shop.move_stock(change["inventoryItemId"], change["locationId"], available=change["delta"])
            changes.append(_change(shop, name, change["delta"], change["inventoryItemId"], change["locationId"]))
        return {"inventoryAdjustmentGroup": _group(request, data["reason"], changes), "userErrors": []}

    return idempotent(context, request, "inventoryAdjustQuantities", args, apply)


def _item_update(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "write_inventory", "inventoryItemUpdate")
    inputs.check(args, {"id": "ID!", "input": "InventoryItemInput!"})
    with request.shop.lock:
        variant = request.shop.variant_of_item(args["id"])
        if variant is None:
            return {"inventoryItem": None, "userErrors": [user_error(["id"], "Inventory item does not exist")]}
        item = variant["inventoryItem"]
        for key in ("tracked", "sku"):
            if key in args["input"] and args["input"][key] is not None:
                item[key] = args["input"][key]
        return {"inventoryItem": item, "userErrors": []}


def _activate(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "write_inventory", "inventoryActivate")
    inputs.check(args, {"inventoryItemId": "ID!", "locationId": "ID!", "available": "Int", "onHand": "Int"})
    shop = request.shop
    with shop.lock:
        item, location = args["inventoryItemId"], args["locationId"]
        if shop.variant_of_item(item) is None:
            return {"inventoryLevel": None, "userErrors": [user_error(["inventoryItemId"],
                                                                      "Inventory item does not exist")]}
        if location not in shop.locations:
            return {"inventoryLevel": None, "userErrors": [user_error(["locationId"], "Location does not exist")]}
        if shop.level(item, location) is None:
            shop.move_stock(item, location, available=int(args.get("available") or 0))
        return {"inventoryLevel": level_view(shop, item, location), "userErrors": []}


# -- the schema slice ----------------------------------------------------------------------------

QUERIES = {
    "location": obj("Location", frozenset({"id"}), resolve=_location),
    "locations": connection("Location", frozenset({"query", "sortKey", "includeInactive", "includeLegacy"}),
                            resolve=_locations),
    "inventoryItem": obj("InventoryItem", frozenset({"id"}), resolve=_inventory_item),
}

MUTATIONS = {
    "inventorySetQuantities": obj("InventorySetQuantitiesPayload", frozenset({"input"}), resolve=_set_quantities),
    "inventoryAdjustQuantities": obj("InventoryAdjustQuantitiesPayload", frozenset({"input"}),
                                     resolve=_adjust_quantities),
    "inventoryItemUpdate": obj("InventoryItemUpdatePayload", frozenset({"id", "input"}), resolve=_item_update),
    "inventoryActivate": obj("InventoryActivatePayload",
                             frozenset({"inventoryItemId", "locationId", "available", "onHand"}), resolve=_activate),
}

ITEM_FIELDS = {
    "variant": obj("ProductVariant", resolve=_item_variant),
    "inventoryLevel": obj("InventoryLevel", frozenset({"locationId"}), resolve=_item_level),
    "inventoryLevels": connection("InventoryLevel", frozenset({"query"}), resolve=_item_levels),
}

_INVENTORY_USER_ERROR = {"field": scalar("[String!]"), "message": scalar(), "code": scalar("String")}

TYPES = {
    "Location": {"id": scalar("ID"), "name": scalar(), "isActive": scalar("Boolean"),
                 "fulfillsOnlineOrders": scalar("Boolean")},
    "InventoryLevel": {"id": scalar("ID"), "location": obj("Location"), "updatedAt": scalar("DateTime"),
                       "quantities": objects("InventoryQuantity", frozenset({"names"}), resolve=_quantities)},
    "InventoryQuantity": {"name": scalar(), "quantity": scalar("Int")},
    "InventorySetQuantitiesPayload": {"inventoryAdjustmentGroup": obj("InventoryAdjustmentGroup"),
                                      "userErrors": objects("InventorySetQuantitiesUserError")},
    "InventoryAdjustQuantitiesPayload": {"inventoryAdjustmentGroup": obj("InventoryAdjustmentGroup"),
                                         "userErrors": objects("InventoryAdjustQuantitiesUserError")},
    "InventorySetQuantitiesUserError": dict(_INVENTORY_USER_ERROR),
    "InventoryAdjustQuantitiesUserError": dict(_INVENTORY_USER_ERROR),
    "InventoryAdjustmentGroup": {"id": scalar("ID"), "reason": scalar(), "createdAt": scalar("DateTime"),
                                 "changes": objects("InventoryChange", frozenset({"inventoryItemIds", "locationIds",
                                                                                  "quantityNames"}))},
    "InventoryChange": {"name": scalar(), "delta": scalar("Int"), "quantityAfterChange": scalar("Int"),
                        "item": obj("InventoryItem"), "location": obj("Location")},
    "InventoryItemUpdatePayload": {"inventoryItem": obj("InventoryItem"), "userErrors": objects("UserError")},
    "InventoryActivatePayload": {"inventoryLevel": obj("InventoryLevel"), "userErrors": objects("UserError")},
}
