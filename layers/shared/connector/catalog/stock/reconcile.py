"""The reconciliation schedule: compares the store with what was last sent and queues the
products that differ, so a lost webhook costs minutes, not a day; then reads TikTok's own
figures back for the SKUs written lately and a rotating slice of the catalog
(:mod:`.check`) and syncs again, every figure sent, the products where TikTok shows another."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connector.catalog.stock.check import DEFAULT_RUN_GAP_S, CheckPlan, CheckResult, check_tiktok, plan_check
from connector.catalog.stock.requests import StockMessage, send_all
from connector.catalog.stock.sync import StockDeps
from connector.catalog.stock.warehouses import plan_product
from connector.observability import logger

if TYPE_CHECKING:
    from connector.catalog.stock.state import StockState
    from connector.links import SkuLink

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
    last sent; queue each linked product whose figure or threshold state differs (or whose last
    write may have raced a newer one). Then check TikTok's own figures (:mod:`.check`)."""
    connection = deps.c.repo.get(connection_id)
    if connection is None or not connection.syncing:
        return {"skipped": "connection_not_syncing"}
    now = deps.clock()
    cursor = deps.states.reconcile_cursor(connection_id)
    full = "last_full_at" not in cursor or now - cursor["last_full_at"] >= FULL_RECONCILE_EVERY_S
    since = None if full or "last_run_at" not in cursor else datetime.fromtimestamp(
        cursor["last_run_at"] - RECONCILE_OVERLAP_S, UTC)
    last_full = now if full else cursor.get("last_full_at")
    links: dict[str, list[SkuLink]] = {}
    for link in deps.links.all(connection_id):
        links.setdefault(link.store_product_id, []).append(link)
    if not links:
        deps.states.set_reconcile_cursor(connection_id, last_run_at=now, last_full_at=last_full,
                                         check_offset=int(cursor.get("check_offset", 0)))
        return {"checked": 0, "queued": 0, "full": full}
    states = {s.store_product_id: s for s in deps.states.all(connection_id)}
    overrides = {r.store_product_id: dict(r.sync_overrides) for r in deps.products.all(connection_id)
                 if r.sync_overrides}
    settings = deps.settings.get(connection_id)
    pending = deps.pending_by_warehouse(connection_id)
    shops = {s.shop_id: s for s in deps.c.repo.shops(connection_id)}
    synced = {pid: members for pid, members in links.items()
              if settings.sync_rules.merged(overrides.get(pid)).stock not in ("none", "tiktok")}
    checked, stale = 0, []
    planned: dict[str, dict[str, int]] = {}
    store = deps.c.store_for(connection)
    for product in store.list_products(updated_since=since):
        product_links = synced.get(product.ext_id)
        if not product_links:
            continue
        checked += 1
        plan = plan_product(store, product.ext_id, product_links, shops, settings,
                            overrides.get(product.ext_id) or {}, product, pending)
        planned[product.ext_id] = plan.figures
        state = states.get(product.ext_id)
        if state is None or plan.deactivate != state.deactivated or state.needs_resend \
                or any(state.sent.get(key) != qty for key, qty in plan.figures.items()):
            stale.append(product.ext_id)
    stale += [pid for pid, state in states.items() if pid in synced and state.needs_resend and pid not in stale]
    send_all([StockMessage(connection_id=connection_id, store_product_id=pid, correlation_id=correlation_id,
                           reason="reconcile", requested_at=now) for pid in stale],
             sender=deps.sender, queue_url=deps.queue_url)

    # TikTok's own figures: the SKUs written since the last run (with the overlap) and a slice.
    last_run = cursor.get("last_run_at")
    written_since = (last_run if last_run is not None else now - DEFAULT_RUN_GAP_S) - RECONCILE_OVERLAP_S
    recent = [link.tiktok_sku_id for pid, state in sorted(states.items()) if pid in synced
              and state.sent_at is not None and state.sent_at >= written_since for link in synced[pid]]
    all_skus = sorted(link.tiktok_sku_id for members in synced.values() for link in members)
    offset = int(cursor.get("check_offset", 0))
    plan_read = plan_check(all_skus, recent, offset, now - last_run if last_run is not None else DEFAULT_RUN_GAP_S)
    found = _check(deps, connection_id, correlation_id, synced, states, planned, stale, plan_read, now,
                   settings.stock.warehouses)
    redo = sorted(found.differing)
    send_all([StockMessage(connection_id=connection_id, store_product_id=pid, correlation_id=correlation_id,
                           reason="tiktok_differs", force=True, requested_at=now) for pid in redo],
             sender=deps.sender, queue_url=deps.queue_url)
    deps.states.set_reconcile_cursor(connection_id, last_run_at=now, last_full_at=last_full,
                                     check_offset=offset if found.error else plan_read.next_offset)
    summary = {"checked": checked, "queued": len(stale), "full": full, "tiktok_read": found.read,
               "tiktok_calls": found.calls, "tiktok_differs": len(redo)}
    logger().info("stock reconciled", extra={"connection_id": connection_id, **summary,
                                             "tiktok_error": found.error, "tiktok_missing": found.missing})
    return summary


def _check(deps: StockDeps, connection_id: str, correlation_id: str, links: dict[str, list[SkuLink]],
           states: dict[str, StockState], planned: dict[str, dict[str, int]], queued: list[str],
           plan: CheckPlan, now: float, mapping: Mapping[str, str]) -> CheckResult:
    from connector.catalog.stock.warehouses import read_keys
    from connector.tiktok.client import ShopRef

    if not plan.skus:
        return CheckResult()
    shops = deps.c.repo.shops(connection_id)
    return check_tiktok(deps.c.tiktok_for(connection_id, correlation_id),
                        {s.shop_id: ShopRef(s.shop_id, s.cipher) for s in shops},
                        read_keys(mapping, shops),
                        links, states, planned, queued, plan, now)
