"""The sandbox Ecwid's search filters take UNIX time and the date-time forms of Ecwid's REST API
docs, and a malformed filter is a 400 with a plain reason."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from local.sandbox_ecwid import EcwidSandbox


def _forms(moment: int) -> list[str]:
    when = datetime.fromtimestamp(moment, tz=UTC)
    return [
        str(moment),
        when.strftime("%Y-%m-%d %H:%M:%S"),
        when.strftime("%Y-%m-%d %H:%M:%S +0000"),
    ]


def _get(
    http: httpx.Client, sandbox: EcwidSandbox, store_id: int, token: str, what: str, **params: str
) -> httpx.Response:
    return http.get(f"{sandbox.url}/{store_id}/{what}", params=params, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("name", ["updatedFrom", "createdFrom"])
def test_product_search_takes_unix_time_and_ecwids_date_forms(
    sandbox: EcwidSandbox, store_id: int, token: str, http: httpx.Client, name: str
) -> None:
    sandbox.seed_catalog(store_id, 3, seed=11)
    now = int(datetime.now(tz=UTC).timestamp())
    past, future = now - 3600, now + 3600

    found_past = [_get(http, sandbox, store_id, token, "products", **{name: f}) for f in _forms(past)]
    found_future = [_get(http, sandbox, store_id, token, "products", **{name: f}) for f in _forms(future)]
    day = _get(
        http, sandbox, store_id, token, "products", **{name: datetime.fromtimestamp(past, tz=UTC).strftime("%Y-%m-%d")}
    )

    assert [r.status_code for r in found_past + found_future + [day]] == [200] * 7
    assert {r.json()["total"] for r in found_past} == {3}
    assert {r.json()["total"] for r in found_future} == {0}
    assert day.json()["total"] == 3


@pytest.mark.parametrize("name", ["createdFrom", "updatedFrom"])
def test_order_search_takes_unix_time_and_ecwids_date_forms(
    sandbox: EcwidSandbox, store_id: int, token: str, http: httpx.Client, name: str
) -> None:
    created = http.post(
        f"{sandbox.url}/{store_id}/orders",
        json={"email": "buyer@example.com", "items": [{"name": "Mug", "quantity": 1, "price": 9.5}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    now = int(datetime.now(tz=UTC).timestamp())

    found_past = [_get(http, sandbox, store_id, token, "orders", **{name: f}) for f in _forms(now - 3600)]
    found_future = [_get(http, sandbox, store_id, token, "orders", **{name: f}) for f in _forms(now + 3600)]

    assert created.status_code == 200
    assert [r.status_code for r in found_past + found_future] == [200] * 6
    assert {r.json()["total"] for r in found_past} == {1}
    assert {r.json()["total"] for r in found_future} == {0}


@pytest.mark.parametrize(
    ("what", "params"),
    [
        ("products", {"updatedFrom": "yesterday"}),
        ("products", {"createdFrom": "2023-13-45"}),
        ("products", {"offset": "ten"}),
        ("products", {"category": "shoes"}),
        ("orders", {"createdFrom": "15/01/2023"}),
        ("orders", {"limit": "1.5"}),
        ("categories", {"parent": "top"}),
    ],
)
def test_a_malformed_filter_is_a_plain_400(
    sandbox: EcwidSandbox, store_id: int, token: str, http: httpx.Client, what: str, params: dict[str, str]
) -> None:
    response = _get(http, sandbox, store_id, token, what, **params)

    assert response.status_code == 400
    message = response.json()["errorMessage"]
    assert next(iter(params)) in message
    assert "invalid literal" not in message and "Traceback" not in message and "ValueError" not in message
