"""Signing: the golden vectors of tests/vectors/signatures.json, and the rules behind them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.tiktok.signing import (
    query_value,
    serialize_body,
    sign_request,
    string_to_sign,
    verify_webhook,
    webhook_signature,
)

GOLDEN = Path(__file__).resolve().parents[2] / "vectors" / "signatures.json"


def _golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


REQUEST_VECTORS = _golden()["tiktok_request_signing"]
WEBHOOK_VECTORS = _golden()["tiktok_webhook_signing"]


@pytest.mark.parametrize("vector", REQUEST_VECTORS, ids=[v["note"][:40] for v in REQUEST_VECTORS])
def test_request_golden_vectors(vector: dict[str, Any]) -> None:
    sign = sign_request(vector["app_secret"], vector["path"], vector["query"], vector["body"])
    assert sign == vector["sign"]


def test_published_base_string_matches_the_signing_guide() -> None:
    # The guide shows the string before wrapping: path + sorted key/value pairs.
    base = string_to_sign("/authorization/202309/shops", {"app_key": "29a39d", "timestamp": 1623812664})
    assert base == "/authorization/202309/shopsapp_key29a39dtimestamp1623812664"


def test_integer_and_string_timestamps_sign_the_same() -> None:
    vector = REQUEST_VECTORS[0]
    query = {**vector["query"], "timestamp": int(vector["query"]["timestamp"])}
    assert sign_request(vector["app_secret"], vector["path"], query) == vector["sign"]


def test_a_float_timestamp_does_not_sign_like_the_integer() -> None:
    # time.time() used as is is the classic 106001 error (a fractional timestamp): it must not sign the same.
    vector = REQUEST_VECTORS[0]
    query = {**vector["query"], "timestamp": str(float(vector["query"]["timestamp"]))}
    assert sign_request(vector["app_secret"], vector["path"], query) != vector["sign"]


def test_list_values_are_comma_joined() -> None:
    vector = REQUEST_VECTORS[2]
    query = {**vector["query"], "ids": vector["query"]["ids"].split(",")}
    assert query_value(query["ids"]) == vector["query"]["ids"]
    assert sign_request(vector["app_secret"], vector["path"], query) == vector["sign"]


def test_sign_and_access_token_are_not_signed() -> None:
    vector = REQUEST_VECTORS[1]
    without = {k: v for k, v in vector["query"].items() if k not in ("sign", "access_token")}
    assert sign_request(vector["app_secret"], vector["path"], without, vector["body"]) == vector["sign"]


def test_body_whitespace_changes_the_signature() -> None:
    vector = REQUEST_VECTORS[1]
    spaced = json.dumps(json.loads(vector["body"]))  # default separators add spaces
    assert spaced != vector["body"]
    assert sign_request(vector["app_secret"], vector["path"], vector["query"], spaced) != vector["sign"]
    assert serialize_body(json.loads(vector["body"])).decode() == vector["body"]


def test_multipart_bodies_are_not_signed() -> None:
    args = ("secret", "/product/202309/images/upload", {"app_key": "k", "timestamp": 1700000000})
    assert sign_request(*args, b"--boundary...binary", multipart=True) == sign_request(*args)


def test_signature_is_lowercase_hex() -> None:
    sign = sign_request("s", "/p", {"app_key": "k", "timestamp": 1})
    assert sign == sign.lower()
    assert len(sign) == 64


def test_serialize_body_keeps_non_ascii_and_is_compact() -> None:
    assert serialize_body({"title": "Café ☕", "n": [1, 2]}) == '{"title":"Café ☕","n":[1,2]}'.encode()


@given(
    st.dictionaries(
        st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
            lambda k: k not in ("sign", "access_token")
        ),
        st.text(min_size=0, max_size=12),
        max_size=6,
    )
)
def test_signature_ignores_parameter_order(query: dict[str, str]) -> None:
    reordered = dict(reversed(list(query.items())))
    assert sign_request("sec", "/x", query) == sign_request("sec", "/x", reordered)


@given(st.text(min_size=1, max_size=10), st.text(min_size=0, max_size=10))
def test_any_changed_value_changes_the_signature(value: str, other: str) -> None:
    base = {"app_key": "k", "timestamp": "1700000000", "page_token": value}
    changed = {**base, "page_token": value + "x" + other}
    assert sign_request("sec", "/x", base) != sign_request("sec", "/x", changed)


@pytest.mark.parametrize("vector", WEBHOOK_VECTORS, ids=[v["note"][:40] for v in WEBHOOK_VECTORS])
def test_webhook_golden_vectors(vector: dict[str, Any]) -> None:
    raw = vector["raw_body"].encode("utf-8")
    assert webhook_signature(vector["app_key"], vector["app_secret"], raw) == vector["authorization"]
    assert verify_webhook(vector["app_key"], vector["app_secret"], raw, vector["authorization"])


def test_webhook_verification_refuses_tampering() -> None:
    vector = WEBHOOK_VECTORS[0]
    raw = vector["raw_body"].encode("utf-8")
    key, secret, header = vector["app_key"], vector["app_secret"], vector["authorization"]
    assert not verify_webhook(key, secret, raw.replace(b"AWAITING_SHIPMENT", b"CANCEL"), header)
    assert not verify_webhook(key, "other-secret", raw, header)
    assert not verify_webhook("other-key", secret, raw, header)
    assert not verify_webhook(key, secret, raw, None)
    assert not verify_webhook(key, secret, raw, "")
    assert not verify_webhook(key, secret, raw, "Bearer " + header)
    assert not verify_webhook(key, secret, raw, header[:-1])
