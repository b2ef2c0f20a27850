"""Request bodies of the update stock / update price actions and the stock sync's store-event hook,
without a network."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from connector.api.stock import ActionRequest
from connector.catalog.stock.events import on_product_changed
from connector.catalog.stock.requests import StockMessage, request_stock_sync
from connector.connections.models import EventMessage
from connector.runtime import environment_overlay

ENV = dict.fromkeys(("TABLE_NAME", "APP_SECRET_NAME", "TOKENS_KEY_ID", "TASKS_QUEUE_URL", "STORE_EVENTS_QUEUE_URL",
                     "TIKTOK_EVENTS_QUEUE_URL", "TIKTOK_API_BASE", "TIKTOK_AUTH_BASE", "TIKTOK_AUTHORIZE_URL",
                     "ECWID_API_BASE", "ECWID_OAUTH_BASE"), "x" * 8)
ENV["STOCK_QUEUE_URL"] = "https://sqs.example/stock"


class Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def send(self, queue_url: str, message: Any, **_: Any) -> str:
        self.sent.append((queue_url, message))
        return "id"


@pytest.mark.parametrize("body", [{}, {"all": False}, {"all": True, "product_ids": ["1"]}, {"product_ids": []},
                                  {"product_ids": [" "]}, {"product_ids": ["1"] * 1001},
                                  {"product_ids": ["1"], "x": 1}])
def test_a_body_must_name_products_or_all(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ActionRequest.model_validate(body)


def test_good_bodies() -> None:
    assert ActionRequest.model_validate({"all": True}).all
    assert ActionRequest.model_validate({"product_ids": ["1", "2"]}).product_ids == ["1", "2"]


def test_a_store_product_change_only_queues_the_product() -> None:
    sender = Sender()
    c: Any = SimpleNamespace(notifier=SimpleNamespace(sender=sender))
    event = EventMessage(source="ecwid", kind="product_changed", connection_id="c1", event_id="e1",
                         correlation_id="corr", entity_ids={"entity_id": "42"})
    with environment_overlay(ENV):
        assert on_product_changed(event, c) == "stock_queued"
        assert on_product_changed(event.model_copy(update={"entity_ids": {}}), c) == "stock_ignored_no_product"
    ((url, message),) = sender.sent
    assert url == ENV["STOCK_QUEUE_URL"] and isinstance(message, StockMessage)
    assert (message.connection_id, message.store_product_id, message.action, message.force) == ("c1", "42",
                                                                                               "stock", False)


def test_request_stock_sync_sends_one_message_per_distinct_product() -> None:
    sender = Sender()
    assert request_stock_sync("c1", ["1", "2", "1", ""], "corr", sender=sender, queue_url="q") == 2
    assert [m.store_product_id for _, m in sender.sent] == ["1", "2"]
    assert all(m.reason == "pending_units" for _, m in sender.sent)
    assert request_stock_sync("c1", [], "corr", sender=sender, queue_url="q") == 0
