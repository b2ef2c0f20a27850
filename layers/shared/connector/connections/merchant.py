"""Merchant access to their own connection.

Two credentials, both bound to one connection:
- a **connection token** (``mt_...``, 256 random bits) shown once at the end of the install; only
  its SHA-256 is stored on the connection. API clients send ``Authorization: Bearer <token>``.
- a **session cookie** for the browser that finished the install: ``<connection id>.<expiry>.<mac>``
  signed with a key derived from the app's ``state_signing_key``; HttpOnly, SameSite=Lax.
Every merchant route checks one of them against the connection in its path (constant time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping

from connector.connections.models import Connection
from connector.errors import Forbidden, Unauthorized

SESSION_COOKIE = "tts_session"
SESSION_TTL_S = 12 * 3600


def new_token() -> str:
    return "mt_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session_key(signing_key: str) -> bytes:
    return hmac.new(signing_key.encode(), b"merchant-session-v1", hashlib.sha256).digest()


def _mac(signing_key: str, connection_id: str, expires: int) -> str:
    digest = hmac.new(_session_key(signing_key), f"{connection_id}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def session_value(signing_key: str, connection_id: str, now: int, ttl_s: int = SESSION_TTL_S) -> str:
    expires = now + ttl_s
    return f"{connection_id}.{expires}.{_mac(signing_key, connection_id, expires)}"


def _session_connection(signing_key: str, value: str, now: int) -> str | None:
    parts = value.split(".")
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit() and len(parts[1]) <= 12):
        return None
    connection_id, expires, mac = parts[0], int(parts[1]), parts[2]
    if not hmac.compare_digest(_mac(signing_key, connection_id, expires).encode(), mac.encode()) or now > expires:
        return None
    return connection_id


def bearer(headers: Mapping[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def session_from_cookies(cookies: list[str]) -> str | None:
    for cookie in cookies:
        name, _, value = cookie.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return value
    return None


def authorize(connection: Connection | None, connection_id: str, *, token: str | None, session: str | None,
              signing_key: str, now: int) -> Connection:
    """The connection, when the caller's token or session belongs to it; else 401 / 403 (an
    unknown connection looks the same as somebody else's: no enumeration)."""
    if not token and not session:
        raise Unauthorized("a connection token or session is required", reason="no_credentials")
    if connection is not None:
        if token and connection.merchant_token_hash and hmac.compare_digest(
                token_hash(token).encode(), connection.merchant_token_hash.encode()):
            return connection
        if session and _session_connection(signing_key, session, now) == connection_id:
            return connection
    raise Forbidden("these credentials do not grant access to this connection", reason="not_your_connection")
