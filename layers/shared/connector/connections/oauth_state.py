"""OAuth ``state``: signed, expiring and single-use, so a forged, tampered, expired or replayed
callback is refused before anything is created.

A state is ``<id>.<expires>.<signature>``: ``id`` is random, ``signature`` an HMAC-SHA256 (key:
the app secret's ``state_signing_key``) over id, expiry and purpose. The same id is stored in the
table (TTL'd) with what the callback needs (the connection it continues); the callback verifies
the signature and expiry first, then *consumes* the record with a conditional delete, so a second
use of the same state finds nothing and fails.

A state is also bound to the browser that started the flow: the start sets a random nonce in a
``Secure; HttpOnly; SameSite=Lax`` cookie (:data:`BROWSER_COOKIE`) and the record keeps its
SHA-256; the callback refuses a state whose browser does not send that nonce. So a consent link
handed to somebody else (the genuine TikTok or store page, with our state in it) fails at the
callback in their browser, before any code is exchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from connector import dynamo, keys
from connector.errors import BadRequest, Conflict
from connector.runtime import now as wall_clock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Purpose = Literal["store_install", "tiktok_authorize"]
DEFAULT_TTL_S = 15 * 60
BROWSER_COOKIE = "tts_oauth"
#: The browser nonce outlives one flow (several tabs share it); each state still expires in 15 min.
BROWSER_COOKIE_TTL_S = 3600


class InvalidState(BadRequest):
    """The state is missing, tampered with, expired or used already."""

    code = "invalid_state"


class WrongBrowser(InvalidState):
    """The state is genuine but was started in another browser (a consent link passed on)."""

    code = "wrong_browser"


def new_browser_nonce() -> str:
    return secrets.token_urlsafe(24)


def browser_from_cookies(cookies: list[str]) -> str | None:
    for cookie in cookies:
        name, _, value = cookie.strip().partition("=")
        if name == BROWSER_COOKIE and value:
            return value
    return None


def browser_cookie(nonce: str, *, secure: bool) -> Any:
    """The cookie that carries the nonce (``Secure`` whenever the API is served over HTTPS)."""
    from aws_lambda_powertools.shared.cookies import Cookie, SameSite

    return Cookie(name=BROWSER_COOKIE, value=nonce, path="/", secure=secure, http_only=True,
                  max_age=BROWSER_COOKIE_TTL_S, same_site=SameSite.LAX_MODE)


def _browser_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


class StateRecord(BaseModel):
    state_id: str
    purpose: Purpose
    connection_id: str | None = None
    issue_merchant_token: bool = False


def _unix_seconds(text: str) -> bool:
    """ASCII digits only, at most 12 of them (``str.isdigit`` also accepts "²", which ``int`` refuses)."""
    return text.isascii() and text.isdigit() and len(text) <= 12


def _sign(key: str, state_id: str, expires: int, purpose: str) -> str:
    digest = hmac.new(key.encode(), f"{state_id}.{expires}.{purpose}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OAuthStates(dynamo.Repository):
    def __init__(self, table_name: str, signing_key: str, *, client: DynamoDBClient | None = None,
                 clock: Callable[[], float] = wall_clock, ttl_s: int = DEFAULT_TTL_S) -> None:
        super().__init__(table_name, client)
        self._key = signing_key
        self._clock = clock
        self._ttl = ttl_s

    def issue(self, purpose: Purpose, *, browser: str, connection_id: str | None = None,
              issue_merchant_token: bool = False) -> str:
        """A new state for the browser holding the nonce ``browser``."""
        if not browser:
            raise ValueError("a state is always bound to a browser nonce")
        state_id = secrets.token_urlsafe(18)
        expires = int(self._clock()) + self._ttl
        item = {keys.PK: keys.oauth_state_pk(state_id), keys.SK: keys.META, "purpose": purpose,
                "connection_id": connection_id, "issue_merchant_token": issue_merchant_token,
                "browser": _browser_hash(browser), keys.TTL_ATTRIBUTE: expires}
        if not self._put_if_absent(item):
            raise Conflict("an OAuth state with that id exists already")
        return f"{state_id}.{expires}.{_sign(self._key, state_id, expires, purpose)}"

    def verify(self, state: str | None, purpose: Purpose) -> tuple[str, int]:
        """Signature and expiry only (no table access): (state id, expiry)."""
        parts = (state or "").split(".")
        if len(parts) != 3 or not parts[0] or not _unix_seconds(parts[1]):
            raise InvalidState("the state is missing or malformed")
        state_id, expires_text, signature = parts
        expires = int(expires_text)
        expected = _sign(self._key, state_id, expires, purpose)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise InvalidState("the state's signature does not match", reason="state_tampered")
        if self._clock() > expires:
            raise InvalidState("the state has expired", reason="state_expired")
        return state_id, expires

    def consume(self, state: str | None, purpose: Purpose, *, browser: str | None) -> StateRecord:
        """Verify, check the browser, then delete the stored record (conditionally): a second use
        fails. A state from another browser is refused and left alone (its own browser may still
        finish; it expires anyway)."""
        state_id, _expires = self.verify(state, purpose)
        key = {keys.PK: keys.oauth_state_pk(state_id), keys.SK: keys.META}
        found = self._read(key)
        if found is None:
            raise InvalidState("the state was used already", reason="state_replayed")
        bound = found.get("browser")
        if not browser or not bound or not hmac.compare_digest(str(bound).encode(), _browser_hash(browser).encode()):
            raise WrongBrowser("the state was started in another browser", reason="state_other_browser")
        item = self._deleted_if(key, f"{dynamo.PRESENT} AND purpose = :purpose AND browser = :browser",
                                values={":purpose": purpose, ":browser": bound})
        if item is None:
            raise InvalidState("the state was used already", reason="state_replayed")
        return StateRecord(state_id=state_id, purpose=purpose, connection_id=item.get("connection_id"),
                           issue_merchant_token=bool(item.get("issue_merchant_token", False)))
