"""The merchant's "update stock" and "update price" actions, run as tasks with a result per
product."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from connector.catalog.stock.requests import StockMessage, send_all

if TYPE_CHECKING:
    from connector.queues import MessageSender
    from connector.tasks import TaskMessage, TaskRepository
from connector.catalog.stock.sync import StockDeps, default_deps


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
    deps = deps or default_deps()
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
