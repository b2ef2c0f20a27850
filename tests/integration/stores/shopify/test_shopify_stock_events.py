"""An ``inventory_levels/*`` delivery names an inventory item and a location: the adapter finds the
item's product through the sandbox (``inventoryItem { variant { product } }``, real HTTP), only
for the mapped location; a change elsewhere is answered without a call."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from connector.stores import StoreCredentials, StoreNotFound, open_store
from connector.stores.shopify import ShopifyCatalog, config
from connector.stores.shopify.stock import ITEM_PRODUCT
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.helpers import quick_sleep
from tests.integration.stores.shopify.conftest import simple_product


def _number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


def test_an_item_at_the_mapped_location_names_its_product(shopify: ShopifySandbox, shop: str,
                                                          store: ShopifyCatalog) -> None:
    product = shopify.state.add_product(shop, simple_product("MUG-1"))
    item = _number(product["variants"][0]["inventoryItem"]["id"])
    assert store.product_of_stock_change(item, {"location_id": store.location_id}) == _number(product["id"])
    assert store.product_of_stock_change(item, {}) == _number(product["id"])  # no location named: read it
    assert store.stock_location() == _number(shopify.locations(shop)[0]["id"])  # the primary one


def test_a_change_at_another_location_is_none_and_reads_nothing(shopify: ShopifySandbox, shop: str,
                                                                store: ShopifyCatalog) -> None:
    product = shopify.state.add_product(shop, simple_product("MUG-2"))
    item = _number(product["variants"][0]["inventoryItem"]["id"])
    elsewhere = _number(shopify.add_location(shop, "Back room"))
    store.location()  # the mapped location is known before the event
    before = len(shopify.served_for(shop))
    assert store.product_of_stock_change(item, {"location_id": elsewhere}) is None
    assert len(shopify.served_for(shop)) == before


def test_a_mapped_warehouse_location_takes_its_own_changes_only(shopify: ShopifySandbox, shop: str,
                                                                write_token: str, http: httpx.Client) -> None:
    product = shopify.state.add_product(shop, simple_product("MUG-3"))
    item = _number(product["variants"][0]["inventoryItem"]["id"])
    warehouse = _number(shopify.add_location(shop, "TikTok warehouse"))
    store = open_store(StoreCredentials(platform="shopify", store_id=shop, token=SecretStr(write_token)),
                       shop_base=shopify.shop_base, http=http, sleep=quick_sleep, location_id=warehouse)
    primary = _number(shopify.locations(shop)[0]["id"])
    assert store.stock_location() == warehouse
    assert store.product_of_stock_change(item, {"location_id": primary}) is None
    assert store.product_of_stock_change(item, {"location_id": warehouse}) == _number(product["id"])


def test_an_item_that_is_gone_is_not_found(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    product = shopify.state.add_product(shop, simple_product("MUG-4"))
    item = _number(product["variants"][0]["inventoryItem"]["id"])
    shopify.delete_product(shop, product["id"])
    with pytest.raises(StoreNotFound):
        store.product_of_stock_change(item, {"location_id": store.location_id})


def test_the_sandbox_reads_the_variant_with_products_access_only(shopify: ShopifySandbox, shop: str,
                                                                 http: httpx.Client) -> None:
    product = shopify.state.add_product(shop, simple_product("MUG-5"))
    item_gid = product["variants"][0]["inventoryItem"]["id"]
    inventory_only, _ = shopify.issue_token(shop, ("read_inventory",))
    url = shopify.shop_base.format(shop=shop) + config.graphql_path()
    answer = http.post(url,
                       json={"query": ITEM_PRODUCT, "variables": {"id": item_gid}},
                       headers={"X-Shopify-Access-Token": inventory_only}).json()
    assert answer["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    everything, _ = shopify.issue_token(shop, ("read_products", "read_inventory"))
    unknown = http.post(url,
                        json={"query": ITEM_PRODUCT.replace("product { id }", "product { id nope }"),
                              "variables": {"id": item_gid}},
                        headers={"X-Shopify-Access-Token": everything}).json()
    assert "nope" in unknown["errors"][0]["message"]
