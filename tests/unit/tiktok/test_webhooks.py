"""Webhook events: every type the connector models parses to its model; unknown types are no-ops."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.tiktok import webhooks as w

from .test_signing import WEBHOOK_VECTORS

SAMPLES: list[tuple[int, dict[str, Any], type[w.KnownEvent]]] = [
    (
        1,
        {
            "order_id": 576461413038785752,
            "order_status": "CANCEL",
            "is_on_hold_order": False,
            "update_time": 1735689599,
        },
        w.OrderStatusChange,
    ),
    (
        2,
        {"order_id": "1", "reverse_order_id": 2, "reverse_order_status": 1, "reverse_type": 2, "update_time": 1},
        w.ReverseStatusUpdate,
    ),
    (3, {"order_id": "576461413038785752", "update_time": 1735689599}, w.RecipientAddressUpdate),
    (
        4,
        {
            "sc_type": "SPLIT",
            "role_type": "SELLER",
            "package_list": [{"package_id": 1152, "order_id_list": [5764, "5765"]}],
            "update_time": 1,
        },
        w.PackageUpdate,
    ),
    (
        5,
        {
            "product_id": 1729592969712207008,
            "status": "PRODUCT_AUDIT_FAILURE",
            "suspended_reason": "Image unclear",
            "update_time": 1,
        },
        w.ProductStatusChange,
    ),
    (6, {"message": "The seller has deauthorized the app"}, w.SellerDeauthorization),
    (7, {"message": "expires soon", "expiration_time": 1738368000}, w.UpcomingAuthorizationExpiration),
    (
        11,
        {
            "order_id": "5764",
            "cancellations_role": "BUYER",
            "cancel_status": "CANCELLATION_REQUEST_CANCELLED",
            "cancel_id": 4035,
            "create_time": 1,
        },
        w.CancellationStatusChange,
    ),
    (
        12,
        {
            "order_id": "5764",
            "return_role": "BUYER",
            "return_type": "REFUND",
            "return_status": "RETURN_OR_REFUND_REQUEST_PENDING",
            "return_id": "4036",
            "create_time": 1,
            "update_time": 2,
        },
        w.ReturnStatusChange,
    ),
    (13, {"conversation_id": "c1", "create_time": 1}, w.NewConversation),
    (14, {"conversation_id": "c1", "message_id": 9, "type": "TEXT"}, w.NewMessage),
    (
        15,
        {"product_id": "17", "change_source": "SELLER_CENTER", "changed_fields": ["title", "price"]},
        w.ProductInformationChange,
    ),
    (16, {"product_id": 17, "product_types": "NORMAL"}, w.ProductCreation),
    (
        27,
        {
            "product_id": "17",
            "sku_id": 18,
            "current_inventory_status": "OUT_OF_STOCK",
            "inventory_distribution": [{"warehouse_id": "1", "quantity": 0}],
        },
        w.InventoryStatusChange,
    ),
    (37, {"product_id": "17", "audit": {"status": "APPROVED", "pre_approved_reasons": []}}, w.ProductAuditStatusChange),
]


def _envelope(kind: int, data: Any, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "tts_notification_id": "7327112393057371910",
        "shop_id": 7494049642642441621,
        "timestamp": 1735689600,
        "data": data,
        **extra,
    }


@pytest.mark.parametrize(("kind", "data", "model"), SAMPLES, ids=[m.__name__ for _, _, m in SAMPLES])
def test_every_documented_type_parses_to_its_model(kind: int, data: dict[str, Any], model: type[w.KnownEvent]) -> None:
    event = w.parse_event(json.dumps(_envelope(kind, data)).encode())

    assert isinstance(event, model)
    assert event.type == kind
    assert event.shop_id == "7494049642642441621"
    assert event.dedupe_key == "7327112393057371910"
    assert event.event_type != "UNKNOWN"


def test_all_documented_types_are_covered() -> None:
    assert sorted(w.EVENT_TYPES) == sorted(kind for kind, _, _ in SAMPLES)


def test_numeric_ids_become_strings_without_precision_loss() -> None:
    event = w.parse_event(
        b'{"type":5,"shop_id":1,"timestamp":1,"data":{"product_id":1729592969712207008,"status":"X"}}'
    )
    assert isinstance(event, w.ProductStatusChange)
    assert event.data.product_id == "1729592969712207008"


def test_float_ids_are_refused() -> None:
    with pytest.raises(w.InvalidWebhook):
        w.parse_event(b'{"type":5,"data":{"product_id":1.729592969712207e18,"status":"X"}}')


def test_golden_webhook_body_parses() -> None:
    event = w.parse_event(WEBHOOK_VECTORS[0]["raw_body"].encode())
    assert isinstance(event, w.OrderStatusChange)
    assert event.data.order_id == "576461413038785752"
    assert event.data.order_status == "AWAITING_SHIPMENT"
    assert event.data.is_on_hold_order is False


@pytest.mark.parametrize("kind", [8, 18, 33, 71, 999, "ninety", None])
def test_unknown_types_are_a_no_op_event(kind: Any) -> None:
    event = w.parse_event(json.dumps(_envelope(0, {"whatever": [1, 2]}) | {"type": kind}))
    assert isinstance(event, w.UnknownEvent)
    assert event.event_type == "UNKNOWN"
    assert event.shop_id == "7494049642642441621"


def test_type_as_digit_string_is_accepted() -> None:
    event = w.parse_event(json.dumps(_envelope(1, SAMPLES[0][1]) | {"type": "1"}))
    assert isinstance(event, w.OrderStatusChange)


@pytest.mark.parametrize("body", [b"not json", b"[1,2]", b"\xff\xfe", b'"text"'])
def test_non_envelopes_are_invalid(body: bytes) -> None:
    with pytest.raises(w.InvalidWebhook):
        w.parse_event(body)


def test_malformed_known_type_names_fields_not_values() -> None:
    with pytest.raises(w.InvalidWebhook) as caught:
        w.parse_event(json.dumps(_envelope(1, {"order_status": "SECRET-ADDRESS-LIKE-VALUE"})))
    assert "data.order_id" in str(caught.value)
    assert "SECRET-ADDRESS-LIKE-VALUE" not in str(caught.value)


def test_dedupe_key_without_notification_id_is_a_stable_content_hash() -> None:
    body = _envelope(1, SAMPLES[0][1])
    del body["tts_notification_id"]
    first = w.parse_event(json.dumps(body))
    second = w.parse_event(json.dumps(dict(reversed(list(body.items())))))
    other = w.parse_event(json.dumps(body | {"timestamp": 1735689601}))
    assert first.dedupe_key == second.dedupe_key
    assert first.dedupe_key.startswith("sha256:")
    assert first.dedupe_key != other.dedupe_key


def test_verify_wraps_the_constant_time_check() -> None:
    vector = WEBHOOK_VECTORS[0]
    raw = vector["raw_body"].encode()
    assert w.verify(vector["app_key"], vector["app_secret"], raw, vector["authorization"])
    assert not w.verify(vector["app_key"], vector["app_secret"], raw + b" ", vector["authorization"])


@given(
    st.integers(min_value=-(2**63), max_value=2**63), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)
)
def test_parsing_any_type_never_raises_for_well_formed_unknown_events(kind: int, data: dict[str, int]) -> None:
    if kind in w.EVENT_TYPES:
        return
    event = w.parse_event({"type": kind, "data": data})
    assert isinstance(event, w.UnknownEvent)
    assert event.type == kind
