"""The groundwork repositories the operations API builds on, on moto and on DynamoDB Local:
settings (defaults, round trip, Decimal), tasks (create once, states, concurrent counters,
items, newest first) and SKU links (a TikTok SKU id resolves within its own connection only)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from connector.links import LinkRepository, SkuLink
from connector.settings import ConnectionSettings, SettingsRepository
from connector.tasks import TaskItem, TaskRecord, TaskRepository, new_task_id

pytestmark = pytest.mark.dynamodb_local


# ---------------------------------------------------------------------- settings
def test_settings_default_round_trip_and_tenant_scope(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = SettingsRepository(table, client)
    assert repo.get("c1") == ConnectionSettings()  # no item: the defaults
    changed = ConnectionSettings().patched({"price": {"percent": "12.5", "rounding": ".99"},
                                            "notifications": {"email": "shop@example.com", "blocked_orders": False},
                                            "carriers": {"by_carrier": {" UPS ": "7117"}}})
    repo.put("c1", changed, 100)
    got = repo.get("c1")
    assert got == changed
    assert got.price.percent == Decimal("12.5") and isinstance(got.price.percent, Decimal)
    assert got.carriers.provider_for("ups") == "7117"
    assert repo.get("c2") == ConnectionSettings()  # another connection sees nothing of c1's


# ---------------------------------------------------------------------- tasks
def _task(connection_id: str, kind: str = "catalog_sync", now: float = 1_790_000_000.0) -> TaskRecord:
    return TaskRecord(connection_id=connection_id, task_id=new_task_id(kind, now), kind=kind, created_at=int(now),
                      updated_at=int(now))


def test_task_is_created_once_and_moves_through_its_states(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = TaskRepository(table, client)
    task = _task("c1")
    assert repo.create(task) is True
    assert repo.create(task) is False  # a redelivered message records nothing twice
    repo.set_state("c1", task.task_id, "running", 101, total=3)
    repo.set_state("c1", task.task_id, "error", 102, error="upstream_error")
    got = repo.get("c1", task.task_id)
    assert got is not None and got.state == "error" and got.total == 3 and got.error == "upstream_error"
    assert got.finished_at == 102 and got.updated_at == 102
    assert repo.get("c2", task.task_id) is None  # scoped by connection
    with pytest.raises(Exception) as caught:
        repo.set_state("c2", task.task_id, "running", 103)
    assert "ConditionalCheckFailed" in type(caught.value).__name__ or "Conditional" in str(caught.value)


def test_concurrent_add_counts_lose_nothing(dynamodb_local: str) -> None:
    """On DynamoDB Local only: moto applies an update as read-modify-write without a lock, and lost
    one of 80 concurrent ADDs when this ran on it; DynamoDB (and Local) apply ADD atomically."""
    import boto3

    from tests.support.aws import create_table

    client = boto3.client("dynamodb", endpoint_url=dynamodb_local, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    repo = TaskRepository(create_table(client), client)
    task = _task("c1")
    repo.create(task)
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        start.wait()
        for _ in range(10):
            repo.add_counts("c1", task.task_id, {"created": 1, "failed": n % 2}, 200)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = repo.get("c1", task.task_id)
    assert got is not None and got.counts == {"created": 80, "failed": 40}


def test_task_items_and_recent_newest_first(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = TaskRepository(table, client)
    older, newer = _task("c1", now=1_790_000_000.0), _task("c1", "order_rescan", now=1_790_000_060.0)
    repo.create(older)
    repo.create(newer)
    repo.create(_task("c2"))
    repo.put_item("c1", older.task_id, TaskItem(item_id="p1", outcome="created", at=1))
    repo.put_item("c1", older.task_id, TaskItem(item_id="p2", outcome="failed", reason="no_images",
                                                details={"problem": "no_images"}, at=2))
    items = list(repo.items("c1", older.task_id))
    assert [(i.item_id, i.outcome, i.reason) for i in items] == [("p1", "created", None), ("p2", "failed", "no_images")]
    assert items[1].details == {"problem": "no_images"}
    assert list(repo.items("c1", newer.task_id)) == []
    assert [t.task_id for t in repo.recent("c1")] == [newer.task_id, older.task_id]  # items are not tasks
    assert [t.task_id for t in repo.recent("c1", limit=1)] == [newer.task_id]


# ---------------------------------------------------------------------- SKU links
def _link(connection_id: str, product: str, sku: str) -> SkuLink:
    return SkuLink(connection_id=connection_id, store_product_id=product, variant_key=f"{product}:v1",
                   stock_key=f"{product}:v1", shop_id="s1", tiktok_product_id=f"tp-{product}", tiktok_sku_id=sku)


def test_a_tiktok_sku_resolves_within_its_own_connection_only(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = LinkRepository(table, client)
    repo.put(_link("c1", "p1", "sku-shared"))
    repo.put(_link("c2", "p9", "sku-shared"))  # the same TikTok SKU id under another tenant
    mine, theirs = repo.by_tiktok_sku("c1", "sku-shared"), repo.by_tiktok_sku("c2", "sku-shared")
    assert mine is not None and mine.store_product_id == "p1"
    assert theirs is not None and theirs.store_product_id == "p9"
    assert repo.by_tiktok_sku("c3", "sku-shared") is None
    assert repo.by_tiktok_sku("c1", "sku-unknown") is None
    repo.delete("c1", "p1", "p1:v1")
    assert repo.by_tiktok_sku("c1", "sku-shared") is None
    assert repo.by_tiktok_sku("c2", "sku-shared") is not None
    assert [link.store_product_id for link in repo.all("c2")] == ["p9"]
