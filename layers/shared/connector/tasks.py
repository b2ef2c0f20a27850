"""Task messages: every asynchronous action travels the tasks queue as one of these, and the
task worker starts the state machine for its kind."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TaskKind = Literal["canary"]


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
