"""The sandbox's admin endpoints (JSON under /_admin): the demo and other processes drive it
over HTTP exactly as tests do through the Python API."""

from __future__ import annotations

import httpx
import pytest

from connector.tiktok import errors as e
from connector.tiktok.client import ShopRef
from connector.tiktok.oauth import StaticToken
from local.sandbox_tiktok import TikTokSandbox, codes

from .conftest import World, active_product, make_client


def test_admin_drives_a_whole_story_over_http(world: World) -> None:
    admin = httpx.Client(base_url=world.sandbox.url + "/_admin", timeout=5)
    _, skus = active_product(world)

    seller = admin.post("/sellers", json={"name": "Admin Seller", "region": "US", "shops": 1}).json()
    tokens = admin.post(f"/sellers/{seller['id']}/tokens").json()
    order = admin.post("/orders", json={"shop_id": world.shop_id, "items": [{"sku_id": skus[0], "quantity": 2}]}).json()
    admin.post(f"/orders/{order['id']}/advance", json={"status": "IN_TRANSIT"})
    config = admin.post("/config", json={"review_delay_s": 12, "rate_limit_per_second": 33}).json()
    admin.post("/faults", json={"kind": "error", "count": 1, "path": "/logistics/202309/warehouses"})
    faults = admin.get("/faults").json()
    state = admin.get("/state").json()

    assert seller["shops"][0]["cipher"].startswith("GCP_")
    assert tokens["access_token"] and tokens["access_token_expire_in"] > 0
    assert len(order["line_items"]) == 2 and order["status"] == "AWAITING_SHIPMENT"
    assert admin.get(f"/orders/{order['id']}").json()["status"] == "IN_TRANSIT"
    assert config["review_delay_s"] == 12 and config["rate_limit_per_second"] == 33
    assert faults[0]["remaining"] == 1
    assert state["authorize_url"] == world.sandbox.authorize_url
    client = make_client(world.sandbox, tokens=StaticToken(tokens["access_token"]))
    shop = seller["shops"][0]
    assert client.get_warehouses(ShopRef(id=shop["id"], cipher=shop["cipher"]))  # retried past the fault
    assert admin.get("/requests", params={"pattern": "/logistics/202309/warehouses"}).json()[-1]["code"] == 0
    assert admin.post("/reset").json() == {"ok": True}
    assert admin.get("/faults").json() == []


def test_admin_expires_tokens_and_reports_errors_as_400(world: World) -> None:
    admin = httpx.Client(base_url=world.sandbox.url + "/_admin", timeout=5)
    expired = admin.post("/tokens/expire", json={"seller_id": world.seller["id"]}).json()
    refused = admin.post("/orders", json={"shop_id": world.shop_id, "items": [{"sku_id": "404", "quantity": 1}]})

    assert expired["expired"] >= 1
    assert refused.status_code == 400 and "unknown SKU" in refused.json()["detail"]
    client = make_client(world.sandbox, tokens=StaticToken(world.tokens.tokens.access_token))
    with pytest.raises(e.TokenExpired) as caught:
        client.get_warehouses(world.shop)
    assert caught.value.tiktok_code == codes.TOKEN_EXPIRED


def test_webhook_log_and_url_over_http(world: World, sandbox: TikTokSandbox) -> None:
    admin = httpx.Client(base_url=world.sandbox.url + "/_admin", timeout=5)
    admin.post("/config", json={"webhook_url": None})
    admin.post(f"/sellers/{world.seller['id']}/authorization_expiring", json={"expiration_time": 99})
    log = admin.get("/webhooks", params={"type": 7}).json()
    mine = [d for d in log if d["shop_id"] == world.shop_id]
    assert mine and mine[-1]["payload"]["data"]["expiration_time"] == "99"
