"""The console's routes on the merchant API function:

    GET  /console                           the page (standalone); signs in from a link or a token
    GET  /console/ecwid?payload=...          the page inside the Ecwid admin (payload -> session)
    GET  /console/shopify?shop&hmac...       the page inside the Shopify admin (signed app URL -> session)
    POST /console/session                    {"code"} or {"connection_id", "token"} -> a console session
    GET  /console/static/<file>              our CSS and script
    GET  /console/view/<screen>              a screen's HTML (the session header required)
    POST /console/view/settings              save settings; the form again, errors beside fields
    GET  /connections/<id>/console           (merchant API credentials) -> 302 to a sign-in link
    POST /console/reauthorize                 (the session header) -> a link that starts TikTok's re-authorization
    GET  /console/reauthorize?code=...        that link, opened in a tab of its own -> 302 to TikTok's consent page

Actions (sync, retry, link, disconnect...) are the merchant API's own routes, called by the
page's script with the session header (:func:`connector.api.owned` accepts it for its own
connection only).
"""

from __future__ import annotations

import json
from typing import Any

from connector.api import new_router
from connector.console import render
from connector.errors import BadRequest, Conflict, ConnectorError, NotFound
from connector.web import json_response

router = new_router()

SCREENS = ("dashboard", "products", "product", "orders", "order", "tasks", "task", "categories", "category",
           "settings", "connection", "validation")


OUTCOME_WORDS = {"ready": "ready", "blocked": "need fixing", "excluded": "excluded",
                 "removed": "disabled or deleted in the store", "not_pulled": "not pulled yet",
                 "unknown": "unknown"}


def _now() -> int:
    from connector.runtime import now

    return int(now())


def _arg(name: str) -> str | None:
    value = router.current_event.get_query_string_value(name)
    return value if value else None


@router.get("/console")
def page() -> Any:
    """The console on its own: the page signs in from a link's code or the merchant's token."""
    return render.html(200, "shell.html", in_admin=False, session_value=None, connection_id=None, app_id=None,
                       ecwid_sdk=None, ecwid_css=None)


@router.get("/console/ecwid")
def admin_page() -> Any:
    """The console inside the Ecwid admin, opened with Ecwid's encrypted payload."""
    from connector.connections.wiring import wire
    from connector.console import access
    from connector.observability import logger

    w = wire()
    try:
        connection, value = access.from_admin_payload(
            _arg("payload"), client_secret=w.creds.ecwid_client_secret, repo=w.c.repo, vault=w.c.vault,
            signing_key=w.creds.state_signing_key, now=_now())
    except access.AdminRefused as refused:
        logger().info("console payload refused", extra={"reason": refused.reason})
        return render.html(403, "refused.html", in_admin=True, reason=refused.reason)
    return render.html(200, "shell.html", in_admin=True, session_value=value,
                       connection_id=connection.connection_id, app_id=w.creds.ecwid_client_id,
                       ecwid_sdk=render.ECWID_SDK, ecwid_css=render.ECWID_CSS)


@router.get("/console/shopify")
def shopify_admin_page() -> Any:
    """The console inside the Shopify admin: the app URL as Shopify loads it (``shop``, ``host``,
    ``timestamp``, ``hmac``, and ``id_token`` when embedded), checked by the platform's app."""
    from connector.connections.platforms import app, query_params
    from connector.connections.wiring import wire
    from connector.console import access
    from connector.observability import logger

    w = wire()
    store_app = app("shopify", w.creds)
    params = query_params(router.current_event.raw_event.get("rawQueryString") or "")
    try:
        connection, value = access.from_store_admin(store_app, params, repo=w.c.repo,
                                                    signing_key=w.creds.state_signing_key, now=_now())
    except access.AdminRefused as refused:
        logger().info("console admin launch refused", extra={"reason": refused.reason, "platform": store_app.name})
        return render.html(403, "refused.html", in_admin=True, ecwid_files=False,
                           admin_ancestors=store_app.admin_frame_ancestors(""), reason=refused.reason)
    return render.html(200, "shell.html", in_admin=True, ecwid_files=False,
                       admin_ancestors=store_app.admin_frame_ancestors(connection.store_id), session_value=value,
                       connection_id=connection.connection_id, app_id=None, ecwid_sdk=None, ecwid_css=None)


