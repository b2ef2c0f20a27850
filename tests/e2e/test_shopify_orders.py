"""The order relay on the local cloud with a Shopify store: a paid TikTok order becomes exactly one
Shopify order (its ``sourceIdentifier`` the TikTok order id, the stock claimed once); a fulfilment
with tracking made in Shopify reaches TikTok as shipped through Shopify's order and fulfilment
webhooks; a TikTok cancellation cancels the Shopify order and restocks it once, a merchant's
cancellation in Shopify cancels the TikTok order; and an ``orderCreate`` that Shopify applies but
whose answer is lost still leaves one order, also while Shopify's order search trails its writes. The settle
window is compressed (4 s instead of 60 s) through ``OrderSettleSeconds``. The tests share one
world; each has a connected shop of its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connector.stores.protocol import Cancellation, Fulfilment
from local.shopify_order_scenario import ShopifyShop, connect_shopify
from local.world import World, world
from tests.support.wait import until

QTY = 500
SETTLE_S = 4

# Functions answer without custom metrics on some refusals; Powertools warns about each.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


@pytest.fixture(scope="module")
def sw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    log = tmp_path_factory.mktemp("shopify-orders") / "functions.jsonl"
    with world(function_log=log, parameters={"OrderBlockedRetrySeconds": 1, "OrderRelayRetrySeconds": 1,
                                             "OrderSettleSeconds": SETTLE_S}) as w:
        yield w


@pytest.fixture
def shop(sw: World) -> Iterator[ShopifyShop]:
    assert sw.shopify is not None
    sw.shopify.clear_faults()
    s = connect_shopify(sw, products=2, quantity=QTY)
    s.settings(on_hold="wait", relay_fbt=False, placeholder_email="buyer@orders.example")
    yield s
    sw.shopify.clear_faults()


def relayed(shop: ShopifyShop, order_id: str, timeout: float = 30) -> dict[str, Any]:
    """The one Shopify order of a TikTok order, once the relay recorded it."""
    record = until(lambda: ((r := shop.record(order_id)) is not None and r.state == "created"
                            and r.store_intent is None and r) or None, timeout=timeout,
                   what=f"order {order_id} recorded as created")
    orders = shop.store_orders_for(order_id)
    assert len(orders) == 1, orders
    assert record.store_order_id == orders[0]["id"].rsplit("/", 1)[-1]
    return orders[0]


def test_paid_order_becomes_one_shopify_order_and_claims_the_stock_once(shop: ShopifyShop) -> None:
    a, b = list(shop.skus)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 2), (b, 1)], shipping_fee="4.50")

    order = relayed(shop, placed["id"])

    assert order["sourceIdentifier"] == placed["id"] and order["displayFinancialStatus"] == "PAID"
    lines = sorted((line["variant"]["id"].rsplit("/", 1)[-1], line["quantity"]) for line in order["lineItems"])
    assert lines == sorted([(shop.skus[a], 2), (shop.skus[b], 1)])
    assert order["email"] == "buyer@orders.example"
    shop.w.cloud.wait_idle(timeout=30)  # every webhook the order made (Shopify's, TikTok's) handled
    assert len(shop.store_orders_for(placed["id"])) == 1
    assert (shop.store_stock(a), shop.store_stock(b)) == (QTY - 2, QTY - 1)
    assert (shop.tiktok_stock(a), shop.tiktok_stock(b)) == (QTY - 2, QTY - 1)  # TikTok took its own, once
    record = shop.record(placed["id"])
    assert record is not None and record.pending_units == {}
    assert [(line.tiktok_sku_id, line.quantity) for line in record.lines] == [(a, 2), (b, 1)]


def test_a_fulfilment_with_tracking_in_shopify_ships_the_tiktok_package(shop: ShopifyShop) -> None:
    a, _ = list(shop.skus)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 1)])
    order = relayed(shop, placed["id"])

    shop.store.fulfil_order(Fulfilment(order_ext_id=order["id"].rsplit("/", 1)[-1],
                                       tracking_number="1Z999AA10123456784", carrier="UPS"))

    shipped = until(lambda: ((o := shop.order(placed["id"]))["status"] == "AWAITING_COLLECTION" and o) or None,
                    timeout=30, what="TikTok package shipped")
    assert shipped["tracking_number"] == "1Z999AA10123456784"
    providers = shop.w.tiktok.shipping_providers(shop.w.tiktok.state.shops[shop.shop.id])
    assert shipped["shipping_provider_id"] == providers[1]["id"]  # UPS mapped
    until(lambda: shop.record(placed["id"]).state == "shipped", timeout=20,  # type: ignore[union-attr]
          what="order recorded as shipped")


def test_a_tiktok_cancellation_cancels_the_shopify_order_and_restocks_once(shop: ShopifyShop) -> None:
    a, _ = list(shop.skus)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 3)])
    order = relayed(shop, placed["id"])
    assert shop.store_stock(a) == QTY - 3
    cancellation = shop.w.tiktok.buyer_cancel(placed["id"])

    shop.tiktok.approve_cancellation(shop.shop, cancellation["cancel_id"])  # the seller accepts in Seller Center

    until(lambda: shop.store_orders_for(placed["id"])[0]["cancelledAt"] is not None, timeout=30,
          what="Shopify order cancelled")
    until(lambda: shop.record(placed["id"]).state == "cancelled", timeout=20,  # type: ignore[union-attr]
          what="order recorded as cancelled")
    shop.w.cloud.wait_idle(timeout=30)  # the cancellation's own webhooks (orders/cancelled) handled too
    assert shop.store_stock(a) == QTY
    (cancelled,) = shop.store_orders_for(placed["id"])
    assert cancelled["id"] == order["id"]


def test_a_merchant_cancellation_in_shopify_cancels_the_tiktok_order(shop: ShopifyShop) -> None:
    _, b = list(shop.skus)
    placed = shop.w.tiktok.place_order(shop.shop.id, [(b, 2)])
    order = relayed(shop, placed["id"])

    shop.store.cancel_order(Cancellation(order_ext_id=order["id"].rsplit("/", 1)[-1], reason="merchant cancelled"))

    until(lambda: shop.order(placed["id"])["status"] == "CANCELLED", timeout=30, what="TikTok order cancelled")
    until(lambda: shop.record(placed["id"]).state == "cancelled", timeout=20,  # type: ignore[union-attr]
          what="order recorded as cancelled")
    shop.w.cloud.wait_idle(timeout=30)
    assert shop.store_stock(b) == QTY  # Shopify restocked its order once


@pytest.mark.parametrize("search_lag_s", [0.0, 2.0], ids=["search-current", "search-lagging"])
def test_an_order_create_applied_with_its_answer_lost_leaves_one_shopify_order(shop: ShopifyShop,
                                                                               search_lag_s: float) -> None:
    assert shop.w.shopify is not None
    a, _ = list(shop.skus)
    shop.w.shopify.set_search_lag(search_lag_s)  # Shopify's order search trails its writes (under the settle window)
    fault = shop.w.shopify.add_fault(status=503, times=1, after=True, operation="CreateOrder")

    placed = shop.w.tiktok.place_order(shop.shop.id, [(a, 2)])

    relayed(shop, placed["id"], timeout=45)
    assert fault.hits == 1  # the create was applied, and its answer lost
    shop.w.cloud.wait_idle(timeout=30)
    live = [o for o in shop.store_orders_for(placed["id"]) if o["cancelledAt"] is None]
    assert len(live) == 1 and len(shop.store_orders_for(placed["id"])) == 1
    assert shop.store_stock(a) == QTY - 2
