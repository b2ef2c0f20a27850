"""The first catalog sync of a Shopify shop on the local cloud: a sandbox shop with 200 generated
products (options and variants, untracked and zero stock, drafts, deliberate flaws) is installed;
the install's first pull reads the whole catalog by one bulk operation and the catalog state
machine pushes it; the merchant sets the default package size (Shopify keeps no dimensions) and
fills each category's required attributes and certifications, then syncs. Every valid product is
then live on TikTok with its SKUs, prices and stock at the mapped location; each flawed one shows
the reason its flaw calls for, or is listed anyway where the connector works around the flaw
(images, tables, a variant without SKU, 120 variants); drafts and archived products stay off. A
product edited in Shopify reaches TikTok through the signed ``products/update`` delivery, and a
stock change at the mapped location within seconds.

The tests share one world and the merchant's journey (the ``journey`` fixture); the tests that
change the shop work on products of their own, so any test runs alone or in any order."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.catalog.records import ProductRecord, ProductRepository
from connector.links import LinkRepository, SkuLink
from connector.stores.shopify import ShopifyCatalog
from connector.stores.shopify import config as shopify_config
from connector.tasks import TaskRecord, TaskRepository
from local.sandbox_shopify.catalog import (
    FLAW_BAD_BARCODE,
    FLAW_HTML_TABLE,
    FLAW_MANY_VARIANTS,
    FLAW_NO_IMAGE,
    FLAW_NO_SKU,
    FLAW_NO_WEIGHT,
    FLAW_NON_SQUARE_IMAGE,
    FLAW_SMALL_IMAGE,
)
from local.world import Browser, World, page_values, world
from tests.support.wait import until

# A journey of minutes: it starts first, so the workers share the long files (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:No application metrics to publish")]

N_PRODUCTS = 200
SEED = 11
EXPECTED_REASON = {  # flaw -> the problem code the merchant sees
    FLAW_NO_IMAGE: "no_images",
    FLAW_BAD_BARCODE: "bad_identifier",
    FLAW_NO_WEIGHT: "missing_weight",
}
LISTED_ANYWAY = {FLAW_SMALL_IMAGE, FLAW_NON_SQUARE_IMAGE, FLAW_HTML_TABLE, FLAW_NO_SKU, FLAW_MANY_VARIANTS}
"""Flaws the connector lists anyway: images enlarged or padded to squares, the table turned into
text, a variant without SKU listed without a seller SKU, and 120 variants (a US shop takes up to
300 SKUs per product; every variant is read, past the first page of variants)."""
PACKAGE = {"length": "30", "width": "20", "height": "10", "dimension_unit": "cm"}


def _number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    log = tmp_path_factory.mktemp("shopify-catalog") / "functions.jsonl"
    with world(function_log=log, parameters={"CatalogRetrySeconds": 1}) as running:
        yield running


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def products(w: World, conn: str) -> dict[str, ProductRecord]:
    repo = ProductRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
    return {r.store_product_id: r for r in repo.all(conn)}


def tasks(w: World) -> TaskRepository:
    return TaskRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))


def finished(w: World, conn: str, kind: str) -> TaskRecord:
    def probe() -> TaskRecord | None:
        done = [t for t in tasks(w).recent(conn, limit=20) if t.kind == kind and t.state in ("completed", "error")]
        return done[0] if done else None

    record = until(probe, timeout=180, interval=0.3, what=f"{kind} task finished")
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

    record = until(probe, timeout=180, interval=0.3, what="catalog sync finished")
    assert record.state == "completed", record
    return record


def reviews_done(w: World, conn: str) -> dict[str, ProductRecord]:
    """TikTok's reviews end by webhook; the listing-poll schedule (fired here after 30 s without
    progress) catches any the webhooks missed."""
    started = time.monotonic()
    fired: list[float] = []

    def probe() -> dict[str, ProductRecord] | None:
        found = products(w, conn)
        if not any(r.status == "in_review" for r in found.values()):
            return found
        if time.monotonic() - max([started, *fired]) > 30:
            fired.append(time.monotonic())
            w.cloud.fire_schedule("CatalogStepFunction", "ListingPoll")
        return None

    return until(probe, timeout=120, interval=1, what="reviews done")


def fill_categories(w: World, conn: dict[str, Any]) -> list[dict[str, Any]]:
    """Each category's required attributes, filled once with the first value TikTok lists, and its
    required certifications given; the categories as listed."""
    listed: list[dict[str, Any]] = httpx.get(f"{w.url}/connections/{conn['id']}/catalog/categories",
                                             headers=auth(conn["token"]), timeout=30).json()["categories"]
    for mapping in listed:
        missing = {a: spec for a, spec in mapping["attributes"].items() if a in mapping["required_attributes"]}
        certifications = [{"id": c} for c in mapping["required_certifications"]]
        if not missing and not certifications:
            continue
        values = {a: [{"id": next(iter(spec["values"].values()))}] if spec["values"] else [{"name": "Natural"}]
                  for a, spec in missing.items()}
        answer = httpx.put(f"{w.url}/connections/{conn['id']}/catalog/categories/{mapping['store_category_id']}",
                           json={"attribute_values": values, "certifications": certifications},
                           headers=auth(conn["token"]), timeout=30)
        assert answer.status_code == 200, answer.text
    return listed


@pytest.fixture(scope="module")
def journey(w: World) -> dict[str, Any]:
    """The merchant's first catalog journey, each step's outcome kept for the tests to check."""
    assert w.shopify is not None
    seller = w.tiktok.create_seller("Shopify catalog seller", "US")
    domain = w.create_shopify_shop("Catalog Shop", currency="USD")
    seeded = w.shopify.seed_catalog(domain, N_PRODUCTS, seed=SEED)
    started = time.monotonic()
    page = Browser().install_shopify(w, domain, seller_id=seller["id"])
    assert page.status_code == 200, page.text
    values = page_values(page)
    conn: dict[str, Any] = {"id": values["connection-id"], "token": values["merchant-token"], "seller": seller,
                            "domain": domain}
    pull = finished(w, conn["id"], "catalog_pull")
    first_sync_s = time.monotonic() - started
    served = [s.operation for s in w.shopify.served_for(domain)]
    first_records = products(w, conn["id"])
    # The merchant sets the default package size (Shopify products carry no dimensions)...
    answer = httpx.patch(f"{w.url}/connections/{conn['id']}/settings", json={"package": PACKAGE},
                         headers=auth(conn["token"]), timeout=30)
    assert answer.status_code == 200, answer.text
    # ... fills each category's required attributes and certifications, and syncs.
    listed = fill_categories(w, conn)
    after_fill = run_sync(w, conn)
    records = reviews_done(w, conn["id"])
    access, _refresh = w.shopify.issue_token(domain, shopify_config.SCOPES)
    store = ShopifyCatalog(domain, access, shop_base=w.shopify.shop_base)
    return {"conn": conn, "seeded": {_number(gid): generated for gid, generated in seeded}, "pull": pull,
            "first_sync_s": first_sync_s, "served": served, "first_records": first_records, "listed": listed,
            "after_fill": after_fill, "records": records, "in_store": {p.ext_id: p for p in store.list_products()},
            "store": store}


def test_the_install_pulls_the_whole_catalog_by_one_bulk_operation(w: World, journey: dict[str, Any]) -> None:
    conn, pull = journey["conn"], journey["pull"]
    counts = pull.counts
    assert counts["pulled_new"] == N_PRODUCTS, counts
    assert sum(v for k, v in counts.items() if not k.startswith("pulled_") and k != "done") == N_PRODUCTS
    items = list(tasks(w).items(conn["id"], pull.task_id))
    assert len(items) == N_PRODUCTS and all(i.outcome for i in items)
    served = journey["served"]
    assert served.count("BulkProducts") == 1, served
    assert "Products" not in served, served  # no paged read of the catalog
    # Before the merchant's package size, TikTok's required dimensions held every enabled product back.
    enabled = [r for r in journey["first_records"].values() if r.enabled]
    assert enabled and all("missing_dimensions" in r.problems for r in enabled)
    print(f"\nshopify first sync {journey['first_sync_s']:.1f}s {counts}")


def test_categories_come_from_product_types(journey: dict[str, Any]) -> None:
    listed = journey["listed"]
    types = {g.spec["productType"] for g in journey["seeded"].values()}
    assert {m["store_category_id"] for m in listed} == {f"type-{t.lower()}" for t in types}
    assert all(m["tiktok_category_id"] and m["source"] == "suggested" for m in listed)


def test_every_valid_product_is_live_with_its_skus_prices_and_stock(w: World, journey: dict[str, Any]) -> None:
    conn, seeded, records, in_store = journey["conn"], journey["seeded"], journey["records"], journey["in_store"]
    all_links: dict[str, dict[str, SkuLink]] = {}
    for link in LinkRepository(w.cloud.table_name(), w.cloud.client("dynamodb")).all(conn["id"]):
        all_links.setdefault(link.store_product_id, {})[link.variant_key] = link
    live = disabled = 0
    for product_id, generated in seeded.items():
        record = records[product_id]
        flaw = generated.flaws[0] if generated.flaws else None
        if generated.spec["status"] != "ACTIVE":
            assert record.status == "not_synced" and record.reason == "Disabled in the store.", record
            disabled += 1
            continue
        if flaw in EXPECTED_REASON:
            continue  # test_every_flawed_product_shows_its_reason
        assert record.status == "active", (product_id, flaw, record.status, record.problems, record.reason)
        live += 1
        tiktok = w.tiktok.product(record.tiktok_product_id or "")
        assert tiktok["external_product_id"] == product_id
        product_links = all_links.get(product_id, {})
        variants = {v.key: v for v in in_store[product_id].variants}
        assert len(tiktok["skus"]) == len(variants) == len(product_links) == len(generated.spec["variants"])
        for sku in tiktok["skus"]:
            link = product_links[sku["external_sku_id"]]
            variant = variants[link.variant_key]
            assert link.tiktok_sku_id == sku["id"] and link.tiktok_product_id == record.tiktok_product_id
            assert (sku.get("seller_sku") or None) == variant.sku and link.stock_key == variant.stock_key
            assert Decimal(sku["price"]["sale_price"]) == variant.price, (product_id, sku["price"], variant.price)
            assert sku["inventory"][0]["quantity"] == variant.stock.sellable(100), (product_id, sku, variant.stock)
        if flaw in (FLAW_SMALL_IMAGE, FLAW_NON_SQUARE_IMAGE):
            assert all(i["width"] == i["height"] >= 600 for i in tiktok["main_images"]), tiktok["main_images"]
        if flaw == FLAW_HTML_TABLE:
            assert "<table" not in tiktok["description"] and "100 cm" in tiktok["description"]
    assert disabled > 0 and live >= N_PRODUCTS * 0.7, (live, disabled)
    print(f"\nshopify catalog: live={live} disabled={disabled}")


def test_every_flawed_product_shows_its_reason(journey: dict[str, Any]) -> None:
    seeded, records = journey["seeded"], journey["records"]
    flawed: dict[str, int] = {}
    for product_id, generated in seeded.items():
        flaw = generated.flaws[0] if generated.flaws else None
        if flaw not in EXPECTED_REASON or generated.spec["status"] != "ACTIVE":
            continue
        record = records[product_id]
        assert record.status == "sync_failed", (flaw, record)
        assert EXPECTED_REASON[flaw] in record.problems, (flaw, record.problems, record.reason)
        assert record.reason and record.tiktok_product_id is None
        flawed[flaw] = flawed.get(flaw, 0) + 1
    assert set(flawed) == set(EXPECTED_REASON), flawed  # every blocking flaw shown at least once
    listed = {g.flaws[0] for pid, g in seeded.items() if g.flaws and records[pid].status == "active"}
    assert listed == LISTED_ANYWAY, listed


def _own_product(w: World, journey: dict[str, Any], sku: str) -> dict[str, Any]:
    """A product of the calling test's own, added in the shop (``products/create``, with a square
    image of the generated catalog's), pulled, pushed and live."""
    assert w.shopify is not None
    conn = journey["conn"]
    image = next(m["image"] for g in journey["seeded"].values() for m in g.spec["media"]
                 if m["image"]["width"] == m["image"]["height"])
    made = w.shopify.create_product(conn["domain"], {
        "title": f"Scented Candle Cedar {sku}", "descriptionHtml": "<p>A cedar candle.</p>", "vendor": "Blue Fern",
        "productType": "Decor", "status": "ACTIVE", "options": [{"name": "Title", "values": ["Default Title"]}],
        "media": [{"alt": "candle", "image": dict(image)}],
        "variants": [{"sku": sku, "barcode": None, "price": "14.50", "compareAtPrice": None,
                      "inventoryQuantity": 9, "inventoryPolicy": "DENY",
                      "selectedOptions": [{"name": "Title", "value": "Default Title"}],
                      "inventoryItem": {"tracked": True, "measurement": {"weight": {"unit": "KILOGRAMS",
                                                                                     "value": 0.6}}}}]})
    product_id = _number(made["id"])
    until(lambda: products(w, conn["id"]).get(product_id), timeout=60, what="new product pulled")
    run_sync(w, conn, {"product_ids": [product_id]})
    record = until(lambda: (r := products(w, conn["id"]).get(product_id)) is not None and r.tiktok_product_id and r,
                   timeout=60, what="own product pushed")
    assert record
    reviews_done(w, conn["id"])
    return made


