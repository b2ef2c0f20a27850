"""Shopify's install flow (authorization code grant) and the refresh of expiring offline tokens.

- Every request Shopify sends to the app (the install request, the redirect back with ``code``)
  carries ``hmac``: lowercase hex HMAC-SHA256 (key = client secret) of the other query
  parameters, decoded, as ``key=value`` pairs sorted and joined with ``&`` (``%`` and ``&`` are
  escaped in both, ``=`` in keys, so a value cannot forge a pair). :func:`verify_install_request`
  checks it in constant time, the ``shop`` host (``*.myshopify.com`` only) and how old the
  ``timestamp`` is; the caller compares ``state`` with the one it kept (:func:`same_state`).
- Authorize: ``https://{shop}/admin/oauth/authorize?client_id&scope&redirect_uri&state``.
- Exchange: ``POST https://{shop}/admin/oauth/access_token`` with ``client_id``,
  ``client_secret``, ``code`` and ``expiring=1`` (an expiring offline token: ``access_token``,
  ``scope``, ``expires_in`` = 3600, ``refresh_token``, ``refresh_token_expires_in``). The code is
  single-use, so the exchange is never retried.
- Refresh: the same endpoint with ``grant_type=refresh_token`` and the ``refresh_token``; the
  answer carries a new refresh token (they rotate): the caller must persist it before using the
  new access token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

import httpx
from pydantic import SecretStr

from connector.stores.errors import AuthError, InvalidSignature, ServerError, StoreError, StoreValidationError
from connector.stores.protocol import StoreGrant, StoreOAuth
from connector.stores.shopify import config
from connector.stores.wire import decode_json


def new_state() -> str:
    """An unguessable CSRF state for one install attempt."""
    return secrets.token_urlsafe(24)


def same_state(expected: str, received: str | None) -> bool:
    return received is not None and hmac.compare_digest(expected.encode(), received.encode())


def _escape_key(text: str) -> str:
    return text.replace("%", "%25").replace("&", "%26").replace("=", "%3D")


def _escape_value(text: str) -> str:
    return text.replace("%", "%25").replace("&", "%26")


def signed_message(params: Mapping[str, str | list[str]]) -> str:
    """The text the ``hmac`` parameter signs: every parameter but ``hmac`` (and the legacy
    ``signature``), sorted. A repeated parameter is joined as Shopify's libraries do
    (``["a", "b"]`` as a JSON-like list)."""
    pairs = []
    for key, value in params.items():
        if key in ("hmac", "signature"):
            continue
        if isinstance(value, list):
            text = "[" + ", ".join(f'"{v}"' for v in value) + "]" if len(value) != 1 else value[0]
        else:
            text = value
        pairs.append(f"{_escape_key(key)}={_escape_value(text)}")
    return "&".join(sorted(pairs))


def install_hmac(client_secret: str, params: Mapping[str, str | list[str]]) -> str:
    message = signed_message(params).encode("utf-8")
    return hmac.new(client_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def query_params(raw_query: str) -> dict[str, str | list[str]]:
    """A query string decoded; a name given more than once keeps every value, in order."""
    params: dict[str, str | list[str]] = {}
    for raw_key, value in parse_qsl(raw_query, keep_blank_values=True):
        key = raw_key.removesuffix("[]")
        if key in params:
            current = params[key]
            params[key] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            params[key] = value
    return params


def verify_install_request(
    client_secret: str | SecretStr,
    params: Mapping[str, str | list[str]],
    *,
    now: float | None = None,
    max_age_s: float = config.INSTALL_MAX_AGE_S,
) -> str:
    """The shop of a request signed by Shopify (the install request or the redirect back).

    :class:`InvalidSignature` when ``hmac`` is missing or wrong; :class:`StoreValidationError` when
    ``shop`` is not a ``*.myshopify.com`` host or ``timestamp`` is missing, not a number, or older
    (or further ahead) than ``max_age_s``."""
    secret = client_secret.get_secret_value() if isinstance(client_secret, SecretStr) else client_secret
    given = params.get("hmac")
    if not isinstance(given, str) or not given:
        raise InvalidSignature("shopify request: hmac is missing", platform=config.PLATFORM)
    expected = install_hmac(secret, params)
    if not hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8", "replace")):
        raise InvalidSignature("shopify request: hmac does not match", platform=config.PLATFORM)
    shop = params.get("shop")
    if not isinstance(shop, str) or not config.valid_shop(shop):
        raise StoreValidationError("shopify request: shop is not a *.myshopify.com host", platform=config.PLATFORM)
    stamp = params.get("timestamp")
    if not isinstance(stamp, str) or not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise StoreValidationError("shopify request: timestamp is missing", platform=config.PLATFORM)
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > max_age_s:
        raise StoreValidationError("shopify request: timestamp is too old", platform=config.PLATFORM)
    return shop


class ShopifyOAuth:
    """The install flow for one shop; implements :class:`~connector.stores.protocol.StoreOAuth`.

    ``shop_base`` is the address template (``https://{shop}`` unless ``SHOPIFY_SHOP_BASE`` says
    otherwise); ``clock`` dates the expiry of the tokens received."""

    platform = config.PLATFORM

    def __init__(
        self,
        client_id: str,
        client_secret: str | SecretStr,
        *,
        shop: str,
        shop_base: str | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not config.valid_shop(shop):
            raise StoreValidationError("not a *.myshopify.com shop", platform=config.PLATFORM)
        self.client_id = client_id
        self.shop = shop
        self._secret = client_secret.get_secret_value() if isinstance(client_secret, SecretStr) else client_secret
        self._base = config.shop_url(shop, shop_base)
        self._http = http or httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0))
        self._clock = clock

    def __repr__(self) -> str:
        return f"ShopifyOAuth(client_id={self.client_id!r}, shop={self.shop!r})"

    def authorize_url(self, *, redirect_uri: str, state: str, scopes: tuple[str, ...] | None = None) -> str:
        query = urlencode(
            {
                "client_id": self.client_id,
                "scope": ",".join(scopes or config.SCOPES),
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self._base}/admin/oauth/authorize?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str = "") -> StoreGrant:
        """Trade the ``code`` of the (verified) redirect for an expiring offline token. Called once:
        a code is single-use, so a failure here means a new install attempt."""
        return self._token_call(
            {"client_id": self.client_id, "client_secret": self._secret, "code": code, "expiring": "1"},
            "code exchange",
        )

    def refresh(self, refresh_token: str | SecretStr) -> StoreGrant:
        """A new access token and a new refresh token (persist both: the old refresh token stops
        working once the new access token is used)."""
        value = refresh_token.get_secret_value() if isinstance(refresh_token, SecretStr) else refresh_token
        if not value:
            raise AuthError("shopify refresh: no refresh token", platform=config.PLATFORM)
        return self._token_call(
            {
                "client_id": self.client_id,
                "client_secret": self._secret,
                "grant_type": "refresh_token",
                "refresh_token": value,
            },
            "refresh",
        )

    def _token_call(self, form: dict[str, str], what: str) -> StoreGrant:
        where = f"shopify POST /admin/oauth/access_token ({what})"
        try:
            response = self._http.post(
                f"{self._base}/admin/oauth/access_token", json=form, headers={"Accept": "application/json"}
            )
        except httpx.TransportError as exc:
            # the exception holds the request (and so the secret): only its type is kept
            raise ServerError(f"{where}: {type(exc).__name__}", platform=config.PLATFORM,
                              platform_code="transport") from None
        payload: Any
        try:
            payload = decode_json(response.content) if response.content else {}
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        if response.status_code >= 400:
            raw = payload.get("error")
            code_name = str(raw)[:64] if isinstance(raw, str) and raw.isprintable() else None
            message = f"{where}: HTTP {response.status_code}" + (f" ({code_name})" if code_name else "")
            kind: type[StoreError] = ServerError if response.status_code >= 500 else AuthError
            raise kind(message, platform=config.PLATFORM, http_status=response.status_code, platform_code=code_name)
        return self._grant(payload, where)

    def _grant(self, payload: dict[str, Any], where: str) -> StoreGrant:
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise StoreValidationError(f"{where}: no access_token in the answer", platform=config.PLATFORM)
        now = datetime.fromtimestamp(self._clock(), tz=UTC)
        refresh = payload.get("refresh_token")
        return StoreGrant(
            platform=config.PLATFORM,
            store_id=self.shop,
            token=SecretStr(token),
            scopes=tuple(s for s in str(payload.get("scope") or "").split(",") if s),
            expires_at=_after(now, payload.get("expires_in")),
            refresh_token=SecretStr(refresh) if isinstance(refresh, str) and refresh else None,
            refresh_expires_at=_after(now, payload.get("refresh_token_expires_in")),
        )


def _after(now: datetime, seconds: object) -> datetime | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | str | Decimal):
        return None
    try:
        value = float(seconds)
    except ValueError:
        return None
    if not 0 <= value < 10**9:
        return None
    return now + timedelta(seconds=value)


if TYPE_CHECKING:  # mypy proves the adapter satisfies the port
    _port: StoreOAuth = ShopifyOAuth("id", "secret", shop="x.myshopify.com")
