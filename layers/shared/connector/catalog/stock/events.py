"""What a store product change or a TikTok inventory webhook does to stock: the product is
queued for a stock sync; TikTok telling us of our own write changes nothing."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from connector.catalog.stock.requests import StockMessage

if TYPE_CHECKING:
    from connector.connections.lifecycle import Collaborators
    from connector.connections.models import EventMessage


def on_product_changed(message: EventMessage, c: Collaborators) -> str:
    """EVENT_HANDLERS hook for ("ecwid", "product_changed"): queue the product for a stock sync.
    Nothing else here (the catalog's own hook updates the listing): idempotent by design."""
    from connector.catalog.stock.requests import stock_queue_url

    product_id = message.entity_ids.get("entity_id") or message.entity_ids.get("product_id")
    if not product_id:
        return "stock_ignored_no_product"
    c.notifier.sender.send(stock_queue_url(), StockMessage(
        connection_id=message.connection_id, store_product_id=str(product_id), correlation_id=message.correlation_id,
        reason="store_event", requested_at=time.time()))
    return "stock_queued"


OWN_WRITE_WINDOW_S = 300


def on_tiktok_inventory(message: EventMessage, c: Collaborators) -> str:
    """EVENT_HANDLERS hook for TikTok's webhook 27 (a SKU went in / out of stock). Our own
    inventory writes come back here: recognised by the figure we sent moments ago,
    and nothing is done. Any other cause (a buyer's order on TikTok) is left to the order relay,
    whose pending units reach the stock through ``request_stock_sync``: the store stays the
    source of truth, so TikTok's figure is never copied back."""
    from connector.catalog.stock.state import StockStateRepository
    from connector.links import LinkRepository

    sku_id = message.entity_ids.get("sku_id")
    if not sku_id:
        return "stock_ignored_no_sku"
    link = LinkRepository(c.repo.table_name).by_tiktok_sku(message.connection_id, sku_id)
    if link is None:
        return "stock_unknown_sku"
    state = StockStateRepository(c.repo.table_name).get(message.connection_id, link.store_product_id)
    if state is not None and sku_id in state.sent and state.sent_at is not None \
            and c.clock() - state.sent_at < OWN_WRITE_WINDOW_S:
        return "stock_own_write"
    return "stock_tiktok_side_change"
