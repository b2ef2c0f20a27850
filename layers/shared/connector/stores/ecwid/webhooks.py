"""Ecwid webhooks: signature check and typed parsing.

``X-Ecwid-Webhook-Signature`` is Base64(HMAC-SHA256(key=client_secret,
msg=f"{eventCreated}.{eventId}")). Only those two fields are signed, not the body, so a
worker must re-read the entity from the API instead of trusting ``data``. Deliveries are late,
duplicated and unordered: ``event_id`` is the de-duplication key, ``occurred_at`` orders.

The signed pair is read by :func:`signed_fields` without parsing the rest of the body: a
scan of the top-level object that decodes only those two values (range-checked) and skips the
others without recursion (nesting deeper than :data:`MAX_DEPTH` is refused). The body is parsed
as JSON only once the signature matches, and the parse must agree with the verified pair.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from connector.stores.ecwid import config
from connector.stores.errors import InvalidSignature, StoreValidationError
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

#: ``eventCreated`` is UNIX seconds: 0 up to the last second of year 9999 (what a datetime holds).
MAX_EVENT_CREATED = 253_402_300_799
#: The longest id (event, store, entity, order) taken from a webhook; Ecwid's are far shorter.
MAX_ID_CHARS = 128
#: The deepest nesting a webhook body may have (Ecwid's are two or three levels deep).
MAX_DEPTH = 32

_SIGNED = ("eventCreated", "eventId")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_LITERAL = re.compile(_NUMBER.pattern + "|true|false|null")
_WS = " \t\r\n"


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


def _malformed(what: str) -> StoreValidationError:
    return StoreValidationError(f"ecwid webhook: {what}", platform=config.PLATFORM)


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _skip_value(text: str, i: int) -> int:
    """The index after the JSON value at ``i``, found without recursion: strings are decoded to
    find their end, numbers and literals matched, containers only counted."""
    depth = 0
    while True:
        char = text[i]
        if char == '"':
            _, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _malformed("nested too deeply")
            i += 1
        elif char in "]}":
            depth -= 1
            if depth < 0:
                raise _malformed("unbalanced brackets")
            i += 1
        elif depth > 0 and char in ",:" + _WS:
            i += 1
        else:
            found = _LITERAL.match(text, i)
            if found is None:
                raise _malformed("unexpected character")
            i = found.end()
        if depth == 0:
            return i


def _signed_value(text: str, i: int) -> tuple[str | Decimal, int]:
    """A signed field's value at ``i``: a JSON string or number (never a container, NaN or a literal)."""
    if text[i] == '"':
        value, end = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        return str(value), int(end)
    found = _NUMBER.match(text, i)
    if found is None or len(found.group()) > 40:
        raise _malformed("eventCreated and eventId must be numbers or strings")
    return Decimal(found.group()), found.end()


def _created(value: str | Decimal) -> int:
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit() and len(value) <= 12):
            raise _malformed("eventCreated is not UNIX seconds")
        value = Decimal(value)
    if value != value.to_integral_value() or not 0 <= value <= MAX_EVENT_CREATED:
        raise _malformed("eventCreated is out of range")
    return int(value)


def _plain_id(value: object, what: str) -> str:
    """An id as text: a string or an integer, at most :data:`MAX_ID_CHARS` printable characters."""
    if isinstance(value, Decimal):
        if value != value.to_integral_value() or abs(value) >= 10**30:
            raise _malformed(f"{what} is not an id")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _malformed(f"{what} is not an id")
    text = str(value)
    if not text or len(text) > MAX_ID_CHARS or not text.isprintable():
        raise _malformed(f"{what} is not an id")
    return text


def signed_fields(body: bytes) -> tuple[int, str]:
    """``(eventCreated, eventId)`` of a webhook body, read without parsing anything else.
    :class:`StoreValidationError` when the body is not a JSON object with both, in range."""
    try:
        text = body.decode("utf-8")
        i = _skip_ws(text, 0)
        if text[i] != "{":
            raise _malformed("body is not an object")
        found: dict[str, str | Decimal] = {}
        i = _skip_ws(text, i + 1)
        if text[i] == "}":
            i += 1
        else:
            while True:
                if text[i] != '"':
                    raise _malformed("body is not an object")
                key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
                i = _skip_ws(text, i)
                if text[i] != ":":
                    raise _malformed("body is not an object")
                i = _skip_ws(text, i + 1)
                if key in _SIGNED:
                    if key in found:
                        raise _malformed(f"{key} appears twice")
                    found[key], i = _signed_value(text, i)
                else:
                    i = _skip_value(text, i)
                i = _skip_ws(text, i)
                if text[i] == ",":
                    i = _skip_ws(text, i + 1)
                    continue
                if text[i] != "}":
                    raise _malformed("body is not an object")
                i += 1
                break
        if _skip_ws(text, i) != len(text):
            raise _malformed("text after the object")
    except (ValueError, IndexError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise _malformed("body is not JSON") from None
    if "eventCreated" not in found or "eventId" not in found:
        raise _malformed("eventCreated or eventId missing")
    return _created(found["eventCreated"]), _plain_id(found["eventId"], "eventId")


def _decode(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise _malformed("body is not JSON") from None
    if not isinstance(payload, dict):
        raise _malformed("body is not an object")
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
            created, event_id = signed_fields(body)
        except StoreValidationError:
            return False
        expected = signature(self._secret, created, event_id)
        return hmac.compare_digest(expected.encode("ascii"), given.strip().encode("utf-8", "replace"))

    def parse(self, body: bytes) -> StoreEvent:
        """The typed event (call after :meth:`verify`). :class:`StoreValidationError` when the body
        is not an Ecwid event or an id or time in it is out of range."""
        created, event_id = signed_fields(body)
        payload = _decode(body)
        if payload.get("eventCreated") is None or payload.get("storeId") is None:
            raise _malformed("eventId, storeId or eventCreated missing")
        store_id = _plain_id(payload.get("storeId"), "storeId")
        if not (store_id.isascii() and store_id.isdigit()):
            raise _malformed("storeId is not a store number")
        raw_type = payload.get("eventType")
        event_type = raw_type if isinstance(raw_type, str) and len(raw_type) <= 64 else ""
        kind = EVENT_KINDS.get(event_type, EventKind.UNKNOWN)
        raw_data = payload.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        entity = payload.get("entityId")
        entity_id = _plain_id(entity, "entityId") if entity is not None else None
        details: dict[str, str] = {}
        if event_type.startswith("order."):
            # entityId is the internal number; every API call wants data.orderId.
            if data.get("orderId") is not None:
                details["internal_id"] = str(entity_id)
                entity_id = _plain_id(data["orderId"], "data.orderId")
            details.update({k: _plain_id(data[k], f"data.{k}") for k in _ORDER_DETAILS if data.get(k) is not None})
        return StoreEvent(
            platform=config.PLATFORM,
            kind=kind,
            event_id=event_id,
            event_type=event_type,
            store_id=store_id,
            entity_id=entity_id,
            occurred_at=datetime.fromtimestamp(created, tz=UTC),
            details=details,
        )

    def verify_and_parse(self, headers: Mapping[str, str], body: bytes) -> StoreEvent:
        if not self.verify(headers, body):
            raise InvalidSignature("ecwid webhook: signature does not match", platform=config.PLATFORM)
        return self.parse(body)


if TYPE_CHECKING:  # mypy proves the adapter satisfies the port
    _port: StoreWebhooks = EcwidWebhooks("secret")
