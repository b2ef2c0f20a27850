"""Shopify webhooks: signature check and typed parsing.

``X-Shopify-Hmac-SHA256`` is Base64(HMAC-SHA256(key=app client secret, msg=raw body)): the
whole body is signed, so it is checked on the bytes as received, before any parsing. What names
a delivery travels in headers: the topic (``X-Shopify-Topic``), the shop
(``X-Shopify-Shop-Domain``), the delivery id (``X-Shopify-Webhook-Id``, the de-duplication key:
a retry carries the same id and the original payload) and when it was triggered
(``X-Shopify-Triggered-At``). So :meth:`ShopifyWebhooks.parse` needs the headers too.

Payloads are the REST shape of the resource (numeric ``id``); the event is a hint and workers
re-read what it names through the API.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from connector.stores.errors import InvalidSignature, StoreValidationError
from connector.stores.protocol import EventKind, StoreEvent, StoreWebhooks
from connector.stores.shopify import config

TOPIC_KINDS: dict[str, EventKind] = {
    "products/create": EventKind.PRODUCT_CHANGED,
    "products/update": EventKind.PRODUCT_CHANGED,
    "products/delete": EventKind.PRODUCT_DELETED,
    "inventory_levels/update": EventKind.STOCK_CHANGED,
    "inventory_levels/connect": EventKind.STOCK_CHANGED,
    "inventory_levels/disconnect": EventKind.STOCK_CHANGED,
    "orders/create": EventKind.ORDER_CHANGED,
    "orders/updated": EventKind.ORDER_CHANGED,
    "orders/paid": EventKind.ORDER_CHANGED,
    "orders/cancelled": EventKind.ORDER_CHANGED,
    "orders/fulfilled": EventKind.ORDER_CHANGED,
    "orders/partially_fulfilled": EventKind.ORDER_CHANGED,
    "orders/delete": EventKind.ORDER_CHANGED,  # the worker's re-read finds it gone
    "fulfillments/create": EventKind.ORDER_CHANGED,
    "fulfillments/update": EventKind.ORDER_CHANGED,
    "app/uninstalled": EventKind.APP_UNINSTALLED,
    "customers/data_request": EventKind.CUSTOMER_DATA_REQUEST,
    "customers/redact": EventKind.CUSTOMER_REDACT,
    "shop/redact": EventKind.SHOP_REDACT,
}

#: The longest id (delivery, resource) taken from a webhook.
MAX_ID_CHARS = 128
#: The most order ids a privacy request may name (Shopify sends the buyer's orders).
MAX_ORDER_IDS = 1000


def signature(client_secret: str, body: bytes) -> str:
    digest = hmac.new(client_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _malformed(what: str) -> StoreValidationError:
    return StoreValidationError(f"shopify webhook: {what}", platform=config.PLATFORM)


def _plain_id(value: object, what: str) -> str:
    """An id as text: a non-negative integer or a short printable string."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _malformed(f"{what} is not an id")
    text = str(value)
    if not text or len(text) > MAX_ID_CHARS or not text.isprintable() or text.startswith("-"):
        raise _malformed(f"{what} is not an id")
    return text


def _numeric_id(value: object, what: str) -> str:
    """A resource id: Shopify's payloads carry integers (a GID's last segment is accepted too)."""
    text = _plain_id(value, what)
    if text.startswith("gid://shopify/"):
        text = text.rsplit("/", 1)[-1]
    if not (text.isascii() and text.isdigit()):
        raise _malformed(f"{what} is not a Shopify id")
    return text


