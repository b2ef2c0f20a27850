"""The install journey's HTTP steps: each store platform's install link and OAuth callback
(``/install/<platform>``, ``/oauth/<platform>/callback``; the platform's app from the registry
checks what the platform signed) and TikTok Shop's authorization callback. Every failure is a
page that says what to do next. Every state is bound to the browser by the ``tts_oauth`` cookie
set when the flow starts."""

from __future__ import annotations

from typing import Any

from connector.connections import merchant
from connector.connections.install import CodeRefused, ExchangeFailed, InstallDenied, InstallFlow
from connector.connections.oauth_state import (
    InvalidState,
    WrongBrowser,
    browser_cookie,
    browser_from_cookies,
    new_browser_nonce,
)
from connector.connections.pages import SECURITY_HEADERS, esc, page
from connector.connections.repository import SellerChanged, ShopTaken
from connector.connections.wiring import Wired, store_app, wire
from connector.errors import ConnectorError
from connector.observability import logger, metrics
from connector.web import resolver, serve

app = resolver()


def _html(status: int, body: str, *, location: str | None = None, cookies: list[Any] | None = None) -> Any:
    from aws_lambda_powertools.event_handler import Response

    headers = dict(SECURITY_HEADERS)
    if location:
        headers["Location"] = location
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body, headers=headers,
                    cookies=cookies)


def _base_url(w: Wired) -> str:
    if w.env.public_base_url:
        return w.env.public_base_url.rstrip("/")
    return f"https://{app.current_event.request_context.domain_name}"


def _flow(w: Wired, store_oauth: Any = None) -> InstallFlow:
    return InstallFlow(w.c, w.states(), store_oauth, w.sender, w.env.tasks_queue_url)


def _params() -> dict[str, str | list[str]]:
    from connector.connections.platforms import query_params

    return query_params(str(app.current_event.raw_event.get("rawQueryString") or ""))


def _install_link(base: str, platform: str) -> str:
    """The platform's install link again (with the store it named, when it named one)."""
    from urllib.parse import urlencode

    shop = _arg("shop")
    return f"{base}/install/{platform}" + (f"?{urlencode({'shop': shop[:255]})}" if shop else "")


def _bad_request(exc: Exception, retry_url: str) -> Any:
    logger().info("install request refused", extra={"error": type(exc).__name__})
    return _html(400, page("This installation request is not valid",
                           "The request did not come from the store as expected (it was altered, is too old, "
                           "or names no store of the platform). Nothing was changed. Open the app from your "
                           "store's admin to start again.", link=_link("Start the installation again", retry_url)))


def _arg(name: str) -> str | None:
    return app.current_event.get_query_string_value(name)


def _browser() -> str | None:
    return browser_from_cookies(list(app.current_event.cookies or []))


def _browser_or_new(base: str) -> tuple[str, list[Any]]:
    """This browser's nonce (a new one when it has none), and its cookie set again so it
    outlives the flow that starts now."""
    nonce = _browser() or new_browser_nonce()
    return nonce, [browser_cookie(nonce, secure=base.startswith("https://"))]


def _failure(w: Wired, exc: ConnectorError, retry_url: str | None) -> Any:
    """The page of a refused step; ``retry_url``: the install link to start again from (``None``
    when the step does not tell which store platform it was for)."""
    logger().info("install step refused", extra={"error": exc.code, "reason": exc.reason})
    if isinstance(exc, WrongBrowser):
        return _html(400, page("This link belongs to another browser",
                               "This authorization was started in another browser, so it cannot be finished "
                               "here. Nothing was connected. If you want to connect your own store, start the "
                               "installation from your own browser.", link=_link("Start the installation", retry_url)))
    if isinstance(exc, CodeRefused):
        return _html(400, page("This authorization is no longer valid",
                               "The store did not accept the authorization: it was altered, has expired or was "
                               "used already. Nothing was changed.",
                               link=_link("Start the installation again", retry_url)))
    if isinstance(exc, InvalidState):
        return _html(400, page("This link is no longer valid",
                               "The installation link was altered, has expired or was used already. "
                               "Nothing was changed.", link=_link("Start the installation again", retry_url)))
    if isinstance(exc, InstallDenied):
        return _html(200, page("Installation cancelled",
                               "You did not grant access, so nothing was connected. You can start again at "
                               "any time.", link=_link("Start the installation again", retry_url)))
    if isinstance(exc, ExchangeFailed):
        return _html(502, page("We could not finish connecting",
                               "The platform did not complete the authorization. Nothing was saved; please "
                               "retry.", link=_link("Retry the installation", retry_url)))
    if isinstance(exc, SellerChanged):
        return _html(409, page("This store is connected to a different TikTok seller",
                               "You signed in to TikTok Shop as a different TikTok seller than the one this "
                               "store is connected to. Nothing was changed. Sign in as the seller the store is "
                               "connected to, or disconnect the store (deleting its data) and install again."))
    if isinstance(exc, ShopTaken):
        holder = w.c.repo.get(exc.holder) if exc.holder else None
        where = f" ({esc(holder.platform)} store {esc(holder.store_id)})" if holder else ""
        return _html(409, page("This TikTok shop is already connected to another store",
                               f"TikTok shop {esc(exc.shop_id)} is already connected to another store{where}. "
                               "A TikTok shop can be connected to one store only. Nothing was changed. "
                               "Disconnect the other store first, then install again."))
    raise exc


