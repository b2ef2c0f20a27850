"""The catalog state machine's steps (prepare, push a page, finish, fail) and the listing-poll
schedule (re-reads the review status of products in review). Thin: the work is in
``connector.catalog.flow``."""

from __future__ import annotations

from typing import Any

from connector.catalog import flow
from connector.observability import log_context, metrics


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raw = event.get("task")
    task: dict[str, Any] = raw if isinstance(raw, dict) else {}
    with log_context(correlation_id=event.get("correlation_id") or task.get("correlation_id") or event.get("id"),
                     task_id=event.get("task_id") or task.get("task_id"),
                     connection_id=event.get("connection_id") or task.get("connection_id")):
        return flow.step(event)
