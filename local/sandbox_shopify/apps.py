"""The sandbox Shopify admin's page for an installed app: a page of the shop's admin that frames
the app's URL, loaded as Shopify loads an embedded app (see docs/shopify.md, "Opening the console
from the Shopify admin"):

    GET /store/{shop}/admin/apps/{handle}

frames ``<app url>?embedded=1&host&id_token&locale&session&shop&timestamp&hmac``: ``host`` is the
base64 of ``admin.shopify.com/store/<name>``, ``id_token`` a session token (HS256 JWT, one minute)
signed with the app's secret, ``hmac`` the signature of the other parameters. The app's URL is
set with :meth:`AppsPage.set_app_url` (``PUT /_admin/app-url {"url"}``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from local.admin_input import AdminInputError, only, text
from local.httpkit import Request, Response, Router, html_response, json_response

if TYPE_CHECKING:
    from local.sandbox_shopify.server import ShopifySandbox

SESSION_TOKEN_TTL_S = 60
"""A session token lives one minute (Shopify's "About session tokens")."""
APP_HANDLE = "tiktok-shop"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{shop} · Apps · Shopify admin (sandbox)</title>
<style>body{{margin:0;font-family:sans-serif;display:flex;min-height:100vh}}
aside{{width:200px;background:#1a1a1a;color:#e3e3e3;padding:16px;font-size:14px}}
aside b{{display:block;color:#fff;margin-bottom:12px}}
iframe{{flex:1;border:0;min-height:100vh}}</style></head>
<body><aside><b>{shop}</b>Home<br>Orders<br>Products<br>Apps<br>&rsaquo; TikTok Shop</aside>
<iframe id="app" name="app-iframe" title="TikTok Shop app" src="{src}"></iframe></body></html>"""


def make_session_token(claims: dict[str, Any], secret: str) -> str:
    """A JWT as Shopify signs a session token: HS256 over ``header.payload`` (base64url, no padding)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signed = f"{part(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{part(json.dumps(claims).encode())}"
    return f"{signed}.{part(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())}"


class AppsPage:
    def __init__(self, sandbox: ShopifySandbox) -> None:
        self.sandbox = sandbox
        self.app_url: str | None = None

    def register(self, router: Router) -> None:
        router.add("GET", "/store/{shop}/admin/apps/{handle}", self._page)
        router.add("PUT", "/_admin/app-url", self._set)

    def set_app_url(self, url: str) -> None:
        """Where the app's page is (``<ApiUrl>/console/shopify`` for the connector)."""
        self.app_url = url

    def session_token(self, domain: str, *, now: float | None = None, ttl_s: int = SESSION_TOKEN_TTL_S,
                      secret: str | None = None, audience: str | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {"iss": f"https://{domain}/admin", "dest": f"https://{domain}",
                  "aud": audience or self.sandbox.client_id, "sub": "1", "exp": issued + ttl_s, "nbf": issued,
                  "iat": issued, "jti": secrets.token_hex(8), "sid": secrets.token_hex(8)}
        return make_session_token(claims, secret or self.sandbox.client_secret)

    def launch_params(self, domain: str, *, now: float | None = None, secret: str | None = None,
                      embedded: bool = True) -> dict[str, str]:
        """The query the admin adds to the app's URL (``secret``: sign with another, a forgery)."""
        from local.sandbox_shopify.server import sign_query

        issued = int(time.time() if now is None else now)
        name = domain.split(".", maxsplit=1)[0]
        params = {"host": base64.b64encode(f"admin.shopify.com/store/{name}".encode()).decode(),
                  "locale": "en", "session": secrets.token_hex(16), "shop": domain, "timestamp": str(issued)}
        if embedded:
            params["embedded"] = "1"
            params["id_token"] = self.session_token(domain, now=issued, secret=secret)
        params["hmac"] = sign_query(secret or self.sandbox.client_secret, params)
        return params

    def launch_url(self, domain: str, **options: Any) -> str:
        if self.app_url is None:
            raise LookupError("no app URL is set")
        return f"{self.app_url}?{urlencode(self.launch_params(domain, **options))}"

    def _page(self, request: Request) -> Response:
        domain = request.params["shop"]
        if self.sandbox.state.shop(domain) is None:
            return html_response("<h1>There's no store at this address.</h1>", 404)
        if request.params["handle"] != APP_HANDLE or self.app_url is None:
            return html_response("<h1>This app is not installed.</h1>", 404)
        return html_response(PAGE.format(shop=html.escape(domain), src=html.escape(self.launch_url(domain))))

    def _set(self, request: Request) -> Response:
        try:
            body = only(request.json() or {}, {"url"})
            url = text(body, "url", "") or ""
            if not url.startswith(("http://", "https://")):
                raise AdminInputError("url", "must be an http(s) URL")
        except AdminInputError as exc:
            return json_response({"errors": f"Bad admin request: {exc.field} {exc.reason}",
                                  "code": "BAD_ADMIN_REQUEST"}, 400)
        except ValueError:
            return json_response({"errors": "Bad admin request: body must be JSON", "code": "BAD_ADMIN_REQUEST"}, 400)
        self.set_app_url(url)
        return json_response({"ok": True})
