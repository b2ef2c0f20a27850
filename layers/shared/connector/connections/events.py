"""Webhook intake (verify -> parse -> resolve the tenant -> dedupe -> enqueue) and the router of
the events queues' consumer.

Webhooks are hints (late, duplicated, reordered or missing): receivers keep only ids, workers re-read.
Idempotency keys are the producer's: TikTok's ``tts_notification_id`` (a content hash when it
sent none), Ecwid's ``eventId``, Shopify's ``X-Shopify-Webhook-Id``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from connector import dynamo, keys
from connector.appsecrets import AppCredentials
from connector.connections.lifecycle import Collaborators, mark_needs_reauth, store_uninstalled
from connector.connections.models import EventMessage
from connector.connections.platforms import STORE_PLATFORMS
from connector.connections.repository import ConnectionRepository
from connector.errors import BadRequest, Unauthorized
from connector.observability import count, logger
from connector.queues import MessageSender
from connector.runtime import now as wall_clock
from connector.web import mark_verified

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DEDUPE_TTL_S = 7 * 24 * 3600

Outcome = Literal["queued", "duplicate", "ignored"]


class InvalidSignature(Unauthorized):
    code = "invalid_signature"


@dataclass
class Receipt:
    outcome: Outcome
    reason: str | None = None
    connection_id: str | None = None
    event_id: str | None = None


class WebhookIntake(dynamo.Repository):
    """The receivers' common tail: de-duplicate by the producer's id, then enqueue."""

    def __init__(self, table_name: str, sender: MessageSender, *, client: DynamoDBClient | None = None,
                 clock: Callable[[], float] = wall_clock) -> None:
        super().__init__(table_name, client)
        self._sender = sender
        self._clock = clock

    def accept(self, queue_url: str, message: EventMessage) -> Receipt:
        key = {keys.PK: keys.dedupe_pk(message.source, message.event_id), keys.SK: keys.META}
        now = int(self._clock())
        if not self._put_if_absent({**key, "connection_id": message.connection_id, "kind": message.kind,
                                    keys.TTL_ATTRIBUTE: now + DEDUPE_TTL_S}):
            count(f"WebhookDuplicate_{message.source}")
            return Receipt("duplicate", "already_received", message.connection_id, message.event_id)
        try:
            self._sender.send(queue_url, message)
        except Exception:
            # Not enqueued: forget the event so the producer's retry is not taken for a duplicate.
            self._delete(key)
            raise
        count(f"WebhookQueued_{message.source}")
        return Receipt("queued", None, message.connection_id, message.event_id)


def _ignored(source: str, reason: str, event_id: str | None = None) -> Receipt:
    count(f"WebhookIgnored_{reason}")
    logger().info("webhook ignored", extra={"source": source, "reason": reason, "event_id": event_id})
    return Receipt("ignored", reason, None, event_id)


def _entity_ids(data: Any) -> dict[str, str]:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    if not isinstance(data, dict):
        return {}
    return {k: str(v) for k, v in data.items() if k.endswith("_id") and isinstance(v, str | int)
            and not isinstance(v, bool)}


def receive_tiktok(raw: bytes, authorization: str | None, creds: AppCredentials, repo: ConnectionRepository,
                   intake: WebhookIntake, queue_url: str, correlation_id: str) -> Receipt:
    from connector.tiktok import webhooks

    if not creds.tiktok_app_secret or not webhooks.verify(creds.tiktok_app_key, creds.tiktok_app_secret, raw,
                                                          authorization):
        count("WebhookBadSignature_tiktok")
        raise InvalidSignature("the Authorization signature does not match this body", reason="bad_signature")
    mark_verified()
    event = webhooks.parse_event(raw)  # InvalidWebhook (400) when it is not an envelope
    if isinstance(event, webhooks.UnknownEvent):
        return _ignored("tiktok", "unknown_event_type", event.dedupe_key)
    if not event.shop_id:
        return _ignored("tiktok", "no_shop", event.dedupe_key)
    connection_id = repo.find_by_shop(event.shop_id)
    if connection_id is None:
        return _ignored("tiktok", "unknown_tenant", event.dedupe_key)
    message = EventMessage(
        source="tiktok", kind=event.event_type.lower(), connection_id=connection_id, event_id=event.dedupe_key,
        correlation_id=correlation_id, shop_id=event.shop_id, entity_ids=_entity_ids(getattr(event, "data", None)),
        occurred_at=event.timestamp)
    return intake.accept(queue_url, message)


def receive_store(platform: str, raw: bytes, headers: Mapping[str, str], creds: AppCredentials,
                  repo: ConnectionRepository, intake: WebhookIntake, queue_url: str, correlation_id: str) -> Receipt:
    """A store platform's webhook: its app verifies the signature (401 when it does not match)
    and parses the event (400 when malformed); the store's connection is resolved and the event
    de-duplicated on the platform's own id (Ecwid's ``eventId``, Shopify's delivery id)."""
    from connector.connections.platforms import app
    from connector.stores.errors import InvalidSignature as StoreInvalidSignature
    from connector.stores.errors import StoreValidationError
    from connector.stores.protocol import EventKind

    try:
        event = app(platform, creds).webhook_event(raw, headers)
    except StoreInvalidSignature:
        count(f"WebhookBadSignature_{platform}")
        raise InvalidSignature(f"the {platform} webhook signature does not match this body",
                               reason="bad_signature") from None
    except StoreValidationError:
        raise BadRequest(f"the body is not a {platform} webhook", reason="malformed_body") from None
    mark_verified()
    if event.kind == EventKind.UNKNOWN:
        return _ignored(platform, "unknown_event_type", event.event_id)
    connection_id = repo.find_by_store(event.platform, event.store_id)
    if connection_id is None:
        return _ignored(platform, "unknown_tenant", event.event_id)
    entity = {"entity_id": event.entity_id} if event.entity_id else {}
    entity.update(event.details)
    message = EventMessage(
        source=platform, kind=str(event.kind), connection_id=connection_id, event_id=event.event_id,
        correlation_id=correlation_id, store_id=event.store_id, entity_ids=entity,
        occurred_at=int(event.occurred_at.timestamp()))
    return intake.accept(queue_url, message)


