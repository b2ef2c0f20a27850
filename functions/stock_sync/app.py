"""The stock worker: consumes the stock queue in batches (a burst on one product is
synced once), and on its schedule queues the stock reconciliation of every syncing connection.
Failed messages are reported one by one and retried by SQS, then dead-lettered."""

from __future__ import annotations

from typing import Any

from connector.observability import log_context, logger, metrics


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from connector.catalog.stock.reconcile import enqueue_reconciliation
    from connector.catalog.stock.sync import handler_deps
    from connector.catalog.stock.worker import handle_batch

    deps = handler_deps()
    if "Records" not in event:  # the reconciliation schedule (EventBridge Scheduler)
        correlation_id = str(event.get("id") or getattr(context, "aws_request_id", "stock-reconcile"))
        with log_context(correlation_id=correlation_id):
            result = enqueue_reconciliation(deps, correlation_id)
            logger().info("stock reconciliation queued", extra=result)
            return result
    records = [(str(r["messageId"]), str(r["body"])) for r in event["Records"]]
    with log_context(correlation_id=_correlation(records)):
        failed = handle_batch(records, deps)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


def _correlation(records: list[tuple[str, str]]) -> str | None:
    import json

    try:
        return str(json.loads(records[0][1]).get("correlation_id")) if records else None
    except (ValueError, AttributeError):
        return None
