"""The merchant's API for their own connection. Every route proves the caller owns the
connection in its path (connection token or session cookie) before anything else."""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel, ConfigDict

from connector.api import owned
from connector.connections import lifecycle
from connector.connections.install import InstallFlow
from connector.connections.models import Connection
from connector.connections.wiring import Wired, store_oauth, wire
from connector.observability import metrics
from connector.web import json_response, resolver, serve

app = resolver()
# Feature routes (connector.api.<feature>.router); each route also has its event in template.yaml.
# for module in (...): app.include_router(module.router)
app.include_router(importlib.import_module("connector.api.operations").router)  # U1-U4, OpenAPI
app.include_router(importlib.import_module("connector.api.stock").router)  # P13 update stock / price
app.include_router(importlib.import_module("connector.api.orders").router)  # O3 retry, O8 re-scan
app.include_router(importlib.import_module("connector.api.catalog").router)  # P1-P3, P6, P8, P11


class DisconnectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purge: bool = False


def _owned(w: Wired, connection_id: str) -> Connection:
    return owned(app, w, connection_id)


def _correlation() -> str:
    return str(app.current_event.request_context.request_id)


@app.get("/connections/<connection_id>")
def read(connection_id: str) -> Any:
    """The connection: state with its reason, store, authorized shops (never tokens or ciphers)."""
    w = wire()
    connection = _owned(w, connection_id)
    return json_response(200, connection.public(w.c.repo.shops(connection_id)))


@app.post("/connections/<connection_id>/check")
def check(connection_id: str) -> Any:
    """Check both sides, read the warehouses and compare currencies (C4)."""
    w = wire()
    _owned(w, connection_id)
    return json_response(200, lifecycle.check(w.c, connection_id, _correlation()).model_dump())


@app.post("/connections/<connection_id>/disconnect")
def disconnect(connection_id: str) -> Any:
    """Stop syncing and forget the tokens; with {"purge": true} delete the connection's data (C5)."""
    w = wire()
    _owned(w, connection_id)
    raw = app.current_event.decoded_body
    request = DisconnectRequest.model_validate_json(raw) if raw else DisconnectRequest()
    result = lifecycle.disconnect(w.c.repo, w.c.notifier, connection_id, reason="merchant_disconnected",
                                  purge=request.purge, correlation_id=_correlation())
    return json_response(200, result)


@app.get("/connections/<connection_id>/reauthorize")
def reauthorize(connection_id: str) -> Any:
    """Redirect to TikTok Shop's authorization page again (after "needs re-authorization", C3)."""
    from aws_lambda_powertools.event_handler import Response

    w = wire()
    connection = _owned(w, connection_id)
    if connection.state == "disconnected":
        return json_response(409, {"error": "conflict", "message": "a disconnected connection is installed again "
                                   "from the install link", "reason": "connection_disconnected"})
    url = InstallFlow(w.c, w.states(), store_oauth(w), w.sender, w.env.tasks_queue_url).reauthorize_url(connection_id)
    return Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"}, body="")


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context)