@router.post("/console/session")
def sign_in() -> Any:
    from connector.connections.wiring import wire
    from connector.console import access, session

    raw = router.current_event.decoded_body or ""
    data = json.loads(raw) if raw else {}  # JSONDecodeError -> 400
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise BadRequest("the body is an object of strings", reason="invalid_body")
    w = wire()
    connection, value = access.from_sign_in(repo=w.c.repo, signing_key=w.creds.state_signing_key, now=_now(),
                                            code=data.get("code"), connection_id=data.get("connection_id"),
                                            token=data.get("token"))
    return json_response(200, {"session": value, "connection_id": connection.connection_id,
                               "expires_at": session.expires_at(value)})


@router.get("/console/static/<name>")
def static(name: str) -> Any:
    return render.static(name)


def _reader() -> Any:
    from connector.connections.repository import ConnectionRepository
    from connector.connections.wiring import wire
    from connector.console import access, screens, session

    w = wire()
    connection = access.session_connection(ConnectionRepository(w.env.table_name),
                                           session.from_headers(router.current_event.headers),
                                           signing_key=w.creds.state_signing_key, now=_now())
    return screens.reader(connection)


def _view(screen: str, r: Any) -> dict[str, Any]:
    from connector.console import screens

    token = _arg("page_token")
    if screen == "dashboard":
        days = _arg("days") or "30"
        if not days.isdigit() or not 1 <= int(days) <= 366:
            raise BadRequest("days is a number from 1 to 366", reason="bad_days")
        return screens.dashboard(r, int(days))
    if screen == "products":
        return screens.products(r, status=_arg("status"), q=_arg("q") or "", page_token=token)
    if screen == "product":
        return screens.product(r, _arg("id") or "")
    if screen == "orders":
        return screens.orders(r, state=_arg("state"), q=_arg("q") or "", page_token=token)
    if screen == "order":
        return screens.order(r, _arg("id") or "")
    if screen == "tasks":
        return screens.tasks(r, token)
    if screen == "task":
        return screens.task(r, _arg("id") or "", token)
    if screen == "categories":
        return screens.categories(r)
    if screen == "category":
        return screens.category(r, _arg("id") or "")
    if screen == "settings":
        return _settings_context(r, None, {})
    if screen == "validation":
        return _validation(r)
    return screens.connection(r)


def _validation(r: Any) -> dict[str, Any]:
    """Pre-validation of the products picked (``ids``) or of the whole catalog a page at a time
    (``all``), through the merchant API's own selection and check."""
    from pydantic import ValidationError

    from connector.api import correlation
    from connector.api.bulk import ProductSelection, validate_selection
    from connector.catalog.context import open_catalog
    from connector.connections.wiring import wire

    ids = [i for i in (_arg("ids") or "").split(",") if i]
    try:
        request = (ProductSelection(all=True, page_token=_arg("page_token")) if _arg("all")
                   else ProductSelection(product_ids=ids or None))
    except ValidationError:
        raise BadRequest("select products to check (at most 500), or check all", reason="invalid_selection") from None
    verdicts, token = validate_selection(open_catalog(wire().c, r.cid, correlation(router)), request)
    counts: dict[str, int] = {}
    for verdict in verdicts:
        counts[verdict.outcome] = counts.get(verdict.outcome, 0) + 1
    return {"verdicts": verdicts, "counts": counts, "next_page_token": token, "all": request.all,
            "outcome_words": OUTCOME_WORDS}


@router.get("/console/view/<screen>")
def view(screen: str) -> Any:
    if screen not in SCREENS:
        raise NotFound(f"no console screen {screen[:40]!r}", reason="no_such_screen")
    r = _reader()
    try:
        context = _view(screen, r)
    except ConnectorError as exc:
        if exc.status >= 500:
            raise
        return render.html(exc.status, "problem.html", message=exc.message)
    return render.html(200, f"{screen}.html", cid=r.cid, **context)


# ------------------------------------------------------------------------------ settings
def _settings_context(r: Any, current: Any, errors: dict[str, str], saved: bool = False,
                      submitted: dict[str, Any] | None = None) -> dict[str, Any]:
    from connector.console import forms, screens
    from connector.settings import SettingsRepository

    settings = current if current is not None else SettingsRepository(r.table, r.client).get(r.cid)
    # The location -> warehouse map is for a store that keeps stock per location.
    per_location = r.connection.store_location_id is not None
    hidden = () if per_location else ("stock.warehouses",)
    return {"sections": forms.settings_form(settings, submitted or {}, hidden), "errors": errors, "saved": saved,
            **screens.stock_location(r), **(screens.warehouse_choices(r) if per_location else {})}


