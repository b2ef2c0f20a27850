"""Stock per location and prices through the Shopify adapter against the sandbox (real HTTP):
compare-and-set writes, deltas, the mapped location, unlimited stock, and the sandbox refusing
what Shopify refuses (no idempotency key, no changeFromQuantity, unknown input fields)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from connector.stores import Stock, StoreNotFound, StoreValidationError
from connector.stores.shopify import ShopifyCatalog
from connector.stores.shopify.stock import ADJUST_QUANTITIES, SET_QUANTITIES
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.helpers import RecordingLimiter, quick_sleep
from tests.integration.stores.shopify.conftest import simple_product


def _seed(shopify: ShopifySandbox, shop: str, sku: str = "MUG-1", **kwargs: object) -> tuple[str, str, str]:
    """(variant number, inventory item GID, variant GID) of a new one-variant product."""
    product = shopify.state.add_product(shop, simple_product(sku, **kwargs))  # type: ignore[arg-type]
    variant = product["variants"][0]
    return variant["id"].rsplit("/", 1)[-1], variant["inventoryItem"]["id"], variant["id"]


def test_the_primary_location_is_mapped_by_default(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    primary = shopify.locations(shop)[0]
    assert primary["primary"] is True
    assert store.location_id == primary["id"].rsplit("/", 1)[-1]
    assert store.location() == {"id": store.location_id, "name": primary["name"], "active": True}


def test_set_stock_writes_the_count_at_the_location(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    key, item, _ = _seed(shopify, shop)
    store.set_stock(key, Stock.counted(9))
    assert shopify.stock_level(shop, item) == {"available": 9, "committed": 0, "on_hand": 9}
    assert store.available_at_location(key) == 9
    product_id = shopify.state.products(shop)[0]["id"].rsplit("/", 1)[-1]
    assert store.get_product(product_id).variants[0].stock.quantity == 9
    store.set_stock(key, Stock.counted(9))  # same figure: nothing to write
    writes = [s for s in shopify.served_for(shop) if s.operation == "SetStock"]
    assert len(writes) == 1


def test_adjust_stock_moves_the_count_by_the_delta(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    key, item, _ = _seed(shopify, shop, quantity=5)
    store.adjust_stock(key, -2)
    store.adjust_stock(key, 4)
    store.adjust_stock(key, 0)
    level = shopify.stock_level(shop, item)
    assert level is not None and level["available"] == 7
    assert len([s for s in shopify.served_for(shop) if s.operation == "AdjustStock"]) == 2


def test_a_lost_answer_is_retried_under_the_same_key_and_applied_once(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog
) -> None:
    key, item, _ = _seed(shopify, shop, quantity=5)
    shopify.add_fault(503, times=1, after=True, operation="AdjustStock")
    store.adjust_stock(key, -3)
    level = shopify.stock_level(shop, item)
    assert level is not None and level["available"] == 2  # applied once although sent twice
    calls = [s for s in shopify.served_for(shop) if s.operation == "AdjustStock"]
    assert [c.status for c in calls] == [503, 200]

    shopify.add_fault(502, times=1, after=True, operation="SetStock")
    store.set_stock(key, Stock.counted(11))
    level = shopify.stock_level(shop, item)
    assert level is not None and level["available"] == 11


def test_a_mapped_second_location_is_written_and_the_primary_left_alone(
    shopify: ShopifySandbox, shop: str, write_token: str, http: httpx.Client
) -> None:
    key, item, _ = _seed(shopify, shop, quantity=5)
    warehouse = shopify.add_location(shop, "TikTok warehouse")
    store = ShopifyCatalog(shop, write_token, shop_base=shopify.shop_base, http=http, limiter=RecordingLimiter(),
                           sleep=quick_sleep, location_id=warehouse.rsplit("/", 1)[-1])
    assert store.available_at_location(key) is None  # not stocked there yet
    store.set_stock(key, Stock.counted(4))  # stocks it there
    store.adjust_stock(key, 2)
    assert shopify.stock_level(shop, item, warehouse) == {"available": 6, "committed": 0, "on_hand": 6}
    assert shopify.stock_level(shop, item) == {"available": 5, "committed": 0, "on_hand": 5}
    # the catalog reads the mapped location's figure, not the sum over locations (11)
    product_id = shopify.state.products(shop)[0]["id"].rsplit("/", 1)[-1]
    assert store.get_product(product_id).variants[0].stock.quantity == 6
    assert [p.variants[0].stock.quantity for p in store.list_products()] == [6]
    assert [p.variants[0].stock.quantity for p in store.bulk_products(poll_every_s=0.01)] == [6]
    primary = ShopifyCatalog(shop, write_token, shop_base=shopify.shop_base, http=http, limiter=RecordingLimiter(),
                             sleep=quick_sleep)
    assert primary.get_product(product_id).variants[0].stock.quantity == 5


def test_unlimited_stock_untracks_the_item_and_a_count_tracks_it_again(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog
) -> None:
    key, _, _ = _seed(shopify, shop, quantity=5)
    product_id = shopify.state.products(shop)[0]["id"].rsplit("/", 1)[-1]
    store.set_stock(key, Stock.unlimited_stock())
    assert store.get_product(product_id).variants[0].stock.unlimited
    store.adjust_stock(key, -1)  # no count to move
    assert store.available_at_location(key) is None
    store.set_stock(key, Stock.counted(3))
    assert store.get_product(product_id).variants[0].stock == Stock.counted(3)
    with pytest.raises(StoreValidationError):
        store.set_stock(key, Stock(tracked=True, quantity=-1))


def test_price_and_unknown_variants(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    key, _, _ = _seed(shopify, shop, price="19.90")
    assert store.get_price(key) == Decimal("19.90")
    with pytest.raises(StoreNotFound):
        store.get_price("999999")
    with pytest.raises(StoreNotFound):
        store.set_stock("999999", Stock.counted(1))


def test_the_sandbox_refuses_writes_shopify_refuses(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    _, item, _ = _seed(shopify, shop, quantity=5)
    location = f"gid://shopify/Location/{store.location_id}"
    quantity = {"inventoryItemId": item, "locationId": location, "quantity": 8, "changeFromQuantity": 5}
    good = {"name": "available", "reason": "correction", "quantities": [quantity]}
    api = store.transport
    without_key = SET_QUANTITIES.replace(" @idempotent(key: $key)", "").replace(", $key: String!", "")
    with pytest.raises(StoreValidationError) as refused:
        api.execute(without_key, {"input": good})
    assert refused.value.platform_code == "BAD_REQUEST"
    no_change_from = {**good, "quantities": [{k: v for k, v in quantity.items() if k != "changeFromQuantity"}]}
    with pytest.raises(StoreValidationError) as refused:
        api.execute(SET_QUANTITIES, {"input": no_change_from, "key": "k1"})
    assert refused.value.platform_code == "INVALID_VARIABLE"
    with pytest.raises(StoreValidationError) as refused:
        api.execute(SET_QUANTITIES, {"input": {**good, "ignoreCompareQuantity": True}, "key": "k2"})
    assert refused.value.platform_code == "INVALID_VARIABLE"
    stale = {**good, "quantities": [{**quantity, "changeFromQuantity": 4}]}
    answer = api.execute(SET_QUANTITIES, {"input": stale, "key": "k3"})
    assert [e["code"] for e in answer["inventorySetQuantities"]["userErrors"]] == ["CHANGE_FROM_QUANTITY_STALE"]
    assert shopify.stock_level(shop, item) == {"available": 5, "committed": 0, "on_hand": 5}
    # the same key with other parameters is refused, the same key and parameters answered again
    api.execute(SET_QUANTITIES, {"input": good, "key": "k4"})
    again = api.execute(SET_QUANTITIES, {"input": good, "key": "k4"})
    assert again["inventorySetQuantities"]["userErrors"] == []
    other = {**good, "quantities": [{**quantity, "quantity": 1, "changeFromQuantity": 8}]}
    mismatch = api.execute(SET_QUANTITIES, {"input": other, "key": "k4"})
    assert [e["code"] for e in mismatch["inventorySetQuantities"]["userErrors"]] == [
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"]
    assert shopify.stock_level(shop, item) == {"available": 8, "committed": 0, "on_hand": 8}
    change = {"name": "available", "reason": "correction",
              "changes": [{"inventoryItemId": item, "locationId": location, "delta": 1, "bogus": 1}]}
    with pytest.raises(StoreValidationError) as refused:
        api.execute(ADJUST_QUANTITIES, {"input": change, "key": "k5"})
    assert refused.value.platform_code == "INVALID_VARIABLE"
