"""More of the merchant console in a real browser (Debian's chromium, Playwright) on the local cloud
with both sandboxes: product thumbnails; pre-validation and exclusion on a selection and on every
page; a product's own sync rule, low-stock threshold and brand, used by the stock sync; the
carrier mapping and identifier fields of the settings, refused beside the field; TikTok
re-authorized from the Connection screen inside the (stand-in) Ecwid admin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connector.catalog.records import ProductRecord
from local.world import World, world
from tests.support import console_browser as cb
from tests.support.console_browser import go, install, products, shoot, task_finished
from tests.support.wait import until

pytestmark = pytest.mark.skipif(cb.missing_browser() is not None, reason=str(cb.missing_browser()))

N_PRODUCTS = 24


@pytest.fixture(scope="module")
def admin() -> Iterator[cb.AdminHost]:
    host = cb.AdminHost()
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory, admin: cb.AdminHost) -> Iterator[World]:
    log = tmp_path_factory.mktemp("console-more") / "functions.jsonl"
    with world(function_log=log, parameters={"CatalogRetrySeconds": 1},
               environment={"CONSOLE_FRAME_ANCESTORS": admin.origin}) as running:
        yield running


def api(w: World, shop: dict[str, Any], path: str) -> Any:
    answer = httpx.get(f"{w.url}/connections/{shop['id']}{path}", headers={"authorization": f"Bearer {shop['token']}"},
                       timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def shop(w: World) -> dict[str, Any]:
    return install(w, "Choices", N_PRODUCTS, seed=11)


def signed_in(context: Any, w: World, shop: dict[str, Any]) -> Any:
    link = httpx.get(f"{w.url}/connections/{shop['id']}/console",
                     headers={"authorization": f"Bearer {shop['token']}"}, timeout=30)
    assert link.status_code == 302, link.text
    page = context.new_page()
    page.goto(link.headers["location"])
    page.locator("h1", has_text="Dashboard").wait_for(timeout=20000)
    return page


def refreshed(page: Any, action: Any) -> None:
    """Do ``action`` (which re-renders the screen) and wait until the screen was replaced."""
    page.locator("#view").evaluate("view => view.insertAdjacentHTML('beforeend', '<i id=stale></i>')")
    action()
    page.locator("#stale").wait_for(state="detached", timeout=20000)


def test_thumbnails_prevalidation_and_exclusion_on_a_selection_and_on_every_page(
        w: World, shop: dict[str, Any], context: Any) -> None:
    records = products(w, shop["id"])
    page = signed_in(context, w, shop)
    go(page, "#/products", "Products")
    # thumbnails: the store's main image, fixed size, lazy, loaded
    first = sorted(records)[0]
    image = page.locator(f"tr[data-product='{first}'] td.thumb img")
    assert image.get_attribute("src") == records[first].image_url
    assert (image.get_attribute("loading"), image.get_attribute("width"), image.get_attribute("height")) == \
        ("lazy", "48", "48")
    until(lambda: image.evaluate("img => img.complete && img.naturalWidth > 0"), timeout=20, interval=0.2,
          what="the thumbnail loaded")
    assert image.evaluate("img => [img.getBoundingClientRect().width, img.getBoundingClientRect().height]") == [48, 48]
    shoot(page, "products-thumbnails-1280")

    # pre-validate a selection: the push's own reasons, nothing sent
    flawed = next(p for p, r in sorted(records.items()) if r.status == "sync_failed" and r.reason)
    other = next(p for p in sorted(records) if p != flawed)
    on_tiktok = len(w.tiktok.state.products)
    for pid in (flawed, other):
        page.locator(f"tr[data-product='{pid}'] input[name=pick]").check()
    refreshed(page, lambda: page.get_by_role("button", name="Pre-validate selected").click())
    page.locator("main h1", has_text="Pre-validation").wait_for()
    row = page.locator(f"tr[data-verdict='{flawed}']")
    assert row.get_attribute("data-outcome") == "blocked"
    reasons = row.locator("li.reason").all_inner_texts()
    assert reasons and all(reason in (records[flawed].reason or "") for reason in reasons)
    assert page.locator("tr[data-verdict]").count() == 2
    shoot(page, "validation-1280")
    # ... and the whole catalog, a page at a time
    go(page, "#/validation?all=1", "Pre-validation")
    assert page.locator("tr[data-verdict]").count() == N_PRODUCTS
    assert f"{N_PRODUCTS} checked" in page.locator("#validation-counts").inner_text()
    # the merchant API's own route answers the same verdicts
    bearer = {"authorization": f"Bearer {shop['token']}"}
    answer = httpx.post(f"{w.url}/connections/{shop['id']}/catalog/validate", json={"product_ids": [flawed]},
                        headers=bearer, timeout=30)
    assert answer.status_code == 200, answer.text
    (verdict,) = answer.json()["products"]
    assert verdict["outcome"] == "blocked" and [p["message"] for p in verdict["problems"] if p["blocking"]] == reasons
    bad = httpx.post(f"{w.url}/connections/{shop['id']}/catalog/validate", json={"all": True, "page_token": "x!"},
                     headers=bearer, timeout=30)
    assert bad.status_code == 400 and bad.json()["reason"] == "bad_page_token"
    assert len(w.tiktok.state.products) == on_tiktok
    assert products(w, shop["id"])[flawed] == records[flawed]  # nothing recorded either

    # exclude a selection: never pushed; include it again
    go(page, "#/products", "Products")
    page.locator(f"tr[data-product='{flawed}'] input[name=pick]").check()
    refreshed(page, lambda: page.get_by_role("button", name="Exclude selected").click())
    page.locator(f"tr[data-product='{flawed}'] .badge.excluded").wait_for()
    assert products(w, shop["id"])[flawed].excluded
    page.locator(f"tr[data-product='{flawed}'] input[name=pick]").check()
    page.get_by_role("button", name="Sync selected").click()
    task_finished(page)
    results = page.locator("#view table").inner_text()
    assert "excluded" in results and "Excluded from sync by the merchant" in results
    assert len(w.tiktok.state.products) == on_tiktok
    go(page, "#/products", "Products")
    page.locator(f"tr[data-product='{flawed}'] input[name=pick]").check()
    refreshed(page, lambda: page.get_by_role("button", name="Include selected").click())
    assert page.locator(f"tr[data-product='{flawed}'] .badge.excluded").count() == 0
    assert not products(w, shop["id"])[flawed].excluded

    # every page at once, both ways
    refreshed(page, lambda: page.get_by_role("button", name="Exclude all products").click())
    page.locator("#notice", has_text=f"Excluded from sync: {N_PRODUCTS} product(s)").wait_for()
    assert all(r.excluded for r in products(w, shop["id"]).values())
    refreshed(page, lambda: page.get_by_role("button", name="Include all products").click())
    page.locator("#notice", has_text=f"Included in sync: {N_PRODUCTS} product(s)").wait_for()
    assert not any(r.excluded for r in products(w, shop["id"]).values())
    page.set_viewport_size({"width": 375, "height": 900})
    go(page, "#/validation?all=1", "Pre-validation")
    assert page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
    shoot(page, "validation-375")
    assert not context.outside, context.outside


def test_a_product_s_own_rule_threshold_and_brand_are_saved_and_used_by_the_stock_sync(
        w: World, shop: dict[str, Any], context: Any) -> None:
    records = products(w, shop["id"])

    def single_counted(record: ProductRecord) -> bool:
        store = w.ecwid.product(shop["store"], int(record.store_product_id))
        return (record.variant_count == 1 and record.status in ("in_review", "active")
                and bool(record.tiktok_product_id) and not store.get("unlimited")
                and int(store.get("quantity") or 0) >= 1 and not record.excluded)

    pid = next(p for p, r in sorted(records.items()) if single_counted(r))
    tiktok_id = str(records[pid].tiktok_product_id)
    page = signed_in(context, w, shop)
    go(page, f"#/product?id={pid}", "")
    page.get_by_label("Price", exact=True).select_option("tiktok")
    page.get_by_label("Low-stock threshold in units").fill("99999")
    page.get_by_label("At or below it").select_option("zero_sku")
    page.get_by_label("TikTok brand id").fill("not-a-brand")
    page.get_by_role("button", name="Save choices").click()
    error = page.locator("#product-choices-error")
    error.filter(has_text="brand_id").wait_for()
    assert "low_stock" not in (products(w, shop["id"])[pid].sync_overrides or {})  # nothing saved
    page.get_by_label("TikTok brand id").fill("7082427311584347905")
    refreshed(page, lambda: page.get_by_role("button", name="Save choices").click())
    shoot(page, "product-choices-1280")
    saved = products(w, shop["id"])[pid]
    assert saved.sync_overrides == {"price": "tiktok", "stock_threshold_at": "99999", "stock_threshold": "zero_sku"}
    assert saved.fill is not None and saved.fill.brand_id == "7082427311584347905"
    assert page.get_by_label("Low-stock threshold in units").input_value() == "99999"
    # the stock sync uses them: at or below the product's own threshold, 0 on its SKU
    go(page, "#/products", "Products")
    page.get_by_label("Search name or SKU").fill(str(saved.sku))
    refreshed(page, lambda: page.get_by_role("button", name="Filter").click())
    page.locator(f"tr[data-product='{pid}'] input[name=pick]").check()
    page.get_by_role("button", name="Update stock of selected").click()
    task_finished(page)
    until(lambda: [i["quantity"] for s in w.tiktok.product(tiktok_id)["skus"] for i in s["inventory"]] == [0],
          timeout=30, interval=0.3, what="0 on the product's TikTok SKU")
    # back to the connection's choices
    go(page, f"#/product?id={pid}", "")
    page.get_by_label("Price", exact=True).select_option("")
    page.get_by_label("Low-stock threshold in units").fill("")
    page.get_by_label("At or below it").select_option("")
    refreshed(page, lambda: page.get_by_role("button", name="Save choices").click())
    assert products(w, shop["id"])[pid].sync_overrides == {}


def test_carrier_mapping_and_identifier_fields_are_refused_beside_the_field_then_saved(
        w: World, context: Any) -> None:
    own = install(w, "Carriers", 0, seed=0)
    page = signed_in(context, w, own)
    go(page, "#/settings", "Settings")
    page.get_by_label("Carrier mapping").fill("UPS 7117\nDHL = 7118")
    page.get_by_label("Identifier kinds, preferred first").fill("UPC, BARCODE")
    page.get_by_role("button", name="Save settings").click()
    carrier_error = page.locator("#set-carriers-by_carrier-error")
    carrier_error.wait_for()
    assert "line 1" in carrier_error.inner_text()
    assert page.locator("#set-carriers-by_carrier").get_attribute("aria-invalid") == "true"
    assert api(w, own, "/settings")["carriers"]["by_carrier"] == {}
    page.get_by_label("Carrier mapping").fill("UPS = 7117\nDHL Express = 7118")
    page.get_by_role("button", name="Save settings").click()
    priority_error = page.locator("#set-catalog-identifier_priority-error")
    priority_error.wait_for()
    assert "GTIN" in priority_error.inner_text()
    shoot(page, "settings-carriers-error")
    page.get_by_label("Identifier kinds, preferred first").fill("upc, ean")
    page.get_by_label("Store field for the identifier code").select_option("sku")
    page.get_by_label("Default TikTok shipping provider id").fill("7000")
    page.get_by_role("button", name="Save settings").click()
    page.locator("#settings-saved").wait_for()
    settings = api(w, own, "/settings")
    assert settings["carriers"] == {"default_provider_id": "7000",
                                    "by_carrier": {"ups": "7117", "dhl express": "7118"}}
    assert settings["catalog"]["identifier_priority"] == ["UPC", "EAN"]
    assert settings["catalog"]["identifier_source"] == "sku"
    assert page.get_by_label("Carrier mapping").input_value() == "dhl express = 7118\nups = 7117"


def test_tiktok_is_authorized_again_from_the_connection_screen_inside_the_ecwid_admin(
        w: World, admin: cb.AdminHost, context: Any) -> None:
    own = install(w, "Reauth", 0, seed=0)
    w.tiktok.deauthorize(own["seller"]["id"])
    until(lambda: api(w, own, "")["state"] == "needs_reauth", timeout=30, interval=0.3, what="needs_reauth")
    issued = [t.token for t in w.ecwid.state.tokens.values() if t.store_id == own["store"] and not t.revoked]
    raw = cb.payload({"store_id": own["store"], "access_token": issued[-1], "lang": "en", "view_mode": "PAGE"},
                     w.app_secret["ecwid_client_secret"])
    page = context.new_page()
    page.goto(admin.url(f"{w.url}/console/ecwid?payload={raw}"))
    frame = page.frame_locator("iframe#app")
    frame.locator("h1", has_text="Dashboard").wait_for(timeout=20000)
    frame.locator("body").evaluate("() => { location.hash = '#/connection'; }")
    frame.locator("#reauth-needed").wait_for(timeout=20000)
    shoot(page, "connection-reauthorize")
    with context.expect_page() as opened:
        frame.get_by_role("button", name="Re-authorize TikTok Shop").click()
    consent = opened.value
    consent.wait_for_url("**/oauth/authorize**", timeout=20000)
    assert consent.evaluate("() => window.opener") is None
    assert any(c["name"] == "tts_oauth" for c in context.cookies(w.url))  # bound to this browser
    consent.locator("select[name=seller_id]").select_option(str(own["seller"]["id"]))
    consent.get_by_role("button", name="Authorize").click()
    consent.wait_for_load_state()
    until(lambda: api(w, own, "")["state"] == "active", timeout=30, interval=0.3, what="active again")
    frame.get_by_role("button", name="Check both sides").click()
    frame.locator("#connection-state", has_text="active").wait_for(timeout=20000)
    assert frame.locator("#reauth-needed").count() == 0
    # the link is good for two minutes and for this connection's sessions only: a forged one is refused
    refused = httpx.get(f"{w.url}/console/reauthorize", params={"code": "ra.x.0.9999999999.bad"}, timeout=30,
                        follow_redirects=False)
    assert refused.status_code == 403 and "not valid or has expired" in refused.text
    assert "set-cookie" not in refused.headers
    assert not context.outside, context.outside
