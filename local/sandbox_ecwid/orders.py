"""The sandbox Ecwid's orders: create (stock taken when paid), update, cancel (restocked),
delete, search (with the search index's lag)."""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from typing import Any

from local.sandbox_ecwid.args import ApiError, decimal_value, ecwid_date, int_arg, int_value, page, time_arg
from local.sandbox_ecwid.model import (
    FULFILLMENT_STATUSES,
    MAX_LIMIT,
    PAYMENT_STATUSES,
    Store,
)
from local.sandbox_ecwid.products import ProductState

_ORDER_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class OrderState(ProductState):
    def _order(self, store: Store, order_id: str) -> dict[str, Any]:
        for order in store.orders.values():
            if order["id"] == order_id or str(order["internalId"]) == order_id or str(order["orderNumber"]) == order_id:
                return order
        raise ApiError(404, f"Order {order_id} not found", "ORDER_NOT_FOUND")

    def _new_order_id(self, store: Store) -> str:
        taken = {o["id"] for o in store.orders.values()}
        while True:
            candidate = "".join(self._rng.choice(_ORDER_ID_ALPHABET) for _ in range(5))
            if candidate not in taken:
                return candidate

    @staticmethod
    def _status(value: Any, allowed: frozenset[str], what: str, default: str) -> str:
        if value is None:
            return default
        text = str(value).upper()
        if text not in allowed and not text.startswith("CUSTOM_"):
            raise ApiError(400, f"Unknown {what} {value!r}", "INVALID_VALUE")
        return text

    def create_order(self, store_id: int | str, body: Any) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            if not isinstance(body, dict):
                raise ApiError(400, "Order body must be a JSON object", "INVALID_VALUE")
            items = body.get("items")
            if not isinstance(items, list) or not items:
                raise ApiError(400, "Order items are required", "INVALID_VALUE")
            payment = self._status(body.get("paymentStatus"), PAYMENT_STATUSES, "paymentStatus", "AWAITING_PAYMENT")
            fulfillment = self._status(
                body.get("fulfillmentStatus"),
                FULFILLMENT_STATUSES,
                "fulfillmentStatus",
                "AWAITING_PROCESSING",
            )
            lines, targets = [], []
            ids_valid = True
            for raw in items:
                if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
                    raise ApiError(400, "Every order item needs a name", "INVALID_VALUE")
                quantity = int_value(raw.get("quantity", 1), "quantity")
                if quantity < 1:
                    raise ApiError(400, "Item quantity must be positive", "INVALID_VALUE")
                line = dict(raw)
                line["quantity"] = quantity
                line["price"] = decimal_value(raw.get("price", 0), "price")
                line["id"] = self._next_id()
                product = store.products.get(int_value(raw["productId"], "productId")) if raw.get("productId") else None
                combo = None
                if product is not None and raw.get("combinationId") is not None:
                    combo = next(
                        (c for c in product["combinations"] if str(c["id"]) == str(raw["combinationId"])),
                        None,
                    )
                    if combo is None:
                        ids_valid = False
                bare_sku = raw.get("sku") and raw.get("combinationId") is None and not raw.get("selectedOptions")
                if bare_sku and any(
                    c.get("sku") == raw["sku"] for p in store.products.values() for c in p["combinations"]
                ):
                    raise ApiError(400, "A variation SKU needs selectedOptions", "INVALID_VALUE")
                if product is None:
                    ids_valid = False
                lines.append(line)
                targets.append((product, combo, quantity))
            has_customer = bool(body.get("email")) or bool(body.get("customerId"))
            decrements: list[tuple[int, int | None, int]] = []
            touched: dict[int, dict[str, Any]] = {}
            if payment == "PAID" and ids_valid and has_customer:
                for product, combo, quantity in targets:
                    assert product is not None
                    holder = self._stock_holder(product, combo)
                    if holder.get("unlimited"):
                        continue
                    taken = min(quantity, int(holder.get("quantity") or 0))
                    holder["quantity"] = int(holder.get("quantity") or 0) - taken
                    owner_combo = combo["id"] if holder is combo else None
                    decrements.append((product["id"], owner_combo, taken))
                    touched[product["id"]] = product
            now = self.now()
            internal = self._next_id()
            order: dict[str, Any] = {
                key: copy.deepcopy(value)
                for key, value in body.items()
                if key not in ("id", "internalId", "orderNumber", "items", "paymentStatus", "fulfillmentStatus")
            }
            order.update(
                {
                    "id": self._new_order_id(store),
                    "internalId": internal,
                    "orderNumber": internal,
                    "vendorOrderNumber": str(internal),
                    "items": lines,
                    "paymentStatus": payment,
                    "fulfillmentStatus": fulfillment,
                    "createTimestamp": now,
                    "updateTimestamp": now,
                    "_decrements": decrements,
                    "_committed_at": time.monotonic(),
                    "_restocked": False,
                }
            )
            for name in ("subtotal", "total", "tax", "discount"):
                if name in order:
                    order[name] = decimal_value(order[name], name)
            store.orders[internal] = order
            for product in touched.values():
                self._touch(store, product)
            self.notify(
                store,
                "order.created",
                internal,
                {"orderId": order["id"], "newPaymentStatus": payment, "newFulfillmentStatus": fulfillment},
            )
            return {"id": internal, "orderId": order["id"]}

    def update_order(self, store_id: int | str, order_id: str, body: Any) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            order = self._order(store, order_id)
            if not isinstance(body, dict):
                raise ApiError(400, "Order body must be a JSON object", "INVALID_VALUE")
            old_payment, old_fulfillment = order["paymentStatus"], order["fulfillmentStatus"]
            payment = self._status(body.get("paymentStatus"), PAYMENT_STATUSES, "paymentStatus", old_payment)
            fulfillment = self._status(
                body.get("fulfillmentStatus"), FULFILLMENT_STATUSES, "fulfillmentStatus", old_fulfillment
            )
            for key, value in body.items():
                if key in ("id", "internalId", "orderNumber", "createTimestamp") or key.startswith("_"):
                    continue
                order[key] = copy.deepcopy(value)  # "items", if sent, replaces the whole list
            order["paymentStatus"], order["fulfillmentStatus"] = payment, fulfillment
            order["updateTimestamp"] = self.now()
            if payment == "CANCELLED" and old_payment != "CANCELLED" and not order["_restocked"]:
                self._restock(store, order)
            self.notify(
                store,
                "order.updated",
                order["internalId"],
                {
                    "orderId": order["id"],
                    "oldPaymentStatus": old_payment,
                    "newPaymentStatus": payment,
                    "oldFulfillmentStatus": old_fulfillment,
                    "newFulfillmentStatus": fulfillment,
                },
            )
            return {"updateCount": 1}

    def _restock(self, store: Store, order: dict[str, Any]) -> None:
        order["_restocked"] = True
        for product_id, combination_id, amount in order["_decrements"]:
            product = store.products.get(product_id)
            if product is None or amount == 0:
                continue
            combo = next((c for c in product["combinations"] if c["id"] == combination_id), None)
            holder = combo if combo is not None else product
            if not holder.get("unlimited"):
                holder["quantity"] = int(holder.get("quantity") or 0) + amount
            self._touch(store, product)

    def delete_order(self, store_id: int | str, order_id: str) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            order = self._order(store, order_id)
            del store.orders[order["internalId"]]
            self.notify(store, "order.deleted", order["internalId"], {"orderId": order["id"]})
            return {"deleteCount": 1}

    def render_order(self, order: dict[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in order.items() if not k.startswith("_")}
        out["createDate"] = ecwid_date(order["createTimestamp"])
        out["updateDate"] = ecwid_date(order["updateTimestamp"])
        return out

    def get_order(self, store_id: int | str, order_id: str) -> dict[str, Any]:
        with self.lock:
            return self.render_order(self._order(self.store(store_id), order_id))

    def search_orders(self, store_id: int | str, args: Mapping[str, str]) -> dict[str, Any]:
        """Known filters only; like Ecwid, a filter it does not know is ignored."""
        with self.lock:
            store = self.store(store_id)
            orders = sorted(store.orders.values(), key=lambda o: o["internalId"])
            if self.search_lag > 0:
                visible_before = time.monotonic() - self.search_lag
                orders = [o for o in orders if o.get("_committed_at", 0.0) <= visible_before]
            if args.get("ids"):
                wanted = {x.strip() for x in args["ids"].split(",")}
                orders = [o for o in orders if str(o["internalId"]) in wanted or o["id"] in wanted]
            if args.get("refererId"):
                orders = [o for o in orders if str(o.get("refererId") or "") == args["refererId"]]
            if args.get("keywords"):
                word = args["keywords"].lower()
                fields = ("id", "email", "externalTransactionId", "externalOrderId", "orderComments")
                orders = [o for o in orders if any(word in str(o.get(f) or "").lower() for f in fields)]
            for name in ("paymentStatus", "fulfillmentStatus"):
                if args.get(name):
                    allowed = {s.strip().upper() for s in args[name].split(",")}
                    orders = [o for o in orders if o[name] in allowed]
            if args.get("email") or args.get("customer"):
                who = (args.get("email") or args.get("customer") or "").lower()
                orders = [o for o in orders if who in str(o.get("email") or "").lower()]
            for name, key, lower in (
                ("createdFrom", "createTimestamp", True),
                ("createdTo", "createTimestamp", False),
                ("updatedFrom", "updateTimestamp", True),
                ("updatedTo", "updateTimestamp", False),
            ):
                if args.get(name):
                    bound = time_arg(args[name], name)
                    orders = [o for o in orders if (o[key] >= bound if lower else o[key] <= bound)]
            offset = max(0, int_arg(args.get("offset"), "offset", 0) or 0)
            answer = page(orders, offset, int_arg(args.get("limit"), "limit", MAX_LIMIT) or 0)
            answer["items"] = [self.render_order(o) for o in answer["items"]]
            return answer

    def orders(self, store_id: int | str) -> list[dict[str, Any]]:
        with self.lock:
            store = self.store(store_id)
            return [self.render_order(o) for o in sorted(store.orders.values(), key=lambda o: o["internalId"])]
