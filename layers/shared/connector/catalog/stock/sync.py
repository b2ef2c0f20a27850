"""Syncing one product's stock (or price) to TikTok under its lease: re-read the store product,
compute the absolute quantities on each warehouse that gets one
(:func:`connector.catalog.stock.warehouses.plan_warehouses`), send only the SKUs whose figure
differs from the last one TikTok accepted (one inventory call per TikTok product), then apply the
threshold rule (deactivate / reactivate).

Writes are fenced (:mod:`.state`): the lease is renewed while the sync works (:mod:`.lease`),
each TikTok write first takes the next version under the unexpired lease (no lease, no write),
and the figures are recorded only if no later write was fenced meanwhile. A write that could not
be recorded may have landed on TikTok after a newer one: the product is marked and synced again
at once with every figure (by this worker when it gets the lease back, else by the holder).

A request that finds the product held waits while the holder's TikTok call is young and carries
figures older than the request; once that call has been out :data:`STALLED_S`, the request takes
the lease over and sends the newest figures. The stalled call's retries are fenced off and its
write, if it lands, is marked raced and corrected by another send. A held call with nothing
newer behind it is sent again by the worker itself (:mod:`.hedge`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from connector import metrics
from connector.catalog.stock.hedge import CallWatch, Hedge
from connector.catalog.stock.lease import FencedAttempts, LeaseKeeper
from connector.catalog.stock.requests import StockMessage, request_recheck
from connector.errors import Conflict
from connector.observability import count, logger
from connector.ratelimit import LocalRateLimiter

if TYPE_CHECKING:
    from connector.catalog.records import ProductRecord, ProductRepository
    from connector.catalog.stock.state import StockState, StockStateRepository
    from connector.connections.lifecycle import Collaborators
    from connector.connections.models import Connection, ShopLink
    from connector.links import LinkRepository, SkuLink
    from connector.queues import MessageSender
    from connector.settings import ConnectionSettings, SettingsRepository
    from connector.stores.protocol import StorePlatform, StoreProduct
    from connector.tasks import TaskRepository


LEASE_TTL_S = 30.0
LEASE_WAIT_S = 8.0
MAX_RUNS = 5
STALLED_S = 0.5
"""A holder's TikTok call out this long is stalled: a newer request takes the product over."""


POLL_S = 0.1
"""How often a waiting request looks at the holder's call."""


_STOCK_LIMITER = LocalRateLimiter()
"""Pacing of the stock worker's TikTok writes in this process (per shop and API, at the
client's rate), under the per-call fence of :class:`FencedAttempts`."""


@dataclass
class ItemResult:
    outcome: str
    """``updated`` (TikTok was called), ``unchanged``, ``skipped`` or ``failed``."""
    reason: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    raced: bool = False
    """A write of this sync may have landed after a newer one (the product is marked for a resend)."""
    released: bool = False
    """The lease was given back with the figures recorded (no request had come in meanwhile)."""


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
    lease_renew_s: float | None = None
    """How often the lease is renewed while a sync works (default: a third of its length)."""
    hedge_after_s: float | None = None
    """A call of the sync held this long: the worker sends again itself (:mod:`.hedge`; None: never)."""
    recheck_after_s: int | None = None
    """A call that needed another attempt: TikTok's figures are read back this long after (:mod:`.recheck`)."""

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
        from connector.catalog.stock.state import StockStateRepository

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
        from connector.pending import PendingUnits

        return PendingUnits(self.table_name, self.dynamodb).all(connection_id)

    def pending_by_warehouse(self, connection_id: str) -> Mapping[str | None, Mapping[str, int]]:
        """TikTok warehouse id (``None``: the order named none) -> variant key -> units in flight."""
        if self.pending is not None:
            return {None: self.pending(connection_id)}
        from connector.pending import PendingUnits

        return PendingUnits(self.table_name, self.dynamodb).by_warehouse(connection_id)


