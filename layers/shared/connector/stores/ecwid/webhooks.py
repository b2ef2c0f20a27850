"""Ecwid webhooks: signature check and typed parsing.

``X-Ecwid-Webhook-Signature`` is Base64(HMAC-SHA256(key=client_secret,
msg=f"{eventCreated}.{eventId}")). Only those two fields are signed, not the body, so a
worker must re-read the entity from the API instead of trusting ``data``. Deliveries are late,
duplicated and unordered: ``event_id`` is the de-duplication key, ``occurred_at`` orders.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from connector.stores.ecwid import config
from connector.stores.ecwid.dates import from_unix
from connector.stores.errors import InvalidSignature, ValidationError
from connector.stores.protocol import EventKind, StoreEvent, StoreWebhooks

EVENT_KINDS: dict[str, EventKind] = {
    "product.created": EventKind.PRODUCT_CHANGED,
    "product.updated": EventKind.PRODUCT_CHANGED,  # also fires for stock changes, ours included
    "product.deleted": EventKind.PRODUCT_DELETED,
    "order.created": EventKind.ORDER_CHANGED,
    "order.updated": EventKind.ORDER_CHANGED,
    "order.deleted": EventKind.ORDER_CHANGED,  # the worker's re-read finds it gone
    "application.uninstalled": EventKind.APP_UNINSTALLED,
}

_ORDER_DETAILS = ("oldPaymentStatus", "newPaymentStatus", "oldFulfillmentStatus", "newFulfillmentStatus")


def _field(value: Any) -> str:
    """A signed field exactly as Ecwid formats it (integers without a fraction)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def signature(client_secret: str, event_created: Any, event_id: Any) -> str:
    message = f"{_field(event_created)}.{_field(event_id)}".encode()
    digest = hmac.new(client_secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _decode(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationError("ecwid webhook: body is not JSON", platform=config.PLATFORM) from None
    if not isinstance(payload, dict):
        raise ValidationError("ecwid webhook: body is not an object", platform=config.PLATFORM)
    return payload


class EcwidWebhooks:
    """Implements :class:`~connector.stores.protocol.StoreWebhooks` with the app's client secret."""

    platform = config.PLATFORM

    def __init__(self, client_secret: str | SecretStr) -> None:
        secret = client_secret.get_secret_value() if isinstance(client_secret, SecretStr) else client_secret
        if not secret:
            raise ValueError("an Ecwid client secret is required to verify webhooks")
        self._secret = secret

    def __repr__(self) -> str:
        return "EcwidWebhooks()"

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        given = _header(headers, config.WEBHOOK_SIGNATURE_HEADER)
        if not given:
            return False
        try:
            payload = _decode(body)
        except ValidationError:
            return False
        created, event_id = payload.get("eventCreated"), payload.get("eventId")
        if created is None or event_id is None:
            return False
        expected = signature(self._secret, created, event_id)
        return hmac.compare_digest(expected.encode("ascii"), given.strip().encode("utf-8", "replace"))

    def parse(self, body: bytes) -> StoreEvent:
        payload = _decode(body)
        event_id, store_id = payload.get("eventId"), payload.get("storeId")
        occurred_at = from_unix(payload.get("eventCreated"))
        if event_id is None or store_id is None or occurred_at is None:
            raise ValidationError("ecwid webhook: eventId, storeId or eventCreated missing", platform=config.PLATFORM)
        event_type = str(payload.get("eventType") or "")
        kind = EVENT_KINDS.get(event_type, EventKind.UNKNOWN)
        raw_data = payload.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        entity = payload.get("entityId")
        details: dict[str, str] = {}
        if event_type.startswith("order."):
            # entityId is the internal number; every API call wants data.orderId.
            if data.get("orderId") is not None:
                details["internal_id"] = str(entity)
                entity = data["orderId"]
            details.update({k: str(data[k]) for k in _ORDER_DETAILS if data.get(k) is not None})
        return StoreEvent(
            platform=config.PLATFORM,
            kind=kind,
            event_id=str(event_id),
            event_type=event_type,
            store_id=str(store_id),
            entity_id=str(entity) if entity is not None else None,
            occurred_at=occurred_at,
            details=details,
        )

    def verify_and_parse(self, headers: Mapping[str, str], body: bytes) -> StoreEvent:
        if not self.verify(headers, body):
            raise InvalidSignature("ecwid webhook: signature does not match", platform=config.PLATFORM)
        return self.parse(body)


if TYPE_CHECKING:  # mypy proves the adapter satisfies the port
    _port: StoreWebhooks = EcwidWebhooks("secret")
