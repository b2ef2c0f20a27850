"""The merchant console in a real browser (Debian's chromium, Playwright) on the local cloud with
both sandboxes: inside a stand-in Ecwid admin page that frames it with a payload the test
encrypts as Ecwid does, and on its own from a sign-in link."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connector.orders.records import OrderRepository
from local.world import World, world
from tests.support import console_browser as cb
from tests.support.console_browser import go, install, products, shoot, task_finished
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
    with world(function_log=log, parameters={"CatalogRetrySeconds": 1, "OrderBlockedRetrySeconds": 1,
                                             "OrderRelayRetrySeconds": 1},
               environment={"CONSOLE_FRAME_ANCESTORS": admin.origin}) as running:
        yield running


def store_token(w: World, store_id: int) -> str:
    issued = [t.token for t in w.ecwid.state.tokens.values() if t.store_id == store_id and not t.revoked]
    assert issued, "the sandbox issued no token for the store"
    return issued[-1]


def admin_payload(w: World, shop: dict[str, Any], **changes: Any) -> str:
    content = {"store_id": shop["store"], "access_token": store_token(w, shop["store"]), "lang": "en",
               "view_mode": "PAGE", "public_token": "public_x", **changes}
    return cb.payload(content, w.app_secret["ecwid_client_secret"])


@pytest.fixture(scope="module")
def shop(w: World) -> dict[str, Any]:
    return install(w, "Console", N_PRODUCTS, seed=11)


def open_admin(context: Any, w: World, admin: cb.AdminHost, shop: dict[str, Any]) -> tuple[Any, Any]:
    page = context.new_page()
    page.goto(admin.url(f"{w.url}/console/ecwid?payload={admin_payload(w, shop)}"))
    frame = page.frame_locator("iframe#app")
    frame.locator("h1", has_text="Dashboard").wait_for(timeout=20000)
    return page, frame


def test_the_merchant_journey_inside_the_ecwid_admin(w: World, admin: cb.AdminHost, shop: dict[str, Any],
                                                     context: Any) -> None:
    page, frame = open_admin(context, w, admin, shop)
    assert page.evaluate("() => document.getElementById('app').contentWindow !== null")
    inside = page.frames[1]
    assert inside.evaluate("() => window.ecwidInit && window.ecwidInit.app_id") == w.app_secret["ecwid_client_id"]
    frame.locator("#checklist").wait_for()
    shoot(page, "admin-dashboard")

    # a setting changed (a bad value first, refused beside its field): store changes stop reaching TikTok
    go(frame, "#/settings", "Settings")
    frame.get_by_label("Reserve fixed").fill("-3")
    frame.get_by_role("button", name="Save settings").click()
    error = frame.locator("#set-stock-reserve_fixed-error")
    error.wait_for()
    assert "greater than or equal to 0" in error.inner_text()
    shoot(page, "settings-error")
    frame.get_by_label("Reserve fixed").fill("2")
    frame.get_by_label("Auto update").uncheck()
    frame.get_by_role("button", name="Save settings").click()
    frame.locator("#settings-saved").wait_for()
    answer = httpx.get(f"{w.url}/connections/{shop['id']}/settings",
                       headers={"authorization": f"Bearer {shop['token']}"}, timeout=30).json()
    assert answer["stock"]["reserve_fixed"] == 2 and answer["catalog"]["auto_update"] is False

    # a category's required attributes filled once: its held products go live
    go(frame, "#/categories", "Categories")
    shoot(page, "categories")
    records = products(w, shop["id"])
    pid = next(p for p, r in sorted(records.items()) if "missing_weight" in r.problems)
    category = records[pid].store_category_id
    assert frame.locator(f"tr[data-category='{category}'] .badge", has_text="missing").count() == 1
    held_ids = [p for p, r in products(w, shop["id"]).items() if r.store_category_id == category
                and r.status == "sync_failed" and r.problems == ["missing_required_attribute"]]
    assert held_ids, "no product was held for the category's attributes"
    go(frame, f"#/category?id={category}", "")
    for select in frame.locator("select[data-attribute]").all():
        select.select_option(index=1)
    for field in frame.locator("input[data-attribute]").all():
        field.fill("Natural")
    shoot(page, "category")
    frame.get_by_role("button", name="Save and sync held products").click()
    task_finished(frame)
    live_on_tiktok(w, shop, held_ids, "the held products")

    # a flawed product's reason, fixed in the store, synced from the console, live
    records = products(w, shop["id"])
    assert records[pid].problems == ["missing_weight"], records[pid]
    go(frame, "#/products?status=sync_failed", "Products")
    row = frame.locator(f"tr[data-product='{pid}']")
    assert "weight" in row.locator(".reason").inner_text().lower()
    before = records[pid].store_updated_at
    w.ecwid.update_product(shop["store"], int(pid), {"weight": 1.5})
    until(lambda: products(w, shop["id"])[pid].store_updated_at != before, timeout=30, interval=0.2,
          what="the store's change pulled")
    assert products(w, shop["id"])[pid].status == "sync_failed"  # auto update is off: nothing pushed by itself
    go(frame, f"#/product?id={pid}", "")
    assert "weight" in frame.locator("#product-reason").inner_text().lower()
    frame.get_by_role("button", name="Sync this product").click()
    task_finished(frame)
    assert frame.locator("#task-percent").inner_text() == "100 %"
    assert frame.locator("#task-progress").get_attribute("value") == "100"
    shoot(page, "task")
    live_on_tiktok(w, shop, [pid], "the fixed product")
    go(frame, f"#/product?id={pid}", "")
    status = frame.locator("#product-status")
    status.filter(has_text="Live").or_(status.filter(has_text="In review")).wait_for(timeout=20000)

    # a blocked order (a hand-made TikTok listing no store product is linked to): link its SKU, retry
    order_id, target = blocked_order(w, shop)
    go(frame, "#/orders?state=blocked", "Orders")
    frame.locator(f"tr[data-order='{order_id}']").get_by_role("link", name="Link SKU and retry").click()
    frame.locator("#order-reason").wait_for()
    shoot(page, "order-blocked")
    field = frame.get_by_label("Store product id for this SKU")
    assert field.input_value() == target  # found by the line's seller SKU
    frame.get_by_role("button", name="Link SKU").click()
    frame.locator("#notice.good").wait_for()
    frame.get_by_role("button", name="Retry this order").click()
    task_finished(frame)
    go(frame, f"#/order?id={order_id}", "")
    frame.locator("#order-state", has_text="Created").wait_for(timeout=30000)
    assert any(str(o.get("externalOrderId")) == order_id for o in w.ecwid.orders(shop["store"]))

    go(frame, "#/dashboard", "Dashboard")
    assert not context.outside, context.outside


def live_on_tiktok(w: World, shop: dict[str, Any], ids: list[str], what: str) -> None:
    def statuses() -> dict[str, tuple[str, str | None]]:
        found = products(w, shop["id"])
        return {p: (found[p].status, found[p].reason) for p in ids}

    try:
        until(lambda: all(s in ("in_review", "active") for s, _ in statuses().values()), timeout=90, interval=0.5,
              what=f"{what} on TikTok")
    except AssertionError:
        raise AssertionError(f"{what} are not on TikTok: {statuses()}") from None


def blocked_order(w: World, shop: dict[str, Any]) -> tuple[str, str]:
    from local.demo import hand_made_listing

    records = products(w, shop["id"])
    target = next(p for p, r in sorted(records.items(), key=lambda kv: int(kv[0]))
                  if r.status == "sync_failed" and r.variant_count == 1 and r.sku and r.enabled
                  and not w.ecwid.product(shop["store"], int(p)).get("unlimited")
                  and int(w.ecwid.product(shop["store"], int(p)).get("quantity") or 0) >= 2)
    shop_id = next(s for s, v in w.tiktok.state.shops.items() if str(v.seller_id) == str(shop["seller"]["id"]))
    _tiktok_product, sku_id = hand_made_listing(w, str(shop["seller"]["id"]), shop_id, str(records[target].sku))
    order_id = str(w.tiktok.place_order(shop_id, [(sku_id, 1)])["id"])
    orders = OrderRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
    until(lambda: (o := orders.get(shop["id"], order_id)) is not None and o.state == "blocked" and o.attempts >= 4,
          timeout=60, interval=0.2, what="the order blocked after its automatic retries")
    return order_id, target


def test_a_forged_or_expired_payload_gets_a_clear_page_and_no_data(w: World, admin: cb.AdminHost,
                                                                    shop: dict[str, Any], context: Any) -> None:
    page = context.new_page()
    forged = cb.payload({"store_id": shop["store"], "access_token": store_token(w, shop["store"])},
                        "not-the-apps-client-secret")
    stale = admin_payload(w, shop, access_token="secret_an_old_token_of_this_store")
    for raw, words in ((forged, "The link is not valid"), (stale, "has expired"), ("garbage", "not valid")):
        page.goto(admin.url(f"{w.url}/console/ecwid?payload={raw}"))
        frame = page.frame_locator("iframe#app")
        frame.locator("#refused").wait_for(timeout=20000)
        text = frame.locator("body").inner_text()
        assert words in text and "No store data was shown" in text
        assert shop["id"] not in page.frames[1].content()
        assert "data-session" not in page.frames[1].content()
    shoot(page, "refused")
    answer = httpx.get(f"{w.url}/console/ecwid", params={"payload": stale}, timeout=30)
    assert answer.status_code == 403 and "x-frame-options" not in answer.headers
    assert f"frame-ancestors {admin.origin}" in answer.headers["content-security-policy"]


def test_another_merchants_session_sees_nothing_of_this_connection(w: World, shop: dict[str, Any]) -> None:
    other = install(w, "Other", 0, seed=0)
    mine = httpx.post(f"{w.url}/console/session", json={"connection_id": other["id"], "token": other["token"]},
                      timeout=30)
    assert mine.status_code == 200, mine.text
    header = {"x-console-session": mine.json()["session"]}
    products_page = httpx.get(f"{w.url}/console/view/products", headers=header, timeout=30)
    assert products_page.status_code == 200 and "No products match" in products_page.text
    assert all(str(s.product_id) not in products_page.text for s in shop["seeded"][:5])
    for method, path in (("GET", "/products"), ("GET", "/orders"), ("GET", "/settings"),
                         ("POST", "/catalog/sync"), ("POST", "/disconnect")):
        answer = httpx.request(method, f"{w.url}/connections/{shop['id']}{path}", headers=header, json={}, timeout=30)
        assert answer.status_code == 403, (path, answer.text)
    wrong = httpx.post(f"{w.url}/console/session", json={"connection_id": shop["id"], "token": other["token"]},
                       timeout=30)
    assert wrong.status_code == 403
    forged = httpx.get(f"{w.url}/console/view/products", headers={"x-console-session": "cs.x.9999999999.bad"},
                       timeout=30)
    assert forged.status_code == 401 and "store" not in forged.text.lower()


def test_every_screen_on_its_own_from_a_sign_in_link_at_1280_and_375_px(w: World, shop: dict[str, Any],
                                                                       context: Any) -> None:
    link = httpx.get(f"{w.url}/connections/{shop['id']}/console",
                     headers={"authorization": f"Bearer {shop['token']}"}, timeout=30)
    assert link.status_code == 302 and "#signin=" in link.headers["location"]
    page = context.new_page()
    page.goto(link.headers["location"])
    page.locator("h1", has_text="Dashboard").wait_for(timeout=20000)
    assert "signin" not in page.url  # the code leaves the address bar
    screens = [("dashboard", "#/dashboard", "Dashboard"), ("products", "#/products", "Products"),
               ("orders", "#/orders", "Orders"), ("tasks", "#/tasks", "Tasks"),
               ("categories", "#/categories", "Categories"), ("settings", "#/settings", "Settings"),
               ("connection", "#/connection", "Connection")]
    first_product = products(w, shop["id"])
    failed = next(p for p, r in sorted(first_product.items()) if r.reason)
    screens.append(("product", f"#/product?id={failed}", ""))
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, hash_, heading in screens:
            go(page, hash_, heading)
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("() => document.documentElement.scrollWidth"
                                     " - document.documentElement.clientWidth")
            assert overflow <= 1, f"{name} is wider than {width} px by {overflow} px"
            shoot(page, f"{name}-{width}")
    # keyboard: the skip link comes first; Tab moves along the navigation and Enter follows a link
    page.set_viewport_size({"width": 1280, "height": 900})
    first = page.evaluate("() => document.querySelector('a[href], button, input, select').textContent")
    assert first == "Skip to content"
    page.locator("#nav a").first.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#/products"
    page.keyboard.press("Enter")
    page.locator("main h1", has_text="Products").wait_for()
    page.keyboard.press("Tab")  # focus went to the screen: the next stop is its first field
    assert page.evaluate("() => document.activeElement.id") == "q"
    # search on the server, then a bulk action on a selection: a task that finishes
    sku = next(r.sku for r in first_product.values() if r.status == "active" and r.sku)
    page.get_by_label("Search name or SKU").fill(sku)
    page.locator("#view").evaluate("view => view.insertAdjacentHTML('beforeend', '<i id=stale></i>')")
    page.get_by_role("button", name="Filter").click()
    page.locator("#stale").wait_for(state="detached", timeout=20000)
    assert page.locator("tr[data-product]").count() == 1
    page.locator("tr[data-product] input[name=pick]").check()
    page.get_by_role("button", name="Update stock of selected").click()
    page.locator("#task[data-state=completed]").wait_for(timeout=60000)
    assert "stock update" in page.locator("main h1").inner_text()
    go(page, "#/products", "Products")
    unlabeled = page.evaluate("""() => [...document.querySelectorAll('main input, main select')]
        .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
        .map(el => el.name || el.id)""")
    assert unlabeled == []


def test_disconnect_from_the_console_with_confirmation(w: World, context: Any) -> None:
    leaving = install(w, "Leaving", 0, seed=0)
    page = context.new_page()  # signs in with the form: connection id and connection token
    page.goto(f"{w.url}/console")
    page.get_by_label("Connection id").fill(leaving["id"])
    page.get_by_label("Connection token").fill("mt_not_the_token")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#signin-error", has_text="invalid, expired or withdrawn").wait_for(timeout=20000)
    page.get_by_label("Connection token").fill(leaving["token"])
    page.get_by_role("button", name="Sign in").click()
    page.locator("h1", has_text="Dashboard").wait_for(timeout=20000)
    go(page, "#/connection", "Connection")
    page.get_by_role("button", name="Disconnect…").click()
    confirm = page.locator("#disconnect-confirm")
    assert confirm.is_visible()
    page.get_by_role("button", name="Yes, disconnect").click()
    page.locator("#connection-state", has_text="disconnected").wait_for(timeout=20000)
    # A disconnect ends the connection token and every session, the console's too
    state = httpx.get(f"{w.url}/connections/{leaving['id']}", headers={"authorization": f"Bearer {leaving['token']}"},
                      timeout=30)
    assert state.status_code == 401
    (meta,) = [i for i in w.cloud.client("dynamodb").scan(TableName=w.cloud.table_name())["Items"]
               if i["pk"]["S"] == f"CONN#{leaving['id']}" and i["sk"]["S"] == "META"]
    assert meta["state"]["S"] == "disconnected"
