"""Collections as categories and deleted products through the Shopify adapter against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.stores.shopify import ShopifyCatalog
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.shopify.conftest import simple_product


def test_collections_come_with_all_their_products(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    seeded = [gid for gid, _ in shopify.seed_catalog(shop, 260)]
    big = shopify.add_collection(shop, "Everything", seeded)  # more than one page of products
    small = [shopify.add_collection(shop, f"Small {n}", seeded[n:n + 2]) for n in range(4)]  # two pages of collections
    categories = {c.ext_id: c for c in store.list_categories()}
    assert set(categories) == {g.rsplit("/", 1)[-1] for g in [big, *small]}
    everything = categories[big.rsplit("/", 1)[-1]]
    assert everything.name == "Everything"
    assert list(everything.product_ids) == [g.rsplit("/", 1)[-1] for g in seeded]
    assert categories[small[3].rsplit("/", 1)[-1]].product_ids == tuple(g.rsplit("/", 1)[-1] for g in seeded[3:5])
    assert all(s.status == 200 and not s.codes for s in shopify.served_for(shop))  # each page under the cost limit


def test_deleted_products_are_read_from_deletion_events(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    kept = shopify.state.add_product(shop, simple_product("KEEP"))
    gone = [shopify.state.add_product(shop, simple_product(f"GONE-{n}"))["id"] for n in range(3)]
    for product in gone:
        shopify.delete_product(shop, product)
    deleted = list(store.deleted_products(since=before))
    assert [d.ext_id for d in deleted] == [g.rsplit("/", 1)[-1] for g in gone]
    assert all(d.deleted_at >= before.replace(microsecond=0) for d in deleted)
    assert kept["id"].rsplit("/", 1)[-1] not in {d.ext_id for d in deleted}
    assert list(store.deleted_products(since=datetime.now(UTC) + timedelta(hours=1))) == []
