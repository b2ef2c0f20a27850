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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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

    def __init__(self, client: Any | None = None) -> None:
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


class TaskRepository:
    """Task records under the connection: ``TASK#<task_id>`` plus ``TASKITEM#<task_id>#<item>``."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table = table_name
        self._client = client

    @property
    def client(self) -> Any:
        from connector import aws

        return self._client or aws.client("dynamodb")

    def _key(self, connection_id: str, task_id: str) -> dict[str, Any]:
        from connector import dynamo, keys

        return dynamo.to_item({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.task_sk(task_id)})

    def create(self, record: TaskRecord) -> bool:
        """Record a new task once: False when that task id exists already (a redelivery)."""
        from connector import dynamo, keys

        item = {keys.PK: keys.conn_pk(record.connection_id), keys.SK: keys.task_sk(record.task_id),
                **record.model_dump(exclude_none=True)}
        try:
            self.client.put_item(TableName=self._table, Item=dynamo.to_item(item),
                                 ConditionExpression="attribute_not_exists(pk)")
        except Exception as exc:
            if dynamo.is_condition_failure(exc):
                return False
            raise
        return True

    def get(self, connection_id: str, task_id: str) -> TaskRecord | None:
        from connector import dynamo

        got = self.client.get_item(TableName=self._table, Key=self._key(connection_id, task_id), ConsistentRead=True)
        if "Item" not in got:
            return None
        return TaskRecord.model_validate({k: v for k, v in dynamo.from_item(got["Item"]).items()
                                          if k in TaskRecord.model_fields})

    def set_state(self, connection_id: str, task_id: str, state: TaskState, now: int, *,
                  total: int | None = None, error: str | None = None, note: str | None = None) -> None:
        from connector import dynamo

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
        self.client.update_item(TableName=self._table, Key=self._key(connection_id, task_id),
                                UpdateExpression="SET " + ", ".join(sets),
                                ConditionExpression="attribute_exists(pk)",
                                ExpressionAttributeNames=names,
                                ExpressionAttributeValues=dynamo.values(values))

    def add_counts(self, connection_id: str, task_id: str, counts: dict[str, int], now: int) -> None:
        """Atomically add to the task's counters (safe from concurrent workers)."""
        from connector import dynamo

        if not counts:
            return
        names = {"#c": "counts"}
        parts = []
        values: dict[str, Any] = {":n": now}
        for i, (name, amount) in enumerate(sorted(counts.items())):
            names[f"#k{i}"] = name
            values[f":v{i}"] = amount
            parts.append(f"#c.#k{i} :v{i}")
        self.client.update_item(TableName=self._table, Key=self._key(connection_id, task_id),
                                UpdateExpression="ADD " + ", ".join(parts) + " SET updated_at = :n",
                                ConditionExpression="attribute_exists(pk)",
                                ExpressionAttributeNames=names, ExpressionAttributeValues=dynamo.values(values))

    def put_item(self, connection_id: str, task_id: str, item: TaskItem) -> None:
        from connector import dynamo, keys

        self.client.put_item(TableName=self._table, Item=dynamo.to_item({
            keys.PK: keys.conn_pk(connection_id), keys.SK: keys.task_item_sk(task_id, item.item_id),
            **item.model_dump(exclude_none=True)}))

    def items(self, connection_id: str, task_id: str) -> Iterator[TaskItem]:
        from connector import keys

        for raw in self._query(connection_id, keys.task_item_sk(task_id, "")):
            yield TaskItem.model_validate({k: v for k, v in raw.items() if k in TaskItem.model_fields})

    def recent(self, connection_id: str, limit: int = 50) -> list[TaskRecord]:
        from connector import dynamo, keys

        got = self.client.query(TableName=self._table, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                                ExpressionAttributeValues=dynamo.values({":p": keys.conn_pk(connection_id),
                                                                         ":s": "TASK#"}),
                                ScanIndexForward=False, Limit=limit)
        fields = TaskRecord.model_fields
        return [TaskRecord.model_validate({k: v for k, v in dynamo.from_item(i).items() if k in fields})
                for i in got.get("Items", [])]

    def _query(self, connection_id: str, prefix: str) -> Iterator[dict[str, Any]]:
        from connector import dynamo, keys

        for item in dynamo.query_prefix(self.client, self._table, keys.conn_pk(connection_id), prefix):
            yield dynamo.from_item(item)
