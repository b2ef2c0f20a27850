from __future__ import annotations

import json
from decimal import Decimal

import pytest

from connector.stores.wire import Backoff, decode_json, encode_json, pooled_http


def test_money_is_read_as_decimal_and_written_the_way_the_platform_takes_it() -> None:
    read = decode_json(b'{"price": 19.99, "count": 3}')
    assert read == {"price": Decimal("19.99"), "count": 3}
    assert isinstance(read["price"], Decimal)
    assert json.loads(encode_json(read, decimal=float)) == {"price": 19.99, "count": 3}
    assert json.loads(encode_json(read, decimal=str)) == {"price": "19.99", "count": 3}


def test_what_json_cannot_carry_is_refused() -> None:
    with pytest.raises(TypeError):
        encode_json({"when": object()}, decimal=str)


@pytest.mark.parametrize(("attempt", "low", "high"), [(1, 0.25, 0.5), (2, 0.5, 1.0), (3, 1.0, 2.0), (9, 4.0, 8.0)])
def test_the_wait_doubles_up_to_the_cap_and_stays_in_the_upper_half(attempt: int, low: float, high: float) -> None:
    waits = [Backoff(base=0.5, cap=8.0)(attempt) for _ in range(200)]
    assert all(low <= w <= high for w in waits)
    assert max(waits) - min(waits) > 0  # jittered, so two workers do not retry in step


@pytest.mark.parametrize(("setting", "seconds"), [("2.5", 2.5), ("", 20.0), ("soon", 20.0), ("0", 20.0), ("-3", 20.0)])
def test_the_pooled_client_takes_a_positive_timeout_setting_or_the_default(monkeypatch: pytest.MonkeyPatch,
                                                                           setting: str, seconds: float) -> None:
    monkeypatch.setenv("WIRE_TEST_HTTP_TIMEOUT_SECONDS", setting)
    client = pooled_http("WIRE_TEST_HTTP_TIMEOUT_SECONDS", 20.0)
    assert client.timeout.read == seconds
    assert client.timeout.connect == min(5.0, seconds)
    assert pooled_http("WIRE_TEST_HTTP_TIMEOUT_SECONDS", 20.0) is client  # one pool per process and timeout
