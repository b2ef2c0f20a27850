"""Stock on several TikTok warehouses, on the local cloud with the sandbox Shopify and TikTok: a
Shopify shop with two locations mapped (through the merchant API's settings route) to two warehouses
of the TikTok shop. A change at each location reaches only its own warehouse; a TikTok order from
the second warehouse is held back there while it is in flight; maps the store or TikTok do not
allow are refused with their reason; the merchant sets the map on the console's settings screen
(a real browser). Each test has a connection and a linked product of its own."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from connector.stores import Stock
from connector.stores.shopify import ShopifyCatalog
from local.stock_scenario import _tiktok_listing
from local.world import Browser, World, page_values
from tests.support import console_browser as cb
from tests.support.console_browser import go, shoot
from tests.support.wait import until

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

MERCHANT_SCOPES = ("read_products", "write_products", "read_inventory", "write_inventory", "read_locations")


@dataclass
class TwoLocations:
    world: World
    connection_id: str
    merchant_token: str
    shop: str
    shopify_token: str
    variant_id: str
    floor: str
    """The shop's primary location (mapped to the default warehouse)."""
    back_room: str
    tiktok_shop_id: str
    main_warehouse: str
    second_warehouse: str
    tiktok_product_id: str
    sku_id: str

    def at(self, location: str) -> ShopifyCatalog:
        """The merchant editing stock at one location (the GraphQL Admin API)."""
        assert self.world.shopify is not None
        return ShopifyCatalog(self.shop, self.shopify_token, shop_base=self.world.shopify.shop_base,
                              location_id=location)

    def tiktok(self) -> dict[str, int]:
        """TikTok's figure of the linked SKU on each warehouse."""
        sku = next(s for s in self.world.tiktok.product(self.tiktok_product_id)["skus"] if s["id"] == self.sku_id)
        return {str(i["warehouse_id"]): int(i["quantity"]) for i in sku["inventory"]}

    def writes(self) -> list[dict[str, int]]:
        """Every inventory write TikTok applied to the linked SKU, oldest first."""
        return [dict(e["inventory"]) for e in self.world.tiktok.inventory_writes(self.tiktok_product_id)
                if e["sku_id"] == self.sku_id]

    def api(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return httpx.request(method, f"{self.world.url}/connections/{self.connection_id}{path}", json=body,
                             headers={"authorization": f"Bearer {self.merchant_token}"}, timeout=30)


def _number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


@pytest.fixture
def shop(connected_world: World) -> Iterator[TwoLocations]:
    """A Shopify shop (5 units at the shop floor, 8 in the back room) installed on the local cloud,
    its product linked by hand to a live TikTok listing; the TikTok shop gets a second sales
    warehouse after the install (the map is checked with TikTok's list as it is then)."""
    from connector.links import LinkRepository, SkuLink
    from connector.settings import ConnectionSettings, SettingsRepository

    w = connected_world
    assert w.shopify is not None
    seller = w.tiktok.create_seller(f"Warehouse seller {uuid.uuid4().hex[:6]}", "US")
    domain = w.create_shopify_shop("Warehouses")
    page = Browser().install_shopify(w, domain, seller_id=seller["id"])
    assert page.status_code == 200, page.text
    values = page_values(page)
    connection_id = values["connection-id"]
    table, ddb = w.cloud.table_name(), w.cloud.client("dynamodb")
    SettingsRepository(table, ddb).put(connection_id, ConnectionSettings().patched(
        {"catalog": {"auto_pull": False, "auto_update": False}, "orders": {"on_hold": "wait"}}), int(time.time()))
    w.cloud.wait_idle(30)
    floor = _number(w.shopify.locations(domain)[0]["id"])
    back_room = _number(w.shopify.add_location(domain, "Back room"))
    product = w.shopify.state.add_product(domain, {
        "title": "Warehouse mug", "descriptionHtml": "<p>A mug</p>", "vendor": "Acme", "productType": "",
        "status": "ACTIVE", "options": [{"name": "Title", "values": ["Default Title"]}], "media": [],
        "variants": [{"sku": "WH-MUG", "barcode": None, "price": "12.50", "compareAtPrice": None,
                      "inventoryQuantity": 5, "inventoryPolicy": "DENY",
                      "selectedOptions": [{"name": "Title", "value": "Default Title"}],
                      "inventoryItem": {"tracked": True, "measurement": {"weight": None}}}]})
    variant = product["variants"][0]
    w.shopify.stock_at(domain, variant["inventoryItem"]["id"], f"gid://shopify/Location/{back_room}", 8)
    tiktok_shop = seller["shops"][0]
    second = w.tiktok.add_warehouse(tiktok_shop["id"], "East coast")
    tiktok_product_id, sku_ids = _tiktok_listing(w, seller["id"], tiktok_shop)
    LinkRepository(table, ddb).put(SkuLink(
        connection_id=connection_id, store_product_id=_number(product["id"]), variant_key=_number(variant["id"]),
        stock_key=_number(variant["id"]), seller_sku="WH-MUG", shop_id=tiktok_shop["id"],
        tiktok_product_id=tiktok_product_id, tiktok_sku_id=sku_ids[0], linked_by="hand"))
    token, _refresh = w.shopify.issue_token(domain, MERCHANT_SCOPES)
    yield TwoLocations(w, connection_id, values["merchant-token"], domain, token, _number(variant["id"]), floor,
                       back_room, tiktok_shop["id"], tiktok_shop["default_warehouse_id"], second, tiktok_product_id,
                       sku_ids[0])


def _map(s: TwoLocations) -> None:
    """Map the two locations through the settings route; the new map sends every figure again."""
    answer = s.api("PATCH", "/settings", {"stock": {"warehouses": {s.floor: s.main_warehouse,
                                                                   s.back_room: s.second_warehouse}}})
    assert answer.status_code == 200, answer.text
    until(lambda: s.tiktok() == {s.main_warehouse: 5, s.second_warehouse: 8}, timeout=20,
          what="each warehouse showing its location's figure")


def test_the_settings_route_sets_and_shows_the_map_and_refuses_what_does_not_exist(shop: TwoLocations) -> None:
    choices = shop.api("GET", "/settings/warehouses")
    assert choices.status_code == 200, choices.text
    assert choices.json()["warehouses"] == {}
    assert [loc["id"] for loc in choices.json()["locations"]] == [shop.floor, shop.back_room]
    assert choices.json()["shops"][0]["default_warehouse_id"] == shop.main_warehouse
    refused = {
        "unknown_location": {"999999": shop.main_warehouse},
        "unknown_warehouse": {shop.floor: shop.main_warehouse, shop.back_room: "7300000000000000001"},
        "default_warehouse_unmapped": {shop.back_room: shop.second_warehouse},
    }
    for reason, mapping in refused.items():
        answer = shop.api("PATCH", "/settings", {"stock": {"warehouses": mapping}})
        assert answer.status_code == 400 and answer.json()["reason"] == reason, answer.text
    malformed = shop.api("PATCH", "/settings", {"stock": {"warehouses": {shop.floor: shop.main_warehouse,
                                                                         shop.back_room: shop.main_warehouse}}})
    assert malformed.status_code == 400, malformed.text
    assert shop.api("GET", "/settings").json()["stock"]["warehouses"] == {}
    _map(shop)
    shown = shop.api("GET", "/settings")
    assert shown.status_code == 200
    assert shown.json()["stock"]["warehouses"] == {shop.floor: shop.main_warehouse,
                                                   shop.back_room: shop.second_warehouse}
    # The connection's shop now lists the warehouse TikTok added after the install.
    listed = shop.api("GET", "/settings/warehouses").json()
    assert listed["warehouses"] == {shop.floor: shop.main_warehouse, shop.back_room: shop.second_warehouse}
    assert shop.second_warehouse in {w["id"] for s in listed["shops"] for w in s["warehouses"]}


def test_a_change_at_each_location_reaches_only_its_warehouse(shop: TwoLocations) -> None:
    _map(shop)
    before = len(shop.writes())
    figures = {shop.main_warehouse: 5, shop.second_warehouse: 8}
    took: dict[str, list[float]] = {"back room -> second warehouse": [], "shop floor -> default warehouse": []}
    for back, floor in ((6, 3), (7, 2)):
        for location, warehouse, quantity, label in (
                (shop.back_room, shop.second_warehouse, back, "back room -> second warehouse"),
                (shop.floor, shop.main_warehouse, floor, "shop floor -> default warehouse")):
            figures[warehouse] = quantity
            wanted = dict(figures)
            started = time.monotonic()
            shop.at(location).set_stock(shop.variant_id, Stock.counted(quantity))
            until(lambda wanted=wanted: shop.tiktok() == wanted, timeout=15, what=f"{label}: {quantity}")
            took[label].append(time.monotonic() - started)
    # A location mapped to no warehouse moves none.
    assert shop.world.shopify is not None
    garage = _number(shop.world.shopify.add_location(shop.shop, "Garage"))
    shop.at(garage).set_stock(shop.variant_id, Stock.counted(40))
    shop.world.cloud.wait_idle(30)
    assert shop.tiktok() == {shop.main_warehouse: 2, shop.second_warehouse: 7}
    # Each write moved one warehouse only: the other kept its figure.
    writes = [(5, 8)] + [(w[shop.main_warehouse], w[shop.second_warehouse]) for w in shop.writes()[before:]]
    assert len(writes) >= 5
    assert all((a[0] == b[0]) or (a[1] == b[1]) for a, b in itertools.pairwise(writes)), writes
    print("\nchange -> TikTok (s): " + "; ".join(f"{label} " + ", ".join(f"{t:.2f}" for t in times)
                                               for label, times in took.items()))


def test_a_tiktok_order_is_reserved_at_its_warehouse_while_in_flight(shop: TwoLocations) -> None:
    from connector import keys

    _map(shop)
    w = shop.world
    hold_s = w.tiktok.config.hold_s
    w.tiktok.config.hold_s = 3_600_000  # the order stays on hold (the relay waits, its units held)
    try:
        order = w.tiktok.place_order(shop.tiktok_shop_id, [(shop.sku_id, 2)], scenario="on_hold",
                                     warehouse_id=shop.second_warehouse)
    finally:
        w.tiktok.config.hold_s = hold_s
    # TikTok sold 2 from the second warehouse; the sync holds them back there, not on the default.
    until(lambda: {shop.main_warehouse: 5, shop.second_warehouse: 6} in shop.writes(), timeout=20,
          what="the second warehouse's figure with the order's units held back")
    item = w.cloud.client("dynamodb").get_item(
        TableName=w.cloud.table_name(),
        Key={"pk": {"S": keys.conn_pk(shop.connection_id)}, "sk": {"S": keys.pending_sk(shop.variant_id)}})["Item"]
    assert item[f"w#{order['id']}"]["S"] == shop.second_warehouse and item[f"o#{order['id']}"]["N"] == "2"
    assert shop.tiktok() == {shop.main_warehouse: 5, shop.second_warehouse: 6}


@pytest.mark.skipif(cb.missing_browser() is not None, reason=str(cb.missing_browser()))
def test_the_merchant_sets_the_map_on_the_console_settings_screen(shop: TwoLocations, context: Any) -> None:
    link = httpx.get(f"{shop.world.url}/connections/{shop.connection_id}/console", timeout=30,
                     headers={"authorization": f"Bearer {shop.merchant_token}"})
    assert link.status_code == 302, link.text
    page = context.new_page()
    page.goto(link.headers["location"])
    page.locator("h1", has_text="Dashboard").wait_for(timeout=20000)
    go(page, "#/settings", "Settings")
    # The field shows what it may name: the shop's locations and the TikTok shop's warehouses.
    choices = page.locator("#warehouse-choices").inner_text()
    assert shop.floor in choices and shop.back_room in choices and shop.main_warehouse in choices, choices
    field = page.get_by_label("Store locations to TikTok warehouses")
    assert field.input_value() == ""

    def save() -> Any:
        page.locator("#view").evaluate("view => view.insertAdjacentHTML('beforeend', '<i id=stale></i>')")
        page.get_by_role("button", name="Save settings").click()
        page.locator("#stale").wait_for(state="detached", timeout=20000)
        return page.locator("#set-stock-warehouses-error")

    # A line that is not a pair, then a map TikTok's side does not allow: refused beside the field.
    field.fill(f"{shop.floor} {shop.main_warehouse}")
    assert "write it as 'store location id = TikTok warehouse id'" in save().inner_text()
    page.get_by_label("Store locations to TikTok warehouses").fill(f"{shop.back_room} = {shop.second_warehouse}")
    refused = save().inner_text()
    assert "default warehouse" in refused and shop.main_warehouse in refused, refused
    assert shop.api("GET", "/settings").json()["stock"]["warehouses"] == {}
    # The check read TikTok's warehouses again: the one added after the install is offered now.
    assert shop.second_warehouse in page.locator("#warehouse-choices").inner_text()
    # Both locations mapped: saved, and each warehouse gets its own location's figure.
    page.get_by_label("Store locations to TikTok warehouses").fill(
        f"{shop.floor} = {shop.main_warehouse}\n{shop.back_room} = {shop.second_warehouse}")
    save()
    page.locator("#settings-saved").wait_for()
    assert shop.api("GET", "/settings").json()["stock"]["warehouses"] == {
        shop.floor: shop.main_warehouse, shop.back_room: shop.second_warehouse}
    until(lambda: shop.tiktok() == {shop.main_warehouse: 5, shop.second_warehouse: 8}, timeout=20,
          what="each warehouse showing its location's figure")
    lines = sorted([f"{shop.floor} = {shop.main_warehouse}", f"{shop.back_room} = {shop.second_warehouse}"])
    assert page.get_by_label("Store locations to TikTok warehouses").input_value() == "\n".join(lines)
    shoot(page, "settings-warehouses")
