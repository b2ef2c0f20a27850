"""Randomized races on one product's stock (hypothesis), on DynamoDB Local (Amazon's own engine,
started once for the session; one table for the module, the product's stock items cleared
between examples) and the sandbox TikTok Shop: store changes, TikTok orders (TikTok takes the
units off, pending units hold them until the store order exists), store orders, and three stock
workers whose TikTok inventory calls are held and then answered, answered-and-lost, or given up
on while TikTok applies them later (a write landing after newer ones), with leases running out in
between. A request that finds a worker's call held for a second takes the product over (the
scenario's clock moves while it waits).

The workers are real (``handle_batch`` on the worker's dependencies) and run in threads; each
inventory call stops at a gate until the scenario decides its fate, so every interleaving is
chosen by the example and replayable. The clock is the scenario's: a tick of 31 s ends any
lease (nothing renews it here: the worst case, a worker frozen mid-call).

After every settle (held calls answered, late writes landed, the stock queue drained, one
reconciliation run and what it queues), TikTok shows exactly the store's figure minus pending
units and reserve for every SKU; in particular never more. When no call was given up on since
the last settle, that holds before the reconciliation already: the fenced writes alone."""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.catalog.stock.reconcile import reconcile_connection
from connector.catalog.stock.requests import StockMessage
from connector.catalog.stock.state import StockStateRepository
from connector.catalog.stock.worker import handle_batch
from connector.settings import ConnectionSettings, SettingsRepository
from connector.stores.protocol import StoreProduct
from connector.tiktok.errors import GATEWAY_TIMEOUT, Timeout
from local.sandbox_tiktok import TikTokSandbox
from tests.integration.catalog.test_stock_sync import APP_KEY, APP_SECRET, Setup, _setup, _variant
from tests.support.aws import create_table

pytestmark = pytest.mark.dynamodb_local

