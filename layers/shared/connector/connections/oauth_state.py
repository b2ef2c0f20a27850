"""OAuth ``state``: signed, expiring and single-use, so a forged, tampered, expired or replayed
callback is refused before anything is created.

A state is ``<id>.<expires>.<signature>``: ``id`` is random, ``signature`` an HMAC-SHA256 (key:
the app secret's ``state_signing_key``) over id, expiry and purpose. The same id is stored in the
table (TTL'd) with what the callback needs (the connection it continues); the callback verifies
the signature and expiry first, then *consumes* the record with a conditional delete, so a second
use of the same state finds nothing and fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel

from connector import aws, dynamo, keys
from connector.errors import BadRequest
from connector.runtime import now as wall_clock

Purpose = Literal["store_install", "tiktok_authorize"]
DEFAULT_TTL_S = 15 * 60


class InvalidState(BadRequest):
    """The state is missing, tampered with, expired or used already."""

    code = "invalid_state"


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


class OAuthStates:
    def __init__(self, table_name: str, signing_key: str, *, client: Any | None = None,
                 clock: Callable[[], float] = wall_clock, ttl_s: int = DEFAULT_TTL_S) -> None:
        self._table = table_name
        self._key = signing_key
        self._client = client
        self._clock = clock
        self._ttl = ttl_s

    @property
    def client(self) -> Any:
        return self._client or aws.client("dynamodb")

    def issue(self, purpose: Purpose, *, connection_id: str | None = None, issue_merchant_token: bool = False) -> str:
        state_id = secrets.token_urlsafe(18)
        expires = int(self._clock()) + self._ttl
        item = {keys.PK: keys.oauth_state_pk(state_id), keys.SK: keys.META, "purpose": purpose,
                "connection_id": connection_id, "issue_merchant_token": issue_merchant_token,
                keys.TTL_ATTRIBUTE: expires}
        self.client.put_item(TableName=self._table, Item=dynamo.to_item(item),
                             ConditionExpression="attribute_not_exists(pk)")
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

    def consume(self, state: str | None, purpose: Purpose) -> StateRecord:
        """Verify, then delete the stored record (conditionally): a second use fails."""
        state_id, _expires = self.verify(state, purpose)
        try:
            result = self.client.delete_item(
                TableName=self._table,
                Key=dynamo.to_item({keys.PK: keys.oauth_state_pk(state_id), keys.SK: keys.META}),
                ConditionExpression="attribute_exists(pk) AND purpose = :purpose",
                ExpressionAttributeValues=dynamo.values({":purpose": purpose}),
                ReturnValues="ALL_OLD",
            )
        except Exception as exc:
            if dynamo.is_condition_failure(exc):
                raise InvalidState("the state was used already", reason="state_replayed") from None
            raise
        item = dynamo.from_item(result["Attributes"])
        return StateRecord(state_id=state_id, purpose=purpose, connection_id=item.get("connection_id"),
                           issue_merchant_token=bool(item.get("issue_merchant_token", False)))
