"""Catalog sync on the local cloud with both sandboxes: a generated store of
200 products (variations, deliberate flaws) is connected; the install's pull runs the catalog
state machine; category requirements are filled per category through the merchant API; every
valid product goes live with the right SKUs, prices and stock; each flawed one shows its reason
(or was fixed, for images and tables); a second sync creates nothing; store changes update or
deactivate listings; hand-made TikTok listings are linked by seller SKU, automatically and by hand.
The tests share one world. The merchant's first journey (install, pull, category requirements
filled, reviews, a second sync) is the ``journey`` fixture; the tests that change the store work on
products of their own, so any test runs alone or in any order."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.catalog.records import ProductRecord, ProductRepository
from connector.links import LinkRepository, SkuLink
from connector.stores.ecwid.store import EcwidStore
from connector.tasks import TaskRecord, TaskRepository
from local.sandbox_ecwid.catalog import (
    FLAW_BAD_UPC,
    FLAW_FOUR_OPTIONS,
    FLAW_HTML_TABLE,
    FLAW_NO_CATEGORY,
    FLAW_NO_WEIGHT,
    FLAW_NON_SQUARE_IMAGE,
    FLAW_SMALL_IMAGE,
)
from local.world import Browser, World, page_values, world
from tests.support.wait import until

# A journey of minutes: it starts first, so the workers share the long files (tests/conftest.py).
pytestmark = pytest.mark.slow

N_PRODUCTS = 200
EXPECTED_REASON = {  # flaw -> the problem code the merchant sees
    FLAW_NO_CATEGORY: "no_category",
    FLAW_FOUR_OPTIONS: "too_many_options",
    FLAW_BAD_UPC: "bad_identifier",
    FLAW_NO_WEIGHT: "missing_weight",
}
FIXED_FLAWS = {FLAW_SMALL_IMAGE, FLAW_NON_SQUARE_IMAGE, FLAW_HTML_TABLE}
LIVE = ("in_review", "active")


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Any:
    log = tmp_path_factory.mktemp("catalog") / "functions.jsonl"
    with world(function_log=log, parameters={"CatalogRetrySeconds": 1}) as running:
        yield running


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def products(w: World, conn: str) -> dict[str, ProductRecord]:
    repo = ProductRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
    return {r.store_product_id: r for r in repo.all(conn)}


def tasks(w: World) -> TaskRepository:
    return TaskRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))


def finished(w: World, conn: str, kind: str, after: int = 0) -> TaskRecord:
    def probe() -> TaskRecord | None:
        done = [t for t in tasks(w).recent(conn, limit=20) if t.kind == kind and t.created_at >= after
                and t.state in ("completed", "error")]
        return done[0] if done else None

    record = until(probe, timeout=150, interval=0.3, what=f"{kind} task finished")
    assert record.state == "completed", record
    return record


def run_sync(w: World, conn: dict[str, Any], body: dict[str, Any] | None = None) -> TaskRecord:
    answer = httpx.post(f"{w.url}/connections/{conn['id']}/catalog/sync", json=body or {},
                        headers=auth(conn["token"]), timeout=30)
    assert answer.status_code == 202, answer.text
    task_id = answer.json()["task_id"]

    def probe() -> TaskRecord | None:
        record = tasks(w).get(conn["id"], task_id)
        return record if record is not None and record.state in ("completed", "error") else None

    record = until(probe, timeout=150, interval=0.3, what="catalog sync finished")
    assert record.state == "completed", record
    return record


def reviews_done(w: World, conn: str) -> dict[str, ProductRecord]:
    """Reviews take 30 ms (time scale); webhooks 5/37 move each product out of review, and the
    listing-poll schedule (fired here whenever the records are read) catches any they missed."""
    started = time.monotonic()
    fired: list[float] = []

    def probe() -> dict[str, ProductRecord] | None:
        found = products(w, conn)
        if not any(r.status == "in_review" for r in found.values()):
            return found
        if time.monotonic() - max([started, *fired]) > 30:  # webhooks lost or late: the schedule's turn
            fired.append(time.monotonic())
            w.cloud.fire_schedule("CatalogStepFunction", "ListingPoll")
        return None

    return until(probe, timeout=120, interval=1, what="reviews done")


def _fill_required_attributes(w: World, conn: dict[str, Any], listed: list[dict[str, Any]]) -> None:
    """Each category's required attributes, filled once with the first value TikTok lists."""
    for mapping in listed:
        missing = {a: spec for a, spec in mapping["attributes"].items() if a in mapping["required_attributes"]}
        if not missing:
            continue
        values = {a: [{"id": next(iter(spec["values"].values()))}] if spec["values"] else [{"name": "Natural"}]
                  for a, spec in missing.items()}
        answer = httpx.put(f"{w.url}/connections/{conn['id']}/catalog/categories/{mapping['store_category_id']}",
                           json={"attribute_values": values}, headers=auth(conn["token"]), timeout=30)
        assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def journey(w: World) -> dict[str, Any]:
    """A merchant's first catalog journey, each step's outcome kept for the tests to check: the
    install pulls and pushes a generated catalog, the merchant fills the categories' required
    attributes and syncs, the reviews finish, and a second sync runs."""
    seller = w.tiktok.create_seller("Catalog seller", "US")
    store = w.ecwid.create_store("Catalog store", currency="USD")
    seeded = w.ecwid.seed_catalog(store, N_PRODUCTS, seed=11)
    started = time.monotonic()
    page = Browser().install(w, seller_id=seller["id"], store_id=store)
    values = page_values(page)
    conn: dict[str, Any] = {"id": values["connection-id"], "token": values["merchant-token"], "seller": seller,
                            "store": store}
    pull = finished(w, conn["id"], "catalog_pull")
    first_sync_s = time.monotonic() - started
    listed = httpx.get(f"{w.url}/connections/{conn['id']}/catalog/categories", headers=auth(conn["token"]),
                       timeout=30).json()["categories"]
    held = [r for r in products(w, conn["id"]).values() if "missing_required_attribute" in r.problems]
    _fill_required_attributes(w, conn, listed)
    after_fill = run_sync(w, conn)
    reviews_done(w, conn["id"])
    tiktok_before = (len(w.tiktok.state.products), len(w.tiktok.state.images))
    second = run_sync(w, conn)
    tiktok_after = (len(w.tiktok.state.products), len(w.tiktok.state.images))
    return {"conn": conn, "seeded": {str(s.product_id): s for s in seeded}, "pull": pull, "first_sync_s": first_sync_s,
            "listed": listed, "held": held, "after_fill": after_fill, "second": second,
            "tiktok_before_second": tiktok_before, "tiktok_after_second": tiktok_after}


