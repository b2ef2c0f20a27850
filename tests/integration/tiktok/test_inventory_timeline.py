"""The sandbox's timeline of applied inventory writes (what TikTok showed when, per SKU and
warehouse), read in Python and over the admin HTTP API; refused writes leave no entry."""

from __future__ import annotations

import time

import httpx
import pytest

from connector.tiktok import errors as e
from connector.tiktok.models import InventoryEntry, SkuInventoryUpdate

from .conftest import World, active_product


def test_each_applied_write_is_on_the_timeline_with_its_time_and_warehouses(world: World) -> None:
    product_id, sku_ids = active_product(world)
    before = time.time()
    for quantity in (7, 3):
        world.client.update_inventory(world.shop, product_id, [
            SkuInventoryUpdate(id=sku_ids[0], inventory=[InventoryEntry(warehouse_id=world.warehouse_id,
                                                                        quantity=quantity)])])
    with pytest.raises(e.TikTokError):  # a warehouse the SKU is not in: refused, nothing applied
        world.client.update_inventory(world.shop, product_id, [
            SkuInventoryUpdate(id=sku_ids[0], inventory=[InventoryEntry(warehouse_id="42", quantity=1)])])

    mine = world.sandbox.inventory_writes(product_id)
    assert [(w["sku_id"], w["quantity"]) for w in mine if w["t"] >= before] == [(sku_ids[0], 7), (sku_ids[0], 3)]
    assert mine[-1]["inventory"] == {world.warehouse_id: 3} and mine[-2]["t"] <= mine[-1]["t"]
    admin = httpx.Client(base_url=world.sandbox.url + "/_admin", timeout=5)
    assert admin.get("/inventory_writes", params={"product_id": product_id}).json() == mine
    admin.delete("/inventory_writes")
    assert world.sandbox.inventory_writes(product_id) == []
