"""Webhook deliveries from the sandbox Shopify, checked and typed by the adapter: the signature the
sandbox computes independently verifies, retries repeat the delivery id and bytes, forged copies
fail, and each kind of change arrives as its event."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.stores import AuthError, EventKind
from connector.stores.shopify import ShopifyCatalog, ShopifyWebhooks
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.helpers import Received, RecordingLimiter, WebhookSink
from tests.integration.stores.shopify.conftest import CLIENT_SECRET
from tests.support.wait import until

TOPICS = ("products/update", "products/delete", "inventory_levels/update", "app/uninstalled",
          "customers/data_request", "customers/redact", "shop/redact")


@pytest.fixture
def receiver() -> Iterator[WebhookSink]:
    sink = WebhookSink()
    yield sink
    sink.stop()


@pytest.fixture
def subscribed(shopify: ShopifySandbox, shop: str, receiver: WebhookSink) -> str:
    for topic in TOPICS:
        shopify.subscribe(shop, topic, receiver.url)
    return shop


def _deliveries(receiver: WebhookSink, count: int) -> list[Received]:
    until(lambda: len(receiver.received) >= count, timeout=20, what=f"{count} deliveries")
    return list(receiver.received)


HOOKS = ShopifyWebhooks(CLIENT_SECRET)


def test_a_product_update_arrives_signed_and_typed(shopify: ShopifySandbox, subscribed: str,
                                                   receiver: WebhookSink) -> None:
    seeded = shopify.seed_catalog(subscribed, 2)
    ids = shopify.update_product(subscribed, seeded[1][0], {"title": "Renamed"})
    [delivery] = _deliveries(receiver, 1)
    event = HOOKS.verify_and_parse(delivery.headers, delivery.body)
    assert event.kind is EventKind.PRODUCT_CHANGED
    assert event.entity_id == seeded[1][0].rsplit("/", 1)[-1]
    assert event.store_id == subscribed and event.event_id == ids[0]
    assert delivery.event["title"] == "Renamed"


def test_a_failed_delivery_is_retried_with_the_same_id_and_bytes(
    shopify: ShopifySandbox, subscribed: str, receiver: WebhookSink
) -> None:
    seeded = shopify.seed_catalog(subscribed, 1)
    receiver.answers.extend([500, 503])
    shopify.update_product(subscribed, seeded[0][0], {"title": "Again"})
    deliveries = _deliveries(receiver, 3)
    assert len({d.headers["x-shopify-webhook-id"] for d in deliveries}) == 1
    assert len({d.body for d in deliveries}) == 1
    events = [HOOKS.verify_and_parse(d.headers, d.body) for d in deliveries]
    assert len({e.event_id for e in events}) == 1  # the de-duplication key holds across retries
    until(shopify.webhooks.idle, timeout=10, what="the dispatcher settles")
    assert [r.status for r in shopify.webhooks.records_for(subscribed)] == [500, 503, 200]


def test_forged_copies_fail_verification(shopify: ShopifySandbox, subscribed: str, receiver: WebhookSink) -> None:
    seeded = shopify.seed_catalog(subscribed, 1)
    shopify.webhooks.forged = 1.0
    shopify.update_product(subscribed, seeded[0][0], {"title": "Forged"})
    deliveries = _deliveries(receiver, 2)
    verdicts = sorted(HOOKS.verify(d.headers, d.body) for d in deliveries)
    assert verdicts == [False, True]


def test_stock_uninstall_and_privacy_requests_arrive_as_their_kinds(
    shopify: ShopifySandbox, subscribed: str, receiver: WebhookSink, token: str
) -> None:
    seeded = shopify.seed_catalog(subscribed, 1)
    variant = shopify.state.products(subscribed)[0]["variants"][0]
    shopify.set_available(subscribed, variant["id"], 3)
    shopify.request_customer_data(subscribed, 191167, [299938, 280263])
    shopify.redact_customer(subscribed, 191167, [299938])
    shopify.redact_shop(subscribed)
    shopify.delete_product(subscribed, seeded[0][0])
    shopify.uninstall(subscribed)
    deliveries = _deliveries(receiver, 6)
    events = {e.event_type: e for e in (HOOKS.verify_and_parse(d.headers, d.body) for d in deliveries)}
    assert events["inventory_levels/update"].kind is EventKind.STOCK_CHANGED
    assert events["inventory_levels/update"].entity_id == variant["inventoryItem"]["id"].rsplit("/", 1)[-1]
    assert events["customers/data_request"].kind is EventKind.CUSTOMER_DATA_REQUEST
    assert events["customers/data_request"].details["orders"] == "299938,280263"
    assert events["customers/redact"].kind is EventKind.CUSTOMER_REDACT
    assert events["shop/redact"].kind is EventKind.SHOP_REDACT
    assert events["products/delete"].kind is EventKind.PRODUCT_DELETED
    assert events["app/uninstalled"].kind is EventKind.APP_UNINSTALLED
    for event in events.values():
        assert "buyer191167@example.com" not in event.model_dump_json()
    # after the uninstall the shop's tokens are dead
    catalog = ShopifyCatalog(subscribed, token, shop_base=shopify.shop_base, limiter=RecordingLimiter())
    with pytest.raises(AuthError):
        catalog.profile()
