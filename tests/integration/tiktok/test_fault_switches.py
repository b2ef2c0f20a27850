"""The TikTok sandbox's fault switches, each driven over its admin API and real HTTP: what the
client sees, and what the sandbox's state holds afterwards."""

from __future__ import annotations

import httpx
import pytest

from connector.tiktok import errors as e
from connector.tiktok.client import RetryPolicy, TikTokClient
from connector.tiktok.models import InventoryEntry, SkuInventoryUpdate
from tests.support.wait import until

from .conftest import World, active_product, make_client, tee_product

PRODUCTS = "/product/202309/products"
INVENTORY = "/inventory/update"
WAREHOUSES = "/logistics/202309/warehouses"


@pytest.fixture
def admin(world: World) -> httpx.Client:
    return httpx.Client(base_url=world.sandbox.url + "/_admin", timeout=5)


def _client(world: World, timeout: float = 5.0) -> TikTokClient:
    """A client that tries once, so the test sees each failure as it is."""
    return make_client(
        world.sandbox, http=httpx.Client(timeout=httpx.Timeout(timeout)), retry=RetryPolicy(max_attempts=1)
    ).with_tokens(world.tokens)


def _mine(world: World) -> list[str]:
    with world.sandbox.state.lock:
        return [p.id for p in world.sandbox.state.products.values() if p.shop_id == world.shop_id]


def _stock(world: World, product_id: str) -> int:
    with world.sandbox.state.lock:
        return world.sandbox.state.products[product_id].skus[0].inventory[world.warehouse_id]


def _set_stock(client: TikTokClient, world: World, product_id: str, sku_id: str, quantity: int) -> None:
    entry = InventoryEntry(warehouse_id=world.warehouse_id, quantity=quantity)
    client.update_inventory(world.shop, product_id, [SkuInventoryUpdate(id=sku_id, inventory=[entry])])


def test_fail_before_applying_leaves_nothing_behind(world: World, admin: httpx.Client) -> None:
    admin.post("/faults", json={"kind": "error", "path": PRODUCTS, "status": 503}).raise_for_status()

    with pytest.raises(e.ServerError):
        _client(world).create_product(world.shop, tee_product(world))

    assert _mine(world) == []
    assert [r["code"] for r in world.requests()][-1] == 36009003


def test_a_5xx_after_the_commit_keeps_the_work(world: World, admin: httpx.Client) -> None:
    admin.post("/faults", json={"kind": "error", "path": PRODUCTS, "after": True}).raise_for_status()

    with pytest.raises(e.ServerError):
        _client(world).create_product(world.shop, tee_product(world))

    assert len(_mine(world)) == 1


def test_a_stall_after_the_commit_loses_the_answer_but_keeps_the_work(world: World, admin: httpx.Client) -> None:
    fault = {"kind": "timeout", "path": PRODUCTS, "after": True, "delay_s": 0.8}
    admin.post("/faults", json=fault).raise_for_status()

    with pytest.raises(e.Timeout):
        _client(world, timeout=0.3).create_product(world.shop, tee_product(world))

    assert len(_mine(world)) == 1


def test_a_late_request_lands_after_the_client_gave_up_and_after_its_next_one(
    world: World, admin: httpx.Client
) -> None:
    product_id, skus = active_product(world)
    admin.post("/faults", json={"kind": "late", "path": INVENTORY, "delay_s": 0.8}).raise_for_status()

    with pytest.raises(e.Timeout):
        _set_stock(_client(world, timeout=0.3), world, product_id, skus[0], 5)
    _set_stock(_client(world), world, product_id, skus[0], 9)
    seen_after_retry = _stock(world, product_id)

    until(lambda: _stock(world, product_id) == 5, timeout=5, what="the late update to land")
    assert seen_after_retry == 9
    assert [r["code"] for r in world.requests()[-2:]] == [0, 0]


def test_search_lags_behind_writes(world: World, admin: httpx.Client) -> None:
    product_id, skus = active_product(world)
    admin.post("/search_lag", json={"seconds": 0.6}).raise_for_status()
    until(
        lambda: product_id in {p.id for p in world.client.search_products(world.shop).items},
        timeout=5,
        what="the first product settled in search",
    )

    created = world.client.create_product(world.shop, tee_product(world))
    order = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    products_now = {p.id for p in world.client.search_products(world.shop).items}
    orders_now = {o.id for o in world.client.search_orders(world.shop).items}

    assert product_id in products_now and created.product_id not in products_now
    assert order["id"] not in orders_now
    assert world.client.get_product(world.shop, created.product_id).id == created.product_id
    until(
        lambda: created.product_id in {p.id for p in world.client.search_products(world.shop).items},
        timeout=5,
        what="the new product in search",
    )
    until(
        lambda: order["id"] in {o.id for o in world.client.search_orders(world.shop).items},
        timeout=5,
        what="the new order in search",
    )


def test_an_edit_shows_in_search_only_after_the_lag(world: World, admin: httpx.Client) -> None:
    _, skus = active_product(world)
    order = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    admin.post("/search_lag", json={"seconds": 0.6}).raise_for_status()
    until(
        lambda: order["id"] in {o.id for o in world.client.search_orders(world.shop).items},
        timeout=5,
        what="the order settled in search",
    )

    world.sandbox.advance_order(order["id"], "IN_TRANSIT")
    listed = {o.id: o.status for o in world.client.search_orders(world.shop).items}

    assert listed[order["id"]] == "AWAITING_SHIPMENT"
    assert world.client.get_orders(world.shop, [order["id"]])[0].status == "IN_TRANSIT"
    until(
        lambda: {o.id: o.status for o in world.client.search_orders(world.shop).items}[order["id"]] == "IN_TRANSIT",
        timeout=5,
        what="the edit in search",
    )


def test_an_outage_answers_every_call_with_the_5xx_envelope_then_ends(world: World, admin: httpx.Client) -> None:
    admin.post("/outage", json={"seconds": 30}).raise_for_status()

    with pytest.raises(e.ServerError):
        _client(world).get_warehouses(world.shop)
    with pytest.raises(e.ServerError):
        _client(world).search_products(world.shop)
    logged = world.requests()[-2:]
    admin.delete("/outage").raise_for_status()

    assert [r["code"] for r in logged] == [36009003, 36009003]
    assert _client(world).get_warehouses(world.shop)


def test_an_outage_window_closes_by_itself(world: World, admin: httpx.Client) -> None:
    admin.post("/outage", json={"seconds": 3}).raise_for_status()

    with pytest.raises(e.ServerError):
        _client(world).get_warehouses(world.shop)
    assert until(lambda: _warehouses_or_none(_client(world), world), timeout=20, what="the outage to end")


def _warehouses_or_none(client: TikTokClient, world: World) -> list[object] | None:
    try:
        return list(client.get_warehouses(world.shop))
    except e.ServerError:
        return None
