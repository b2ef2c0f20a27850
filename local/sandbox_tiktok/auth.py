"""Seller authorization page, token endpoints (the auth host, under ``/auth``) and the
authorized-shops call."""

from __future__ import annotations

import html
import time
from typing import Any
from urllib.parse import urlencode

from local.httpkit import Request, Response, html_response, json_response, redirect
from local.sandbox_tiktok import codes as c
from local.sandbox_tiktok.core import Call, Core
from local.sandbox_tiktok.state import Seller, Token

AUTH_PREFIX = "/auth"


class AuthApi(Core):
    def register_auth(self) -> None:
        self.router.add("GET", "/oauth/authorize", self._authorize_page)
        self.router.add("POST", "/oauth/authorize", self._authorize_decision)
        self.router.add("GET", AUTH_PREFIX + "/api/v2/token/get", self._token_get)
        self.router.add("GET", AUTH_PREFIX + "/api/v2/token/refresh", self._token_refresh)
        self.api("GET", "/authorization/202309/shops", self._shops)
        self.api("GET", "/seller/202309/shops", self._active_shops)

    # --- Python API ------------------------------------------------------------------------

    def issue_auth_code(self, seller_id: str) -> str:
        """What the authorization page does on "approve": a single-use code valid 30 minutes."""
        with self.state.lock:
            if seller_id not in self.state.sellers:
                raise KeyError(seller_id)
            code = self.state.new_secret("AC_")
            self.state.tokens[code] = Token(code, seller_id, time.time() + self.config.auth_code_ttl_s, "code")
            return code

    def issue_tokens(self, seller_id: str) -> dict[str, Any]:
        """Token set for a seller without the OAuth dance (test set-up)."""
        with self.state.lock:
            return self._new_token_set(self.state.sellers[seller_id])

    def expire_access_tokens(self, seller_id: str | None = None) -> int:
        """Make live access tokens expired (TikTok then answers 105002)."""
        count = 0
        with self.state.lock:
            for token in self.state.tokens.values():
                if token.kind == "access" and (seller_id is None or token.seller_id == seller_id):
                    token.expires_at = min(token.expires_at, time.time() - 1)
                    count += 1
        return count

    def expire_refresh_tokens(self, seller_id: str | None = None) -> int:
        count = 0
        with self.state.lock:
            for token in self.state.tokens.values():
                if token.kind == "refresh" and (seller_id is None or token.seller_id == seller_id):
                    token.expires_at = min(token.expires_at, time.time() - 1)
                    count += 1
        return count

    def set_scopes(self, seller_id: str, scopes: list[str]) -> None:
        with self.state.lock:
            self.state.sellers[seller_id].granted_scopes = list(scopes)

    def deauthorize(self, seller_id: str) -> None:
        """The seller revokes the app in Seller Center: tokens die, webhook 6 per shop."""
        with self.state.lock:
            seller = self.state.sellers[seller_id]
            for token in self.state.tokens.values():
                if token.seller_id == seller_id:
                    token.expires_at = 0
            shops = list(seller.shops)
        for shop in shops:
            self.emit(shop.id, 6, {"message": "The seller has deauthorized the app."})

    def warn_authorization_expiry(self, seller_id: str, expiration_time: int | None = None) -> None:
        """Webhook 7, as TikTok sends 30 days before the authorization expires."""
        when = expiration_time or int(time.time()) + 30 * 86400
        with self.state.lock:
            shops = list(self.state.sellers[seller_id].shops)
        for shop in shops:
            self.emit(
                shop.id,
                7,
                {
                    "message": "The authorization will expire soon; re-authorize.",
                    "expiration_time": str(when),
                },
            )

    # --- internals -------------------------------------------------------------------------

    def _new_token_set(self, seller: Seller) -> dict[str, Any]:
        now = time.time()
        access = Token(self.state.new_secret("TTP_"), seller.id, now + self.config.access_token_ttl_s, "access")
        refresh = Token(self.state.new_secret("TTP_R"), seller.id, now + self.config.refresh_token_ttl_s, "refresh")
        self.state.tokens[access.value] = access
        self.state.tokens[refresh.value] = refresh
        return {
            "access_token": access.value,
            "access_token_expire_in": int(access.expires_at),  # absolute, as TikTok sends it
            "refresh_token": refresh.value,
            "refresh_token_expire_in": int(refresh.expires_at),
            "open_id": seller.id,
            "seller_name": seller.name,
            "seller_base_region": seller.region,
            "user_type": 0,
            "granted_scopes": list(seller.granted_scopes),
        }

    def _auth_envelope(self, code: int, message: str, data: Any = None) -> Response:
        request_id = time.strftime("%Y%m%d%H%M%S") + "AUTH"
        return json_response({"code": code, "message": message, "request_id": request_id, "data": data})

    def _check_app(self, request: Request, grant_type: str) -> Response | None:
        if request.arg("app_key") != self.app_key or request.arg("app_secret") != self.app_secret:
            return self._auth_envelope(c.BAD_PARAMETER, "Invalid credentials: app_key or app_secret")
        if request.arg("grant_type") != grant_type:
            return self._auth_envelope(c.BAD_PARAMETER, f"grant_type must be {grant_type}")
        return None

    def _token_get(self, request: Request) -> Response:
        refused = self._check_app(request, "authorized_code")
        if refused:
            return refused
        with self.state.lock:
            token = self.state.tokens.get(request.arg("auth_code") or "")
            if token is None or token.kind != "code" or token.used or token.expires_at <= time.time():
                return self._auth_envelope(c.INVALID_AUTH_CODE, "The auth code is invalid, used or expired")
            token.used = True
            data = self._new_token_set(self.state.sellers[token.seller_id])
        return self._auth_envelope(c.OK, "success", data)

    def _token_refresh(self, request: Request) -> Response:
        refused = self._check_app(request, "refresh_token")
        if refused:
            return refused
        with self.state.lock:
            token = self.state.tokens.get(request.arg("refresh_token") or "")
            if token is None or token.kind != "refresh" or token.expires_at <= time.time():
                return self._auth_envelope(c.INVALID_REFRESH_TOKEN, "The refresh token is invalid or expired")
            # Rotation is UNCONFIRMED for TikTok; the sandbox rotates (the old one stops working)
            # so a connector that forgets to store the new refresh token fails here, not in prod.
            token.expires_at = 0
            data = self._new_token_set(self.state.sellers[token.seller_id])
        return self._auth_envelope(c.OK, "success", data)

    def _shops(self, request: Request, call: Call) -> dict[str, Any]:
        with self.state.lock:
            return {"shops": [shop.json() for shop in call.seller.shops]}

    def _active_shops(self, request: Request, call: Call) -> dict[str, Any]:
        """Active shops: TikTok answers only each shop's ``id`` and ``region`` here."""
        with self.state.lock:
            return {"shops": [{"id": shop.id, "region": shop.region} for shop in call.seller.shops]}

    # --- the authorization page -----------------------------------------------------------

    def _authorize_page(self, request: Request) -> Response:
        if request.arg("service_id") != self.service_id:
            return html_response("<h1>Unknown service_id</h1>", 400)
        state = request.arg("state") or ""
        with self.state.lock:
            sellers = list(self.state.sellers.values())
        options = "".join(
            f'<option value="{html.escape(s.id)}">{html.escape(s.name)} ({html.escape(s.region)}, '
            f"{len(s.shops)} shop(s))</option>"
            for s in sellers
        )
        page = f"""<!doctype html><html><head><title>Authorize app - TikTok Shop sandbox</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto">
<h1>Authorize the connector</h1>
<p>The app <b>{html.escape(self.app_key)}</b> asks to manage products, orders, fulfillment and
returns of your shops.</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="service_id" value="{html.escape(self.service_id)}">
<input type="hidden" name="state" value="{html.escape(state)}">
<label>Seller account <select name="seller_id">{options}</select></label>
<p><button name="decision" value="approve">Authorize</button>
<button name="decision" value="deny">Cancel</button></p>
</form></body></html>"""
        return html_response(page)

    def _authorize_decision(self, request: Request) -> Response:
        form = request.form()
        target = self.config.redirect_url
        if not target:
            return html_response("<h1>No redirect URL configured for this app</h1>", 400)
        state = form.get("state", "")
        separator = "&" if "?" in target else "?"
        if form.get("decision") != "approve":
            params = {"code": "null", "error": "auth_denied"}
        else:
            try:
                params = {"code": self.issue_auth_code(form.get("seller_id", ""))}
            except KeyError:
                return html_response("<h1>Unknown seller</h1>", 400)
        if state:
            params["state"] = state
        return redirect(target + separator + urlencode(params))
