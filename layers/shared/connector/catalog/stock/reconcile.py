"""The reconciliation schedule: compares the store with what was last sent and queues the
products that differ, so a lost webhook costs minutes, not a day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connector.catalog.stock.levels import plan_stock
from connector.catalog.stock.requests import StockMessage, send_all
from connector.observability import logger

if TYPE_CHECKING:
    from connector.links import SkuLink
from connector.catalog.stock.sync import StockDeps

RECONCILE_OVERLAP_S = 600


FULL_RECONCILE_EVERY_S = 6 * 3600


#: Every syncing connection is in the token-refresh index (gsi3 ``REFRESH``): its key sorts
#: below this, so "expiring before the end of time" lists them all.
_ALL_CONNECTIONS = 999_999_999_999


def enqueue_reconciliation(deps: StockDeps, correlation_id: str) -> dict[str, int]:
    """The schedule: one reconcile message per syncing connection (the worker does the rest)."""
    messages = []
    for connection_id in dict.fromkeys(deps.c.repo.due_for_refresh(_ALL_CONNECTIONS)):
        connection = deps.c.repo.get(connection_id)
        if connection is not None and connection.syncing:
            messages.append(StockMessage(action="reconcile", connection_id=connection_id,
                                         correlation_id=correlation_id, reason="reconcile"))
    send_all(messages, sender=deps.sender, queue_url=deps.queue_url)
    return {"connections": len(messages)}


def reconcile_connection(deps: StockDeps, connection_id: str, correlation_id: str) -> dict[str, Any]:
    """Compare the store (changed since the last run, everything every few hours) with what was
    last sent; queue each linked product whose figure or threshold state differs."""
    connection = deps.c.repo.get(connection_id)
    if connection is None or not connection.syncing:
        return {"skipped": "connection_not_syncing"}
    now = deps.clock()
    cursor = deps.states.reconcile_cursor(connection_id)
    full = "last_full_at" not in cursor or now - cursor["last_full_at"] >= FULL_RECONCILE_EVERY_S
    since = None if full or "last_run_at" not in cursor else datetime.fromtimestamp(
        cursor["last_run_at"] - RECONCILE_OVERLAP_S, UTC)
    links: dict[str, list[SkuLink]] = {}
    for link in deps.links.all(connection_id):
        links.setdefault(link.store_product_id, []).append(link)
    if not links:
        deps.states.set_reconcile_cursor(connection_id, last_run_at=now, last_full_at=now if full else
                                         cursor.get("last_full_at"))
        return {"checked": 0, "queued": 0, "full": full}
    states = {s.store_product_id: s for s in deps.states.all(connection_id)}
    overrides = {r.store_product_id: dict(r.sync_overrides) for r in deps.products.all(connection_id)
                 if r.sync_overrides}
    settings = deps.settings.get(connection_id)
    pending = deps.pending_units(connection_id)
    checked, stale = 0, []
    for product in deps.c.store_for(connection).list_products(updated_since=since):
        product_links = links.get(product.ext_id)
        if not product_links:
            continue
        checked += 1
        plan = plan_stock(product, product_links, pending, settings.stock, overrides.get(product.ext_id))
        state = states.get(product.ext_id)
        if settings.sync_rules.merged(overrides.get(product.ext_id)).stock in ("none", "tiktok"):
            continue
        if state is None or plan.deactivate != state.deactivated \
                or any(state.sent.get(sku) != qty for sku, qty in plan.quantities().items()):
            stale.append(product.ext_id)
    send_all([StockMessage(connection_id=connection_id, store_product_id=pid, correlation_id=correlation_id,
                           reason="reconcile", requested_at=now) for pid in stale],
             sender=deps.sender, queue_url=deps.queue_url)
    deps.states.set_reconcile_cursor(connection_id, last_run_at=now,
                                     last_full_at=now if full else cursor.get("last_full_at"))
    logger().info("stock reconciled", extra={"connection_id": connection_id, "checked": checked,
                                             "queued": len(stale), "full": full})
    return {"checked": checked, "queued": len(stale), "full": full}
