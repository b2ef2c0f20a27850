"""Operating a connection on the local cloud: the merchant API's tasks, products,
orders, overview, settings and OpenAPI routes through the gateway, tenant isolation of every
route, and merchant notifications batched into one email (SES on moto) through the real tasks
queue, task worker and a delayed flush. The tests share one world; each reads only what the
``merchants`` fixture set up or what it made itself, so any one of them runs alone or in any order."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.catalog.records import ProductRecord, ProductRepository
from connector.connections.lifecycle import Notifier
from connector.notifications.__main__ import outbox
from connector.orders.records import OrderLineSummary, OrderRecord, OrderRepository
from connector.queues import SqsSender
from connector.tasks import TaskItem, TaskRecord, TaskRepository, new_task_id
from local.world import Browser, World, page_values, world
from tests.support.wait import until

SENDER = "notifications@connector.test"


def moto(w: World) -> str:
    return f"http://127.0.0.1:{w.cloud.moto_port}"


# Long enough that a burst sent at once is recorded inside one window even on a loaded CI machine
# (a window stays open at most 3 windows plus the quiet period while notifications keep coming).
WINDOW_S = 10


@pytest.fixture(scope="module")
def ops_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    log = tmp_path_factory.mktemp("ops") / "functions.jsonl"
    parameters = {"NotificationSender": SENDER, "NotificationWindowSeconds": WINDOW_S}
    with world(function_log=log, parameters=parameters) as w:
        yield w


def install(w: World, name: str) -> dict[str, Any]:
    seller = w.tiktok.create_seller(f"Seller {name}", "US")
    store_id = w.ecwid.create_store(f"Store {name}", currency="USD")
    page = Browser().install(w, seller_id=seller["id"], store_id=store_id)
    assert page.status_code == 200, page.text
    values = page_values(page)
    return {"id": values["connection-id"], "token": values["merchant-token"]}


def api(w: World, conn: dict[str, Any], path: str, *, token: str | None = None, method: str = "GET",
        body: Any = None, params: dict[str, Any] | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token or conn['token']}"} if token != "" else {}
    content = json.dumps(body).encode() if body is not None else None
    if content:
        headers["content-type"] = "application/json"
    return httpx.request(method, f"{w.url}/connections/{conn['id']}{path}", headers=headers, content=content,
                         params=params, timeout=30)


def seed(w: World, connection_id: str) -> dict[str, Any]:
    """Records as the catalog, order and task features write them."""
    ddb, table = w.cloud.client("dynamodb"), w.cloud.table_name()
    now = int(time.time())
    tasks = TaskRepository(table, ddb)
    sync = TaskRecord(connection_id=connection_id, task_id=new_task_id("catalog_sync", now - 60), kind="catalog_sync",
                      state="completed", total=2, created_at=now - 60, updated_at=now, finished_at=now)
    rescan = TaskRecord(connection_id=connection_id, task_id=new_task_id("order_rescan", now), kind="order_rescan",
                        state="running", created_at=now, updated_at=now)
    for task in (sync, rescan):
        assert tasks.create(task)
    tasks.add_counts(connection_id, sync.task_id, {"created": 1, "failed": 1}, now)
    tasks.put_item(connection_id, sync.task_id, TaskItem(item_id="p-ok", outcome="created", at=now))
    tasks.put_item(connection_id, sync.task_id, TaskItem(item_id="p-bad", outcome="failed",
                                                          reason="missing_weight: no weight", at=now))
    products = ProductRepository(table, ddb)
    products.put(ProductRecord(connection_id=connection_id, store_product_id="p-ok", title="Mug", status="active",
                               tiktok_product_id="tt-1", updated_at=now))
    products.put(ProductRecord(connection_id=connection_id, store_product_id="p-bad", title="Lamp",
                               status="sync_failed", reason="missing_weight: the product has no weight",
                               problems=["missing_weight"], updated_at=now))
    orders = OrderRepository(table, ddb)

    def order(order_id: str, state: str, total: str, reason: str | None = None) -> OrderRecord:
        return OrderRecord(connection_id=connection_id, tiktok_order_id=order_id, shop_id="s1",
                           state=state, reason=reason, currency="USD", total=Decimal(total),  # type: ignore[arg-type]
                           buyer_ref="b_0123456789abcdef", created_at=now - 3600, updated_at=now,
                           lines=(OrderLineSummary(tiktok_sku_id="sku1", store_product_id="p-ok", name="Mug",
                                                   quantity=2, unit_price=Decimal(total) / 2),),
                           claim_token="secret-claim" if state == "claimed" else None)
    for record in (order("5001", "created", "19.98"), order("5002", "completed", "0.30"),
                   order("5003", "blocked", "5.00", "sku_not_linked: TikTok SKU sku9 is not linked"),
                   order("5004", "cancelled", "100.00")):
        assert orders.put_new(record)
    return {"sync": sync.task_id, "rescan": rescan.task_id}


@pytest.fixture(scope="module")
def merchants(ops_world: World) -> dict[str, Any]:
    """Two merchants, A with seeded tasks, products and orders and a notification address, B empty."""
    w = ops_world
    a, b = install(w, "A"), install(w, "B")
    w.cloud.wait_idle(timeout=60)  # the install's catalog pull has run
    tasks = seed(w, a["id"])
    addressed = api(w, a, "/settings", method="PATCH", body={"notifications": {"email": "merchant-a@shop.test"}})
    assert addressed.status_code == 200, addressed.text
    return {"a": a, "b": b, "tasks": tasks}


# ---------------------------------------------------------------------- tasks
def test_tasks_newest_first_filtered_and_one_with_its_items(ops_world: World, merchants: dict[str, Any]) -> None:
    w, a, seeded = ops_world, merchants["a"], merchants["tasks"]
    listed = api(w, a, "/tasks")
    assert listed.status_code == 200, listed.text
    ids = [t["task_id"] for t in listed.json()["tasks"]]
    assert ids.index(seeded["rescan"]) < ids.index(seeded["sync"])  # newest first
    only = api(w, a, "/tasks", params={"kind": "catalog_sync", "state": "completed"}).json()["tasks"]
    assert [t["task_id"] for t in only] == [seeded["sync"]]
    assert only[0]["counts"] == {"created": 1, "failed": 1} and only[0]["total"] == 2
    first = api(w, a, "/tasks", params={"limit": 1}).json()
    assert len(first["tasks"]) == 1 and first["next_page_token"]
    second = api(w, a, "/tasks", params={"limit": 1, "page_token": first["next_page_token"]}).json()
    assert second["tasks"][0]["task_id"] != first["tasks"][0]["task_id"]

    one = api(w, a, f"/tasks/{seeded['sync']}")
    assert one.status_code == 200
    body = one.json()
    assert body["task"]["state"] == "completed"
    assert {(i["item_id"], i["outcome"]) for i in body["items"]} == {("p-ok", "created"), ("p-bad", "failed")}
    failed = api(w, a, f"/tasks/{seeded['sync']}", params={"outcome": "failed"}).json()["items"]
    assert [(i["item_id"], i["reason"]) for i in failed] == [("p-bad", "missing_weight: no weight")]


def test_tasks_bad_input_is_a_400_naming_the_field(ops_world: World, merchants: dict[str, Any]) -> None:
    w, a = ops_world, merchants["a"]
    for params, field in (({"limit": "0"}, "limit"), ({"state": "exploded"}, "state"), ({"colour": "red"}, "colour")):
        refused = api(w, a, "/tasks", params=params)
        assert refused.status_code == 400 and refused.json()["fields"] == [field], refused.text
    bad_token = api(w, a, "/tasks", params={"page_token": "bm90LWEtdGFzaw"})
    assert bad_token.status_code == 400 and bad_token.json()["reason"] == "bad_page_token"
    missing = api(w, a, "/tasks/1790000000000-catalog-sync-00000000")
    assert missing.status_code == 404 and missing.json()["reason"] == "no_such_task"


# ---------------------------------------------------------------------- products and orders
def test_products_with_status_and_reason(ops_world: World, merchants: dict[str, Any]) -> None:
    w, a = ops_world, merchants["a"]
    failed = api(w, a, "/products", params={"status": "sync_failed"})
    assert failed.status_code == 200
    (product,) = failed.json()["products"]
    assert product["store_product_id"] == "p-bad" and product["reason"].startswith("missing_weight")
    assert product["problems"] == ["missing_weight"] and "snapshot" not in product
    one = api(w, a, "/products/p-ok").json()
    assert one["status"] == "active" and one["tiktok_product_id"] == "tt-1"
    assert api(w, a, "/products", params={"status": "great"}).json()["fields"] == ["status"]
    assert api(w, a, "/products", params={"page_token": "!!"}).status_code == 400
    assert api(w, a, "/products/nope").status_code == 404


def test_orders_with_state_and_reason(ops_world: World, merchants: dict[str, Any]) -> None:
    w, a = ops_world, merchants["a"]
    every = api(w, a, "/orders").json()
    assert [o["tiktok_order_id"] for o in every["orders"]] == ["5004", "5003", "5002", "5001"]
    blocked = api(w, a, "/orders", params={"state": "blocked"}).json()["orders"]
    assert [(o["tiktok_order_id"], o["reason"]) for o in blocked] == [
        ("5003", "sku_not_linked: TikTok SKU sku9 is not linked")]
    paged = api(w, a, "/orders", params={"limit": 3}).json()
    rest = api(w, a, "/orders", params={"limit": 3, "page_token": paged["next_page_token"]}).json()
    assert [o["tiktok_order_id"] for o in paged["orders"] + rest["orders"]] == ["5004", "5003", "5002", "5001"]
    assert rest["next_page_token"] is None
    one = api(w, a, "/orders/5001")
    assert one.status_code == 200 and one.json()["total"] == "19.98"
    assert "buyer_ref" not in one.text and "claim" not in one.text
    assert api(w, a, "/orders", params={"state": "lost"}).json()["fields"] == ["state"]
    assert api(w, a, "/orders/0000").status_code == 404


# ---------------------------------------------------------------------- overview
def test_overview(ops_world: World, merchants: dict[str, Any]) -> None:
    w, a = ops_world, merchants["a"]
    response = api(w, a, "/overview", params={"days": 7, "top": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["revenue"] == {"USD": "20.28"}  # created + completed; blocked and cancelled are not sales
    assert body["orders"] == 4 and body["orders_by_state"]["blocked"] == 1
    assert body["products_by_status"]["active"] == 1 and body["products_by_status"]["sync_failed"] == 1
    assert body["top_products"][0]["product_id"] == "p-ok" and body["top_products"][0]["units"] == 4
    assert body["top_customers"] == [{"buyer_ref": "b_0123456789abcdef", "orders": 2, "spent": "20.28",
                                      "currency": "USD"}]
    assert api(w, a, "/overview", params={"days": "0"}).json()["fields"] == ["days"]


# ---------------------------------------------------------------------- connection settings
def test_settings_read_and_patch(ops_world: World) -> None:
    w = ops_world
    a = install(w, "Settings")
    assert api(w, a, "/settings").json()["notifications"]["email"] is None
    patched = api(w, a, "/settings", method="PATCH", body={
        "stock": {"reserve_fixed": 2}, "notifications": {"email": "merchant-s@shop.test"}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["stock"]["reserve_fixed"] == 2
    again = api(w, a, "/settings").json()
    assert again["notifications"]["email"] == "merchant-s@shop.test" and again["stock"]["reserve_fixed"] == 2
    assert again["price"]["percent"] == "0"  # Decimal as a string

    for body, field in (({"stock": {"reserve_fixed": -1}}, "stock.reserve_fixed"),
                        ({"stock": {"colour": "red"}}, "stock.colour"),
                        ({"notifications": {"email": "not an address"}}, "notifications.email"),
                        ({"warp": {"speed": 9}}, "warp"), ({"stock": 5}, "stock"), ([1, 2], "body")):
        refused = api(w, a, "/settings", method="PATCH", body=body)
        assert refused.status_code == 400 and refused.json()["fields"] == [field], (body, refused.text)
    empty = api(w, a, "/settings", method="PATCH")
    assert empty.status_code == 400 and empty.json()["reason"] == "empty_body"
    assert api(w, a, "/settings").json()["stock"]["reserve_fixed"] == 2  # nothing refused was written


def test_openapi_document_is_served(ops_world: World) -> None:
    doc = httpx.get(f"{ops_world.url}/openapi.json", timeout=30)
    assert doc.status_code == 200
    assert "/connections/{connection_id}/overview" in doc.json()["paths"]


# ---------------------------------------------------------------------- tenant isolation
ROUTES = [("GET", "/tasks"), ("GET", "/tasks/{sync}"), ("GET", "/products"), ("GET", "/products/p-ok"),
          ("GET", "/orders"), ("GET", "/orders/5001"), ("GET", "/overview"), ("GET", "/settings"),
          ("PATCH", "/settings")]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_another_merchants_token_is_refused_and_sees_nothing(ops_world: World, merchants: dict[str, Any],
                                                             method: str, path: str) -> None:
    w, a, b = ops_world, merchants["a"], merchants["b"]
    path = path.format(**merchants["tasks"])
    body = {"notifications": {"email": "thief@evil.test"}} if method == "PATCH" else None
    foreign = api(w, a, path, token=b["token"], method=method, body=body)
    assert foreign.status_code == 403, foreign.text
    assert foreign.json()["reason"] == "not_your_connection"
    for secret in ("p-ok", "5001", "merchant-a", "19.98", merchants["tasks"]["sync"]):
        assert secret not in foreign.text
    anonymous = api(w, a, path, token="", method=method, body=body)
    assert anonymous.status_code == 401
    # Authorization comes before validation: bad input with a foreign token is still a 403.
    bad = api(w, a, path, token=b["token"], method=method, body={"warp": 1} if method == "PATCH" else None,
              params={"limit": "0"})
    assert bad.status_code == 403, bad.text
    # On B's own path, A's items do not exist (a detail route answers 404 naming only what was asked).
    own = api(w, b, path, method="GET")
    assert own.status_code == (404 if path.count("/") == 2 else 200), own.text
    for secret in ("p-ok", "5001", "merchant-a", "19.98", merchants["tasks"]["sync"], "b_0123456789abcdef"):
        assert secret in path or secret not in own.text, (path, own.text)
    assert api(w, a, "/settings").json()["notifications"]["email"] == "merchant-a@shop.test"


def test_b_sees_an_empty_overview(ops_world: World, merchants: dict[str, Any]) -> None:
    body = api(ops_world, merchants["b"], "/overview").json()
    assert body["revenue"] == {} and body["orders"] == 0 and body["top_customers"] == []
    assert sum(body["products_by_status"].values()) == 0


# ---------------------------------------------------------------------- notifications
def test_a_burst_of_notifications_is_one_email(ops_world: World, merchants: dict[str, Any]) -> None:
    w, a = ops_world, merchants["a"]
    notifier = Notifier(SqsSender(w.cloud.client("sqs")), w.cloud.queue_url("TasksQueue"))
    # Given 30 blocked orders and 10 failed products within the window, sent as the features send them
    for i in range(30):
        notifier.emit(a["id"], "order_blocked", f"TikTok order 80{i:03d}: sku_not_linked", "corr-burst")
    for i in range(10):
        notifier.emit(a["id"], "product_failed", f"p{i}: no_images", "corr-burst")
    # Then one email arrives after the window
    (email,) = until(lambda: outbox(moto(w), "merchant-a@shop.test"), timeout=90, what="the digest")
    w.cloud.wait_idle(timeout=30)
    assert len(outbox(moto(w), "merchant-a@shop.test")) == 1
    assert email["from"] == SENDER
    assert email["subject"] == "TikTok Shop connector: 30 orders blocked, 10 products failed"
    # 25 orders listed (in the order the worker received them, which a loaded machine shuffles), 5 summed up
    listed = re.findall(r"TikTok order 80\d{3}: sku_not_linked", email["body"])
    assert len(listed) == 25 and len(set(listed)) == 25 and "and 5 more" in email["body"]
    # And nothing failed into the tasks dead-letter queue
    assert w.cloud.queue_depth("TasksDLQ") == 0


def test_re_authorization_emails_follow_the_switch(ops_world: World, merchants: dict[str, Any]) -> None:
    w, b = ops_world, merchants["b"]
    assert api(w, b, "/settings", method="PATCH", body={
        "notifications": {"email": "merchant-b@shop.test", "blocked_orders": False}}).status_code == 200
    notifier = Notifier(SqsSender(w.cloud.client("sqs")), w.cloud.queue_url("TasksQueue"))
    notifier.emit(b["id"], "order_blocked", "TikTok order 1: sku_not_linked", "corr-b")  # switched off
    notifier.emit(b["id"], "needs_reauth", "tiktok_seller_deauthorized", "corr-b")
    (email,) = until(lambda: outbox(moto(w), "merchant-b@shop.test"), timeout=90, what="the digest")
    w.cloud.wait_idle(timeout=30)
    assert len(outbox(moto(w), "merchant-b@shop.test")) == 1
    assert "re-authorize" in email["subject"] and "TikTok order 1" not in email["body"]
    assert "the seller de-authorized the app on TikTok Shop" in email["body"]
    assert f"{w.url}/connections/{b['id']}/reauthorize" in email["body"]
    assert w.cloud.queue_depth("TasksDLQ") == 0
