"""Ecwid webhook signatures (golden vector) and typed parsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connector.stores import EventKind, InvalidSignature, StoreValidationError, StoreWebhooks
from connector.stores.ecwid import EcwidWebhooks, signature

VECTORS_FILE = Path(__file__).resolve().parents[2] / "vectors" / "signatures.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["ecwid_webhook_signing"]
VECTOR = VECTORS[0]


def _event(event_type: str, **extra: Any) -> bytes:
    body = {
        "eventId": "e-1",
        "eventCreated": 1735689600,
        "storeId": 1003,
        "entityId": 42,
        "eventType": event_type,
    }
    body.update(extra)
    return json.dumps(body).encode()


@pytest.mark.parametrize("vector", VECTORS)
def test_golden_vector_signature_is_reproduced_and_verified(vector: dict[str, Any]) -> None:
    body = json.loads(vector["raw_body"])
    assert signature(vector["client_secret"], body["eventCreated"], body["eventId"]) == vector["signature"]
    hooks = EcwidWebhooks(vector["client_secret"])
    headers = {"X-Ecwid-Webhook-Signature": vector["signature"]}
    assert hooks.verify(headers, vector["raw_body"].encode())
    # header names are case-insensitive
    assert hooks.verify({"x-ecwid-webhook-signature": vector["signature"]}, vector["raw_body"].encode())


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (
            {"X-Ecwid-Webhook-Signature": VECTOR["signature"]},
            VECTOR["raw_body"].replace("80aece08", "80aece09"),
        ),  # another event id
        (
            {"X-Ecwid-Webhook-Signature": VECTOR["signature"]},
            VECTOR["raw_body"].replace("1735689600", "1735689601"),
        ),  # another time
        (
            {"X-Ecwid-Webhook-Signature": "IF+cVTZKvuZZlRtiIqUE5UPRPFDVpcI5NJ5iIl079Ut="},
            VECTOR["raw_body"],
        ),
        ({}, VECTOR["raw_body"]),  # no signature at all
        ({"X-Ecwid-Webhook-Signature": VECTOR["signature"]}, "not json"),
        ({"X-Ecwid-Webhook-Signature": VECTOR["signature"]}, '{"eventType":"product.updated"}'),
    ],
)
def test_bad_signatures_are_rejected(headers: dict[str, str], body: str) -> None:
    assert not EcwidWebhooks(VECTOR["client_secret"]).verify(headers, body.encode())


def test_a_signature_made_with_another_secret_is_rejected() -> None:
    body = VECTOR["raw_body"].encode()
    forged = signature("someone-else", 1735689600, "80aece08-40e8-4145-8a0a-1d1c37fcd8ef")
    hooks = EcwidWebhooks(VECTOR["client_secret"])
    assert not hooks.verify({"X-Ecwid-Webhook-Signature": forged}, body)
    with pytest.raises(InvalidSignature) as caught:
        hooks.verify_and_parse({"X-Ecwid-Webhook-Signature": forged}, body)
    assert caught.value.status == 401
    assert VECTOR["client_secret"] not in str(caught.value)


def test_the_body_is_not_signed_only_created_and_id() -> None:
    # Ecwid signs "{eventCreated}.{eventId}": a changed entity still verifies, which is why
    # workers re-read the entity instead of trusting the body.
    vector = VECTOR
    changed = vector["raw_body"].replace("66821181", "1")
    assert EcwidWebhooks(vector["client_secret"]).verify(
        {"X-Ecwid-Webhook-Signature": vector["signature"]}, changed.encode()
    )


def test_product_events_are_typed() -> None:
    hooks = EcwidWebhooks("s")
    updated = hooks.parse(_event("product.updated"))
    assert (updated.kind, updated.entity_id, updated.store_id, updated.event_id) == (
        EventKind.PRODUCT_CHANGED,
        "42",
        "1003",
        "e-1",
    )
    assert updated.occurred_at.timestamp() == 1735689600
    assert updated.occurred_at.tzinfo is not None
    assert hooks.parse(_event("product.created")).kind is EventKind.PRODUCT_CHANGED
    assert hooks.parse(_event("product.deleted")).kind is EventKind.PRODUCT_DELETED


def test_order_events_name_the_order_id_not_the_internal_number() -> None:
    event = EcwidWebhooks("s").parse(
        _event(
            "order.updated",
            entityId=103,
            data={
                "orderId": "TL3E4",
                "oldPaymentStatus": "PAID",
                "newPaymentStatus": "CANCELLED",
                "oldFulfillmentStatus": "AWAITING_PROCESSING",
                "newFulfillmentStatus": "AWAITING_PROCESSING",
            },
        )
    )
    assert event.kind is EventKind.ORDER_CHANGED
    assert event.entity_id == "TL3E4"
    assert event.details["internal_id"] == "103"
    assert event.details["newPaymentStatus"] == "CANCELLED"


def test_uninstall_and_unknown_events() -> None:
    hooks = EcwidWebhooks("s")
    assert hooks.parse(_event("application.uninstalled")).kind is EventKind.APP_UNINSTALLED
    for event_type in (
        "application.installed",
        "customer.created",
        "category.updated",
        "brand.new.thing",
        "",
    ):
        event = hooks.parse(_event(event_type))
        assert event.kind is EventKind.UNKNOWN
        assert event.event_type == event_type


@pytest.mark.parametrize("body", [b"[]", b"{", b'{"eventType":"product.updated"}'])
def test_malformed_bodies_raise_a_validation_error(body: bytes) -> None:
    with pytest.raises(StoreValidationError):
        EcwidWebhooks("s").parse(body)


def test_the_adapter_satisfies_the_webhooks_port() -> None:
    hooks = EcwidWebhooks("s")
    assert isinstance(hooks, StoreWebhooks)
    assert "s" not in repr(hooks).replace("EcwidWebhooks", "")
