"""The re-scan and the sweeper. TikTok's order search over an update-time window finds every order
a lost webhook would have hidden: orders not in the store yet get a relay execution, relayed
orders whose TikTok status moved on are brought up to date. The schedule scans overlapping windows
(an order's ``update_time`` can land behind a window already read); a merchant can re-scan any
range (task ``order_rescan``), and retry a blocked order by hand (task ``order_retry``). Before
each scan the sweeper resumes every open order record past its deadline (:func:`sweep`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from connector.observability import count, logger

if TYPE_CHECKING:
    from connector.connections.lifecycle import Collaborators
    from connector.orders.service import Context
    from connector.tasks import TaskMessage

OVERLAP_S = 600
FIRST_LOOKBACK_S = 3 * 24 * 3600
MAX_RANGE_S = 90 * 24 * 3600

Starter = Callable[[str, str, str, str, str], bool]


def rescan(c: Collaborators, ctx: Context, since: int, until: int, correlation_id: str, *,
           starter: Starter | None = None) -> dict[str, int]:
    """Relay what is missing and sync what moved on, for orders updated in ``[since, until)``."""
    from connector.orders import service
    from connector.orders.flows import FINAL, STATE_OF_STATUS
    from connector.orders.records import OrderRepository
    from connector.orders.relay import decide
    from connector.settings import SettingsRepository

    start = starter or service.start_relay
    connection_id = ctx.connection.connection_id
    orders = OrderRepository(ctx.table)
    settings = SettingsRepository(ctx.table).get(connection_id).orders
    tiktok = c.tiktok_for(connection_id, correlation_id)
    counts = {"seen": 0, "relay_started": 0, "synced": 0, "unchanged": 0, "not_relayed": 0}
    for order in tiktok.iter_orders_changed(ctx.ref, since=since, until=until, overlap_s=0):
        counts["seen"] += 1
        record = orders.get(connection_id, order.id)
        if record is None or record.store_order_id is None:
            if record is not None and record.state in ("skipped", "cancelled", "blocked", "retrying"):
                counts["not_relayed"] += 1  # blocked / retrying: its own retries, the sweeper or the merchant
                continue
            if record is not None and record.state == "claimed" and (record.claim_expires_at or 0) > c.clock():
                counts["not_relayed"] += 1  # a live relay owns it; the sweeper resumes it if it dies
                continue
            decision = decide(order, settings)
            if decision in ("relay", "wait_hold") or (decision == "cancelled" and record is not None):
                name = service.execution_name("scan", order.id, f"{order.update_time}:{order.status}")
                counts["relay_started"] += int(start(connection_id, ctx.shop.shop_id, order.id, correlation_id, name))
            else:
                counts["not_relayed"] += 1
            continue
        target = STATE_OF_STATUS.get(order.status)
        if record.state in FINAL or target is None or target == record.state or (
                target == "created" and record.state != "created"):
            counts["unchanged"] += 1
            continue
        outcome = service.apply_tiktok_change(c, ctx, record, "order_status_change", correlation_id)
        counts["synced" if outcome != "unchanged" else "unchanged"] += 1
    count("OrderRescanRelayStarted", counts["relay_started"])
    logger().info("order re-scan", extra={"connection_id": connection_id, **counts})
    return counts


# -------------------------------------------------------------------------- the sweeper
SWEEP_LIMIT = 200
"""Relays started per connection and run, oldest order first (a backlog after an outage drains
over several runs instead of hitting the store all at once)."""


def sweep(c: Collaborators, ctx: Context, now: int, correlation_id: str, *,
          starter: Starter | None = None) -> dict[str, int]:
    """Resume every open order record past its deadline (a dead claim, a retry that is due, a
    hold or a block to look at again), whatever TikTok's update time says. Each resume is a new
    relay execution with a name of its own, so it never depends on an old name being free."""
    import uuid

    from connector.orders import service
    from connector.orders.records import OrderRepository

    start = starter or service.start_relay
    connection_id = ctx.connection.connection_id
    started = 0
    due = [r for r in OrderRepository(ctx.table).due(connection_id, now, limit=SWEEP_LIMIT)
           if r.shop_id == ctx.shop.shop_id]
    for record in due:
        name = service.execution_name("sweep", record.tiktok_order_id, f"{now}:{uuid.uuid4().hex}")
        started += int(start(connection_id, record.shop_id, record.tiktok_order_id, correlation_id, name))
    count("OrderSweepResumed", started)
    if due:
        logger().info("order sweep", extra={"connection_id": connection_id, "due": len(due), "resumed": started})
    return {"swept": started}


# -------------------------------------------------------------------------- the schedule
def active_connections(c: Collaborators) -> Iterator[str]:
    """Connection ids that are syncing: every connection holding TikTok tokens is in the
    token-refresh index (one query, no scan), kept when its state is active."""
    for connection_id in dict.fromkeys(c.repo.due_for_refresh(10**12 - 1)):
        connection = c.repo.get(connection_id)
        if connection is not None and connection.state == "active":
            yield connection_id


def scheduled(c: Collaborators, now: int, correlation_id: str) -> dict[str, Any]:
    """Every connection's window since its last scan (minus the overlap) up to now."""
    from connector import dynamo, keys
    from connector.errors import ConnectorError
    from connector.orders.service import context

    totals: dict[str, int] = {}
    failed: list[str] = []
    for connection_id in active_connections(c):
        key = dynamo.to_item({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.ORDER_SCAN})
        got = c.repo.client.get_item(TableName=c.repo.table_name, Key=key, ConsistentRead=True)
        last = int(dynamo.from_item(got["Item"])["last_until"]) if "Item" in got else None
        since = max(0, (last - OVERLAP_S) if last is not None else now - FIRST_LOOKBACK_S)
        try:
            for shop in c.repo.shops(connection_id):
                swept = sweep(c, context(c, connection_id, shop.shop_id), now, correlation_id)
                totals["swept"] = totals.get("swept", 0) + swept["swept"]
        except ConnectorError as exc:
            logger().warning("order sweep failed", extra={"connection_id": connection_id, "error": exc.code})
        try:
            for shop in c.repo.shops(connection_id):
                counts = rescan(c, context(c, connection_id, shop.shop_id), since, now, correlation_id)
                for name, value in counts.items():
                    totals[name] = totals.get(name, 0) + value
        except ConnectorError as exc:  # one tenant's failure never stops the others
            failed.append(connection_id)
            logger().warning("order re-scan failed", extra={"connection_id": connection_id, "error": exc.code})
            continue
        c.repo.client.put_item(TableName=c.repo.table_name, Item={**key, **dynamo.to_item(
            {"last_until": now, "updated_at": now})})
    count("OrderRescanFailed", len(failed))
    return {**totals, "failed": failed}