def sync_group(deps: StockDeps, action: str, connection_id: str, product_id: str,
               messages: Sequence[StockMessage], *, hedge: bool = True) -> ItemResult:
    """Sync one product for every message of the batch that asked for it (single flight);
    ``hedge``: a call of this sync held :attr:`StockDeps.hedge_after_s` is sent again."""
    force = any(m.force for m in messages)
    task_ids = sorted({m.task_id for m in messages if m.task_id})
    correlation_id = messages[0].correlation_id
    owner = uuid.uuid4().hex
    # Most requests find the product free: the request and the lease in one write.
    state = deps.states.request_and_acquire(connection_id, product_id, owner, deps.clock(), LEASE_TTL_S)
    if state is None:
        seq = deps.states.bump(connection_id, product_id, deps.clock()).seq
        state = _acquire_or_take_over(deps, connection_id, product_id, owner, seq)
    else:
        seq = state.seq
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
        state = _acquire_or_take_over(deps, connection_id, product_id, owner, seq)
    results: list[ItemResult] = []
    keeper = LeaseKeeper(deps.states, connection_id, product_id, owner, deps.clock, ttl_s=LEASE_TTL_S,
                         every_s=deps.lease_renew_s)
    second = _second_send(deps, connection_id, product_id, correlation_id) if hedge else None
    try:
        with keeper, second or nullcontext():
            _runs(deps, action, connection_id, product_id, state, owner, force, correlation_id, results,
                  second.watch if second else None)
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
    if task_ids:
        from connector.tasks import TaskItem

        item = TaskItem(item_id=product_id, outcome=result.outcome, reason=result.reason, details=result.details,
                        at=int(deps.clock()))
        for task_id in task_ids:
            deps.tasks.record_item(connection_id, task_id, item)
    return result


def _second_send(deps: StockDeps, connection_id: str, product_id: str, correlation_id: str) -> Hedge | None:
    """The watcher that sends again for a held call of this sync (None when the worker has none)."""
    if deps.hedge_after_s is None:
        return None

    def send() -> None:
        count(metrics.stock_sync("hedged"))
        sync_group(deps, "stock", connection_id, product_id, [StockMessage(
            connection_id=connection_id, store_product_id=product_id, correlation_id=correlation_id,
            reason="held_call")], hedge=False)

    return Hedge(after_s=deps.hedge_after_s, send=send)


def _acquire_or_take_over(deps: StockDeps, connection_id: str, product_id: str, owner: str,
                          seq: int) -> StockState | None:
    """The lease for request ``seq`` when it is free; ``None`` when the holder answers the
    request (its run started from ``seq`` or later, or no call of its is out: it sees ``seq``
    moved before it lets go); taken over from a holder whose call from an older run has been out
    :data:`STALLED_S` (its retries are fenced off from then on). Waits only while such a call is
    younger than that, so at most :data:`STALLED_S`."""
    deadline = deps.clock() + LEASE_WAIT_S
    while True:
        now = deps.clock()
        state = deps.states.acquire(connection_id, product_id, owner, now, LEASE_TTL_S)
        if state is not None:
            return state
        holder = deps.states.get(connection_id, product_id)
        if holder is None or holder.lease_owner is None or (holder.lease_until or 0.0) < now:
            deps.sleep(0.001)  # let go meanwhile: take it
            continue
        if holder.run_seq >= seq or now > deadline:
            return None
        if holder.call_at is None:
            return None  # not in a call: it checks seq before letting go and syncs again
        if now - holder.call_at >= STALLED_S:
            state = deps.states.acquire(connection_id, product_id, owner, now, LEASE_TTL_S,
                                        stalled_before=now - STALLED_S, seq=seq)
            if state is not None:
                count(metrics.stock_sync("taken_over"))
                logger().warning("stock call stalled; newer request takes the product over", extra={
                    "connection_id": connection_id, "store_product_id": product_id,
                    "stalled_s": round(now - holder.call_at, 3)})
                return state
            deps.sleep(POLL_S)  # its call ended meanwhile: look again
            continue
        deps.sleep(max(0.001, min(POLL_S, holder.call_at + STALLED_S - now)))


