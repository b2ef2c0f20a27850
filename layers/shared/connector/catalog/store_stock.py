"""A store's stock event that names something other than a product (Shopify's inventory levels
name an inventory item and a location): the store adapter says which product it is, or that the
change is at a location this connection does not sync (neither its own nor one mapped to a TikTok
warehouse); the product then goes to the stock sync
like any product change."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from connector.observability import count, logger

if TYPE_CHECKING:
    from connector.connections.lifecycle import Collaborators
    from connector.connections.models import EventMessage


def _ignored(message: EventMessage, reason: str) -> str:
    count(f"StockEventIgnored_{reason}")
    logger().info("stock event ignored", extra={"connection_id": message.connection_id, "source": message.source,
                                                "event_id": message.event_id, "reason": reason})
    return f"stock_ignored_{reason}"


def _mapped_locations(c: Collaborators) -> Callable[[str], Collection[str]]:
    from connector.catalog.stock.warehouses import mapped_locations
    from connector.settings import SettingsRepository

    return lambda connection_id: mapped_locations(
        SettingsRepository(c.repo.table_name).get(connection_id).stock.warehouses)


def on_stock_changed(message: EventMessage, c: Collaborators,
                     mapped: Callable[[str], Collection[str]] | None = None) -> str:
    """EVENT_HANDLERS hook for a store's ``stock_changed``: find the product, queue its stock sync.
    ``mapped``: connection id -> the store locations mapped to TikTok warehouses (default: the
    connection's settings)."""
    from connector.catalog.stock.events import on_product_changed
    from connector.stores.errors import StoreNotFound

    entity_id = message.entity_ids.get("entity_id")
    if not entity_id:
        return _ignored(message, "nothing_named")
    connection = c.repo.get(message.connection_id)
    if connection is None:
        return _ignored(message, "no_connection")
    details = {key: value for key, value in message.entity_ids.items() if key != "entity_id"}
    also = (mapped or _mapped_locations(c))(message.connection_id)
    try:
        product_id = c.store_for(connection).product_of_stock_change(entity_id, details, also)
    except StoreNotFound:
        return _ignored(message, "gone_from_store")
    if product_id is None:
        return _ignored(message, "unmapped_location")
    return on_product_changed(message.model_copy(update={"entity_ids": {"product_id": product_id}}), c)
