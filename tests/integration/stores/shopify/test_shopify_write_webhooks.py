"""Writes made through the adapter make the sandbox Shopify send the webhooks Shopify sends:
stock at a location, an order made, paid, fulfilled and cancelled; each verified and typed by the
adapter's webhook parser, naming the item or the order."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from connector.stores import (
    Cancellation,
    EventKind,
    Fulfilment,
    OrderLine,
    OrderTotals,
    ShipTo,
    Stock,
    StoreEvent,
    StoreOrderDraft,
)
from connector.stores.shopify import ShopifyCatalog, ShopifyWebhooks
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.helpers import WebhookSink
from tests.integration.stores.shopify.conftest import CLIENT_SECRET, simple_product
from tests.support.wait import until

TOPICS = ("inventory_levels/update", "orders/create", "orders/paid", "orders/cancelled", "orders/fulfilled",
          "fulfillments/create")
HOOKS = ShopifyWebhooks(CLIENT_SECRET)


@pytest.fixture
def receiver(shopify: ShopifySandbox, shop: str) -> Iterator[WebhookSink]:
    sink = WebhookSink()
    for topic in TOPICS:
        shopify.subscribe(shop, topic, sink.url)
    yield sink
    sink.stop()


def _events(receiver: WebhookSink, count: int) -> list[StoreEvent]:
    until(lambda: len(receiver.received) >= count, timeout=20, what=f"{count} deliveries")
    return [HOOKS.verify_and_parse(r.headers, r.body) for r in receiver.received]


def _draft(tiktok_id: str, variant: str) -> StoreOrderDraft:
    return StoreOrderDraft(
        tiktok_order_id=tiktok_id,
        lines=(OrderLine(variant_key=variant, sku="TEE", name="Tee", quantity=1, unit_price=Decimal("9.00")),),
        ship_to=ShipTo(name="Ada Lovelace", city="Springfield", postal="62701", country="US"),
        email="buyer@example.com", currency="USD", totals=OrderTotals(subtotal=Decimal("9.00"), total=Decimal("9.00")))


def test_a_stock_write_is_told_as_an_inventory_level_update(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog, receiver: WebhookSink
) -> None:
    variant = shopify.state.add_product(shop, simple_product("TEE", quantity=4))["variants"][0]
    store.set_stock(variant["id"].rsplit("/", 1)[-1], Stock.counted(9))
    [event] = _events(receiver, 1)
    assert event.kind is EventKind.STOCK_CHANGED
    assert event.entity_id == variant["inventoryItem"]["id"].rsplit("/", 1)[-1]
    assert event.details["location_id"] == store.location_id
    assert receiver.received[0].event["available"] == 9


def test_an_order_is_told_when_made_fulfilled_and_cancelled(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog, receiver: WebhookSink
) -> None:
    variant = shopify.state.add_product(shop, simple_product("TEE", quantity=4))["variants"][0]
    key = variant["id"].rsplit("/", 1)[-1]
    shipped = store.create_order(_draft("576460752303425001", key))
    store.fulfil_order(Fulfilment(order_ext_id=shipped.ext_id, tracking_number="1Z9", carrier="UPS"))
    dropped = store.create_order(_draft("576460752303425002", key))
    store.cancel_order(Cancellation(order_ext_id=dropped.ext_id, reason="buyer cancelled"))
    # per order: inventory claimed, orders/create, orders/paid; then the fulfilment (two topics)
    # and the cancellation (the units back, orders/cancelled)
    events = _events(receiver, 10)
    by_topic: dict[str, list[StoreEvent]] = {}
    for event in events:
        by_topic.setdefault(event.event_type, []).append(event)
    assert {e.entity_id for e in by_topic["orders/create"]} == {shipped.ext_id, dropped.ext_id}
    assert [e.entity_id for e in by_topic["fulfillments/create"]] == [shipped.ext_id]
    assert [e.entity_id for e in by_topic["orders/fulfilled"]] == [shipped.ext_id]
    assert [e.entity_id for e in by_topic["orders/cancelled"]] == [dropped.ext_id]
    assert all(e.kind is EventKind.ORDER_CHANGED for t, es in by_topic.items() if t != "inventory_levels/update"
               for e in es)
    assert len(by_topic["inventory_levels/update"]) == 3  # two claims and one restock
    assert all("buyer@example.com" not in str(e.details) for e in events)