def _runs(deps: StockDeps, action: str, connection_id: str, product_id: str, state: StockState, owner: str,
          force: bool, correlation_id: str, results: list[ItemResult], watch: CallWatch | None = None) -> None:
    """Sync under the lease until no request came in meanwhile (``results``: one per run)."""
    for run in range(MAX_RUNS):
        # Requests that came in meanwhile are stock requests (price ones always wait for the
        # lease): the runs after the first sync stock, whatever this group's action.
        price = action == "price" and run == 0
        if price:
            outcome = sync_price(deps, connection_id, product_id, state, owner, force=force,
                                 correlation_id=correlation_id)
        else:
            outcome = sync_stock(deps, connection_id, product_id, state, owner, force=force,
                                 correlation_id=correlation_id, release_seq=state.seq, watch=watch)
        if price or action != "price":
            results.append(outcome)
        force = False
        if price:
            continue  # stock requests may have been left to us while we waited: sync stock too
        if outcome.raced:
            # Our write may be what TikTok shows now: send the newest figures at once, unless
            # another worker holds the product (it syncs again, every figure, before letting go).
            logger().warning("stock write raced a newer one; sending the newest figures again", extra={
                "connection_id": connection_id, "store_product_id": product_id})
        elif outcome.released or deps.states.release(connection_id, product_id, owner, state.seq):
            break
        again = deps.states.acquire(connection_id, product_id, owner, deps.clock(), LEASE_TTL_S)
        if again is None:
            break
        state = again
    else:  # still changing after MAX_RUNS: let SQS retry us later rather than drop the last ones
        raise Conflict(f"stock of product {product_id} kept changing during {MAX_RUNS} syncs",
                       reason="stock_still_changing")


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
class Listing:
    """What one sync needs of the connection and the product (read once per run)."""

    connection: Connection
    settings: ConnectionSettings
    links: list[SkuLink]
    record: ProductRecord | None
    shops: dict[str, ShopLink]

    @property
    def overrides(self) -> dict[str, str]:
        return dict(self.record.sync_overrides) if self.record is not None else {}


def read_listing(deps: StockDeps, connection_id: str, product_id: str, field_name: str) -> Listing | ItemResult:
    connection, settings = deps.c.repo.with_settings(connection_id)
    if connection is None or not connection.syncing:
        return ItemResult("skipped", "connection_not_syncing")
    links = deps.links.for_product(connection_id, product_id)
    if not links:
        return ItemResult("skipped", "not_linked")
    record = deps.products.get(connection_id, product_id)
    if record is not None and record.excluded:
        return ItemResult("skipped", "excluded")
    listing = Listing(connection, settings, links, record, {s.shop_id: s for s in deps.c.repo.shops(connection_id)})
    source = getattr(settings.sync_rules.merged(listing.overrides), field_name)
    if source in ("none", "tiktok"):
        return ItemResult("skipped", f"sync_rule_{field_name}_{source}")
    return listing


def _store_product(store: StorePlatform, product_id: str) -> StoreProduct | None:
    from connector.stores.errors import StoreNotFound

    try:
        return store.get_product(product_id)
    except StoreNotFound:
        return None


