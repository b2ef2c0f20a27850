"""Tasks queue consumer: validates each task message and runs the handler of its kind
(``connector.tasks.HANDLERS``), which records the task and usually starts its state machine.

Partial batch failures are reported, so one bad message never holds back the others; a message
that keeps failing reaches the tasks dead-letter queue through the queue's redrive policy.
"""

from __future__ import annotations

from typing import Any

from connector.observability import log_context, logger, metrics
from connector.tasks import TaskMessage, handler_for


def _handle(body: str) -> None:
    message = TaskMessage.model_validate_json(body)
    with log_context(correlation_id=message.correlation_id, task_id=message.task_id,
                     connection_id=message.connection_id):
        outcome = handler_for(message.kind)(message)
        logger().info("task dispatched", extra={"kind": message.kind, "outcome": str(outcome)})


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=lambda record: _handle(record.body),
        processor=BatchProcessor(event_type=EventType.SQS), context=context)