def _link(text: str, url: str | None) -> tuple[str, str] | None:
    return (text, url) if url else None


@app.get("/install/ecwid")
def install_ecwid() -> Any:
    return _install("ecwid")


@app.get("/oauth/ecwid/callback")
def ecwid_callback() -> Any:
    return _callback("ecwid")


@app.get("/install/shopify")
def install_shopify() -> Any:
    return _install("shopify")


@app.get("/oauth/shopify/callback")
def shopify_callback() -> Any:
    return _callback("shopify")


def _install(platform: str) -> Any:
    from connector.stores.errors import StoreError

    w = wire()
    base = _base_url(w)
    store = store_app(w, platform)
    if store.market_install and (_arg("code") or _arg("error")):  # the app market sends its install straight here
        return _store_callback(w, base, platform)
    try:
        oauth = store.install_oauth(_params())
    except StoreError as exc:
        return _bad_request(exc, _install_link(base, platform))
    nonce, cookies = _browser_or_new(base)
    return _html(302, "", location=_flow(w, oauth).start(f"{base}/oauth/{platform}/callback", nonce),
                 cookies=cookies)


def _callback(platform: str) -> Any:
    w = wire()
    return _store_callback(w, _base_url(w), platform)


def _store_callback(w: Wired, base: str, platform: str) -> Any:
    from connector.stores.errors import StoreError

    retry = _install_link(base, platform)
    store = store_app(w, platform)
    try:
        oauth = store.callback_oauth(_params())
    except StoreError as exc:
        return _bad_request(exc, retry)
    try:
        step = _flow(w, oauth).store_callback(code=_arg("code"), state=_arg("state"), error=_arg("error"),
                                              redirect_uri=f"{base}/oauth/{platform}/callback", browser=_browser(),
                                              market_allowed=store.market_install)
    except (InvalidState, CodeRefused, InstallDenied, ExchangeFailed) as exc:
        return _failure(w, exc, retry)
    if step.tiktok_authorize_url is None:
        # An app-market install: no state came with it, so nothing proves this browser asked for
        # it (login CSRF). The merchant continues through our own install link: the store
        # logged in to this browser consents (at once: the app is installed), then TikTok.
        store_name = esc(f"{step.connection.platform} store {step.connection.store_id}")
        return _html(200, page("App installed",
                               f"The app is installed in {store_name}. Next, connect your TikTok Shop.",
                               link=("Continue", retry)))
    return _html(302, "", location=step.tiktok_authorize_url)


@app.get("/oauth/tiktok/callback")
def tiktok_callback() -> Any:
    from aws_lambda_powertools.shared.cookies import Cookie, SameSite

    from connector.runtime import now

    w = wire()
    base = _base_url(w)
    flow = _flow(w)
    try:
        step = flow.tiktok_callback(code=_arg("code"), state=_arg("state"), error=_arg("error"),
                                    correlation_id=app.current_event.request_context.request_id,
                                    browser=_browser())
    except (InvalidState, InstallDenied, ExchangeFailed, SellerChanged, ShopTaken) as exc:
        platform = flow.connection.platform if flow.connection is not None else None
        return _failure(w, exc, f"{base}/install/{platform}" if platform else None)
    connection = step.connection
    cid = connection.connection_id
    cookie = Cookie(name=merchant.SESSION_COOKIE,
                    value=merchant.session_value(w.creds.state_signing_key, connection, int(now())),
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