def sync_stock(deps: StockDeps, connection_id: str, product_id: str, state: StockState, owner: str, *,
               force: bool, correlation_id: str, release_seq: int | None = None,
               watch: CallWatch | None = None) -> ItemResult:
    """One product's stock: compute, send what differs, apply the threshold rule. A SKU whose
    figure differs on any of its warehouses is sent with the figures of all of them (TikTok
    wants every warehouse a SKU is assigned to in each update). ``release_seq``: the lease is
    given back with the record when no request came in since that ``seq`` (``released``);
    ``watch``: each TikTok call is shown to it (:mod:`.hedge`)."""
    from connector.tiktok.client import ShopRef
    from connector.tiktok.errors import TikTokError
    from connector.tiktok.models import InventoryEntry, SkuInventoryUpdate

    listing = read_listing(deps, connection_id, product_id, "stock")
    if isinstance(listing, ItemResult):
        return listing
    from connector.catalog.stock.warehouses import plan_product

    store = deps.c.store_for(listing.connection)
    product = _store_product(store, product_id)
    plan = plan_product(store, product_id, listing.links, listing.shops, listing.settings,
                        listing.overrides, product, deps.pending_by_warehouse(connection_id))
    sent = dict(state.sent)
    force = force or state.needs_resend
    by_product: dict[tuple[str, str], list[tuple[str, tuple[tuple[str, int], ...]]]] = {}
    figures = dict(plan.figures)
    inventory = dict(plan.inventory)
    # A warehouse taken out of the map keeps the SKU on TikTok, which wants it in every update:
    # it is listed with 0 from then on (never a figure its location no longer backs).
    for key in sorted(sent):
        sku_id, at, warehouse = key.partition("@")
        if at and sku_id in inventory and key not in figures \
                and warehouse not in {w for w, _ in inventory[sku_id]}:
            figures[key] = 0
            inventory[sku_id] = (*inventory[sku_id], (warehouse, 0))
    keys_of: dict[str, list[str]] = {}
    for key in figures:
        keys_of.setdefault(key.split("@", 1)[0], []).append(key)
    for sku_id, entries in sorted(inventory.items()):
        if force or any(sent.get(key) != figures[key] for key in keys_of.get(sku_id, [])):
            by_product.setdefault(plan.products[sku_id], []).append((sku_id, entries))
    tiktok_products = sorted(set(plan.products.values()))
    # SKUs of a shop no longer authorized, or without a warehouse to write: nothing planned.
    unplanned = sorted({link.shop_id for link in listing.links if link.tiktok_sku_id not in inventory})
    wants_offline = plan.deactivate
    back_online = (not plan.deactivate and state.deactivated and product is not None and product.enabled)
    if not by_product and not unplanned and wants_offline == state.deactivated and not back_online:
        return ItemResult("unchanged", details=_details(figures))
    calls = 0
    failures = ["shop_unknown" if shop_id not in listing.shops else "no_default_warehouse" for shop_id in unplanned]
    deactivated = state.deactivated
    version: int | None = None
    raced = released = False

    def shop(shop_id: str) -> ShopRef:
        link = listing.shops.get(shop_id)
        if link is None:
            raise Conflict(f"shop {shop_id} is not authorized for connection {connection_id}", reason="shop_unknown")
        return ShopRef(link.shop_id, link.cipher)

    def fence(new_call: bool = True) -> None:
        """Before each write: the next version, only while the lease is ours and unexpired."""
        nonlocal version
        taken = deps.states.fence(connection_id, product_id, owner, deps.clock(), LEASE_TTL_S, new_call=new_call)
        if taken is None:
            raise Conflict(f"stock lease of product {product_id} lost before a write", reason="stock_lease_lost")
        version = taken

    # Every retry of a write is fenced as well (and stays as old as the call's first attempt).
    attempts = FencedAttempts(_STOCK_LIMITER, lambda: fence(new_call=False))
    out = watch.call if watch is not None else nullcontext
    client = deps.c.tiktok_for(connection_id, correlation_id, connection=listing.connection).with_limiter(attempts)
    try:
        try:
            if wants_offline and not state.deactivated:
                fence()
                attempts.new_call()
                with out():
                    errors = _bulk(client.deactivate_products, "deactivate", tiktok_products, shop)
                calls += len(tiktok_products)
                failures += errors
                deactivated = not errors
                logger().info("stock threshold: product deactivated", extra={
                    "connection_id": connection_id, "store_product_id": product_id, "low": list(plan.low_pools)})
            for (shop_id, tiktok_product_id), skus in sorted(by_product.items()):
                ref = shop(shop_id)
                fence()
                # Until TikTok answers, what it shows for these SKUs is unknown: an answer lost on
                # the way may hide an applied write, so they stay out of ``sent`` (the next sync
                # sends them) unless TikTok accepts or plainly refuses.
                keys = [key for sku_id, _ in skus for key in keys_of.get(sku_id, [])]
                known = {key: sent.pop(key) for key in keys if key in sent}
                try:
                    calls += 1
                    attempts.new_call()
                    with out():
                        client.update_inventory(ref, tiktok_product_id, [
                            SkuInventoryUpdate(id=sku_id, inventory=[InventoryEntry(warehouse_id=w, quantity=qty)
                                                                     for w, qty in entries])
                            for sku_id, entries in skus])
                except TikTokError as exc:
                    if exc.retryable:
                        raise
                    sent.update(known)  # refused: TikTok kept its figures
                    failures.append(f"inventory:{exc.tiktok_code}")
                    continue
                sent.update({key: figures[key] for key in keys})
            if back_online and not failures:
                fence()
                attempts.new_call()
                with out():
                    errors = _bulk(client.activate_products, "activate", tiktok_products, shop)
                calls += len(tiktok_products)
                failures += errors
                deactivated = bool(errors)
                logger().info("stock threshold: product reactivated", extra={
                    "connection_id": connection_id, "store_product_id": product_id})
        finally:
            if attempts.retried and deps.recheck_after_s is not None:  # an unanswered attempt may land later
                request_recheck(connection_id, product_id, correlation_id, delay_s=deps.recheck_after_s,
                                sender=deps.sender, queue_url=deps.queue_url)
            if version is not None and release_seq is not None and not failures:
                released = deps.states.record(connection_id, product_id, owner, deps.clock(), sent=sent,
                                              deactivated=deactivated, version=version, release_seq=release_seq)
            if version is not None and not released and not deps.states.record(
                    connection_id, product_id, owner, deps.clock(), sent=sent, deactivated=deactivated,
                    version=version):
                # The lease was lost or a later write fenced while ours was out: ours may have
                # landed after it, so TikTok may show an older figure than the newest write's.
                deps.states.mark_raced(connection_id, product_id, deps.clock())
                raced = True
    except (TikTokError, Conflict) as exc:
        if not raced:
            raise
        # Taken over (or the lease lost) while this call was out: a newer write went out; ours
        # is followed by the corrective send rather than left to a redelivery.
        logger().warning("stock call superseded by a newer one", extra={
            "connection_id": connection_id, "store_product_id": product_id, "error": type(exc).__name__})
        return ItemResult("updated", "superseded", _details(figures), calls, raced)
    details = _details(figures)
    if plan.low_pools:
        details["low"] = ",".join(plan.low_pools)
    if failures:
        return ItemResult("failed", "; ".join(failures), details, calls, raced)
    return ItemResult("updated", None, details, calls, raced, released)


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
    """The merchant's "update price": the price rule on every linked SKU, one call per TikTok product."""
    from connector.catalog.rules import MIN_PRICE, listed_price
    from connector.catalog.settings import PriceRule
    from connector.tiktok.client import ShopRef
    from connector.tiktok.errors import TikTokError
    from connector.tiktok.models import Price, SkuPriceUpdate

    listing = read_listing(deps, connection_id, product_id, "price")
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
    product = _store_product(deps.c.store_for(listing.connection), product_id)
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
    client = deps.c.tiktok_for(connection_id, correlation_id, connection=listing.connection)
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


def default_deps() -> StockDeps:
    """The worker's dependencies from its environment (``functions/stock_sync``, the tasks)."""
    from connector.config import StockEnv, load_env

    env = load_env(StockEnv)
    return StockDeps(table_name=env.table_name, queue_url=env.stock_queue_url, hedge_after_s=STALLED_S,
                     recheck_after_s=env.stock_recheck_seconds)


handler_deps = default_deps