def test_install_pulls_and_pushes_the_catalog(w: World, journey: dict[str, Any]) -> None:
    conn, pull = journey["conn"], journey["pull"]
    counts = pull.counts
    assert counts["pulled_new"] == N_PRODUCTS
    assert counts.get("created", 0) > N_PRODUCTS // 3 and counts.get("failed", 0) > 0, counts
    assert sum(v for k, v in counts.items() if not k.startswith("pulled_") and k != "done") == N_PRODUCTS
    items = list(tasks(w).items(conn["id"], pull.task_id))
    assert len(items) == N_PRODUCTS and all(i.outcome for i in items)
    print(f"first sync {journey['first_sync_s']:.1f}s {counts}")


def test_categories_were_suggested_and_requirements_filled_in_bulk(w: World, journey: dict[str, Any]) -> None:
    conn, listed, held = journey["conn"], journey["listed"], journey["held"]
    assert listed and all(m["tiktok_category_id"] for m in listed) and all(m["source"] == "suggested" for m in listed)
    assert held and all("TikTok requires" in (r.reason or "") for r in held)
    bad = httpx.put(f"{w.url}/connections/{conn['id']}/catalog/categories/{listed[0]['store_category_id']}",
                    json={"tiktok_category_id": "601152"}, headers=auth(conn["token"]), timeout=30)
    assert bad.status_code == 400 and "leaf" in bad.json()["message"]
    counts = journey["after_fill"].counts
    assert counts.get("created", 0) >= len(held) - 5, counts


