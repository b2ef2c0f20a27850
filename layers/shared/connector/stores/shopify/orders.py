"""Orders on a Shopify shop: create once per TikTok order, find again, fulfil, cancel, refund,
change the address.

- ``orderCreate`` takes ``options.inventoryBehaviour``; Shopify's default, ``BYPASS``, moves no
  stock. ``DECREMENT_IGNORING_POLICY`` claims the stock once, when the order is made, even when
  the count is short: the buyer has paid on TikTok, so the order must exist (an oversell shows as
  a negative count for the merchant to see). Nothing else in the adapter moves stock for an
  order.
- Before creating, the shop is searched by ``source_identifier``; an order found is returned.
  Shopify takes no idempotency key on ``orderCreate``, so a failure that leaves it unknown whether
  the order was made raises :class:`AmbiguousWrite` and is never retried here: the next call's
  search finds the order if it was made.
- Fulfilment goes through the order's fulfillment orders (``fulfillmentCreate`` with tracking);
  fulfillment orders already closed mean the order is fulfilled, so a repeated call makes no second
  fulfilment.
- ``orderCancel`` (an asynchronous job on Shopify) is sent only while ``cancelledAt`` is empty, with
  ``restock`` as asked: Shopify puts the claimed units back, once. The money was TikTok's, so the
  cancellation refunds nothing (``refundMethod.originalPaymentMethodsRefund: false``).
- A full refund is recorded with ``refundCreate``: a REFUND transaction of what is still captured,
  against the sale on TikTok's gateway. A partial refund (the amount is TikTok's) is recorded as a
  refund without money, which the model reads as partially refunded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from connector.stores.errors import AmbiguousWrite, ServerError, StoreError, StoreNotFound, StoreValidationError
from connector.stores.protocol import Cancellation, Fulfilment, ShipTo, StoreOrder, StoreOrderDraft
from connector.stores.shopify import config, normalize, order_shapes
from connector.stores.shopify.stock import user_errors
from connector.stores.shopify.transport import ShopifyTransport

logger = logging.getLogger(__name__)

INVENTORY_BEHAVIOUR = "DECREMENT_IGNORING_POLICY"
SEARCH_PAGE = 25
CANCEL_POLLS = 10
CANCEL_POLL_S = 0.5

ORDER = f"""query Order($id: ID!) {{
  order(id: $id) {{{order_shapes.ORDER_FIELDS}
  }}
}}"""

SEARCH = """query OrdersBySource($query: String!, $first: Int!, $after: String) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id sourceIdentifier createdAt }
  }
}"""

CREATE = f"""mutation CreateOrder($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {{
  orderCreate(order: $order, options: $options) {{
    order {{{order_shapes.ORDER_FIELDS}
    }}
    userErrors {{ field message code }}
  }}
}}"""

FULFILMENT_ORDERS = """query FulfilmentOrders($id: ID!) {
  order(id: $id) {
    id cancelledAt
    lineItems(first: 100) { nodes { id variant { id } } }
    fulfillments(first: 10) { id }
    fulfillmentOrders(first: 5) {
      nodes { id status lineItems(first: 50) { nodes { id remainingQuantity lineItem { id } } } }
    }
  }
}"""

FULFIL = """mutation Fulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}"""

DELIVERED = """mutation MarkDelivered($event: FulfillmentEventInput!) {
  fulfillmentEventCreate(fulfillmentEvent: $event) {
    fulfillmentEvent { id status }
    userErrors { field message }
  }
}"""

CANCEL_STATE = """query CancelState($id: ID!) {
  order(id: $id) { id cancelledAt }
}"""

CANCEL = """mutation CancelOrder($id: ID!, $restock: Boolean!, $note: String) {
  orderCancel(orderId: $id, reason: OTHER, refundMethod: {originalPaymentMethodsRefund: false},
              restock: $restock, notifyCustomer: false, staffNote: $note) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}"""

REFUND_STATE = """query RefundState($id: ID!) {
  order(id: $id) {
    id displayFinancialStatus currencyCode
    refunds(first: 10) { id }
    transactions(first: 50) { id kind status gateway amountSet { shopMoney { amount } } }
  }
}"""

REFUND = """mutation RecordRefund($input: RefundInput!) {
  refundCreate(input: $input) {
    refund { id }
    userErrors { field message }
  }
}"""

UPDATE_ADDRESS = """mutation UpdateShipTo($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id }
    userErrors { field message }
  }
}"""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _nodes(value: object) -> list[dict[str, Any]]:
    nodes = _dict(value).get("nodes")
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def _amount(transaction: dict[str, Any]) -> Decimal:
    try:
        return Decimal(str(_dict(_dict(transaction.get("amountSet")).get("shopMoney")).get("amount")))
    except ArithmeticError:
        return Decimal("0")


class ShopifyOrders:
    def __init__(self, api: ShopifyTransport, sleep: Callable[[float], None]) -> None:
        self._api = api
        self._sleep = sleep

    # -- reading ------------------------------------------------------------------------------------

    def get_order(self, order_ext_id: str) -> StoreOrder:
        data = self._api.execute(ORDER, {"id": normalize.gid("Order", order_ext_id)})
        node = data.get("order")
        if not isinstance(node, dict):
            raise StoreNotFound(f"shopify order {normalize.number(order_ext_id)} not found", platform=config.PLATFORM)
        return order_shapes.order(node)

    def find_orders_by_tiktok_id(self, tiktok_order_id: str) -> list[StoreOrder]:
        if not tiktok_order_id or not tiktok_order_id.replace("-", "").isalnum():
            raise StoreValidationError("shopify order search: a TikTok order id is letters and digits",
                                       platform=config.PLATFORM)
        matches: list[tuple[str, int, str]] = []
        strangers = 0
        after: str | None = None
        while True:
            data = self._api.execute(SEARCH, {"query": f"source_identifier:'{tiktok_order_id}'",
                                              "first": SEARCH_PAGE, "after": after})
            connection = _dict(data.get("orders"))
            for node in _nodes(connection):
                if node.get("sourceIdentifier") == tiktok_order_id:  # never trust the filter alone
                    number = normalize.number(node.get("id"), "order id")
                    matches.append((str(node.get("createdAt") or ""), int(number), number))
                else:
                    strangers += 1
            info = _dict(connection.get("pageInfo"))
            after = info.get("endCursor") if isinstance(info.get("endCursor"), str) else None
            if not info.get("hasNextPage") or after is None:
                break
        if strangers:
            logger.warning("shopify order search returned orders of other source identifiers",
                           extra={"unrelated": strangers})
        return [self.get_order(number) for _, _, number in sorted(matches)]

    def find_order_by_tiktok_id(self, tiktok_order_id: str) -> StoreOrder | None:
        found = self.find_orders_by_tiktok_id(tiktok_order_id)
        if len(found) > 1:
            logger.warning("several shopify orders carry one tiktok order id",
                           extra={"orders": [o.ext_id for o in found]})
        return found[0] if found else None

    # -- creating -----------------------------------------------------------------------------------

    def create_order(self, draft: StoreOrderDraft) -> StoreOrder:
        existing = self.find_order_by_tiktok_id(draft.tiktok_order_id)
        if existing is not None:
            return existing
        variables = {"order": order_shapes.order_input(draft),
                     "options": {"inventoryBehaviour": INVENTORY_BEHAVIOUR, "sendReceipt": draft.notify_customer,
                                 "sendFulfillmentReceipt": False}}
        try:
            data = self._api.execute(CREATE, variables, idempotent=False)
        except ServerError as exc:
            raise AmbiguousWrite(
                f"shopify orderCreate for tiktok order {draft.tiktok_order_id}: {exc.code} "
                f"({exc.platform_code or exc.http_status}); the order may exist",
                platform=config.PLATFORM, http_status=exc.http_status, platform_code=exc.platform_code,
            ) from None
        payload = _dict(data.get("orderCreate"))
        user_errors(payload, f"shopify orderCreate for tiktok order {draft.tiktok_order_id}", with_message=False)
        node = payload.get("order")
        if isinstance(node, dict):
            return order_shapes.order(node)
        try:
            found = self.find_order_by_tiktok_id(draft.tiktok_order_id)
        except StoreError:
            found = None
        if found is None:
            raise AmbiguousWrite(f"shopify orderCreate for tiktok order {draft.tiktok_order_id}: no order in the "
                                 "answer", platform=config.PLATFORM)
        return found

    # -- fulfilling ---------------------------------------------------------------------------------

    def fulfil_order(self, fulfilment: Fulfilment) -> StoreOrder:
        order_gid = normalize.gid("Order", fulfilment.order_ext_id)
        node = self._api.execute(FULFILMENT_ORDERS, {"id": order_gid}).get("order")
        if not isinstance(node, dict):
            raise StoreNotFound(f"shopify order {fulfilment.order_ext_id} not found", platform=config.PLATFORM)
        if node.get("cancelledAt") is not None:
            raise StoreValidationError(f"shopify order {fulfilment.order_ext_id} is cancelled: nothing to fulfil",
                                       platform=config.PLATFORM, platform_code="order_cancelled")
        wanted: dict[str, int] | None = None
        if fulfilment.lines:
            by_variant = {normalize.number(_dict(li.get("variant")).get("id"), "variant id"): li["id"]
                          for li in _nodes(node.get("lineItems")) if _dict(li.get("variant")).get("id")}
            wanted = {}
            for line in fulfilment.lines:
                line_item = by_variant.get(line.variant_key or "")
                if line_item is None:
                    raise StoreValidationError(f"shopify order {fulfilment.order_ext_id}: no line for variant "
                                               f"{line.variant_key}", platform=config.PLATFORM)
                wanted[line_item] = wanted.get(line_item, 0) + line.quantity
        groups = []
        for fo in _nodes(node.get("fulfillmentOrders")):
            if fo.get("status") not in ("OPEN", "IN_PROGRESS"):
                continue
            items = []
            for fo_line in _nodes(fo.get("lineItems")):
                remaining = int(fo_line.get("remainingQuantity") or 0)
                line_item = _dict(fo_line.get("lineItem")).get("id")
                if remaining <= 0:
                    continue
                if wanted is None:
                    items.append({"id": fo_line["id"], "quantity": remaining})
                elif line_item in wanted and wanted[line_item] > 0:
                    take = min(remaining, wanted[line_item])
                    wanted[line_item] -= take
                    items.append({"id": fo_line["id"], "quantity": take})
            if items:
                groups.append({"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": items})
        if groups:
            tracking = {"number": fulfilment.tracking_number}
            if fulfilment.carrier:
                tracking["company"] = fulfilment.carrier
            if fulfilment.tracking_url:
                tracking["url"] = fulfilment.tracking_url
            data = self._api.execute(FULFIL, {"fulfillment": {
                "lineItemsByFulfillmentOrder": groups, "trackingInfo": tracking, "notifyCustomer": False}},
                idempotent=False)
            payload = _dict(data.get("fulfillmentCreate"))
            user_errors(payload, f"shopify fulfillmentCreate for order {fulfilment.order_ext_id}",
                        with_message=False)
            made = _dict(payload.get("fulfillment")).get("id")
        else:  # nothing left open: already fulfilled (a repeated call)
            previous = [f for f in node.get("fulfillments") or [] if isinstance(f, dict)]
            made = previous[-1].get("id") if previous else None
        if fulfilment.delivered and isinstance(made, str):
            data = self._api.execute(DELIVERED, {"event": {"fulfillmentId": made, "status": "DELIVERED"}})
            user_errors(_dict(data.get("fulfillmentEventCreate")), "shopify MarkDelivered")
        return self.get_order(fulfilment.order_ext_id)

    # -- cancelling, refunding, the address ---------------------------------------------------------

    def _cancelled(self, order_gid: str) -> bool:
        node = self._api.execute(CANCEL_STATE, {"id": order_gid}).get("order")
        if not isinstance(node, dict):
            raise StoreNotFound(f"shopify order {normalize.number(order_gid)} not found", platform=config.PLATFORM)
        return node.get("cancelledAt") is not None

    def cancel_order(self, cancellation: Cancellation) -> StoreOrder:
        order_gid = normalize.gid("Order", cancellation.order_ext_id)
        if self._cancelled(order_gid):
            return self.get_order(cancellation.order_ext_id)
        data = self._api.execute(CANCEL, {"id": order_gid, "restock": cancellation.restock,
                                          "note": cancellation.reason[:255] or None}, idempotent=False)
        payload = _dict(data.get("orderCancel"))
        if payload.get("orderCancelUserErrors") and not self._cancelled(order_gid):
            user_errors(payload, f"shopify orderCancel for order {cancellation.order_ext_id}",
                        key="orderCancelUserErrors")
        for _poll in range(CANCEL_POLLS):  # the cancellation is a job: wait for it to land
            if self._cancelled(order_gid):
                break
            self._sleep(CANCEL_POLL_S)
        return self.get_order(cancellation.order_ext_id)

    def mark_refunded(self, order_ext_id: str, *, partial: bool = False) -> StoreOrder:
        order_gid = normalize.gid("Order", order_ext_id)
        node = self._api.execute(REFUND_STATE, {"id": order_gid}).get("order")
        if not isinstance(node, dict):
            raise StoreNotFound(f"shopify order {order_ext_id} not found", platform=config.PLATFORM)
        transactions = [t for t in node.get("transactions") or []
                        if isinstance(t, dict) and t.get("status") == "SUCCESS"]
        sales = [t for t in transactions if t.get("kind") in ("SALE", "CAPTURE")]
        outstanding = sum((_amount(t) for t in sales), Decimal("0")) - sum(
            (_amount(t) for t in transactions if t.get("kind") == "REFUND"), Decimal("0"))
        refund: dict[str, Any] = {"orderId": order_gid, "notify": False}
        if partial:
            if node.get("refunds") or node.get("displayFinancialStatus") in ("REFUNDED", "PARTIALLY_REFUNDED"):
                return self.get_order(order_ext_id)
            refund["note"] = "Partially refunded on TikTok Shop"
        else:
            if outstanding <= 0 or not sales:
                return self.get_order(order_ext_id)
            refund["note"] = "Refunded on TikTok Shop"
            refund["transactions"] = [{"orderId": order_gid, "parentId": sales[0]["id"], "amount": outstanding,
                                       "gateway": str(sales[0].get("gateway") or order_shapes.GATEWAY),
                                       "kind": "REFUND"}]
        data = self._api.execute(REFUND, {"input": refund}, idempotent=False)
        user_errors(_dict(data.get("refundCreate")), f"shopify refundCreate for order {order_ext_id}",
                    with_message=False)
        return self.get_order(order_ext_id)

    def update_ship_to(self, order_ext_id: str, ship_to: ShipTo) -> StoreOrder:
        data = self._api.execute(UPDATE_ADDRESS, {"input": {
            "id": normalize.gid("Order", order_ext_id), "shippingAddress": order_shapes.mailing_address(ship_to)}})
        user_errors(_dict(data.get("orderUpdate")), f"shopify orderUpdate for order {order_ext_id}",
                    with_message=False)
        return self.get_order(order_ext_id)
