"""Merchant actions on orders (retry a blocked order, re-scan for missed ones), each run as a
task read back through the tasks routes:

    POST /connections/{connection_id}/orders/{tiktok_order_id}/retry   retry a blocked order by hand
    POST /connections/{connection_id}/orders/rescan  {"since": <epoch s>, "until": <epoch s>}
                                                     re-scan a time range, relay what is missing

202 with the task id; 400 naming the problem for a bad body; 404 for an order this connection
never saw; 409 when the order is not blocked or the connection is not syncing.
(The order listing and overview are the operations feature's, built on the order records.)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connector.api import body, correlation, new_router, owned
from connector.errors import BadRequest, Conflict, NotFound
from connector.tasks import TaskKind
from connector.web import json_response

router = new_router()

MAX_RANGE_S = 90 * 24 * 3600


class RescanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: int = Field(ge=0, description="Start of the update-time range (epoch seconds, inclusive).")
    until: int | None = Field(default=None, ge=0, description=(
        "End (epoch seconds, exclusive); default and latest: the end of the current second."))


def _enqueue(connection_id: str, kind: TaskKind, payload: dict[str, Any], w: Any, total: int | None = None) -> str:
    from connector.runtime import now
    from connector.tasks import TaskMessage, TaskRecord, TaskRepository, new_task_id

    task_id = new_task_id(kind)
    stamp = int(now())
    TaskRepository(w.env.table_name).create(TaskRecord(
        connection_id=connection_id, task_id=task_id, kind=kind, correlation_id=correlation(router),
        created_at=stamp, updated_at=stamp, total=total))
    w.sender.send(w.env.tasks_queue_url, TaskMessage(kind=kind, task_id=task_id, correlation_id=correlation(router),
                                                     connection_id=connection_id, payload=payload))
    return task_id


def _syncing(connection: Any, connection_id: str) -> None:
    if not connection.syncing:
        raise Conflict(f"connection {connection_id} is {connection.state}: orders are not relayed until it is "
                       "active again", reason=f"connection_{connection.state}")


@router.post("/connections/<connection_id>/orders/<tiktok_order_id>/retry")
def retry(connection_id: str, tiktok_order_id: str) -> Any:
    from connector.connections.wiring import wire
    from connector.orders.records import OrderRepository

    w = wire()
    connection = owned(router, w, connection_id)
    _syncing(connection, connection_id)
    if not tiktok_order_id.isdigit() or len(tiktok_order_id) > 40:
        raise BadRequest("a TikTok order id is a string of digits", reason="bad_order_id")
    record = OrderRepository(w.env.table_name).get(connection_id, tiktok_order_id)
    if record is None:
        raise NotFound(f"no TikTok order {tiktok_order_id} on this connection", reason="unknown_order")
    if record.state not in ("blocked", "retrying"):
        raise Conflict(f"order {tiktok_order_id} is {record.state}, not blocked: nothing to retry",
                       reason="order_not_blocked")
    task_id = _enqueue(connection_id, "order_retry", {"tiktok_order_id": tiktok_order_id}, w, total=1)
    return json_response(202, {"task_id": task_id, "kind": "order_retry", "tiktok_order_id": tiktok_order_id})


@router.post("/connections/<connection_id>/orders/rescan")
def rescan(connection_id: str) -> Any:
    from connector.connections.wiring import wire
    from connector.runtime import now

    w = wire()
    connection = owned(router, w, connection_id)
    _syncing(connection, connection_id)
    try:
        request = body(router, RescanRequest)
    except ValueError as exc:
        raise BadRequest(str(exc).splitlines()[-1].strip() if str(exc) else "invalid body",
                         reason="invalid_body") from None
    # The range's end is exclusive and TikTok's update times are whole seconds: ending at the
    # current second would miss an order updated a moment ago, so "now" is the next second.
    current = int(now()) + 1
    until = min(request.until if request.until is not None else current, current)
    if request.since >= until:
        raise BadRequest("since must be before until (and before now)", reason="empty_range")
    if until - request.since > MAX_RANGE_S:
        raise BadRequest("a re-scan covers at most 90 days", reason="range_too_long")
    task_id = _enqueue(connection_id, "order_rescan", {"since": request.since, "until": until}, w)
    return json_response(202, {"task_id": task_id, "kind": "order_rescan", "since": request.since, "until": until})
