"""Stock on several TikTok warehouses, with the stock worker against moto (DynamoDB) and the sandbox
TikTok Shop, a store with two locations in memory: each mapped warehouse gets its own location's
figure in one inventory call per product; a change at one location moves only its warehouse's
figure; the units of orders in flight (held in the order records' pending items, with the
warehouse they ship from) are held back at that warehouse; the reconciliation compares each
warehouse's figure with TikTok's."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from connector.catalog.stock.reconcile import reconcile_connection
from connector.catalog.stock.requests import StockMessage
from connector.catalog.stock.state import StockStateRepository
from connector.catalog.stock.sync import StockDeps
from connector.catalog.stock.worker import handle_batch
from connector.connections.models import Connection, ShopLink, WarehouseInfo
from connector.connections.repository import ConnectionRepository
from connector.links import LinkRepository, SkuLink
from connector.orders.order_record import OrderLineSummary, OrderRecord
from connector.orders.records import OrderRepository
from connector.pending import PendingUnits
from connector.settings import ConnectionSettings, SettingsRepository
from connector.stores.errors import StoreNotFound
from connector.stores.protocol import Stock, StoreProduct, StoreVariant
from connector.tiktok.client import ShopRef
from connector.tiktok.oauth import RefreshingTokens
from local.sandbox_tiktok import TikTokSandbox
from tests.integration.catalog.test_stock_sync import started_sandbox
from tests.integration.tiktok.conftest import make_client, tee_product
from tests.support.wait import until

INVENTORY = "/product/202309/products/{product_id}/inventory/update"
_ids = itertools.count(1)


@dataclass
class TwoLocationStore:
    """A store keeping stock at two locations (``floor``, ``back``)."""

    levels: dict[str, dict[str, int]] = field(default_factory=lambda: {"floor": {"v1": 5, "v2": 2},
                                                                       "back": {"v1": 8, "v2": 4}})

    def get_product(self, product_id: str) -> StoreProduct:
        if product_id != "p1":
            raise StoreNotFound(f"product {product_id}", platform="fake")
        return StoreProduct(ext_id="p1", title="Tee", updated_at=datetime.now(UTC), variants=tuple(
            StoreVariant(key=key, product_id="p1", stock_key=key, sku=f"SKU-{key}", price=Decimal("20.00"),
                         stock=Stock.counted(n)) for key, n in sorted(self.levels["floor"].items())))

    def list_products(self, *, updated_since: datetime | None = None) -> Iterator[StoreProduct]:
        return iter([self.get_product("p1")])

    def stock_at(self, product_id: str, location_ids: Sequence[str]) -> dict[str, dict[str, Stock]]:
        return {loc: {key: Stock.counted(n) for key, n in self.levels[loc].items()} for loc in location_ids}


@dataclass
class Shop:
    deps: StockDeps
    store: TwoLocationStore
    sandbox: TikTokSandbox
    connection_id: str
    tiktok_product_id: str
    sku_ids: dict[str, str]
    main: str
    second: str
    sent: list[Any]

    def sync(self) -> list[str]:
        message = StockMessage(connection_id=self.connection_id, store_product_id="p1", correlation_id="corr")
        return handle_batch([(f"m{next(_ids)}", message.model_dump_json())], self.deps)

    def tiktok(self) -> dict[str, dict[str, int]]:
        skus = {s["id"]: s for s in self.sandbox.product(self.tiktok_product_id)["skus"]}
        return {key: {str(i["warehouse_id"]): int(i["quantity"]) for i in skus[sku]["inventory"]}
                for key, sku in self.sku_ids.items()}

    def inventory_calls(self) -> int:
        return len(self.sandbox.requests(pattern=INVENTORY))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[TikTokSandbox]:
    yield from started_sandbox(23)


@pytest.fixture
def shop(sandbox: TikTokSandbox, table: str) -> Iterator[Shop]:
    """A TikTok shop with a second sales warehouse, a two-SKU listing linked to the store's two
    variants, and the map floor -> default warehouse, back -> second warehouse."""
    seller = sandbox.create_seller("Warehouse Seller", "US")
    tiktok_shop = seller["shops"][0]
    second = sandbox.add_warehouse(tiktok_shop["id"], "East coast")
    app_client = make_client(sandbox)
    tokens = RefreshingTokens(app_client.get_access_token(sandbox.issue_auth_code(seller["id"])),
                              app_client.refresh_access_token)
    client = app_client.with_tokens(tokens)
    ref = ShopRef(tiktok_shop["id"], tiktok_shop["cipher"])
    world = SimpleNamespace(client=client, shop=ref, warehouse_id=tiktok_shop["default_warehouse_id"])
    created = client.create_product(ref, tee_product(world))  # type: ignore[arg-type]
    until(lambda: client.get_product(ref, created.product_id).status == "ACTIVATE", timeout=5, what="review")
    sku_ids = {"v1": created.skus[0].id, "v2": created.skus[1].id}
    connection_id = f"wconn{next(_ids)}"
    repo = ConnectionRepository(table)
    repo.create_for_store(Connection(connection_id=connection_id, platform="shopify", store_id=connection_id,
                                     state="active", store_currency="USD", created_at=1, updated_at=1))
    main = tiktok_shop["default_warehouse_id"]
    repo.save_authorization(connection_id, tokens_ct=b"sealed-elsewhere", access_expires_at=2_000_000_000,
                            refresh_expires_at=2_000_000_000, seller_name="Warehouse Seller", seller_region="US",
                            now=1, shops=[ShopLink(
                                shop_id=ref.id, cipher=ref.cipher, region="US", currency="USD",
                                default_warehouse_id=main, warehouses=(
                                    WarehouseInfo(id=main, is_default=True, status="ENABLED", type="SALES_WAREHOUSE"),
                                    WarehouseInfo(id=second, status="ENABLED", type="SALES_WAREHOUSE")))])
    for key, sku_id in sku_ids.items():
        LinkRepository(table).put(SkuLink(connection_id=connection_id, store_product_id="p1", variant_key=key,
                                          stock_key=key, shop_id=ref.id, tiktok_product_id=created.product_id,
                                          tiktok_sku_id=sku_id))
    SettingsRepository(table).put(connection_id, ConnectionSettings().patched(
        {"stock": {"warehouses": {"floor": main, "back": second}}}), 1)
    store = TwoLocationStore()
    sent: list[Any] = []
    sender = SimpleNamespace(send=lambda _url, message, **_: sent.append(message) or "id")
    collaborators = SimpleNamespace(repo=repo, store_for=lambda connection: store, clock=time.time,
                                    tiktok_for=lambda cid, corr, **_: client, notifier=SimpleNamespace(sender=sender))
    deps = StockDeps(table_name=table, collaborators=collaborators, queue_url="stock-queue",  # type: ignore[arg-type]
                     sender=sender)  # type: ignore[arg-type]
    sandbox.clear_requests()
    yield Shop(deps, store, sandbox, connection_id, created.product_id, sku_ids, main, second, sent)
    sandbox.reset_behaviour()
    client.close()


def test_each_warehouse_gets_its_locations_figure_and_a_change_moves_only_its_own(shop: Shop) -> None:
    assert shop.sync() == []
    assert shop.tiktok() == {"v1": {shop.main: 5, shop.second: 8}, "v2": {shop.main: 2, shop.second: 4}}
    assert shop.inventory_calls() == 1  # both SKUs, both warehouses, one call
    state = StockStateRepository(shop.deps.table_name).get(shop.connection_id, "p1")
    assert state is not None and state.sent == {shop.sku_ids["v1"]: 5, f"{shop.sku_ids['v1']}@{shop.second}": 8,
                                                shop.sku_ids["v2"]: 2, f"{shop.sku_ids['v2']}@{shop.second}": 4}
    shop.sync()
    assert shop.inventory_calls() == 1  # nothing changed: nothing sent

    before = len(shop.sandbox.inventory_writes(shop.tiktok_product_id))
    shop.store.levels["back"]["v1"] = 3
    shop.sync()
    assert shop.tiktok() == {"v1": {shop.main: 5, shop.second: 3}, "v2": {shop.main: 2, shop.second: 4}}
    # Only v1 went (with every warehouse it is assigned to, as TikTok asks); v2 was not touched.
    writes = shop.sandbox.inventory_writes(shop.tiktok_product_id)[before:]
    assert [(w["sku_id"], w["inventory"]) for w in writes] == [(shop.sku_ids["v1"], {shop.main: 5, shop.second: 3})]


def test_orders_in_flight_are_held_back_at_the_warehouse_they_ship_from(shop: Shop) -> None:
    orders = OrderRepository(shop.deps.table_name)
    line = OrderLineSummary(tiktok_sku_id=shop.sku_ids["v1"], variant_key="v1", quantity=2, unit_price=Decimal("9"))
    record = OrderRecord(connection_id=shop.connection_id, tiktok_order_id="o-east", shop_id="s", state="claimed",
                         lines=(line,), pending_units={"v1": 2}, warehouse_id=shop.second, created_at=1,
                         updated_at=1)
    orders.claim(record, "t1", now=10, lease_s=60)
    orders.claim(record.model_copy(update={"tiktok_order_id": "o-any", "warehouse_id": None,
                                           "pending_units": {"v1": 1}}), "t2", now=10, lease_s=60)
    assert PendingUnits(shop.deps.table_name).by_warehouse(shop.connection_id) == {
        shop.second: {"v1": 2}, None: {"v1": 1}}
    shop.sync()
    # back: 8 - 2 at the second warehouse; the order naming no warehouse: 5 - 1 on the default.
    assert shop.tiktok()["v1"] == {shop.main: 4, shop.second: 6}
    assert orders.record_created(shop.connection_id, "o-east", "t1", "store-1", now=20)
    assert PendingUnits(shop.deps.table_name).by_warehouse(shop.connection_id) == {None: {"v1": 1}}
    shop.sync()
    assert shop.tiktok()["v1"] == {shop.main: 4, shop.second: 8}


def test_the_reconciliation_compares_each_warehouse_with_tiktok(shop: Shop) -> None:
    shop.sync()
    with shop.sandbox.state.lock:  # TikTok's second-warehouse figure changes without us
        product = shop.sandbox.state.products[shop.tiktok_product_id]
        sku = next(s for s in product.skus if s.id == shop.sku_ids["v2"])
        sku.inventory[shop.second] = 40
    shop.sent.clear()
    result = reconcile_connection(shop.deps, shop.connection_id, "corr")
    assert result["queued"] == 0 and result["tiktok_differs"] == 1 and result["tiktok_read"] == 2
    queued = [m for m in shop.sent if isinstance(m, StockMessage)]
    assert [(m.store_product_id, m.force, m.reason) for m in queued] == [("p1", True, "tiktok_differs")]
    handle_batch([("r1", queued[0].model_dump_json())], shop.deps)
    assert shop.tiktok()["v2"] == {shop.main: 2, shop.second: 4}
    # A store change at one location is found by the store-side comparison too.
    shop.store.levels["floor"]["v2"] = 1
    shop.sent.clear()
    again = reconcile_connection(shop.deps, shop.connection_id, "corr")
    assert again["queued"] == 1 and again["tiktok_differs"] == 0


def test_a_warehouse_taken_out_of_the_map_is_listed_with_zero(shop: Shop) -> None:
    shop.sync()
    assert shop.tiktok()["v1"] == {shop.main: 5, shop.second: 8}
    SettingsRepository(shop.deps.table_name).put(shop.connection_id, ConnectionSettings(), 2)  # the map removed
    assert shop.sync() == []
    # One figure again (the product as the store reads it); TikTok still has the SKUs at the second
    # warehouse and wants it in every update: it gets 0 there, never the back room's old figure.
    assert shop.tiktok() == {"v1": {shop.main: 5, shop.second: 0}, "v2": {shop.main: 2, shop.second: 0}}
    shop.store.levels["floor"]["v1"] = 4
    assert shop.sync() == []  # accepted: every warehouse the SKU is assigned to is listed
    assert shop.tiktok()["v1"] == {shop.main: 4, shop.second: 0}
