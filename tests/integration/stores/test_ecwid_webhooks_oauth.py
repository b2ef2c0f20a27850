"""Signed webhooks from the sandbox (with Ecwid's retries and switchable faults), and the install flow."""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connector.stores import AuthError, EventKind, OrderLine, OrderTotals, ShipTo, Stock, StoreOrderDraft
from connector.stores.ecwid import EcwidOAuth, EcwidStore, EcwidWebhooks, new_state, same_state
from local.sandbox_ecwid import EcwidSandbox
from tests.integration.stores.helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    TIME_SCALE,
    Received,
    RecordingLimiter,
    WebhookSink,
)
from tests.support.wait import until

HOOKS = EcwidWebhooks(CLIENT_SECRET)
REDIRECT = "https://connector.example/oauth/ecwid/callback"


def store_events(sink: WebhookSink, store_id: int, event_type: str | None = None) -> list[Received]:
    return [r for r in sink.events(event_type) if r.event["storeId"] == store_id]


def test_changes_arrive_as_signed_typed_webhooks(
    ecwid: EcwidStore, sandbox: EcwidSandbox, sink: WebhookSink, store_id: int
) -> None:
    mug = sandbox.add_product(store_id, {"sku": "MUG", "name": "Mug", "price": "9.99", "quantity": 6})
    order = ecwid.create_order(
        StoreOrderDraft(
            tiktok_order_id="880001",
            lines=(OrderLine(variant_key=str(mug), sku="MUG", name="Mug", quantity=2, unit_price=Decimal("9.99")),),
            ship_to=ShipTo(name="Ann", street=("1 Main St",), city="Austin", postal="73301", country="US"),
            email="ann@example.com",
            currency="USD",
            totals=OrderTotals(subtotal=Decimal("19.98"), total=Decimal("19.98")),
        )
    )
    ecwid.set_stock(str(mug), Stock.counted(50))  # our own write comes back too

    deliveries = until(
        lambda: (found := store_events(sink, store_id)) and len(found) >= 4 and found,
        timeout=10,
        what="four webhooks",
    )
    assert all(HOOKS.verify(d.headers, d.body) for d in deliveries)
    assert all(d.query["eventtype"] == [d.event["eventType"]] for d in deliveries)
    events = [HOOKS.parse(d.body) for d in deliveries]
    kinds = [(e.event_type, e.entity_id) for e in events]
    assert ("product.created", str(mug)) in kinds
    assert ("order.created", order.ext_id) in kinds  # data.orderId, not the internal number
    # the order's stock decrement and our set_stock both fire product.updated
    assert kinds.count(("product.updated", str(mug))) == 2
    assert {e.kind for e in events} == {EventKind.PRODUCT_CHANGED, EventKind.ORDER_CHANGED}
    assert all(e.store_id == str(store_id) for e in events)


def test_forged_deliveries_fail_verification(sandbox: EcwidSandbox, sink: WebhookSink, store_id: int) -> None:
    sandbox.set_webhook_faults(bad_signature=1.0)
    sandbox.issue_token(store_id)
    product = sandbox.add_product(store_id, {"name": "Pen", "price": "1"})
    copies = until(lambda: (found := store_events(sink, store_id)) and len(found) >= 2 and found, what="two copies")
    assert {c.event["entityId"] for c in copies} == {product}
    verdicts = sorted(HOOKS.verify(c.headers, c.body) for c in copies)
    assert verdicts == [False, True]
    forged = next(c for c in copies if not HOOKS.verify(c.headers, c.body))
    with pytest.raises(AuthError):
        HOOKS.verify_and_parse(forged.headers, forged.body)
    # a tampered id with a genuine signature fails too
    genuine = next(c for c in copies if HOOKS.verify(c.headers, c.body))
    tampered = genuine.body.replace(genuine.event["eventId"].encode(), b"00000000-0000-4000-8000-000000000000")
    assert not HOOKS.verify(genuine.headers, tampered)


