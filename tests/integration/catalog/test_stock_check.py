"""The reconciliation reads TikTok's own figures back (moto and the sandbox TikTok Shop): a SKU
TikTok shows above (or below) the figure it should is synced again with every figure sent; a
product whose sync is in flight is left to it; equal figures queue nothing; the slice moves on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from connector.catalog.stock.reconcile import reconcile_connection
from connector.catalog.stock.requests import StockMessage
from connector.catalog.stock.state import StockStateRepository
from local.sandbox_tiktok import TikTokSandbox
from tests.integration.catalog.test_stock_sync import Setup, _setup, started_sandbox

SEARCH = "/product/202309/inventory/search"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[TikTokSandbox]:
    yield from started_sandbox(29)


@pytest.fixture
def setup(sandbox: TikTokSandbox, table: str) -> Iterator[Setup]:
    yield from _setup(sandbox, table, None)


def _set_on_tiktok(setup: Setup, key: str, quantity: int) -> None:
    """TikTok's figure changes without us (a write that landed late, an edit in Seller Center)."""
    with setup.sandbox.state.lock:
        product = setup.sandbox.state.products[setup.tiktok_product_id]
        sku = next(s for s in product.skus if s.id == setup.sku_ids[key])
        sku.inventory = dict.fromkeys(sku.inventory, quantity)


def _queued(setup: Setup) -> list[StockMessage]:
    return [m for m in setup.sent.messages if isinstance(m, StockMessage)]


def test_a_figure_tiktok_shows_above_the_store_is_sent_again(setup: Setup) -> None:
    setup.sync(setup.change())
    assert setup.tiktok_quantities()["p1:1"] == 5
    setup.sent.messages.clear()
    setup.sandbox.clear_requests()
    _set_on_tiktok(setup, "p1:1", 40)
    _set_on_tiktok(setup, "p1:3", 0)

    result = reconcile_connection(setup.deps, setup.connection_id, "corr")
    assert result["queued"] == 0  # the store and the record agree: only TikTok's figures tell
    assert result["tiktok_differs"] == 1 and result["tiktok_read"] == 4 and result["tiktok_calls"] == 1
    assert len(setup.sandbox.requests(pattern=SEARCH)) == 1
    queued = _queued(setup)
    assert [(m.store_product_id, m.force, m.reason) for m in queued] == [("p1", True, "tiktok_differs")]

    setup.sync(*queued)
    assert setup.tiktok_quantities() == {"p1:1": 5, "p1:2": 8, "p1:3": 5, "p1:4": 4}
    setup.sent.messages.clear()
    again = reconcile_connection(setup.deps, setup.connection_id, "corr")
    assert again["tiktok_differs"] == 0 and _queued(setup) == []


def test_a_product_whose_sync_is_in_flight_is_left_to_it(setup: Setup) -> None:
    setup.sync(setup.change())
    _set_on_tiktok(setup, "p1:2", 99)
    states = StockStateRepository(setup.deps.table_name)
    assert states.acquire(setup.connection_id, "p1", "other-worker", setup.deps.clock(), 30) is not None
    setup.sent.messages.clear()
    result = reconcile_connection(setup.deps, setup.connection_id, "corr")
    assert result["tiktok_differs"] == 0 and _queued(setup) == []
    states.abandon(setup.connection_id, "p1", "other-worker")
    assert reconcile_connection(setup.deps, setup.connection_id, "corr")["tiktok_differs"] == 1


def test_the_slice_moves_on_once_the_recent_writes_are_old(setup: Setup) -> None:
    setup.sync(setup.change())
    states = StockStateRepository(setup.deps.table_name)
    now = {"t": setup.deps.clock()}
    deps = replace(setup.deps, clock=lambda: now["t"])
    assert reconcile_connection(deps, setup.connection_id, "corr")["tiktok_read"] == 4  # just written
    now["t"] += 900  # the next run still reads back what was written shortly before the last one
    assert reconcile_connection(deps, setup.connection_id, "corr")["tiktok_read"] == 4
    offset = int(states.reconcile_cursor(setup.connection_id)["check_offset"])
    now["t"] += 900  # past the overlap: the write is old, only the slice (one SKU of four) is read
    assert reconcile_connection(deps, setup.connection_id, "corr")["tiktok_read"] == 1
    assert states.reconcile_cursor(setup.connection_id)["check_offset"] == (offset + 1) % 4
