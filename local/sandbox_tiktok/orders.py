"""Logistics, orders, fulfillment, cancellations and returns, and the scripted buyer that
creates and moves orders (Python API, mirrored by the admin endpoints)."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

from local.httpkit import Request
from local.sandbox_tiktok import codes as c
from local.sandbox_tiktok.core import Call, Core, page
from local.sandbox_tiktok.state import Cancellation, Order, Package, Return, Shop

#: Markets where "mark package as shipped" (own carrier) exists (docs/tiktok.md, fulfilment).
MARK_SHIPPED_REGIONS = {"US", "GB", "UK", "ES", "IE", "IT", "DE", "FR", "JP"}
TRACKING_UPDATE_WINDOW_S = 72 * 3600
SHIPPING_PROVIDERS = ("USPS", "UPS", "FedEx", "DHL eCommerce")
#: The order status webhook (type 1) spells the cancelled status CANCEL (docs/tiktok.md, webhooks).
WEBHOOK_STATUS = {"CANCELLED": "CANCEL"}
SHIPPABLE = ("AWAITING_SHIPMENT", "PARTIALLY_SHIPPING")

_ADDRESS = {
    "name": "Jordan Rivera",
    "first_name": "Jordan",
    "last_name": "Rivera",
    "phone_number": "(+1)2135550143",
    "address_line1": "742 Evergreen Terrace",
    "address_line2": "Apt 5",
    "address_line3": "",
    "address_line4": "",
    "full_address": "742 Evergreen Terrace, Apt 5, Los Angeles, California, 90001, United States",
    "postal_code": "90001",
    "region_code": "US",
    "district_info": [
        {"address_level_name": "Country", "address_name": "United States"},
        {"address_level_name": "State", "address_name": "California"},
        {"address_level_name": "City", "address_name": "Los Angeles"},
    ],
}
_MASKED = {
    **_ADDRESS,
    "name": "J***** R*****",
    "first_name": "J*****",
    "last_name": "R*****",
    "phone_number": "(+1)213*****43",
    "address_line1": "7** E********* T******",
    "address_line2": "",
    "full_address": "Los Angeles, California, 900**, United States",
    "postal_code": "900**",
}


#: The decisions of a return rejection: 202309 takes these (optional), 202606 requires one and also
#: takes OFFER_PARTIAL_REFUND_AFTER_RECEIVING_PKG (docs/tiktok.md, "API versions").
REJECT_DECISIONS = ("REJECT_REFUND", "REJECT_RETURN", "REJECT_RECEIVED_PACKAGE", "REJECT_REPLACEMENT")
PARTIAL_REFUND_OFFER = "OFFER_PARTIAL_REFUND_AFTER_RECEIVING_PKG"


def price_detail(payment: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The price breakdown with TikTok's field names: the order's totals and one entry per line
    item. The sandbox books the order's shipping fee and tax on its first line item."""
    currency = payment["currency"]
    zero = "0.00"
    items = []
    for index, line in enumerate(lines):
        shipping = payment["shipping_fee"] if index == 0 else zero
        tax = payment["tax"] if index == 0 else zero
        total = Decimal(line["sale_price"]) + Decimal(shipping) + Decimal(tax)
        items.append(
            {
                "id": line["id"],
                "currency": currency,
                "sku_list_price": line.get("original_price") or line["sale_price"],
                "sku_sale_price": line["sale_price"],
                "subtotal": line["sale_price"],
                "shipping_list_price": shipping,
                "shipping_sale_price": shipping,
                "tax_amount": tax,
                "total": str(total),
                "payment": str(total),
            }
        )
    return {
        "currency": currency,
        "sku_list_price": payment.get("original_total_product_price") or payment["sub_total"],
        "sku_sale_price": payment["sub_total"],
        "subtotal": payment["sub_total"],
        "shipping_list_price": payment["shipping_fee"],
        "shipping_sale_price": payment["shipping_fee"],
        "tax_amount": payment["tax"],
        "total": payment["total_amount"],
        "payment": payment["total_amount"],
        "line_items": items,
    }