def _when(value: str | None) -> datetime | None:
    if not value or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _decode(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise _malformed("body is not JSON") from None
    if not isinstance(payload, dict):
        raise _malformed("body is not an object")
    return payload


class ShopifyWebhooks:
    """Verifies and parses Shopify webhook deliveries with the app's client secret.

    Like :class:`~connector.stores.protocol.StoreWebhooks`, except that :meth:`parse` also takes
    the delivery's headers (Shopify names the topic, shop and delivery there)."""

    platform = config.PLATFORM

    def __init__(self, client_secret: str | SecretStr, *, clock: Callable[[], float] = time.time) -> None:
        secret = client_secret.get_secret_value() if isinstance(client_secret, SecretStr) else client_secret
        if not secret:
            raise ValueError("a Shopify client secret is required to verify webhooks")
        self._secret = secret
        self._clock = clock

    def __repr__(self) -> str:
        return "ShopifyWebhooks()"

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether ``X-Shopify-Hmac-SHA256`` is the signature of these exact bytes (constant time)."""
        given = header(headers, config.HMAC_HEADER)
        if not given:
            return False
        try:
            given_digest = base64.b64decode(given.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = hmac.new(self._secret.encode("utf-8"), body, hashlib.sha256).digest()
        return hmac.compare_digest(expected, given_digest)

    def parse(self, body: bytes, headers: Mapping[str, str] | None = None) -> StoreEvent:
        """The typed event of one delivery (call after :meth:`verify`). :class:`StoreValidationError`
        when the headers do not name a topic, shop and delivery id, or the body is not an object."""
        if headers is None:
            raise _malformed("a delivery is named by its headers; none were given")
        topic = (header(headers, config.TOPIC_HEADER) or "").strip()
        if not topic or len(topic) > 64 or not topic.isprintable():
            raise _malformed(f"{config.TOPIC_HEADER} is missing")
        shop = (header(headers, config.SHOP_HEADER) or "").strip()
        if not config.valid_shop(shop):
            raise _malformed(f"{config.SHOP_HEADER} is not a *.myshopify.com host")
        delivery = header(headers, config.WEBHOOK_ID_HEADER)
        if delivery is None:
            raise _malformed(f"{config.WEBHOOK_ID_HEADER} is missing")
        event_id = _plain_id(delivery.strip(), config.WEBHOOK_ID_HEADER)
        payload = _decode(body)
        kind = TOPIC_KINDS.get(topic, EventKind.UNKNOWN)
        _same_shop(payload, shop)
        entity_id, details = _entity(topic, kind, payload)
        occurred = (
            _when(header(headers, config.TRIGGERED_AT_HEADER))
            or _when(payload.get("updated_at") if isinstance(payload.get("updated_at"), str) else None)
            or datetime.fromtimestamp(self._clock(), tz=UTC)
        )
        return StoreEvent(
            platform=config.PLATFORM,
            kind=kind,
            event_id=event_id,
            event_type=topic,
            store_id=shop,
            entity_id=entity_id,
            occurred_at=occurred,
            details=details,
        )

    def verify_and_parse(self, headers: Mapping[str, str], body: bytes) -> StoreEvent:
        if not self.verify(headers, body):
            raise InvalidSignature(
                f"shopify webhook: {config.HMAC_HEADER} does not match", platform=config.PLATFORM
            )
        return self.parse(body, headers)


def _same_shop(payload: dict[str, Any], shop: str) -> None:
    """Only the body is signed, not ``X-Shopify-Shop-Domain``: a genuine body replayed with
    another shop's header must not act on that shop, so a body that names its shop (the privacy
    requests and ``app/uninstalled`` do) must name the one in the header."""
    named = payload.get("shop_domain", payload.get("myshopify_domain"))
    if named is not None and named != shop:
        raise _malformed(f"the body names another shop than {config.SHOP_HEADER}")


def _entity(topic: str, kind: EventKind, payload: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    """The id the event names and the few details a worker needs (never buyer details)."""
    details: dict[str, str] = {}
    if kind in (EventKind.PRODUCT_CHANGED, EventKind.PRODUCT_DELETED) or topic.startswith("orders/"):
        if payload.get("id") is None:
            raise _malformed("the resource id is missing")
        return _numeric_id(payload["id"], "id"), details
    if topic.startswith("fulfillments/"):
        if payload.get("order_id") is None:
            raise _malformed("order_id is missing")
        if payload.get("id") is not None:
            details["fulfillment_id"] = _numeric_id(payload["id"], "id")
        return _numeric_id(payload["order_id"], "order_id"), details
    if kind is EventKind.STOCK_CHANGED:
        if payload.get("inventory_item_id") is None:
            raise _malformed("inventory_item_id is missing")
        if payload.get("location_id") is not None:
            details["location_id"] = _numeric_id(payload["location_id"], "location_id")
        return _numeric_id(payload["inventory_item_id"], "inventory_item_id"), details
    if kind in (EventKind.CUSTOMER_DATA_REQUEST, EventKind.CUSTOMER_REDACT):
        customer = payload.get("customer")
        customer_id = customer.get("id") if isinstance(customer, dict) else None
        if customer_id is None:
            raise _malformed("customer.id is missing")
        orders_key = "orders_requested" if kind is EventKind.CUSTOMER_DATA_REQUEST else "orders_to_redact"
        orders = payload.get(orders_key) or []
        if not isinstance(orders, list) or len(orders) > MAX_ORDER_IDS:
            raise _malformed(f"{orders_key} is not a list of ids")
        details["orders"] = ",".join(_numeric_id(order, orders_key) for order in orders)
        request = payload.get("data_request")
        if isinstance(request, dict) and request.get("id") is not None:
            details["data_request_id"] = _numeric_id(request["id"], "data_request.id")
        return _numeric_id(customer_id, "customer.id"), details
    return None, details


if TYPE_CHECKING:  # mypy proves the parser fits the port (``parse`` takes the headers too)
    _port: StoreWebhooks = ShopifyWebhooks("secret")
