"""The order re-scan schedule (the polling that backs order webhooks): every active connection's
orders updated since its last scan (overlapping windows) are compared with the records; missing ones
are relayed, moved ones synced."""

from __future__ import annotations

from typing import Any

from connector.connections.wiring import wire
from connector.observability import log_context, logger, metrics
from connector.runtime import now


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from connector.orders.rescan import scheduled

    correlation_id = str(event.get("id") or getattr(context, "aws_request_id", "order-scan"))
    with log_context(correlation_id=correlation_id):
        result = scheduled(wire().c, int(now()), correlation_id)
        logger().info("order re-scan run", extra={k: v for k, v in result.items() if k != "failed"})
        return result
