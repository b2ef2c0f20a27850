"""The Shopify adapter's locations and stock per location (real HTTP against the sandbox): the
shop's locations listed for the warehouse map, a product's figures at several locations read at
once, and a stock event at a location mapped to a warehouse naming its product."""

from __future__ import annotations

import httpx

from connector.stores import Stock, StoreLocation
from connector.stores.shopify import ShopifyCatalog
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.helpers import RecordingLimiter, quick_sleep
from tests.integration.stores.shopify.conftest import simple_product


def _number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


def test_the_shops_locations_and_a_products_stock_at_each(shopify: ShopifySandbox, shop: str, write_token: str,
                                                          http: httpx.Client) -> None:
    product = shopify.state.add_product(shop, simple_product("LOC-1", quantity=5))  # type: ignore[arg-type]
    variant = product["variants"][0]
    back = shopify.add_location(shop, "Back room")
    empty = shopify.add_location(shop, "Empty shelf")
    shopify.stock_at(shop, variant["inventoryItem"]["id"], back, 8)
    store = ShopifyCatalog(shop, write_token, shop_base=shopify.shop_base, http=http, limiter=RecordingLimiter(),
                           sleep=quick_sleep)
    primary = _number(shopify.locations(shop)[0]["id"])
    listed = store.locations()
    assert [loc.id for loc in listed] == [primary, _number(back), _number(empty)]
    assert listed[1] == StoreLocation(id=_number(back), name="Back room", active=True)
    key = _number(variant["id"])
    figures = store.stock_at(_number(product["id"]), [primary, _number(back), _number(empty)])
    assert figures == {primary: {key: Stock.counted(5)}, _number(back): {key: Stock.counted(8)},
                       _number(empty): {key: Stock.counted(0)}}  # not stocked there: 0
    # A stock event at the back room names the product once the back room is mapped to a warehouse.
    item = _number(variant["inventoryItem"]["id"])
    assert store.product_of_stock_change(item, {"location_id": _number(back)}) is None
    assert store.product_of_stock_change(item, {"location_id": _number(back)}, [_number(back)]) \
        == _number(product["id"])
