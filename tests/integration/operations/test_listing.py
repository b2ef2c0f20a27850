"""The operations API's own reads on moto and DynamoDB Local: filtered pages that stay full and
chain without gaps or repeats, tokens that cannot leave the connection, orders of a period, and
settings written with optimistic concurrency."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.api import listing
from connector.errors import BadRequest
from connector.orders.records import OrderRecord, OrderRepository
from connector.settings import ConnectionSettings, SettingsRepository
from connector.tasks import TaskItem, TaskRecord, TaskRepository

pytestmark = pytest.mark.dynamodb_local


def _tasks(table: str, client: Any, connection_id: str, n: int) -> list[str]:
    repo = TaskRepository(table, client)
    ids = []
    for i in range(n):
        kind = "order_rescan" if i % 10 == 3 else "catalog_sync"
        task_id = f"{1_790_000_000_000 + i:013d}-{kind.replace('_', '-')}-{i:08x}"
        repo.create(TaskRecord(connection_id=connection_id, task_id=task_id, kind=kind, created_at=i, updated_at=i))
        ids.append(task_id)
    return ids


def _all_pages(fetch: Any) -> list[list[dict[str, Any]]]:
    pages, token = [], None
    while True:
        items, token = fetch(token)
        pages.append(items)
        if token is None:
            return pages


def test_sparse_filter_fills_pages_and_chains_without_gaps(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    ids = _tasks(table, client, "c1", 120)
    _tasks(table, client, "c2", 15)
    wanted = [t for t in reversed(ids) if "order-rescan" in t]  # newest first, 1 in 10
    pages = _all_pages(lambda token: listing.task_page(client, table, "c1", kind="order_rescan", state=None,
                                                       limit=5, page_token=token))
    assert [len(p) for p in pages][:2] == [5, 5]  # full pages although 9 in 10 items do not match
    assert [i["task_id"] for p in pages for i in p] == wanted
    everything = _all_pages(lambda token: listing.task_page(client, table, "c1", kind=None, state=None, limit=50,
                                                            page_token=token))
    assert [len(p) for p in everything] == [50, 50, 20]
    assert [i["task_id"] for p in everything for i in p] == list(reversed(ids))  # items of c2 never appear


def test_a_page_ending_exactly_at_the_last_item_has_no_next_token(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    _tasks(table, client, "c1", 10)
    items, token = listing.task_page(client, table, "c1", kind=None, state=None, limit=10, page_token=None)
    assert len(items) == 10 and token is None


def test_tokens_are_checked_and_stay_within_the_connection(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    _tasks(table, client, "c1", 3)
    _tasks(table, client, "c2", 3)
    _, token = listing.task_page(client, table, "c1", kind=None, state=None, limit=1, page_token=None)
    assert token is not None
    # c2 replaying c1's token reads c2's own items after that sort key, never c1's.
    items, _ = listing.task_page(client, table, "c2", kind=None, state=None, limit=10, page_token=token)
    assert items and {i["connection_id"] for i in items} == {"c2"}
    for bad in ("!!!", listing.encode_token("ORDER#1"), listing.encode_token("TASKITEM#x")):
        with pytest.raises(BadRequest):
            listing.task_page(client, table, "c1", kind=None, state=None, limit=1, page_token=bad)


def test_task_items_by_outcome(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    (task_id,) = _tasks(table, client, "c1", 1)
    repo = TaskRepository(table, client)
    for i in range(30):
        repo.put_item("c1", task_id, TaskItem(item_id=f"p{i:02d}", outcome="failed" if i % 3 == 0 else "created"))
    failed = _all_pages(lambda token: listing.task_item_page(client, table, "c1", task_id, outcome="failed",
                                                             limit=4, page_token=token))
    assert [i["item_id"] for p in failed for i in p] == [f"p{i:02d}" for i in range(0, 30, 3)]


def test_orders_of_a_period_and_newest_first(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = OrderRepository(table, client)
    for n, created in ((1, 100), (2, 200), (3, 300)):
        repo.put_new(OrderRecord(connection_id="c1", tiktok_order_id=f"57{n}", shop_id="s", state="created",
                                 total=Decimal("1.10"), created_at=created, updated_at=created))
    repo.put_new(OrderRecord(connection_id="c2", tiktok_order_id="579", shop_id="s", state="created",
                             created_at=200, updated_at=200))
    assert [o["tiktok_order_id"] for o in listing.orders_created_between(client, table, "c1", 150, 300)] == [
        "572", "573"]
    items, token = listing.order_page(client, table, "c1", limit=2, page_token=None)
    rest, end = listing.order_page(client, table, "c1", limit=2, page_token=token)
    assert [o["tiktok_order_id"] for o in items + rest] == ["573", "572", "571"] and end is None


def test_settings_writes_lose_no_concurrent_change(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    stored, version = listing.read_settings(client, table, "c1")
    assert (stored, version) == (None, 0)
    first = ConnectionSettings().patched({"stock": {"reserve_fixed": 1}})
    listing.write_settings(client, table, "c1", first.model_dump_json(), version, 10)
    # A second writer that read before the first write is refused instead of overwriting it.
    with pytest.raises(listing.SettingsChanged):
        listing.write_settings(client, table, "c1", ConnectionSettings().model_dump_json(), version, 11)
    stored, version = listing.read_settings(client, table, "c1")
    assert version == 1 and stored is not None
    assert SettingsRepository(table, client).get("c1").stock.reserve_fixed == 1  # same item, same reader
    # An item written by SettingsRepository (no version yet) is taken over from version 0.
    SettingsRepository(table, client).put("c2", first, 5)
    listing.write_settings(client, table, "c2", ConnectionSettings().model_dump_json(), 0, 12)
    assert listing.read_settings(client, table, "c2")[1] == 1
