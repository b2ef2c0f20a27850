"""Catalog sync as tasks, state machine steps, event handlers and the review poll: the glue
between the handlers and the catalog steps (:mod:`connector.catalog.pull`, `push`, `review`...).

The catalog state machine (``statemachines/catalog.asl.json``) carries ids and page tokens only,
never product bodies, so a catalog of any size fits Step Functions' 256 KB payload limit:

    Prepare (pull if asked, suggest mappings, cut the products into pages)
      -> PushPages (Map over pages; each page pushes its products)
      -> Finish (counts from the per-product results)      | Failed (task marked error)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from connector.config import BaseEnv
from connector.observability import count, logger
from connector.tasks import TaskMessage

if TYPE_CHECKING:
    from connector.catalog.context import Catalog
    from connector.catalog.records import ProductRecord
    from connector.connections.lifecycle import Collaborators
    from connector.connections.models import EventMessage
    from connector.tasks import TaskRepository

PAGE_SIZE = 25
"""Products per push step (about 5 TikTok calls each: a page stays well inside a Lambda's time)."""
PAGE_TOKENS_MAX = 2000
"""Pages per run (50,000 products): the page list stays far below the 256 KB payload limit."""


class CatalogEnv(BaseEnv):
    catalog_state_machine_arn: str = Field(alias="CATALOG_STATE_MACHINE_ARN", min_length=1)


def _wired() -> Any:
    from connector.connections.wiring import wire

    return wire()


def _tasks(table_name: str) -> TaskRepository:
    from connector.tasks import TaskRepository

    return TaskRepository(table_name)


# ================================================================================ tasks
def start_task(message: TaskMessage) -> str:
    """Task worker handler of ``catalog_pull`` and ``catalog_sync``: record the task and start its
    state machine execution (named after the task: a redelivery starts nothing twice)."""
    from connector.config import load_env
    from connector.runtime import now
    from connector.tasks import StateMachineStarter, TaskRecord

    env = load_env(CatalogEnv)
    if message.connection_id is None:
        raise ValueError("a catalog task names its connection")
    stamp = int(now())
    _tasks(env.table_name).create(TaskRecord(
        connection_id=message.connection_id, task_id=message.task_id, kind=message.kind, state="queued",
        correlation_id=message.correlation_id, created_at=stamp, updated_at=stamp))
    started = StateMachineStarter().start(env.catalog_state_machine_arn, message.task_id, message)
    return "started" if started else "already_started"


def poll_task(message: TaskMessage) -> str:
    """Task worker handler of ``listing_status_poll`` for one connection."""
    w = _wired()
    if message.connection_id is None:
        raise ValueError("a poll task names its connection")
    return str(poll_connection(w.c, message.connection_id, message.correlation_id))


# ================================================================================ steps
def step(event: dict[str, Any]) -> dict[str, Any]:
    """The catalog step function: one of ``prepare``, ``push_page``, ``finish``, ``fail``, or
    (a scheduled event) the review poll of every syncing connection."""
    if event.get("detail-type") == "Scheduled Event":
        return poll_all(str(event.get("id") or "schedule"))
    action = event.get("action")
    w = _wired()
    if action == "prepare":
        return prepare(w, TaskMessage.model_validate(event["task"]))
    if action == "push_page":
        return push_page(w, event)
    if action == "finish":
        return finish(w, event["connection_id"], event["task_id"])
    if action == "fail":
        return fail(w, event["connection_id"], event["task_id"], event.get("error") or {})
    raise ValueError(f"unknown catalog step {action!r}")


def _catalog(w: Any, connection_id: str, correlation_id: str) -> Catalog:
    from connector.catalog.context import open_catalog

    return open_catalog(w.c, connection_id, correlation_id)


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def prepare(w: Any, task: TaskMessage) -> dict[str, Any]:
    from connector.runtime import now

    assert task.connection_id is not None
    tasks = _tasks(w.env.table_name)
    tasks.set_state(task.connection_id, task.task_id, "running", int(now()))
    cat = _catalog(w, task.connection_id, task.correlation_id)
    payload = task.payload
    pulled: dict[str, int] = {}
    if task.kind == "catalog_pull":
        enabled = payload.get("enabled")
        result = cat_pull(cat, mode=str(payload.get("mode") or "full"), since=_time(payload.get("since")),
                          until=_time(payload.get("until")),
                          enabled=None if enabled in (None, "", "all") else str(enabled).lower() in ("true", "1"))
        pulled = {f"pulled_{k}": v for k, v in result.counts.items()}
        if pulled:
            tasks.add_counts(task.connection_id, task.task_id, pulled, int(now()))
        push = payload.get("push", True) not in (False, "false", "0")
    else:
        from connector.catalog.mapping import ensure_mappings

        ensure_mappings(cat)
        push = True
    pages: list[dict[str, Any]] = []
    total = 0
    ids = payload.get("product_ids")
    if push and ids:
        unique = list(dict.fromkeys(str(i) for i in ids))
        pages = [{"ids": unique[i:i + PAGE_SIZE]} for i in range(0, len(unique), PAGE_SIZE)]
        total = len(unique)
    elif push:
        token: str | None = None
        while True:
            records, next_token = cat.products.page(cat.connection_id, limit=PAGE_SIZE, page_token=token)
            if records:
                pages.append({"token": token})
                total += len(records)
            if next_token is None or len(pages) >= PAGE_TOKENS_MAX:
                break
            token = next_token
    tasks.set_state(task.connection_id, task.task_id, "running", int(now()), total=total)
    logger().info("catalog sync planned", extra={"connection_id": task.connection_id, "task_id": task.task_id,
                                                 "pages": len(pages), "total": total})
    return {"pages": pages, "total": total}


def cat_pull(cat: Catalog, **kwargs: Any) -> Any:
    from connector.catalog.pull import pull

    return pull(cat, **kwargs)


def push_page(w: Any, event: dict[str, Any]) -> dict[str, Any]:
    """Push the products of one page; each product's result is a task item. A transient failure
    raises (``TransientError``): the state machine retries the page, and what was done is
    skipped the second time (unchanged)."""
    from connector.catalog.push import PushRetry, push_product
    from connector.errors import ConnectorError
    from connector.runtime import now
    from connector.tasks import TaskItem

    connection_id, task_id = event["connection_id"], event["task_id"]
    cat = _catalog(w, connection_id, event["correlation_id"])
    page = event.get("page") or {}
    loaded: list[tuple[str, tuple[Any, str | None] | None]]
    if page.get("ids"):
        loaded = [(str(i), None) for i in page["ids"]]
    else:
        loaded = [(record.store_product_id, (record, raw))
                  for record, raw in cat.products.page_with_snapshots(connection_id, limit=PAGE_SIZE,
                                                                      page_token=page.get("token"))]
    _prefetch_page_images(cat, [pair[1] for _, pair in loaded if pair is not None and pair[1]])
    counts: dict[str, int] = {}
    results: list[TaskItem] = []
    try:
        for product_id, pair in loaded:
            try:
                outcome, reason = push_product(cat, product_id, loaded=pair)
            except PushRetry as exc:
                raise TransientError(str(exc)) from None
            except ConnectorError as exc:  # the store could not give this product: report it, go on
                if getattr(exc, "retryable", False):
                    raise TransientError(f"product {product_id}: {exc.code}") from None
                outcome, reason = "failed", f"{exc.code}: {exc.reason or ''}"
            counts[outcome] = counts.get(outcome, 0) + 1
            results.append(TaskItem(item_id=product_id, outcome=outcome, reason=reason, at=int(now())))
    finally:
        _tasks(w.env.table_name).put_items(connection_id, task_id, results)  # what was done is kept, even on retry
    _tasks(w.env.table_name).add_counts(connection_id, task_id, {"done": len(results)}, int(now()))
    count("CatalogProductsPushed", counts.get("created", 0) + counts.get("updated", 0))
    return {"pushed": len(results), **counts}


def _prefetch_page_images(cat: Catalog, snapshots: list[str]) -> None:
    """One batch read of every known main image of the page (most are known on later syncs)."""
    from connector.catalog.image_upload import prefetch_images
    from connector.catalog.records import loads_snapshot
    from connector.catalog.transform import main_image_urls

    wanted: list[tuple[str, str]] = []
    for raw in snapshots:
        product = loads_snapshot(raw)
        wanted += [("MAIN_IMAGE", u) for u in main_image_urls(product)[:9]]
        wanted += [("MAIN_IMAGE", v.image_url) for v in product.variants if v.image_url]
    prefetch_images(cat, wanted)


class TransientError(Exception):
    """Named in the state machine's Retry: the step is tried again after a pause."""


def finish(w: Any, connection_id: str, task_id: str) -> dict[str, Any]:
    """Counts from the per-product results (exact, whatever was retried) and the end state."""
    from connector.runtime import now

    tasks = _tasks(w.env.table_name)
    counts: dict[str, int] = {}
    for item in tasks.items(connection_id, task_id):
        counts[item.outcome] = counts.get(item.outcome, 0) + 1
    record = tasks.get(connection_id, task_id)
    merged = {k: v for k, v in (record.counts if record else {}).items() if k.startswith("pulled_")}
    merged.update(counts)
    tasks.set_counts(connection_id, task_id, merged)
    note = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing to push"
    tasks.set_state(connection_id, task_id, "completed", int(now()), note=note[:500])
    logger().info("catalog sync finished", extra={"connection_id": connection_id, "task_id": task_id,
                                                     "counts": counts})
    return {"counts": merged}


def fail(w: Any, connection_id: str, task_id: str, error: dict[str, Any]) -> dict[str, Any]:
    from connector.runtime import now

    reason = str(error.get("Error") or "error")[:120]
    _tasks(w.env.table_name).set_state(connection_id, task_id, "error", int(now()), error=reason)
    logger().warning("catalog sync failed", extra={"connection_id": connection_id, "task_id": task_id,
                                                   "error": reason})
    return {"state": "error", "error": reason}


# ================================================================================ events
def _product_event(message: EventMessage, c: Collaborators) -> tuple[str, Catalog] | str:
    """The event's store product id and the connection's catalog, or the outcome when the event
    names no product or the connection has no catalog to act on."""
    product_id = message.entity_ids.get("entity_id")
    if not product_id:
        return "catalog_ignored"
    cat = _open_or_none(c, message)
    if cat is None:
        return "catalog_skipped"
    return product_id, cat


def on_store_product_changed(message: EventMessage, c: Collaborators) -> str:
    """Auto-pull / update: re-read the product, record it, push it when it changed (new
    products only with ``auto_pull``, changes only with ``auto_update``). A known product is
    re-read at most once per window (:mod:`connector.catalog.refresh`): a change inside the
    window queues one refresh for its end. No stock work here."""
    opened = _product_event(message, c)
    if isinstance(opened, str):
        return opened
    product_id, cat = opened
    existing = cat.products.get(cat.connection_id, product_id)
    if existing is None and not cat.settings.catalog.auto_pull:
        return "catalog_new_not_pulled"
    env = _env()
    window_s = env.catalog_refresh_seconds
    if existing is not None and window_s > 0:
        from connector.catalog.refresh import ReadGate

        gate = ReadGate(c.repo.table_name)
        now = c.clock()
        claim = gate.claim(cat.connection_id, product_id, now, window_s)
        if not claim.read:
            if claim.queue_in is None:
                return "catalog_refresh_queued_already"
            try:
                _queue_refresh(message, c, env.store_events_queue_url, product_id, claim.queue_in)
            except Exception:
                gate.forget_refresh(cat.connection_id, product_id, now)
                raise  # the event is retried: its change is not lost
            return "catalog_refresh_queued"
    return _read_record_push(cat, message, c, product_id, existing)


def on_store_product_refresh(message: EventMessage, c: Collaborators) -> str:
    """The refresh a change inside a product's window queued: a new window opens, then the
    product is re-read (after every change that rode on this refresh) and handled as a change."""
    from connector.catalog.refresh import ReadGate

    opened = _product_event(message, c)
    if isinstance(opened, str):
        return opened
    product_id, cat = opened
    ReadGate(c.repo.table_name).begin_refresh(cat.connection_id, product_id, c.clock(),
                                              _env().catalog_refresh_seconds)
    return _read_record_push(cat, message, c, product_id, cat.products.get(cat.connection_id, product_id))


def _read_record_push(cat: Catalog, message: EventMessage, c: Collaborators, product_id: str,
                      existing: ProductRecord | None) -> str:
    from connector.catalog.mapping import ensure_mappings
    from connector.catalog.pull import record_product
    from connector.stores.errors import StoreNotFound

    try:
        product = cat.store.get_product(product_id)
    except StoreNotFound:
        return on_store_product_deleted(message, c)
    outcome = record_product(cat, product, existing)
    if existing is None:
        ensure_mappings(cat)
    if outcome == "unchanged" and existing is not None and existing.pushed_hash is not None:
        return "catalog_unchanged"
    if existing is not None and not cat.settings.catalog.auto_update:
        return "catalog_pulled"
    pushed, _reason = _push_or_raise(cat, product_id)
    return f"catalog_{pushed}"


REFRESH_KIND = "product_refresh"
"""The store events queue's kind for a queued re-read of a product (no webhook has it)."""


def _queue_refresh(message: EventMessage, c: Collaborators, queue_url: str, product_id: str, delay_s: int) -> None:
    from connector.connections.models import EventMessage as Event

    refresh = Event(source=message.source, kind=REFRESH_KIND, connection_id=message.connection_id,
                    event_id=f"refresh:{product_id}:{int(c.clock() * 1000)}", correlation_id=message.correlation_id,
                    store_id=message.store_id, entity_ids={"entity_id": product_id})
    c.notifier.sender.send(queue_url, refresh, delay_seconds=delay_s)


def _env() -> BaseEnv:
    """The store events queue and the re-read window (the template's CatalogRefreshSeconds)."""
    from connector.config import load_env

    return load_env(BaseEnv)


def on_store_product_deleted(message: EventMessage, c: Collaborators) -> str:
    """Removal: deleted in the store -> deactivated on TikTok."""
    from connector.runtime import now

    opened = _product_event(message, c)
    if isinstance(opened, str):
        return opened
    product_id, cat = opened
    record = cat.products.get(cat.connection_id, product_id)
    if record is None:
        return "catalog_unknown"
    if not record.deleted:
        cat.products.update(cat.connection_id, product_id, deleted=True, updated_at=int(now()))
    outcome, _reason = _push_or_raise(cat, product_id)
    return f"catalog_{outcome}"


def on_tiktok_product_status(message: EventMessage, c: Collaborators) -> str:
    """Webhooks 5 and 37: re-read the product's status from TikTok and record it."""
    from connector.catalog.review import refresh_status

    tiktok_product_id = message.entity_ids.get("product_id")
    if not tiktok_product_id:
        return "catalog_ignored"
    cat = _status_catalog(c, message)
    if cat is None:
        return "catalog_skipped"
    return "catalog_" + str(_retrying(lambda: refresh_status(cat, tiktok_product_id)))


_STATUS_CATALOGS: dict[str, tuple[float, Catalog]] = {}
STATUS_CATALOG_TTL_S = 10.0


def _status_catalog(c: Collaborators, message: EventMessage) -> Catalog | None:
    """Status webhooks come in floods (three or four per pushed product): the connection, its shop
    and its TikTok client are opened once per connection for a few seconds, not per event.
    Only status refreshes use it (they read neither settings nor mappings)."""
    import time

    now = time.monotonic()
    held = _STATUS_CATALOGS.get(message.connection_id)
    if held is not None and now - held[0] < STATUS_CATALOG_TTL_S:
        return held[1]
    cat = _open_or_none(c, message)
    if cat is not None:
        _STATUS_CATALOGS[message.connection_id] = (now, cat)
    else:
        _STATUS_CATALOGS.pop(message.connection_id, None)
    return cat


def _open_or_none(c: Collaborators, message: EventMessage) -> Catalog | None:
    from connector.catalog.context import open_catalog
    from connector.errors import Conflict

    try:
        return open_catalog(c, message.connection_id, message.correlation_id)
    except Conflict:
        return None


def _push_or_raise(cat: Catalog, product_id: str) -> tuple[str, str | None]:
    from connector.catalog.push import push_product

    outcome, reason = _retrying(lambda: push_product(cat, product_id))
    return str(outcome), reason


def _retrying(action: Callable[[], Any]) -> Any:
    """Transient failures raise, so the event goes back to its queue (and, failing, to its DLQ)."""
    from connector.catalog.push import PushRetry

    try:
        return action()
    except PushRetry as exc:
        raise TransientError(str(exc)) from None


# ================================================================================ poll
def poll_connection(c: Collaborators, connection_id: str, correlation_id: str) -> dict[str, int]:
    """Re-read the status of every product in review (the webhooks' safety net)."""
    from connector.catalog.context import open_catalog
    from connector.catalog.review import apply_tiktok_status, in_review
    from connector.tiktok.errors import TikTokError

    cat = open_catalog(c, connection_id, correlation_id)
    counts: dict[str, int] = {}
    for record in in_review(cat):
        if record.tiktok_product_id is None:
            continue
        try:
            detail = cat.tiktok.get_product(cat.shop_ref, record.tiktok_product_id)
        except TikTokError as exc:
            counts["error"] = counts.get("error", 0) + 1
            logger().warning("listing poll failed", extra={"connection_id": connection_id, "error": exc.code})
            continue
        outcome = apply_tiktok_status(cat, record, detail)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def poll_all(correlation_id: str) -> dict[str, Any]:
    """The listing-poll schedule: every connection holding TikTok tokens (the refresh queue)."""
    from connector.errors import ConnectorError

    w = _wired()
    polled, failed = 0, 0
    totals: dict[str, int] = {}
    for connection_id in w.c.repo.due_for_refresh(2**40):
        connection = w.c.repo.get(connection_id)
        if connection is None or not connection.syncing:
            continue
        try:
            counts = poll_connection(w.c, connection_id, correlation_id)
        except ConnectorError as exc:
            failed += 1
            logger().warning("listing poll failed", extra={"connection_id": connection_id, "error": exc.code})
            continue
        polled += 1
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
    logger().info("listing poll run", extra={"connections": polled, "failed": failed, "statuses": totals})
    return {"connections": polled, "failed": failed, "statuses": totals}
