"""The order relay state machine's step: one attempt at relaying one TikTok order
(intake, creating the store order, or recording why it is blocked).

Transient failures (TikTok / store 429, 5xx, timeouts) are raised as ``TransientError`` so the
state machine retries them with backoff; validation problems never reach here as errors (they
make the order ``blocked`` with a reason)."""

from __future__ import annotations

from typing import Any

from connector.connections.wiring import wire
from connector.observability import log_context, logger, metrics


class TransientError(Exception):
    """Retryable: the state machine's Retry matches this class name."""


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from connector.orders.service import relay_step
    from connector.stores.errors import RateLimited as StoreRateLimited
    from connector.stores.errors import ServerError as StoreServerError
    from connector.tiktok.errors import RateLimited, ServerError

    with log_context(correlation_id=event.get("correlation_id"), connection_id=event.get("connection_id")):
        try:
            result = relay_step(wire().c, event)
        except (RateLimited, ServerError, StoreRateLimited, StoreServerError) as exc:
            logger().warning("order relay step: transient failure", extra={
                "tiktok_order_id": event.get("tiktok_order_id"), "error": type(exc).__name__})
            raise TransientError(f"{type(exc).__name__} while relaying order {event.get('tiktok_order_id')}") from None
        logger().info("order relay step", extra={"tiktok_order_id": result["tiktok_order_id"],
                                                 "outcome": result["outcome"], "attempts": result["attempts"]})
        return result