def receive_ecwid(raw: bytes, headers: Mapping[str, str], creds: AppCredentials, repo: ConnectionRepository,
                  intake: WebhookIntake, queue_url: str, correlation_id: str) -> Receipt:
    return receive_store("ecwid", raw, headers, creds, repo, intake, queue_url, correlation_id)


# ---------------------------------------------------------------------- the consumer's router
#: (source, kind) -> the features' handlers, each ``"module:function"`` called as
#: ``function(message, collaborators) -> outcome``. Several features may act on one kind (a store
#: product change updates the listing and the stock); each handler must be idempotent, since a
#: failure of one redelivers the message to all. Imported on first use (cold start).
EVENT_HANDLERS: dict[tuple[str, str], tuple[str, ...]] = {}
# The order relay: TikTok order webhooks and store order changes.
for _kind in ("order_status_change", "cancellation_status_change", "reverse_status_update", "return_status_change",
              "recipient_address_update", "package_update"):
    EVENT_HANDLERS[("tiktok", _kind)] = ("connector.orders.service:on_tiktok_event",)
# Every store platform's events go to the same features (the adapters normalise the kinds).
for _platform in STORE_PLATFORMS:
    EVENT_HANDLERS[(_platform, "order_changed")] = ("connector.orders.service:on_store_event",)
    # Stock sync: a store product change queues its stock; the catalog updates the listing.
    EVENT_HANDLERS[(_platform, "product_changed")] = ("connector.catalog.stock.events:on_product_changed",
                                                      "connector.catalog.flow:on_store_product_changed")
    EVENT_HANDLERS[(_platform, "product_deleted")] = ("connector.catalog.flow:on_store_product_deleted",)
    # A product that kept changing, re-read for its listing once its window ended (queued by the catalog).
    EVENT_HANDLERS[(_platform, "product_refresh")] = ("connector.catalog.flow:on_store_product_refresh",)
    # A stock change that names no product (an inventory item at a location): the adapter finds
    # the product, then it is queued like a product change.
    EVENT_HANDLERS[(_platform, "stock_changed")] = ("connector.catalog.store_stock:on_stock_changed",)
    # The privacy requests: what we hold about a buyer reported, a buyer's details or a whole
    # store's data erased (see connector.orders.privacy).
    EVENT_HANDLERS[(_platform, "customer_data_request")] = ("connector.orders.privacy:on_data_request",)
    EVENT_HANDLERS[(_platform, "customer_redact")] = ("connector.orders.privacy:on_customer_redact",)
    EVENT_HANDLERS[(_platform, "shop_redact")] = ("connector.orders.privacy:on_shop_redact",)
