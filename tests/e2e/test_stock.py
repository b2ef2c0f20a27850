"""Stock sync and manual actions on the local cloud, with both sandboxes: a store
stock change reaches TikTok, a burst of ten changes costs one inventory call (two at most),
the low-inventory threshold deactivates and reactivates the listing, a lost webhook is healed
by the reconciliation schedule, and "update stock" / "update price" run as tasks with their
per-product results. The store product and the TikTok listing are made directly and linked by
hand (``local.stock_scenario.connect_and_link``), so these tests do not depend on the catalog
push. The tests share one world; each has a connection and a linked product of its own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.settings import SettingsRepository
from local.stock_scenario import Linked, connect_and_link, settle
from local.world import World
from tests.support.wait import until


@pytest.fixture
def linked(connected_world: World, request: pytest.FixtureRequest) -> Iterator[Linked]:
    """A connection and a linked product of the test's own, its first figures on TikTok."""
    scenario = connect_and_link(connected_world, name=f"E2E-{request.node.name[5:25]}")
    # The first sync puts the store's figures on TikTok: 6 and 8 of their own, 9 shared by two.
    scenario.set_quantity(0, 6)
    until(lambda: scenario.tiktok_quantities()[:2] == [6, 8], timeout=15, what="first figures on TikTok")
    settle(scenario)
    yield scenario


def _settings(linked: Linked, **sections: dict[str, Any]) -> None:
    w = linked.world
    repo = SettingsRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
    repo.put(linked.connection_id, repo.get(linked.connection_id).patched(sections), int(time.time()))


def _post(linked: Linked, action: str, body: Any, token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token or linked.merchant_token}"} if token != "" else {}
    return httpx.post(f"{linked.world.url}/connections/{linked.connection_id}/actions/{action}", json=body,
                      headers=headers, timeout=30)


def _task(linked: Linked, task_id: str) -> dict[str, Any]:
    w = linked.world
    items = w.cloud.client("dynamodb").query(
        TableName=w.cloud.table_name(), KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": f"CONN#{linked.connection_id}"}, ":s": {"S": f"TASK#{task_id}"}},
    )["Items"]
    return {"record": items[0] if items else None, "items": [i for i in items if i["sk"]["S"].startswith("TASKITEM#")]}


def _task_items(linked: Linked, task_id: str) -> list[dict[str, Any]]:
    w = linked.world
    return w.cloud.client("dynamodb").query(
        TableName=w.cloud.table_name(), KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": f"CONN#{linked.connection_id}"},
                                   ":s": {"S": f"TASKITEM#{task_id}#"}})["Items"]


def test_a_store_stock_change_reaches_tiktok_with_shared_stock_split(linked: Linked) -> None:
    linked.set_quantity(0, 3)
    until(lambda: linked.tiktok_quantities()[0] == 3, timeout=15, what="stock change on TikTok")
    quantities = linked.tiktok_quantities()
    # Own stock as it is; the two combinations sharing the product's 9 units split them.
    assert quantities[1] == 8 and sorted(quantities[2:]) == [4, 5]


def test_our_own_write_coming_back_as_a_tiktok_webhook_does_nothing_twice(linked: Linked) -> None:
    settle(linked)
    before = linked.inventory_calls()
    linked.set_quantity(0, 0)  # in stock -> out of stock: TikTok sends webhook 27 for our write
    until(lambda: linked.tiktok_quantities()[0] == 0, timeout=15, what="zero on TikTok")
    until(lambda: linked.world.tiktok.deliveries(27), timeout=15, what="TikTok webhook 27")
    settle(linked)
    logs = linked.world.logs[0].read_text()  # type: ignore[attr-defined]
    assert '"stock_own_write"' in logs
    assert linked.inventory_calls() == before + 1  # the echo cost nothing
    linked.set_quantity(0, 3)
    until(lambda: linked.tiktok_quantities()[0] == 3, timeout=15, what="back in stock")


def test_a_burst_of_ten_changes_costs_one_inventory_call(linked: Linked) -> None:
    settle(linked)
    before = linked.inventory_calls()
    for quantity in range(20, 30):
        linked.set_quantity(1, quantity)
    until(lambda: linked.tiktok_quantities()[1] == 29, timeout=15, what="the burst's last figure")
    settle(linked)
    calls = linked.inventory_calls() - before
    assert 1 <= calls <= 2, f"a burst of 10 cost {calls} inventory calls"


def test_a_burst_reads_the_product_for_its_listing_once_then_once_more_after_the_window(linked: Linked) -> None:
    from connector.catalog.records import ProductRepository

    w = linked.world
    records = ProductRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
    # Given the catalog keeps this product's record (pulled on its first change; not pushed)
    _settings(linked, catalog={"auto_pull": True, "auto_update": False})
    linked.set_quantity(0, 7)
    until(lambda: records.get(linked.connection_id, str(linked.product_id)), timeout=15, what="product pulled")
    settle(linked)
    # When it changes nine times in a row, renamed last
    for n in range(8):
        linked.set_quantity(n % 2, 30 + n)
    w.ecwid.update_product(linked.store_id, linked.product_id, {"name": "Burst renamed tee"})
    # Then every stock change reaches TikTok as usual (stock is not held back by the window) ...
    until(lambda: linked.tiktok_quantities()[:2] == [36, 37], timeout=15, what="the burst's last figures")
    # ... the rename reaches the record through the refresh queued for the window's end ...
    until(lambda: (records.get(linked.connection_id, str(linked.product_id)) or _NONE).title == "Burst renamed tee",
          timeout=30, what="the rename read by the refresh")
    # ... and the product was read for its listing a few times, not once per change.
    routed = until(lambda: _catalog_outcomes(linked, "product_refresh") and _catalog_outcomes(linked), timeout=15,
                   what="the events' outcomes logged")
    # (Without the window every one of the ten changes would have read the product.)
    reads = [o for o in routed if o not in ("catalog_new_not_pulled", "catalog_refresh_queued",
                                            "catalog_refresh_queued_already")]
    assert len(routed) >= 10, routed
    refreshed = _catalog_outcomes(linked, "product_refresh")
    assert "catalog_refresh_queued" in routed and 1 <= len(reads) <= 3, routed
    assert "catalog_pulled" in refreshed, refreshed


