"""The token-refresh schedule: refreshes every TikTok access token that expires within the
margin, one connection at a time under its lock; a refused refresh marks the connection
"needs re-authorization" (and it leaves the queue)."""

from __future__ import annotations

from typing import Any

from connector.connections import lifecycle
from connector.connections.wiring import wire
from connector.errors import ConnectorError
from connector.observability import count, logger, metrics
from connector.runtime import now


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    w = wire()
    correlation_id = str(event.get("id") or getattr(context, "aws_request_id", "schedule"))
    due = list(w.c.repo.due_for_refresh(int(now()) + lifecycle.REFRESH_MARGIN_S))
    refreshed, failed = [], []
    for connection_id in due:
        try:
            outcome = lifecycle.refresh_tokens(w.c.repo, w.c.vault, connection_id, w.c.tiktok.refresh_access_token,
                                               w.c.notifier, correlation_id=correlation_id)
        except ConnectorError as exc:  # one connection's failure never stops the others
            failed.append(connection_id)
            logger().warning("token refresh failed", extra={"connection_id": connection_id, "error": exc.code,
                                                            "reason": exc.reason})
            continue
        if outcome.refreshed:
            refreshed.append(connection_id)
    count("TokensRefreshed", len(refreshed))
    count("TokenRefreshFailed", len(failed))
    logger().info("token refresh run", extra={"due": len(due), "refreshed": len(refreshed), "failed": len(failed)})
    return {"due": len(due), "refreshed": refreshed, "failed": failed}