def test_failed_deliveries_are_retried_on_ecwids_schedule(
    sandbox: EcwidSandbox, sink: WebhookSink, store_id: int
) -> None:
    sandbox.issue_token(store_id)
    sink.answers_for[store_id] = deque([500, 503])
    sandbox.add_product(store_id, {"name": "Pen", "price": "1"})
    attempts = until(
        lambda: (found := store_events(sink, store_id)) and len(found) >= 3 and found,
        timeout=10,
        what="three attempts",
    )
    assert len({a.event["eventId"] for a in attempts}) == 1
    first_gap, second_gap = attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at
    assert first_gap >= 15 * 60 * TIME_SCALE * 0.95
    assert second_gap >= 30 * 60 * TIME_SCALE * 0.95
    record = until(
        lambda: [r for r in sandbox.webhooks.records if r.event_id == attempts[0].event["eventId"] and r.status == 200],
        what="the successful attempt recorded",
    )
    assert record[0].attempt == 3


def test_duplicates_and_delay(sandbox: EcwidSandbox, sink: WebhookSink, store_id: int) -> None:
    import time

    sandbox.set_webhook_faults(duplicate=1.0, delay=0.3)
    sandbox.issue_token(store_id)
    started = time.monotonic()
    sandbox.add_product(store_id, {"name": "Pen", "price": "1"})
    copies = until(lambda: (found := store_events(sink, store_id)) and len(found) >= 2 and found, what="both copies")
    assert copies[0].event == copies[1].event
    assert all(HOOKS.verify(c.headers, c.body) for c in copies)
    assert copies[0].at - started >= 0.3


def test_reordering(sandbox: EcwidSandbox, sink: WebhookSink, store_id: int) -> None:
    sandbox.set_webhook_faults(reorder=3)
    sandbox.issue_token(store_id)
    created = [sandbox.add_product(store_id, {"name": f"Pen {i}", "price": "1"}) for i in range(3)]
    arrived = until(lambda: (found := store_events(sink, store_id)) and len(found) >= 3 and found, what="3 events")
    assert [a.event["entityId"] for a in arrived] == list(reversed(created))
    # consumers order by eventCreated, not by arrival
    assert sorted(HOOKS.parse(a.body).occurred_at for a in arrived) == [
        HOOKS.parse(a.body).occurred_at for a in reversed(arrived)
    ]


def test_loss(sandbox: EcwidSandbox, sink: WebhookSink, store_id: int) -> None:
    sandbox.issue_token(store_id)
    sandbox.set_webhook_faults(loss=1.0)
    lost_product = sandbox.add_product(store_id, {"name": "Lost", "price": "1"})
    sandbox.set_webhook_faults()
    marker = sandbox.add_product(store_id, {"name": "Marker", "price": "1"})
    until(lambda: store_events(sink, store_id), what="the marker")
    assert [r.event["entityId"] for r in store_events(sink, store_id)] == [marker]
    assert [e["entityId"] for e in sandbox.webhooks.lost if e["storeId"] == store_id] == [lost_product]


def test_uninstall_is_announced_and_silences_the_store(sandbox: EcwidSandbox, sink: WebhookSink, store_id: int) -> None:
    sandbox.issue_token(store_id)
    sandbox.uninstall(store_id)
    (delivery,) = until(lambda: store_events(sink, store_id, "application.uninstalled"), what="uninstall")
    assert HOOKS.verify_and_parse(delivery.headers, delivery.body).kind is EventKind.APP_UNINSTALLED
    emitted_before = len(sandbox.webhooks.emitted)
    sandbox.add_product(store_id, {"name": "After", "price": "1"})
    assert len(sandbox.webhooks.emitted) == emitted_before


def test_events_follow_the_granted_scopes(sandbox: EcwidSandbox, sink: WebhookSink, store_id: int) -> None:
    token = sandbox.issue_token(store_id, ["read_catalog", "create_orders"])
    product = sandbox.add_product(store_id, {"name": "Pen", "price": "1", "quantity": 5})
    httpx.post(
        f"{sandbox.url}/{store_id}/orders",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
        json={
            "paymentStatus": "PAID",
            "email": "a@example.com",
            "items": [{"productId": product, "name": "Pen", "quantity": 1, "price": 1}],
        },
    ).raise_for_status()
    types = {e["eventType"] for e in sandbox.webhooks.emitted if e["storeId"] == store_id}
    assert types == {"product.created", "product.updated"}  # no order.* without read_orders


# --------------------------------------------------------------------------------------------
# OAuth
# --------------------------------------------------------------------------------------------


