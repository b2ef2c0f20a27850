"""P10 / P13: the stock worker, the reconciliation, the manual "update stock" / "update price"
tasks and the store-event hook.

Flow: a store product change (Ecwid webhook -> store events queue -> :func:`on_product_changed`)
puts the product id on the stock queue; the stock worker takes batches (a short batching
window gathers a burst), groups them per product and syncs each product once under its lease
(:mod:`connector.catalog.stock_state`): re-read the store product, compute the absolute
quantities (:func:`connector.catalog.stock.plan_stock`), send only the SKUs whose figure differs
from the last one TikTok accepted (one inventory call per TikTok product), then apply the
threshold rule (deactivate / reactivate). The reconciliation schedule compares the store with
what was last sent and queues the products that differ, so a lost webhook costs minutes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from connector import metrics
from connector.catalog.stock import StockMessage, plan_stock, send_all
from connector.errors import Conflict
from connector.observability import count, log_context, logger

if TYPE_CHECKING:
    from connector.catalog.records import ProductRecord, ProductRepository
    from connector.catalog.stock_state import StockState, StockStateRepository
    from connector.connections.lifecycle import Collaborators
    from connector.connections.models import Connection, EventMessage, ShopLink
    from connector.links import LinkRepository, SkuLink
    from connector.queues import MessageSender
    from connector.settings import ConnectionSettings, SettingsRepository
    from connector.stores.protocol import StoreProduct
    from connector.tasks import TaskMessage, TaskRepository

LEASE_TTL_S = 30.0
LEASE_WAIT_S = 8.0
MAX_RUNS = 5
RECONCILE_OVERLAP_S = 600
FULL_RECONCILE_EVERY_S = 6 * 3600
#: Every syncing connection is in the token-refresh index (gsi3 ``REFRESH``): its key sorts
#: below this, so "expiring before the end of time" lists them all.
_ALL_CONNECTIONS = 999_999_999_999


@dataclass
class ItemResult:
    outcome: str
    """``updated`` (TikTok was called), ``unchanged``, ``skipped`` or ``failed``."""
    reason: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    calls: int = 0


@dataclass
class StockDeps:
    """What the worker talks to (fakes in unit tests; the real adapters in handlers)."""

    table_name: str
    collaborators: Collaborators | None = None
    """Built from the function's environment on first use when not given."""
    queue_url: str | None = None
    sender: MessageSender | None = None
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    pending: Callable[[str], Mapping[str, int]] | None = None
    """connection id -> pending units (variant key -> units); default: the order records."""
    dynamodb: Any | None = None

    @cached_property
    def c(self) -> Collaborators:
        if self.collaborators is not None:
            return self.collaborators
        from connector.connections.wiring import wire

        return wire().c

    @cached_property
    def links(self) -> LinkRepository:
        from connector.links import LinkRepository

        return LinkRepository(self.table_name, self.dynamodb)

    @cached_property
    def settings(self) -> SettingsRepository:
        from connector.settings import SettingsRepository

        return SettingsRepository(self.table_name, self.dynamodb)

    @cached_property
    def states(self) -> StockStateRepository:
        from connector.catalog.stock_state import StockStateRepository

        return StockStateRepository(self.table_name, self.dynamodb)

    @cached_property
    def products(self) -> ProductRepository:
        from connector.catalog.records import ProductRepository

        return ProductRepository(self.table_name, self.dynamodb)

    @cached_property
    def tasks(self) -> TaskRepository:
        from connector.tasks import TaskRepository

        return TaskRepository(self.table_name, self.dynamodb)

    def pending_units(self, connection_id: str) -> Mapping[str, int]:
        if self.pending is not None:
            return self.pending(connection_id)
        from connector.orders.records import OrderRepository

        return OrderRepository(self.table_name, self.dynamodb).pending_units(connection_id)


