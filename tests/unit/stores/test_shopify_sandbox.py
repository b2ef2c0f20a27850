"""The sandbox Shopify's pieces without HTTP: the catalog generator, the GraphQL engine's checks,
cost model and paging, the search syntax, the cost bucket and the redirect signature."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from connector.stores.shopify import install_hmac
from local.sandbox_shopify import FLAWS, generate_catalog, sign_query
from local.sandbox_shopify.catalog import FLAW_BAD_BARCODE, FLAW_MANY_VARIANTS, MANY_VARIANTS
from local.sandbox_shopify.graphql import Outcome
from local.sandbox_shopify.schema import ENGINE, Request
from local.sandbox_shopify.state import Bucket, SandboxState, parse_search

SHOP = "unit-sandbox.myshopify.com"


def _gtin_ok(code: str) -> bool:
    digits = [int(c) for c in code]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:-1]))
    return (10 - total % 10) % 10 == digits[-1]


def test_the_generator_is_reproducible_and_seed_dependent() -> None:
    assert generate_catalog(40, seed=3) == generate_catalog(40, seed=3)
    assert generate_catalog(40, seed=3) != generate_catalog(40, seed=4)


def test_every_flaw_shows_in_a_catalog_of_a_few_dozen_and_about_an_eighth_are_flawed() -> None:
    small = Counter(f for p in generate_catalog(60, seed=1) for f in p.flaws)
    assert set(small) == set(FLAWS)
    large = generate_catalog(400, seed=1)
    flawed = [p for p in large if p.flaws]
    assert len(flawed) == 48 and all(len(p.flaws) == 1 for p in flawed)


def test_generated_products_are_shopify_shaped() -> None:
    for product in generate_catalog(120, seed=2):
        spec = product.spec
        assert 1 <= len(spec["options"]) <= 3
        flaw = product.flaws[0] if product.flaws else None
        if flaw == FLAW_MANY_VARIANTS:
            assert len(spec["variants"]) == MANY_VARIANTS
        for index, variant in enumerate(spec["variants"]):
            assert [o["name"] for o in variant["selectedOptions"]] == [o["name"] for o in spec["options"]]
            if variant["barcode"] is not None:
                assert _gtin_ok(variant["barcode"]) is not (flaw == FLAW_BAD_BARCODE and index == 0)
        assert spec["status"] in ("ACTIVE", "DRAFT", "ARCHIVED")


@pytest.fixture
def state() -> SandboxState:
    sandbox = SandboxState(cost_maximum=1000.0, restore_rate=1_000_000.0)
    sandbox.create_shop(SHOP)
    for generated in generate_catalog(30, seed=5):
        sandbox.add_product(SHOP, generated.spec)
    return sandbox


def _run(state: SandboxState, query: str, variables: dict[str, Any] | None = None,
         scopes: tuple[str, ...] = ("read_products",)) -> Outcome:
    shop = state.shop(SHOP)
    assert shop is not None
    return ENGINE.run(query, variables, None, Request(shop, scopes), charge=state.buckets[SHOP].take)


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        ("{ shop { name } }", 1),
        ("{ products(first: 10) { nodes { id } } }", 12),
        ("{ products(first: 10) { edges { cursor node { id } } pageInfo { hasNextPage } } }", 12),
        ("{ products(first: 10) { nodes { id variants(first: 5) { nodes { id } } } } }", 2 + 10 * (1 + 2 + 5)),
        ("{ products(first: 2) { nodes { media(first: 3) { nodes { ... on MediaImage { image { url } } } } } } }",
         2 + 2 * (1 + 2 + 3 * 2)),
    ],
)
def test_requested_cost_follows_shopifys_rules(state: SandboxState, query: str, cost: int) -> None:
    outcome = _run(state, query)
    assert outcome.errors == []
    assert outcome.requested_cost == cost
    assert 0 < outcome.actual_cost <= cost


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ products(first: 1) { nodes { nope } } }", "undefinedField"),
        ("{ products(first: 1, nope: 2) { nodes { id } } }", "argumentNotAccepted"),
        ("{ shop { name { x } } }", "selectionMismatch"),
        ("{ shop }", "selectionMismatch"),
        ("{ products(first: 1) { nodes { ... on Nope { id } } } }", "undefinedType"),
        ("{ products(first: 251) { nodes { id } } }", "BAD_REQUEST"),
        ("{ products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }", "MAX_COST_EXCEEDED"),
        ("mutation { productUpdate { id } }", "undefinedField"),
        ("{ shop { name ", None),
    ],
)
def test_what_shopify_refuses_is_refused_without_data(state: SandboxState, query: str, code: str | None) -> None:
    outcome = _run(state, query)
    assert outcome.data is None and len(outcome.errors) == 1
    assert outcome.errors[0].get("extensions", {}).get("code") == code
    assert outcome.errors[0]["message"]


def test_a_missing_scope_is_access_denied(state: SandboxState) -> None:
    outcome = _run(state, "{ products(first: 1) { nodes { id } } }", scopes=("read_orders",))
    assert outcome.errors[0]["extensions"]["code"] == "ACCESS_DENIED"


def test_cursor_paging_visits_every_product_once(state: SandboxState) -> None:
    query = """query P($after: String) { products(first: 7, after: $after, sortKey: UPDATED_AT) {
        pageInfo { hasNextPage endCursor } nodes { id } } }"""
    seen: list[str] = []
    after = None
    while True:
        outcome = _run(state, query, {"after": after})
        assert outcome.data is not None
        page = outcome.data["products"]
        seen.extend(n["id"] for n in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 30


def test_a_bad_cursor_is_an_error(state: SandboxState) -> None:
    outcome = _run(state, '{ products(first: 2, after: "not-a-cursor") { nodes { id } } }')
    assert outcome.data is None and "cursor" in outcome.errors[0]["message"]


def test_an_empty_bucket_throttles(state: SandboxState) -> None:
    state.buckets[SHOP].drain()
    state.set_cost_limits(1000.0, 0.001)
    state.buckets[SHOP].drain()
    outcome = _run(state, "{ products(first: 5) { nodes { id } } }")
    assert outcome.errors[0]["extensions"]["code"] == "THROTTLED" and outcome.data is None


def test_the_bucket_leaks_back() -> None:
    now = [0.0]
    bucket = Bucket(100.0, 10.0, clock=lambda: now[0])
    assert bucket.take(100) and not bucket.take(1)
    now[0] = 2.0
    assert bucket.status()["currentlyAvailable"] == 20
    assert not bucket.take(21) and bucket.take(20)
    bucket.refund(500)
    assert bucket.status()["currentlyAvailable"] == 100
    assert bucket.throttled == 2


def test_search_terms() -> None:
    checks, warnings = parse_search("updated_at:>='2026-11-01T00:00:05Z' status:active nope:1")
    product = {"updatedAt": "2026-11-01T00:00:06Z", "status": "ACTIVE", "title": "x", "id": "gid://shopify/P/1"}
    assert all(check(product) for check in checks)
    assert all(check({**product, "updatedAt": "2026-11-01T00:00:05Z"}) for check in checks)  # inclusive
    assert not all(check({**product, "updatedAt": "2026-11-01T00:00:04Z"}) for check in checks)
    assert warnings == ["Invalid search field for this query: nope"]


def test_the_sandbox_signs_redirects_as_the_adapter_checks_them() -> None:
    params = {"code": "c&d=1", "shop": SHOP, "state": "100%", "timestamp": "1796000000"}
    assert sign_query("secret", params) == install_hmac("secret", params)


def test_a_bulk_query_flattens_nested_connections_with_parent_ids(state: SandboxState) -> None:
    shop = state.shop(SHOP)
    assert shop is not None
    lines, errors = ENGINE.run_bulk(
        "{ products { edges { node { id variants { edges { node { id sku } } } } } } }",
        Request(shop, ("read_products",)))
    assert errors == []
    products = [line for line in lines if "__parentId" not in line]
    variants = [line for line in lines if "__parentId" in line]
    assert len(products) == 30
    assert {v["__parentId"] for v in variants} == {p["id"] for p in products}
    assert len(variants) == sum(len(p["variants"]) for p in state.products(SHOP))
    # a child line comes after its parent's line
    seen: set[str] = set()
    for line in lines:
        assert line.get("__parentId") is None or line["__parentId"] in seen
        seen.add(line["id"])
