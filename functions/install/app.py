"""The install journey's HTTP steps: the install link, the store's OAuth callback and TikTok
Shop's authorization callback. Every failure is a page that says what to do next."""

from __future__ import annotations

from typing import Any

from connector.connections import merchant
from connector.connections.install import CodeRefused, ExchangeFailed, InstallDenied, InstallFlow
from connector.connections.oauth_state import InvalidState
from connector.connections.pages import esc, page
from connector.connections.wiring import Wired, store_oauth, wire
from connector.errors import ConnectorError
from connector.observability import logger, metrics
from connector.web import resolver, serve

app = resolver()


def _html(status: int, body: str, *, location: str | None = None, cookies: list[Any] | None = None) -> Any:
    from aws_lambda_powertools.event_handler import Response

    headers = {"Cache-Control": "no-store"}
    if location:
        headers["Location"] = location
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body, headers=headers,
                    cookies=cookies)


def _base_url(w: Wired) -> str:
    if w.env.public_base_url:
        return w.env.public_base_url.rstrip("/")
    return f"https://{app.current_event.request_context.domain_name}"


def _flow(w: Wired) -> InstallFlow:
    return InstallFlow(w.c, w.states(), store_oauth(w), w.sender, w.env.tasks_queue_url)


def _arg(name: str) -> str | None:
    return app.current_event.get_query_string_value(name)


def _failure(exc: ConnectorError, retry_url: str) -> Any:
    logger().info("install step refused", extra={"error": exc.code, "reason": exc.reason})
    if isinstance(exc, CodeRefused):
        return _html(400, page("This authorization is no longer valid",
                               "The store did not accept the authorization: it was altered, has expired or was "
                               "used already. Nothing was changed.", link=("Start the installation again", retry_url)))
    if isinstance(exc, InvalidState):
        return _html(400, page("This link is no longer valid",
                               "The installation link was altered, has expired or was used already. "
                               "Nothing was changed.", link=("Start the installation again", retry_url)))
    if isinstance(exc, InstallDenied):
        return _html(200, page("Installation cancelled",
                               "You did not grant access, so nothing was connected. You can start again at "
                               "any time.", link=("Start the installation again", retry_url)))
    if isinstance(exc, ExchangeFailed):
        return _html(502, page("We could not finish connecting",
                               "The platform did not complete the authorization. Nothing was saved; please "
                               "retry.", link=("Retry the installation", retry_url)))
    raise exc


@app.get("/install/ecwid")
def install_ecwid() -> Any:
    w = wire()
    base = _base_url(w)
    if _arg("code") or _arg("error"):  # the app market sends its install straight here
        return _store_callback(w, base)
    return _html(302, "", location=_flow(w).start(f"{base}/oauth/ecwid/callback"))


@app.get("/oauth/ecwid/callback")
def ecwid_callback() -> Any:
    w = wire()
    return _store_callback(w, _base_url(w))


def _store_callback(w: Wired, base: str) -> Any:
    retry = f"{base}/install/ecwid"
    try:
        step = _flow(w).store_callback(code=_arg("code"), state=_arg("state"), error=_arg("error"),
                                       redirect_uri=f"{base}/oauth/ecwid/callback")
    except (InvalidState, CodeRefused, InstallDenied, ExchangeFailed) as exc:
        return _failure(exc, retry)
    if step.market_install:
        # No state came with it, so do not bounce the browser on by itself (login-CSRF): the
        # merchant clicks through to TikTok Shop.
        return _html(200, page("Store connected", "Your store is connected. Next, authorize your TikTok Shop.",
                               link=("Continue to TikTok Shop", step.tiktok_authorize_url)))
    return _html(302, "", location=step.tiktok_authorize_url)


@app.get("/oauth/tiktok/callback")
def tiktok_callback() -> Any:
    from aws_lambda_powertools.shared.cookies import Cookie, SameSite

    from connector.runtime import now

    w = wire()
    base = _base_url(w)
    try:
        step = _flow(w).tiktok_callback(code=_arg("code"), state=_arg("state"), error=_arg("error"),
                                        correlation_id=app.current_event.request_context.request_id)
    except (InvalidState, InstallDenied, ExchangeFailed) as exc:
        return _failure(exc, f"{base}/install/ecwid")
    connection = step.connection
    cid = connection.connection_id
    cookie = Cookie(name=merchant.SESSION_COOKIE,
                    value=merchant.session_value(w.creds.state_signing_key, cid, int(now())),
                    path="/connections", secure=base.startswith("https://"), http_only=True,
                    max_age=merchant.SESSION_TTL_S, same_site=SameSite.LAX_MODE)
    shops = ", ".join(esc(f"{s.name or s.shop_id} ({s.region}, {s.currency})") for s in step.shops) or "none"
    lines = [f"Connection <code id='connection-id'>{esc(cid)}</code> is <b id='state'>{esc(connection.state)}</b>"
             + (f": {esc(connection.reason)}" if connection.reason else "."), f"TikTok shops: {shops}."]
    if step.merchant_token:
        lines.append("Your connection token (shown once; keep it safe, it grants access to this connection "
                     f"only): <code id='merchant-token'>{esc(step.merchant_token)}</code>")
    if step.catalog_pull_queued:
        lines.append("The first catalog pull is queued.")
    return _html(200, page("TikTok Shop connected", *lines, link=("Your connection", f"{base}/connections/{cid}")),
                 cookies=[cookie])


@metrics().log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(app, event, context)
