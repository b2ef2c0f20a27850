"""The metric catalogue (for operators): every custom CloudWatch metric the connector emits, named here once.

Emit a count with :func:`connector.observability.count` (``count(metrics.ORDERS_RELAYED)``), a
duration with :func:`latency`, and a count that operators want per tenant with
:func:`count_for_tenant`. Metrics are EMF lines flushed by each handler's ``log_metrics``;
namespace ``TikTokShopConnector``, dimension ``service``. The dashboard in ``template.yaml``
and the alarms read these names; ``docs/operations.md`` lists them.

A reason lives in the metric name (``WebhookIgnored_unknown_tenant``), not in a dimension:
dimensions apply to every metric of a flush. Build those names with the functions below.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- catalog (push)
PRODUCTS_PUSHED = "CatalogProductsPushed"
"""Products created or updated on TikTok by a catalog sync page."""
PRODUCTS_FAILED = "ProductsFailed"
"""A product newly ``sync_failed`` or ``review_failed`` (emit with :func:`count_for_tenant`)."""

# --------------------------------------------------------------------------- orders (relay)
ORDERS_RELAYED = "OrderRelayed"
"""A store order created for a TikTok order (exactly once per order)."""
ORDERS_BLOCKED = "OrderBlocked"
"""A relay attempt ended ``blocked`` with a reason the merchant can fix (alarmed: OrdersBlockedAlarm).
Relay *failures* (the operator's problem) are the order relay state machine's failed executions
(``AWS/States ExecutionsFailed``, alarmed: OrderRelayFailedAlarm)."""
ORDER_CREATE_AMBIGUOUS = "OrderCreateAmbiguous"
"""A store order creation failed without saying whether the order exists (timeout, 5xx after
the request was sent): the relay searches over the settle window before it posts again."""
ORDER_DUPLICATES_CANCELLED = "OrderDuplicateCancelled"
"""A second store order for one TikTok order was found and cancelled in the store (alarmed:
OrderDuplicateAlarm)."""
ORDER_RELAY_LATENCY = "OrderRelayLatency"
"""Milliseconds from TikTok's paid time (or the end of the hold) to the store order recorded
(emit with :func:`latency`)."""

# --------------------------------------------------------------------------- stock sync
STOCK_LATENCY = "StockSyncLatency"
"""Milliseconds from the store's stock change being seen to TikTok's inventory updated."""
STOCK_OUTCOMES = ("updated", "unchanged", "skipped", "failed", "coalesced")


def stock_sync(outcome: str) -> str:
    """One product's stock sync outcome (``StockSync_updated``, ``StockSync_failed``...)."""
    return f"StockSync_{outcome}"


# --------------------------------------------------------------------------- webhooks (intake)
WEBHOOK_SOURCES = ("tiktok", "ecwid", "shopify")
WEBHOOK_REJECT_REASONS = ("unknown_event_type", "no_shop", "unknown_tenant")


def webhook_accepted(source: str) -> str:
    """A verified webhook enqueued (``WebhookQueued_tiktok``)."""
    return f"WebhookQueued_{source}"


def webhook_duplicate(source: str) -> str:
    return f"WebhookDuplicate_{source}"


def webhook_bad_signature(source: str) -> str:
    """Rejected with 401: the signature does not match."""
    return f"WebhookBadSignature_{source}"


def webhook_ignored(reason: str) -> str:
    """Answered 200 but not enqueued (``unknown_event_type``, ``no_shop``, ``unknown_tenant``)."""
    return f"WebhookIgnored_{reason}"


# --------------------------------------------------------------------------- the HTTP edge
HTTP_UNEXPECTED = "HttpUnexpectedError"
"""An unexpected exception on an unverified request, answered 400 (``connector.web``)."""
HTTP_UNEXPECTED_VERIFIED = "HttpUnexpectedErrorVerified"
"""An unexpected exception on a signed webhook or an authenticated request: a bug (alarmed)."""
HTTP_BODY_TOO_LARGE = "HttpBodyTooLarge"
"""A body over the edge's bound, answered 413 before any handler read it."""
HTTP_UNAVAILABLE = "HttpUnavailable"
"""An AWS service throttled or could not be reached: answered 503, retry later."""

# --------------------------------------------------------------------------- notifications
NOTIFICATIONS_RECORDED = "NotificationsRecorded"
"""A merchant notification waiting for its digest."""
NOTIFICATIONS_SUPPRESSED = "NotificationsSuppressed"
"""A notification not sent: switched off, no address, or an unknown event."""
NOTIFICATION_EMAILS_SENT = "NotificationEmailsSent"
"""Digest emails sent through SES (one per connection and window)."""

# --------------------------------------------------------------------------- connections (tokens)
TOKENS_REFRESHED = "TokensRefreshed"
TOKEN_REFRESH_FAILED = "TokenRefreshFailed"  # noqa: S105 - a metric name
STORE_TOKENS_REFRESHED = "StoreTokensRefreshed"
"""Expiring store tokens (Shopify's) refreshed by the schedule."""

# --------------------------------------------------------------------------- privacy requests
PRIVACY_DATA_REQUEST = "PrivacyDataRequest"
"""A buyer's data request reported for the operator (a ``PRIVACY#`` item in the connection)."""
PRIVACY_CUSTOMER_REDACTED = "PrivacyCustomerRedacted"
"""Order records whose buyer details were erased on a store's request."""
PRIVACY_SHOP_REDACTED = "PrivacyShopRedacted"
"""A removed store's data erased on its request."""
PRIVACY_SHOP_REDACT_REFUSED = "PrivacyShopRedactRefused"
"""A store erasure refused because the store is connected (installed again, or a replay)."""

#: Counts also emitted with a ``connection_id`` dimension by :func:`count_for_tenant` (each is
#: one CloudWatch metric per tenant: keep this list short).
TENANT_METRICS = frozenset({PRODUCTS_FAILED, ORDERS_BLOCKED})

#: Every fixed name (the dashboard and docs check against this).
CATALOGUE = (PRODUCTS_PUSHED, PRODUCTS_FAILED, ORDERS_RELAYED, ORDERS_BLOCKED, ORDER_RELAY_LATENCY,
             ORDER_CREATE_AMBIGUOUS, ORDER_DUPLICATES_CANCELLED,
             STOCK_LATENCY, *(stock_sync(o) for o in STOCK_OUTCOMES), NOTIFICATIONS_RECORDED, NOTIFICATIONS_SUPPRESSED,
             NOTIFICATION_EMAILS_SENT, TOKENS_REFRESHED, TOKEN_REFRESH_FAILED, STORE_TOKENS_REFRESHED,
             PRIVACY_DATA_REQUEST, PRIVACY_CUSTOMER_REDACTED, PRIVACY_SHOP_REDACTED, PRIVACY_SHOP_REDACT_REFUSED,
             *(webhook_accepted(s) for s in WEBHOOK_SOURCES), *(webhook_duplicate(s) for s in WEBHOOK_SOURCES),
             *(webhook_bad_signature(s) for s in WEBHOOK_SOURCES),
             *(webhook_ignored(r) for r in WEBHOOK_REJECT_REASONS), HTTP_UNEXPECTED, HTTP_UNEXPECTED_VERIFIED,
             HTTP_BODY_TOO_LARGE, HTTP_UNAVAILABLE)


def latency(name: str, milliseconds: float) -> None:
    """Record a duration (EMF, unit Milliseconds) on the handler's metrics flush."""
    from aws_lambda_powertools.metrics import MetricUnit

    from connector.observability import metrics

    metrics().add_metric(name=name, unit=MetricUnit.Milliseconds, value=max(0.0, float(milliseconds)))


def count_for_tenant(name: str, connection_id: str, value: int = 1) -> None:
    """Count ``name`` on the handler's flush, and for names in :data:`TENANT_METRICS` also as its
    own EMF line with a ``connection_id`` dimension (one tenant's failures on the dashboard)."""
    from connector.observability import NAMESPACE, SERVICE, count

    count(name, value)
    if name not in TENANT_METRICS:
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE,
                       default_dimensions={"service": SERVICE}) as metric:
        metric.add_dimension(name="connection_id", value=connection_id)
