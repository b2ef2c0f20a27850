"""The merchant API's routes, one module per feature (``connector.api.<feature>``), each with a
``router`` that ``functions/merchant_api/app.py`` includes. Every route starts with
:func:`owned`, which proves the caller owns the connection in the path (connection token, session
cookie, or the console's session header); a route that reads or writes anything else of a tenant is a defect.

Each route also needs its event on ``MerchantApiFunction`` in ``template.yaml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from connector.errors import BadRequest

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

    from connector.connections.models import Connection
    from connector.connections.wiring import Wired

ModelT = TypeVar("ModelT", bound=BaseModel)


def owned(router: Any, w: Wired, connection_id: str) -> Connection:
    from connector.connections import merchant
    from connector.console import access, session
    from connector.runtime import now
    from connector.web import mark_verified

    event = router.current_event
    console_session = session.from_headers(event.headers)
    if console_session is not None:  # the console's pages call these routes with their session header
        connection = access.authorize_console(w.c.repo.get(connection_id), connection_id, console_session,
                                              signing_key=w.creds.state_signing_key, now=int(now()))
        mark_verified()
        return connection
    connection = merchant.authorize(
        w.c.repo.get, connection_id, token=merchant.bearer(event.headers),
        session=merchant.session_from_cookies(list(event.cookies or [])),
        signing_key=w.creds.state_signing_key, now=int(now()))
    mark_verified()
    return connection


def correlation(router: Any) -> str:
    return str(router.current_event.request_context.request_id)


def body(router: Any, model: type[ModelT], *, empty_ok: bool = False) -> ModelT:
    """The JSON body validated by ``model`` (400 naming the fields when it does not fit)."""
    raw = router.current_event.decoded_body
    if not raw:
        if empty_ok:
            return model()
        raise BadRequest("a JSON body is required", reason="empty_body")
    return model.model_validate_json(raw)


def query(router: Any) -> dict[str, str]:
    return dict(router.current_event.query_string_parameters or {})


def new_router() -> APIGatewayHttpRouter:
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

    return APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