class _None:
    title = None


_NONE = _None()


def _catalog_outcomes(linked: Linked, kind: str = "product_changed") -> list[str]:
    """The catalog's outcome of each store event of this connection (from the function log)."""
    import json

    out = []
    for line in linked.world.logs[0].read_text().splitlines():  # type: ignore[attr-defined]
        if '"event routed"' not in line or linked.connection_id not in line:
            continue
        entry = json.loads(line)
        if entry.get("connection_id") == linked.connection_id and entry.get("kind") == kind:
            out += [part for part in str(entry.get("outcome")).split(",") if part.startswith("catalog_")]
    return out


def test_threshold_deactivates_then_reactivates_the_listing(linked: Linked) -> None:
    _settings(linked, stock={"threshold": 2, "threshold_action": "deactivate"})
    try:
        linked.set_quantity(0, 2)
        until(lambda: linked.tiktok_status() == "SELLER_DEACTIVATED", timeout=15, what="threshold deactivation")
        linked.set_quantity(0, 6)
        until(lambda: linked.tiktok_status() == "ACTIVATE", timeout=15, what="reactivation")
        assert linked.tiktok_quantities()[0] == 6
    finally:
        _settings(linked, stock={"threshold": None})


def test_a_lost_webhook_is_healed_by_the_reconciliation_schedule(linked: Linked) -> None:
    settle(linked)
    linked.set_quantity(2, 13, notify=False)  # the shared stock changes; no webhook is sent
    assert sorted(linked.tiktok_quantities()[2:]) == [4, 5]
    result = linked.world.cloud.fire_schedule("StockSyncFunction", "ReconcileSchedule")
    assert result["connections"] >= 1
    until(lambda: sorted(linked.tiktok_quantities()[2:]) == [6, 7], timeout=15, what="reconciled stock")


def test_update_stock_and_update_price_actions_run_as_tasks(linked: Linked) -> None:
    settle(linked)
    refused = [_post(linked, "update-stock", {}), _post(linked, "update-stock", {"all": True, "product_ids": ["1"]}),
               _post(linked, "update-price", {"product_ids": []})]
    assert [r.status_code for r in refused] == [400, 400, 400]
    assert all(r.json().get("reason") == "invalid_body" for r in refused)
    assert "give either product_ids" in refused[0].json()["message"]
    assert _post(linked, "update-stock", {"all": True}, token="").status_code == 401

    before = linked.inventory_calls()
    started = _post(linked, "update-stock", {"product_ids": [str(linked.product_id), "404404"]})
    assert started.status_code == 202, started.text
    task_id = started.json()["task_id"]
    record = until(lambda: (r := _task(linked, task_id)["record"]) and r["state"]["S"] == "completed" and r,
                   timeout=20, what="stock task completed")
    assert record["kind"]["S"] == "stock_update" and int(record["total"]["N"]) == 2
    assert {k: int(v["N"]) for k, v in record["counts"]["M"].items()} == {"updated": 1, "skipped": 1}
    items = {i["item_id"]["S"]: i for i in _task_items(linked, task_id)}
    assert items["404404"]["reason"]["S"] == "not_linked" and items[str(linked.product_id)]["outcome"]["S"] == "updated"
    assert linked.inventory_calls() == before + 1  # forced: sent even though nothing changed

    _settings(linked, price={"percent": "10", "rounding": "none"})
    started = _post(linked, "update-price", {"all": True})
    assert started.status_code == 202, started.text
    price_task = started.json()["task_id"]
    record = until(lambda: (r := _task(linked, price_task)["record"]) and r["state"]["S"] == "completed" and r,
                   timeout=20, what="price task completed")
    assert {k: int(v["N"]) for k, v in record["counts"]["M"].items()} == {"updated": 1}
    prices = {s["price"]["sale_price"] for s in linked.world.tiktok.product(linked.tiktok_product_id)["skus"]}
    assert prices == {str(Decimal("22.00"))}  # the store's 20.00 + 10 %


def test_a_tiktok_order_is_held_back_then_mirrored_without_a_second_call(linked: Linked) -> None:
    """With the order relay: pending units hold the sold units back until the store order
    exists; the store's own decrement coming back as a webhook then changes nothing."""
    w = linked.world
    settle(linked)
    store_before = w.ecwid.stock(linked.store_id, linked.product_id, linked.combination_ids[0])
    assert store_before is not None and store_before >= 2
    calls = linked.inventory_calls()
    shop_id = w.tiktok.state.products[linked.tiktok_product_id].shop_id
    w.tiktok.place_order(shop_id, [(linked.sku_ids[0], 2)])
    until(lambda: w.ecwid.orders(linked.store_id), timeout=20, what="the store order")
    settle(linked)
    assert w.ecwid.stock(linked.store_id, linked.product_id, linked.combination_ids[0]) == store_before - 2
    assert linked.tiktok_quantities()[0] == store_before - 2
    assert linked.inventory_calls() - calls <= 1  # pending units first; the store's decrement costs nothing