def test_a_product_change_in_shopify_updates_tiktok(w: World, journey: dict[str, Any]) -> None:
    assert w.shopify is not None
    conn = journey["conn"]
    made = _own_product(w, journey, "CANDLE-EDIT")
    record = products(w, conn["id"])[_number(made["id"])]
    assert record.status == "active", record

    w.shopify.update_product(conn["domain"], made["id"], {"title": "Scented Candle Cedar Deluxe"})

    until(lambda: w.tiktok.product(record.tiktok_product_id or "")["title"] == "Scented Candle Cedar Deluxe",
          timeout=30, what="the Shopify edit on TikTok")
    assert reviews_done(w, conn["id"])[record.store_product_id].status == "active"


def test_a_stock_change_in_shopify_reaches_tiktok_within_seconds(w: World, journey: dict[str, Any]) -> None:
    assert w.shopify is not None
    conn = journey["conn"]
    made = _own_product(w, journey, "CANDLE-STOCK")
    record = products(w, conn["id"])[_number(made["id"])]

    def quantity() -> int:
        return int(w.tiktok.product(record.tiktok_product_id or "")["skus"][0]["inventory"][0]["quantity"])

    assert quantity() == 9
    started = time.monotonic()
    w.shopify.set_available(conn["domain"], made["variants"][0]["id"], 4)
    until(lambda: quantity() == 4, timeout=15, what="the Shopify stock change on TikTok")
    took = time.monotonic() - started
    print(f"\nshopify stock change on TikTok after {took:.2f}s")
    assert took < 15
