"""Shopify webhook signatures (golden vector), refusals, and typed parsing of each topic."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from connector.stores import EventKind, InvalidSignature, StoreValidationError, StoreWebhooks
from connector.stores.shopify import ShopifyWebhooks, signature

VECTORS_FILE = Path(__file__).resolve().parents[2] / "vectors" / "signatures.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["shopify_webhook_signing"]
SECRET = "shopify-unit-secret"
SHOP = "unit-shop.myshopify.com"


def _delivery(
    topic: str, payload: dict[str, Any], *, secret: str = SECRET, **extra: str
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": signature(secret, body),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Triggered-At": "2026-12-06T08:00:00.123456Z",
    }
    headers.update(extra)
    return headers, body


@pytest.mark.parametrize("vector", VECTORS)
def test_golden_vector_is_reproduced_and_verified(vector: dict[str, Any]) -> None:
    body = vector["raw_body"].encode()
    assert signature(vector["client_secret"], body) == vector["signature"]
    hooks = ShopifyWebhooks(vector["client_secret"])
    assert hooks.verify({"X-Shopify-Hmac-SHA256": vector["signature"]}, body)
    assert hooks.verify({"x-shopify-hmac-sha256": vector["signature"]}, body)  # names are case-insensitive


@pytest.mark.parametrize("vector", VECTORS)
def test_a_tampered_body_is_refused(vector: dict[str, Any]) -> None:
    hooks = ShopifyWebhooks(vector["client_secret"])
    headers = {"X-Shopify-Hmac-SHA256": vector["signature"]}
    tampered = vector["raw_body"].replace('"inventory_quantity":7', '"inventory_quantity":700').encode()
    assert tampered != vector["raw_body"].encode()
    assert not hooks.verify(headers, tampered)
    # the same JSON re-serialised is other bytes: the signature is over the raw body
    reserialised = json.dumps(json.loads(vector["raw_body"]), indent=1).encode()
    assert not hooks.verify(headers, reserialised)


def test_a_forged_signature_is_refused() -> None:
    headers, body = _delivery("products/update", {"id": 1}, secret="not-the-app-secret")
    hooks = ShopifyWebhooks(SECRET)
    assert not hooks.verify(headers, body)
    with pytest.raises(InvalidSignature):
        hooks.verify_and_parse(headers, body)


@pytest.mark.parametrize(
    "value",
    ["", "   ", "not base64 at all!", base64.b64encode(b"short").decode(), "hex" + "0" * 61],
)
def test_a_malformed_signature_header_is_refused(value: str) -> None:
    headers, body = _delivery("products/update", {"id": 1})
    headers["X-Shopify-Hmac-Sha256"] = value
    assert not ShopifyWebhooks(SECRET).verify(headers, body)


def test_a_missing_signature_header_is_refused() -> None:
    headers, body = _delivery("products/update", {"id": 1})
    del headers["X-Shopify-Hmac-Sha256"]
    hooks = ShopifyWebhooks(SECRET)
    assert not hooks.verify(headers, body)
    with pytest.raises(InvalidSignature):
        hooks.verify_and_parse(headers, body)


def test_the_signature_of_another_delivery_is_refused() -> None:
    first_headers, _ = _delivery("products/update", {"id": 1})
    _, second_body = _delivery("products/update", {"id": 2})
    assert not ShopifyWebhooks(SECRET).verify(first_headers, second_body)


def test_an_empty_secret_is_refused_at_construction() -> None:
    with pytest.raises(ValueError):
        ShopifyWebhooks("")


def test_it_satisfies_the_webhooks_port_and_hides_the_secret() -> None:
    hooks = ShopifyWebhooks(SECRET)
    assert isinstance(hooks, StoreWebhooks)
    assert SECRET not in repr(hooks)


@pytest.mark.parametrize(
    ("topic", "payload", "kind", "entity", "details"),
    [
        ("products/create", {"id": 788032119674292922}, EventKind.PRODUCT_CHANGED, "788032119674292922", {}),
        ("products/update", {"id": 7, "updated_at": "2026-12-06T08:00:00-05:00"}, EventKind.PRODUCT_CHANGED, "7", {}),
        ("products/delete", {"id": 7}, EventKind.PRODUCT_DELETED, "7", {}),
        (
            "inventory_levels/update",
            {"inventory_item_id": 271878346596884015, "location_id": 24826418, "available": 6},
            EventKind.STOCK_CHANGED,
            "271878346596884015",
            {"location_id": "24826418"},
        ),
        ("orders/create", {"id": 820982911946154508, "email": "buyer@example.com"}, EventKind.ORDER_CHANGED,
         "820982911946154508", {}),
        ("orders/updated", {"id": 5}, EventKind.ORDER_CHANGED, "5", {}),
        ("orders/cancelled", {"id": 5}, EventKind.ORDER_CHANGED, "5", {}),
        ("orders/fulfilled", {"id": 5}, EventKind.ORDER_CHANGED, "5", {}),
        ("fulfillments/create", {"id": 123456, "order_id": 5, "tracking_number": "1Z"}, EventKind.ORDER_CHANGED, "5",
         {"fulfillment_id": "123456"}),
        ("fulfillments/update", {"id": 123456, "order_id": 5}, EventKind.ORDER_CHANGED, "5",
         {"fulfillment_id": "123456"}),
        ("app/uninstalled", {"id": 548380009, "name": "Shop"}, EventKind.APP_UNINSTALLED, None, {}),
        (
            "customers/data_request",
            {
                "shop_id": 954889,
                "shop_domain": SHOP,
                "orders_requested": [299938, 280263],
                "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
                "data_request": {"id": 9999},
            },
            EventKind.CUSTOMER_DATA_REQUEST,
            "191167",
            {"orders": "299938,280263", "data_request_id": "9999"},
        ),
        (
            "customers/redact",
            {
                "shop_id": 954889,
                "shop_domain": SHOP,
                "customer": {"id": 191167, "email": "john@example.com"},
                "orders_to_redact": [299938],
            },
            EventKind.CUSTOMER_REDACT,
            "191167",
            {"orders": "299938"},
        ),
        ("shop/redact", {"shop_id": 954889, "shop_domain": SHOP}, EventKind.SHOP_REDACT, None, {}),
        ("collections/update", {"id": 1}, EventKind.UNKNOWN, None, {}),
    ],
)
def test_each_topic_is_typed(
    topic: str, payload: dict[str, Any], kind: EventKind, entity: str | None, details: dict[str, str]
) -> None:
    headers, body = _delivery(topic, payload)
    event = ShopifyWebhooks(SECRET).verify_and_parse(headers, body)
    assert event.platform == "shopify"
    assert event.kind is kind
    assert event.event_type == topic
    assert event.store_id == SHOP
    assert event.entity_id == entity
    assert event.details == details
    assert event.event_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert event.occurred_at.isoformat() == "2026-12-06T08:00:00.123456+00:00"


def test_buyer_details_stay_out_of_the_event() -> None:
    payload = {"customer": {"id": 1, "email": "john@example.com", "phone": "555-625-1199"}, "orders_to_redact": []}
    headers, body = _delivery("customers/redact", payload)
    event = ShopifyWebhooks(SECRET).verify_and_parse(headers, body)
    dumped = event.model_dump_json()
    assert "john@example.com" not in dumped and "555-625-1199" not in dumped


def test_a_retry_carries_the_same_deduplication_key() -> None:
    hooks = ShopifyWebhooks(SECRET)
    first = hooks.verify_and_parse(*_delivery("products/update", {"id": 7}))
    retry = hooks.verify_and_parse(*_delivery("products/update", {"id": 7}, **{"X-Shopify-Triggered-At": "x"}))
    other = hooks.verify_and_parse(*_delivery("products/update", {"id": 7}, **{"X-Shopify-Webhook-Id": "other"}))
    assert first.event_id == retry.event_id != other.event_id


def test_without_triggered_at_the_payload_or_the_clock_dates_the_event() -> None:
    hooks = ShopifyWebhooks(SECRET, clock=lambda: 1_735_689_600.0)
    headers, body = _delivery("products/update", {"id": 7, "updated_at": "2026-12-06T03:00:00-05:00"})
    del headers["X-Shopify-Triggered-At"]
    assert hooks.parse(body, headers).occurred_at.isoformat() == "2026-12-06T08:00:00+00:00"
    headers, body = _delivery("shop/redact", {"shop_id": 1})
    del headers["X-Shopify-Triggered-At"]
    assert hooks.parse(body, headers).occurred_at.timestamp() == 1_735_689_600.0


@pytest.mark.parametrize(
    ("change", "body"),
    [
        ({"X-Shopify-Topic": ""}, b'{"id": 1}'),
        ({"X-Shopify-Shop-Domain": "evil.example.com"}, b'{"id": 1}'),
        ({"X-Shopify-Shop-Domain": "shop.myshopify.com.evil.com"}, b'{"id": 1}'),
        ({"X-Shopify-Webhook-Id": ""}, b'{"id": 1}'),
        ({"X-Shopify-Webhook-Id": "x" * 200}, b'{"id": 1}'),
        ({}, b"not json"),
        ({}, b"[1, 2]"),
        ({}, b'{"title": "no id"}'),
        ({}, b'{"id": "12; drop"}'),
        ({}, b'{"id": true}'),
        ({}, b"[" * 100_000),
    ],
)
def test_malformed_deliveries_are_validation_errors(change: dict[str, str], body: bytes) -> None:
    headers, _ = _delivery("products/update", {})
    headers.update(change)
    with pytest.raises(StoreValidationError):
        ShopifyWebhooks(SECRET).parse(body, headers)


def test_parse_without_headers_is_refused() -> None:
    with pytest.raises(StoreValidationError):
        ShopifyWebhooks(SECRET).parse(b'{"id": 1}')


def test_missing_ids_of_each_family_are_refused() -> None:
    hooks = ShopifyWebhooks(SECRET)
    for topic, payload in [
        ("fulfillments/create", {"id": 1}),
        ("inventory_levels/update", {"location_id": 1}),
        ("customers/redact", {"orders_to_redact": []}),
        ("customers/data_request", {"customer": {"id": 1}, "orders_requested": "1,2"}),
    ]:
        headers, body = _delivery(topic, payload)
        with pytest.raises(StoreValidationError):
            hooks.parse(body, headers)
