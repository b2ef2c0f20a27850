"""Task messages: every asynchronous action travels the tasks queue as one of these, and the
task worker starts the state machine for its kind."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TaskKind = Literal["canary", "catalog_pull", "notify_merchant"]
#: Kinds whose feature has not landed yet: the worker records them as tasks, queued, and does no work.
AWAITING_FEATURE: dict[str, str] = {
    "catalog_pull": "queued until the catalog feature exists",
    "notify_merchant": "queued until merchant notifications exist",
}


class TaskMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: TaskKind
    task_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")
    correlation_id: str = Field(min_length=1, max_length=128)
    connection_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


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


def record_awaiting_feature(table_name: str, message: TaskMessage, created_ts: int, client: Any | None = None) -> bool:
    """Record a task whose feature has not landed yet as a task item (status ``queued``, with
    why), once per task id: no fake work is done. False when it was recorded already."""
    from connector import aws, dynamo, keys

    ddb = client or aws.client("dynamodb")
    item = {keys.PK: keys.conn_pk(message.connection_id or "none"), keys.SK: keys.task_sk(created_ts, message.task_id),
            "task_id": message.task_id, "kind": message.kind, "status": "queued",
            "note": AWAITING_FEATURE.get(message.kind, ""), "correlation_id": message.correlation_id,
            "payload": {k: str(v) for k, v in message.payload.items()}}
    try:
        ddb.put_item(TableName=table_name, Item=dynamo.to_item(item), ConditionExpression="attribute_not_exists(pk)")
    except Exception as exc:
        if dynamo.is_condition_failure(exc):
            return False
        raise
    return True
