"""Each merchant's data only theirs, on the local cloud with both sandboxes: the TikTok consent
link of one merchant's flow cannot connect another seller's shop (browser-bound OAuth state,
same-seller re-authorization), one TikTok shop belongs to one connection, a replayed or stale
uninstall changes nothing, and withdrawn merchant credentials (rotate, revoke, disconnect) stop
working at once. Every test builds its own merchants (no test reads another's state)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.world import Browser, World, page_values
from tests.support.wait import until


def install(w: World, *, seller: dict[str, Any] | None = None, store: int | None = None) -> dict[str, Any]:
    seller = seller or w.tiktok.create_seller("Seller", "US")
    store_id = store if store is not None else w.ecwid.create_store("Store", currency="USD")
    browser = Browser()
    page = browser.install(w, seller_id=seller["id"], store_id=store_id)
    assert page.status_code == 200, page.text
    values = page_values(page)
    return {"id": values["connection-id"], "token": values["merchant-token"], "seller": seller, "store": store_id,
            "browser": browser}


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def item(w: World, pk: str, sk: str = "CLAIM") -> dict[str, Any] | None:
    found = w.cloud.client("dynamodb").get_item(TableName=w.cloud.table_name(),
                                                Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
    return found.get("Item")


def connection_items(w: World, connection_id: str) -> list[dict[str, Any]]:
    return w.cloud.client("dynamodb").query(
        TableName=w.cloud.table_name(), KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CONN#{connection_id}"}}, ConsistentRead=True)["Items"]


def snapshot(w: World, connection_id: str) -> list[dict[str, Any]]:
    """The connection's META and shop items, as stored (ciphertexts included)."""
    return sorted((i for i in connection_items(w, connection_id) if i["sk"]["S"] == "META"
                   or i["sk"]["S"].startswith("SHOP#")), key=lambda i: i["sk"]["S"])


def tokens_issued_to(w: World, seller_id: str) -> int:
    return sum(1 for t in w.tiktok.state.tokens.values() if t.seller_id == seller_id and t.kind == "access")


def consent_url_of_reauthorize(w: World, attacker: dict[str, Any]) -> str:
    """What the attacker's own reauthorize call hands out: the genuine TikTok consent URL."""
    answer = attacker["browser"].http.get(f"{w.url}/connections/{attacker['id']}/reauthorize",
                                          follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["location"])


