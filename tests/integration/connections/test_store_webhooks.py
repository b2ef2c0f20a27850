"""Store webhooks through the platform registry on moto: a Shopify delivery verified over its raw
body, de-duplicated on its delivery id, refused when forged, tampered or malformed (4xx with a
reason), ignored for an unknown shop or topic; and the privacy topics' effects on the records we
hold, through the events router (real repositories, a recording queue sender)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from connector.appsecrets import AppCredentials
from connector.connections.events import InvalidSignature, WebhookIntake, receive_ecwid, receive_store, route
from connector.connections.lifecycle import Collaborators, Notifier
from connector.connections.models import Connection, EventMessage
from connector.connections.platforms import STORE_PLATFORMS, UnknownPlatform, app
from connector.connections.repository import ConnectionRepository
from connector.errors import BadRequest
from connector.orders.order_record import OrderRecord
from connector.orders.records import OrderRepository
from connector.stores.shopify.webhooks import signature

SECRET = "shopify-test-secret"
SHOP = "intake-shop.myshopify.com"
CREDS = AppCredentials(shopify_client_id="sid", shopify_client_secret=SECRET, ecwid_client_id="eid",
                       ecwid_client_secret="ecwid-secret", state_signing_key="k" * 32)


class Sender:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, queue_url: str, message: Any, **kwargs: Any) -> str:
        self.sent.append(message)
        return "id"


def delivery(topic: str, payload: dict[str, Any], *, webhook_id: str = "d-1", shop: str = SHOP,
             secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop, "X-Shopify-Webhook-Id": webhook_id,
                  "X-Shopify-Hmac-SHA256": signature(secret, body),
                  "X-Shopify-Triggered-At": "2026-12-06T10:00:00Z", "Content-Type": "application/json"}


@pytest.fixture
def site(table: str) -> dict[str, Any]:
    repo = ConnectionRepository(table)
    repo.create_for_store(Connection(connection_id="conn-shop", platform="shopify", store_id=SHOP, state="active",
                                     created_at=1, updated_at=1, store_token_ct=b"\x00ct"))
    sender = Sender()
    return {"repo": repo, "sender": sender, "intake": WebhookIntake(table, sender), "table": table}


def receive(site: dict[str, Any], body: bytes, headers: dict[str, str]) -> Any:
    return receive_store("shopify", body, headers, CREDS, site["repo"], site["intake"], "queue", "corr")


def test_the_registry_names_every_store_platform_and_refuses_others() -> None:
    assert set(STORE_PLATFORMS) == {"ecwid", "shopify"}
    assert app("shopify", CREDS).configured and app("ecwid", CREDS).configured
    assert not app("shopify", AppCredentials(state_signing_key="k" * 32)).configured
    with pytest.raises(UnknownPlatform):
        app("magento", CREDS)


def test_a_signed_delivery_is_queued_once_with_its_ids(site: dict[str, Any]) -> None:
    body, headers = delivery("products/update", {"id": 632910392, "title": "x"})
    first = receive(site, body, headers)
    assert (first.outcome, first.connection_id, first.event_id) == ("queued", "conn-shop", "d-1")
    (message,) = site["sender"].sent
    assert (message.source, message.kind, message.entity_ids) == ("shopify", "product_changed",
                                                                   {"entity_id": "632910392"})
    # Shopify's retry carries the same delivery id (the triggered-at may differ): a duplicate.
    headers["X-Shopify-Triggered-At"] = "2026-12-06T10:05:00Z"
    assert receive(site, body, headers).outcome == "duplicate"
    assert len(site["sender"].sent) == 1


@pytest.mark.parametrize("spoil", ["forged", "tampered", "missing", "other_secret"])
def test_forged_or_tampered_deliveries_are_refused(site: dict[str, Any], spoil: str) -> None:
    body, headers = delivery("products/update", {"id": 1})
    if spoil == "forged":
        headers["X-Shopify-Hmac-SHA256"] = "AAAA" + headers["X-Shopify-Hmac-SHA256"][4:]
    elif spoil == "tampered":
        body = body.replace(b'"id": 1', b'"id": 2')
    elif spoil == "missing":
        del headers["X-Shopify-Hmac-SHA256"]
    else:
        headers["X-Shopify-Hmac-SHA256"] = signature("not-our-secret", body)
    with pytest.raises(InvalidSignature) as refused:
        receive(site, body, headers)
    assert refused.value.status == 401 and refused.value.reason == "bad_signature"
    assert site["sender"].sent == []


@pytest.mark.parametrize("case", ["no_topic", "bad_shop", "not_json", "no_id", "other_shop_in_body"])
def test_malformed_signed_deliveries_are_a_400_with_a_reason(site: dict[str, Any], case: str) -> None:
    payload: dict[str, Any] = {"id": 5}
    topic, shop = "products/update", SHOP
    if case == "no_id":
        payload = {"title": "no id"}
    if case == "other_shop_in_body":
        topic, payload = "shop/redact", {"shop_id": 1, "shop_domain": "victim.myshopify.com"}
    if case == "bad_shop":
        shop = "evil.example.com"
    body, headers = delivery(topic, payload, shop=shop)
    if case == "no_topic":
        del headers["X-Shopify-Topic"]
    if case == "not_json":
        body = b"\xff not json"
        headers["X-Shopify-Hmac-SHA256"] = signature(SECRET, body)
    with pytest.raises(BadRequest) as refused:
        receive(site, body, headers)
    assert refused.value.status == 400 and refused.value.reason == "malformed_body"
    assert site["sender"].sent == []


def test_unknown_topics_and_shops_are_acknowledged_and_ignored(site: dict[str, Any]) -> None:
    body, headers = delivery("carts/update", {"id": 1})
    assert (receive(site, body, headers).outcome, receive(site, body, headers).reason) == \
        ("ignored", "unknown_event_type")
    body, headers = delivery("products/update", {"id": 1}, shop="stranger.myshopify.com", webhook_id="d-2")
    assert receive(site, body, headers).reason == "unknown_tenant"
    assert site["sender"].sent == []


def test_ecwid_is_received_through_the_same_registry(site: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):  # not an Ecwid body: refused before any signature work
        receive_ecwid(b"{}", {}, CREDS, site["repo"], site["intake"], "queue", "corr")
    with pytest.raises(InvalidSignature):
        receive_ecwid(json.dumps({"eventId": "e1", "eventCreated": 1735689600, "storeId": 1,
                                  "eventType": "product.updated", "entityId": 3}).encode(),
                      {"X-Ecwid-Webhook-Signature": "AAAA"}, CREDS, site["repo"], site["intake"], "queue", "corr")


# ---------------------------------------------------------------------- privacy topics, routed
def _order(tiktok_id: str, store_id: str) -> OrderRecord:
    return OrderRecord(connection_id="conn-shop", tiktok_order_id=tiktok_id, shop_id="7001", state="created",
                       store_order_id=store_id, buyer_ref="b" * 16, tracking_number="TRK1", total=Decimal("9.50"),
                       created_at=10, updated_at=10)


def _collab(site: dict[str, Any]) -> Collaborators:
    return Collaborators(repo=site["repo"], vault=None, tiktok=None,  # type: ignore[arg-type]
                         open_store=None, notifier=Notifier(site["sender"], "tasks"),  # type: ignore[arg-type]
                         clock=lambda: 1_000_000.0)


def _message(kind: str, **entity: str) -> EventMessage:
    return EventMessage(source="shopify", kind=kind, connection_id="conn-shop", event_id=f"ev-{kind}",
                        correlation_id="corr", entity_ids=entity)


def test_customer_data_request_reports_what_we_hold_for_the_operator(site: dict[str, Any]) -> None:
    orders = OrderRepository(site["table"])
    orders.put_new(_order("T1", "1001"))
    orders.put_new(_order("T2", "1002"))
    outcome = route(_message("customer_data_request", entity_id="77", orders="1001,9999", data_request_id="555"),
                    _collab(site))
    assert outcome == "privacy_reported:1"
    report = site["repo"].client.get_item(TableName=site["table"],
                                         Key={"pk": {"S": "CONN#conn-shop"}, "sk": {"S": "PRIVACY#555"}})["Item"]
    held = report["orders_held"]["L"]
    assert [o["M"]["tiktok_order_id"]["S"] for o in held] == ["T1"]
    assert {f["S"] for f in held[0]["M"]["buyer_fields_held"]["L"]} == {"buyer_ref", "tracking_number"}
    assert report["orders_named"]["N"] == "2"


def test_customer_redact_erases_the_buyer_details_of_those_orders_only(site: dict[str, Any]) -> None:
    orders = OrderRepository(site["table"])
    orders.put_new(_order("T1", "1001"))
    orders.put_new(_order("T2", "1002"))
    assert route(_message("customer_redact", entity_id="77", orders="1001"), _collab(site)) == "privacy_redacted:1"
    erased, kept = orders.get("conn-shop", "T1"), orders.get("conn-shop", "T2")
    assert erased is not None and erased.buyer_ref is None and erased.tracking_number is None
    assert erased.total == Decimal("9.50") and erased.store_order_id == "1001"  # the order itself stays
    assert kept is not None and kept.buyer_ref == "b" * 16


def test_shop_redact_erases_a_removed_store_and_spares_a_connected_one(site: dict[str, Any]) -> None:
    OrderRepository(site["table"]).put_new(_order("T1", "1001"))
    assert route(_message("shop_redact"), _collab(site)) == "privacy_shop_connected"
    assert site["repo"].get("conn-shop") is not None
    site["repo"].disconnect("conn-shop", "store_app_uninstalled", now=5)
    outcome = route(_message("shop_redact"), _collab(site))
    assert outcome.startswith("privacy_shop_erased:")
    assert site["repo"].get("conn-shop") is None and site["repo"].find_by_store("shopify", SHOP) is None
    left = site["repo"].client.query(TableName=site["table"], KeyConditionExpression="pk = :p",
                                     ExpressionAttributeValues={":p": {"S": "CONN#conn-shop"}})["Items"]
    assert left == []