# ------------------------------------------------------------------------------- tasks
def run_rescan_task(message: TaskMessage) -> dict[str, int]:
    """Task ``order_rescan`` (missed-order re-scan): payload ``since`` / ``until`` (epoch seconds)."""
    from connector.connections.wiring import wire
    from connector.orders.service import context
    from connector.runtime import now
    from connector.tasks import TaskItem, TaskRecord, TaskRepository

    w = wire()
    assert message.connection_id is not None
    tasks = TaskRepository(w.env.table_name)
    stamp = int(now())
    tasks.create(TaskRecord(connection_id=message.connection_id, task_id=message.task_id, kind=message.kind,
                            correlation_id=message.correlation_id, created_at=stamp, updated_at=stamp))
    tasks.set_state(message.connection_id, message.task_id, "running", stamp)
    since, until = int(message.payload["since"]), int(message.payload["until"])
    totals: dict[str, int] = {}
    for shop in w.c.repo.shops(message.connection_id):
        counts = rescan(w.c, context(w.c, message.connection_id, shop.shop_id), since, until,
                        message.correlation_id)
        for name, value in counts.items():
            totals[name] = totals.get(name, 0) + value
        tasks.put_item(message.connection_id, message.task_id, TaskItem(
            item_id=f"shop-{shop.shop_id}", outcome="scanned", details={k: str(v) for k, v in counts.items()},
            at=int(now())))
    tasks.add_counts(message.connection_id, message.task_id, totals, int(now()))
    tasks.set_state(message.connection_id, message.task_id, "completed", int(now()), total=totals.get("seen", 0))
    return totals


def run_retry_task(message: TaskMessage) -> str:
    """Task ``order_retry``: relay a blocked order again, after the merchant's fix."""
    from connector.connections.wiring import wire
    from connector.orders.records import OrderRepository
    from connector.orders.service import execution_name, start_relay
    from connector.runtime import now
    from connector.tasks import TaskItem, TaskRecord, TaskRepository

    w = wire()
    assert message.connection_id is not None
    order_id = str(message.payload["tiktok_order_id"])
    tasks = TaskRepository(w.env.table_name)
    stamp = int(now())
    tasks.create(TaskRecord(connection_id=message.connection_id, task_id=message.task_id, kind=message.kind,
                            correlation_id=message.correlation_id, created_at=stamp, updated_at=stamp, total=1))
    record = OrderRepository(w.env.table_name).get(message.connection_id, order_id)
    if record is None or record.state not in ("blocked", "retrying"):
        outcome, reason = "not_blocked", "the order is not blocked (nothing to retry)"
    else:
        started = start_relay(message.connection_id, record.shop_id, order_id, message.correlation_id,
                              execution_name("retry", order_id, message.task_id))
        outcome, reason = ("retry_started" if started else "retry_running"), None
    tasks.put_item(message.connection_id, message.task_id, TaskItem(item_id=order_id, outcome=outcome, reason=reason,
                                                                    at=int(now())))
    tasks.add_counts(message.connection_id, message.task_id, {outcome: 1}, int(now()))
    tasks.set_state(message.connection_id, message.task_id, "completed", int(now()))
    return outcome
