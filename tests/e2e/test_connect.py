"""Connecting a store to TikTok Shop on the local cloud, with both sandboxes:
the install journey driven like a browser, a second install, forged / expired / replayed
states, refusals, token refresh mid-call and on schedule, de-authorization, disconnect,
tenant isolation, the webhook receivers, and a scan proving no token is stored or logged in
the clear. The tests share one world; each makes the connections it needs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest

from connector.connections.oauth_state import OAuthStates
from local.world import Browser, World, page_values
from tests.support.wait import until


def install(w: World, *, region: str = "US", currency: str = "USD", store: int | None = None,
            seller: dict[str, Any] | None = None) -> dict[str, Any]:
    seller = seller or w.tiktok.create_seller(f"Seller {region}", region)
    store_id = store if store is not None else w.ecwid.create_store(f"Store {currency}", currency=currency)
    browser = Browser()
    page = browser.install(w, seller_id=seller["id"], store_id=store_id)
    assert page.status_code == 200, page.text
    values = page_values(page)
    return {"id": values["connection-id"], "token": values["merchant-token"], "seller": seller, "store": store_id,
            "browser": browser}


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def read(w: World, conn: dict[str, Any], token: str | None = None) -> httpx.Response:
    return httpx.get(f"{w.url}/connections/{conn['id']}", headers=auth(token or conn["token"]), timeout=30)


def metas(w: World) -> list[dict[str, Any]]:
    items = w.cloud.client("dynamodb").scan(TableName=w.cloud.table_name())["Items"]
    return [i for i in items if i["sk"]["S"] == "META" and i["pk"]["S"].startswith("CONN#")]


def signed_tiktok(w: World, payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    secret = w.app_secret["tiktok_app_secret"].encode()
    signature = hmac.new(secret, w.app_secret["tiktok_app_key"].encode() + body, hashlib.sha256).hexdigest()
    return httpx.post(f"{w.url}/webhooks/tiktok", content=body,
                      headers={"authorization": signature, "content-type": "application/json"}, timeout=30)


# ---------------------------------------------------------------------- install and authorization
def test_install_journey_ends_active_with_shops_warehouses_and_a_catalog_pull(connected_world: World) -> None:
    w = connected_world
    conn = install(w)

    # The browser that finished the install holds a session for its own connection.
    by_session = conn["browser"].get(f"{w.url}/connections/{conn['id']}")
    assert by_session.status_code == 200, by_session.text
    body = by_session.json()
    assert body["state"] == "active" and body["syncing"] is True and body["store_currency"] == "USD"
    (shop,) = body["shops"]
    seller_shop = conn["seller"]["shops"][0]
    assert shop["shop_id"] == seller_shop["id"] and shop["currency"] == "USD" and shop["region"] == "US"
    assert shop["default_warehouse_id"] == seller_shop["default_warehouse_id"]
    assert "cipher" not in shop
    # The initial catalog pull ran as a task through the catalog state machine (an empty store:
    # nothing to push), and is recorded completed.
    tasks = until(lambda: [i for i in w.cloud.client("dynamodb").query(
        TableName=w.cloud.table_name(), KeyConditionExpression="pk = :pk AND begins_with(sk, :t)",
        ExpressionAttributeValues={":pk": {"S": f"CONN#{conn['id']}"}, ":t": {"S": "TASK#"}})["Items"]
        if i.get("state", {}).get("S") in ("completed", "error")], timeout=30, what="catalog pull task finished")
    assert tasks[0]["kind"]["S"] == "catalog_pull" and tasks[0]["state"]["S"] == "completed"


def test_second_install_of_the_same_store_updates_the_connection(connected_world: World) -> None:
    w = connected_world
    first = install(w)
    before = len(metas(w))
    again = install(w, store=first["store"], seller=first["seller"])
    assert again["id"] == first["id"] and len(metas(w)) == before
    assert read(w, again).json()["state"] == "active"
    assert read(w, first).status_code == 401  # the token from the first install was replaced


def test_currency_mismatch_pauses_with_the_reason(connected_world: World) -> None:
    w = connected_world
    conn = install(w, region="GB", currency="USD")
    body = read(w, conn).json()
    assert body["state"] == "paused" and body["syncing"] is False
    assert body["reason"].startswith("currency_mismatch") and "GBP" in body["reason"]


# ---------------------------------------------------------------------- bad input
def _callback(w: World, query: str, browser: str = "browser-nonce") -> httpx.Response:
    return httpx.get(f"{w.url}/oauth/ecwid/callback?{query}", cookies={"tts_oauth": browser}, timeout=30)


def test_forged_expired_and_replayed_states_are_refused_and_create_nothing(connected_world: World) -> None:
    w = connected_world
    before = len(metas(w))
    store = w.ecwid.create_store("Forgery target")
    w.ecwid.default_store_id = store
    # Walk to the store's redirect by hand to hold the callback URL.
    hop = httpx.get(f"{w.url}/install/ecwid", timeout=30)
    callback = httpx.get(hop.headers["location"], timeout=30).headers["location"]
    state = callback.split("state=")[1].split("&")[0]
    state_id, expires, signature = httpx.QueryParams(f"s={state}")["s"].split(".")

    tampered = _callback(w, f"code=whatever&state={state_id}.{int(expires) + 999}.{signature}")
    assert tampered.status_code == 400 and "no longer valid" in tampered.text
    forged = _callback(w, "code=whatever&state=abc.9999999999.Zm9yZ2Vk")
    assert forged.status_code == 400
    states = OAuthStates(w.cloud.table_name(), w.app_secret["state_signing_key"], client=w.cloud.client("dynamodb"),
                         clock=lambda: time.time() - 3600)
    expired = _callback(w, f"code=whatever&{httpx.QueryParams({'state': states.issue('store_install', browser='b')})}")
    assert expired.status_code == 400
    assert len(metas(w)) == before

    first = httpx.get(callback, cookies=hop.cookies, timeout=30)  # the real one goes on to TikTok
    assert first.status_code == 302 and "/oauth/authorize" in first.headers["location"]
    replay = httpx.get(callback, cookies=hop.cookies, timeout=30)
    assert replay.status_code == 400  # single use: the replay finds the state consumed
    assert len(metas(w)) == before + 1


def test_refusals_and_failed_exchanges_create_nothing(connected_world: World) -> None:
    w = connected_world
    before = len(metas(w))
    states = OAuthStates(w.cloud.table_name(), w.app_secret["state_signing_key"], client=w.cloud.client("dynamodb"))
    issue = lambda: states.issue("store_install", browser="browser-nonce")  # noqa: E731
    denied = _callback(w, f"error=access_denied&{httpx.QueryParams({'state': issue()})}")
    assert denied.status_code == 200 and "cancelled" in denied.text
    failed = _callback(w, f"code=not-a-code&{httpx.QueryParams({'state': issue()})}")
    assert failed.status_code == 400 and "start the installation again" in failed.text.lower()
    assert len(metas(w)) == before

    # Refusing on TikTok's page: the connection stays pending, nothing else is saved.
    seller = w.tiktok.create_seller("Refuser", "US")
    page = Browser().install(w, seller_id=seller["id"], store_id=w.ecwid.create_store("Refusing store"),
                             decision="deny")
    assert page.status_code == 200 and "cancelled" in page.text
    refused = [m for m in metas(w) if m["state"]["S"] == "pending"]
    assert refused and all("tiktok_tokens_ct" not in m for m in refused)


# ---------------------------------------------------------------------- tokens
def test_access_token_expiring_mid_call_is_refreshed_once_and_no_call_is_lost(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    w.tiktok.clear_requests()
    w.tiktok.expire_access_tokens(conn["seller"]["id"])

    checked = httpx.post(f"{w.url}/connections/{conn['id']}/check", headers=auth(conn["token"]), timeout=30)

    assert checked.status_code == 200, checked.text
    result = checked.json()
    assert result["tiktok_ok"] and result["store_ok"] and result["state"] == "active"
    assert result["shops"][0]["default_warehouse_id"]
    shops_calls = len(w.tiktok.requests("/authorization/202309/shops"))
    assert shops_calls == 2  # refused with 105002, refreshed, the same call again: not lost
    # The refreshed set (with its rotated refresh token) was stored: a second check needs no refresh.
    again = httpx.post(f"{w.url}/connections/{conn['id']}/check", headers=auth(conn["token"]), timeout=30)
    assert again.json()["tiktok_ok"] and len(w.tiktok.requests("/authorization/202309/shops")) == shops_calls + 1


def test_schedule_refreshes_due_tokens_and_a_refused_refresh_needs_reauthorization(connected_world: World) -> None:
    w = connected_world
    w.tiktok.config.access_token_ttl_s = 3600  # every token is due within the refresh margin
    try:
        conn = install(w)
        before = read(w, conn).json()["tiktok_access_expires_at"]
        result = w.cloud.fire_schedule("TokenRefreshFunction", "RefreshSchedule")
        assert conn["id"] in result["refreshed"]
        assert read(w, conn).json()["tiktok_access_expires_at"] >= before

        w.tiktok.expire_refresh_tokens(conn["seller"]["id"])
        result = w.cloud.fire_schedule("TokenRefreshFunction", "RefreshSchedule")
        assert conn["id"] in result["failed"]
        body = read(w, conn).json()
        assert body["state"] == "needs_reauth" and body["reason"] == "tiktok_refresh_failed"
        # It left the refresh queue: the next run does not fail on it again.
        assert conn["id"] not in w.cloud.fire_schedule("TokenRefreshFunction", "RefreshSchedule")["failed"]
    finally:
        w.tiktok.config.access_token_ttl_s = 7 * 86400


def test_deauthorization_pauses_and_reauthorizing_resumes(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    w.tiktok.deauthorize(conn["seller"]["id"])
    until(lambda: read(w, conn).json()["state"] == "needs_reauth", timeout=20, what="needs_reauth")
    assert read(w, conn).json()["reason"] == "tiktok_seller_deauthorized"

    browser: Browser = conn["browser"]
    consent = browser.http.get(f"{w.url}/connections/{conn['id']}/reauthorize")
    page = browser.tiktok_consent(consent, conn["seller"]["id"])
    assert page.status_code == 200, page.text
    body = read(w, conn).json()
    assert body["state"] == "active" and body["reason"] is None


def test_expiring_authorization_webhook_needs_reauthorization(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    w.tiktok.warn_authorization_expiry(conn["seller"]["id"])
    until(lambda: read(w, conn).json()["state"] == "needs_reauth", timeout=20, what="needs_reauth")
    assert read(w, conn).json()["reason"] == "tiktok_authorization_expiring"


# ---------------------------------------------------------------------- isolation
def test_one_merchant_cannot_read_or_change_another_merchants_connection(connected_world: World) -> None:
    w = connected_world
    alice, bob = install(w), install(w)
    assert read(w, bob, alice["token"]).status_code == 403
    assert alice["browser"].get(f"{w.url}/connections/{bob['id']}").status_code == 403
    assert httpx.get(f"{w.url}/connections/{bob['id']}", timeout=30).status_code == 401
    for action in ("check", "disconnect"):
        refused = httpx.post(f"{w.url}/connections/{bob['id']}/{action}", headers=auth(alice["token"]), timeout=30)
        assert refused.status_code == 403
    assert httpx.get(f"{w.url}/connections/{bob['id']}/reauthorize", headers=auth(alice["token"]),
                     timeout=30).status_code == 403
    assert read(w, bob).json()["state"] == "active"
    assert httpx.get(f"{w.url}/connections/nonexistent", headers=auth(alice["token"]), timeout=30).status_code == 403


# ---------------------------------------------------------------------- disconnect
def test_disconnect_deletes_tokens_stops_work_and_purges_on_request(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    done = httpx.post(f"{w.url}/connections/{conn['id']}/disconnect", headers=auth(conn["token"]), timeout=30)
    assert done.status_code == 200 and done.json()["state"] == "disconnected"
    (meta,) = [m for m in metas(w) if m["pk"]["S"] == f"CONN#{conn['id']}"]
    assert not {"store_token_ct", "tiktok_tokens_ct", "gsi3pk"} & set(meta)
    # Work for it stops: a webhook for its shop is skipped by the worker, the schedule ignores it.
    skipped = w.cloud.function("ConnectionEventsFunction").stats.invocations
    shop_id = conn["seller"]["shops"][0]["id"]
    sent = signed_tiktok(w, {"type": 1, "tts_notification_id": f"after-{conn['id']}", "shop_id": shop_id,
                             "timestamp": int(time.time()),
                             "data": {"order_id": "5761", "order_status": "AWAITING_SHIPMENT"}})
    assert sent.json()["outcome"] == "queued"
    until(lambda: w.cloud.function("ConnectionEventsFunction").stats.invocations > skipped, timeout=20,
          what="event consumed")
    w.cloud.wait_idle(timeout=20)
    assert w.cloud.queue_depth("TikTokEventsDLQ") == 0
    assert conn["id"] not in json.dumps(w.cloud.fire_schedule("TokenRefreshFunction", "RefreshSchedule"))

    # The disconnect withdrew the merchant's token (purging on request: tests/e2e/test_tenant_isolation.py).
    purged = httpx.post(f"{w.url}/connections/{conn['id']}/disconnect", headers=auth(conn["token"]),
                        content=b'{"purge": true}', timeout=30)
    assert purged.status_code == 401


def test_store_uninstall_disconnects(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    w.ecwid.uninstall(conn["store"])
    meta = lambda: next(m for m in metas(w) if m["pk"]["S"] == f"CONN#{conn['id']}")  # noqa: E731
    until(lambda: meta()["state"]["S"] == "disconnected", timeout=20, what="disconnected")
    assert meta()["reason"]["S"] == "store_app_uninstalled" and read(w, conn).status_code == 401


# ---------------------------------------------------------------------- webhook receivers
def test_webhook_receivers_verify_dedupe_and_ignore_unknown_tenants(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    shop_id = conn["seller"]["shops"][0]["id"]
    event = {"type": 1, "tts_notification_id": f"n-{conn['id']}", "shop_id": shop_id, "timestamp": 1,
             "data": {"order_id": "5764", "order_status": "AWAITING_SHIPMENT"}}
    assert signed_tiktok(w, event).json() == {"outcome": "queued", "reason": None}
    assert signed_tiktok(w, event).json()["outcome"] == "duplicate"
    unknown_shop = {**event, "tts_notification_id": "x", "shop_id": "999"}
    assert signed_tiktok(w, unknown_shop).json()["reason"] == "unknown_tenant"
    assert signed_tiktok(w, {**event, "tts_notification_id": "y", "type": 99}).json()["reason"] == "unknown_event_type"
    assert signed_tiktok(w, {"type": 1, "shop_id": shop_id, "data": {"no_order": 1}}).status_code == 400
    assert signed_tiktok(w, {"nonsense": True}).json()["reason"] == "unknown_event_type"
    forged = httpx.post(f"{w.url}/webhooks/tiktok", content=json.dumps(event).encode(),
                        headers={"authorization": "0" * 64, "content-type": "application/json"}, timeout=30)
    assert forged.status_code == 401 and forged.json()["reason"] == "bad_signature"

    body = json.dumps({"eventId": "e-1", "eventCreated": 1795424400, "storeId": conn["store"], "entityId": 7,
                       "eventType": "product.updated"}).encode()
    digest = hmac.new(w.app_secret["ecwid_client_secret"].encode(), b"1795424400.e-1", hashlib.sha256).digest()
    good = {"x-ecwid-webhook-signature": base64.b64encode(digest).decode(), "content-type": "application/json"}
    assert httpx.post(f"{w.url}/webhooks/ecwid", content=body, headers=good, timeout=30).json()["outcome"] == "queued"
    bad = {**good, "x-ecwid-webhook-signature": "AAAA"}
    assert httpx.post(f"{w.url}/webhooks/ecwid", content=body, headers=bad, timeout=30).status_code == 401
    assert httpx.post(f"{w.url}/webhooks/ecwid", content=b"[1]", headers=good, timeout=30).status_code == 400
    # Events naming entities that do not exist (order 5764, product 7) are consumed and
    # recorded with their outcome, never dead-lettered.
    w.cloud.wait_idle(timeout=20)
    assert w.cloud.queue_depth("TikTokEventsDLQ") == 0 and w.cloud.queue_depth("StoreEventsDLQ") == 0
    logs = w.logs[0].read_text()  # type: ignore[attr-defined]
    routed = [json.loads(line) for line in logs.splitlines() if '"event routed"' in line]
    assert {"order_status_change", "product_changed"} <= {line.get("kind") for line in routed}
    assert '"reason":"unknown_tenant"' in logs


# ---------------------------------------------------------------------- no token in the clear
def test_no_token_is_stored_or_logged_in_the_clear(connected_world: World) -> None:
    w = connected_world
    # Given installs, a refresh mid-call, a scheduled refresh and a disconnect, each handling tokens
    made = [install(w) for _ in range(3)]
    w.tiktok.expire_access_tokens(made[0]["seller"]["id"])
    checked = httpx.post(f"{w.url}/connections/{made[0]['id']}/check", headers=auth(made[0]["token"]), timeout=30)
    assert checked.status_code == 200, checked.text
    w.cloud.fire_schedule("TokenRefreshFunction", "RefreshSchedule")
    gone = httpx.post(f"{w.url}/connections/{made[2]['id']}/disconnect", headers=auth(made[2]["token"]), timeout=30)
    assert gone.status_code == 200, gone.text
    w.cloud.wait_idle(timeout=30)
    # Then no token the platforms issued, no merchant token and no app secret is in the table or the logs
    secrets = {conn["token"] for conn in made}
    secrets |= {value for value, token in w.tiktok.state.tokens.items() if token.kind in ("access", "refresh", "code")}
    secrets |= set(w.ecwid.state.tokens)
    secrets |= {w.app_secret["tiktok_app_secret"], w.app_secret["ecwid_client_secret"],
                w.app_secret["state_signing_key"]}
    assert len(secrets) > 15
    table = json.dumps(w.cloud.client("dynamodb").scan(TableName=w.cloud.table_name())["Items"], default=str)
    logs = "".join(p.read_text(encoding="utf-8") for p in w.logs if p.exists())  # type: ignore[attr-defined]
    assert len(logs) > 1000
    leaked = sorted(s[:6] + "..." for s in secrets if s in table or s in logs)
    assert not leaked, f"tokens in the clear: {leaked}"


pytestmark = pytest.mark.timeout(300)
