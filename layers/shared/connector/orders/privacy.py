"""The store platforms' privacy requests, for the data this connector holds.

What we hold about a buyer is little: an order record per relayed order (TikTok order id, store
order id, amounts, line summaries, a keyed hash of TikTok's buyer id as ``buyer_ref``, the
tracking number); never a name, address, e-mail or phone. So:

- a **data request** (a buyer asked the merchant what is held about them) is answered by a
  report to the operator: one ``PRIVACY#<request>`` item in the connection's partition naming the
  orders asked about that we hold and which of their fields are about the buyer, and a log line
  with the counts (ids only). The operator passes it to the merchant.
- a **customer erasure** removes ``buyer_ref`` and the tracking number from the records of the
  orders named (the order itself stays: the merchant's books need it).
- a **store erasure** (sent some time after the app was removed) deletes every item of the
  connection. It is refused while the connection is not disconnected: a store that installed
  the app again is not erased by a late or replayed request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector import dynamo, keys, metrics
from connector.observability import count, logger

if TYPE_CHECKING:
    from connector.connections.lifecycle import Collaborators
    from connector.connections.models import EventMessage
    from connector.orders.order_record import OrderRecord

#: Fields of an order record that are about its buyer.
BUYER_FIELDS = ("buyer_ref", "tracking_number")
#: How long a data-request report is kept (the operator has 30 days to answer; kept for a year).
REPORT_TTL_S = 365 * 24 * 3600


def _named_orders(message: EventMessage) -> set[str]:
    return {o for o in message.entity_ids.get("orders", "").split(",") if o}


def _held(c: Collaborators, connection_id: str, store_order_ids: set[str]) -> list[OrderRecord]:
    from connector.orders.records import OrderRepository

    if not store_order_ids:
        return []
    orders = OrderRepository(c.repo.table_name)
    return [r for r in orders.all(connection_id) if r.store_order_id in store_order_ids]


def on_data_request(message: EventMessage, c: Collaborators) -> str:
    """Report to the operator what we hold for the orders the buyer's request names."""
    held = _held(c, message.connection_id, _named_orders(message))
    request_id = message.entity_ids.get("data_request_id") or message.event_id
    now = int(c.clock())
    orders: list[dict[str, Any]] = [{
        "tiktok_order_id": r.tiktok_order_id, "store_order_id": r.store_order_id or "",
        "buyer_fields_held": [f for f in BUYER_FIELDS if getattr(r, f)],
    } for r in held]
    report = {keys.PK: keys.conn_pk(message.connection_id), keys.SK: keys.privacy_report_sk(request_id),
              "kind": "customer_data_request", "request_id": request_id, "source": message.source,
              "customer_id": message.entity_ids.get("entity_id", ""), "orders_named": len(_named_orders(message)),
              "orders_held": orders, "received_at": now, keys.TTL_ATTRIBUTE: now + REPORT_TTL_S}
    c.repo.client.put_item(TableName=c.repo.table_name, Item=dynamo.to_item(report))
    count(metrics.PRIVACY_DATA_REQUEST)
    logger().warning("privacy data request: report for the operator", extra={
        "connection_id": message.connection_id, "request_id": request_id, "orders_held": len(orders),
        "report_key": keys.privacy_report_sk(request_id)})
    return f"privacy_reported:{len(orders)}"


def on_customer_redact(message: EventMessage, c: Collaborators) -> str:
    """Erase the buyer's details from the records of the orders named."""
    from connector.orders.records import OrderRepository

    orders = OrderRepository(c.repo.table_name)
    now = int(c.clock())
    erased = sum(1 for r in _held(c, message.connection_id, _named_orders(message))
                 if orders.erase_buyer_details(message.connection_id, r.tiktok_order_id, now))
    count(metrics.PRIVACY_CUSTOMER_REDACTED, erased)
    logger().info("privacy: buyer details erased", extra={"connection_id": message.connection_id,
                                                          "orders": erased})
    return f"privacy_redacted:{erased}"


def on_shop_redact(message: EventMessage, c: Collaborators) -> str:
    """Erase everything of the store: only once the app is removed (the connection disconnected)."""
    connection = c.repo.get(message.connection_id)
    if connection is None:
        return "privacy_shop_gone"
    if connection.state != "disconnected":
        count(metrics.PRIVACY_SHOP_REDACT_REFUSED)
        logger().warning("privacy: store erasure refused, the store is connected", extra={
            "connection_id": message.connection_id, "state": connection.state})
        return "privacy_shop_connected"
    deleted = c.repo.purge(message.connection_id)
    count(metrics.PRIVACY_SHOP_REDACTED)
    logger().info("privacy: store erased", extra={"connection_id": message.connection_id, "deleted_items": deleted})
    return f"privacy_shop_erased:{deleted}"
