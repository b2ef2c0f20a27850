"""The merchant's API for their own connection. Every route proves the caller owns the
connection in its path (connection token or session cookie) before anything else."""

from __future__ import annotations

import importlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from connector.api import owned
from connector.connections import credentials, lifecycle
from connector.connections.install import InstallFlow
from connector.connections.models import Connection
from connector.connections.wiring import Wired, wire
from connector.observability import metrics
from connector.web import json_response, resolver, serve

app = resolver()
# Feature routes (connector.api.<feature>.router); each route also has its event in template.yaml.
# for module in (...): app.include_router(module.router)
app.include_router(importlib.import_module("connector.api.operations").router)  # tasks, status, settings, OpenAPI
app.include_router(importlib.import_module("connector.api.stock").router)  # update stock / update price
app.include_router(importlib.import_module("connector.api.orders").router)  # retry blocked orders, re-scan missed ones
app.include_router(importlib.import_module("connector.api.catalog").router)  # pull, mappings, push, sync rules, links
app.include_router(importlib.import_module("connector.api.bulk").router)  # pre-validate, exclude / include
app.include_router(importlib.import_module("connector.console.routes").router)  # the merchant console


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
    """Check both sides, read the warehouses and compare currencies."""
    w = wire()
    _owned(w, connection_id)
    return json_response(200, lifecycle.check(w.c, connection_id, _correlation()).model_dump())


@app.post("/connections/<connection_id>/disconnect")
def disconnect(connection_id: str) -> Any:
    """Stop syncing and forget the tokens; with {"purge": true} delete the connection's data."""
    w = wire()
    _owned(w, connection_id)
    raw = app.current_event.decoded_body
    request = DisconnectRequest.model_validate_json(raw) if raw else DisconnectRequest()
    result = lifecycle.disconnect(w.c.repo, w.c.notifier, connection_id, reason="merchant_disconnected",
                                  purge=request.purge, correlation_id=_correlation())
    return json_response(200, result)


@app.get("/connections/<connection_id>/reauthorize")
def reauthorize(connection_id: str) -> Any:
    """Redirect to TikTok Shop's authorization page again (after "needs re-authorization").

    Open it in the browser that will approve: the authorization is bound to that browser, and
    only the TikTok seller the connection holds may approve it."""
    from aws_lambda_powertools.event_handler import Response

    from connector.connections.oauth_state import browser_cookie, browser_from_cookies, new_browser_nonce
    from connector.connections.pages import SECURITY_HEADERS

    w = wire()
    connection = _owned(w, connection_id)
    if connection.state == "disconnected":
        return json_response(409, {"error": "conflict", "message": "a disconnected connection is installed again "
                                   "from the install link", "reason": "connection_disconnected"})
    nonce = browser_from_cookies(list(app.current_event.cookies or [])) or new_browser_nonce()
    cookies = [browser_cookie(nonce, secure=(w.env.public_base_url or "https://").startswith("https://"))]
    flow = InstallFlow(w.c, w.states(), None, w.sender, w.env.tasks_queue_url)
    url = flow.reauthorize_url(connection_id, nonce)
    return Response(status_code=302, headers={**SECURITY_HEADERS, "Location": url}, body="", cookies=cookies)


@app.post("/connections/<connection_id>/credentials/rotate")
def rotate_credentials(connection_id: str) -> Any:
    """A new connection token (in this answer only); the old token and every session stop working.

    The caller's own session ends too."""
    w = wire()
    _owned(w, connection_id)
    from aws_lambda_powertools.event_handler import Response

    issued = credentials.rotate(w.c.repo, connection_id)
    return Response(status_code=200, content_type="application/json", body=json.dumps(issued),
                    headers={"Cache-Control": "no-store"})


@app.post("/connections/<connection_id>/credentials/revoke")
def revoke_credentials(connection_id: str) -> Any:
    """Withdraw the connection token and every session at once (install again for a new token)."""
    w = wire()
    _owned(w, connection_id)
    return json_response(200, credentials.revoke(w.c.repo, connection_id))


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context)
