"""The sandbox Ecwid driven by ``pyecwid`` (PyPI, unrelated to this project) through the calls of
the connector that it can express: product search (all, by keyword, by date filters in its own
documented form), product read, create, update and delete, and order create, search, read and
update. Each correct request is accepted and each answer reads in that client.

pyecwid sends the access token as ``?token=``; the sandbox takes it only in the ``Authorization``
header, as Ecwid's REST API does today (docs/ecwid.md). The one adaptation here moves the token
into that header (``BearerRequests``); everything else — URLs, paging, bodies, parsing — is the
client's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyecwid.ecwidapi
import pytest
import requests
from pyecwid import Ecwid

from local.sandbox_ecwid import EcwidSandbox


class BearerRequests:
    """What pyecwid's module uses of ``requests``, with the ``token`` query parameter moved into
    ``Authorization: Bearer``."""

    codes = requests.codes

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def _send(self, method: str, url: str, params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        query = dict(params or {})
        token = query.pop("token", None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.sent.append((method, url))
        return requests.request(method, url, params=query, headers=headers, timeout=5, **kwargs)

    def get(self, url: str, params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        return self._send("GET", url, params, **kwargs)

    def post(self, url: str, params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        return self._send("POST", url, params, **kwargs)

    def put(self, url: str, params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        return self._send("PUT", url, params, **kwargs)

    def delete(self, url: str, params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        return self._send("DELETE", url, params, **kwargs)


@pytest.fixture
def store(ecwid_sandbox: EcwidSandbox) -> int:
    return ecwid_sandbox.create_store("Contract Store")


@pytest.fixture
def ecwid(ecwid_sandbox: EcwidSandbox, store: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ecwid]:
    monkeypatch.setattr(pyecwid.ecwidapi, "requests", BearerRequests())
    # a fresh dict for pyecwid's shared default query (it keeps keys between calls otherwise)
    monkeypatch.setattr(pyecwid.ecwidapi.EcwidAPI.get_request, "__defaults__", ({}, True))
    token = ecwid_sandbox.issue_token(store)
    yield Ecwid(token, store, base_url=ecwid_sandbox.url + "/{0}/")


def test_the_client_starts_against_the_sandbox(ecwid: Ecwid) -> None:
    """pyecwid's constructor reads ``/profile`` to check the token."""
    sent = pyecwid.ecwidapi.requests.sent  # type: ignore[attr-defined]
    assert sent and sent[0][1].endswith("/profile")


def test_product_search_read_and_date_filters(ecwid: Ecwid, ecwid_sandbox: EcwidSandbox, store: int) -> None:
    today = datetime.now(tz=UTC).strftime("%Y-%m-%d")  # taken first: the products are made after it
    seeded = ecwid_sandbox.seed_catalog(store, 130, seed=9)
    first = seeded[0].product_id

    everything = ecwid.products.get()
    by_day = ecwid.products.get_by_params({"updatedFrom": today})
    by_datetime = ecwid.products.get_by_params({"createdFrom": today + " 00:00:00"})
    one = ecwid.products.get_by_id(first)
    named = ecwid.products.get_by_keyword(one["name"])

    assert len(everything) == 130  # two pages of pyecwid's 100
    assert len(by_day) == 130 == len(by_datetime)
    assert one["id"] == first and "combinations" in one
    assert first in {p["id"] for p in named}


def test_product_create_update_delete(ecwid: Ecwid, ecwid_sandbox: EcwidSandbox, store: int) -> None:
    product_id = ecwid.products.add({"name": "Contract mug", "sku": "MUG-C1", "price": 9.5, "quantity": 4})
    updated = ecwid.products.update(product_id, {"price": 11.25, "quantity": 6})
    read = ecwid.products.get_by_id(product_id)
    deleted = ecwid.products.delete(product_id)

    assert updated.status_code == 200 and updated.json()["updateCount"] == 1
    assert (read["price"], read["quantity"]) == (11.25, 6)
    assert deleted == 1


def test_order_create_search_read_update(ecwid: Ecwid, ecwid_sandbox: EcwidSandbox, store: int) -> None:
    today = datetime.now(tz=UTC).strftime("%Y-%m-%d")  # taken first: the order is made after it
    product_id = ecwid_sandbox.add_product(store, {"name": "Contract tee", "sku": "TEE-C1", "price": 20, "quantity": 5})
    order = {
        "email": "buyer@example.com",
        "paymentStatus": "PAID",
        "items": [{"productId": product_id, "name": "Contract tee", "sku": "TEE-C1", "price": 20, "quantity": 2}],
    }

    order_id = ecwid.orders.add(order)
    found = ecwid.orders.get_by_params({"createdFrom": today})
    read = ecwid.orders.get_by_id(order_id)
    updated = ecwid.orders.update(order_id, {"fulfillmentStatus": "SHIPPED", "trackingNumber": "1Z1"})

    assert [o["internalId"] for o in found] == [order_id]
    assert read["items"][0]["quantity"] == 2 and read["paymentStatus"] == "PAID"
    assert updated.status_code == 200
    assert ecwid.orders.get_by_id(order_id)["fulfillmentStatus"] == "SHIPPED"
    assert ecwid_sandbox.product(store, product_id)["quantity"] == 3
