"""Catalog sync (the modules of connector.catalog) against both sandboxes over HTTP and a moto table:
pull with content hashes, suggested mappings, push with ids and links, idempotency (a lost
record never makes a second TikTok product), sales attributes by TikTok id, description measured
after its images are re-hosted, linking by seller SKU, removal, review status."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from connector.catalog.context import Catalog
from connector.catalog.mapping import ensure_mappings
from connector.catalog.pull import content_hash, pull
from connector.catalog.push import push_product
from connector.catalog.records import ListingFill, ProductRepository
from connector.catalog.review import refresh_status
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
    with TikTokSandbox("cat-key", "cat-secret-0123456789", time_scale=0.0005) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def ecwid() -> Iterator[EcwidSandbox]:
    with EcwidSandbox("cat-ecwid", "cat-ecwid-secret", time_scale=0.001) as sandbox:
        yield sandbox


def _catalog(tiktok: TikTokSandbox, ecwid: EcwidSandbox, table: str, settings: ConnectionSettings | None = None,
             ) -> tuple[Catalog, int]:
    seller = tiktok.create_seller("Seller", "US")
    shop = seller["shops"][0]
    store_id = ecwid.create_store("Store", currency="USD")
    ecwid.add_category(store_id, "Kitchen")
    tokens = tiktok.issue_tokens(seller["id"])
    client = TikTokClient("cat-key", "cat-secret-0123456789", api_base=tiktok.url, auth_base=tiktok.auth_url)
    connection = Connection(connection_id=f"c-{store_id}", platform="ecwid", store_id=str(store_id), state="active",
                            created_at=0, updated_at=0)
    cat = Catalog(connection=connection,
                  shop=ShopLink(shop_id=shop["id"], cipher=shop["cipher"], region="US", currency="USD",
                                default_warehouse_id=shop["default_warehouse_id"]),
                  store_factory=lambda: EcwidStore(store_id, ecwid.issue_token(store_id), api_base=ecwid.url),
                  tiktok=client.with_tokens(StaticToken(tokens["access_token"])),
                  products=ProductRepository(table), links=LinkRepository(table),
                  settings=settings or ConnectionSettings())
    return cat, store_id


def _mug(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "sku": "MUG-1", "name": "Classic Ceramic Mug", "price": Decimal("12.50"), "quantity": 7,
        "description": "<p>A mug.</p>", "categories": ["Kitchen"], "productClass": "General",
        "images": [{"width": 800, "height": 800, "color": (10, 20, 30)}, {"width": 1200, "height": 600,
                                                                         "color": (40, 50, 60)}],
        "weight": Decimal("0.4"), "dimensions": {"length": 10, "width": 10, "height": 12},
        "attributes": {"Brand": "Acme"}, "options": [], "combinations": []}
    spec.update(changes)
    return spec


def _fill_kitchen(cat: Catalog) -> None:
    for mapping in cat.products.mappings(cat.connection_id):
        values = {a: [{"id": next(iter(spec["values"].values()))}] for a, spec in mapping.attributes.items()
                  if a in mapping.required_attributes}
        cat.products.put_mapping(mapping.model_copy(update={"fill": ListingFill.model_validate(
            {"attribute_values": values})}))
    cat._mappings.clear()


def test_content_hash_ignores_stock_and_times(tiktok: TikTokSandbox, ecwid: EcwidSandbox, table: str) -> None:
    cat, store_id = _catalog(tiktok, ecwid, table)
    product_id = ecwid.add_product(store_id, _mug(), notify=False)
    before = cat.store.get_product(str(product_id))
    ecwid.update_product(store_id, product_id, {"quantity": 3})
    after_stock = cat.store.get_product(str(product_id))
    ecwid.update_product(store_id, product_id, {"price": Decimal("13.00")})
    after_price = cat.store.get_product(str(product_id))
    assert content_hash(before) == content_hash(after_stock) != content_hash(after_price)


def test_pull_suggests_mappings_and_costs_nothing_when_unchanged(tiktok: TikTokSandbox, ecwid: EcwidSandbox,
                                                                 table: str) -> None:
    cat, store_id = _catalog(tiktok, ecwid, table)
    ids = [ecwid.add_product(store_id, _mug(sku=f"MUG-{i}", name=f"Classic Ceramic Mug {i}"), notify=False)
           for i in range(3)]
    first = pull(cat)
    assert first.counts == {"new": 3} and sorted(first.changed) == sorted(str(i) for i in ids)
    (mapping,) = cat.products.mappings(cat.connection_id)
    assert mapping.tiktok_category_id == "1000039" and mapping.source == "suggested"  # Drinkware (v2, US)
    assert mapping.required_attributes == {"101700": "Material"} and "color" in mapping.sales_attributes
    second = pull(cat)
    assert second.counts == {"unchanged": 3} and second.changed == []
    ecwid.update_product(store_id, ids[0], {"name": "Classic Ceramic Mug XL"})
    ecwid.delete_product(store_id, ids[1])
    third = pull(cat, mode="incremental", since=None)
    assert third.counts.get("changed") == 1 and third.counts.get("deleted") == 1, third.counts
    assert cat.products.get(cat.connection_id, str(ids[1])).deleted  # type: ignore[union-attr]


def test_push_creates_once_records_ids_links_and_survives_a_lost_record(tiktok: TikTokSandbox, ecwid: EcwidSandbox,
                                                                        table: str) -> None:
    cat, store_id = _catalog(tiktok, ecwid, table)
    product_id = str(ecwid.add_product(store_id, _mug(), notify=False))
    pull(cat)
    outcome, reason = push_product(cat, product_id)
    assert outcome == "failed" and reason and "Material" in reason  # the category requires it
    _fill_kitchen(cat)
    assert push_product(cat, product_id) == ("created", None)
    record = cat.products.get(cat.connection_id, product_id)
    assert record is not None and record.status == "in_review" and record.tiktok_product_id
    detail = tiktok.product(record.tiktok_product_id)
    assert detail["external_product_id"] == product_id
    assert all(i["width"] == i["height"] >= 600 for i in detail["main_images"])  # the 1200x600 one was padded
    (link,) = cat.links.for_product(cat.connection_id, product_id)
    assert link.tiktok_sku_id == detail["skus"][0]["id"] and link.seller_sku == "MUG-1"
    assert detail["skus"][0]["inventory"][0]["quantity"] == 7
    uploads = len(tiktok.state.images)
    assert push_product(cat, product_id) == ("unchanged", None)
    # A crash between TikTok's answer and our write: the record forgets the id; pushing again
    # finds the same TikTok product (idempotency key), never a second one.
    cat.products.update(cat.connection_id, product_id, tiktok_product_id=None, pushed_hash=None,
                        status="not_synced")
    products_before = len(tiktok.state.products)
    assert push_product(cat, product_id)[0] in ("created", "linked")
    again = cat.products.get(cat.connection_id, product_id)
    assert again is not None and again.tiktok_product_id == record.tiktok_product_id
    assert len(tiktok.state.products) == products_before and len(tiktok.state.images) == uploads


def test_options_go_as_tiktok_sales_attributes_and_description_images_are_rehosted(
        tiktok: TikTokSandbox, ecwid: EcwidSandbox, table: str) -> None:
    cat, store_id = _catalog(tiktok, ecwid, table)
    donor = ecwid.add_product(store_id, _mug(sku="DONOR", enabled=False), notify=False)
    image = cat.store.get_product(str(donor)).images[0].url
    spec = _mug(options=[{"type": "SELECT", "name": "Color", "required": True,
                          "choices": [{"text": "Black", "priceModifier": 0}, {"text": "Teal", "priceModifier": 0}]}],
                combinations=[{"options": [{"name": "Color", "value": "Black"}], "sku": "MUG-B", "quantity": 2},
                              {"options": [{"name": "Color", "value": "Teal"}], "sku": "MUG-T", "quantity": 4}],
                description=f'<p>A mug.</p><p><img src="{image}"></p>')
    product_id = str(ecwid.add_product(store_id, spec, notify=False))
    pull(cat)
    _fill_kitchen(cat)
    assert push_product(cat, product_id) == ("created", None)
    record = cat.products.get(cat.connection_id, product_id)
    assert record is not None and record.tiktok_product_id
    stored = tiktok.state.products[record.tiktok_product_id]
    attributes = {s.seller_sku: s.sales_attributes[0] for s in stored.skus}
    assert attributes["MUG-B"]["id"] == "100000" and attributes["MUG-B"]["value_id"] == "1001"  # Color: Black
    assert attributes["MUG-T"]["id"] == "100000" and attributes["MUG-T"].get("value_name") == "Teal"
    assert tiktok.image_url_prefix in str(stored.body["description"])
    assert len(cat.links.for_product(cat.connection_id, product_id)) == 2


def test_hand_made_listing_is_linked_by_seller_sku_and_removal_deactivates(tiktok: TikTokSandbox,
                                                                           ecwid: EcwidSandbox, table: str) -> None:
    cat, store_id = _catalog(tiktok, ecwid, table)
    first = str(ecwid.add_product(store_id, _mug(sku="MUG-A"), notify=False))
    pull(cat)
    _fill_kitchen(cat)
    push_product(cat, first)
    made = cat.products.get(cat.connection_id, first)
    assert made is not None and made.tiktok_product_id
    # The same seller SKU in a second store (connection) on the same shop: linked, not created.
    other, other_store = _catalog(tiktok, ecwid, table)
    other.shop, other.tiktok = cat.shop, cat.tiktok
    twin = str(ecwid.add_product(other_store, _mug(sku="MUG-A"), notify=False))
    pull(other)
    _fill_kitchen(other)
    count = len(tiktok.state.products)
    assert push_product(other, twin) == ("linked", None)
    linked = other.products.get(other.connection_id, twin)
    assert linked is not None and linked.tiktok_product_id == made.tiktok_product_id
    assert linked.linked_by == "seller_sku" and len(tiktok.state.products) == count
    # Removal: deleted in the store -> deactivated on TikTok.
    ecwid.delete_product(store_id, int(first))
    pull(cat)
    assert push_product(cat, first) == ("deactivated", "Deleted in the store.")
    assert tiktok.product(made.tiktok_product_id)["status"] == "SELLER_DEACTIVATED"


def test_review_status_is_read_from_tiktok(tiktok: TikTokSandbox, ecwid: EcwidSandbox, table: str) -> None:
    cat, store_id = _catalog(tiktok, ecwid, table)
    product_id = str(ecwid.add_product(store_id, _mug(sku="MUG-R"), notify=False))
    pull(cat)
    _fill_kitchen(cat)
    tiktok.set_review_outcome("FAILED", "Image shows a watermark")
    try:
        push_product(cat, product_id)
        record = cat.products.get(cat.connection_id, product_id)
        assert record is not None and record.tiktok_product_id
        deadline = time.monotonic() + 10
        while tiktok.product(record.tiktok_product_id)["status"] == "PENDING" and time.monotonic() < deadline:
            tiktok.review_now(record.tiktok_product_id)
        assert refresh_status(cat, record.tiktok_product_id) == "review_failed"
        failed = cat.products.get(cat.connection_id, product_id)
        assert failed is not None and failed.status == "review_failed" and "watermark" in (failed.reason or "")
    finally:
        tiktok.set_review_outcome("APPROVED")


def test_ensure_mappings_flags_invite_only_categories(tiktok: TikTokSandbox, ecwid: EcwidSandbox, table: str) -> None:
    from connector.catalog.mapping import describe_category

    cat, store_id = _catalog(tiktok, ecwid, table)
    ecwid.add_product(store_id, _mug(), notify=False)
    pull(cat)
    (mapping,) = ensure_mappings(cat) or cat.products.mappings(cat.connection_id)
    fragrance = describe_category(cat, mapping, "1001530")
    assert fragrance.invite_only and not mapping.invite_only
    with pytest.raises(ValueError):
        describe_category(cat, mapping, "1001450")  # not a leaf
