"""Ecwid's install flow: the authorize URL and the code-for-token exchange.

- ``GET {oauth}/authorize?client_id&redirect_uri&response_type=code&scope`` (all required).
  Ecwid does not document ``state`` (UNCONFIRMED that it is echoed back), so we send our own
  and the caller also keeps it server-side (TTL'd) and compares it on the way back.
- ``POST {oauth}/token`` form-encoded (GET was removed on 2025-03-20). The code is single-use
  and a second exchange disables the first token, so the exchange is never retried.
- Tokens never expire and there is no refresh: they die on uninstall.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from connector.stores.ecwid import config
from connector.stores.errors import AuthError, ServerError, StoreError, StoreValidationError
from connector.stores.protocol import StoreGrant, StoreOAuth
from connector.stores.wire import decode_json


def new_state() -> str:
    """An unguessable CSRF state for one install attempt."""
    return secrets.token_urlsafe(24)


def same_state(expected: str, received: str | None) -> bool:
    return received is not None and hmac.compare_digest(expected.encode(), received.encode())


class EcwidOAuth:
    """Implements :class:`~connector.stores.protocol.StoreOAuth` for one Ecwid app."""

    platform = config.PLATFORM

    def __init__(
        self,
        client_id: str,
        client_secret: str | SecretStr,
        *,
        oauth_base: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.client_id = client_id
        self._secret = client_secret.get_secret_value() if isinstance(client_secret, SecretStr) else client_secret
        self._base = (oauth_base or config.oauth_base()).rstrip("/")
        self._http = http or httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0))

    def __repr__(self) -> str:
        return f"EcwidOAuth(client_id={self.client_id!r})"

    def authorize_url(self, *, redirect_uri: str, state: str, scopes: tuple[str, ...] | None = None) -> str:
        query = urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": " ".join(scopes or config.SCOPES),
                "state": state,
            }
        )
        return f"{self._base}/authorize?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str) -> StoreGrant:
        form = {
            "client_id": self.client_id,
            "client_secret": self._secret,
            "code": code,
            "redirect_uri": redirect_uri,
            "grant_type": "authorization_code",
        }
        try:
            response = self._http.post(f"{self._base}/token", data=form, headers={"Accept": "application/json"})
        except httpx.TransportError as exc:
            raise ServerError(
                f"ecwid POST /oauth/token: {type(exc).__name__}",
                platform=config.PLATFORM,
                platform_code="transport",
            ) from None
        try:
            payload = decode_json(response.content) if response.content else {}
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        if response.status_code >= 400:
            code_name = str(payload.get("error") or payload.get("errorCode") or "") or None
            message = f"ecwid POST /oauth/token: HTTP {response.status_code}" + (f" ({code_name})" if code_name else "")
            kind: type[StoreError] = ServerError if response.status_code >= 500 else AuthError
            raise kind(message, platform=config.PLATFORM, http_status=response.status_code, platform_code=code_name)
        token, store_id = payload.get("access_token"), payload.get("store_id")
        if not token or store_id is None:
            raise StoreValidationError("ecwid POST /oauth/token: no access_token or store_id", platform=config.PLATFORM)
        public = payload.get("public_token")
        return StoreGrant(
            platform=config.PLATFORM,
            store_id=str(store_id),
            token=SecretStr(str(token)),
            scopes=tuple(str(payload.get("scope") or "").split()),
            public_token=SecretStr(str(public)) if public else None,
        )


if TYPE_CHECKING:  # mypy proves the adapter satisfies the port
    _port: StoreOAuth = EcwidOAuth("id", "secret")