EVENT_HANDLERS[("tiktok", "inventory_status_change")] = (
    *EVENT_HANDLERS.get(("tiktok", "inventory_status_change"), ()),
    "connector.catalog.stock.events:on_tiktok_inventory")
# Catalog (auto-pull, update, removal, review status by webhooks 5 / 37).
for _kind in ("product_status_change", "product_audit_status_change"):
    EVENT_HANDLERS[("tiktok", _kind)] = (*EVENT_HANDLERS.get(("tiktok", _kind), ()),
                                         "connector.catalog.flow:on_tiktok_product_status")

#: Kinds acted on even when the connection is disconnected: privacy law reaches the data we still
#: hold (a store's erasure comes after the app was removed).
AFTER_DISCONNECT_KINDS = frozenset({"customer_data_request", "customer_redact", "shop_redact"})

REAUTH_KINDS = {
    ("tiktok", "seller_deauthorization"): "tiktok_seller_deauthorized",
    ("tiktok", "upcoming_authorization_expiration"): "tiktok_authorization_expiring",
}


def route(message: EventMessage, c: Collaborators) -> str:
    """Act on the connect-relevant kinds; record the others as accepted but not handled yet
    (their features consume them later), so nothing piles up in the dead-letter queue."""
    connection = c.repo.get(message.connection_id)
    after_disconnect = message.kind in AFTER_DISCONNECT_KINDS and message.source in STORE_PLATFORMS
    if connection is None or (connection.state == "disconnected" and not after_disconnect):
        count("EventSkippedDisconnected")
        logger().info("event skipped: connection gone", extra={"connection_id": message.connection_id,
                                                               "kind": message.kind})
        return "skipped_disconnected"
    reason = REAUTH_KINDS.get((message.source, message.kind))
    if reason:
        moved = mark_needs_reauth(c.repo, c.notifier, message.connection_id, reason, message.correlation_id, c.clock)
        return "needs_reauth" if moved else "needs_reauth_already"
    if message.source in STORE_PLATFORMS and message.kind == "app_uninstalled":
        return store_uninstalled(c, connection, message.occurred_at, message.correlation_id)
    targets = EVENT_HANDLERS.get((message.source, message.kind))
    if targets:
        outcomes = [_call(target, message, c) for target in targets]
        return ",".join(outcomes)
    count(f"EventUnhandled_{message.source}")
    logger().info("event accepted, not handled yet", extra={"connection_id": message.connection_id,
                                                            "source": message.source, "kind": message.kind,
                                                            "event_id": message.event_id})
    return "unhandled"


def _call(target: str, message: EventMessage, c: Collaborators) -> str:
    import importlib

    module, _, function = target.partition(":")
    return str(getattr(importlib.import_module(module), function)(message, c))
