"""The Shopify admin opening the app: the check of the app URL's query (see docs/shopify.md,
"Opening the console from the Shopify admin", for the sources).

Shopify loads the app's URL with ``shop``, ``host``, ``timestamp`` and ``hmac`` (the same
signature as the install request: hex HMAC-SHA256 of the other parameters, sorted), and, for an
app embedded in the admin, ``id_token``: a session token, a JWT signed HS256 with the app's
client secret, whose claims are ``iss`` = ``https://{shop}/admin``, ``dest`` = ``https://{shop}``,
``aud`` = the app's client id, ``exp`` / ``nbf`` / ``iat`` (it lives one minute), ``sub``,
``jti`` and ``sid``.

:func:`verify_launch` answers the shop, or raises :class:`LaunchRefused` with ``forged`` (a
signature that does not match, a token of another app or shop, anything malformed) or
``expired`` (an old ``timestamp``, an expired or not-yet-valid token).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from connector.stores.errors import LaunchRefused
from connector.stores.shopify import config

CLOCK_LEEWAY_S = 10
"""The clock difference a session token's ``exp`` / ``nbf`` are allowed (Shopify's own API library
uses 10 seconds)."""
MAX_TOKEN_CHARS = 4096


def _unbase64(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise LaunchRefused("forged", "the session token is not base64url") from None


def session_token_claims(token: str, *, client_id: str, client_secret: str, shop: str, now: float) -> dict[str, Any]:
    """The claims of a session token for ``shop`` made by Shopify for this app (checked in constant
    time before anything in it is read)."""
    parts = token.split(".")
    if len(token) > MAX_TOKEN_CHARS or len(parts) != 3 or not all(parts) or not token.isascii():
        raise LaunchRefused("forged", "the session token is not a JWT")
    expected = hmac.new(client_secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _unbase64(parts[2])):
        raise LaunchRefused("forged", "the session token's signature does not match")
    try:
        header, claims = json.loads(_unbase64(parts[0])), json.loads(_unbase64(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise LaunchRefused("forged", "the session token is not JSON") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise LaunchRefused("forged", "the session token is not an HS256 JWT")
    if claims.get("aud") != client_id:
        raise LaunchRefused("forged", "the session token is for another app")
    if claims.get("dest") != f"https://{shop}" or claims.get("iss") != f"https://{shop}/admin":
        raise LaunchRefused("forged", "the session token is for another shop")
    expires, not_before = claims.get("exp"), claims.get("nbf")
    if not isinstance(expires, int) or not isinstance(not_before, int):
        raise LaunchRefused("forged", "the session token has no exp or nbf")
    if now > expires + CLOCK_LEEWAY_S or now < not_before - CLOCK_LEEWAY_S:
        raise LaunchRefused("expired", "the session token has expired or is not valid yet")
    return claims


def verify_launch(params: Mapping[str, str | list[str]], *, client_id: str, client_secret: str, now: float,
                  max_age_s: float = config.INSTALL_MAX_AGE_S) -> str:
    """The ``*.myshopify.com`` shop whose admin opened the app with these query parameters."""
    from connector.stores.errors import InvalidSignature, StoreValidationError
    from connector.stores.shopify.oauth import verify_install_request

    if not client_secret or not client_id:
        raise LaunchRefused("forged", "no Shopify app is configured")
    try:  # the signature, the shop host and the timestamp's form; its age is checked below
        shop = verify_install_request(client_secret, params, now=now, max_age_s=float("inf"))
    except InvalidSignature:
        raise LaunchRefused("forged", "hmac does not match") from None
    except StoreValidationError:
        raise LaunchRefused("forged", "the shop or the timestamp is not acceptable") from None
    if abs(now - int(str(params["timestamp"]))) > max_age_s:
        raise LaunchRefused("expired", "the timestamp is too old")
    token = params.get("id_token")
    if token is not None:
        if not isinstance(token, str):
            raise LaunchRefused("forged", "id_token given more than once")
        session_token_claims(token, client_id=client_id, client_secret=client_secret, shop=shop, now=now)
    return shop

