"""Ecwid's signed pair (``eventCreated``, ``eventId``) read from the raw body before the
signature is checked: exactly what a JSON parser reads for a valid body, nothing else parsed,
numbers range-checked, nesting bounded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.stores import StoreValidationError
from connector.stores.ecwid import EcwidWebhooks, signature
from connector.stores.ecwid.webhooks import MAX_DEPTH, MAX_EVENT_CREATED, signed_fields

SECRET = "client-secret"


def _signed(body: bytes, created: Any, event_id: Any) -> dict[str, str]:
    return {"X-Ecwid-Webhook-Signature": signature(SECRET, created, event_id)}


@pytest.mark.parametrize(("body", "expected"), [
    (b'{"eventId":"e-1","eventCreated":1735689600}', (1735689600, "e-1")),
    (b' {\n "eventCreated" : 1735689600.0 ,"eventId":12 }\n', (1735689600, "12")),
    (b'{"data":{"eventId":"inner","x":[1,{"y":"}\\",{"}]},"eventId":"outer","eventCreated":"1735689600"}',
     (1735689600, "outer")),
    (b'{"eventId":"\\u00e9t\\u00e9","eventCreated":0}', (0, "\u00e9t\u00e9")),
])
def test_the_signed_pair_is_read_as_a_parser_reads_it(body: bytes, expected: tuple[int, str]) -> None:
    assert signed_fields(body) == expected


@pytest.mark.parametrize("body", [
    b'{"eventId":"e","eventCreated":1e20}',
    b'{"eventId":"e","eventCreated":NaN}',
    b'{"eventId":"e","eventCreated":Infinity}',
    b'{"eventId":"e","eventCreated":-1}',
    b'{"eventId":"e","eventCreated":1.5}',
    b'{"eventId":"e","eventCreated":' + str(MAX_EVENT_CREATED + 1).encode() + b"}",
    '{"eventId":"e","eventCreated":"\u00b2"}'.encode(),
    b'{"eventId":"e","eventCreated":"\\u00b2"}',
    b'{"eventId":"e","eventCreated":' + b"9" * 5000 + b"}",
    b'{"eventId":"e","eventCreated":[1]}',
    b'{"eventId":{"a":1},"eventCreated":1}',
    b'{"eventId":"","eventCreated":1}',
    b'{"eventId":"' + b"e" * 129 + b'","eventCreated":1}',
    b'{"eventId":"a\\nb","eventCreated":1}',
    b'{"eventId":"e","eventCreated":1,"eventId":"f"}',  # a parser keeps the last: refuse the pair
    b'{"eventId":"e","eventCreated":1}trailing',
    b'{"eventId":"e","eventCreated":1,}',
    b'{"eventId":"e"}',
    b'{"x":' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b',"eventId":"e","eventCreated":1}',
    b'{"x":' + b"[" * 100_000 + b"]" * 100_000 + b',"eventId":"e","eventCreated":1}',
    b'{"x":tru,"eventId":"e","eventCreated":1}',
    b"[1]", b"", b"\xff\xfe", b'{"eventId":"e","eventCreated":1',
])
def test_anything_else_is_refused_before_a_signature_is_computed(body: bytes) -> None:
    with pytest.raises(StoreValidationError):
        signed_fields(body)
    assert not EcwidWebhooks(SECRET).verify(_signed(body, 1, "e"), body)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)


@settings(max_examples=300, derandomize=True, database=None)
@given(st.dictionaries(st.text(max_size=8).filter(lambda k: k not in ("eventId", "eventCreated")), _json_values,
                       max_size=4),
       st.integers(min_value=0, max_value=MAX_EVENT_CREATED), st.text(min_size=1, max_size=20).filter(str.isprintable),
       st.booleans())
def test_for_any_valid_body_the_pair_is_the_parsers(others: dict[str, Any], created: int, event_id: str,
                                                    indent: bool) -> None:
    body = json.dumps({**others, "eventCreated": created, "eventId": event_id}, indent=2 if indent else None).encode()
    assert signed_fields(body) == (created, event_id)
    assert EcwidWebhooks(SECRET).verify(_signed(body, created, event_id), body)


def test_parse_refuses_ids_that_are_not_ids() -> None:
    hooks = EcwidWebhooks(SECRET)
    base = {"eventId": "e", "eventCreated": 1735689600, "storeId": 1003, "eventType": "product.updated"}
    assert hooks.parse(json.dumps(base).encode()).store_id == "1003"
    for change in ({"storeId": "abc"}, {"storeId": [1]}, {"storeId": 1.5}, {"entityId": {"a": 1}},
                   {"entityId": "x" * 200}, {"eventType": "order.updated", "data": {"orderId": [1]}}):
        with pytest.raises(StoreValidationError):
            hooks.parse(json.dumps({**base, **change}).encode())
    deep = b'{"eventId":"e","eventCreated":1,"storeId":1,"data":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(StoreValidationError):
        hooks.parse(deep)
