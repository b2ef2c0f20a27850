"""The sandbox catalog generator: reproducible, varied, and flawed on purpose (and only there)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from local.sandbox_ecwid.catalog import (
    FLAW_BAD_UPC,
    FLAW_FOUR_OPTIONS,
    FLAW_HTML_TABLE,
    FLAW_NO_CATEGORY,
    FLAW_NO_WEIGHT,
    FLAW_NON_SQUARE_IMAGE,
    FLAW_SMALL_IMAGE,
    FLAWS,
    generate_catalog,
    valid_upc,
)


def detected_flaws(spec: dict[str, Any]) -> set[str]:
    """What a reviewer would find wrong in a product, judged from its spec alone."""
    found = set()
    if not spec["categories"]:
        found.add(FLAW_NO_CATEGORY)
    if len(spec["options"]) >= 4:
        found.add(FLAW_FOUR_OPTIONS)
    images = spec["images"]
    if any(min(i["width"], i["height"]) < 600 for i in images):
        found.add(FLAW_SMALL_IMAGE)
    if any(i["width"] != i["height"] for i in images):
        found.add(FLAW_NON_SQUARE_IMAGE)
    upcs = [spec["attributes"].get("UPC")] + [c.get("attributes", {}).get("UPC") for c in spec["combinations"]]
    if any(u is not None and not valid_upc(u) for u in upcs):
        found.add(FLAW_BAD_UPC)
    if not spec.get("weight"):
        found.add(FLAW_NO_WEIGHT)
    if "<table" in spec["description"]:
        found.add(FLAW_HTML_TABLE)
    return found


def test_same_seed_same_catalog_other_seed_other_catalog() -> None:
    assert generate_catalog(60, seed=7).to_json() == generate_catalog(60, seed=7).to_json()
    assert generate_catalog(60, seed=7).to_json() != generate_catalog(60, seed=8).to_json()


def test_a_prefix_is_not_silently_shared_across_sizes() -> None:
    # n is part of the recipe (which products are flawed depends on it): both stay reproducible.
    assert generate_catalog(30, seed=1).to_json() == generate_catalog(30, seed=1).to_json()
    assert len(generate_catalog(31, seed=1).products) == 31


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_each_flawed_product_has_exactly_its_tagged_flaw(seed: int) -> None:
    catalog = generate_catalog(200, seed=seed)
    for product in catalog.products:
        assert detected_flaws(product.spec) == set(product.flaws), product.index
        assert len(product.flaws) <= 1


@pytest.mark.parametrize("n", [50, 100, 200, 1000])
def test_a_realistic_share_is_flawed_and_every_kind_appears(n: int) -> None:
    catalog = generate_catalog(n, seed=3)
    flawed = catalog.flawed()
    assert 0.10 * n <= len(flawed) <= 0.15 * n
    kinds = Counter(f for flaws in flawed.values() for f in flaws)
    if n >= 100:
        assert set(kinds) == set(FLAWS)


def test_the_catalog_is_varied() -> None:
    products = [p.spec for p in generate_catalog(300, seed=5).products]
    with_combinations = [p for p in products if p["combinations"]]
    assert 0.2 * len(products) < len(with_combinations) < 0.5 * len(products)
    assert any(p.get("unlimited") for p in products)
    assert any(p.get("quantity") == 0 for p in products)
    assert any(p["enabled"] is False for p in products)
    assert any(p.get("compareToPrice") for p in products)
    # price-modifier-only options: options but no combinations
    assert any(p["options"] and not p["combinations"] for p in products)
    combos = [c for p in with_combinations for c in p["combinations"]]
    assert any("sku" not in c for c in combos) and any("sku" in c for c in combos)
    assert any("price" in c for c in combos) and any("price" not in c for c in combos)
    assert any(c.get("unlimited") for c in combos)
    assert len({c for p in products for c in p["categories"]}) >= 6
    sizes = {(i["width"], i["height"]) for p in products for i in p["images"]}
    assert len(sizes) >= 5
    assert len({p["productClass"] for p in products}) == 3
    assert len({p["sku"] for p in products}) == len(products)


def test_zero_products() -> None:
    assert generate_catalog(0).products == []
    with pytest.raises(ValueError):
        generate_catalog(-1)
