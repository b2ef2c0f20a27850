"""Hostile input on every public route of the local cloud: nothing a caller sends produces a 5xx,
and a refused request (4xx) writes nothing.

Two parts share one world (both sandboxes, the local cloud, one installed merchant):
- the inputs that once crashed a handler, kept as explicit cases;
- a property-based fuzz (hypothesis, derandomized) over every HttpApi route read from
  ``template.yaml``, so a new route is fuzzed without touching this file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.world import Browser, World, page_values, world

WRITE_ACTIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


@dataclass
class Site:
    """The world under fuzz, with one installed merchant and a kept-alive client."""

    w: World
    connection_id: str
    token: str
    shop_id: str
    store_id: int
    http: httpx.Client
    log: Path
    sent: int = 0
    server_errors: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.w.url

    def writes(self) -> int:
        """Table writes so far (every DynamoDB write call the local cloud has served)."""
        snapshot = self.w.cloud.meter.snapshot()["requests_by_action"]
        return sum(n for action, n in snapshot.items()
                   if action.startswith("dynamodb:") and action.split(":", 1)[1] in WRITE_ACTIONS)

    def function_errors(self) -> int:
        return sum(fn.stats.errors for fn in self.w.cloud.host.functions)

    def send(self, method: str, path: str, *, content: bytes | None = None,
             headers: dict[str, Any] | None = None, params: Any = None) -> httpx.Response:
        response = self.http.request(method, f"{self.url}{path}", content=content, headers=headers, params=params)
        self.sent += 1
        if response.status_code >= 500:
            self.server_errors.append(f"{method} {path} -> {response.status_code}")
        return response

    def ecwid_signature(self, created: Any, event_id: Any) -> str:
        message = f"{created}.{event_id}".encode()
        digest = hmac.new(self.w.app_secret["ecwid_client_secret"].encode(), message, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def tiktok_signature(self, raw: bytes) -> str:
        secret = self.w.app_secret["tiktok_app_secret"].encode()
        return hmac.new(secret, self.w.app_secret["tiktok_app_key"].encode() + raw, hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    log = tmp_path_factory.mktemp("fuzz") / "functions.jsonl"
    with world(function_log=log) as w:
        seller = w.tiktok.create_seller("Fuzz Seller", "US")
        store_id = w.ecwid.create_store("Fuzz Store", currency="USD")
        browser = Browser()
        try:
            page = browser.install(w, seller_id=seller["id"], store_id=store_id)
        finally:
            browser.close()
        assert page.status_code == 200, page.text
        values = page_values(page)
        w.cloud.wait_idle(timeout=60)
        with httpx.Client(timeout=30) as http:
            yield Site(w, values["connection-id"], values["merchant-token"], str(seller["shops"][0]["id"]),
                       store_id, http, log)


def _nested(depth: int) -> bytes:
    return b'{"eventId":"e-1","eventCreated":' + b"[" * depth + b"]" * depth + b"}"


def _ecwid_body(created: str) -> bytes:
    return ('{"eventId":"e-1","eventCreated":' + created + ',"storeId":1,"entityId":7,'
            '"eventType":"product.updated"}').encode()


def _orders_token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


def _ecwid(body: bytes, signature: str = "AAAA") -> Any:
    return lambda s: Req("POST", "/webhooks/ecwid", body, {"x-ecwid-webhook-signature": signature})


def _ecwid_signed(created: Any) -> Any:
    body = _ecwid_body(json.dumps(created) if not isinstance(created, str) else created)
    return lambda s: Req("POST", "/webhooks/ecwid", body, {
        "x-ecwid-webhook-signature": s.ecwid_signature(int(float(created)), "e-1")})


def _tiktok_signed(body: bytes) -> Any:
    return lambda s: Req("POST", "/webhooks/tiktok", body.replace(b"$shop", s.shop_id.encode()), {
        "authorization": s.tiktok_signature(body.replace(b"$shop", s.shop_id.encode()))})


def _orders(token: Any) -> Any:
    return lambda s: Req("GET", f"/connections/{s.connection_id}/orders", None,
                         {"authorization": f"Bearer {s.token}"},
                         {"state": "created", "page_token": _orders_token(token(s) if callable(token) else token)})


def _index(s: Site) -> str:
    from connector import keys

    return keys.order_state_index_pk(s.connection_id, "created")


#: Requests that crashed a handler (a 500, counted as a function error) before the edge was
#: hardened: each is refused now with a 4xx and a reason, and writes nothing.
KNOWN_CRASHES: dict[str, Any] = {
    "ecwid eventCreated 1e20": _ecwid(_ecwid_body("1e20")),
    "ecwid eventCreated NaN": _ecwid(_ecwid_body("NaN")),
    "ecwid eventCreated Infinity": _ecwid(_ecwid_body("Infinity")),
    "ecwid eventCreated superscript two (escaped)": _ecwid(_ecwid_body('"\\u00b2"')),
    "ecwid eventCreated superscript two": _ecwid(_ecwid_body('"\u00b2"')),
    "ecwid eventCreated 1e20, signed": _ecwid_signed("1e20"),
    "ecwid deeply nested": _ecwid(_nested(100_000)),
    "ecwid deeply nested, no signature header": lambda s: Req("POST", "/webhooks/ecwid", _nested(100_000)),
    "tiktok deeply nested, signed": _tiktok_signed(b'{"type":1,"data":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "tiktok timestamp wider than a table number, signed": _tiktok_signed(
        b'{"type":6,"shop_id":"$shop","timestamp":' + b"9" * 60 + b',"tts_notification_id":"big"}'),
    "tiktok body larger than any webhook, signed": _tiktok_signed(b'{"type":99,"pad":"' + b"x" * 2_000_000 + b'"}'),
    "oauth state with a superscript digit": lambda s: Req("GET", "/oauth/tiktok/callback",
                                                          query={"state": "a.\u00b2.x", "code": "c"}),
    "oauth state with 5000 digits": lambda s: Req("GET", "/oauth/tiktok/callback",
                                                  query={"state": "a." + "9" * 5000 + ".x", "code": "c"}),
    "store oauth state with a superscript digit": lambda s: Req("GET", "/oauth/ecwid/callback",
                                                                query={"state": "a.\u00b2.x", "code": "c"}),
    "session cookie with a superscript digit": lambda s: Req(
        "GET", f"/connections/{s.connection_id}", headers={"cookie": f"tts_session={s.connection_id}.".encode()
                                                           + b"\xb2.x"}),
    "session cookie with 5000 digits": lambda s: Req(
        "GET", f"/connections/{s.connection_id}", headers={"cookie": f"tts_session={s.connection_id}.{'9' * 5000}.x"}),
    "orders page token whose index value is not a map": _orders({"gsi1pk": "x"}),
    "orders page token with this listing's index and a foreign key": _orders(
        lambda s: {"gsi1pk": {"S": _index(s)}, "zz": {"BOOL": True}}),
}


@pytest.mark.parametrize("case", sorted(KNOWN_CRASHES))
def test_inputs_that_once_crashed_a_handler_are_refused_with_a_reason(site: Site, case: str) -> None:
    req: Req = KNOWN_CRASHES[case](site)
    headers = {"content-type": "application/json", **req.headers}
    writes, errors = site.writes(), site.function_errors()
    response = site.send(req.method, req.path, content=req.body, headers=headers, params=req.query)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if response.headers.get("content-type", "").startswith("application/json"):
        assert response.json().get("reason"), response.text[:300]
    else:
        assert "Nothing was changed" in response.text, response.text[:300]
    assert site.writes() == writes, "a refused request wrote to the table"
    assert site.function_errors() == errors, "a refused request counted as a function error"
