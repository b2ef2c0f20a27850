"""Tasks queue consumer: validates each task message and starts the state machine of its kind.

Partial batch failures are reported, so one bad message never holds back the others; a message
that keeps failing reaches the tasks dead-letter queue through the queue's redrive policy.
"""

from __future__ import annotations

from typing import Any

from connector import canary
from connector.config import TaskWorkerEnv, load_env
from connector.observability import log_context, logger
from connector.runtime import now_s
from connector.tasks import AWAITING_FEATURE, StateMachineStarter, TaskMessage, record_awaiting_feature


def _handle(body: str) -> None:
    env = load_env(TaskWorkerEnv)
    message = TaskMessage.model_validate_json(body)
    with log_context(correlation_id=message.correlation_id, task_id=message.task_id):
        if message.kind in AWAITING_FEATURE:
            # The task's id carries its creation (a redelivery records nothing twice).
            recorded = record_awaiting_feature(env.table_name, message, _created_ts(message))
            logger().info("task recorded, awaiting its feature", extra={"kind": message.kind, "recorded": recorded,
                                                                        "connection_id": message.connection_id})
            return
        if message.kind == "canary":
            canary.reach(canary.CanaryRepository(env.table_name), str(message.payload["canary_id"]), "worker")
            started = StateMachineStarter().start(
                env.canary_state_machine_arn,
                message.task_id,
                canary.CanaryStepInput(canary_id=str(message.payload["canary_id"]),
                                       correlation_id=message.correlation_id),
            )
        logger().info("task dispatched", extra={"kind": message.kind, "started": started})


def _created_ts(message: TaskMessage) -> int:
    stamp = str(message.payload.get("created_ts", ""))
    return int(stamp) if stamp.isdigit() else now_s()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(  # type: ignore[return-value]
        event=event,
        record_handler=lambda record: _handle(record.body),
        processor=processor,
        context=context,
    )
