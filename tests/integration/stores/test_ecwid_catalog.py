"""The Ecwid adapter's catalog surface against the sandbox Ecwid."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.stores import Stock, StoreNotFound, StorePlatform
from connector.stores.ecwid import EcwidStore
from local.sandbox_ecwid import EcwidSandbox

TEE: dict[str, Any] = {
    "sku": "TEE",
    "name": "Classic Tee",
    "price": "20.00",
    "quantity": 10,
    "weight": "0.4",
    "attributes": {"UPC": "036000291452", "Brand": "Acme"},
    "options": [{"type": "SELECT", "name": "Size", "choices": [{"text": t} for t in ("S", "M", "L", "XL")]}],
    "combinations": [
        {"options": [{"name": "Size", "value": "S"}]},  # inherits everything
        {
            "options": [{"name": "Size", "value": "M"}],
            "sku": "TEE-M",
            "quantity": 4,
            "price": "22.50",
            "weight": "0.5",
            "attributes": {"UPC": "012345678905"},
        },
        {"options": [{"name": "Size", "value": "L"}], "sku": "TEE-L"},  # own SKU, the product's stock
        {"options": [{"name": "Size", "value": "XL"}], "sku": "TEE-XL", "unlimited": True},
    ],
}


def _combination_ids(sandbox: EcwidSandbox, store_id: int, product_id: int) -> list[int]:
    return [c["id"] for c in sandbox.product(store_id, product_id)["combinations"]]


def test_the_adapter_is_a_store_platform(ecwid: EcwidStore) -> None:
    assert isinstance(ecwid, StorePlatform)


def test_profile(ecwid: EcwidStore, store_id: int) -> None:
    profile = ecwid.profile()
    assert (profile.store_id, profile.name, profile.currency) == (str(store_id), "Integration Store", "USD")
    assert (profile.weight_unit, profile.dimension_unit) == ("lb", "in")


def test_combination_inheritance_end_to_end(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    product_id = sandbox.add_product(store_id, TEE)
    s, m, large, xl = _combination_ids(sandbox, store_id, product_id)

    # The wire really omits what is inherited.
    raw = {c["id"]: c for c in sandbox.product(store_id, product_id)["combinations"]}
    assert "sku" not in raw[s] and "price" not in raw[s] and "quantity" not in raw[s] and "weight" not in raw[s]
    assert "quantity" not in raw[xl] and raw[xl]["unlimited"] is True

    product = ecwid.get_product(str(product_id))
    by_key = {v.key: v for v in product.variants}
    assert list(by_key) == [f"{product_id}:{c}" for c in (s, m, large, xl)]
    small = by_key[f"{product_id}:{s}"]
    assert (small.sku, small.price, small.weight, small.stock) == (
        "TEE",
        Decimal("20.00"),
        Decimal("0.4"),
        Stock.counted(10),
    )
    assert small.stock_key == str(product_id) and small.gtin == "036000291452"
    medium = by_key[f"{product_id}:{m}"]
    assert (medium.sku, medium.price, medium.weight, medium.stock) == (
        "TEE-M",
        Decimal("22.50"),
        Decimal("0.5"),
        Stock.counted(4),
    )
    assert medium.gtin == "012345678905" and not medium.inherits_stock
    assert by_key[f"{product_id}:{large}"].stock_key == str(product_id)
    assert by_key[f"{product_id}:{xl}"].stock.unlimited
    assert product.brand == "Acme"
    assert [o.values for o in product.options] == [("S", "M", "L", "XL")]

    # Prices read through the adapter follow the same rules.
    assert ecwid.get_price(f"{product_id}:{s}") == Decimal("20.00")
    assert ecwid.get_price(f"{product_id}:{m}") == Decimal("22.50")


def test_stock_writes_land_where_the_stock_lives(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    product_id = sandbox.add_product(store_id, TEE)
    s, m, _, _ = _combination_ids(sandbox, store_id, product_id)
    product = ecwid.get_product(str(product_id))
    small = product.variant(f"{product_id}:{s}")
    medium = product.variant(f"{product_id}:{m}")
    assert small is not None and medium is not None

    ecwid.set_stock(small.stock_key, Stock.counted(25))  # inherited: the product's own figure
    assert sandbox.stock(store_id, product_id) == 25
    assert sandbox.stock(store_id, product_id, s) == 25
    ecwid.set_stock(medium.stock_key, Stock.counted(9))
    assert sandbox.stock(store_id, product_id, m) == 9
    assert sandbox.stock(store_id, product_id) == 25

    ecwid.adjust_stock(medium.stock_key, -2)
    ecwid.adjust_stock(small.stock_key, 5)
    assert sandbox.stock(store_id, product_id, m) == 7
    assert sandbox.stock(store_id, product_id) == 30
    refreshed = ecwid.get_product(str(product_id))
    assert refreshed.variant(f"{product_id}:{m}").stock == Stock.counted(7)  # type: ignore[union-attr]


def test_unlimited_stock(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    product_id = sandbox.add_product(store_id, {"name": "Sticker", "sku": "STK", "price": "2", "unlimited": True})
    assert "quantity" not in sandbox.product(store_id, product_id)
    variant = ecwid.get_product(str(product_id)).variants[0]
    assert variant.stock.unlimited and variant.stock.quantity is None

    ecwid.set_stock(variant.stock_key, Stock.counted(3))
    assert sandbox.stock(store_id, product_id) == 3
    ecwid.set_stock(variant.stock_key, Stock.unlimited_stock())
    assert sandbox.stock(store_id, product_id) is None
    assert ecwid.get_product(str(product_id)).variants[0].stock.unlimited


def test_price_modifier_only_options_make_one_variant(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    product_id = sandbox.add_product(
        store_id,
        {
            "name": "Mug",
            "sku": "MUG",
            "price": "9.99",
            "quantity": 5,
            "options": [
                {
                    "type": "RADIO",
                    "name": "Gift wrap",
                    "choices": [{"text": "No", "priceModifier": 0}, {"text": "Yes", "priceModifier": 2.5}],
                }
            ],
        },
    )
    product = ecwid.get_product(str(product_id))
    assert [v.key for v in product.variants] == [str(product_id)]
    assert product.variants[0].sku == "MUG" and product.options == ()


def test_full_listing_pages_over_more_than_a_hundred(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    seeded = sandbox.seed_catalog(store_id, 230, seed=3)
    products = list(ecwid.list_products())
    assert sorted(int(p.ext_id) for p in products) == sorted(s.product_id for s in seeded)
    pages = sandbox.requests("GET", rf"^/api/v3/{store_id}/products$")
    assert len(pages) >= 3
    assert all("limit=100" in r.query for r in pages)
    # every product is normalised with at least one variant and Decimal prices
    assert all(p.variants and all(isinstance(v.price, Decimal) for v in p.variants) for p in products)
    with_combinations = [p for p in products if len(p.variants) > 1]
    assert with_combinations


def test_incremental_listing_and_deleted_products(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    seeded = sandbox.seed_catalog(store_id, 12, seed=4)
    sandbox.advance_clock(1000)
    checkpoint = datetime.fromtimestamp(sandbox.now() - 10, tz=UTC)
    changed, gone_one, gone_two = seeded[2].product_id, seeded[5].product_id, seeded[7].product_id
    sandbox.update_product(store_id, changed, {"price": "11.11"})  # a merchant's edit
    sandbox.delete_product(store_id, gone_one)
    sandbox.delete_product(store_id, gone_two)

    updated = list(ecwid.list_products(updated_since=checkpoint))
    assert [p.ext_id for p in updated] == [str(changed)]
    assert updated[0].variants[0].price == Decimal("11.11") or len(updated[0].variants) > 1

    deleted = list(ecwid.deleted_products(since=checkpoint))
    assert sorted(int(d.ext_id) for d in deleted) == sorted([gone_one, gone_two])
    assert all(d.deleted_at >= checkpoint for d in deleted)
    before = datetime.fromtimestamp(sandbox.now() + 60, tz=UTC)
    assert list(ecwid.deleted_products(since=before)) == []
    with pytest.raises(StoreNotFound):
        ecwid.get_product(str(gone_one))


def test_categories(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    seeded = sandbox.seed_catalog(store_id, 40, seed=5)
    categories = {c.name: c for c in ecwid.list_categories()}
    assert {"Apparel", "T-Shirts", "Home", "Kitchen", "Beauty"} <= set(categories)
    assert categories["T-Shirts"].parent_id == categories["Apparel"].ext_id
    assert categories["Apparel"].parent_id is None
    listed = {pid for c in categories.values() for pid in c.product_ids}
    uncategorised = {str(s.product_id) for s in seeded if "no_category" in s.flaws}
    assert listed == {str(s.product_id) for s in seeded} - uncategorised


def test_images_are_served_at_their_generated_size(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int) -> None:
    from PIL import Image

    seeded = sandbox.seed_catalog(store_id, 120, seed=6)
    small = next(s for s in seeded if "small_image" in s.flaws)
    wide = next(s for s in seeded if "non_square_image" in s.flaws)
    for entry, check in ((small, lambda w, h: max(w, h) < 600 and w == h), (wide, lambda w, h: w != h)):
        product = ecwid.get_product(str(entry.product_id))
        main = product.images[0]
        assert main.is_main and main.width is not None and main.height is not None
        assert check(main.width, main.height)
        response = httpx.get(main.url, timeout=5)
        assert response.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(response.content)) as image:
            assert image.size == (main.width, main.height)
