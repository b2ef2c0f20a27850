"""Merchant access to their own connection.

Two credentials, both bound to one connection:
- a **connection token** (``mt_<connection id>.<256 random bits>``) shown once at the end of
  the install or by a rotation; only its SHA-256 and its expiry (:data:`TOKEN_TTL_S`) are stored
  on the connection. API clients send ``Authorization: Bearer <token>``.
- a **session cookie** for the browser that finished the install:
  ``<connection id>.<session version>.<expiry>.<mac>`` signed with a key derived from the app's
  ``state_signing_key``; HttpOnly, SameSite=Lax, 12 hours.
Rotating or revoking the token, and disconnecting, bump the connection's ``session_version``:
every session issued before stops working at once. Every merchant route checks one of the
credentials against the connection in its path (constant time).

Answers: no credentials, or credentials that are valid for no connection (forged, expired,
rotated, revoked) -> 401; valid credentials of another connection (or of a connection that does
not exist: no enumeration) -> 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping

from connector.connections.models import Connection
from connector.errors import Forbidden, Unauthorized

SESSION_COOKIE = "tts_session"
SESSION_TTL_S = 12 * 3600
TOKEN_TTL_S = 90 * 86400
TOKEN_PREFIX = "mt_"  # noqa: S105 - a prefix, not a secret


def new_token(connection_id: str) -> str:
    return f"{TOKEN_PREFIX}{connection_id}.{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_connection(token: str) -> str | None:
    """The connection a token names (not proof of anything until its hash matches)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    connection_id, dot, secret = token[len(TOKEN_PREFIX):].partition(".")
    return connection_id if dot and connection_id and secret else None


def _session_key(signing_key: str) -> bytes:
    return hmac.new(signing_key.encode(), b"merchant-session-v2", hashlib.sha256).digest()


def _mac(signing_key: str, connection_id: str, version: int, expires: int) -> str:
    message = f"{connection_id}.{version}.{expires}".encode()
    digest = hmac.new(_session_key(signing_key), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def session_value(signing_key: str, connection: Connection, now: int, ttl_s: int = SESSION_TTL_S) -> str:
    expires = now + ttl_s
    cid, version = connection.connection_id, connection.session_version
    return f"{cid}.{version}.{expires}.{_mac(signing_key, cid, version, expires)}"


def _session_claim(signing_key: str, value: str, now: int) -> tuple[str, int] | None:
    """(connection id, session version) of a genuine, unexpired session value."""
    parts = value.split(".")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() and len(p) <= 12 for p in parts[1:3]):
        return None
    connection_id, version, expires, mac = parts[0], int(parts[1]), int(parts[2]), parts[3]
    if not hmac.compare_digest(_mac(signing_key, connection_id, version, expires).encode(), mac.encode()):
        return None
    return None if now > expires else (connection_id, version)


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


def token_valid(connection: Connection, token: str, now: int) -> bool:
    if not connection.merchant_token_hash or connection.merchant_token_expires_at is None:
        return False
    return hmac.compare_digest(token_hash(token).encode(), connection.merchant_token_hash.encode()) \
        and now <= connection.merchant_token_expires_at


def authorize(get: Callable[[str], Connection | None], connection_id: str, *, token: str | None,
              session: str | None, signing_key: str, now: int) -> Connection:
    """The connection in the path, when the caller's token or session belongs to it. ``get``
    reads a connection (the one the credential names, when it is another)."""
    if not token and not session:
        raise Unauthorized("a connection token or session is required", reason="no_credentials")
    cache: dict[str, Connection | None] = {}

    def read(cid: str) -> Connection | None:
        if cid not in cache:
            cache[cid] = get(cid)
        return cache[cid]

    proven: set[str] = set()
    if token:
        cid = token_connection(token)
        held = read(cid) if cid else None
        if cid and held is not None and token_valid(held, token, now):
            proven.add(cid)
    if session:
        claim = _session_claim(signing_key, session, now)
        held = read(claim[0]) if claim else None
        if claim and held is not None and held.session_version == claim[1]:
            proven.add(claim[0])
    connection = read(connection_id) if connection_id in proven else None
    if connection is not None:
        return connection
    if proven:
        raise Forbidden("these credentials do not grant access to this connection", reason="not_your_connection")
    raise Unauthorized("the credentials are invalid, expired or withdrawn", reason="invalid_credentials")
