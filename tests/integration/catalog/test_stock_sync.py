"""The stock worker against moto (DynamoDB) and the sandbox TikTok Shop, with an in-memory store:
absolute quantities in one inventory call per product, unchanged figures cost nothing, bursts
coalesce under the product's lease, the threshold deactivates and reactivates, manual tasks
record their items once, prices follow the price rule, the reconciliation finds what a lost
webhook missed, and a TikTok outage leaves the message to be retried."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from connector.catalog.stock.events import on_tiktok_inventory
from connector.catalog.stock.reconcile import reconcile_connection
from connector.catalog.stock.requests import StockMessage
from connector.catalog.stock.state import StockStateRepository
from connector.catalog.stock.sync import StockDeps
from connector.catalog.stock.tasks import run_task, start_task
from connector.catalog.stock.worker import handle_batch
from connector.connections.models import Connection, EventMessage, ShopLink
from connector.connections.repository import ConnectionRepository
from connector.links import LinkRepository, SkuLink
from connector.settings import ConnectionSettings, SettingsRepository
from connector.stores.errors import StoreNotFound
from connector.stores.protocol import Stock, StoreProduct, StoreVariant
from connector.tasks import TaskMessage, TaskRepository
from connector.tiktok.client import ShopRef, TikTokClient
from connector.tiktok.oauth import RefreshingTokens
from local.sandbox_tiktok import TikTokSandbox
from tests.integration.tiktok.conftest import make_client, tee_product
from tests.support.aws import create_table
from tests.support.wait import until

APP_KEY = "it-app-key"
APP_SECRET = "it-app-secret-9f8e7d6c5b4a"
INVENTORY = "/product/202309/products/{product_id}/inventory/update"
_ids = itertools.count(1)


@dataclass
class FakeStore:
    products: dict[str, StoreProduct] = field(default_factory=dict)
    reads: int = 0

    def get_product(self, product_id: str) -> StoreProduct:
        self.reads += 1
        if product_id not in self.products:
            raise StoreNotFound(f"product {product_id}", platform="fake")
        return self.products[product_id]

    def list_products(self, *, updated_since: datetime | None = None) -> Iterator[StoreProduct]:
        return iter([p for p in self.products.values() if updated_since is None or p.updated_at >= updated_since])

    def set_stock(self, product_id: str, quantities: dict[str, int]) -> None:
        product = self.products[product_id]
        variants = tuple(v.model_copy(update={"stock": Stock.counted(quantities[v.key])}) if v.key in quantities else v
                         for v in product.variants)
        self.products[product_id] = product.model_copy(update={"variants": variants,
                                                                "updated_at": datetime.now(UTC)})


@dataclass
class Sent:
    messages: list[Any] = field(default_factory=list)

    def send(self, queue_url: str, message: Any, **_: Any) -> str:
        self.messages.append(message)
        return str(len(self.messages))


def started_sandbox(seed: int) -> Iterator[TikTokSandbox]:
    """A sandbox TikTok Shop for one module's stock tests (its review steps near instant), stopped after."""
    sb = TikTokSandbox(APP_KEY, APP_SECRET, time_scale=0.0005, seed=seed).start()
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[TikTokSandbox]:
    yield from started_sandbox(11)


@dataclass
class Setup:
    deps: StockDeps
    store: FakeStore
    sandbox: TikTokSandbox
    client: TikTokClient
    shop: ShopRef
    connection_id: str
    tiktok_product_id: str
    sku_ids: dict[str, str]
    sent: Sent
    pending: dict[str, int]

    def inventory_calls(self) -> list[dict[str, Any]]:
        return [r for r in self.sandbox.requests(pattern=INVENTORY) if r["shop_id"] == self.shop.id]

    def tiktok_quantities(self) -> dict[str, int]:
        skus = self.sandbox.product(self.tiktok_product_id)["skus"]
        by_id = {s["id"]: sum(i["quantity"] for i in s["inventory"]) for s in skus}
        return {key: by_id[sku] for key, sku in self.sku_ids.items()}

    def status(self) -> str:
        return str(self.sandbox.product(self.tiktok_product_id)["status"])

    def sync(self, *messages: StockMessage) -> list[str]:
        records = [(f"m{next(_ids)}", m.model_dump_json()) for m in messages]
        return handle_batch(records, self.deps)

    def change(self, product_id: str = "p1", **extra: Any) -> StockMessage:
        return StockMessage(connection_id=self.connection_id, store_product_id=product_id, correlation_id="corr",
                            **extra)


def _variant(key: str, quantity: int, stock_key: str | None = None, price: str = "20.00") -> StoreVariant:
    return StoreVariant(key=key, product_id="p1", stock_key=stock_key or key, sku=f"SKU-{key}",
                        price=Decimal(price), stock=Stock.counted(quantity))


