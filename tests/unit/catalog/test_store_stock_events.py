"""A store stock event naming an inventory item: the adapter's answer decides whether the product
is queued for a stock sync or the event is ignored with its reason (no network: the adapter and
the queue are stand-ins that record what they are asked)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import SimpleNamespace
from typing import Any

import pytest

from connector.catalog.stock.requests import StockMessage
from connector.catalog.store_stock import on_stock_changed
from connector.connections.models import EventMessage
from connector.runtime import environment_overlay
from connector.stores import StoreNotFound

ENV = dict.fromkeys(("TABLE_NAME", "APP_SECRET_NAME", "TOKENS_KEY_ID", "TASKS_QUEUE_URL", "STORE_EVENTS_QUEUE_URL",
                     "TIKTOK_EVENTS_QUEUE_URL", "TIKTOK_API_BASE", "TIKTOK_AUTH_BASE", "TIKTOK_AUTHORIZE_URL",
                     "ECWID_API_BASE", "ECWID_OAUTH_BASE"), "x" * 8)
ENV["STOCK_QUEUE_URL"] = "https://sqs.example/stock"


class Store:
    def __init__(self, answer: str | Exception | None) -> None:
        self.answer = answer
        self.asked: list[tuple[str, dict[str, str]]] = []

    def product_of_stock_change(self, entity_id: str, details: Mapping[str, str],
                                also: Collection[str] = ()) -> str | None:
        self.asked.append((entity_id, dict(details)))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def send(self, queue_url: str, message: Any, **_: Any) -> str:
        self.sent.append((queue_url, message))
        return "id"


def _collaborators(store: Store, sender: Sender, *, connected: bool = True) -> Any:
    connection = SimpleNamespace(connection_id="c1") if connected else None
    return SimpleNamespace(repo=SimpleNamespace(get=lambda _cid: connection), store_for=lambda _conn: store,
                           notifier=SimpleNamespace(sender=sender))


def _event(**entity_ids: str) -> EventMessage:
    return EventMessage(source="shopify", kind="stock_changed", connection_id="c1", event_id="d1",
                        correlation_id="corr", entity_ids=entity_ids)


def test_an_item_at_the_mapped_location_queues_its_product() -> None:
    store, sender = Store("42"), Sender()
    with environment_overlay(ENV):
        outcome = on_stock_changed(_event(entity_id="808", location_id="7"), _collaborators(store, sender),
                                   lambda _cid: ())
    assert outcome == "stock_queued"
    assert store.asked == [("808", {"location_id": "7"})]
    ((url, message),) = sender.sent
    assert url == ENV["STOCK_QUEUE_URL"] and isinstance(message, StockMessage)
    assert (message.connection_id, message.store_product_id, message.reason) == ("c1", "42", "store_event")


@pytest.mark.parametrize(("answer", "entity_ids", "connected", "outcome"), [
    (None, {"entity_id": "808", "location_id": "9"}, True, "stock_ignored_unmapped_location"),
    (StoreNotFound("gone", platform="shopify"), {"entity_id": "808"}, True, "stock_ignored_gone_from_store"),
    ("42", {}, True, "stock_ignored_nothing_named"),
    ("42", {"entity_id": "808"}, False, "stock_ignored_no_connection"),
])
def test_what_is_not_this_connections_stock_is_ignored_with_its_reason(
    answer: str | Exception | None, entity_ids: dict[str, str], connected: bool, outcome: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sender = Sender()
    with environment_overlay(ENV), caplog.at_level("INFO"):
        assert on_stock_changed(_event(**entity_ids), _collaborators(Store(answer), sender, connected=connected),
                                lambda _cid: ()) \
            == outcome
    assert sender.sent == []
    assert any("stock event ignored" in r.getMessage() for r in caplog.records)


def test_the_store_events_router_sends_stock_changes_here() -> None:
    from connector.connections.events import EVENT_HANDLERS

    for platform in ("shopify", "ecwid"):
        assert EVENT_HANDLERS[(platform, "stock_changed")] == ("connector.catalog.store_stock:on_stock_changed",)
