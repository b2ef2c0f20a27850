"""The merchant's catalog choices against both sandboxes over HTTP and a moto table: the thumbnail
URL kept on pull, pre-validation (the push's own checks, nothing sent, nothing recorded; a
selection or the whole catalog page by page), exclusion (never pushed until included again)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from connector.catalog.context import Catalog
from connector.catalog.exclusion import set_excluded, set_excluded_page
from connector.catalog.prevalidate import check_page, check_products
from connector.catalog.pull import pull
from connector.catalog.push import EXCLUDED_REASON, push_product
from connector.catalog.records import ListingFill, ProductRepository
from connector.connections.models import Connection, ShopLink
from connector.links import LinkRepository
from connector.settings import ConnectionSettings
from connector.stores.ecwid.store import EcwidStore
from connector.tiktok.client import TikTokClient
from connector.tiktok.oauth import StaticToken
from local.sandbox_ecwid import EcwidSandbox
from local.sandbox_tiktok import TikTokSandbox

pytestmark = pytest.mark.usefixtures("moto_endpoint")


@pytest.fixture(scope="module")
def tiktok() -> Iterator[TikTokSandbox]:
    with TikTokSandbox("choice-key", "choice-secret-0123456789", time_scale=0.0005) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def ecwid() -> Iterator[EcwidSandbox]:
    with EcwidSandbox("choice-ecwid", "choice-ecwid-secret", time_scale=0.001) as sandbox:
        yield sandbox


@pytest.fixture
def shop(tiktok: TikTokSandbox, ecwid: EcwidSandbox, table: str) -> tuple[Catalog, int]:
    seller = tiktok.create_seller("Seller", "US")
    tt_shop = seller["shops"][0]
    store_id = ecwid.create_store("Store", currency="USD")
    ecwid.add_category(store_id, "Kitchen")
    tokens = tiktok.issue_tokens(seller["id"])
    client = TikTokClient("choice-key", "choice-secret-0123456789", api_base=tiktok.url, auth_base=tiktok.auth_url)
    connection = Connection(connection_id=f"c-{store_id}", platform="ecwid", store_id=str(store_id), state="active",
                            created_at=0, updated_at=0)
    cat = Catalog(connection=connection,
                  shop=ShopLink(shop_id=tt_shop["id"], cipher=tt_shop["cipher"], region="US", currency="USD",
                                default_warehouse_id=tt_shop["default_warehouse_id"]),
                  store_factory=lambda: EcwidStore(store_id, ecwid.issue_token(store_id), api_base=ecwid.url),
                  tiktok=client.with_tokens(StaticToken(tokens["access_token"])),
                  products=ProductRepository(table), links=LinkRepository(table), settings=ConnectionSettings())
    return cat, store_id


def _mug(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "sku": "MUG-1", "name": "Classic Ceramic Mug", "price": Decimal("12.50"), "quantity": 7,
        "description": "<p>A mug.</p>", "categories": ["Kitchen"], "productClass": "General",
        "images": [{"width": 800, "height": 800, "color": (10, 20, 30)}],
        "weight": Decimal("0.4"), "dimensions": {"length": 10, "width": 10, "height": 12},
        "attributes": {}, "options": [], "combinations": []}
    spec.update(changes)
    return spec


def _fill_required(cat: Catalog) -> None:
    for mapping in cat.products.mappings(cat.connection_id):
        values = {a: [{"id": next(iter(spec["values"].values()))}] for a, spec in mapping.attributes.items()
                  if a in mapping.required_attributes}
        cat.products.put_mapping(mapping.model_copy(update={"fill": ListingFill.model_validate(
            {"attribute_values": values})}))
    cat._mappings.clear()


def test_pull_keeps_the_main_image_url_and_adds_it_to_a_record_kept_without_one(
        shop: tuple[Catalog, int], ecwid: EcwidSandbox) -> None:
    cat, store_id = shop
    product_id = str(ecwid.add_product(store_id, _mug(), notify=False))
    pull(cat)
    record = cat.products.get(cat.connection_id, product_id)
    assert record is not None and record.image_url and record.image_url.startswith(("http://", "https://"))
    main = cat.store.get_product(product_id).images[0].url
    assert record.image_url == main
    cat.products.update(cat.connection_id, product_id, image_url=None)  # a record kept before thumbnails
    assert pull(cat).counts == {"unchanged": 1}
    again = cat.products.get(cat.connection_id, product_id)
    assert again is not None and again.image_url == main and again.content_hash == record.content_hash


def test_prevalidation_gives_the_push_s_reasons_and_sends_nothing(
        shop: tuple[Catalog, int], ecwid: EcwidSandbox, tiktok: TikTokSandbox) -> None:
    cat, store_id = shop
    flawed = str(ecwid.add_product(store_id, _mug(weight=None), notify=False))
    good = str(ecwid.add_product(store_id, _mug(sku="MUG-2", name="Classic Ceramic Mug Two"), notify=False))
    pull(cat)
    before = cat.products.get(cat.connection_id, flawed)
    products_on_tiktok = len(tiktok.state.products)
    by_id = {v.store_product_id: v for v in check_products(cat, [flawed, good, flawed, "404"])}
    assert list(by_id) == [flawed, good, "404"]
    assert by_id[good].outcome == "blocked" and "Material" in by_id[good].problems[0].message
    assert by_id[flawed].outcome == "blocked"
    assert {p.code for p in by_id[flawed].problems if p.blocking} == {"missing_required_attribute", "missing_weight"}
    assert by_id["404"].outcome == "unknown"
    _fill_required(cat)
    ready = check_products(cat, [good, flawed])
    assert [v.outcome for v in ready] == ["ready", "blocked"]
    assert [p.code for p in ready[1].problems if p.blocking] == ["missing_weight"]
    # The push finds the same reason; pre-validation itself sent and recorded nothing.
    assert len(tiktok.state.products) == products_on_tiktok
    assert cat.products.get(cat.connection_id, flawed) == before
    outcome, reason = push_product(cat, flawed)
    assert outcome == "failed" and reason == ready[1].problems[0].message


def test_prevalidation_of_the_whole_catalog_goes_page_by_page(shop: tuple[Catalog, int], ecwid: EcwidSandbox) -> None:
    cat, store_id = shop
    ids = sorted(str(ecwid.add_product(store_id, _mug(sku=f"MUG-{i}", name=f"Classic Ceramic Mug {i}"), notify=False))
                 for i in range(5))
    ecwid.update_product(store_id, int(ids[4]), {"enabled": False})
    pull(cat)
    _fill_required(cat)
    set_excluded(cat.products, cat.connection_id, [ids[3]], True, 1)
    seen: list[tuple[str, str]] = []
    token = None
    pages = 0
    while True:
        verdicts, token = check_page(cat, token, limit=2)
        pages += 1
        seen += [(v.store_product_id, v.outcome) for v in verdicts]
        if token is None:
            break
    assert pages == 3 and seen == [(ids[0], "ready"), (ids[1], "ready"), (ids[2], "ready"), (ids[3], "excluded"),
                                   (ids[4], "removed")]
    with pytest.raises(ValueError):
        check_page(cat, "not-a-token")


def test_an_excluded_product_is_never_pushed_until_included(
        shop: tuple[Catalog, int], ecwid: EcwidSandbox, tiktok: TikTokSandbox) -> None:
    cat, store_id = shop
    product_id = str(ecwid.add_product(store_id, _mug(), notify=False))
    pull(cat)
    _fill_required(cat)
    assert set_excluded(cat.products, cat.connection_id, [product_id, "404"], True, 5) == (0, ["404"])
    assert set_excluded(cat.products, cat.connection_id, [product_id], True, 5) == (1, [])
    assert set_excluded(cat.products, cat.connection_id, [product_id], True, 6) == (0, [])  # already
    products_on_tiktok = len(tiktok.state.products)
    assert push_product(cat, product_id) == ("excluded", EXCLUDED_REASON)
    assert push_product(cat, product_id, force=True) == ("excluded", EXCLUDED_REASON)
    assert len(tiktok.state.products) == products_on_tiktok
    assert cat.products.get(cat.connection_id, product_id).status == "not_synced"  # type: ignore[union-attr]
    assert set_excluded_page(cat.products, cat.connection_id, False, 7, None) == (1, None)
    assert push_product(cat, product_id) == ("created", None)
    record = cat.products.get(cat.connection_id, product_id)
    assert record is not None and not record.excluded and record.tiktok_product_id


def test_excluding_every_product_goes_page_by_page(shop: tuple[Catalog, int], ecwid: EcwidSandbox) -> None:
    cat, store_id = shop
    for i in range(5):
        ecwid.add_product(store_id, _mug(sku=f"MUG-{i}", name=f"Classic Ceramic Mug {i}"), notify=False)
    pull(cat)
    set_excluded(cat.products, cat.connection_id, [sorted(r.store_product_id for r in cat.products.all(
        cat.connection_id))[1]], True, 1)
    changed, token, pages = 0, None, 0
    while True:
        n, token = set_excluded_page(cat.products, cat.connection_id, True, 2, token, limit=2)
        changed, pages = changed + n, pages + 1
        if token is None:
            break
    assert (changed, pages) == (4, 3)  # one was excluded already
    assert all(r.excluded for r in cat.products.all(cat.connection_id))
    with pytest.raises(ValueError):
        set_excluded_page(cat.products, cat.connection_id, False, 3, "not-a-token")
    assert all(r.excluded for r in cat.products.all(cat.connection_id))