@pytest.fixture
def setup(sandbox: TikTokSandbox, table: str) -> Iterator[Setup]:
    yield from _setup(sandbox, table, None)


@pytest.fixture
def setup_on_dynamodb_local(sandbox: TikTokSandbox, dynamodb_local: str) -> Iterator[Setup]:
    """The same on DynamoDB Local, Amazon's own engine, for the races between workers (the suite's
    moto endpoint serializes DynamoDB requests; plain moto lets two concurrent conditional
    updates both succeed)."""
    import boto3

    client = boto3.client("dynamodb", endpoint_url=dynamodb_local, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    yield from _setup(sandbox, create_table(client), client)


def synced_setup(sandbox: TikTokSandbox, table: str, **deps: Any) -> Iterator[Setup]:
    """A set-up whose product is synced once (TikTok and the record: 5 on p1:1), its worker's
    dependencies changed by ``deps``."""
    for ready in _setup(sandbox, table, None):
        ready.sync(ready.change())
        yield replace(ready, deps=replace(ready.deps, **deps))


def _setup(sandbox: TikTokSandbox, table: str, ddb: Any) -> Iterator[Setup]:
    seller = sandbox.create_seller("Stock Seller", "US")
    shop = seller["shops"][0]
    app_client = make_client(sandbox)
    tokens = RefreshingTokens(app_client.get_access_token(sandbox.issue_auth_code(seller["id"])),
                              app_client.refresh_access_token)
    client = app_client.with_tokens(tokens)
    ref = ShopRef(shop["id"], shop["cipher"])
    world = SimpleNamespace(client=client, shop=ref, warehouse_id=shop["default_warehouse_id"])
    created = client.create_product(ref, tee_product(world))  # type: ignore[arg-type]
    until(lambda: client.get_product(ref, created.product_id).status == "ACTIVATE", timeout=5, what="review")
    keys = ["p1:1", "p1:2", "p1:3", "p1:4"]
    sku_ids = {key: sku.id for key, sku in zip(keys, created.skus, strict=True)}

    connection_id = f"conn{next(_ids)}"
    repo = ConnectionRepository(table, ddb)
    repo.create_for_store(Connection(connection_id=connection_id, platform="ecwid", store_id=connection_id,
                                     state="active", store_currency="USD", created_at=1, updated_at=1))
    repo.save_authorization(connection_id, tokens_ct=b"sealed-elsewhere", access_expires_at=2_000_000_000,
                            refresh_expires_at=2_000_000_000, seller_name="Stock Seller", seller_region="US", now=1,
                            shops=[ShopLink(shop_id=ref.id, cipher=ref.cipher, region="US", currency="USD",
                                            default_warehouse_id=shop["default_warehouse_id"])])
    links = LinkRepository(table, ddb)
    for key in keys:
        # p1:3 and p1:4 sell from the product's shared stock ("p1").
        stock_key = "p1" if key in ("p1:3", "p1:4") else key
        links.put(SkuLink(connection_id=connection_id, store_product_id="p1", variant_key=key, stock_key=stock_key,
                          shop_id=ref.id, tiktok_product_id=created.product_id, tiktok_sku_id=sku_ids[key]))
    store = FakeStore({"p1": StoreProduct(ext_id="p1", title="Tee", updated_at=datetime.now(UTC), variants=(
        _variant("p1:1", 5), _variant("p1:2", 8), _variant("p1:3", 9, "p1"), _variant("p1:4", 9, "p1")))})
    sent = Sent()
    pending: dict[str, int] = {}
    collaborators = SimpleNamespace(repo=repo, store_for=lambda connection: store, clock=time.time,
                                    tiktok_for=lambda cid, corr, **_: client, notifier=SimpleNamespace(sender=sent))
    deps = StockDeps(table_name=table, collaborators=collaborators, queue_url="stock-queue",  # type: ignore[arg-type]
                                sender=sent, pending=lambda cid: dict(pending), dynamodb=ddb)
    sandbox.clear_requests()
    yield Setup(deps, store, sandbox, client, ref, connection_id, created.product_id, sku_ids, sent, pending)
    sandbox.reset_behaviour()
    client.close()


def test_absolute_quantities_go_in_one_call_and_an_unchanged_figure_costs_nothing(setup: Setup) -> None:
    assert setup.sync(setup.change()) == []
    # Shared pool of 9 split over its two SKUs (5 + 4): never more than the store holds.
    assert setup.tiktok_quantities() == {"p1:1": 5, "p1:2": 8, "p1:3": 5, "p1:4": 4}
    assert len(setup.inventory_calls()) == 1

    setup.sync(setup.change())  # e.g. our own write coming back as a webhook: nothing changed
    assert len(setup.inventory_calls()) == 1

    setup.store.set_stock("p1", {"p1:2": 3})
    setup.sync(setup.change())
    calls = setup.inventory_calls()
    assert len(calls) == 2 and setup.tiktok_quantities()["p1:2"] == 3
    state = StockStateRepository(setup.deps.table_name).get(setup.connection_id, "p1")
    assert state is not None and state.sent[setup.sku_ids["p1:2"]] == 3 and state.lease_owner is None


def test_pending_units_and_reserve_are_held_back(setup: Setup) -> None:
    SettingsRepository(setup.deps.table_name).put(setup.connection_id, ConnectionSettings().patched(
        {"stock": {"reserve_fixed": 1}}), 1)
    setup.pending.update({"p1:1": 2, "p1:4": 3})
    setup.sync(setup.change(reason="pending_units"))
    # p1:1: 5 - 2 - 1 = 2; shared pool: 9 - 3 - 1 = 5 -> 3 + 2.
    assert setup.tiktok_quantities() == {"p1:1": 2, "p1:2": 7, "p1:3": 3, "p1:4": 2}


def test_a_burst_on_one_product_costs_one_inventory_call(setup: Setup) -> None:
    setup.store.set_stock("p1", {"p1:1": 1})
    burst = [setup.change() for _ in range(10)] + [setup.change("unlinked")]
    assert setup.sync(*burst) == []
    assert len(setup.inventory_calls()) == 1
    assert setup.store.reads == 1  # one sync for ten messages; the unlinked product read nothing


@pytest.mark.dynamodb_local
def test_concurrent_workers_on_one_product_cost_one_call(setup_on_dynamodb_local: Setup) -> None:
    setup = setup_on_dynamodb_local
    setup.sync(setup.change())
    setup.store.set_stock("p1", {"p1:1": 2})
    barrier = threading.Barrier(6)
    failures: list[str] = []

    def worker() -> None:
        barrier.wait()
        failures.extend(setup.sync(setup.change()))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The lease lets one worker sync; the others hand over (or find nothing left to send).
    assert failures == [] and len(setup.inventory_calls()) == 2 and setup.tiktok_quantities()["p1:1"] == 2


def test_a_request_during_a_sync_makes_the_holder_sync_once_more(setup: Setup) -> None:
    states = StockStateRepository(setup.deps.table_name)
    held = states.acquire(setup.connection_id, "p1", "other-worker", setup.deps.clock(), 30)
    assert held is not None
    setup.store.set_stock("p1", {"p1:1": 4})
    assert setup.sync(setup.change()) == []  # coalesced into the holder
    assert setup.inventory_calls() == []
    assert states.release(setup.connection_id, "p1", "other-worker", held.seq) is False  # seq moved: again
    states.abandon(setup.connection_id, "p1", "other-worker")


def test_threshold_deactivates_then_reactivates_once_every_sku_is_above(setup: Setup) -> None:
    SettingsRepository(setup.deps.table_name).put(setup.connection_id, ConnectionSettings().patched(
        {"stock": {"threshold": 2}}), 1)
    setup.sync(setup.change())
    assert setup.status() == "ACTIVATE"
    setup.store.set_stock("p1", {"p1:1": 2})
    setup.sync(setup.change())
    assert setup.status() == "SELLER_DEACTIVATED"
    state = StockStateRepository(setup.deps.table_name).get(setup.connection_id, "p1")
    assert state is not None and state.deactivated
    setup.sync(setup.change())  # still low: no second deactivation
    assert len(setup.sandbox.requests(pattern="/product/202309/products/deactivate")) == 1
    setup.store.set_stock("p1", {"p1:1": 3})
    setup.sync(setup.change())
    assert setup.status() == "ACTIVATE" and setup.tiktok_quantities()["p1:1"] == 3


def test_threshold_zero_sku_lists_zero_and_keeps_the_product_live(setup: Setup) -> None:
    SettingsRepository(setup.deps.table_name).put(setup.connection_id, ConnectionSettings().patched(
        {"stock": {"threshold": 2, "threshold_action": "zero_sku"}}), 1)
    setup.store.set_stock("p1", {"p1:1": 1})
    setup.sync(setup.change())
    assert setup.tiktok_quantities()["p1:1"] == 0 and setup.status() == "ACTIVATE"


def test_sync_rule_none_sends_nothing(setup: Setup) -> None:
    SettingsRepository(setup.deps.table_name).put(setup.connection_id, ConnectionSettings().patched(
        {"sync_rules": {"stock": "none"}}), 1)
    setup.sync(setup.change())
    assert setup.inventory_calls() == []


def test_update_stock_and_update_price_tasks_record_every_item_once(setup: Setup) -> None:
    tasks = TaskRepository(setup.deps.table_name)
    sender = Sent()
    task_id = start_task("stock_update", setup.connection_id, ["p1", "nope"], "corr", tasks=tasks,
                                    sender=sender, tasks_queue_url="tasks")
    (message,) = sender.messages
    assert isinstance(message, TaskMessage) and message.kind == "stock_update"
    assert run_task(message, setup.deps) == "dispatched:2"
    items = list(setup.sent.messages)
    assert {m.store_product_id for m in items} == {"p1", "nope"} and all(m.force and m.task_id for m in items)
    setup.sync(*items)
    setup.sync(*items)  # a redelivery: no second call counted
    record = tasks.get(setup.connection_id, task_id)
    assert record is not None and record.state == "completed" and record.total == 2
    assert record.counts == {"updated": 1, "skipped": 1}
    results = {i.item_id: i for i in tasks.items(setup.connection_id, task_id)}
    assert results["nope"].reason == "not_linked" and results["p1"].details[f"sku:{setup.sku_ids['p1:1']}"] == "5"

    # Price: 20.00 + 10 % rounded up to .99 -> 22.99 on every SKU.
    SettingsRepository(setup.deps.table_name).put(setup.connection_id, ConnectionSettings().patched(
        {"price": {"percent": "10", "rounding": ".99"}}), 1)
    setup.sent.messages.clear()
    sender.messages.clear()
    price_task = start_task("price_update", setup.connection_id, None, "corr", tasks=tasks,
                                       sender=sender, tasks_queue_url="tasks")
    run_task(sender.messages[0], setup.deps)
    setup.sync(*setup.sent.messages)
    record = tasks.get(setup.connection_id, price_task)
    assert record is not None and record.state == "completed" and record.counts == {"updated": 1}
    prices = {s["id"]: s["price"]["sale_price"] for s in setup.sandbox.product(setup.tiktok_product_id)["skus"]}
    assert set(prices.values()) == {"22.99"}


def test_reconciliation_queues_only_products_whose_store_figure_differs(setup: Setup) -> None:
    setup.sync(setup.change())
    setup.sent.messages.clear()
    assert reconcile_connection(setup.deps, setup.connection_id, "corr")["queued"] == 0
    setup.store.set_stock("p1", {"p1:2": 1})  # the webhook was lost
    result = reconcile_connection(setup.deps, setup.connection_id, "corr")
    assert result["queued"] == 1 and [m.store_product_id for m in setup.sent.messages] == ["p1"]
    setup.sync(*setup.sent.messages)
    assert setup.tiktok_quantities()["p1:2"] == 1


def test_a_tiktok_outage_fails_the_message_and_frees_the_product(setup: Setup) -> None:
    setup.sandbox.inject_fault("error", count=20, path="inventory/update", status=500)
    message = setup.change()
    failed = setup.sync(message)
    assert len(failed) == 1
    state = StockStateRepository(setup.deps.table_name).get(setup.connection_id, "p1")
    assert state is not None and state.lease_owner is None and state.sent == {}
    setup.sandbox.clear_faults()
    assert setup.sync(message) == [] and setup.tiktok_quantities()["p1:1"] == 5


def test_a_stock_change_arriving_during_a_price_update_is_not_lost(setup: Setup) -> None:
    setup.sync(setup.change())
    tasks = TaskRepository(setup.deps.table_name)
    sender = Sent()
    task_id = start_task("price_update", setup.connection_id, ["p1"], "corr", tasks=tasks, sender=sender,
                                    tasks_queue_url="tasks")
    setup.sent.messages.clear()
    run_task(sender.messages[0], setup.deps)
    setup.store.set_stock("p1", {"p1:1": 1})
    # One batch: the price item and a webhook for the same product, synced in parallel.
    assert setup.sync(*setup.sent.messages, setup.change()) == []
    assert setup.tiktok_quantities()["p1:1"] == 1
    record = tasks.get(setup.connection_id, task_id)
    assert record is not None and record.state == "completed" and record.counts == {"updated": 1}


def test_our_own_inventory_write_coming_back_from_tiktok_is_recognised(setup: Setup) -> None:
    setup.sync(setup.change())
    c = setup.deps.c

    def echo(sku_id: str) -> EventMessage:
        return EventMessage(source="tiktok", kind="inventory_status_change", connection_id=setup.connection_id,
                            event_id=f"e{next(_ids)}", correlation_id="corr",
                            entity_ids={"product_id": setup.tiktok_product_id, "sku_id": sku_id})

    before = len(setup.inventory_calls())
    assert on_tiktok_inventory(echo(setup.sku_ids["p1:1"]), c) == "stock_own_write"
    assert on_tiktok_inventory(echo("999"), c) == "stock_unknown_sku"
    later = SimpleNamespace(repo=c.repo, clock=lambda: time.time() + 3600)
    assert on_tiktok_inventory(echo(setup.sku_ids["p1:1"]), later) == "stock_tiktok_side_change"
    assert len(setup.inventory_calls()) == before  # recognised, nothing sent back
