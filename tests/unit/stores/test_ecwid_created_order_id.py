"""The Ecwid adapter finds the created order by its public id, however Ecwid's answer spells the key."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.stores import OrderLine, OrderTotals, ShipTo, StoreOrderDraft
from connector.stores.ecwid import EcwidStore

TOKEN = "secret_abcdefghijklmnopqrstuvwxyz0123456789"


def _draft() -> StoreOrderDraft:
    return StoreOrderDraft(
        tiktok_order_id="5764615",
        lines=(OrderLine(variant_key="101", sku="MUG", name="Mug", quantity=1, unit_price=Decimal("9.99")),),
        ship_to=ShipTo(name="Ann", street=("1 Main St",), city="Austin", postal="73301", country="US"),
        email="ann@example.com",
        currency="USD",
        totals=OrderTotals(subtotal=Decimal("9.99"), total=Decimal("9.99")),
    )


class Orders:
    """A create answered with ``answer_keys`` (the public id under each); only the public id reads."""

    def __init__(self, answer_keys: tuple[str, ...]) -> None:
        self.answer_keys = answer_keys
        self.order: dict[str, Any] | None = None
        self.reads: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v3/1003")
        if request.method == "GET" and path == "/orders":
            return httpx.Response(200, json={"total": 0, "count": 0, "offset": 0, "limit": 100, "items": []})
        if request.method == "POST" and path == "/orders":
            self.order = dict(json.loads(request.content), id="XJ12H", internalId=212398840)
            answer: dict[str, Any] = {"id": 212398840}
            answer.update(dict.fromkeys(self.answer_keys, "XJ12H"))
            return httpx.Response(200, json=answer)
        if request.method == "GET" and path.startswith("/orders/"):
            wanted = path.rsplit("/", 1)[1]
            self.reads.append(wanted)
            if self.order is not None and wanted == self.order["id"]:
                return httpx.Response(200, json=self.order)
        return httpx.Response(404, json={"errorMessage": "not found"})


@pytest.mark.parametrize("keys", [("orderId",), ("orderid",)])
def test_the_created_order_is_read_by_its_public_id_in_either_spelling(keys: tuple[str, ...]) -> None:
    orders = Orders(keys)
    store = EcwidStore(
        1003,
        TOKEN,
        api_base="https://ecwid.test/api/v3",
        http=httpx.Client(transport=httpx.MockTransport(orders)),
        sleep=lambda _: None,
    )

    created = store.create_order(_draft())

    assert created.ext_id == "XJ12H"
    assert orders.reads == ["XJ12H"]
