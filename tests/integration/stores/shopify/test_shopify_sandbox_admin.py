"""The sandbox Shopify's /_admin endpoints: they drive the sandbox like its Python API, and refuse
bad input with a 400 naming the field (never a 500)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from local.sandbox_shopify import ShopifySandbox

_domains = itertools.count(1)


@pytest.fixture
def admin(shopify: ShopifySandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{shopify.url}/_admin", timeout=5) as client:
        yield client


def test_the_admin_api_drives_the_sandbox(shopify: ShopifySandbox, admin: httpx.Client) -> None:
    domain = f"admin-{next(_domains)}.myshopify.com"
    assert admin.get("/health").json() == {"ok": True}
    assert admin.post("/shops", json={"domain": domain, "currency": "EUR"}).json() == {"shop": domain}
    token = admin.post(f"/shops/{domain}/tokens", json={"scopes": ["read_products", "write_inventory"]}).json()
    assert token["token"].startswith("shpat_") and token["refreshToken"].startswith("shprt_")
    products = admin.post(f"/shops/{domain}/catalog", json={"count": 3, "seed": 1}).json()["products"]
    assert len(products) == 3
    warehouse = admin.post(f"/shops/{domain}/locations", json={"name": "Warehouse"}).json()["id"]
    locations = admin.get(f"/shops/{domain}/locations").json()["items"]
    assert [loc["primary"] for loc in locations] == [True, False] and locations[1]["id"] == warehouse
    item = shopify.state.products(domain)[0]["variants"][0]["inventoryItem"]["id"]
    level = admin.put(f"/shops/{domain}/stock", json={"item": item, "location": warehouse, "available": 7}).json()
    assert level == {"available": 7, "committed": 0, "on_hand": 7}
    assert admin.get(f"/shops/{domain}/stock", params={"item": item, "location": warehouse}).json()["available"] == 7
    collection = admin.post(f"/shops/{domain}/collections", json={"title": "Top", "products": products[:2]}).json()
    assert collection["id"].startswith("gid://shopify/Collection/")
    assert admin.get(f"/shops/{domain}/orders").json() == {"items": []}
    fault = admin.post("/faults", json={"status": 503, "after": True, "operation": "CreateOrder"}).json()
    assert (fault["status"], fault["after"], fault["operation"]) == (503, True, "CreateOrder")
    assert admin.delete("/faults").json() == {"ok": True}
    assert admin.put("/outage", json={"seconds": 30}).json() == {"ok": True}
    assert admin.put("/outage", json={"end": True}).json() == {"ok": True}
    assert admin.put("/cost-limits", json={"maximum": 1000, "restoreRate": 50}).json() == {"ok": True}
    assert admin.put("/search-lag", json={"seconds": 0.5}).json() == {"ok": True}
    assert shopify.state.search_lag_s == 0.5
    assert admin.post(f"/shops/{domain}/throttle", json={"operation": "SetStock", "times": 2}).json() == {"ok": True}
    assert admin.get(f"/shops/{domain}/served").json() == {"items": []}


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("POST", "/shops", {"domain": "not a shop"}, "domain"),
    ("POST", "/shops", {"domain": "x.myshopify.com", "colour": "red"}, "colour"),
    ("POST", "/shops", {"domain": "x.myshopify.com", "currency": "euro"}, "currency"),
    ("POST", "/faults", {"status": "boom"}, "status"),
    ("POST", "/faults", {"status": 200}, "status"),
    ("POST", "/faults", {"operation": "("}, "operation"),
    ("POST", "/faults", {"delay": -1}, "delay"),
    ("PUT", "/outage", {"seconds": "soon"}, "seconds"),
    ("PUT", "/search-lag", {"seconds": None}, "seconds"),
    ("PUT", "/cost-limits", {"maximum": 1.5, "restoreRate": 1}, "maximum"),
    ("PUT", "/cost-limits", {"maximum": 10, "restoreRate": 0}, "restoreRate"),
    ("POST", "/faults", [1, 2], "body"),
])
def test_bad_admin_input_is_a_400_naming_the_field(admin: httpx.Client, method: str, path: str, body: object,
                                                   field: str) -> None:
    response = admin.request(method, path, json=body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert "Traceback" not in response.text


def test_unknown_shops_and_items_are_refused(shopify: ShopifySandbox, shop: str, admin: httpx.Client) -> None:
    assert admin.get("/shops/nowhere.myshopify.com/orders").status_code == 404
    assert admin.get(f"/shops/{shop}/stock", params={"item": "gid://shopify/InventoryItem/1"}).status_code == 404
    response = admin.put(f"/shops/{shop}/stock", json={"item": "gid://shopify/InventoryItem/1", "available": 1})
    assert response.status_code == 400 and "item" in response.json()["errors"]
    assert admin.post(f"/shops/{shop}/catalog", json={"count": -1}).status_code == 400
    assert admin.post(f"/shops/{shop}/tokens", json={"scopes": ["read_everything"]}).status_code == 400
    assert admin.post("/faults", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