class OrderApi(Core):
    def register_orders(self) -> None:
        self.api("GET", "/logistics/202309/warehouses", self._warehouses)
        self.api("GET", "/logistics/202309/warehouses/{warehouse_id}/delivery_options", self._delivery_options)
        self.api(
            "GET",
            "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers",
            self._shipping_providers,
        )
        self.api("POST", "/order/202309/orders/search", self._search_orders)
        self.api("GET", "/order/202309/orders", self._order_detail)
        self.api("GET", "/order/202507/orders", self._order_detail)
        self.api("GET", "/order/202407/orders/{order_id}/price_detail", self._price_detail)
        f = "/fulfillment/202309"
        self.api("POST", f + "/packages/search", self._search_packages)
        self.api("GET", f + "/packages/{package_id}", self._get_package)
        self.api("POST", f + "/packages/{package_id}/ship", self._ship_package)
        self.api("POST", f + "/packages/{package_id}/shipping_info/update", self._package_shipping_info)
        self.api("POST", f + "/orders/{order_id}/packages", self._mark_shipped)
        self.api("POST", f + "/orders/{order_id}/shipping_info/update", self._order_shipping_info)
        r = "/return_refund/202309"
        self.api("POST", r + "/cancellations/search", lambda q, call: self._search_cancellations(q, call, False))
        self.api("POST", r + "/cancellations/{cancel_id}/approve", self._approve_cancellation)
        self.api("POST", r + "/cancellations/{cancel_id}/reject", self._reject_cancellation)
        self.api("POST", r + "/cancellations", lambda q, call: self._seller_cancel(q, call, False))
        self.api("POST", r + "/returns/search", lambda q, call: self._search_returns(q, call, False))
        self.api("POST", r + "/returns/{return_id}/approve", self._approve_return)
        self.api("POST", r + "/returns/{return_id}/reject", self._reject_return)
        # Newer versions of the same operations, each with its own request and answer shape
        # (docs/tiktok.md, "API versions").
        self.api("POST", "/fulfillment/202610/orders/{order_id}/packages", self._mark_shipped_202610)
        self.api(
            "POST", "/fulfillment/202610/packages/{package_id}/shipping_info/update", self._package_shipping_info_202610
        )
        r = "/return_refund/202602"
        self.api("POST", r + "/cancellations/search", lambda q, call: self._search_cancellations(q, call, True))
        self.api("POST", r + "/cancellations", lambda q, call: self._seller_cancel(q, call, True))
        self.api("POST", r + "/returns/search", lambda q, call: self._search_returns(q, call, True))
        self.api("POST", "/return_refund/202606/returns/{return_id}/reject", self._reject_return_202606)

    # --- logistics ----------------------------------------------------------------------------

    def delivery_options(self, shop: Shop) -> list[dict[str, str]]:
        base = shop.id[:-3]
        return [
            {"id": base + "101", "name": "Standard shipping", "type": "STANDARD"},
            {"id": base + "102", "name": "Express shipping", "type": "EXPRESS"},
            {"id": base + "103", "name": "Shipped by seller", "type": "SEND_BY_SELLER"},
        ]

    def shipping_providers(self, shop: Shop) -> list[dict[str, str]]:
        base = shop.id[:-3]
        return [{"id": f"{base}{201 + i}", "name": name} for i, name in enumerate(SHIPPING_PROVIDERS)]

    def _warehouses(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        return {"warehouses": [w.json() for w in call.shop.warehouses]}

    def _delivery_options(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        warehouse = call.shop.warehouse(request.params["warehouse_id"])
        if warehouse is None:
            raise c.ApiError(c.WAREHOUSE_NOT_FOUND, "The warehouse does not exist")
        return {"delivery_options": self.delivery_options(call.shop)}

    def _shipping_providers(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        if request.params["delivery_option_id"] not in {d["id"] for d in self.delivery_options(call.shop)}:
            raise c.ApiError(c.BAD_PARAMETER, "Unknown delivery_option_id", 400)
        return {"shipping_providers": self.shipping_providers(call.shop)}

    # --- orders --------------------------------------------------------------------------------

    def _order(self, order_id: str, shop: Shop | None) -> Order:
        order = self.state.orders.get(order_id)
        if order is None or shop is None or order.shop_id != shop.id:
            raise c.ApiError(c.ORDER_NOT_FOUND, "The order does not exist")
        return order

    def _search_orders(self, request: Request, call: Call) -> dict[str, Any]:
        body = call.body or {}
        sort_field = request.arg("sort_field") or "create_time"
        if sort_field not in ("create_time", "update_time"):
            raise c.ApiError(c.BAD_PARAMETER, "sort_field must be create_time or update_time", 400)
        descending = (request.arg("sort_order") or "DESC") == "DESC"
        with self.state.lock:
            found = [o for o in self.state.orders.values() if call.shop and o.shop_id == call.shop.id]
            found = self.searchable(found)
            if body.get("order_status"):
                found = [o for o in found if o.status == body["order_status"]]
            if body.get("shipping_type"):
                found = [o for o in found if o.shipping_type == body["shipping_type"]]
            for field in ("create_time", "update_time"):
                low, high = body.get(field + "_ge"), body.get(field + "_lt")
                if low is not None:
                    found = [o for o in found if getattr(o, field) >= low]
                if high is not None:
                    found = [o for o in found if getattr(o, field) < high]
            found.sort(key=lambda o: getattr(o, sort_field), reverse=descending)  # stable: ties keep creation order
            items, token, total = page([o.json() for o in found], request.query)
        return {"orders": items, "next_page_token": token, "total_count": total}

    def _order_detail(self, request: Request, call: Call) -> dict[str, Any]:
        ids = [i for i in (request.arg("ids") or "").split(",") if i]
        if not 1 <= len(ids) <= 50:
            raise c.ApiError(c.BAD_PARAMETER, "ids must list 1-50 order ids", 400)
        with self.state.lock:
            orders = [self.state.orders[i] for i in ids if i in self.state.orders]
            return {"orders": [o.json() for o in orders if call.shop and o.shop_id == call.shop.id]}

    def _price_detail(self, request: Request, call: Call) -> dict[str, Any]:
        with self.state.lock:
            order = self._order(request.params["order_id"], call.shop)
            return price_detail(order.payment, order.line_items)

    # --- fulfillment ---------------------------------------------------------------------------

    def _package(self, package_id: str, shop: Shop | None) -> Package:
        package = self.state.packages.get(package_id)
        if package is None or shop is None or package.shop_id != shop.id:
            raise c.ApiError(c.PACKAGE_NOT_FOUND, "The package does not exist")
        return package

    def _search_packages(self, request: Request, call: Call) -> dict[str, Any]:
        body = call.body or {}
        with self.state.lock:
            found = [p for p in self.state.packages.values() if call.shop and p.shop_id == call.shop.id]
            if body.get("package_status"):
                found = [p for p in found if p.status == body["package_status"]]
            for field in ("create_time", "update_time"):
                low, high = body.get(field + "_ge"), body.get(field + "_lt")
                if low is not None:
                    found = [p for p in found if getattr(p, field) >= low]
                if high is not None:
                    found = [p for p in found if getattr(p, field) < high]
            found.sort(key=lambda p: p.create_time)  # stable: ties keep creation order
            items, token, total = page([p.search_item(self._package_orders(p)) for p in found], request.query)
        return {"packages": items, "next_page_token": token, "total_count": total}

    def _package_orders(self, package: Package) -> list[dict[str, Any]]:
        """``orders[]`` of a package: the order and the SKUs (with quantities) it carries."""
        order = self.state.orders.get(package.order_id)
        skus: dict[str, dict[str, Any]] = {}
        for line in order.line_items if order else []:
            if line["id"] in package.line_item_ids:
                entry = skus.setdefault(
                    line["sku_id"], {"id": line["sku_id"], "name": line.get("sku_name") or "", "quantity": 0}
                )
                entry["quantity"] += 1
        return [{"id": package.order_id, "skus": list(skus.values())}]

    def _get_package(self, request: Request, call: Call) -> dict[str, Any]:
        with self.state.lock:
            package = self._package(request.params["package_id"], call.shop)
            return package.detail(self._package_orders(package))

    def _provider(self, shop: Shop, provider_id: Any) -> dict[str, str]:
        provider = next((p for p in self.shipping_providers(shop) if p["id"] == str(provider_id)), None)
        if provider is None:
            raise c.ApiError(c.SHIPPING_PROVIDER_INVALID, "Unknown shipping_provider_id")
        return provider

    def _ship(self, order: Order, package: Package, tracking: str, provider: dict[str, str]) -> None:
        now = int(time.time())
        package.status = "FULFILLING"
        package.tracking_number = tracking
        package.shipping_provider_id = provider["id"]
        package.shipping_provider_name = provider["name"]
        package.shipped_at = now
        package.update_time = now
        for line in order.line_items:
            if line["id"] in package.line_item_ids:
                line.update(
                    package_id=package.id,
                    package_status="TO_FULFILL",
                    tracking_number=tracking,
                    display_status="SHIPPED",
                )
        order.tracking_number = tracking
        order.shipping_provider = provider["name"]
        order.shipping_provider_id = provider["id"]
        open_lines = [line for line in order.line_items if line["display_status"] not in ("SHIPPED", "CANCELLED")]
        self._set_status(order, "PARTIALLY_SHIPPING" if open_lines else "AWAITING_COLLECTION")

    def _ship_package(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        body = call.body or {}
        with self.state.lock:
            package = self._package(request.params["package_id"], call.shop)
            order = self.state.orders[package.order_id]
            if order.fulfillment_type == "FULFILLMENT_BY_TIKTOK":
                raise c.ApiError(c.ORDER_STATUS_FORBIDS, "TikTok fulfils this order")
            if package.status != "PROCESSING" or order.status not in SHIPPABLE:
                raise c.ApiError(c.ORDER_STATUS_FORBIDS, f"Cannot ship an order in status {order.status}")
            if body.get("handover_method", "DROP_OFF") not in ("PICKUP", "DROP_OFF"):
                raise c.ApiError(c.BAD_PARAMETER, "handover_method must be PICKUP or DROP_OFF", 400)
            self_shipment = body.get("self_shipment")
            if order.shipping_type == "SELLER":
                if not isinstance(self_shipment, dict) or not self_shipment.get("tracking_number"):
                    raise c.ApiError(c.SELF_SHIPMENT_INVALID, "self_shipment is required for seller shipping")
                provider = self._provider(call.shop, self_shipment.get("shipping_provider_id"))
                tracking = str(self_shipment["tracking_number"])
            else:
                provider = self.shipping_providers(call.shop)[0]
                tracking = "TT" + package.id[-10:]
            self._ship(order, package, tracking, provider)
        return {}

    def _mark_shipped(self, request: Request, call: Call) -> dict[str, Any]:
        """202309: flat ``tracking_number``, ``shipping_provider_id``, ``order_line_item_ids``."""
        body = call.body or {}
        _refuse_fields(body, ("shipping_info_list", "order_line_list"), "202309")
        wanted = [str(i) for i in body.get("order_line_item_ids") or []]
        return self._mark(request, call, _tracking(body), body.get("shipping_provider_id"), wanted)

    def _mark_shipped_202610(self, request: Request, call: Call) -> dict[str, Any]:
        """202610: ``shipping_info_list`` (one entry) and ``order_line_list`` (``order_line_id``,
        ``sub_item_id`` of a bundle); the answer is the same as 202309's."""
        body = call.body or {}
        info = _shipping_info(body)
        # order_line_item_ids is still taken: the 202610 field notes call order_line_list a compatible successor
        wanted = [str(i) for i in body.get("order_line_item_ids") or []]
        lines = body.get("order_line_list") or []
        if not isinstance(lines, list) or not all(isinstance(x, dict) and x.get("order_line_id") for x in lines):
            raise c.ApiError(c.BAD_PARAMETER, "param body.order_line_list entries need an order_line_id", 400)
        if any(x.get("sub_item_id") for x in lines):
            raise c.ApiError(c.BAD_PARAMETER, "sub_item_id names a bundle item, and this order has no bundles", 400)
        wanted += [str(x["order_line_id"]) for x in lines]
        return self._mark(request, call, _tracking(info), info.get("shipping_provider_id"), wanted)

    def _mark(
        self, request: Request, call: Call, tracking: str, provider_id: object, wanted: list[str]
    ) -> dict[str, Any]:
        assert call.shop is not None
        if call.shop.region not in MARK_SHIPPED_REGIONS:
            raise c.ApiError(c.MARK_SHIPPED_NOT_AVAILABLE, "Mark as shipped is not available in this market")
        with self.state.lock:
            order = self._order(request.params["order_id"], call.shop)
            if order.status not in SHIPPABLE or order.fulfillment_type == "FULFILLMENT_BY_TIKTOK":
                raise c.ApiError(c.ORDER_STATUS_FORBIDS, f"Cannot ship an order in status {order.status}")
            provider = self._provider(call.shop, provider_id)
            open_ids = [
                line["id"] for line in order.line_items if line["display_status"] not in ("SHIPPED", "CANCELLED")
            ]
            wanted = wanted or open_ids
            if not wanted or any(i not in open_ids for i in wanted):
                raise c.ApiError(c.BAD_PARAMETER, "order_line_item_ids must be unshipped lines of the order", 400)
            source = next(
                p for p in self.state.packages.values() if p.order_id == order.id and p.status == "PROCESSING"
            )
            if sorted(wanted) == sorted(source.line_item_ids):
                package = source
            else:  # split: the shipped lines move to a new package
                now = int(time.time())
                source.line_item_ids = [i for i in source.line_item_ids if i not in wanted]
                package = Package(
                    self.state.new_id(11), call.shop.id, order.id, wanted, create_time=now, update_time=now
                )
                self.state.packages[package.id] = package
                order.package_ids.append(package.id)
            self._ship(order, package, tracking, provider)
            return {"order_id": order.id, "package_id": package.id, "order_line_item_ids": wanted}

    def _update_tracking(
        self, packages: list[Package], order: Order, tracking: str, provider_id: object, shop: Shop
    ) -> None:
        provider = self._provider(shop, provider_id)
        shipped = [p for p in packages if p.shipped_at is not None]
        if order.shipping_type != "SELLER" or not shipped:
            raise c.ApiError(c.ORDER_STATUS_FORBIDS, "Only seller-shipped packages can change tracking")
        if any(time.time() - (p.shipped_at or 0) > TRACKING_UPDATE_WINDOW_S for p in shipped):
            raise c.ApiError(c.TRACKING_WINDOW_PASSED, "Tracking can change only within 72 hours of shipping")
        for package in shipped:
            package.tracking_number = tracking
            package.shipping_provider_id = provider["id"]
            package.shipping_provider_name = provider["name"]
            package.update_time = int(time.time())
            for line in order.line_items:
                if line["id"] in package.line_item_ids:
                    line["tracking_number"] = tracking
        order.tracking_number = tracking
        order.shipping_provider = provider["name"]
        order.shipping_provider_id = provider["id"]
        order.update_time = int(time.time())

    def _order_shipping_info(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        with self.state.lock:
            order = self._order(request.params["order_id"], call.shop)
            packages = [p for p in self.state.packages.values() if p.order_id == order.id]
            body = call.body or {}
            self._update_tracking(packages, order, _tracking(body), body.get("shipping_provider_id"), call.shop)
        return {}

    def _package_shipping_info(self, request: Request, call: Call) -> dict[str, Any]:
        """202309: flat ``tracking_number`` and ``shipping_provider_id``."""
        body = call.body or {}
        _refuse_fields(body, ("shipping_info_list",), "202309")
        return self._package_tracking(request, call, _tracking(body), body.get("shipping_provider_id"))

    def _package_shipping_info_202610(self, request: Request, call: Call) -> dict[str, Any]:
        """202610: the tracking is ``shipping_info_list`` (one entry, with an optional ``note``)."""
        info = _shipping_info(call.body or {})
        return self._package_tracking(request, call, _tracking(info), info.get("shipping_provider_id"))

    def _package_tracking(self, request: Request, call: Call, tracking: str, provider_id: object) -> dict[str, Any]:
        assert call.shop is not None
        with self.state.lock:
            package = self._package(request.params["package_id"], call.shop)
            order = self.state.orders[package.order_id]
            self._update_tracking([package], order, tracking, provider_id, call.shop)
        return {}

    # --- cancellations ------------------------------------------------------------------------

    def _lines(self, order_id: str, line_ids: list[str]) -> list[dict[str, Any]]:
        return [line for line in self.state.orders[order_id].line_items if line["id"] in line_ids]

    def cancellation_json(self, cancellation: Cancellation, newer: bool = False) -> dict[str, Any]:
        return cancellation.json(self._lines(cancellation.order_id, cancellation.line_item_ids), newer)

    def return_json(self, found: Return, newer: bool = False) -> dict[str, Any]:
        return found.json(self._lines(found.order_id, found.line_item_ids), newer)

    def _cancellation(self, cancel_id: str, shop: Shop | None) -> Cancellation:
        found = self.state.cancellations.get(cancel_id)
        if found is None or shop is None or found.shop_id != shop.id:
            raise c.ApiError(c.CANCELLATION_NOT_FOUND, "The cancellation does not exist")
        return found

    def _search_cancellations(self, request: Request, call: Call, newer: bool) -> dict[str, Any]:
        body = call.body or {}
        with self.state.lock:
            found = [x for x in self.state.cancellations.values() if call.shop and x.shop_id == call.shop.id]
            for field, attr in (
                ("order_ids", "order_id"),
                ("cancel_ids", "id"),
                ("cancel_status", "status"),
                ("cancel_types", "type"),
            ):
                wanted = body.get(field)
                if wanted:
                    found = [x for x in found if getattr(x, attr) in set(map(str, wanted))]
            for field in ("create_time", "update_time"):
                low, high = body.get(field + "_ge"), body.get(field + "_lt")
                if low is not None:
                    found = [x for x in found if getattr(x, field) >= low]
                if high is not None:
                    found = [x for x in found if getattr(x, field) < high]
            descending = request.arg("sort_order") == "DESC"
            found.sort(key=lambda x: x.create_time, reverse=descending)
            items, token, total = page([self.cancellation_json(x, newer) for x in found], request.query)
        return {"cancellations": items, "next_page_token": token, "total_count": total}

    def _idempotent(self, request: Request, shop: Shop, action: str, target: str) -> bool:
        """True when this idempotency key already did this action (the repeat is a no-op)."""
        key = request.arg("idempotency_key")
        if not key or len(key) > 255:
            raise c.ApiError(c.BAD_PARAMETER, "idempotency_key is required (at most 255 characters)", 400)
        marker = (shop.id, action, key)
        if marker in self.state.idempotency:
            if self.state.idempotency[marker] != target:
                raise c.ApiError(c.BAD_PARAMETER, "idempotency_key was used for another request", 400)
            return True
        self.state.idempotency[marker] = target
        return False

    def _approve_cancellation(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        with self.state.lock:
            cancellation = self._cancellation(request.params["cancel_id"], call.shop)
            if self._idempotent(request, call.shop, "approve_cancel", cancellation.id):
                return {}
            if cancellation.status != "CANCELLATION_REQUEST_PENDING":
                raise c.ApiError(c.AFTERSALE_STATUS_FORBIDS, f"The cancellation is {cancellation.status}")
            order = self.state.orders[cancellation.order_id]
            self._complete_cancellation(cancellation, order)
        return {}

    def _reject_cancellation(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        body = call.body or {}
        if not body.get("reject_reason"):
            raise c.ApiError(c.BAD_PARAMETER, "param body.reject_reason is missing", 400)
        with self.state.lock:
            cancellation = self._cancellation(request.params["cancel_id"], call.shop)
            if self._idempotent(request, call.shop, "reject_cancel", cancellation.id):
                return {}
            if cancellation.status != "CANCELLATION_REQUEST_PENDING":
                raise c.ApiError(c.AFTERSALE_STATUS_FORBIDS, f"The cancellation is {cancellation.status}")
            order = self.state.orders[cancellation.order_id]
            cancellation.status = "CANCELLATION_REQUEST_CANCEL"
            cancellation.update_time = int(time.time())
            order.is_buyer_request_cancel = False
            order.update_time = cancellation.update_time
            self._emit_cancellation(cancellation)
        return {}

    def _seller_cancel(self, request: Request, call: Call, newer: bool) -> dict[str, Any]:
        """202602 adds ``order_line_list`` (``order_line_item_id``, ``sub_order_line_item_id`` of a
        bundle) next to ``order_line_item_ids`` and ``skus``."""
        assert call.shop is not None
        body = call.body or {}
        lines = body.get("order_line_list") or []
        if not newer:
            _refuse_fields(body, ("order_line_list",), "202309")
        elif not isinstance(lines, list) or not all(isinstance(x, dict) and x.get("order_line_item_id") for x in lines):
            raise c.ApiError(c.BAD_PARAMETER, "param body.order_line_list entries need an order_line_item_id", 400)
        elif any(x.get("sub_order_line_item_id") for x in lines):
            raise c.ApiError(
                c.BAD_PARAMETER, "sub_order_line_item_id names a bundle item, and this order has no bundles", 400
            )
        if not body.get("cancel_reason"):
            raise c.ApiError(c.BAD_PARAMETER, "param body.cancel_reason is missing", 400)
        with self.state.lock:
            order = self._order(str(body.get("order_id") or ""), call.shop)
            if order.status not in ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT"):
                raise c.ApiError(c.ORDER_STATUS_FORBIDS, f"Cannot cancel an order in status {order.status}")
            open_ids = [line["id"] for line in order.line_items if line["display_status"] != "CANCELLED"]
            wanted = [str(i) for i in body.get("order_line_item_ids") or []]
            wanted += [str(x["order_line_item_id"]) for x in lines if str(x["order_line_item_id"]) not in wanted]
            for sku in body.get("skus") or []:
                lines = [
                    line["id"]
                    for line in order.line_items
                    if line["sku_id"] == str(sku.get("sku_id")) and line["id"] in open_ids and line["id"] not in wanted
                ]
                wanted.extend(lines[: int(sku.get("quantity") or 0)])
            wanted = wanted or open_ids
            if any(i not in open_ids for i in wanted):
                raise c.ApiError(c.BAD_PARAMETER, "order_line_item_ids must be open lines of the order", 400)
            now = int(time.time())
            cancellation = Cancellation(
                self.state.new_id(40),
                call.shop.id,
                order.id,
                "CANCELLATION_REQUEST_PENDING",
                "CANCEL",
                "SELLER",
                str(body["cancel_reason"]),
                wanted,
                now,
                now,
            )
            self.state.cancellations[cancellation.id] = cancellation
            self._complete_cancellation(cancellation, order)
            return {"cancel_id": cancellation.id, "cancel_status": cancellation.status}

    def _complete_cancellation(self, cancellation: Cancellation, order: Order) -> None:
        now = int(time.time())
        cancellation.status = "CANCELLATION_REQUEST_COMPLETE"
        cancellation.update_time = now
        self._restock(order, cancellation.line_item_ids)
        for line in order.line_items:
            if line["id"] in cancellation.line_item_ids:
                line.update(display_status="CANCELLED", cancel_reason=cancellation.reason)
        order.is_buyer_request_cancel = False
        self._emit_cancellation(cancellation)
        if all(line["display_status"] == "CANCELLED" for line in order.line_items):
            order.cancel_reason = cancellation.reason
            order.cancellation_initiator = cancellation.role
            for package in self.state.packages.values():
                if package.order_id == order.id:
                    package.status = "CANCELLED"
            self._set_status(order, "CANCELLED")
        else:
            order.update_time = now

    def _emit_cancellation(self, cancellation: Cancellation) -> None:
        status = cancellation.status
        if status == "CANCELLATION_REQUEST_CANCEL":
            status = "CANCELLATION_REQUEST_CANCELLED"  # the spelling of webhook type 11 (docs/tiktok.md, webhooks)
        self.emit(
            cancellation.shop_id,
            11,
            {
                "order_id": cancellation.order_id,
                "cancellations_role": cancellation.role,
                "cancel_status": status,
                "cancel_id": cancellation.id,
                "create_time": cancellation.create_time,
            },
        )

    # --- returns ---------------------------------------------------------------------------------

    def _return(self, return_id: str, shop: Shop | None) -> Return:
        found = self.state.returns.get(return_id)
        if found is None or shop is None or found.shop_id != shop.id:
            raise c.ApiError(c.RETURN_NOT_FOUND, "The return does not exist")
        return found

    def _search_returns(self, request: Request, call: Call, newer: bool) -> dict[str, Any]:
        body = call.body or {}
        with self.state.lock:
            found = [x for x in self.state.returns.values() if call.shop and x.shop_id == call.shop.id]
            for field, attr in (("order_ids", "order_id"), ("return_ids", "id"), ("return_status", "status")):
                wanted = body.get(field)
                if wanted:
                    found = [x for x in found if getattr(x, attr) in set(map(str, wanted))]
            for field in ("create_time", "update_time"):
                low, high = body.get(field + "_ge"), body.get(field + "_lt")
                if low is not None:
                    found = [x for x in found if getattr(x, field) >= low]
                if high is not None:
                    found = [x for x in found if getattr(x, field) < high]
            found.sort(key=lambda x: x.create_time)
            items, token, total = page([self.return_json(x, newer) for x in found], request.query)
        return {"return_orders": items, "next_page_token": token, "total_count": total}

    def _approve_return(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        with self.state.lock:
            found = self._return(request.params["return_id"], call.shop)
            if self._idempotent(request, call.shop, "approve_return", found.id):
                return {}
            if found.status != "RETURN_OR_REFUND_REQUEST_PENDING":
                raise c.ApiError(c.AFTERSALE_STATUS_FORBIDS, f"The return is {found.status}")
            if found.type == "REFUND":
                self._set_return(found, "RETURN_OR_REFUND_REQUEST_COMPLETE")
            else:
                self._set_return(found, "AWAITING_BUYER_SHIP")
        return {}

    def _reject_return(self, request: Request, call: Call) -> dict[str, Any]:
        """202309: ``reject_reason``, ``comment``, ``images`` and an optional ``decision``."""
        decision = (call.body or {}).get("decision")
        if decision is not None and decision not in REJECT_DECISIONS:
            raise c.ApiError(c.BAD_PARAMETER, f"param body.decision must be one of {', '.join(REJECT_DECISIONS)}", 400)
        return self._reject(request, call, None)

    def _reject_return_202606(self, request: Request, call: Call) -> dict[str, Any]:
        """202606 requires the ``decision``; OFFER_PARTIAL_REFUND_AFTER_RECEIVING_PKG (with
        ``partial_refund_amount``) answers a received package with a counter-offer, not a refusal."""
        body = call.body or {}
        decision = str(body.get("decision") or "")
        allowed = (*REJECT_DECISIONS, PARTIAL_REFUND_OFFER)
        if not decision:
            raise c.ApiError(c.BAD_PARAMETER, "param body.decision is missing", 400)
        if decision not in allowed:
            raise c.ApiError(c.BAD_PARAMETER, f"param body.decision must be one of {', '.join(allowed)}", 400)
        offer = None
        if decision == PARTIAL_REFUND_OFFER:
            amount = body.get("partial_refund_amount")
            total = amount.get("partial_refund_total") if isinstance(amount, dict) else None
            try:
                offer = Decimal(str(total))
            except ArithmeticError:
                offer = None
            if offer is None or not offer.is_finite() or offer <= 0:
                raise c.ApiError(
                    c.BAD_PARAMETER, "param body.partial_refund_amount.partial_refund_total must be an amount", 400
                )
        return self._reject(request, call, offer)

    def _reject(self, request: Request, call: Call, offer: Decimal | None) -> dict[str, Any]:
        assert call.shop is not None
        if not (call.body or {}).get("reject_reason"):
            raise c.ApiError(c.BAD_PARAMETER, "param body.reject_reason is missing", 400)
        with self.state.lock:
            found = self._return(request.params["return_id"], call.shop)
            if self._idempotent(request, call.shop, "reject_return", found.id):
                return {}
            if offer is not None:
                if found.status != "BUYER_SHIPPED_ITEM":
                    raise c.ApiError(c.AFTERSALE_STATUS_FORBIDS, "A partial refund is offered for a received package")
                if offer > found.refund_total:
                    raise c.ApiError(c.BAD_PARAMETER, "partial_refund_total exceeds the refundable amount", 400)
                found.partial_refund = offer
                self._set_return(found, "AWAITING_BUYER_RESPONSE")
                return {}
            if found.status not in ("RETURN_OR_REFUND_REQUEST_PENDING", "BUYER_SHIPPED_ITEM"):
                raise c.ApiError(c.AFTERSALE_STATUS_FORBIDS, f"The return is {found.status}")
            self._set_return(found, "REFUND_OR_RETURN_REQUEST_REJECT")
        return {}

    def _set_return(self, found: Return, status: str) -> None:
        found.status = status
        found.update_time = int(time.time())
        self.emit(
            found.shop_id,
            12,
            {
                "order_id": found.order_id,
                "return_role": found.role,
                "return_type": found.type,
                "return_status": status,
                "return_id": found.id,
                "create_time": found.create_time,
                "update_time": found.update_time,
            },
        )

    # --- shared order mechanics ---------------------------------------------------------------

    def _set_status(self, order: Order, status: str) -> None:
        order.status = status
        order.update_time = int(time.time())
        self.emit(
            order.shop_id,
            1,
            {
                "order_id": order.id,
                "order_status": WEBHOOK_STATUS.get(status, status),
                "is_on_hold_order": order.is_on_hold_order,
                "update_time": order.update_time,
            },
        )

    def _restock(self, order: Order, line_ids: list[str]) -> None:
        index = self.state.sku_index(order.shop_id)
        for line in order.line_items:
            if line["id"] in line_ids and line["display_status"] != "CANCELLED" and line["sku_id"] in index:
                _, sku = index[line["sku_id"]]
                sku.inventory[order.warehouse_id] = sku.inventory.get(order.warehouse_id, 0) + 1

    # --- the scripted buyer (Python API) -------------------------------------------------------

    def place_order(
        self,
        shop_id: str,
        items: list[tuple[str, int]] | list[dict[str, Any]],
        *,
        scenario: str = "paid",
        fbt: bool = False,
        masked: bool | None = None,
        shipping_fee: str = "0.00",
        tax: str = "0.00",
        buyer_message: str = "",
        seller_shipping: bool = True,
        warehouse_id: str | None = None,
    ) -> dict[str, Any]:
        """A buyer checks out (from ``warehouse_id``, else the shop's default warehouse). ``items``
        are (sku_id, quantity) pairs (one line item per unit).

        Scenarios: ``paid`` (AWAITING_SHIPMENT at once), ``unpaid`` (stays UNPAID until
        :meth:`pay_order`), ``unpaid_then_paid`` (pays after ``unpaid_pay_after_s``, scaled),
        ``on_hold`` (ON_HOLD, released after ``hold_s`` scaled or by :meth:`release_hold`).
        ``fbt``: fulfilled by TikTok (masked address, TikTok ships). ``seller_shipping``: the
        seller ships with its own carrier (shipping_type SELLER) rather than TikTok's labels.
        """
        if scenario not in ("paid", "unpaid", "unpaid_then_paid", "on_hold"):
            raise ValueError(f"unknown scenario {scenario}")
        pairs = [
            (str(i["sku_id"]), int(i.get("quantity", 1))) if isinstance(i, dict) else (str(i[0]), int(i[1]))
            for i in items
        ]
        if not pairs or any(q < 1 for _, q in pairs):
            raise ValueError("an order needs at least one unit of each listed SKU")
        with self.state.lock:
            shop = self.state.shops[shop_id]
            warehouse = shop.warehouse(warehouse_id) if warehouse_id else shop.default_warehouse()
            if warehouse is None:
                raise ValueError(f"unknown warehouse {warehouse_id} in shop {shop_id}")
            index = self.state.sku_index(shop_id)
            wanted: dict[str, int] = {}
            for sku_id, quantity in pairs:
                wanted[sku_id] = wanted.get(sku_id, 0) + quantity
            for sku_id, quantity in wanted.items():
                if sku_id not in index:
                    raise ValueError(f"unknown SKU {sku_id} in shop {shop_id}")
                product, sku = index[sku_id]
                if product.status != "ACTIVATE":
                    raise ValueError(f"product {product.id} is {product.status}, buyers cannot order it")
                if sku.inventory.get(warehouse.id, 0) < quantity:
                    raise ValueError(f"SKU {sku_id} has {sku.inventory.get(warehouse.id, 0)} left, {quantity} wanted")
            now = int(time.time())
            order = Order(
                id=self.state.new_id(57),
                shop_id=shop_id,
                status="UNPAID",
                line_items=[],
                payment={},
                recipient_address=dict(_MASKED if (masked if masked is not None else fbt) else _ADDRESS),
                create_time=now,
                update_time=now,
                user_id=self.state.new_id(76),
                buyer_email=f"v{uuid.uuid4().hex[:12]}@scs.tiktokw.us",
                fulfillment_type="FULFILLMENT_BY_TIKTOK" if fbt else "FULFILLMENT_BY_SELLER",
                shipping_type="TIKTOK" if fbt or not seller_shipping else "SELLER",
                warehouse_id=warehouse.id,
                buyer_message=buyer_message,
            )
            options = self.delivery_options(shop)
            order.delivery_option_id = options[2]["id"] if order.shipping_type == "SELLER" else options[0]["id"]
            subtotal = Decimal("0")
            for sku_id, quantity in pairs:
                product, sku = index[sku_id]
                sku.inventory[warehouse.id] -= quantity
                for _ in range(quantity):
                    subtotal += sku.price
                    order.line_items.append(
                        {
                            "id": self.state.new_id(57),
                            "product_id": product.id,
                            "product_name": product.body.get("title"),
                            "sku_id": sku.id,
                            "seller_sku": sku.seller_sku,
                            "sku_name": ", ".join(str(a.get("value_name") or "") for a in sku.sales_attributes),
                            "sku_image": "",
                            "original_price": str(sku.price),
                            "sale_price": str(sku.price),
                            "seller_discount": "0.00",
                            "platform_discount": "0.00",
                            "currency": sku.currency,
                            "item_tax": [],
                            "display_status": "UNPAID",
                            "package_id": None,
                            "package_status": None,
                            "tracking_number": None,
                            "cancel_reason": None,
                            "is_gift": False,
                        }
                    )
            total = subtotal + Decimal(shipping_fee) + Decimal(tax)
            order.payment = {
                "currency": shop.currency,
                "sub_total": str(subtotal),
                "shipping_fee": shipping_fee,
                "tax": tax,
                "product_tax": tax,
                "total_amount": str(total),
                "original_total_product_price": str(subtotal),
                "seller_discount": "0.00",
                "platform_discount": "0.00",
                "retail_delivery_fee": "0.00",
                "original_shipping_fee": shipping_fee,
                "shipping_fee_seller_discount": "0.00",
                "shipping_fee_platform_discount": "0.00",
            }
            self.state.orders[order.id] = order
            self._set_status(order, "UNPAID")
            if scenario == "paid":
                self._pay(order)
            elif scenario == "on_hold":
                self._pay(order, hold=True)
            elif scenario == "unpaid_then_paid":
                order_id = order.id
                self.scheduler.call_later(self.scaled(self.config.unpaid_pay_after_s), lambda: self.pay_order(order_id))
            return order.json()

    def _pay(self, order: Order, *, hold: bool = False) -> None:
        now = int(time.time())
        order.paid_time = now
        for line in order.line_items:
            line["display_status"] = "AWAITING_SHIPMENT"
        if hold:
            order.is_on_hold_order = True
            self._set_status(order, "ON_HOLD")
            order_id = order.id
            self.scheduler.call_later(self.scaled(self.config.hold_s), lambda: self.release_hold(order_id))
            return
        self._open_package(order)
        self._set_status(order, "AWAITING_SHIPMENT")

    def _open_package(self, order: Order) -> None:
        if order.package_ids:
            return
        now = int(time.time())
        package = Package(
            self.state.new_id(11),
            order.shop_id,
            order.id,
            [line["id"] for line in order.line_items],
            create_time=now,
            update_time=now,
        )
        self.state.packages[package.id] = package
        order.package_ids.append(package.id)
        for line in order.line_items:
            line.update(package_id=package.id, package_status="TO_FULFILL")

    def pay_order(self, order_id: str) -> dict[str, Any]:
        with self.state.lock:
            order = self.state.orders[order_id]
            if order.status == "UNPAID":
                self._pay(order)
            return order.json()

    def release_hold(self, order_id: str) -> dict[str, Any]:
        with self.state.lock:
            order = self.state.orders[order_id]
            if order.status == "ON_HOLD":
                order.is_on_hold_order = False
                self._open_package(order)
                self._set_status(order, "AWAITING_SHIPMENT")
            return order.json()

    def advance_order(self, order_id: str, status: str) -> dict[str, Any]:
        """Move an order along (the carrier picks up, delivers; the order completes)."""
        allowed = ("AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED")
        if status not in allowed:
            raise ValueError(f"advance to one of {allowed}")
        with self.state.lock:
            order = self.state.orders[order_id]
            if order.status in ("UNPAID", "ON_HOLD", "CANCELLED"):
                raise ValueError(f"order {order_id} is {order.status}")
            if status == "AWAITING_COLLECTION" or order.status in SHIPPABLE:
                for package in [p for p in self.state.packages.values() if p.order_id == order.id]:
                    if package.status == "PROCESSING":
                        shop = self.state.shops[order.shop_id]
                        self._ship(order, package, "TT" + package.id[-10:], self.shipping_providers(shop)[0])
            if status != order.status:
                if status in ("DELIVERED", "COMPLETED"):
                    for package in self.state.packages.values():
                        if package.order_id == order.id and package.status == "FULFILLING":
                            package.status = "COMPLETED"
                    for line in order.line_items:
                        if line["display_status"] != "CANCELLED":
                            line["display_status"] = status
                self._set_status(order, status)
            return order.json()

    def buyer_cancel(self, order_id: str, reason: str = "No longer needed") -> dict[str, Any]:
        """The buyer cancels: at once while UNPAID / ON_HOLD, as a request once AWAITING_SHIPMENT."""
        with self.state.lock:
            order = self.state.orders[order_id]
            now = int(time.time())
            open_ids = [line["id"] for line in order.line_items if line["display_status"] != "CANCELLED"]
            if order.status not in ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT"):
                raise ValueError(f"a buyer cannot cancel an order in status {order.status}")
            cancellation = Cancellation(
                self.state.new_id(40),
                order.shop_id,
                order.id,
                "CANCELLATION_REQUEST_PENDING",
                "BUYER_CANCEL",
                "BUYER",
                reason,
                open_ids,
                now,
                now,
            )
            self.state.cancellations[cancellation.id] = cancellation
            if order.status == "AWAITING_SHIPMENT":  # a request the seller approves or rejects
                order.is_buyer_request_cancel = True
                order.update_time = now
                self._emit_cancellation(cancellation)
            else:  # before shipment is due the buyer cancels at once
                self._complete_cancellation(cancellation, order)
            return self.cancellation_json(cancellation)

    def buyer_request_return(
        self,
        order_id: str,
        return_type: str = "REFUND",
        line_item_ids: list[str] | None = None,
        reason: str = "Item not as described",
    ) -> dict[str, Any]:
        if return_type not in ("REFUND", "RETURN_AND_REFUND"):
            raise ValueError("return_type is REFUND or RETURN_AND_REFUND")
        with self.state.lock:
            order = self.state.orders[order_id]
            if order.status not in ("AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"):
                raise ValueError(f"no return for an order in status {order.status}")
            lines = [line for line in order.line_items if not line_item_ids or line["id"] in line_item_ids]
            now = int(time.time())
            found = Return(
                self.state.new_id(41),
                order.shop_id,
                order.id,
                "RETURN_OR_REFUND_REQUEST_PENDING",
                return_type,
                "BUYER",
                reason,
                [line["id"] for line in lines],
                sum((Decimal(line["sale_price"]) for line in lines), Decimal("0")),
                order.payment["currency"],
                now,
                now,
            )
            self.state.returns[found.id] = found
            self._set_return(found, found.status)
            return self.return_json(found)

    def buyer_ship_return(self, return_id: str) -> dict[str, Any]:
        with self.state.lock:
            found = self.state.returns[return_id]
            if found.status != "AWAITING_BUYER_SHIP":
                raise ValueError(f"return {return_id} is {found.status}")
            self._set_return(found, "BUYER_SHIPPED_ITEM")
            return self.return_json(found)

    def complete_return(self, return_id: str) -> dict[str, Any]:
        """The seller received the item (or TikTok decided): the refund is done."""
        with self.state.lock:
            found = self.state.returns[return_id]
            if found.status not in (
                "BUYER_SHIPPED_ITEM",
                "AWAITING_BUYER_SHIP",
                "RETURN_OR_REFUND_REQUEST_PENDING",
            ):
                raise ValueError(f"return {return_id} is {found.status}")
            self._set_return(found, "RETURN_OR_REFUND_REQUEST_COMPLETE")
            return self.return_json(found)

    def change_address(self, order_id: str) -> dict[str, Any]:
        """The buyer edits the shipping address before shipment (webhook 3)."""
        with self.state.lock:
            order = self.state.orders[order_id]
            order.recipient_address = {
                **order.recipient_address,
                "address_line2": "Suite 12",
                "full_address": order.recipient_address["full_address"].replace("Apt 5", "Suite 12"),
            }
            order.update_time = int(time.time())
            self.emit(order.shop_id, 3, {"order_id": order.id, "update_time": order.update_time})
            return order.json()

    def order(self, order_id: str) -> dict[str, Any]:
        with self.state.lock:
            return self.state.orders[order_id].json()


def _tracking(body: dict[str, Any]) -> str:
    tracking = str(body.get("tracking_number") or "")
    if not tracking:
        raise c.ApiError(c.BAD_PARAMETER, "param body.tracking_number is missing", 400)
    return tracking


def _shipping_info(body: dict[str, Any]) -> dict[str, Any]:
    """The one entry of a 202610 ``shipping_info_list`` (several tracking numbers for one item are
    for sellers TikTok allow-lists, which the sandbox's sellers are not)."""
    _refuse_fields(body, ("tracking_number", "shipping_provider_id"), "202610 (use shipping_info_list)")
    entries = body.get("shipping_info_list")
    if not isinstance(entries, list) or not entries:
        raise c.ApiError(c.BAD_PARAMETER, "param body.shipping_info_list is missing", 400)
    if len(entries) > 1:
        raise c.ApiError(c.BAD_PARAMETER, "shipping_info_list takes one tracking number for this seller", 400)
    if not isinstance(entries[0], dict):
        raise c.ApiError(c.BAD_PARAMETER, "shipping_info_list entries are objects", 400)
    return entries[0]


def _refuse_fields(body: dict[str, Any], names: tuple[str, ...], version: str) -> None:
    """A field of another version is refused, so a request in the wrong shape cannot pass unnoticed."""
    for name in names:
        if name in body:
            raise c.ApiError(c.BAD_PARAMETER, f"param body.{name} is not a parameter of version {version}", 400)
