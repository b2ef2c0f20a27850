"""The operator canary: a synthetic probe that travels the real pipeline (API -> tasks queue ->
task worker -> state machine -> step function -> table) and records each stage it reaches.
Operators start one by hand or on a schedule, and read it back to see where a pipeline stalls."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from connector import dynamo, keys
from connector.errors import Conflict, NotFound
from connector.queues import MessageSender
from connector.runtime import now
from connector.tasks import TaskMessage

Stage = Literal["api", "worker", "state_machine"]
STAGES: tuple[Stage, ...] = ("api", "worker", "state_machine")
RETENTION_SECONDS = 7 * 24 * 3600


class CanaryRun(BaseModel):
    canary_id: str
    correlation_id: str
    status: Literal["running", "completed"]
    stages: dict[str, int] = Field(default_factory=dict, description="stage -> epoch milliseconds")

    @property
    def latency_ms(self) -> int | None:
        if "api" in self.stages and "state_machine" in self.stages:
            return self.stages["state_machine"] - self.stages["api"]
        return None


class CanaryStepInput(BaseModel):
    """What the canary state machine carries and hands to its step."""

    canary_id: str = Field(min_length=1)
    correlation_id: str = Field(min_length=1)
    execution: str | None = None


class CanaryRepository(dynamo.Repository):
    def create(self, run: CanaryRun, at_ms: int) -> None:
        item = {
            keys.PK: keys.canary_pk(run.canary_id),
            keys.SK: keys.META,
            "canary_id": run.canary_id,
            "correlation_id": run.correlation_id,
            "status": run.status,
            "stages": run.stages,
            keys.TTL_ATTRIBUTE: at_ms // 1000 + RETENTION_SECONDS,
        }
        if not self._put_if_absent(item):
            raise Conflict(f"canary {run.canary_id} exists already")

    def mark(self, canary_id: str, stage: Stage, at_ms: int) -> CanaryRun:
        status = "completed" if stage == STAGES[-1] else "running"
        item = self._updated_if(
            {keys.PK: keys.canary_pk(canary_id), keys.SK: keys.META},
            "SET stages.#stage = if_not_exists(stages.#stage, :at), #status = :status", dynamo.PRESENT,
            names={"#stage": stage, "#status": "status"}, values={":at": at_ms, ":status": status})
        if item is None:
            raise NotFound(f"canary {canary_id} does not exist")
        return _run(item)

    def get(self, canary_id: str) -> CanaryRun:
        item = self._read({keys.PK: keys.canary_pk(canary_id), keys.SK: keys.META})
        if item is None:
            raise NotFound(f"canary {canary_id} does not exist")
        return _run(item)


def _run(item: dict[str, Any]) -> CanaryRun:
    return CanaryRun(
        canary_id=item["canary_id"],
        correlation_id=item["correlation_id"],
        status=item["status"],
        stages={k: int(v) for k, v in item.get("stages", {}).items()},
    )


def start(
    repo: CanaryRepository,
    sender: MessageSender,
    tasks_queue_url: str,
    correlation_id: str,
    clock: Callable[[], float] = now,
) -> CanaryRun:
    """Record the API stage and hand the probe to the tasks queue."""
    canary_id = uuid.uuid4().hex
    at_ms = int(clock() * 1000)
    run = CanaryRun(canary_id=canary_id, correlation_id=correlation_id, status="running", stages={"api": at_ms})
    repo.create(run, at_ms)
    sender.send(
        tasks_queue_url,
        TaskMessage(kind="canary", task_id=f"canary-{canary_id}", correlation_id=correlation_id,
                    payload={"canary_id": canary_id}),
    )
    return run


def reach(repo: CanaryRepository, canary_id: str, stage: Stage, clock: Callable[[], float] = now) -> CanaryRun:
    """Record that the probe reached ``stage``."""
    return repo.mark(canary_id, stage, int(clock() * 1000))


def run_task(message: TaskMessage) -> bool:
    """The task worker's part of the canary: record the stage, start the state machine."""
    from connector.config import TaskWorkerEnv, load_env
    from connector.tasks import StateMachineStarter

    env = load_env(TaskWorkerEnv)
    canary_id = str(message.payload["canary_id"])
    reach(CanaryRepository(env.table_name), canary_id, "worker")
    return StateMachineStarter().start(env.canary_state_machine_arn, message.task_id,
                                       CanaryStepInput(canary_id=canary_id, correlation_id=message.correlation_id))
