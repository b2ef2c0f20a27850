"""Ecwid webhook receiver: verify X-Ecwid-Webhook-Signature (over eventCreated.eventId), parse,
resolve the store's connection, de-duplicate by eventId, enqueue, answer 200 fast."""

from __future__ import annotations

from typing import Any

from connector import appsecrets
from connector.config import BaseEnv, load_env
from connector.connections.events import WebhookIntake, receive_ecwid
from connector.connections.repository import ConnectionRepository
from connector.observability import logger, metrics
from connector.queues import SqsSender
from connector.web import json_response, raw_body, resolver, serve

app = resolver()


@app.post("/webhooks/ecwid")
def receive() -> Any:
    env = load_env(BaseEnv)
    event = app.current_event
    receipt = receive_ecwid(
        raw_body(event.raw_event), dict(event.headers), appsecrets.load(env.app_secret_name),
        ConnectionRepository(env.table_name), WebhookIntake(env.table_name, SqsSender()),
        env.store_events_queue_url, event.request_context.request_id)
    logger().info("ecwid webhook", extra={"outcome": receipt.outcome, "reason": receipt.reason,
                                          "connection_id": receipt.connection_id, "event_id": receipt.event_id})
    return json_response(200, {"outcome": receipt.outcome, "reason": receipt.reason})


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context)