@router.post("/console/view/settings")
def save_settings() -> Any:
    from pydantic import ValidationError

    from connector.api.operations import save_settings as save
    from connector.console import forms

    r = _reader()
    raw = router.current_event.decoded_body or ""
    submitted = json.loads(raw) if raw else None  # JSONDecodeError -> 400
    if not isinstance(submitted, dict):
        raise BadRequest("the body is an object of settings fields", reason="invalid_body")
    changes, errors = forms.settings_changes(submitted)
    status = 400
    if not errors:
        try:
            updated = save(r.client, r.table, r.cid, changes)
        except ValidationError as exc:
            errors = forms.field_errors(exc)
        except ConnectorError as exc:  # the map refused by the store or TikTok, or one not answering
            status = exc.status
            errors = {"stock.warehouses" if "warehouses" in changes.get("stock", {}) else "form": exc.message}
        else:
            return render.html(200, "settings.html", cid=r.cid, **_settings_context(r, updated, {}, saved=True))
    return render.html(status, "settings.html", cid=r.cid, **_settings_context(r, None, errors, submitted=submitted))


# ------------------------------------------------------------------------------ sign-in link
@router.get("/connections/<connection_id>/console")
def sign_in_link(connection_id: str) -> Any:
    """A sign-in link to the console for this connection (valid 15 minutes), as a redirect."""
    from aws_lambda_powertools.event_handler import Response

    from connector.api import owned
    from connector.connections.wiring import wire
    from connector.console import session

    w = wire()
    connection = owned(router, w, connection_id)
    base = w.env.public_base_url.rstrip("/") or f"https://{router.current_event.request_context.domain_name}"
    code = session.issue(w.creds.state_signing_key, "sc", connection_id, _now(), version=connection.session_version)
    return Response(status_code=302, headers={"Location": f"{base}/console#signin={code}",
                                              "Cache-Control": "no-store"}, body="")


# ------------------------------------------------------------------------------ re-authorize TikTok
@router.post("/console/reauthorize")
def reauthorize_link() -> Any:
    """A link (two minutes) that opens TikTok's consent page in a tab of its own: the OAuth state
    is bound to the browser that opens it (its ``tts_oauth`` cookie), which a fetch from the
    page, or a page inside the Ecwid admin's frame, cannot set."""
    from connector.console import session

    r = _reader()
    if r.connection.state == "disconnected":
        raise Conflict("a disconnected connection is installed again from the install link",
                       reason="connection_disconnected")
    from connector.connections.wiring import wire

    code = session.issue(wire().creds.state_signing_key, "ra", r.cid, _now(), session.REAUTHORIZE_TTL_S,
                         version=r.connection.session_version)
    return json_response(200, {"url": f"/console/reauthorize?code={code}"})


@router.get("/console/reauthorize")
def reauthorize() -> Any:
    """Start TikTok's re-authorization for the link's connection, bound to this browser, exactly as
    the merchant API's ``GET /connections/<id>/reauthorize`` does."""
    from aws_lambda_powertools.event_handler import Response

    from connector.connections.install import InstallFlow
    from connector.connections.oauth_state import browser_cookie, browser_from_cookies, new_browser_nonce
    from connector.connections.pages import SECURITY_HEADERS
    from connector.connections.wiring import wire
    from connector.console import access
    from connector.observability import logger

    w = wire()
    try:
        connection = access.reauthorize_grant(w.c.repo, _arg("code"), signing_key=w.creds.state_signing_key,
                                              now=_now())
    except access.AdminRefused as refused:
        logger().info("console re-authorization link refused", extra={"reason": refused.reason})
        return render.html(403, "refused.html", reason=refused.reason)
    nonce = browser_from_cookies(list(router.current_event.cookies or [])) or new_browser_nonce()
    cookies = [browser_cookie(nonce, secure=(w.env.public_base_url or "https://").startswith("https://"))]
    flow = InstallFlow(w.c, w.states(), None, w.sender, w.env.tasks_queue_url)
    url = flow.reauthorize_url(connection.connection_id, nonce)
    return Response(status_code=302, headers={**SECURITY_HEADERS, "Location": url}, body="", cookies=cookies)
