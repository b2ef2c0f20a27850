"""Who the console's caller is: every way in ends in a console session bound to one connection.

The merchant credential checks are :mod:`connector.connections.merchant`'s own functions, used
through the small seam below (nothing here re-implements them)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from connector.console import session
from connector.console.payload import BadPayload, decrypt
from connector.errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from connector.connections.models import Connection
    from connector.connections.platforms import StoreApp
    from connector.connections.repository import ConnectionRepository
    from connector.connections.vault import TokenVault

ECWID = "ecwid"


class AdminRefused(Exception):
    """A store admin's opening does not open a console; ``reason`` is one of ``bad_payload``
    (Ecwid's payload forged, damaged, another app's), ``forged`` / ``expired`` (a signed app URL,
    Shopify's, that does not match or is too old), ``not_connected`` (no live connection for the
    store) and ``stale_token`` (the store's token changed since: reopen the page from the admin)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def merchant_credentials_grant(get: Callable[[str], Connection | None], connection_id: str, *, token: str | None,
                               cookie_session: str | None, signing_key: str, now: int) -> Connection:
    """The merchant API's own check of a connection token or session cookie (401 / 403)."""
    from connector.connections import merchant

    return merchant.authorize(get, connection_id, token=token, session=cookie_session,
                              signing_key=signing_key, now=now)


def _current(connection: Connection | None, version: int) -> Connection | None:
    """The connection, when the session version a console credential carries is still its own."""
    return connection if connection is not None and connection.session_version == version else None


def store_connection(repo: ConnectionRepository, platform: str, store_id: str) -> Connection:
    """The live connection of a store its platform's admin vouched for (``not_connected`` when the
    store has none, or only a disconnected one)."""
    connection_id = repo.claimed_connection(platform, store_id) or repo.find_by_store(platform, store_id)
    connection = repo.get(connection_id) if connection_id else None
    if connection is None or connection.store_token_ct is None or connection.state == "disconnected":
        raise AdminRefused("not_connected")
    return connection


def console_session(connection: Connection, *, signing_key: str, now: int) -> str:
    """A new console session bound to ``connection`` (and to its current session version)."""
    return session.issue(signing_key, "cs", connection.connection_id, now, version=connection.session_version)


def from_admin_payload(raw: str | None, *, client_secret: str, repo: ConnectionRepository, vault: TokenVault,
                       signing_key: str, now: int) -> tuple[Connection, str]:
    """Decrypt Ecwid's payload, find the store's connection, compare the payload's token with the
    stored store token (constant time): the connection and a new console session."""
    try:
        payload = decrypt(raw or "", client_secret)
    except BadPayload:
        raise AdminRefused("bad_payload") from None
    connection = store_connection(repo, ECWID, payload.store_id)
    stored = vault.open(connection.connection_id, connection.store_token_ct or b"").get("store_token", "")
    if not stored or not hmac.compare_digest(stored.encode(), payload.access_token.encode()):
        raise AdminRefused("stale_token")
    return connection, console_session(connection, signing_key=signing_key, now=now)


def from_store_admin(store_app: StoreApp, params: Mapping[str, str | list[str]], *, repo: ConnectionRepository,
                     signing_key: str, now: int) -> tuple[Connection, str]:
    """A platform whose admin signs the app's URL (Shopify): the app checks the signature and its
    freshness (``forged`` / ``expired``), then the shop's live connection gets a console session."""
    from connector.stores.errors import LaunchRefused

    try:
        store_id = store_app.admin_launch(params, now)
    except LaunchRefused as refused:
        raise AdminRefused(refused.reason) from None
    connection = store_connection(repo, store_app.name, store_id)
    return connection, console_session(connection, signing_key=signing_key, now=now)


def from_sign_in(*, repo: ConnectionRepository, signing_key: str, now: int, code: str | None = None,
                 connection_id: str | None = None, token: str | None = None) -> tuple[Connection, str]:
    """A sign-in code from the merchant API, or the connection id with its connection token:
    the connection and a new console session (401 / 403 otherwise)."""
    if code:
        found = session.claim(signing_key, "sc", code, now)
        connection = _current(repo.get(found[0]), found[1]) if found else None
        if connection is None:
            raise Unauthorized("this sign-in link is not valid or has expired: ask for a new one",
                               reason="bad_sign_in_link")
    else:
        if not connection_id or not token:
            raise Unauthorized("the connection id and its connection token are required", reason="no_credentials")
        connection = merchant_credentials_grant(repo.get, connection_id, token=token,
                                                cookie_session=None, signing_key=signing_key, now=now)
    return connection, session.issue(signing_key, "cs", connection.connection_id, now,
                                     version=connection.session_version)


def session_connection(repo: ConnectionRepository, value: str | None, *, signing_key: str, now: int) -> Connection:
    """The connection of a console session header (401 when missing, expired or forged)."""
    found = session.claim(signing_key, "cs", value, now)
    connection = _current(repo.get(found[0]), found[1]) if found else None
    if connection is None:
        raise Unauthorized("the console session is missing or has expired: open the console again",
                           reason="console_session")
    return connection


def authorize_console(connection: Connection | None, connection_id: str, value: str, *, signing_key: str,
                      now: int) -> Connection:
    """For the merchant API's routes: a console session header grants its own connection only."""
    found = session.claim(signing_key, "cs", value, now)
    if found is None or (found[0] == connection_id and _current(connection, found[1]) is None):
        raise Unauthorized("the console session is missing, has expired or was ended: open the console again",
                           reason="console_session")
    if connection is None or found[0] != connection_id:
        raise Forbidden("these credentials do not grant access to this connection", reason="not_your_connection")
    return connection


def reauthorize_grant(repo: ConnectionRepository, code: str | None, *, signing_key: str, now: int) -> Connection:
    """The connection a re-authorization link was issued for (``AdminRefused`` when the link is
    forged, expired or its connection's sessions were ended; ``not_connected`` when disconnected)."""
    found = session.claim(signing_key, "ra", code, now)
    connection = _current(repo.get(found[0]), found[1]) if found else None
    if connection is None:
        raise AdminRefused("bad_link")
    if connection.state == "disconnected":
        raise AdminRefused("not_connected")
    return connection
