"""Shopify webhook receiver: verify X-Shopify-Hmac-SHA256 over the raw body, parse the delivery
(topic, shop and delivery id from its headers), resolve the shop's connection, de-duplicate by
X-Shopify-Webhook-Id, enqueue, answer 200 fast."""

from __future__ import annotations

from typing import Any

from connector import appsecrets
from connector.config import BaseEnv, load_env
from connector.connections.events import WebhookIntake, receive_store
from connector.connections.repository import ConnectionRepository
from connector.observability import logger, metrics
from connector.queues import SqsSender
from connector.web import json_response, raw_body, resolver, serve

app = resolver()


@app.post("/webhooks/shopify")
def receive() -> Any:
    env = load_env(BaseEnv)
    event = app.current_event
    receipt = receive_store(
        "shopify", raw_body(event.raw_event), dict(event.headers), appsecrets.load(env.app_secret_name),
        ConnectionRepository(env.table_name), WebhookIntake(env.table_name, SqsSender()),
        env.store_events_queue_url, event.request_context.request_id)
    logger().info("shopify webhook", extra={"outcome": receipt.outcome, "reason": receipt.reason,
                                            "connection_id": receipt.connection_id, "event_id": receipt.event_id})
    return json_response(200, {"outcome": receipt.outcome, "reason": receipt.reason})


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context)