def _oauth(sandbox: EcwidSandbox, secret: str = CLIENT_SECRET) -> EcwidOAuth:
    return EcwidOAuth(CLIENT_ID, secret, oauth_base=sandbox.oauth_url)


def _authorize(sandbox: EcwidSandbox, state: str) -> dict[str, list[str]]:
    response = httpx.get(_oauth(sandbox).authorize_url(redirect_uri=REDIRECT, state=state), timeout=5)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


def test_install_flow(sandbox: EcwidSandbox, sink: WebhookSink, http: httpx.Client) -> None:
    state = new_state()
    returned = _authorize(sandbox, state)
    assert same_state(state, returned["state"][0]) and not same_state(state, new_state())
    grant = _oauth(sandbox).exchange_code(code=returned["code"][0], redirect_uri=REDIRECT)
    assert grant.store_id == str(sandbox.default_store_id)
    assert {"read_catalog", "update_catalog", "read_orders", "create_orders", "update_orders"} <= set(grant.scopes)
    store = EcwidStore(grant.store_id, grant.token, api_base=sandbox.url, http=http, limiter=RecordingLimiter())
    assert store.profile().store_id == grant.store_id
    installed = until(
        lambda: [r for r in sink.events("application.installed") if r.event["storeId"] == sandbox.default_store_id],
        what="installed event",
    )
    assert HOOKS.parse(installed[0].body).kind is EventKind.UNKNOWN  # acknowledged, ignored


def test_a_code_is_single_use_and_reuse_kills_the_first_token(sandbox: EcwidSandbox, http: httpx.Client) -> None:
    code = _authorize(sandbox, "s")["code"][0]
    grant = _oauth(sandbox).exchange_code(code=code, redirect_uri=REDIRECT)
    store = EcwidStore(grant.store_id, grant.token, api_base=sandbox.url, http=http, limiter=RecordingLimiter())
    assert store.profile()
    with pytest.raises(AuthError) as caught:
        _oauth(sandbox).exchange_code(code=code, redirect_uri=REDIRECT)
    assert caught.value.platform_code == "invalid_grant"
    assert code not in str(caught.value)
    with pytest.raises(AuthError):
        store.profile()


def test_exchange_rules(sandbox: EcwidSandbox) -> None:
    code = _authorize(sandbox, "s")["code"][0]
    with pytest.raises(AuthError) as caught:
        _oauth(sandbox, secret="wrong").exchange_code(code=code, redirect_uri=REDIRECT)
    assert caught.value.platform_code == "invalid_client"
    with pytest.raises(AuthError):
        _oauth(sandbox).exchange_code(code=code, redirect_uri="https://elsewhere.example/cb")
    # GET was removed from Ecwid's token endpoint
    assert httpx.get(f"{sandbox.oauth_url}/token", params={"code": code}, timeout=5).status_code == 405


def test_the_merchant_can_deny(sandbox: EcwidSandbox) -> None:
    sandbox.auto_approve = False
    page = httpx.get(_oauth(sandbox).authorize_url(redirect_uri=REDIRECT, state="st"), timeout=5)
    assert page.status_code == 200 and 'value="deny"' in page.text
    form = dict(parse_qs(urlsplit(_oauth(sandbox).authorize_url(redirect_uri=REDIRECT, state="st")).query))
    denied = httpx.post(
        f"{sandbox.oauth_url}/authorize",
        timeout=5,
        data={**{k: v[0] for k, v in form.items()}, "decision": "deny"},
    )
    assert denied.status_code == 302
    assert parse_qs(urlsplit(denied.headers["location"]).query) == {
        "error": ["access_denied"],
        "state": ["st"],
    }
    approved = httpx.post(
        f"{sandbox.oauth_url}/authorize",
        timeout=5,
        data={**{k: v[0] for k, v in form.items()}, "decision": "approve"},
    )
    assert "code" in parse_qs(urlsplit(approved.headers["location"]).query)


def test_scopes_the_app_does_not_have_are_refused(sandbox: EcwidSandbox) -> None:
    url = _oauth(sandbox).authorize_url(redirect_uri=REDIRECT, state="s", scopes=("read_catalog", "read_everything"))
    assert httpx.get(url, timeout=5).status_code == 400