def signed_tiktok(w: World, payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    secret = w.app_secret["tiktok_app_secret"].encode()
    signature = hmac.new(secret, w.app_secret["tiktok_app_key"].encode() + body, hashlib.sha256).hexdigest()
    return httpx.post(f"{w.url}/webhooks/tiktok", content=body,
                      headers={"authorization": signature, "content-type": "application/json"}, timeout=30)


def order_event(shop_id: str, notification_id: str) -> dict[str, Any]:
    return {"type": 1, "tts_notification_id": notification_id, "shop_id": shop_id, "timestamp": int(time.time()),
            "data": {"order_id": "5761", "order_status": "AWAITING_SHIPMENT"}}


# ---------------------------------------------------------------------- takeover through the consent link
def test_reauthorize_link_approved_by_another_seller_connects_nothing(connected_world: World) -> None:
    w = connected_world
    attacker = install(w)
    victim_seller = w.tiktok.create_seller("Victim", "US")
    before = snapshot(w, attacker["id"])
    issued = tokens_issued_to(w, victim_seller["id"])

    link = consent_url_of_reauthorize(w, attacker)
    victim = Browser()  # the victim opens the genuine TikTok page the attacker sent and approves
    page = victim.tiktok_consent(victim.get(link), victim_seller["id"])

    assert page.status_code == 400, page.text
    assert "browser" in page.text and "merchant-token" not in page.text
    assert tokens_issued_to(w, victim_seller["id"]) == issued  # the victim's code was never exchanged
    assert snapshot(w, attacker["id"]) == before  # the attacker's connection is unchanged
    victim_shop = victim_seller["shops"][0]["id"]
    assert item(w, f"SHOPCLAIM#{victim_shop}") is None
    assert signed_tiktok(w, order_event(victim_shop, f"takeover-{attacker['id']}")).json()["reason"] == "unknown_tenant"


def test_fresh_install_consent_link_approved_by_another_seller_connects_nothing(connected_world: World) -> None:
    w = connected_world
    attacker_browser = Browser()
    w.ecwid.default_store_id = w.ecwid.create_store("Attacker store", currency="USD")
    consent = attacker_browser.get(w.install_link())  # the attacker stops on TikTok's page
    assert "/oauth/authorize" in str(consent.url)
    victim_seller = w.tiktok.create_seller("Victim", "US")
    issued = tokens_issued_to(w, victim_seller["id"])

    victim = Browser()
    page = victim.tiktok_consent(victim.get(str(consent.url)), victim_seller["id"])

    assert page.status_code == 400, page.text
    assert "merchant-token" not in page.text and "mt_" not in page.text
    assert tokens_issued_to(w, victim_seller["id"]) == issued
    assert item(w, f"SHOPCLAIM#{victim_seller['shops'][0]['id']}") is None
    # The attacker's own browser can still finish its own flow with its own seller.
    own = attacker_browser.tiktok_consent(attacker_browser.get(str(consent.url)),
                                          w.tiktok.create_seller("Attacker", "US")["id"])
    assert own.status_code == 200 and "merchant-token" in page_values(own), own.text
    assert "<b id='state'>active</b>" in own.text


def test_store_consent_link_approved_in_another_browser_connects_nothing(connected_world: World) -> None:
    w = connected_world
    attacker = Browser()
    start = attacker.http.get(w.install_link(), follow_redirects=False)  # the store's consent URL, our state
    assert start.status_code == 302 and "tts_oauth" in start.headers["set-cookie"]
    victim_store = w.ecwid.create_store("Victim's store", currency="USD")
    w.ecwid.default_store_id = victim_store  # the victim is logged in to their own store

    page = Browser().get(start.headers["location"])

    assert page.status_code == 400 and "another browser" in page.text, page.text
    assert item(w, f"STORECLAIM#ecwid#{victim_store}") is None  # the victim's store is not connected


def test_an_app_market_code_handed_to_another_browser_cannot_reach_its_tiktok_shop(connected_world: World) -> None:
    w = connected_world
    attacker_store = w.ecwid.create_store("Attacker store", currency="USD")
    w.ecwid.default_store_id = attacker_store
    consent = httpx.get(w.install_link(), timeout=30).headers["location"]
    callback = httpx.get(consent, timeout=30).headers["location"]  # the attacker keeps their store's code
    code = httpx.URL(callback).params["code"]
    victim_store = w.ecwid.create_store("Victim store", currency="USD")
    victim_seller = w.tiktok.create_seller("Victim", "US")
    w.ecwid.default_store_id = victim_store  # the victim is logged in to their own store

    victim = Browser()
    landing = victim.get(f"{w.url}/install/ecwid?code={code}")  # shaped like an app-market install
    assert landing.status_code == 200 and f"ecwid store {attacker_store}" in landing.text, landing.text
    assert "/oauth/authorize" not in landing.text  # no TikTok consent reachable from this page
    follow = re.search(r'<a id="next" href="([^"]+)"', landing.text)
    assert follow is not None
    page = victim.tiktok_consent(victim.get(follow.group(1)), victim_seller["id"])

    assert page.status_code == 200, page.text
    victim_claim = item(w, f"STORECLAIM#ecwid#{victim_store}")
    attacker_claim = item(w, f"STORECLAIM#ecwid#{attacker_store}")
    assert victim_claim is not None and attacker_claim is not None
    shop_claim = item(w, f"SHOPCLAIM#{victim_seller['shops'][0]['id']}")
    assert shop_claim is not None and shop_claim["connection_id"]["S"] == victim_claim["connection_id"]["S"]
    attacker_meta = item(w, f"CONN#{attacker_claim['connection_id']['S']}", "META") or {}
    assert attacker_meta["state"]["S"] == "pending" and "tiktok_tokens_ct" not in attacker_meta


def test_install_pages_send_security_headers(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    seller = w.tiktok.create_seller("Headers", "US")
    browser = Browser()
    w.ecwid.default_store_id = w.ecwid.create_store("Headers store", currency="USD")
    page = browser.tiktok_consent(browser.get(w.install_link()), seller["id"])
    refused = Browser().get(f"{w.url}/oauth/tiktok/callback?code=x&state=a.1.b")
    redirect = conn["browser"].http.get(f"{w.url}/connections/{conn['id']}/reauthorize", follow_redirects=False)
    for answer in (page, refused, redirect):
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src" not in csp
        assert answer.headers["referrer-policy"] == "no-referrer" and answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store" and answer.headers["x-content-type-options"] == "nosniff"
    assert "merchant-token" in page_values(page)  # the page that carries a token is one of them
    start = httpx.get(w.install_link(), timeout=30)
    cookie = start.headers["set-cookie"].lower()
    assert cookie.startswith("tts_oauth=") and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # the local cloud serves plain HTTP; behind HTTPS the cookie is Secure


def test_reauthorization_by_a_different_seller_is_refused_and_changes_nothing(connected_world: World) -> None:
    w = connected_world
    merchant = install(w)
    other = w.tiktok.create_seller("Someone else", "US")
    before = snapshot(w, merchant["id"])

    browser: Browser = merchant["browser"]
    page = browser.tiktok_consent(browser.http.get(f"{w.url}/connections/{merchant['id']}/reauthorize"), other["id"])

    assert page.status_code == 409, page.text
    assert "different TikTok seller" in page.text
    assert snapshot(w, merchant["id"]) == before
    # The same seller re-authorizes fine.
    again = browser.tiktok_consent(browser.http.get(f"{w.url}/connections/{merchant['id']}/reauthorize"),
                                   merchant["seller"]["id"])
    assert again.status_code == 200, again.text


# ---------------------------------------------------------------------- one shop, one connection
def test_a_shop_claimed_by_one_connection_cannot_be_claimed_by_another(connected_world: World) -> None:
    w = connected_world
    first = install(w)
    shop_id = first["seller"]["shops"][0]["id"]

    second_store = w.ecwid.create_store("Second store", currency="USD")
    page = Browser().install(w, seller_id=first["seller"]["id"], store_id=second_store)

    assert page.status_code == 409, page.text
    assert "already connected to another store" in page.text and "Disconnect" in page.text
    assert "merchant-token" not in page.text
    claim = item(w, f"SHOPCLAIM#{shop_id}")
    assert claim is not None and claim["connection_id"]["S"] == first["id"]
    holders = [i for i in w.cloud.client("dynamodb").scan(TableName=w.cloud.table_name())["Items"]
               if i["sk"]["S"] == f"SHOP#{shop_id}"]
    assert [h["pk"]["S"] for h in holders] == [f"CONN#{first['id']}"]
    routed = signed_tiktok(w, order_event(shop_id, f"claim-{first['id']}"))
    assert routed.json()["outcome"] == "queued"

    # Disconnect the first store: the shop may now be connected to the second one, and only there.
    done = httpx.post(f"{w.url}/connections/{first['id']}/disconnect", headers=auth(first["token"]), timeout=30)
    assert done.status_code == 200, done.text
    second = install(w, seller=first["seller"], store=second_store)
    assert second["id"] != first["id"]
    claim = item(w, f"SHOPCLAIM#{shop_id}")
    assert claim is not None and claim["connection_id"]["S"] == second["id"]


# ---------------------------------------------------------------------- uninstall
def ecwid_event(w: World, store_id: int, event_type: str, *, event_id: str, created: int) -> httpx.Response:
    """A delivery signed as Ecwid signs it (only ``eventCreated.eventId``): what anybody who
    captured a genuine delivery can produce for any store id."""
    body = json.dumps({"eventId": event_id, "eventCreated": created, "storeId": store_id, "entityId": store_id,
                       "eventType": event_type}).encode()
    digest = hmac.new(w.app_secret["ecwid_client_secret"].encode(), f"{created}.{event_id}".encode(), hashlib.sha256)
    headers = {"x-ecwid-webhook-signature": base64.b64encode(digest.digest()).decode(),
               "content-type": "application/json"}
    return httpx.post(f"{w.url}/webhooks/ecwid", content=body, headers=headers, timeout=30)


def routed_outcome(w: World, event_id: str) -> str:
    """The events worker's outcome for one event, from the function log."""
    def probe() -> str | None:
        for line in w.logs[0].read_text(encoding="utf-8").splitlines():  # type: ignore[attr-defined]
            if '"event routed"' in line and event_id in line:
                return str(json.loads(line)["outcome"])
        return None
    return until(probe, timeout=30, what=f"event {event_id} routed")


def test_a_replayed_or_stale_uninstall_changes_nothing(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    before = snapshot(w, conn["id"])
    now = int(time.time())

    fresh = ecwid_event(w, conn["store"], "application.uninstalled", event_id=f"un-{conn['id']}", created=now)
    assert fresh.json()["outcome"] == "queued"
    assert routed_outcome(w, f"un-{conn['id']}") == "uninstall_not_confirmed"  # the store still takes our token
    again = ecwid_event(w, conn["store"], "application.uninstalled", event_id=f"un-{conn['id']}", created=now)
    assert again.json()["outcome"] == "duplicate"
    stale = ecwid_event(w, conn["store"], "application.uninstalled", event_id=f"old-{conn['id']}",
                        created=now - 8 * 86400)  # past the de-duplication window too
    assert stale.json()["outcome"] == "queued"
    assert routed_outcome(w, f"old-{conn['id']}") == "uninstall_stale"
    assert snapshot(w, conn["id"]) == before
    assert httpx.get(f"{w.url}/connections/{conn['id']}", headers=auth(conn["token"]), timeout=30).status_code == 200

    # The real uninstall (the store revokes our token and announces it) still disconnects.
    w.ecwid.uninstall(conn["store"])
    until(lambda: (item(w, f"CONN#{conn['id']}", "META") or {}).get("state", {}).get("S") == "disconnected",
          timeout=30, what="disconnected")


# ---------------------------------------------------------------------- forged and replayed webhooks
def test_forged_and_replayed_webhooks_are_refused(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    shop_id = conn["seller"]["shops"][0]["id"]
    event = order_event(shop_id, f"genuine-{conn['id']}")
    body = json.dumps(event, separators=(",", ":")).encode()
    app_key, secret = w.app_secret["tiktok_app_key"].encode(), w.app_secret["tiktok_app_secret"].encode()
    good = hmac.new(secret, app_key + body, hashlib.sha256).hexdigest()
    other_body = json.dumps({**event, "shop_id": "1"}, separators=(",", ":")).encode()
    tiktok_forgeries = [
        (body, None), (body, ""), (body, "0" * 64), (body, good[:-1]), (body, good.upper() + "0"),
        (body, hmac.new(b"wrong-secret", app_key + body, hashlib.sha256).hexdigest()),  # another app's secret
        (body, hmac.new(secret, body, hashlib.sha256).hexdigest()),  # the app key left out
        (other_body, good),  # a genuine signature on another body
        (body + b" ", good),  # the body changed after signing
    ]
    created, event_id = int(time.time()), f"e-{conn['id']}"
    ecwid_body = json.dumps({"eventId": event_id, "eventCreated": created, "storeId": conn["store"],
                             "entityId": 7, "eventType": "product.updated"}).encode()
    ecwid_key = w.app_secret["ecwid_client_secret"].encode()

    def ecwid_sig(key: bytes, message: str) -> str:
        return base64.b64encode(hmac.new(key, message.encode(), hashlib.sha256).digest()).decode()

    ecwid_forgeries = [None, "", "AAAA", ecwid_sig(b"wrong-secret", f"{created}.{event_id}"),
                       ecwid_sig(ecwid_key, f"{created + 1}.{event_id}"), ecwid_sig(ecwid_key, f"{created}.other"),
                       ecwid_sig(ecwid_key, f"{event_id}.{created}")]
    refused = 0
    for forged_body, signature in tiktok_forgeries:
        headers = {"content-type": "application/json",
                   **({"authorization": signature} if signature is not None else {})}
        answer = httpx.post(f"{w.url}/webhooks/tiktok", content=forged_body, headers=headers, timeout=30)
        refused += answer.status_code == 401
    for signature in ecwid_forgeries:
        headers = {"content-type": "application/json",
                   **({"x-ecwid-webhook-signature": signature} if signature is not None else {})}
        answer = httpx.post(f"{w.url}/webhooks/ecwid", content=ecwid_body, headers=headers, timeout=30)
        refused += answer.status_code == 401
    forged_total = len(tiktok_forgeries) + len(ecwid_forgeries)
    assert refused == forged_total

    replays = 5
    assert signed_tiktok(w, event).json()["outcome"] == "queued"
    good_ecwid = {"x-ecwid-webhook-signature": ecwid_sig(ecwid_key, f"{created}.{event_id}"),
                  "content-type": "application/json"}
    assert httpx.post(f"{w.url}/webhooks/ecwid", content=ecwid_body, headers=good_ecwid,
                      timeout=30).json()["outcome"] == "queued"
    duplicates = 0
    for _ in range(replays):
        duplicates += signed_tiktok(w, event).json()["outcome"] == "duplicate"
        duplicates += httpx.post(f"{w.url}/webhooks/ecwid", content=ecwid_body, headers=good_ecwid,
                                 timeout=30).json()["outcome"] == "duplicate"
    assert duplicates == 2 * replays
    print(f"webhooks: forged refused {refused} of {forged_total}, replays refused {duplicates} of {2 * replays}")


# ---------------------------------------------------------------------- withdrawing merchant access
def get_connection(w: World, conn: dict[str, Any], *, token: str | None = None,
                   browser: Browser | None = None) -> int:
    if browser is not None:
        return browser.get(f"{w.url}/connections/{conn['id']}").status_code
    return httpx.get(f"{w.url}/connections/{conn['id']}", headers=auth(token or conn["token"]),
                     timeout=30).status_code


def test_rotation_and_revocation_end_the_old_token_and_every_session(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    browser: Browser = conn["browser"]
    assert get_connection(w, conn, browser=browser) == 200 and get_connection(w, conn) == 200

    rotated = httpx.post(f"{w.url}/connections/{conn['id']}/credentials/rotate", headers=auth(conn["token"]),
                         timeout=30)
    assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
    new_token = rotated.json()["token"]
    assert new_token != conn["token"] and rotated.json()["expires_at"] > time.time() + 80 * 86400
    assert get_connection(w, conn) == 401  # the old token
    assert get_connection(w, conn, browser=browser) == 401  # the session from the install
    assert get_connection(w, conn, token=new_token) == 200

    # A fresh session (re-authorizing in the browser with the new token), then revoke: nothing works.
    consent = browser.http.get(f"{w.url}/connections/{conn['id']}/reauthorize", headers=auth(new_token))
    assert browser.tiktok_consent(consent, conn["seller"]["id"]).status_code == 200
    assert get_connection(w, conn, browser=browser) == 200
    revoked = httpx.post(f"{w.url}/connections/{conn['id']}/credentials/revoke", headers=auth(new_token), timeout=30)
    assert revoked.status_code == 200, revoked.text
    assert get_connection(w, conn, token=new_token) == 401
    assert get_connection(w, conn, browser=browser) == 401
    assert get_connection(w, conn) == 401
    assert "merchant_token_hash" not in (item(w, f"CONN#{conn['id']}", "META") or {})
    # Syncing is not affected: the connection stays active.
    assert (item(w, f"CONN#{conn['id']}", "META") or {})["state"]["S"] == "active"


def test_disconnect_ends_the_token_and_every_session_and_forgets_the_hash(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    browser: Browser = conn["browser"]
    laptop = Browser()  # a second session: the merchant re-authorizes from another browser with the token
    consent = laptop.http.get(f"{w.url}/connections/{conn['id']}/reauthorize", headers=auth(conn["token"]))
    assert laptop.tiktok_consent(consent, conn["seller"]["id"]).status_code == 200
    assert get_connection(w, conn, browser=laptop) == 200 and get_connection(w, conn, browser=browser) == 200

    done = browser.http.post(f"{w.url}/connections/{conn['id']}/disconnect")  # by the session
    assert done.status_code == 200, done.text
    assert get_connection(w, conn) == 401
    assert get_connection(w, conn, browser=browser) == 401 and get_connection(w, conn, browser=laptop) == 401
    meta = item(w, f"CONN#{conn['id']}", "META") or {}
    assert meta["state"]["S"] == "disconnected"
    assert not {"merchant_token_hash", "merchant_token_expires_at", "store_token_ct", "tiktok_tokens_ct"} & set(meta)


def test_disconnect_with_purge_deletes_everything_of_the_connection(connected_world: World) -> None:
    w = connected_world
    conn = install(w)
    shop_id = conn["seller"]["shops"][0]["id"]
    until(lambda: [i for i in connection_items(w, conn["id"]) if i["sk"]["S"].startswith("TASK#")
                   and i.get("state", {}).get("S") in ("completed", "error")], timeout=60, what="catalog pull done")
    purged = httpx.post(f"{w.url}/connections/{conn['id']}/disconnect", headers=auth(conn["token"]),
                        json={"purge": True}, timeout=30)
    assert purged.status_code == 200 and purged.json()["deleted_items"] >= 3, purged.text
    items = w.cloud.client("dynamodb").scan(TableName=w.cloud.table_name())["Items"]
    assert not [i for i in items if conn["id"] in json.dumps(i, default=str) and not i["pk"]["S"].startswith("DEDUPE#")]
    assert item(w, f"SHOPCLAIM#{shop_id}") is None
    assert get_connection(w, conn) == 401


# ---------------------------------------------------------------------- every merchant route, another tenant
ROOT = Path(__file__).resolve().parents[2]


def merchant_routes() -> list[tuple[str, str]]:
    """Every route of the merchant API: the OpenAPI document (generated from the resolver's route
    table) checked against the function's events in template.yaml, so none is forgotten."""
    document = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    routes = sorted((method.upper(), path) for path, ops in document["paths"].items() for method in ops
                    if "{connection_id}" in path)
    template = (ROOT / "template.yaml").read_text(encoding="utf-8")
    section = template[template.index("\n  MerchantApiFunction:\n") + 1:]
    section = section[:re.search(r"\n  [A-Za-z]\w*:\n", section).start()]  # type: ignore[union-attr]
    declared = set(re.findall(r"Method: (\w+)\s+Path: (/connections\S*)", section))
    assert declared == set(routes), declared ^ set(routes)
    return routes


def test_every_merchant_route_refuses_another_tenant_and_leaks_nothing(connected_world: World) -> None:
    w = connected_world
    victim_store = w.ecwid.create_store("Victim store", currency="USD")
    seeded = w.ecwid.seed_catalog(victim_store, 2, seed=23)
    victim = install(w, seller=w.tiktok.create_seller(f"Victim seller {victim_store}", "US"), store=victim_store)
    attacker = install(w)
    until(lambda: [i for i in connection_items(w, victim["id"]) if i["sk"]["S"].startswith("TASK#")
                   and i.get("state", {}).get("S") in ("completed", "error")], timeout=90, what="victim's pull")
    tasks = httpx.get(f"{w.url}/connections/{victim['id']}/tasks", headers=auth(victim["token"]), timeout=30).json()
    task_id = tasks["tasks"][0]["task_id"]
    product_id = str(seeded[0].product_id)
    secrets = {victim["token"], victim["seller"]["shops"][0]["id"], f"Victim seller {victim_store}", task_id,
               *(w.ecwid.product(victim_store, s.product_id)["name"] for s in seeded)}
    before = snapshot(w, victim["id"])
    values = {"connection_id": victim["id"], "task_id": task_id, "store_product_id": product_id,
              "tiktok_order_id": "576461413038785752", "store_category_id": "1"}

    attempts = leaks = 0
    routes = merchant_routes()
    for method, path in routes:
        url = w.url + path.format(**values)
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        for kind, send in (
            ("token", lambda u, m=method, b=body: httpx.request(m, u, content=b, headers=auth(attacker["token"]),
                                                               timeout=30, follow_redirects=False)),
            ("session", lambda u, m=method, b=body: attacker["browser"].http.request(m, u, content=b,
                                                                                       follow_redirects=False)),
            ("none", lambda u, m=method, b=body: httpx.request(m, u, content=b, timeout=30, follow_redirects=False)),
            ("forged", lambda u, m=method, b=body: httpx.request(
                m, u, content=b, headers=auth(f"mt_{victim['id']}.forged"), timeout=30, follow_redirects=False)),
        ):
            answer = send(url)
            attempts += 1
            expected = 403 if kind in ("token", "session") else 401
            assert answer.status_code == expected, (method, path, kind, answer.status_code, answer.text)
            leaks += sum(1 for secret in secrets if secret in answer.text or secret in str(answer.headers))
    assert leaks == 0
    assert snapshot(w, victim["id"]) == before
    assert get_connection(w, victim) == 200
    print(f"cross-tenant: {len(routes)} merchant routes, {attempts} attempts, {leaks} leaks")


pytestmark = pytest.mark.timeout(300)
