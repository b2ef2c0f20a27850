"""The merchant's manual actions: "update stock" and "update price" for selected products (or
all linked ones), each run as a task (``stock_update`` / ``price_update``) with counts and
per-product results, read back through the tasks routes.

    POST /connections/{connection_id}/actions/update-stock   {"product_ids": ["123", ...]} | {"all": true}
    POST /connections/{connection_id}/actions/update-price   (same body)

202 with the task id; 400 naming the problem for a bad body; 409 when the connection is not
syncing (paused, needs re-authorization, disconnected).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connector.api import body, correlation, new_router, owned
from connector.errors import BadRequest, Conflict
from connector.web import json_response

router = new_router()

MAX_PRODUCTS = 1000


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    product_ids: list[str] | None = Field(default=None, min_length=1, max_length=MAX_PRODUCTS)
    """Store product ids."""
    all: bool = False
    """Every product linked to TikTok."""

    @model_validator(mode="after")
    def _one_of(self) -> ActionRequest:
        if self.all == (self.product_ids is not None):
            raise ValueError("give either product_ids (1 to 1000 store product ids) or all: true")
        for pid in self.product_ids or []:
            if not pid.strip() or len(pid) > 128:
                raise ValueError("product_ids holds an empty or over-long id")
        return self


def _start(connection_id: str, kind: str) -> Any:
    from connector.catalog.stock.tasks import start_task
    from connector.connections.wiring import wire
    from connector.tasks import TaskRepository

    w = wire()
    connection = owned(router, w, connection_id)
    try:
        request = body(router, ActionRequest)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"the body is not a list of products: {problems}", reason="invalid_body") from None
    if not connection.syncing:
        raise Conflict(f"connection {connection_id} is {connection.state}: nothing is sent to TikTok until it is "
                       "active again", reason=f"connection_{connection.state}")
    ids = None if request.all else list(dict.fromkeys(p.strip() for p in request.product_ids or []))
    task_id = start_task(kind, connection_id, ids, correlation(router), tasks=TaskRepository(w.env.table_name),
                         sender=w.sender, tasks_queue_url=w.env.tasks_queue_url)
    return json_response(202, {"task_id": task_id, "kind": kind, "state": "queued",
                               "total": None if ids is None else len(ids)})


@router.post("/connections/<connection_id>/actions/update-stock")
def update_stock(connection_id: str) -> Any:
    return _start(connection_id, "stock_update")


@router.post("/connections/<connection_id>/actions/update-price")
def update_price(connection_id: str) -> Any:
    return _start(connection_id, "price_update")