# ------------------------------------------------------------------------------ store events
def on_product_changed(message: EventMessage, c: Collaborators) -> str:
    """EVENT_HANDLERS hook for ("ecwid", "product_changed"): queue the product for a stock sync.
    Nothing else here (the catalog's own hook updates the listing): idempotent by design."""
    from connector.catalog.stock import stock_queue_url

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
    inventory writes come back here (invariant 4): recognised by the figure we sent moments ago,
    and nothing is done. Any other cause (a buyer's order on TikTok) is left to the order relay,
    whose pending units reach the stock through ``request_stock_sync``: the store stays the
    source of truth, so TikTok's figure is never copied back."""
    from connector.catalog.stock_state import StockStateRepository
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


# ------------------------------------------------------------------------------ the worker
def handle_batch(records: Sequence[tuple[str, str]], deps: StockDeps) -> list[str]:
    """Process one SQS batch of ``(message id, body)``; returns the ids that failed (retried by
    SQS, then dead-lettered). Messages for one product are synced once for all of them."""
    from pydantic import ValidationError

    groups: dict[tuple[str, str, str], list[tuple[str, StockMessage]]] = {}
    failed: list[str] = []
    for message_id, body in records:
        try:
            message = StockMessage.model_validate_json(body)
        except ValidationError:
            logger().error("stock message malformed", extra={"message_id": message_id})
            failed.append(message_id)
            continue
        target = message.store_product_id or "" if message.action != "reconcile" else ""
        groups.setdefault((message.action, message.connection_id, target), []).append((message_id, message))

    def run(key: tuple[str, str, str], members: list[tuple[str, StockMessage]]) -> list[str]:
        action, connection_id, product_id = key
        messages = [m for _, m in members]
        try:
            with log_context(correlation_id=messages[0].correlation_id, connection_id=connection_id):
                run_group(action, connection_id, product_id, messages)
        except Exception as exc:
            count(metrics.stock_sync("failed"))
            logger().warning("stock sync failed; will retry", extra={
                "connection_id": connection_id, "store_product_id": product_id, "action": action,
                "error": type(exc).__name__, "reason": getattr(exc, "reason", None), "detail": str(exc)[:300]})
            return [mid for mid, _ in members]
        return []

    def run_group(action: str, connection_id: str, product_id: str, messages: list[StockMessage]) -> None:
        if action == "reconcile":
            reconcile_connection(deps, connection_id, messages[0].correlation_id)
        elif not product_id:
            logger().warning("stock message without a product", extra={"connection_id": connection_id})
        else:
            sync_group(deps, action, connection_id, product_id, messages)

    items = list(groups.items())
    if len(items) == 1:
        failed += run(*items[0])
    elif items:
        import contextvars

        _ = deps.c  # wired once, here, before the threads share it
        # Each thread runs in a copy of this invocation's context (the local cloud keeps the
        # function's environment in a context variable).
        contexts = [contextvars.copy_context() for _ in items]
        with ThreadPoolExecutor(max_workers=min(4, len(items))) as pool:
            futures = [pool.submit(ctx.run, run, key, members)
                       for ctx, (key, members) in zip(contexts, items, strict=True)]
            for future in futures:
                failed += future.result()
    return failed


def sync_group(deps: StockDeps, action: str, connection_id: str, product_id: str,
               messages: Sequence[StockMessage]) -> ItemResult:
    """Sync one product for every message of the batch that asked for it (single flight)."""
    force = any(m.force for m in messages)
    task_ids = sorted({m.task_id for m in messages if m.task_id})
    correlation_id = messages[0].correlation_id
    owner = uuid.uuid4().hex
    deps.states.bump(connection_id, product_id, deps.clock())
    state = deps.states.acquire(connection_id, product_id, owner, deps.clock(), LEASE_TTL_S)
    if state is None and not (force or task_ids):
        # Another worker holds the product: it sees our request (seq moved) and syncs again.
        count(metrics.stock_sync("coalesced"))
        return ItemResult("coalesced")
    deadline = deps.clock() + LEASE_WAIT_S
    while state is None:  # a merchant action waits for the holder, its result is reported
        if deps.clock() > deadline:
            raise Conflict(f"stock of product {product_id} is being synced by another worker",
                           reason="stock_lease_held")
        deps.sleep(0.05)
        state = deps.states.acquire(connection_id, product_id, owner, deps.clock(), LEASE_TTL_S)
    results: list[ItemResult] = []
    try:
        for run in range(MAX_RUNS):
            # Requests that came in meanwhile are stock requests (price ones always wait for the
            # lease): the runs after the first sync stock, whatever this group's action.
            price = action == "price" and run == 0
            outcome = (sync_price if price else sync_stock)(deps, connection_id, product_id, state, owner,
                                                            force=force, correlation_id=correlation_id)
            if price or action != "price":
                results.append(outcome)
            force = False
            if price:
                continue  # stock requests may have been left to us while we waited: sync stock too
            if deps.states.release(connection_id, product_id, owner, state.seq):
                break
            again = deps.states.acquire(connection_id, product_id, owner, deps.clock(), LEASE_TTL_S)
            if again is None:
                break
            state = again
        else:  # still changing after MAX_RUNS: let SQS retry us later rather than drop the last ones
            raise Conflict(f"stock of product {product_id} kept changing during {MAX_RUNS} syncs",
                           reason="stock_still_changing")
    except BaseException:
        deps.states.abandon(connection_id, product_id, owner)
        raise
    result = _merged(results)
    started = min((m.requested_at for m in messages if m.requested_at), default=None)
    if started is not None:
        metrics.latency(metrics.STOCK_LATENCY, (deps.clock() - started) * 1000)
    count(metrics.stock_sync(result.outcome))
    logger().info("stock synced", extra={"connection_id": connection_id, "store_product_id": product_id,
                                         "action": action, "outcome": result.outcome, "reason": result.reason,
                                         "calls": result.calls, "requests": len(messages), "runs": len(results)})
    for task_id in task_ids:
        record_task_item(deps, connection_id, task_id, product_id, result)
    return result


def _merged(results: list[ItemResult]) -> ItemResult:
    last = results[-1]
    calls = sum(r.calls for r in results)
    if any(r.outcome == "failed" for r in results):
        failed = next(r for r in reversed(results) if r.outcome == "failed")
        return ItemResult("failed", failed.reason, failed.details, calls)
    if calls and last.outcome == "unchanged":
        return ItemResult("updated", last.reason, last.details, calls)
    return ItemResult(last.outcome, last.reason, last.details, calls)


@dataclass
class _Listing:
    """What one sync needs of the connection and the product (read once per run)."""

    connection: Connection
    settings: ConnectionSettings
    links: list[SkuLink]
    record: ProductRecord | None
    shops: dict[str, ShopLink]

    @property
    def overrides(self) -> dict[str, str]:
        return dict(self.record.sync_overrides) if self.record is not None else {}


def _listing(deps: StockDeps, connection_id: str, product_id: str, field_name: str) -> _Listing | ItemResult:
    connection = deps.c.repo.get(connection_id)
    if connection is None or not connection.syncing:
        return ItemResult("skipped", "connection_not_syncing")
    links = deps.links.for_product(connection_id, product_id)
    if not links:
        return ItemResult("skipped", "not_linked")
    settings = deps.settings.get(connection_id)
    record = deps.products.get(connection_id, product_id)
    listing = _Listing(connection, settings, links, record, {s.shop_id: s for s in deps.c.repo.shops(connection_id)})
    source = getattr(settings.sync_rules.merged(listing.overrides), field_name)
    if source in ("none", "tiktok"):
        return ItemResult("skipped", f"sync_rule_{field_name}_{source}")
    return listing


def _store_product(deps: StockDeps, connection: Connection, product_id: str) -> StoreProduct | None:
    from connector.stores.errors import NotFound

    try:
        return deps.c.store_for(connection).get_product(product_id)
    except NotFound:
        return None


def sync_stock(deps: StockDeps, connection_id: str, product_id: str, state: StockState, owner: str, *,
               force: bool, correlation_id: str) -> ItemResult:
    """One product's stock: compute, send what differs, apply the threshold rule."""
    from connector.tiktok.client import ShopRef
    from connector.tiktok.errors import TikTokError
    from connector.tiktok.models import InventoryEntry, SkuInventoryUpdate

    listing = _listing(deps, connection_id, product_id, "stock")
    if isinstance(listing, ItemResult):
        return listing
    product = _store_product(deps, listing.connection, product_id)
    plan = plan_stock(product, listing.links, deps.pending_units(connection_id), listing.settings.stock,
                      listing.overrides)
    sent = dict(state.sent)
    by_product: dict[tuple[str, str], list[tuple[str, int]]] = {}
    shop_of = {link.tiktok_sku_id: link.shop_id for link in listing.links}
    for sku in plan.skus:
        if force or sent.get(sku.tiktok_sku_id) != sku.quantity:
            by_product.setdefault((shop_of[sku.tiktok_sku_id], sku.tiktok_product_id), []).append(
                (sku.tiktok_sku_id, sku.quantity))
    tiktok_products = sorted({(shop_of[s.tiktok_sku_id], s.tiktok_product_id) for s in plan.skus})
    wants_offline = plan.deactivate
    back_online = (not plan.deactivate and state.deactivated and product is not None and product.enabled)
    if not by_product and wants_offline == state.deactivated and not back_online:
        return ItemResult("unchanged", details=_details(plan.quantities()))
    client = deps.c.tiktok_for(connection_id, correlation_id)
    calls = 0
    failures: list[str] = []
    deactivated = state.deactivated

    def shop(shop_id: str) -> ShopRef:
        link = listing.shops.get(shop_id)
        if link is None:
            raise Conflict(f"shop {shop_id} is not authorized for connection {connection_id}", reason="shop_unknown")
        return ShopRef(link.shop_id, link.cipher)

    try:
        if wants_offline and not state.deactivated:
            errors = _bulk(client.deactivate_products, "deactivate", tiktok_products, shop)
            calls += len(tiktok_products)
            failures += errors
            deactivated = not errors
            logger().info("stock threshold: product deactivated", extra={
                "connection_id": connection_id, "store_product_id": product_id, "low": list(plan.low_pools)})
        for (shop_id, tiktok_product_id), skus in sorted(by_product.items()):
            warehouse = listing.shops[shop_id].default_warehouse_id if shop_id in listing.shops else None
            if not warehouse:
                failures.append("no_default_warehouse")
                continue
            try:
                calls += 1
                client.update_inventory(shop(shop_id), tiktok_product_id, [
                    SkuInventoryUpdate(id=sku_id, inventory=[InventoryEntry(warehouse_id=warehouse, quantity=qty)])
                    for sku_id, qty in skus])
            except TikTokError as exc:
                if exc.retryable:
                    raise
                failures.append(f"inventory:{exc.tiktok_code}")
                continue
            sent.update(dict(skus))
        if back_online and not failures:
            errors = _bulk(client.activate_products, "activate", tiktok_products, shop)
            calls += len(tiktok_products)
            failures += errors
            deactivated = bool(errors)
            logger().info("stock threshold: product reactivated", extra={
                "connection_id": connection_id, "store_product_id": product_id})
    finally:
        deps.states.record(connection_id, product_id, owner, deps.clock(), sent=sent, deactivated=deactivated)
    details = _details(plan.quantities())
    if plan.low_pools:
        details["low"] = ",".join(plan.low_pools)
    if failures:
        return ItemResult("failed", "; ".join(failures), details, calls)
    return ItemResult("updated", None, details, calls)


def _bulk(call: Callable[..., Any], what: str, products: Sequence[tuple[str, str]],
          shop: Callable[[str], Any]) -> list[str]:
    """Activate / deactivate each TikTok product; refusals become reasons (retryable errors raise)."""
    from connector.tiktok.errors import TikTokError

    errors: list[str] = []
    for shop_id, tiktok_product_id in products:
        try:
            answer = call(shop(shop_id), [tiktok_product_id])
        except TikTokError as exc:
            if exc.retryable:
                raise
            errors.append(f"{what}:{exc.tiktok_code}")
            continue
        errors += [f"{what}:{e.code}" for e in answer.errors]
    return errors


def _details(quantities: Mapping[str, int]) -> dict[str, str]:
    return {f"sku:{sku}": str(qty) for sku, qty in sorted(quantities.items())}


def sync_price(deps: StockDeps, connection_id: str, product_id: str, state: StockState, owner: str, *,
               force: bool, correlation_id: str) -> ItemResult:
    """P13 "update price": the price rule (P9) on every linked SKU, one call per TikTok product."""
    from connector.catalog.rules import MIN_PRICE, listed_price
    from connector.catalog.settings import PriceRule
    from connector.tiktok.client import ShopRef
    from connector.tiktok.errors import TikTokError
    from connector.tiktok.models import Price, SkuPriceUpdate

    listing = _listing(deps, connection_id, product_id, "price")
    if isinstance(listing, ItemResult):
        return listing
    rules = listing.settings.sync_rules.merged(listing.overrides)
    override: Decimal | None = None
    if rules.price == "override":
        raw = listing.record.override_values.get("price") if listing.record else None
        if raw is None:
            return ItemResult("failed", "price_override_missing: the product's price rule is 'override' "
                                        "but no override price is set")
        override = Decimal(raw)
    product = _store_product(deps, listing.connection, product_id)
    if product is None:
        return ItemResult("skipped", "store_product_missing")
    rule = PriceRule(source=listing.settings.price.source, percent=listing.settings.price.percent,
                     fixed=listing.settings.price.fixed, rounding=listing.settings.price.rounding)
    prices: dict[str, Decimal] = {}
    for link in listing.links:
        variant = product.variant(link.variant_key)
        if variant is None:
            continue
        price = override if override is not None else listed_price(variant, rule)
        if price < MIN_PRICE:
            return ItemResult("failed", f"price_below_minimum: {variant.key} would list at {price}")
        prices[link.tiktok_sku_id] = price
    sent = dict(state.prices)
    todo: dict[tuple[str, str], list[tuple[str, Decimal]]] = {}
    for link in listing.links:
        wanted = prices.get(link.tiktok_sku_id)
        if wanted is not None and (force or sent.get(link.tiktok_sku_id) != str(wanted)):
            todo.setdefault((link.shop_id, link.tiktok_product_id), []).append((link.tiktok_sku_id, wanted))
    details = {f"sku:{k}": str(v) for k, v in sorted(prices.items())}
    if not todo:
        return ItemResult("unchanged", details=details)
    client = deps.c.tiktok_for(connection_id, correlation_id)
    calls = 0
    failures: list[str] = []
    try:
        for (shop_id, tiktok_product_id), skus in sorted(todo.items()):
            shop = listing.shops.get(shop_id)
            if shop is None:
                failures.append("shop_unknown")
                continue
            currency = shop.currency or listing.connection.store_currency or ""
            try:
                calls += 1
                client.update_prices(ShopRef(shop.shop_id, shop.cipher), tiktok_product_id, [
                    SkuPriceUpdate(id=sku_id, price=Price(amount=price, currency=currency)) for sku_id, price in skus])
            except TikTokError as exc:
                if exc.retryable:
                    raise
                failures.append(f"price:{exc.tiktok_code}: {exc.tiktok_message[:120]}")
                continue
            sent.update({sku_id: str(price) for sku_id, price in skus})
    finally:
        deps.states.record(connection_id, product_id, owner, deps.clock(), prices=sent)
    if failures:
        return ItemResult("failed", "; ".join(failures), details, calls)
    return ItemResult("updated", None, details, calls)


# ------------------------------------------------------------------------------ tasks (P13)
def start_task(kind: str, connection_id: str, product_ids: Sequence[str] | None, correlation_id: str, *,
               tasks: TaskRepository, sender: MessageSender, tasks_queue_url: str,
               now: float | None = None) -> str:
    """Record a ``stock_update`` / ``price_update`` task (queued) and put it on the tasks queue.
    ``product_ids`` ``None``: every linked product."""
    from connector.tasks import TaskMessage, TaskRecord, new_task_id

    at = time.time() if now is None else now
    task_id = new_task_id(kind, at)
    payload: dict[str, Any] = {"all": True} if product_ids is None else {"product_ids": list(product_ids)}
    tasks.create(TaskRecord(connection_id=connection_id, task_id=task_id, kind=kind, correlation_id=correlation_id,
                            total=None if product_ids is None else len(product_ids), created_at=int(at),
                            updated_at=int(at)))
    sender.send(tasks_queue_url, TaskMessage(kind=kind, task_id=task_id, correlation_id=correlation_id,  # type: ignore[arg-type]
                                             connection_id=connection_id, payload=payload))
    return task_id


def run_task(message: TaskMessage, deps: StockDeps | None = None) -> str:
    """HANDLERS entry for ``stock_update`` and ``price_update``: fan the products out on the stock
    queue (each item's result lands on the task); a redelivery fans out again, items are
    recorded once."""
    deps = deps or _deps()
    if not message.connection_id:
        raise ValueError("a stock task needs a connection")
    connection_id = message.connection_id
    payload = message.payload
    if payload.get("all"):
        ids = sorted({link.store_product_id for link in deps.links.all(connection_id)})
    else:
        ids = list(dict.fromkeys(str(p) for p in payload.get("product_ids") or []))
    now = deps.clock()
    record = deps.tasks.get(connection_id, message.task_id)
    if record is None:
        from connector.tasks import TaskRecord

        deps.tasks.create(TaskRecord(connection_id=connection_id, task_id=message.task_id, kind=message.kind,
                                     correlation_id=message.correlation_id, created_at=int(now), updated_at=int(now)))
        record = deps.tasks.get(connection_id, message.task_id)
    if record is not None and record.state in ("completed", "error"):
        return "already_finished"
    if not ids:
        deps.tasks.set_state(connection_id, message.task_id, "completed", int(now), total=0,
                             note="no linked products to update")
        return "completed_empty"
    deps.tasks.set_state(connection_id, message.task_id, "running", int(now), total=len(ids))
    action = "price" if message.kind == "price_update" else "stock"
    send_all([StockMessage(action=action, connection_id=connection_id, store_product_id=pid,  # type: ignore[arg-type]
                           correlation_id=message.correlation_id, reason="manual", task_id=message.task_id,
                           force=True, requested_at=now) for pid in ids],
             sender=deps.sender, queue_url=deps.queue_url)
    return f"dispatched:{len(ids)}"


def record_task_item(deps: StockDeps, connection_id: str, task_id: str, product_id: str, result: ItemResult) -> None:
    """The item's result, once (a redelivered item changes no count); completes the task when
    every item is in."""
    from connector import dynamo, keys
    from connector.tasks import TaskItem

    now = int(deps.clock())
    item = TaskItem(item_id=product_id, outcome=result.outcome, reason=result.reason, details=result.details, at=now)
    client = deps.tasks.client
    try:
        client.put_item(TableName=deps.table_name, ConditionExpression="attribute_not_exists(pk)",
                        Item=dynamo.to_item({keys.PK: keys.conn_pk(connection_id),
                                             keys.SK: keys.task_item_sk(task_id, product_id),
                                             **item.model_dump(exclude_none=True)}))
    except Exception as exc:
        if dynamo.is_condition_failure(exc):
            return
        raise
    deps.tasks.add_counts(connection_id, task_id, {result.outcome: 1}, now)
    record = deps.tasks.get(connection_id, task_id)
    if record is not None and record.total is not None and record.state == "running" \
            and sum(record.counts.values()) >= record.total:
        failed = record.counts.get("failed", 0)
        deps.tasks.set_state(connection_id, task_id, "completed", now,
                             note=f"{failed} of {record.total} failed" if failed else None)


# ------------------------------------------------------------------------------ reconciliation
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


# ------------------------------------------------------------------------------ wiring
def _deps() -> StockDeps:
    from connector.config import StockEnv, load_env

    env = load_env(StockEnv)
    return StockDeps(table_name=env.table_name, queue_url=env.stock_queue_url)


def handler_deps() -> StockDeps:
    """The worker's dependencies from its environment (used by ``functions/stock_sync``)."""
    return _deps()


def product_ids_of(links: Iterable[SkuLink]) -> list[str]:
    return sorted({link.store_product_id for link in links})