def test_every_valid_product_is_live_with_its_skus_prices_and_stock(w: World, journey: dict[str, Any]) -> None:
    conn, seeded = journey["conn"], journey["seeded"]
    records = reviews_done(w, conn["id"])
    all_links: dict[str, dict[str, SkuLink]] = {}
    for link in LinkRepository(w.cloud.table_name(), w.cloud.client("dynamodb")).all(conn["id"]):
        all_links.setdefault(link.store_product_id, {})[link.variant_key] = link
    store = EcwidStore(conn["store"], w.ecwid.issue_token(conn["store"]), api_base=w.ecwid.url)
    in_store = {p.ext_id: p for p in store.list_products()}
    live = 0
    for product_id, seed in seeded.items():
        record = records[product_id]
        if not in_store[product_id].enabled:
            assert record.status == "not_synced" and record.reason == "Disabled in the store.", record
            continue
        flaw = seed.flaws[0] if seed.flaws else None
        if flaw in EXPECTED_REASON:
            assert record.status == "sync_failed", (flaw, record)
            assert EXPECTED_REASON[flaw] in record.problems, (flaw, record.problems, record.reason)
            assert record.reason and record.tiktok_product_id is None
            continue
        assert record.status == "active", (flaw, record)
        live += 1
        tiktok = w.tiktok.product(record.tiktok_product_id or "")
        assert tiktok["external_product_id"] == product_id
        product_links = all_links.get(product_id, {})
        variants = {v.key: v for v in in_store[product_id].variants}
        assert len(tiktok["skus"]) == len(variants) == len(product_links)
        for sku in tiktok["skus"]:
            link = product_links[sku["external_sku_id"]]
            variant = variants[link.variant_key]
            assert link.tiktok_sku_id == sku["id"] and link.tiktok_product_id == record.tiktok_product_id
            assert sku["seller_sku"] == variant.sku and link.stock_key == variant.stock_key
            assert Decimal(sku["price"]["sale_price"]) == variant.price, (product_id, sku["price"], variant.price)
            assert sku["inventory"][0]["quantity"] == variant.stock.sellable(100), (product_id, sku, variant.stock)
        if flaw in FIXED_FLAWS and flaw != FLAW_HTML_TABLE:
            assert all(i["width"] == i["height"] >= 600 for i in tiktok["main_images"]), tiktok["main_images"]
        if flaw == FLAW_HTML_TABLE:
            assert "<table" not in tiktok["description"] and "Chest (cm)" in tiktok["description"]
    assert live >= N_PRODUCTS * 0.75, live


def test_a_second_sync_creates_nothing_and_uploads_nothing(journey: dict[str, Any]) -> None:
    counts = journey["second"].counts
    assert counts.get("created", 0) == 0 and counts.get("updated", 0) == 0, counts
    assert counts["unchanged"] >= N_PRODUCTS * 0.75
    assert journey["tiktok_after_second"] == journey["tiktok_before_second"]


def test_store_changes_update_and_deletion_deactivates(w: World, journey: dict[str, Any]) -> None:
    conn = journey["conn"]
    # Given two products of this test's own, added in the store, their category's requirements
    # filled, and live on TikTok
    added = [str(_store_product(w, conn, f"CHANGE-{i}", f"Scented Candle Cedar {i}")) for i in (1, 2)]
    for product_id in added:
        until(lambda p=product_id: products(w, conn["id"]).get(p), timeout=60, what="new product pulled")
    listed = httpx.get(f"{w.url}/connections/{conn['id']}/catalog/categories", headers=auth(conn["token"]),
                       timeout=30).json()["categories"]
    _fill_required_attributes(w, conn, listed)
    run_sync(w, conn, {"product_ids": added})
    for product_id in added:
        until(lambda p=product_id: _with_status(w, conn["id"], p, None), timeout=60, what="new product pushed")
    records = reviews_done(w, conn["id"])
    target, gone = records[added[0]], records[added[1]]
    assert target.status == gone.status == "active", (target, gone)
    # When one is renamed, the listing follows (and is reviewed again)
    w.ecwid.update_product(conn["store"], int(target.store_product_id), {"name": "Renamed Classic Mug Deluxe"})
    until(lambda: w.tiktok.product(target.tiktok_product_id or "")["title"] == "Renamed Classic Mug Deluxe",
          timeout=30, what="rename reached TikTok")
    assert reviews_done(w, conn["id"])[target.store_product_id].status == "active"
    # When the other is deleted, its listing is deactivated
    w.ecwid.delete_product(conn["store"], int(gone.store_product_id))
    until(lambda: w.tiktok.product(gone.tiktok_product_id or "")["status"] == "SELLER_DEACTIVATED", timeout=30,
          what="deleted product deactivated on TikTok")
    record = until(lambda: _with_status(w, conn["id"], gone.store_product_id, "deactivated"), timeout=30,
                   what="record deactivated")
    assert record.reason == "Deleted in the store."


def _with_status(w: World, conn: str, product_id: str, status: str | None) -> ProductRecord | None:
    """The product's record once it has ``status`` (``None``: once it has a TikTok id)."""
    record = products(w, conn).get(product_id)
    if record is None:
        return None
    if status is None:
        return record if record.tiktok_product_id else None
    return record if record.status == status else None


