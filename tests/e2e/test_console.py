"""The merchant console in a real browser (Debian's chromium, Playwright) on the local cloud with
both sandboxes: inside a stand-in Ecwid admin page that frames it with a payload the test
encrypts as Ecwid does, and on its own from a sign-in link."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connector.catalog.records import ProductRepository
from connector.tasks import TaskRepository
from local.sandbox_ecwid.catalog import FLAW_NO_WEIGHT
from local.world import Browser, World, page_values, world
from tests.support import console_browser as cb
from tests.support.wait import until

pytestmark = pytest.mark.skipif(cb.missing_browser() is not None, reason=str(cb.missing_browser()))

N_PRODUCTS = 40


@pytest.fixture(scope="module")
def admin() -> Iterator[cb.AdminHost]:
    host = cb.AdminHost()
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory, admin: cb.AdminHost) -> Iterator[World]:
    log = tmp_path_factory.mktemp("console") / "functions.jsonl"
    with world(function_log=log, parameters={"CatalogRetrySeconds": 1},
               environment={"CONSOLE_FRAME_ANCESTORS": admin.origin}) as running:
        yield running


def install(w: World, name: str, n_products: int, seed: int) -> dict[str, Any]:
    seller = w.tiktok.create_seller(f"{name} seller", "US")
    store = w.ecwid.create_store(f"{name} store", currency="USD")
    seeded = w.ecwid.seed_catalog(store, n_products, seed=seed) if n_products else []
    values = page_values(Browser().install(w, seller_id=seller["id"], store_id=store))
    shop: dict[str, Any] = {"id": values["connection-id"], "token": values["merchant-token"], "store": store,
                            "seller": seller, "seeded": seeded}
    if n_products:
        tasks = TaskRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
        until(lambda: any(t.kind == "catalog_pull" and t.state == "completed" for t in tasks.recent(shop["id"])),
              timeout=120, interval=0.3, what="first catalog pull")
    return shop


def store_token(w: World, store_id: int) -> str:
    issued = [t.token for t in w.ecwid.state.tokens.values() if t.store_id == store_id and not t.revoked]
    assert issued, "the sandbox issued no token for the store"
    return issued[-1]


def admin_payload(w: World, shop: dict[str, Any], **changes: Any) -> str:
    content = {"store_id": shop["store"], "access_token": store_token(w, shop["store"]), "lang": "en",
               "view_mode": "PAGE", "public_token": "public_x", **changes}
    return cb.payload(content, w.app_secret["ecwid_client_secret"])


def products(w: World, conn: str) -> dict[str, Any]:
    repo = ProductRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
    return {r.store_product_id: r for r in repo.all(conn)}


@pytest.fixture(scope="module")
def shop(w: World) -> dict[str, Any]:
    return install(w, "Console", N_PRODUCTS, seed=11)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with cb.chromium() as running:
        yield running


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.outside = cb.stub_ecwid(ctx)
    try:
        yield ctx
    finally:
        ctx.close()


def shoot(target: Any, name: str) -> None:
    """Keep a picture of the screen (under docs/console when CONSOLE_SCREENSHOTS=1)."""
    if os.environ.get("CONSOLE_SCREENSHOTS") == "1":
        cb.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(cb.SCREENSHOTS / f"{name}.png"), full_page=True)


def open_admin(context: Any, w: World, admin: cb.AdminHost, shop: dict[str, Any]) -> tuple[Any, Any]:
    page = context.new_page()
    page.goto(admin.url(f"{w.url}/console/ecwid?payload={admin_payload(w, shop)}"))
    frame = page.frame_locator("iframe#app")
    frame.locator("h1", has_text="Dashboard").wait_for(timeout=20000)
    return page, frame


def go(frame: Any, hash_: str, heading: str) -> None:
    frame.locator("body").evaluate(f"() => {{ location.hash = {hash_!r}; }}")
    frame.locator("h1", has_text=heading).first.wait_for(timeout=20000)


def test_the_merchant_journey_inside_the_ecwid_admin(w: World, admin: cb.AdminHost, shop: dict[str, Any],
                                                     context: Any) -> None:
    page, frame = open_admin(context, w, admin, shop)
    assert page.evaluate("() => document.getElementById('app').contentWindow !== null")
    inside = page.frames[1]
    assert inside.evaluate("() => window.ecwidInit && window.ecwidInit.app_id") == w.app_secret["ecwid_client_id"]
    frame.locator("#checklist").wait_for()
    shoot(page, "admin-dashboard")

    # a flawed product's reason, fixed in the store, synced from the console, live
    flawed = next(s for s in shop["seeded"] if FLAW_NO_WEIGHT in s.flaws and len(s.flaws) == 1)
    pid = str(flawed.product_id)
    go(frame, "#/products?status=sync_failed", "Products")
    row = frame.locator(f"tr[data-product='{pid}']")
    assert "weight" in row.locator(".reason").inner_text().lower()
    w.ecwid.update_product(shop["store"], flawed.product_id, {"weight": 1.5})
    go(frame, f"#/product?id={pid}", "")
    frame.get_by_role("button", name="Sync this product").click()
    frame.locator("#task[data-state=completed]").wait_for(timeout=60000)
    assert frame.locator("#task-percent").inner_text() == "100 %"
    assert frame.locator("#task-progress").get_attribute("value") == "100"

    def live() -> bool:
        record = products(w, shop["id"]).get(pid)
        return record is not None and record.status in ("in_review", "active")

    until(live, timeout=60, interval=0.3, what="the fixed product on TikTok")
    go(frame, f"#/product?id={pid}", "")
    frame.locator("#product-status").filter(has_text="Live").or_(
        frame.locator("#product-status").filter(has_text="In review")).wait_for(timeout=20000)

    # a category's required attributes filled once: its held products go live
    go(frame, "#/categories", "Categories")
    needs = frame.locator("tr[data-category]", has=frame.locator(".badge", has_text="missing")).first
    category = needs.get_attribute("data-category")
    go(frame, f"#/category?id={category}", "")
    for select in frame.locator("select[data-attribute]").all():
        select.select_option(index=1)
    for field in frame.locator("input[data-attribute]").all():
        field.fill("Natural")
    held = products(w, shop["id"])
    held_ids = [p for p, r in held.items() if r.store_category_id == category and r.status == "sync_failed"
                and r.problems == ["missing_required_attribute"]]
    assert held_ids, "no product was held for the category's attributes"
    frame.get_by_role("button", name="Save and sync held products").click()
    frame.locator("#task[data-state=completed]").wait_for(timeout=90000)
    until(lambda: all(products(w, shop["id"])[p].status in ("in_review", "active") for p in held_ids),
          timeout=90, interval=0.5, what="the held products on TikTok")

    # a setting changed; a bad value refused beside its field
    go(frame, "#/settings", "Settings")
    frame.get_by_label("Reserve fixed").fill("-3")
    frame.get_by_role("button", name="Save settings").click()
    error = frame.locator("#set-stock-reserve_fixed-error")
    error.wait_for()
    assert "greater than or equal to 0" in error.inner_text()
    frame.get_by_label("Reserve fixed").fill("2")
    frame.get_by_role("button", name="Save settings").click()
    frame.locator("#settings-saved").wait_for()
    answer = httpx.get(f"{w.url}/connections/{shop['id']}/settings",
                       headers={"authorization": f"Bearer {shop['token']}"}, timeout=30).json()
    assert answer["stock"]["reserve_fixed"] == 2
    assert not context.outside, context.outside
