"""The merchant console for a Shopify store, in a real browser (Debian's chromium, Playwright) on
the local cloud: opened from the sandbox Shopify admin's app page (which frames the app URL signed
as Shopify loads an embedded app: ``hmac`` and an ``id_token`` session token), a forged or
expired launch refused with a clear page and no data, another merchant's data out of reach, and
every screen at 1280 px in Shopify's words (the shop's domain, its stock location, product links to
the shop's admin), re-authorization and disconnect."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connector.catalog.records import ProductRepository
from connector.connections.repository import ConnectionRepository
from local.shopify_order_scenario import ShopifyShop, connect_shopify
from local.world import World, world
from tests.support import console_browser as cb
from tests.support.console_browser import go
from tests.support.wait import until

pytestmark = [pytest.mark.skipif(cb.missing_browser() is not None, reason=str(cb.missing_browser())),
              pytest.mark.filterwarnings("ignore:No application metrics to publish")]

SCREENS = [("#/dashboard", "Dashboard"), ("#/products", "Products"), ("#/categories", "Categories"),
           ("#/orders", "Orders"), ("#/tasks", "Tasks"), ("#/settings", "Settings"), ("#/connection", "Connection")]


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    log = tmp_path_factory.mktemp("console-shopify") / "functions.jsonl"
    # The sandbox admin page is served on localhost (cross-site to the console on 127.0.0.1, as
    # Shopify's admin is to the app): the console lets it frame the page.
    with world(function_log=log, parameters={"OrderSettleSeconds": 2, "OrderRelayRetrySeconds": 1},
               environment={"CONSOLE_FRAME_ANCESTORS": "http://localhost:*"}) as running:
        yield running


def products_of(w: World, connection_id: str) -> dict[str, Any]:
    repo = ProductRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
    return {r.store_product_id: r for r in repo.all(connection_id)}


@pytest.fixture(scope="module")
def shop(w: World) -> ShopifyShop:
    """A connected Shopify shop with two products pulled into the catalog and one relayed order."""
    s = connect_shopify(w, products=2, quantity=50)
    answer = httpx.post(f"{w.url}/connections/{s.connection_id}/catalog/sync", json={}, timeout=30,
                        headers={"authorization": f"Bearer {s.merchant_token}"})
    assert answer.status_code in (200, 202), answer.text
    until(lambda: len(products_of(w, s.connection_id)) >= 2, timeout=60, interval=0.3, what="products pulled")
    placed = w.tiktok.place_order(s.shop.id, [(next(iter(s.skus)), 1)])
    until(lambda: (r := s.record(placed["id"])) is not None and r.state == "created" and r.store_order_id,
          timeout=60, interval=0.3, what="the order relayed into the shop")
    return s


def admin_url(w: World, domain: str) -> str:
    assert w.shopify is not None
    return f"{w.shopify.url.replace('127.0.0.1', 'localhost')}/store/{domain}/admin/apps/tiktok-shop"


def open_admin(context: Any, w: World, domain: str) -> tuple[Any, Any]:
    page = context.new_page()
    page.goto(admin_url(w, domain))
    frame = page.frame_locator("iframe#app")
    frame.locator("h1", has_text="Dashboard").wait_for(timeout=20000)
    return page, frame


def session_of(page: Any) -> str:
    value = page.frames[1].evaluate("() => document.body.dataset.session")
    assert isinstance(value, str) and value.startswith("cs.")
    return value


def test_every_screen_opens_from_the_shopify_admin_in_shopifys_words(w: World, shop: ShopifyShop,
                                                                      context: Any) -> None:
    page, frame = open_admin(context, w, shop.domain)
    assert page.frames[1].url.startswith(f"{w.url}/console/shopify?")
    for hash_, heading in SCREENS:
        go(frame, hash_, heading)
        text = frame.locator("#view").inner_text()
        assert "ecwid" not in text.lower(), (hash_, text[:300])
        overflow = page.frames[1].evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (hash_, overflow)
        cb.shoot(page, f"shopify-{heading.lower()}-1280")

    go(frame, "#/connection", "Connection")
    assert frame.locator("#store-title").inner_text().startswith(f"Shopify shop {shop.domain} (USD)")
    assert frame.locator("#store-platform").inner_text() == "Shopify"
    location = frame.locator("#store-location").inner_text()
    assert location.startswith("gid://shopify/Location/") or location.split(",")[0].isdigit(), location

    go(frame, "#/settings", "Settings")
    assert shop.warehouse_id in frame.locator("#stock-location").inner_text()

    go(frame, "#/products", "Products")
    pid = sorted(products_of(w, shop.connection_id))[0]
    assert frame.locator(f"tr[data-product='{pid}']").count() == 1
    go(frame, f"#/product?id={pid}", "")
    link = frame.locator("#store-admin-link")
    assert link.inner_text() == "open in the Shopify admin"
    assert link.get_attribute("href") == f"{w.shopify.url}/store/{shop.domain}/admin/products/{pid}"  # type: ignore[union-attr]

    go(frame, "#/orders", "Orders")
    rows = frame.locator("tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").nth(2).inner_text().strip().isdigit()  # the Shopify order's number

    go(frame, "#/tasks", "Tasks")
    assert frame.locator("#view").get_by_text("catalog", exact=False).count() >= 1
    assert context.outside == []


def test_re_authorize_opens_tiktoks_consent_page_from_the_shopify_admin(w: World, shop: ShopifyShop,
                                                                       context: Any) -> None:
    _page, frame = open_admin(context, w, shop.domain)
    go(frame, "#/connection", "Connection")
    with context.expect_page() as opened:
        frame.locator("#reauthorize").click()
    consent = opened.value
    consent.wait_for_url("**/oauth/authorize**", timeout=20000)
    assert consent.evaluate("() => window.opener") is None
    assert consent.locator("select[name=seller_id]").count() == 1  # TikTok's consent page
    assert any(c["name"] == "tts_oauth" for c in context.cookies(w.url))


@pytest.mark.parametrize("how", ["forged", "expired", "not connected"])
def test_a_forged_expired_or_unconnected_launch_gets_a_clear_page_and_no_data(w: World, shop: ShopifyShop,
                                                                             context: Any, how: str) -> None:
    assert w.shopify is not None
    apps = w.shopify.apps
    if how == "forged":
        url, words = apps.launch_url(shop.domain, secret="not-the-apps-secret"), "not valid"
    elif how == "expired":
        url, words = apps.launch_url(shop.domain, now=time.time() - 3600), "has expired"
    else:
        url, words = apps.launch_url(w.create_shopify_shop("Not installed")), "not connected"
    page = context.new_page()
    answer = page.goto(url)
    assert answer is not None and answer.status == 403
    assert words in page.locator("#refused-reason").inner_text() if how != "not connected" else \
        words in page.locator("main").inner_text()
    assert page.locator("body[data-session]").count() == 0 and page.locator("nav").count() == 0
    assert shop.domain not in page.content() and shop.connection_id not in page.content()


def test_another_shops_console_cannot_reach_this_shops_data(w: World, shop: ShopifyShop, context: Any) -> None:
    other = connect_shopify(w, products=1, quantity=5)
    page, frame = open_admin(context, w, other.domain)
    value = session_of(page)
    headers = {"x-console-session": value}
    assert frame.locator("#view").inner_text().count(shop.domain) == 0
    go(frame, "#/orders", "Orders")
    assert frame.locator("tbody tr").count() == 0  # its own orders: none
    for path in (f"/connections/{shop.connection_id}", f"/connections/{shop.connection_id}/products",
                 f"/connections/{shop.connection_id}/orders", f"/connections/{shop.connection_id}/settings"):
        answer = httpx.get(f"{w.url}{path}", headers=headers, timeout=30)
        assert answer.status_code == 403, (path, answer.status_code)
    pid = sorted(products_of(w, shop.connection_id))[0]
    answer = httpx.get(f"{w.url}/console/view/product", params={"id": pid}, headers=headers, timeout=30)
    assert answer.status_code == 404 and shop.domain not in answer.text

    # and its disconnect, confirmed, ends its own connection only
    go(frame, "#/connection", "Connection")
    frame.locator("button[data-reveal='disconnect-confirm']").click()
    frame.locator("#disconnect-yes").click()
    frame.locator("#connection-state", has_text="disconnected").wait_for(timeout=20000)
    repo = ConnectionRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
    (gone, mine) = (repo.get(other.connection_id), repo.get(shop.connection_id))
    assert gone is not None and gone.state == "disconnected"
    assert mine is not None and mine.state != "disconnected"
    assert httpx.get(f"{w.url}/connections/{other.connection_id}", timeout=30,
                     headers={"authorization": f"Bearer {other.merchant_token}"}).status_code == 401
    reopened = context.new_page()
    assert reopened.goto(w.shopify.apps.launch_url(other.domain)).status == 403  # type: ignore[union-attr]