def _hand_made_listing(w: World, conn: dict[str, Any], seller_sku: str) -> str:
    """A listing made in Seller Center (straight to the TikTok API with the seller's token)."""
    from connector.tiktok.client import ShopRef, TikTokClient
    from connector.tiktok.models import (
        ImageRef,
        InventoryEntry,
        PackageDimensions,
        PackageWeight,
        Price,
        ProductInput,
        SkuInput,
    )
    from connector.tiktok.oauth import StaticToken

    shop = conn["seller"]["shops"][0]
    tokens = w.tiktok.issue_tokens(conn["seller"]["id"])
    client = TikTokClient(w.app_secret["tiktok_app_key"], w.app_secret["tiktok_app_secret"], api_base=w.tiktok.url,
                          auth_base=w.tiktok.auth_url).with_tokens(StaticToken(tokens["access_token"]))
    ref = ShopRef(shop["id"], shop["cipher"])
    from local.sandbox_ecwid.images import render_png

    image = client.upload_image(ref, render_png(800, 800, (10, 120, 200), "hand"))
    created = client.create_product(ref, ProductInput(
        title="Hand made candle listing", description="<p>Made in Seller Center</p>", category_id="1000945",
        category_version="v2", main_images=[ImageRef(uri=image.uri)],
        skus=[SkuInput(seller_sku=seller_sku, inventory=[InventoryEntry(warehouse_id=shop["default_warehouse_id"],
                                                                        quantity=5)],
                       price=Price(amount=Decimal("12.00"), currency="USD"))],
        package_weight=PackageWeight(value="0.5", unit="KILOGRAM"),
        package_dimensions=PackageDimensions(length="10", width="10", height="10", unit="CENTIMETER")))
    return str(created.product_id)


def _store_product(w: World, conn: dict[str, Any], sku: str, name: str = "Scented Candle Amber", *,
                   weight: Decimal | None = Decimal("0.6")) -> int:
    return w.ecwid.add_product(conn["store"], {
        "sku": sku, "name": name, "price": Decimal("14.50"), "quantity": 9,
        "description": "<p>Amber candle</p>", "categories": ["Decor"], "productClass": "General",
        "images": [{"width": 800, "height": 800, "color": (200, 120, 40)}], "weight": weight,
        "dimensions": {"length": 10, "width": 10, "height": 12}, "attributes": {"Brand": "Terra"},
        "options": [], "combinations": []}, notify=True)


def test_a_hand_made_listing_is_linked_by_seller_sku(w: World, journey: dict[str, Any]) -> None:
    conn = journey["conn"]
    before = len(w.tiktok.state.products)
    tiktok_id = _hand_made_listing(w, conn, "HAND-0001")
    product_id = str(_store_product(w, conn, "HAND-0001"))  # the webhook pulls it and links it
    record = until(lambda: _with_status(w, conn["id"], product_id, None), timeout=60, what="new product linked")
    assert record.tiktok_product_id == tiktok_id and record.linked_by == "seller_sku"
    assert len(w.tiktok.state.products) == before + 1  # the hand-made one, no second listing
    (link,) = LinkRepository(w.cloud.table_name(), w.cloud.client("dynamodb")).for_product(conn["id"], product_id)
    assert link.tiktok_sku_id == w.tiktok.product(tiktok_id)["skus"][0]["id"] and link.linked_by == "seller_sku"


def test_linking_by_hand_and_bad_requests(w: World, journey: dict[str, Any]) -> None:
    conn = journey["conn"]
    # Given a product of this test's own that TikTok would refuse (it has no weight)
    flawed = str(_store_product(w, conn, "HAND-FLAWED", "Scented Candle Unweighed", weight=None))
    failed = until(lambda: _with_status(w, conn["id"], flawed, "sync_failed"), timeout=60, what="flawed product")
    assert "missing_weight" in failed.problems
    tiktok_id = _hand_made_listing(w, conn, "HAND-0002")
    url = f"{w.url}/connections/{conn['id']}/catalog/products/{failed.store_product_id}/link"
    answer = httpx.post(url, json={"tiktok_product_id": tiktok_id}, headers=auth(conn["token"]), timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["product"]["tiktok_product_id"] == tiktok_id
    assert answer.json()["product"]["linked_by"] == "hand"
    again = httpx.post(f"{w.url}/connections/{conn['id']}/catalog/products/unknown-1/link",
                       json={"tiktok_product_id": tiktok_id}, headers=auth(conn["token"]), timeout=30)
    assert again.status_code == 404
    bad = httpx.post(url, json={"tiktok_product_id": "abc"}, headers=auth(conn["token"]), timeout=30)
    assert bad.status_code == 400 and "tiktok_product_id" in bad.json()["message"]
    foreign = httpx.post(url, json={"tiktok_product_id": tiktok_id}, headers=auth("not-the-token"), timeout=30)
    assert foreign.status_code in (401, 403)
