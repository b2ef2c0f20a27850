"""Orders in the sandbox Shopify: ``orderCreate`` with each inventory behaviour, the ``order`` and
``orders`` queries (search by ``source_identifier``, ``name``, ``status``, ``financial_status``),
fulfillment orders with ``fulfillmentCreate`` and ``fulfillmentEventCreate``, ``orderCancel``
with restock, ``refundCreate`` and ``orderUpdate``; also the catalog's collections and product
deletion events.

Stock: ``BYPASS`` (Shopify's default) claims nothing; the two ``DECREMENT_*`` behaviours move each
tracked line from ``available`` to ``committed`` at the line's location (the primary location when
it stocks the item, else the first location that does), ``DECREMENT_OBEYING_POLICY`` refusing a line
that would oversell a variant whose policy is ``DENY``. A fulfilment takes the units out of
``committed``; a cancellation with ``restock`` puts the unfulfilled claimed units back in
``available``, once.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from local.sandbox_shopify import inputs
from local.sandbox_shopify.access import Request, need, user_error
from local.sandbox_shopify.graphql import Context, Page, connection, obj, objects, scalar
from local.sandbox_shopify.state import Shop, gid, stamp

CLAIMING = ("DECREMENT_IGNORING_POLICY", "DECREMENT_OBEYING_POLICY")


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    money = {"amount": str(amount), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def _amount(bag: Any) -> Decimal | None:
    if isinstance(bag, dict) and isinstance(bag.get("shopMoney"), dict):
        return Decimal(str(bag["shopMoney"]["amount"]))
    return None


def _address(given: dict[str, Any] | None) -> dict[str, Any] | None:
    if not given:
        return None
    name = " ".join(p for p in (given.get("firstName"), given.get("lastName")) if p)
    return {"firstName": given.get("firstName"), "lastName": given.get("lastName"), "name": name or None,
            "address1": given.get("address1"), "address2": given.get("address2"), "city": given.get("city"),
            "company": given.get("company"), "countryCodeV2": given.get("countryCode"),
            "provinceCode": given.get("provinceCode"), "zip": given.get("zip"), "phone": given.get("phone")}


def _route(shop: Shop, item_gid: str) -> str:
    if shop.level(item_gid, shop.primary_location) is not None:
        return shop.primary_location
    return next((location for (item, location) in shop.levels if item == item_gid), shop.primary_location)


def _touch(request: Request, order: dict[str, Any]) -> None:
    order["updatedAt"] = stamp(request.state.now())


def rest_order(order: dict[str, Any]) -> dict[str, Any]:
    """An order as webhooks carry it (the REST shape, numeric ids)."""
    fulfilment = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(order["displayFulfillmentStatus"])
    return {
        "id": int(order["id"].rsplit("/", 1)[-1]), "admin_graphql_api_id": order["id"], "name": order["name"],
        "email": order["email"], "source_identifier": order["sourceIdentifier"],
        "financial_status": order["displayFinancialStatus"].lower(), "fulfillment_status": fulfilment,
        "cancelled_at": order["cancelledAt"], "updated_at": order["updatedAt"], "currency": order["currencyCode"],
        "total_price": order["totalPriceSet"]["shopMoney"]["amount"],
        "line_items": [{"id": int(li["id"].rsplit("/", 1)[-1]), "quantity": li["quantity"], "sku": li["sku"],
                        "variant_id": int(li["variant"]["id"].rsplit("/", 1)[-1]) if li["variant"] else None}
                       for li in order["lineItems"]],
    }


# -- orderCreate ---------------------------------------------------------------------------------


def _order_create(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "write_orders", "orderCreate")
    inputs.check(args, {"order": "OrderCreateOrderInput!", "options": "OrderCreateOptionsInput"})
    data, options = args["order"], args.get("options") or {}
    behaviour = options.get("inventoryBehaviour") or "BYPASS"
    shop = request.shop
    with shop.lock:
        currency = data.get("currency") or shop.currency
        lines_in = data.get("lineItems") or []
        if not lines_in:
            return {"order": None, "userErrors": [user_error(["order", "lineItems"],
                                                             "Line items must have at least one line item",
                                                             "INVALID")]}
        codes = data.get("discountCode") or {}
        if len([c for c in codes.values() if c is not None]) > 1:
            return {"order": None, "userErrors": [user_error(["order", "discountCode"],
                                                             "Only one discount code can be applied", "INVALID")]}
        errors: list[dict[str, Any]] = []
        planned: list[tuple[dict[str, Any], dict[str, Any] | None, str | None]] = []
        wanted: dict[tuple[str, str], int] = {}
        for index, line in enumerate(lines_in):
            where = ["order", "lineItems", str(index)]
            if line["quantity"] <= 0:
                errors.append(user_error([*where, "quantity"], "Quantity must be greater than 0", "INVALID"))
                continue
            variant = None
            if line.get("variantId") is not None:
                found = shop.variant(line["variantId"])
                if found is None:
                    errors.append(user_error([*where, "variantId"], "Variant does not exist", "INVALID"))
                    continue
                variant = found[1]
            elif not line.get("title"):
                errors.append(user_error([*where, "title"], "A custom line item needs a title", "INVALID"))
                continue
            location = None
            if variant is not None and behaviour in CLAIMING and variant["inventoryItem"].get("tracked", True):
                location = _route(shop, variant["inventoryItem"]["id"])
                key = (variant["inventoryItem"]["id"], location)
                wanted[key] = wanted.get(key, 0) + line["quantity"]
                level = shop.level(*key) or {"available": 0}
                if behaviour == "DECREMENT_OBEYING_POLICY" and variant.get("inventoryPolicy", "DENY") == "DENY" \
                        and level["available"] < wanted[key]:
                    errors.append(user_error([*where, "variantId"],
                                             f"{variant.get('sku') or variant['id']} is out of stock", "INVALID"))
                    continue
            planned.append((line, variant, location))
        if errors:
            return {"order": None, "userErrors": errors}
        shop.order_count += 1
        number = request.state.next_id()
        now = stamp(request.state.now())
        order_gid = gid("Order", number)
        line_items: list[dict[str, Any]] = []
        by_location: dict[str, list[dict[str, Any]]] = {}
        subtotal = Decimal("0")
        for line, variant, location in planned:
            price = _amount(line.get("priceSet"))
            if price is None:
                price = Decimal(str(variant["price"])) if variant is not None else Decimal("0")
            subtotal += price * line["quantity"]
            item = {"id": gid("LineItem", request.state.next_id()), "title": line.get("title") or (
                variant.get("title") if variant else ""), "sku": line.get("sku") or (variant or {}).get("sku"),
                "quantity": line["quantity"], "currentQuantity": line["quantity"],
                "variant": {"id": variant["id"]} if variant is not None else None,
                "originalUnitPriceSet": _money(price, currency)}
            line_items.append(item)
            if location is not None and variant is not None:
                shop.move_stock(variant["inventoryItem"]["id"], location, available=-line["quantity"],
                                committed=line["quantity"])
            fo_location = location or shop.primary_location
            by_location.setdefault(fo_location, []).append({
                "id": gid("FulfillmentOrderLineItem", request.state.next_id()), "totalQuantity": line["quantity"],
                "remainingQuantity": line["quantity"], "lineItem": {"id": item["id"]},
                "_item": variant["inventoryItem"]["id"] if variant is not None else None,
                "_claimed": location is not None})
        shipping = sum((_amount(s["priceSet"]) or Decimal("0") for s in data.get("shippingLines") or []),
                       Decimal("0"))
        discount = Decimal("0")
        fixed = codes.get("itemFixedDiscountCode")
        if fixed is not None:
            discount = min(subtotal, _amount(fixed.get("amountSet")) or Decimal("0"))
        total = subtotal + shipping - discount
        transactions = [{"id": gid("OrderTransaction", request.state.next_id()), "kind": t.get("kind") or "SALE",
                         "status": t.get("status") or "SUCCESS", "gateway": t.get("gateway") or "manual",
                         "amountSet": _money(Decimal(str(t["amountSet"]["shopMoney"]["amount"])), currency),
                         "createdAt": now} for t in data.get("transactions") or []]
        status = data.get("financialStatus")
        if status is None:
            status = "PAID" if any(t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"
                                   for t in transactions) else "PENDING"
        if status == "PAID" and not transactions:
            transactions.append({"id": gid("OrderTransaction", request.state.next_id()), "kind": "SALE",
                                 "status": "SUCCESS", "gateway": "manual", "amountSet": _money(total, currency),
                                 "createdAt": now})
        order = {
            "id": order_gid, "name": f"#{shop.order_count}", "createdAt": now, "updatedAt": now,
            "sourceIdentifier": data.get("sourceIdentifier"), "sourceName": data.get("sourceName"),
            "email": data.get("email"), "phone": data.get("phone"), "note": data.get("note"),
            "tags": list(data.get("tags") or []), "currencyCode": currency, "test": bool(data.get("test")),
            "shippingAddress": _address(data.get("shippingAddress")),
            "billingAddress": _address(data.get("billingAddress")),
            "lineItems": line_items, "cancelledAt": None, "cancelReason": None, "closed": False,
            "displayFinancialStatus": status, "displayFulfillmentStatus": "UNFULFILLED",
            "subtotalPriceSet": _money(subtotal, currency), "totalShippingPriceSet": _money(shipping, currency),
            "totalTaxSet": _money(Decimal("0"), currency), "totalDiscountsSet": _money(discount, currency),
            "totalPriceSet": _money(total, currency), "totalRefundedSet": _money(Decimal("0"), currency),
            "shippingLines": [{"title": s["title"], "originalPriceSet": _money(_amount(s["priceSet"]) or Decimal(0),
                                                                                currency)}
                              for s in data.get("shippingLines") or []],
            "fulfillmentOrders": [{"id": gid("FulfillmentOrder", request.state.next_id()), "status": "OPEN",
                                   "assignedLocation": {"location": shop.locations[location]}, "lineItems": lines,
                                   "_order": order_gid}
                                  for location, lines in by_location.items()],
            "fulfillments": [], "refunds": [], "transactions": transactions,
            "_behaviour": behaviour,
            "_searchable_at": request.state.clock() + request.state.search_lag_s,
        }
        shop.orders[order_gid] = order
        shop.notify("orders/create", rest_order(order))
        if status == "PAID":
            shop.notify("orders/paid", rest_order(order))
        return {"order": order, "userErrors": []}


# -- queries -------------------------------------------------------------------------------------


def _order(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "read_orders", "order")
    with request.shop.lock:
        return request.shop.orders.get(str(args.get("id")))


def _order_checks(query: str | None, context: Context) -> list[Any]:
    checks: list[Any] = []
    for term in re.findall(r"""(?:[^\s'"]+(?:'[^']*'|"[^"]*")?)+""", query or ""):
        found = re.fullmatch(r"([a-z_]+):(.+)", term)
        if found is None:
            continue
        name, raw = found.group(1), found.group(2).strip("'\"")
        if name == "source_identifier":
            checks.append(lambda o, v=raw: (o.get("sourceIdentifier") or "") == v)
        elif name == "name":
            checks.append(lambda o, v=raw: o["name"].lstrip("#") == v.lstrip("#"))
        elif name == "financial_status":
            upper = raw.upper()
            checks.append(lambda o, v=upper: o["displayFinancialStatus"] == v)
        elif name == "status":
            lower = raw.lower()
            checks.append(lambda o, v=lower: v == "any" or (v == "cancelled") == bool(o["cancelledAt"]))
        else:
            context.warnings.append({"field": name, "message": f"Invalid search field for this query: {name}"})
    return checks


def _orders(_source: Any, args: dict[str, Any], context: Context) -> Page:
    request = need(context, "read_orders", "orders")
    checks = _order_checks(args.get("query"), context)
    now = request.state.clock()
    with request.shop.lock:
        items = [o for o in request.shop.orders.values()
                 if o["_searchable_at"] <= now and all(check(o) for check in checks)]
    key = (lambda o: [o["createdAt"], int(o["id"].rsplit("/", 1)[-1])]) if args.get("sortKey") == "CREATED_AT" \
        else (lambda o: [int(o["id"].rsplit("/", 1)[-1])])
    items.sort(key=key)
    return Page(items, key)


def _fulfillment_orders(source: Any, _args: dict[str, Any], context: Context) -> Page:
    need(context, "read_merchant_managed_fulfillment_orders", "fulfillmentOrders")
    return Page(list(source["fulfillmentOrders"]), lambda f: [int(f["id"].rsplit("/", 1)[-1])])


def _fo_lines(source: Any, _args: dict[str, Any], _context: Context) -> Page:
    return Page(list(source["lineItems"]), lambda f: [int(f["id"].rsplit("/", 1)[-1])])


def _line_items(source: Any, _args: dict[str, Any], _context: Context) -> Page:
    return Page(list(source["lineItems"]), lambda f: [int(f["id"].rsplit("/", 1)[-1])])


def _first(key: str) -> Any:
    def resolve(source: Any, args: dict[str, Any], _context: Context) -> list[Any]:
        items = list(source.get(key) or [])
        first = args.get("first")
        return items[:first] if isinstance(first, int) and first >= 0 else items

    return resolve


# -- fulfilment ----------------------------------------------------------------------------------


def _find_fo(shop: Shop, fo_gid: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for order in shop.orders.values():
        for fo in order["fulfillmentOrders"]:
            if fo["id"] == fo_gid:
                return order, fo
    return None


def _fulfillment_create(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "write_merchant_managed_fulfillment_orders", "fulfillmentCreate")
    inputs.check(args, {"fulfillment": "FulfillmentInput!", "message": "String"})
    data = args["fulfillment"]
    shop = request.shop
    with shop.lock:
        plan: list[tuple[dict[str, Any], dict[str, Any], int]] = []
        orders = set()
        for index, group in enumerate(data["lineItemsByFulfillmentOrder"]):
            where = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
            found = _find_fo(shop, group["fulfillmentOrderId"])
            if found is None:
                return {"fulfillment": None, "userErrors": [user_error(
                    [*where, "fulfillmentOrderId"], "Fulfillment order does not exist.")]}
            order, fo = found
            orders.add(order["id"])
            if fo["status"] not in ("OPEN", "IN_PROGRESS"):
                return {"fulfillment": None, "userErrors": [user_error(
                    [*where, "fulfillmentOrderId"], f"Fulfillment order {fo['id']} has an unfulfillable status= "
                                                    f"{fo['status'].lower()}.")]}
            asked = group.get("fulfillmentOrderLineItems")
            if asked is None:
                plan += [(fo, line, line["remainingQuantity"]) for line in fo["lineItems"] if line["remainingQuantity"]]
                continue
            for item in asked:
                line = next((li for li in fo["lineItems"] if li["id"] == item["id"]), None)
                if line is None or not 0 < item["quantity"] <= line["remainingQuantity"]:
                    return {"fulfillment": None, "userErrors": [user_error(
                        [*where, "fulfillmentOrderLineItems"], "Invalid fulfillment order line item quantity "
                                                               "requested.")]}
                plan.append((fo, line, item["quantity"]))
        if len(orders) != 1 or not plan:
            return {"fulfillment": None, "userErrors": [user_error(
                ["fulfillment"], "All fulfillment orders must belong to one order and have something to fulfil.")]}
        order = shop.orders[orders.pop()]
        for fo, line, quantity in plan:
            line["remainingQuantity"] -= quantity
            if line["_claimed"]:
                shop.move_stock(line["_item"], fo["assignedLocation"]["location"]["id"], committed=-quantity)
            fo["status"] = "CLOSED" if not any(li["remainingQuantity"] for li in fo["lineItems"]) else "IN_PROGRESS"
        tracking = data.get("trackingInfo") or {}
        fulfillment: dict[str, Any] = {"id": gid("Fulfillment", request.state.next_id()), "status": "SUCCESS",
                       "displayStatus": "FULFILLED", "createdAt": stamp(request.state.now()),
                       "trackingInfo": [{"company": tracking.get("company"), "number": tracking.get("number"),
                                         "url": tracking.get("url")}] if tracking.get("number") else []}
        order["fulfillments"].append(fulfillment)
        done = all(fo["status"] in ("CLOSED", "CANCELLED") for fo in order["fulfillmentOrders"])
        order["displayFulfillmentStatus"] = "FULFILLED" if done else "PARTIALLY_FULFILLED"
        _touch(request, order)
        shop.notify("fulfillments/create", {
            "id": int(fulfillment["id"].rsplit("/", 1)[-1]), "order_id": int(order["id"].rsplit("/", 1)[-1]),
            "status": "success", "tracking_company": tracking.get("company"), "tracking_number": tracking.get("number"),
            "tracking_url": tracking.get("url"), "admin_graphql_api_id": fulfillment["id"]})
        shop.notify("orders/fulfilled" if done else "orders/partially_fulfilled", rest_order(order))
        return {"fulfillment": fulfillment, "userErrors": []}


def _fulfillment_event(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "write_merchant_managed_fulfillment_orders", "fulfillmentEventCreate")
    inputs.check(args, {"fulfillmentEvent": "FulfillmentEventInput!"})
    data = args["fulfillmentEvent"]
    with request.shop.lock:
        for order in request.shop.orders.values():
            for fulfillment in order["fulfillments"]:
                if fulfillment["id"] == data["fulfillmentId"]:
                    fulfillment["displayStatus"] = data["status"]
                    _touch(request, order)
                    request.shop.notify("fulfillments/update", {
                        "id": int(fulfillment["id"].rsplit("/", 1)[-1]),
                        "order_id": int(order["id"].rsplit("/", 1)[-1]), "shipment_status": data["status"].lower(),
                        "admin_graphql_api_id": fulfillment["id"]})
                    event = {"id": gid("FulfillmentEvent", request.state.next_id()), "status": data["status"]}
                    return {"fulfillmentEvent": event, "userErrors": []}
    return {"fulfillmentEvent": None, "userErrors": [user_error(["fulfillmentEvent", "fulfillmentId"],
                                                                "Fulfillment does not exist.")]}


# -- cancel, refund, update ----------------------------------------------------------------------


def _order_cancel(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "write_orders", "orderCancel")
    inputs.check(args, {"orderId": "ID!", "reason": "OrderCancelReason!", "refund": "Boolean",
                        "refundMethod": "OrderCancelRefundMethodInput", "restock": "Boolean!",
                        "notifyCustomer": "Boolean", "staffNote": "String"})
    job = {"id": gid("Job", request.state.next_id()), "done": True}
    if ("refund" in args) == ("refundMethod" in args):
        return {"job": None, "userErrors": [], "orderCancelUserErrors": [user_error(
            ["refundMethod"], "Exactly one of refund and refundMethod must be given.", "INVALID")]}
    shop = request.shop
    with shop.lock:
        order = shop.orders.get(args["orderId"])
        if order is None:
            return {"job": None, "userErrors": [], "orderCancelUserErrors": [user_error(
                ["orderId"], "Order does not exist", "NOT_FOUND")]}
        if order["cancelledAt"] is not None:
            return {"job": None, "userErrors": [], "orderCancelUserErrors": [user_error(
                ["orderId"], "Cannot cancel an order that has already been cancelled", "INVALID")]}
        if any(fo["status"] == "CLOSED" for fo in order["fulfillmentOrders"]):
            return {"job": None, "userErrors": [], "orderCancelUserErrors": [user_error(
                ["orderId"], "Cannot cancel an order with fulfilled items", "INVALID")]}
        for fo in order["fulfillmentOrders"]:
            location = fo["assignedLocation"]["location"]["id"]
            for line in fo["lineItems"]:
                remaining, line["remainingQuantity"] = line["remainingQuantity"], 0
                if line["_claimed"] and remaining:
                    shop.move_stock(line["_item"], location, available=remaining if args["restock"] else 0,
                                    committed=-remaining)
            fo["status"] = "CLOSED"
        order["cancelledAt"] = stamp(request.state.now())
        order["cancelReason"] = args["reason"]
        order["closed"] = True
        refund_money = args.get("refund") or (args.get("refundMethod") or {}).get("originalPaymentMethodsRefund")
        if refund_money:
            _refund_all(request, order, "Refunded when the order was cancelled")
        _touch(request, order)
        shop.notify("orders/cancelled", rest_order(order))
        return {"job": job, "userErrors": [], "orderCancelUserErrors": []}


def _captured(order: dict[str, Any]) -> Decimal:
    return sum((Decimal(t["amountSet"]["shopMoney"]["amount"]) for t in order["transactions"]
                if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"), Decimal("0"))


def _refunded(order: dict[str, Any]) -> Decimal:
    return sum((Decimal(t["amountSet"]["shopMoney"]["amount"]) for t in order["transactions"]
                if t["kind"] == "REFUND" and t["status"] == "SUCCESS"), Decimal("0"))


def _record_refund(request: Request, order: dict[str, Any], note: str | None, amount: Decimal,
                   parent: str | None, gateway: str) -> dict[str, Any]:
    currency = order["currencyCode"]
    if amount > 0:
        order["transactions"].append({"id": gid("OrderTransaction", request.state.next_id()), "kind": "REFUND",
                                      "status": "SUCCESS", "gateway": gateway, "amountSet": _money(amount, currency),
                                      "createdAt": stamp(request.state.now()), "_parent": parent})
    refund = {"id": gid("Refund", request.state.next_id()), "note": note, "createdAt": stamp(request.state.now()),
              "totalRefundedSet": _money(amount, currency)}
    order["refunds"].append(refund)
    refunded, captured = _refunded(order), _captured(order)
    order["totalRefundedSet"] = _money(refunded, currency)
    if refunded > 0:
        order["displayFinancialStatus"] = "REFUNDED" if refunded >= captured else "PARTIALLY_REFUNDED"
    _touch(request, order)
    return refund


def _refund_all(request: Request, order: dict[str, Any], note: str) -> None:
    outstanding = _captured(order) - _refunded(order)
    if outstanding > 0:
        sale = next((t for t in order["transactions"] if t["kind"] in ("SALE", "CAPTURE")), None)
        _record_refund(request, order, note, outstanding, sale["id"] if sale else None,
                       sale["gateway"] if sale else "manual")


def _refund_create(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "write_orders", "refundCreate")
    inputs.check(args, {"input": "RefundInput!"})
    data = args["input"]
    shop = request.shop
    with shop.lock:
        order = shop.orders.get(data["orderId"])
        if order is None:
            return {"refund": None, "order": None, "userErrors": [user_error(["input", "orderId"],
                                                                             "Order does not exist")]}
        for line in data.get("refundLineItems") or []:
            if (line.get("restockType") or "NO_RESTOCK") != "NO_RESTOCK":
                return {"refund": None, "order": None, "userErrors": [user_error(
                    ["input", "refundLineItems"], "The sandbox refunds line items with restockType NO_RESTOCK only")]}
        amount = Decimal("0")
        parent, gateway = None, "manual"
        for index, transaction in enumerate(data.get("transactions") or []):
            where = ["input", "transactions", str(index)]
            sale = next((t for t in order["transactions"] if t["id"] == transaction.get("parentId")), None)
            if transaction["kind"] != "REFUND" or transaction["orderId"] != order["id"] or sale is None \
                    or sale["kind"] not in ("SALE", "CAPTURE"):
                return {"refund": None, "order": None, "userErrors": [user_error(
                    where, "A refund transaction needs kind REFUND, this order and a parent sale or capture")]}
            amount += Decimal(str(transaction["amount"]))
            parent, gateway = sale["id"], transaction["gateway"]
        if amount < 0 or amount > _captured(order) - _refunded(order):
            return {"refund": None, "order": None, "userErrors": [user_error(
                ["input", "transactions"], "Refund amount cannot be greater than the refundable amount")]}
        refund = _record_refund(request, order, data.get("note"), amount, parent, gateway)
        shop.notify("orders/updated", rest_order(order))
        return {"refund": refund, "order": order, "userErrors": []}


def _order_update(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "write_orders", "orderUpdate")
    inputs.check(args, {"input": "OrderInput!"})
    data = args["input"]
    with request.shop.lock:
        order = request.shop.orders.get(data["id"])
        if order is None:
            return {"order": None, "userErrors": [user_error(["id"], "Order does not exist")]}
        if "shippingAddress" in data:
            order["shippingAddress"] = _address(data["shippingAddress"])
        for key in ("note", "email", "tags"):
            if key in data:
                order[key] = data[key]
        _touch(request, order)
        request.shop.notify("orders/updated", rest_order(order))
        return {"order": order, "userErrors": []}


# -- collections and deletion events -------------------------------------------------------------


def _collections(_source: Any, _args: dict[str, Any], context: Context) -> Page:
    request = need(context, "read_products", "collections")
    with request.shop.lock:
        items = list(request.shop.collections.values())
    return Page(items, lambda c: [int(c["id"].rsplit("/", 1)[-1])])


def _collection_products(source: Any, _args: dict[str, Any], context: Context) -> Page:
    request: Request = context.state
    with request.shop.lock:
        items = [request.shop.products[p] for p in source["_products"] if p in request.shop.products]
    return Page(items, lambda p: [int(p["id"].rsplit("/", 1)[-1])])


def _collection(_source: Any, args: dict[str, Any], context: Context) -> Any:
    request = need(context, "read_products", "collection")
    with request.shop.lock:
        return request.shop.collections.get(str(args.get("id")))


def _deletion_events(_source: Any, args: dict[str, Any], context: Context) -> Page:
    request = need(context, "read_products", "deletionEvents")
    kinds = set(args.get("subjectTypes") or ["PRODUCT", "COLLECTION"])
    since = None
    found = re.search(r"occurred_at:>=?'?([^'\s]+)'?", args.get("query") or "")
    if found:
        since = found.group(1)
    with request.shop.lock:
        items = [e for e in request.shop.deletions if e["subjectType"] in kinds
                 and (since is None or e["occurredAt"] >= since)]
    return Page(items, lambda e: [e["occurredAt"], e["subjectId"]])


# -- the schema slice ----------------------------------------------------------------------------

QUERIES = {
    "order": obj("Order", frozenset({"id"}), resolve=_order),
    "orders": connection("Order", frozenset({"query", "sortKey", "savedSearchId"}), resolve=_orders),
    "collections": connection("Collection", frozenset({"query", "sortKey", "savedSearchId"}), resolve=_collections),
    "collection": obj("Collection", frozenset({"id"}), resolve=_collection),
    "deletionEvents": connection("DeletionEvent", frozenset({"subjectTypes", "query", "sortKey"}),
                                 resolve=_deletion_events),
}

MUTATIONS = {
    "orderCreate": obj("OrderCreatePayload", frozenset({"order", "options"}), resolve=_order_create),
    "fulfillmentCreate": obj("FulfillmentCreatePayload", frozenset({"fulfillment", "message"}),
                             resolve=_fulfillment_create),
    "fulfillmentEventCreate": obj("FulfillmentEventCreatePayload", frozenset({"fulfillmentEvent"}),
                                  resolve=_fulfillment_event),
    "orderCancel": obj("OrderCancelPayload", frozenset({"orderId", "reason", "refund", "refundMethod", "restock",
                                                        "notifyCustomer", "staffNote"}), resolve=_order_cancel),
    "refundCreate": obj("RefundCreatePayload", frozenset({"input"}), resolve=_refund_create),
    "orderUpdate": obj("OrderUpdatePayload", frozenset({"input"}), resolve=_order_update),
}

_MONEY_BAG = {"shopMoney": obj("MoneyV2"), "presentmentMoney": obj("MoneyV2")}
_CODED_ERROR = {"field": scalar("[String!]"), "message": scalar(), "code": scalar("String")}

TYPES = {
    "MoneyBag": dict(_MONEY_BAG),
    "MoneyV2": {"amount": scalar("Decimal"), "currencyCode": scalar("CurrencyCode")},
    "MailingAddress": {name: scalar() for name in ("firstName", "lastName", "name", "address1", "address2", "city",
                                                   "company", "countryCodeV2", "provinceCode", "zip", "phone")},
    "Order": {
        "id": scalar("ID"), "name": scalar(), "createdAt": scalar("DateTime"), "updatedAt": scalar("DateTime"),
        "sourceIdentifier": scalar(), "sourceName": scalar(), "email": scalar(), "phone": scalar(),
        "note": scalar(), "tags": scalar("[String!]"), "currencyCode": scalar("CurrencyCode"),
        "test": scalar("Boolean"), "cancelledAt": scalar("DateTime"), "cancelReason": scalar("OrderCancelReason"),
        "closed": scalar("Boolean"), "displayFinancialStatus": scalar("OrderDisplayFinancialStatus"),
        "displayFulfillmentStatus": scalar("OrderDisplayFulfillmentStatus"),
        "shippingAddress": obj("MailingAddress"), "billingAddress": obj("MailingAddress"),
        "subtotalPriceSet": obj("MoneyBag"), "totalShippingPriceSet": obj("MoneyBag"), "totalTaxSet": obj("MoneyBag"),
        "totalDiscountsSet": obj("MoneyBag"), "totalPriceSet": obj("MoneyBag"), "totalRefundedSet": obj("MoneyBag"),
        "lineItems": connection("LineItem", resolve=_line_items),
        "shippingLines": objects("ShippingLine", frozenset({"first"}), resolve=_first("shippingLines")),
        "fulfillmentOrders": connection("FulfillmentOrder", frozenset({"query", "displayable"}),
                                        resolve=_fulfillment_orders),
        "fulfillments": objects("Fulfillment", frozenset({"first"}), resolve=_first("fulfillments")),
        "refunds": objects("Refund", frozenset({"first"}), resolve=_first("refunds")),
        "transactions": objects("OrderTransaction", frozenset({"first", "capturable", "manuallyResolvable"}),
                                resolve=_first("transactions")),
    },
    "ShippingLine": {"title": scalar(), "originalPriceSet": obj("MoneyBag")},
    "LineItem": {"id": scalar("ID"), "title": scalar(), "sku": scalar(), "quantity": scalar("Int"),
                 "currentQuantity": scalar("Int"), "variant": obj("ProductVariant"),
                 "originalUnitPriceSet": obj("MoneyBag")},
    "FulfillmentOrder": {"id": scalar("ID"), "status": scalar("FulfillmentOrderStatus"),
                         "assignedLocation": obj("FulfillmentOrderAssignedLocation"),
                         "lineItems": connection("FulfillmentOrderLineItem", resolve=_fo_lines)},
    "FulfillmentOrderAssignedLocation": {"location": obj("Location"), "name": scalar()},
    "FulfillmentOrderLineItem": {"id": scalar("ID"), "totalQuantity": scalar("Int"),
                                 "remainingQuantity": scalar("Int"), "lineItem": obj("LineItem")},
    "Fulfillment": {"id": scalar("ID"), "status": scalar("FulfillmentStatus"),
                    "displayStatus": scalar("FulfillmentDisplayStatus"), "createdAt": scalar("DateTime"),
                    "trackingInfo": objects("FulfillmentTrackingInfo", frozenset({"first"}),
                                            resolve=_first("trackingInfo"))},
    "FulfillmentTrackingInfo": {"company": scalar(), "number": scalar(), "url": scalar("URL")},
    "FulfillmentEvent": {"id": scalar("ID"), "status": scalar("FulfillmentEventStatus")},
    "Refund": {"id": scalar("ID"), "note": scalar(), "createdAt": scalar("DateTime"),
               "totalRefundedSet": obj("MoneyBag")},
    "OrderTransaction": {"id": scalar("ID"), "kind": scalar("OrderTransactionKind"),
                         "status": scalar("OrderTransactionStatus"), "gateway": scalar(),
                         "amountSet": obj("MoneyBag"), "createdAt": scalar("DateTime")},
    "Job": {"id": scalar("ID"), "done": scalar("Boolean")},
    "OrderCreatePayload": {"order": obj("Order"), "userErrors": objects("OrderCreateUserError")},
    "OrderCreateUserError": dict(_CODED_ERROR),
    "FulfillmentCreatePayload": {"fulfillment": obj("Fulfillment"), "userErrors": objects("UserError")},
    "FulfillmentEventCreatePayload": {"fulfillmentEvent": obj("FulfillmentEvent"),
                                      "userErrors": objects("UserError")},
    "OrderCancelPayload": {"job": obj("Job"), "orderCancelUserErrors": objects("OrderCancelUserError"),
                           "userErrors": objects("UserError")},
    "OrderCancelUserError": dict(_CODED_ERROR),
    "RefundCreatePayload": {"refund": obj("Refund"), "order": obj("Order"), "userErrors": objects("UserError")},
    "OrderUpdatePayload": {"order": obj("Order"), "userErrors": objects("UserError")},
    "Collection": {"id": scalar("ID"), "title": scalar(), "handle": scalar(), "updatedAt": scalar("DateTime"),
                   "products": connection("Product", frozenset({"sortKey"}), resolve=_collection_products)},
    "DeletionEvent": {"occurredAt": scalar("DateTime"), "subjectId": scalar("ID"),
                      "subjectType": scalar("DeletionEventSubjectType")},
}
