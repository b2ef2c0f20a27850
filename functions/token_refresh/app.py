"""The token-refresh schedule: refreshes every TikTok access token that expires within the
margin, and every expiring store token (Shopify's offline tokens) that would lapse before the
next run, one connection at a time under its lock (the same lock for both); a refused refresh
marks the connection "needs re-authorization" (and it leaves the queue)."""

from __future__ import annotations

from typing import Any

from connector import metrics as catalogue
from connector.connections import lifecycle
from connector.connections.wiring import Wired, wire
from connector.errors import ConnectorError
from connector.observability import count, logger, metrics
from connector.runtime import now


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    w = wire()
    correlation_id = str(event.get("id") or getattr(context, "aws_request_id", "schedule"))
    due = list(w.c.repo.due_for_refresh(int(now()) + lifecycle.REFRESH_MARGIN_S))
    refreshed: list[str] = []
    failed: list[str] = []
    refreshed_stores: list[str] = []
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
    store_due = list(w.c.repo.due_for_store_refresh(int(now()) + lifecycle.STORE_REFRESH_MARGIN_S))
    for connection_id in store_due:
        try:
            outcome = lifecycle.refresh_store_token(w.c.repo, w.c.vault, connection_id, _store_refresher(w),
                                                    w.c.notifier, correlation_id=correlation_id)
        except ConnectorError as exc:
            failed.append(connection_id)
            logger().warning("store token refresh failed", extra={"connection_id": connection_id,
                                                                  "error": exc.code, "reason": exc.reason})
            continue
        if outcome.refreshed:
            refreshed_stores.append(connection_id)
    count(catalogue.STORE_TOKENS_REFRESHED, len(refreshed_stores))
    count("TokensRefreshed", len(refreshed))
    count("TokenRefreshFailed", len(failed))
    logger().info("token refresh run", extra={"due": len(due), "refreshed": len(refreshed), "failed": len(failed),
                                              "store_due": len(store_due), "stores_refreshed": len(refreshed_stores)})
    return {"due": len(due), "refreshed": refreshed, "failed": failed, "store_due": len(store_due),
            "stores_refreshed": refreshed_stores}


def _store_refresher(w: Wired) -> lifecycle.StoreRefresher:
    if w.c.store_refresher is None:  # pragma: no cover - wire() always gives one
        raise ConnectorError("no store token refresher is wired")
    return w.c.store_refresher
