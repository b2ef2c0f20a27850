"""Tasks: every asynchronous action travels the tasks queue as a :class:`TaskMessage`, and
is recorded as a :class:`TaskRecord` with its state, counts and per-item results.

The task worker looks the kind up in :data:`HANDLERS` (``"module:function"``, imported on first
use so a handler's cold start pays only for what it runs) and calls ``function(message, env)``.
A feature adds its kinds here and nowhere else.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connector import dynamo, keys
from connector.dynamo import PRESENT, Repository

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

TaskKind = Literal[
    "canary",
    "catalog_pull",  # pull products from the store (full or incremental)
    "catalog_sync",  # push / all products to TikTok (the catalog state machine)
    "stock_update",  # the merchant's "update stock" action: recompute and send stock for products
    "price_update",  # the merchant's "update price" action: send prices for products
    "listing_status_poll",  # re-read review statuses of products in review
    "order_rescan",  # order polling / re-scan: search TikTok orders in a window, relay what is missing
    "order_retry",  # retry a blocked order by hand
    "notify_merchant",  # a merchant notification (batched into emails)
]

#: kind -> "module:function" called as ``function(message)`` by the task worker.
HANDLERS: dict[str, str] = {
    "canary": "connector.canary:run_task",
    "notify_merchant": "connector.notifications:handle",
    "order_rescan": "connector.orders.rescan:run_rescan_task",
    "order_retry": "connector.orders.rescan:run_retry_task",
    "stock_update": "connector.catalog.stock.tasks:run_task",  # fans products out on the stock queue
    "price_update": "connector.catalog.stock.tasks:run_task",
    "catalog_pull": "connector.catalog.flow:start_task",  # pull (+ push): the catalog state machine
    "catalog_sync": "connector.catalog.flow:start_task",  # push: the catalog state machine
    "listing_status_poll": "connector.catalog.flow:poll_task",  # review statuses of one connection
}

TaskState = Literal["queued", "running", "completed", "error"]


class TaskMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: TaskKind
    task_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")
    correlation_id: str = Field(min_length=1, max_length=128)
    connection_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


def new_task_id(kind: str, now: float | None = None) -> str:
    """Time-ordered (13-digit milliseconds first), so tasks list newest-last by key."""
    stamp = int((time.time() if now is None else now) * 1000)
    return f"{stamp:013d}-{kind.replace('_', '-')}-{os.urandom(4).hex()}"


def handler_for(kind: str) -> Callable[[TaskMessage], Any]:
    target = HANDLERS.get(kind)
    if target is None:
        raise LookupError(f"no handler for task kind {kind!r}")
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


class StateMachineStarter:
    """Starts a state machine execution named after the task, so a redelivered message starts
    nothing twice (an existing execution of that name counts as started)."""

    def __init__(self, client: SFNClient | None = None) -> None:
        self._client = client

    def start(self, state_machine_arn: str, name: str, payload: BaseModel) -> bool:
        from connector import aws

        client = self._client or aws.client("stepfunctions")
        try:
            client.start_execution(stateMachineArn=state_machine_arn, name=name, input=payload.model_dump_json())
        except client.exceptions.ExecutionAlreadyExists:
            return False
        return True


# ------------------------------------------------------------------------------------ records
class TaskRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection_id: str
    task_id: str
    kind: str
    state: TaskState = "queued"
    counts: dict[str, int] = Field(default_factory=dict)
    """Outcome counters (e.g. ``created``, ``failed``, ``unchanged``), added to as items finish."""
    total: int | None = None
    note: str | None = None
    error: str | None = None
    correlation_id: str | None = None
    created_at: int
    updated_at: int
    finished_at: int | None = None


class TaskItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: str
    outcome: str
    reason: str | None = None
    details: dict[str, str] = Field(default_factory=dict)
    at: int = 0


class TaskRepository(Repository):
    """Task records under the connection: ``TASK#<task_id>`` plus ``TASKITEM#<task_id>#<item>``."""

    def _key(self, connection_id: str, task_id: str) -> dict[str, Any]:
        return {keys.PK: keys.conn_pk(connection_id), keys.SK: keys.task_sk(task_id)}

    def create(self, record: TaskRecord) -> bool:
        """Record a new task once: False when that task id exists already (a redelivery)."""
        return self._put_if_absent({**self._key(record.connection_id, record.task_id),
                                   **record.model_dump(exclude_none=True)})

    def get(self, connection_id: str, task_id: str) -> TaskRecord | None:
        item = self._read(self._key(connection_id, task_id))
        if item is None:
            return None
        return TaskRecord.model_validate({k: v for k, v in item.items() if k in TaskRecord.model_fields})

    def set_state(self, connection_id: str, task_id: str, state: TaskState, now: int, *,
                  total: int | None = None, error: str | None = None, note: str | None = None) -> None:
        sets = ["#s = :s", "updated_at = :n"]
        values: dict[str, Any] = {":s": state, ":n": now}
        names = {"#s": "state"}
        for name, value in (("total", total), ("error", error), ("note", note)):
            if value is not None:  # "total" is a DynamoDB reserved word: every name goes through #
                sets.append(f"#{name} = :{name}")
                names[f"#{name}"] = name
                values[f":{name}"] = value
        if state in ("completed", "error"):
            sets.append("finished_at = :n")
        self._update(self._key(connection_id, task_id), "SET " + ", ".join(sets), names=names, values=values,
                    condition=PRESENT)

    def add_counts(self, connection_id: str, task_id: str, counts: dict[str, int], now: int) -> None:
        """Atomically add to the task's counters (safe from concurrent workers)."""
        if not counts:
            return
        names = {"#c": "counts"}
        parts = []
        values: dict[str, Any] = {":n": now}
        for i, (name, amount) in enumerate(sorted(counts.items())):
            names[f"#k{i}"] = name
            values[f":v{i}"] = amount
            parts.append(f"#c.#k{i} :v{i}")
        self._update(self._key(connection_id, task_id), "ADD " + ", ".join(parts) + " SET updated_at = :n",
                    names=names, values=values, condition=PRESENT)

    def set_counts(self, connection_id: str, task_id: str, counts: dict[str, int]) -> None:
        """Replace the task's counters (a total recounted from its per-item results)."""
        self._update(self._key(connection_id, task_id), "SET #c = :c", names={"#c": "counts"},
                    values={":c": counts})

    def put_item(self, connection_id: str, task_id: str, item: TaskItem) -> None:
        self._put(self._item(connection_id, task_id, item))

    def put_item_once(self, connection_id: str, task_id: str, item: TaskItem) -> bool:
        """Record an item's result once: False when it is recorded already (a redelivery)."""
        return self._put_if_absent(self._item(connection_id, task_id, item))

    def record_item(self, connection_id: str, task_id: str, item: TaskItem) -> None:
        """An item's result, once (a redelivered item changes no count); completes the task when
        every item is in."""
        if not self.put_item_once(connection_id, task_id, item):
            return
        self.add_counts(connection_id, task_id, {item.outcome: 1}, item.at)
        record = self.get(connection_id, task_id)
        if record is not None and record.total is not None and record.state == "running" \
                and sum(record.counts.values()) >= record.total:
            failed = record.counts.get("failed", 0)
            self.set_state(connection_id, task_id, "completed", item.at,
                           note=f"{failed} of {record.total} failed" if failed else None)

    def put_items(self, connection_id: str, task_id: str, items: list[TaskItem]) -> None:
        """Many per-item results, in batches."""
        self._put_all([self._item(connection_id, task_id, item) for item in items])

    def _item(self, connection_id: str, task_id: str, item: TaskItem) -> dict[str, Any]:
        return {keys.PK: keys.conn_pk(connection_id), keys.SK: keys.task_item_sk(task_id, item.item_id),
                **item.model_dump(exclude_none=True)}

    def items(self, connection_id: str, task_id: str) -> Iterator[TaskItem]:
        for raw in self._query_prefix(keys.conn_pk(connection_id), keys.task_item_sk(task_id, "")):
            yield TaskItem.model_validate({k: v for k, v in raw.items() if k in TaskItem.model_fields})

    def recent(self, connection_id: str, limit: int = 50) -> list[TaskRecord]:
        got = self.client.query(TableName=self._table, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                                ExpressionAttributeValues=dynamo.values({":p": keys.conn_pk(connection_id),
                                                                         ":s": "TASK#"}),
                                ScanIndexForward=False, Limit=limit)
        fields = TaskRecord.model_fields
        return [TaskRecord.model_validate({k: v for k, v in dynamo.from_item(i).items() if k in fields})
                for i in got.get("Items", [])]
