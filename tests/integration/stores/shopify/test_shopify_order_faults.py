"""The sandbox Shopify's fault switches against the order path: an order made late after the
client gave up, and an outage window; neither makes a second order nor loses one."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from connector.stores import OrderLine, OrderTotals, ServerError, ShipTo, StoreOrderDraft
from connector.stores.errors import AmbiguousWrite
from connector.stores.shopify import ShopifyCatalog
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.helpers import RecordingLimiter, quick_sleep
from tests.integration.stores.shopify.conftest import simple_product
from tests.support.wait import until


def _draft(tiktok_id: str, variant: str) -> StoreOrderDraft:
    return StoreOrderDraft(
        tiktok_order_id=tiktok_id,
        lines=(OrderLine(variant_key=variant, sku="TEE", name="Tee", quantity=1, unit_price=Decimal("9.00")),),
        ship_to=ShipTo(name="Ada Lovelace", city="Springfield", postal="62701", country="US"),
        email="buyer@example.com", currency="USD", totals=OrderTotals(subtotal=Decimal("9.00"), total=Decimal("9.00")))


def test_an_order_made_after_the_client_timed_out_is_found_not_made_again(
    shopify: ShopifySandbox, shop: str, write_token: str
) -> None:
    variant = shopify.state.add_product(shop, simple_product("TEE", quantity=4))["variants"][0]
    key, item = variant["id"].rsplit("/", 1)[-1], variant["inventoryItem"]["id"]
    with httpx.Client(timeout=httpx.Timeout(0.5)) as impatient:
        store = ShopifyCatalog(shop, write_token, shop_base=shopify.shop_base, http=impatient,
                               limiter=RecordingLimiter(), sleep=quick_sleep)
        shopify.add_fault(200, times=1, delay_s=1.0, after=True, operation="CreateOrder")  # stall, then apply
        with pytest.raises(AmbiguousWrite):
            store.create_order(_draft("576460752303424001", key))
        until(lambda: len(shopify.orders(shop)) == 1, timeout=10, what="the late order to land")
        again = store.create_order(_draft("576460752303424001", key))
    assert [o["id"].rsplit("/", 1)[-1] for o in shopify.orders(shop)] == [again.ext_id]
    assert shopify.stock_level(shop, item) == {"available": 3, "committed": 1, "on_hand": 4}


def test_an_outage_fails_calls_plainly_and_ends(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    variant = shopify.state.add_product(shop, simple_product("TEE", quantity=4))["variants"][0]
    key = variant["id"].rsplit("/", 1)[-1]
    shopify.start_outage()
    with pytest.raises(ServerError) as failed:
        store.create_order(_draft("576460752303424002", key))
    assert not isinstance(failed.value, AmbiguousWrite)  # the search before it failed: nothing was posted
    with pytest.raises(ServerError):
        store.get_price(key)
    assert shopify.orders(shop) == []
    assert all(s.operation == "outage" for s in shopify.served_for(shop))
    shopify.end_outage()
    assert store.create_order(_draft("576460752303424002", key)).tiktok_order_id == "576460752303424002"
    assert len(shopify.orders(shop)) == 1


def test_a_lagging_search_hides_a_new_order_until_it_settles(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog
) -> None:
    """Why a create whose answer was lost raises AmbiguousWrite instead of searching and posting
    again at once: the search may not show the order yet (the relay waits a settle window)."""
    variant = shopify.state.add_product(shop, simple_product("TEE", quantity=4))["variants"][0]
    key = variant["id"].rsplit("/", 1)[-1]
    shopify.set_search_lag(0.5)
    made = store.create_order(_draft("576460752303424003", key))
    assert store.find_orders_by_tiktok_id("576460752303424003") == []  # not in the index yet
    assert store.get_order(made.ext_id).tiktok_order_id == "576460752303424003"  # but there
    found = until(lambda: store.find_order_by_tiktok_id("576460752303424003"), timeout=10, what="the index")
    assert found.ext_id == made.ext_id
