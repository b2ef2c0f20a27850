"""Short-lived console sessions and sign-in codes: ``<kind>.<connection id>.<version>.<expiry>.<mac>``,
signed with a key derived from the app's ``state_signing_key`` (one derivation per kind, so a
sign-in code is never accepted as a session, nor a merchant session cookie as either).
``version`` is the connection's session version when it was issued: rotating or revoking the
merchant's credentials, a re-install and a disconnect move that version, which ends every
console session and sign-in code at once, as it ends the merchant's other sessions.

A session travels in the ``X-Console-Session`` header the console's script adds to each
request; a sign-in code travels in the URL's fragment (never sent to a server or a log) and is
exchanged once for a session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Literal

HEADER = "x-console-session"
SESSION_TTL_S = 3600
SIGNIN_TTL_S = 15 * 60
REAUTHORIZE_TTL_S = 120
"""A re-authorization link opens TikTok's consent page in a new tab at once: two minutes is plenty."""

Kind = Literal["cs", "sc", "ra"]
"""cs: a console session; sc: a sign-in code; ra: a link that starts TikTok's re-authorization."""

_LABELS: dict[str, bytes] = {"cs": b"console-session-v1", "sc": b"console-sign-in-v1",
                             "ra": b"console-reauthorize-v1"}


MAX_NUMBER_DIGITS = 12


def _mac(signing_key: str, kind: Kind, connection_id: str, version: int, expires: int) -> str:
    key = hmac.new(signing_key.encode(), _LABELS[kind], hashlib.sha256).digest()
    digest = hmac.new(key, f"{kind}.{connection_id}.{version}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(signing_key: str, kind: Kind, connection_id: str, now: int, ttl_s: int | None = None, *,
          version: int = 0) -> str:
    expires = now + (ttl_s if ttl_s is not None else SESSION_TTL_S if kind == "cs" else SIGNIN_TTL_S)
    return f"{kind}.{connection_id}.{version}.{expires}.{_mac(signing_key, kind, connection_id, version, expires)}"


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_NUMBER_DIGITS else None


def claim(signing_key: str, kind: Kind, value: str | None, now: int) -> tuple[str, int] | None:
    """``(connection id, session version)`` that ``value`` was issued for, if it is of ``kind``,
    intact and not expired; the caller checks the version against the connection's."""
    if not value or len(value) > 512:
        return None
    parts = value.split(".")
    if len(parts) != 5 or parts[0] != kind or not parts[1]:
        return None
    version, expires = _number(parts[2]), _number(parts[3])
    if version is None or expires is None:
        return None
    connection_id, mac = parts[1], parts[4]
    if not hmac.compare_digest(_mac(signing_key, kind, connection_id, version, expires).encode(), mac.encode()):
        return None
    return (connection_id, version) if now <= expires else None


def verify(signing_key: str, kind: Kind, value: str | None, now: int) -> str | None:
    """The connection id ``value`` was issued for (see :func:`claim`; the version is not checked)."""
    found = claim(signing_key, kind, value, now)
    return found[0] if found else None


def expires_at(value: str) -> int:
    return int(value.split(".")[3])


def from_headers(headers: Mapping[str, str] | None) -> str | None:
    return next((v for k, v in (headers or {}).items() if k.lower() == HEADER), None)