KEYS = ("p1:1", "p1:2", "p1:3", "p1:4")
OWN = ("p1:1", "p1:2")
"""The variants with stock of their own (p1:3 and p1:4 share the product's)."""
WORKERS = 3
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[TikTokSandbox]:
    sb = TikTokSandbox(APP_KEY, APP_SECRET, time_scale=0.0005, seed=31).start()
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def local_table(dynamodb_local: str) -> tuple[str, Any]:
    """The connector's table on DynamoDB Local, once for the module."""
    import boto3

    client = boto3.client("dynamodb", endpoint_url=dynamodb_local, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    return create_table(client), client


@pytest.fixture
def setup(sandbox: TikTokSandbox, local_table: tuple[str, Any]) -> Iterator[Setup]:
    yield from _setup(sandbox, *local_table)


@dataclass
class Call:
    """An inventory call stopped at the gate."""

    shop: Any
    product_id: str
    skus: list[Any]
    fate: queue.Queue[str] = field(default_factory=queue.Queue)


@dataclass
class Worker:
    slot: int
    events: queue.Queue[tuple[str, Any]] = field(default_factory=queue.Queue)
    busy: bool = False
    at_gate: Call | None = None
    message: StockMessage | None = None


class GatedTikTok:
    """The real client, with every inventory write stopped until the scenario decides."""

    def __init__(self, real: Any, race: Race) -> None:
        self._real = real
        self._race = race

    def update_inventory(self, shop: Any, product_id: str, skus: list[Any]) -> dict[str, Any]:
        worker: Worker = self._race.local.worker
        call = Call(shop, product_id, list(skus))
        worker.events.put(("gate", call))
        fate = call.fate.get(timeout=60)
        if fate == "give_up":  # TikTok will apply it later; the worker hears nothing
            self._race.held.append(call)
            raise Timeout(GATEWAY_TIMEOUT, "no answer in time", path="inventory")
        answer: dict[str, Any] = self._real.update_inventory(shop, product_id, skus)
        if fate == "lose_answer":
            raise Timeout(GATEWAY_TIMEOUT, "no answer in time", path="inventory")
        return answer

    def with_limiter(self, limiter: Any) -> GatedTikTok:
        return GatedTikTok(self._real.with_limiter(limiter), self._race)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class Race:
    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.now = time.time()
        self.queue: list[StockMessage] = []
        self.held: list[Call] = []
        self.local = threading.local()
        self.pending: dict[str, int] = {}
        self.orders: list[tuple[str, int]] = []
        self.gave_up = False
        """A call was given up on since the last settle (TikTok may apply it after newer ones)."""
        self.sold_on_tiktok = False
        """A TikTok order took units off since the last settle."""
        self.store = {"p1:1": 5, "p1:2": 8, "p1": 9}
        self.connection_id = _connection(setup)
        self.tiktok = GatedTikTok(setup.client, self)
        base = setup.deps
        collaborators = SimpleNamespace(repo=base.c.repo, store_for=lambda connection: setup.store,
                                        clock=self.clock, tiktok_for=lambda cid, corr, **_: self.tiktok,
                                        notifier=SimpleNamespace(sender=self))
        self.deps = replace(base, collaborators=collaborators, clock=self.clock, sleep=self.sleep,  # type: ignore[arg-type]
                            sender=self, pending=lambda cid: dict(self.pending), lease_renew_s=3600)
        self.workers = [Worker(i) for i in range(WORKERS)]
        self._write_store()
        for key in KEYS:  # TikTok starts where it should be
            self._set_tiktok(key, self.expected()[key])

    # --- the world ----------------------------------------------------------------------
    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def send(self, queue_url: str, message: Any, **_: Any) -> str:
        self.queue.append(message)
        return str(len(self.queue))

    def _write_store(self) -> None:
        self.setup.store.products["p1"] = StoreProduct(
            ext_id="p1", title="Tee", updated_at=datetime.now(UTC),
            variants=(_variant("p1:1", self.store["p1:1"]), _variant("p1:2", self.store["p1:2"]),
                      _variant("p1:3", self.store["p1"], "p1"), _variant("p1:4", self.store["p1"], "p1")))

    def _tiktok_sku(self, key: str) -> Any:
        product = self.setup.sandbox.state.products[self.setup.tiktok_product_id]
        return next(s for s in product.skus if s.id == self.setup.sku_ids[key])

    def _set_tiktok(self, key: str, quantity: int) -> None:
        with self.setup.sandbox.state.lock:
            sku = self._tiktok_sku(key)
            sku.inventory = dict.fromkeys(sku.inventory, quantity)

    def tiktok_figures(self) -> dict[str, int]:
        with self.setup.sandbox.state.lock:
            return {key: sum(self._tiktok_sku(key).inventory.values()) for key in KEYS}

    def expected(self) -> dict[str, int]:
        """Store minus pending units minus the reserve (1 unit), split over a shared pool."""
        def net(available: int) -> int:
            return max(0, available - (1 if available > 0 else 0))

        shared = net(self.store["p1"] - self.pending.get("p1:3", 0) - self.pending.get("p1:4", 0))
        return {"p1:1": net(self.store["p1:1"] - self.pending.get("p1:1", 0)),
                "p1:2": net(self.store["p1:2"] - self.pending.get("p1:2", 0)),
                "p1:3": shared - shared // 2, "p1:4": shared // 2}

    def _ask(self) -> None:
        self.queue.append(StockMessage(connection_id=self.connection_id, store_product_id="p1",
                                       correlation_id="race", requested_at=self.now))

    # --- the steps ----------------------------------------------------------------------
    def store_change(self, key: str, quantity: int) -> None:
        self.store[key] = quantity
        self._write_store()
        self._ask()

    def tiktok_order(self, key: str, units: int) -> None:
        shown = self.tiktok_figures()[key]
        if shown < units:
            return
        self._set_tiktok(key, shown - units)  # TikTok takes the units off itself
        self.sold_on_tiktok = True
        self.pending[key] = self.pending.get(key, 0) + units
        self.orders.append((key, units))
        self._ask()  # the order relay's request_stock_sync

    def store_order(self) -> None:
        if not self.orders:
            return
        key, units = self.orders.pop(0)
        pool = key if key in OWN else "p1"
        self.store[pool] = max(0, self.store[pool] - units)
        self._write_store()
        self.pending[key] -= units
        self._ask()  # the store's product webhook

    def start(self, slot: int) -> None:
        worker = self.workers[slot]
        if worker.busy or not self.queue:
            return
        message = self.queue.pop(0)
        worker.busy, worker.message = True, message

        def run() -> None:
            self.local.worker = worker
            try:
                failed = handle_batch([(f"m{next(_ids)}", message.model_dump_json())], self.deps)
            except BaseException:
                failed = ["crashed"]
            worker.events.put(("done", failed))

        threading.Thread(target=run, name=f"stock-worker-{slot}", daemon=True).start()
        self._wait(worker)

    def answer(self, slot: int, fate: str) -> None:
        worker = self.workers[slot]
        if worker.at_gate is None:
            return
        call, worker.at_gate = worker.at_gate, None
        self.gave_up = self.gave_up or fate == "give_up"
        call.fate.put(fate)
        self._wait(worker)

    def land(self, index: int) -> None:
        if self.held:
            call = self.held.pop(index % len(self.held))
            self.setup.client.update_inventory(call.shop, call.product_id, call.skus)  # no fence: it is out

    def tick(self, seconds: float) -> None:
        self.now += seconds

    def _wait(self, worker: Worker) -> None:
        kind, value = worker.events.get(timeout=60)
        if kind == "gate":
            worker.at_gate = value
            return
        worker.busy = False
        if value and worker.message is not None:  # failed: SQS delivers it again
            self.queue.append(worker.message)
        worker.message = None

    def settle(self) -> None:
        for _ in range(200):
            if not self.drain_step():
                break
        if not self.gave_up:
            # Every write was answered (or its answer lost): the fences alone keep TikTok from
            # showing more, and put it right unless a TikTok order took units off a SKU whose
            # figure we did not need to send again (the reconciliation reads that back).
            figures, expected = self.tiktok_figures(), self.expected()
            assert all(figures[k] <= expected[k] for k in KEYS), f"oversold: {figures} > {expected}"
            assert self.sold_on_tiktok or figures == expected, "wrong before the reconciliation"
        self.gave_up = self.sold_on_tiktok = False
        self.now += 1
        reconcile_connection(self.deps, self.connection_id, "race")
        for _ in range(200):
            if not self.drain_step():
                break
        assert not self.queue and not self.held and not any(w.busy for w in self.workers)

    def drain_step(self) -> bool:
        """One move towards quiet: answer a call, land a late write, or start a message."""
        for worker in self.workers:
            if worker.at_gate is not None:
                self.answer(worker.slot, "deliver")
                return True
        if self.held:
            self.land(0)
            return True
        if self.queue:
            idle = next((w for w in self.workers if not w.busy), None)
            if idle is not None:
                self.start(idle.slot)
                return True
        return any(w.busy for w in self.workers)

    def close(self) -> None:
        for worker in self.workers:  # never leave a worker thread waiting at its gate
            if worker.at_gate is not None:
                worker.at_gate.fate.put("give_up")


def _connection(setup: Setup) -> str:
    """The setup's connection, made fresh for one example: no stock record, no reconciliation
    cursor, a reserve of one unit."""
    from connector import dynamo, keys

    table = setup.deps.table_name
    client = StockStateRepository(table, setup.deps.dynamodb).client
    for sk in (keys.stock_sk("p1"), keys.STOCK_RECONCILE):
        client.delete_item(TableName=table, Key=dynamo.to_item({keys.PK: keys.conn_pk(setup.connection_id),
                                                               keys.SK: sk}))
    SettingsRepository(table, setup.deps.dynamodb).put(setup.connection_id,
                                  ConnectionSettings().patched({"stock": {"reserve_fixed": 1}}), 1)
    return setup.connection_id


STEP = st.one_of(
    st.tuples(st.just("store_change"), st.sampled_from(("p1:1", "p1:2", "p1")), st.integers(0, 12)),
    st.tuples(st.just("tiktok_order"), st.sampled_from(KEYS), st.integers(1, 3)),
    st.tuples(st.just("store_order")),
    st.tuples(st.just("start"), st.integers(0, WORKERS - 1)),
    st.tuples(st.just("start"), st.integers(0, WORKERS - 1)),
    st.tuples(st.just("answer"), st.integers(0, WORKERS - 1), st.sampled_from(("deliver", "lose_answer", "give_up"))),
    st.tuples(st.just("land"), st.integers(0, 3)),
    st.tuples(st.just("tick"), st.sampled_from((1.0, 12.0, 31.0))),
    st.tuples(st.just("settle")),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=4, max_size=12))
def test_tiktok_never_stays_above_the_store_whatever_the_interleaving(setup: Setup,
                                                                      steps: list[tuple[Any, ...]]) -> None:
    race = Race(setup)
    try:
        for step in steps:
            kind, *args = step
            if kind == "settle":
                race.settle()
                assert race.tiktok_figures() == race.expected(), f"after settling at {step} of {steps}"
            else:
                getattr(race, kind)(*args)
        race.settle()
        figures, expected = race.tiktok_figures(), race.expected()
        assert all(figures[k] <= expected[k] for k in KEYS), f"oversold: {figures} > {expected}"
        assert figures == expected
    finally:
        race.close()
