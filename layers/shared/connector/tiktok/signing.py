"""TikTok Shop request signing and webhook verification: pure functions, no I/O.

Request signature (as TikTok Shop's partner documentation describes it):
1. every query parameter except ``sign`` and ``access_token``, keys sorted ascending;
2. ``key + value`` concatenated without separators (list values comma-joined);
3. the URL path (no host) in front;
4. the raw body appended exactly as sent, unless the request is multipart (or has no body);
5. wrapped as ``app_secret + s + app_secret``;
6. HMAC-SHA256 keyed with ``app_secret``, lowercase hex.

Webhook signature (the same documentation): the ``Authorization`` header holds lowercase hex
``HMAC-SHA256(key=app_secret, msg=app_key + raw_body)``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

QueryValue = str | int | Sequence[str] | Sequence[int]

#: Query parameters that are never part of the string to sign.
UNSIGNED_PARAMS = frozenset({"sign", "access_token"})


def query_value(value: QueryValue) -> str:
    """A query value as it is signed and sent: lists comma-joined, integers in decimal."""
    if isinstance(value, bool):
        raise TypeError("booleans have no agreed wire form; pass 'true'/'false' explicitly")
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return ",".join(str(item) for item in value)


def string_to_sign(
    path: str,
    query: Mapping[str, QueryValue],
    body: bytes | str | None = None,
    *,
    multipart: bool = False,
) -> str:
    """The string TikTok hashes (before the ``app_secret`` wrapping)."""
    parts = [path]
    for key in sorted(k for k in query if k not in UNSIGNED_PARAMS):
        parts.append(key + query_value(query[key]))
    if body and not multipart:
        parts.append(body.decode("utf-8") if isinstance(body, bytes) else body)
    return "".join(parts)


def sign_request(
    app_secret: str,
    path: str,
    query: Mapping[str, QueryValue],
    body: bytes | str | None = None,
    *,
    multipart: bool = False,
) -> str:
    """The ``sign`` query parameter for a request to ``path`` with ``query`` and ``body``."""
    base = app_secret + string_to_sign(path, query, body, multipart=multipart) + app_secret
    return hmac.new(app_secret.encode("utf-8"), base.encode("utf-8"), hashlib.sha256).hexdigest()


def serialize_body(payload: Any) -> bytes:
    """Serialize a JSON body once, compactly; the same bytes are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def webhook_signature(app_key: str, app_secret: str, raw_body: bytes) -> str:
    """The ``Authorization`` header TikTok puts on a webhook with this raw body."""
    message = app_key.encode("utf-8") + raw_body
    return hmac.new(app_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_webhook(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> bool:
    """True when ``authorization`` is the signature of ``raw_body`` (constant-time compare)."""
    if not authorization:
        return False
    expected = webhook_signature(app_key, app_secret, raw_body)
    return hmac.compare_digest(expected.encode("ascii"), authorization.strip().encode("utf-8"))
