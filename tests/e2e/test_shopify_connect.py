"""A Shopify store connected to TikTok Shop on the local cloud, with the sandbox Shopify: the
install journey (signed consent callback, state bound to the browser, TikTok authorization,
warehouse, currency check), refused install requests, signed webhooks reaching the catalog, a
forged delivery refused, a replayed one de-duplicated, the privacy topics' effects and the
expiring store token refreshed by the schedule. The tests share one world; each makes the
connections it needs."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.stores.shopify.webhooks import signature
from local.sandbox_shopify import sign_query
from local.world import Browser, World, page_values, world
from tests.support.wait import until

# Functions answer without custom metrics on some refusals; Powertools warns about each.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


@pytest.fixture(scope="module")
def w() -> Iterator[World]:
    with world() as running:
        yield running


def install(w: World, *, currency: str = "USD", region: str = "US", products: int = 0) -> dict[str, Any]:
    assert w.shopify is not None
    seller = w.tiktok.create_seller(f"Seller {uuid.uuid4().hex[:6]}", region)
    shop = w.create_shopify_shop("Shop", currency=currency)
    seeded = w.shopify.seed_catalog(shop, products) if products else []
    browser = Browser()
    page = browser.install_shopify(w, shop, seller_id=seller["id"])
    assert page.status_code == 200, page.text
    values = page_values(page)
    return {"id": values["connection-id"], "token": values["merchant-token"], "shop": shop, "seller": seller,
            "browser": browser, "products": [pid for pid, _ in seeded]}


def table_items(w: World, connection_id: str, prefix: str = "") -> list[dict[str, Any]]:
    if not prefix:
        return w.cloud.client("dynamodb").query(
            TableName=w.cloud.table_name(), KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"CONN#{connection_id}"}})["Items"]
    return w.cloud.client("dynamodb").query(
        TableName=w.cloud.table_name(), KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": f"CONN#{connection_id}"}, ":p": {"S": prefix}})["Items"]


def delivery(w: World, shop: str, topic: str, payload: dict[str, Any], *, webhook_id: str | None = None,
             secret: str | None = None) -> httpx.Response:
    body = json.dumps(payload).encode()
    return httpx.post(f"{w.url}/webhooks/shopify", content=body, timeout=30, headers={
        "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()), "X-Shopify-Triggered-At": "2026-12-06T10:00:00Z",
        "X-Shopify-Hmac-SHA256": signature(secret or w.app_secret["shopify_client_secret"], body)})


def test_install_journey_ends_active_with_the_shop_its_currency_and_an_expiring_token(w: World) -> None:
    conn = install(w)
    body = conn["browser"].get(f"{w.url}/connections/{conn['id']}").json()
    assert (body["platform"], body["store_id"], body["state"]) == ("shopify", conn["shop"], "active")
    assert body["store_currency"] == "USD" and body["shops"][0]["currency"] == "USD"
    assert body["shops"][0]["default_warehouse_id"] == conn["seller"]["shops"][0]["default_warehouse_id"]
    (meta,) = table_items(w, conn["id"], "META")
    assert int(meta["store_access_expires_at"]["N"]) > 0
    assert table_items(w, conn["id"], "STOREREFRESH")  # queued for the schedule's refresh


def test_a_currency_mismatch_pauses_the_connection_with_the_reason(w: World) -> None:
    conn = install(w, currency="EUR", region="US")
    state = httpx.get(f"{w.url}/connections/{conn['id']}", timeout=30,
                      headers={"authorization": f"Bearer {conn['token']}"}).json()
    assert state["state"] == "paused" and state["reason"].startswith("currency_mismatch")


@pytest.mark.parametrize("query", ["", "shop=evil.example.com", "shop=x.myshopify.com&hmac=00&timestamp=1"])
def test_install_requests_that_name_no_shop_or_are_forged_are_refused(w: World, query: str) -> None:
    page = httpx.get(f"{w.url}/install/shopify?{query}", timeout=30)
    assert page.status_code == 400 and "not valid" in page.text


def test_a_callback_not_signed_by_shopify_or_without_state_is_refused(w: World) -> None:
    assert w.shopify is not None
    shop = w.create_shopify_shop("Callback")
    unsigned = httpx.get(f"{w.url}/oauth/shopify/callback", timeout=30,
                         params={"code": "c", "shop": shop, "state": "s.1.x", "timestamp": "1", "hmac": "00"})
    assert unsigned.status_code == 400
    params = {"code": "c", "shop": shop, "timestamp": str(int(time.time()))}
    params["hmac"] = sign_query(w.app_secret["shopify_client_secret"], params)
    no_state = httpx.get(f"{w.url}/oauth/shopify/callback", params=params, timeout=30)
    assert no_state.status_code == 400 and "no longer valid" in no_state.text


def test_a_consent_link_opened_in_another_browser_is_refused(w: World) -> None:
    assert w.shopify is not None
    shop = w.create_shopify_shop("Victim")
    w.shopify.auto_approve = False
    try:
        attacker = Browser()
        consent = attacker.get(w.shopify_install_link(shop))
        approve = consent.text.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        victim = Browser()
        page = victim.get(w.shopify.url + approve)
        assert page.status_code == 400 and "another browser" in page.text
    finally:
        w.shopify.auto_approve = True


def test_a_signed_product_change_reaches_the_catalog(w: World) -> None:
    assert w.shopify is not None
    conn = install(w, products=2)
    product_gid = conn["products"][0]
    number = product_gid.rsplit("/", 1)[-1]
    w.shopify.update_product(conn["shop"], product_gid, {"title": "Renamed by the merchant"})
    record = until(lambda: next((i for i in table_items(w, conn["id"], f"PRODUCT#{number}")
                                 if i.get("title", {}).get("S") == "Renamed by the merchant"), None),
                   timeout=30, what="the product record renamed")
    assert record["sk"]["S"] == f"PRODUCT#{number}"


def test_a_forged_delivery_is_refused_and_a_replayed_one_is_taken_once(w: World) -> None:
    shop = install(w)["shop"]
    forged = delivery(w, shop, "products/update", {"id": 1}, secret="not-the-app-secret")
    assert forged.status_code == 401 and forged.json()["reason"] == "bad_signature"
    malformed = delivery(w, shop, "products/update", {"title": "no id"})
    assert malformed.status_code == 400 and malformed.json()["reason"] == "malformed_body"
    webhook_id = str(uuid.uuid4())
    first = delivery(w, shop, "products/update", {"id": 4242}, webhook_id=webhook_id)
    replay = delivery(w, shop, "products/update", {"id": 4242}, webhook_id=webhook_id)
    assert (first.status_code, first.json()["outcome"]) == (200, "queued")
    assert (replay.status_code, replay.json()["outcome"]) == (200, "duplicate")


def _order_record(w: World, connection_id: str, tiktok_order_id: str, store_order_id: str) -> None:
    from connector import dynamo
    from connector.orders.order_record import OrderRecord, to_attributes

    record = OrderRecord(connection_id=connection_id, tiktok_order_id=tiktok_order_id, shop_id="s", state="created",
                         store_order_id=store_order_id, buyer_ref="b" * 16, tracking_number="TRK",
                         total=Decimal("12.00"), created_at=1, updated_at=1)
    w.cloud.client("dynamodb").put_item(TableName=w.cloud.table_name(), Item=dynamo.to_item({
        "pk": f"CONN#{connection_id}", "sk": f"ORDER#{tiktok_order_id}", **to_attributes(record)}))


def test_privacy_requests_report_and_erase_what_we_hold(w: World) -> None:
    assert w.shopify is not None
    conn = install(w)
    _order_record(w, conn["id"], "TT-1", "5001")
    _order_record(w, conn["id"], "TT-2", "5002")
    w.shopify.request_customer_data(conn["shop"], 77, [5001, 6000])
    report = until(lambda: table_items(w, conn["id"], "PRIVACY#"), timeout=30, what="the data request report")
    held = report[0]["orders_held"]["L"]
    assert [o["M"]["tiktok_order_id"]["S"] for o in held] == ["TT-1"]

    w.shopify.redact_customer(conn["shop"], 77, [5001])
    erased = until(lambda: next((i for i in table_items(w, conn["id"], "ORDER#TT-1") if "buyer_ref" not in i), None),
                   timeout=30, what="the buyer details erased")
    assert "tracking_number" not in erased and erased["store_order_id"]["S"] == "5001"
    assert "buyer_ref" in table_items(w, conn["id"], "ORDER#TT-2")[0]

    # A store erasure while the app is installed is refused; after the uninstall, it erases all.
    w.shopify.redact_shop(conn["shop"])
    w.shopify.uninstall(conn["shop"])
    until(lambda: table_items(w, conn["id"], "META")[0]["state"]["S"] == "disconnected", timeout=30,
          what="the connection ended by app/uninstalled")
    assert table_items(w, conn["id"], "ORDER#")  # the refused erasure left the records
    w.shopify.redact_shop(conn["shop"])
    until(lambda: table_items(w, conn["id"]) == [], timeout=30, what="the store's data erased")


def test_the_schedule_refreshes_an_expiring_store_token_and_the_store_still_answers(w: World) -> None:
    assert w.shopify is not None
    w.shopify.state.token_ttl_s = 600.0  # inside the schedule's margin
    try:
        conn = install(w)
    finally:
        w.shopify.state.token_ttl_s = 3600.0
    result = w.cloud.fire_schedule("TokenRefreshFunction", "RefreshSchedule")
    assert conn["id"] in result["stores_refreshed"]
    check = httpx.post(f"{w.url}/connections/{conn['id']}/check", timeout=30,
                       headers={"authorization": f"Bearer {conn['token']}"})
    assert check.status_code == 200 and check.json()["store_ok"] is True


def test_a_cancelled_tiktok_authorization_links_back_to_the_shopify_install(w: World) -> None:
    seller = w.tiktok.create_seller("Cancelling", "US")
    shop = w.create_shopify_shop("Cancel")
    page = Browser().install_shopify(w, shop, seller_id=seller["id"], decision="cancel")
    assert page.status_code == 200 and "Installation cancelled" in page.text
    assert f'href="{w.url}/install/shopify"' in page.text
