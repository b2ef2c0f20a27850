"""Consumes the TikTok and store events queues: routes each message by kind. The connect
kinds act here (de-authorization and expiring authorization -> needs re-authorization; app
uninstalled -> disconnect); other kinds are recorded as accepted, not handled yet."""

from __future__ import annotations

from typing import Any

from connector.connections.events import route
from connector.connections.models import EventMessage
from connector.connections.wiring import wire
from connector.observability import log_context, logger, metrics


def _handle(body: str) -> None:
    message = EventMessage.model_validate_json(body)
    with log_context(correlation_id=message.correlation_id, connection_id=message.connection_id):
        outcome = route(message, wire().c)
        logger().info("event routed", extra={"source": message.source, "kind": message.kind, "outcome": outcome,
                                             "event_id": message.event_id})


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=lambda record: _handle(record.body),
        processor=BatchProcessor(event_type=EventType.SQS), context=context)
