"""Shopify stock on the local cloud, with the sandbox Shopify: a merchant's stock change at the
shop's mapped location (recorded at install: the primary one) reaches the linked TikTok SKU within
seconds through the signed ``inventory_levels/update`` webhook; a change at another location of the
shop is ignored with its reason and TikTok's figure stays. The store product and the TikTok listing
are made directly and linked by hand, so these tests do not depend on the catalog push. The tests
share one world; each has a connection and a linked product of its own."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from connector.stores import Stock
from connector.stores.shopify import ShopifyCatalog
from local.stock_scenario import _tiktok_listing
from local.world import Browser, World, page_values
from tests.support.wait import until

# Functions answer without custom metrics on some refusals; Powertools warns about each.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

MERCHANT_SCOPES = ("read_products", "write_products", "read_inventory", "write_inventory", "read_locations")
"""What the merchant's own admin session may do in the sandbox (its stock edits go through the API)."""


@dataclass
class ShopifyLinked:
    world: World
    connection_id: str
    shop: str
    variant_id: str
    tiktok_product_id: str
    sku_id: str
    merchant_token: str

    def merchant(self, location_id: str | None = None) -> ShopifyCatalog:
        """The merchant editing stock in the shop (the GraphQL Admin API), at a location."""
        assert self.world.shopify is not None
        return ShopifyCatalog(self.shop, self.merchant_token, shop_base=self.world.shopify.shop_base,
                              location_id=location_id)

    def tiktok_quantity(self) -> int:
        sku = next(s for s in self.world.tiktok.product(self.tiktok_product_id)["skus"] if s["id"] == self.sku_id)
        return sum(int(i["quantity"]) for i in sku["inventory"])


def _number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


@pytest.fixture
def linked(connected_world: World) -> Iterator[ShopifyLinked]:
    """A Shopify shop installed on the local cloud, one product (5 units at the primary location)
    linked by hand to a live TikTok listing that shows 1 unit."""
    from connector.links import LinkRepository, SkuLink
    from connector.settings import ConnectionSettings, SettingsRepository

    w = connected_world
    assert w.shopify is not None
    seller = w.tiktok.create_seller(f"Stock seller {uuid.uuid4().hex[:6]}", "US")
    shop = w.create_shopify_shop("Stock")
    page = Browser().install_shopify(w, shop, seller_id=seller["id"])
    assert page.status_code == 200, page.text
    connection_id = page_values(page)["connection-id"]
    table, ddb = w.cloud.table_name(), w.cloud.client("dynamodb")
    SettingsRepository(table, ddb).put(connection_id, ConnectionSettings().patched(
        {"catalog": {"auto_pull": False, "auto_update": False}}), int(time.time()))
    w.cloud.wait_idle(30)  # the install's catalog pull has run (the shop had no product then)
    product = w.shopify.state.add_product(shop, {
        "title": "Stock mug", "descriptionHtml": "<p>A mug</p>", "vendor": "Acme", "productType": "",
        "status": "ACTIVE", "options": [{"name": "Title", "values": ["Default Title"]}], "media": [],
        "variants": [{"sku": "STOCK-MUG", "barcode": None, "price": "12.50", "compareAtPrice": None,
                      "inventoryQuantity": 5, "inventoryPolicy": "DENY",
                      "selectedOptions": [{"name": "Title", "value": "Default Title"}],
                      "inventoryItem": {"tracked": True, "measurement": {"weight": None}}}]})
    variant_id = _number(product["variants"][0]["id"])
    tiktok_shop = seller["shops"][0]
    tiktok_product_id, sku_ids = _tiktok_listing(w, seller["id"], tiktok_shop)
    LinkRepository(table, ddb).put(SkuLink(
        connection_id=connection_id, store_product_id=_number(product["id"]), variant_key=variant_id,
        stock_key=variant_id, seller_sku="STOCK-MUG", shop_id=tiktok_shop["id"], tiktok_product_id=tiktok_product_id,
        tiktok_sku_id=sku_ids[0], linked_by="hand"))
    token, _refresh = w.shopify.issue_token(shop, MERCHANT_SCOPES)
    scenario = ShopifyLinked(w, connection_id, shop, variant_id, tiktok_product_id, sku_ids[0], token)
    assert scenario.tiktok_quantity() == 1
    yield scenario


def _connection_item(linked: ShopifyLinked) -> dict[str, dict[str, str]]:
    item: dict[str, dict[str, str]] = linked.world.cloud.client("dynamodb").get_item(
        TableName=linked.world.cloud.table_name(),
        Key={"pk": {"S": f"CONN#{linked.connection_id}"}, "sk": {"S": "META"}})["Item"]
    return item


def test_a_stock_change_at_the_mapped_location_reaches_tiktok_within_seconds(linked: ShopifyLinked) -> None:
    assert linked.world.shopify is not None
    primary = _number(linked.world.shopify.locations(linked.shop)[0]["id"])
    assert _connection_item(linked)["store_location_id"]["S"] == primary  # recorded at install
    merchant = linked.merchant()
    started = time.monotonic()
    merchant.set_stock(linked.variant_id, Stock.counted(3))
    until(lambda: linked.tiktok_quantity() == 3, timeout=15, what="the Shopify stock change on TikTok")
    took = time.monotonic() - started
    assert took < 15
    merchant.adjust_stock(linked.variant_id, 4)  # a delta is told the same way
    until(lambda: linked.tiktok_quantity() == 7, timeout=15, what="the Shopify stock delta on TikTok")


def test_a_stock_change_at_another_location_does_not_move_tiktok(linked: ShopifyLinked) -> None:
    w = linked.world
    assert w.shopify is not None
    back_room = _number(w.shopify.add_location(linked.shop, "Back room"))
    linked.merchant(location_id=back_room).set_stock(linked.variant_id, Stock.counted(50))

    def ignored_for_this_connection() -> bool:
        for path in w.logs:  # type: ignore[attr-defined]
            for line in path.read_text().splitlines():
                if linked.connection_id in line and "unmapped_location" in line:
                    return json.loads(line).get("message") == "stock event ignored"
        return False

    until(ignored_for_this_connection, timeout=15, what="the back room's change ignored with its reason")
    w.cloud.wait_idle(30)
    # A sync would have sent the mapped location's 5 units; TikTok still shows its own 1.
    assert linked.tiktok_quantity() == 1
