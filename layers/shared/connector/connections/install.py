"""The install journey: store OAuth -> connection created or updated -> TikTok
authorization -> tokens, shops, warehouses -> active -> initial catalog pull queued.

Nothing is written before the step that needs it succeeded: a failed store code exchange
creates nothing; a failed TikTok exchange (or shops / warehouses / store profile read) saves
nothing and leaves the connection as it was.

Every state is bound to the browser that started the flow (``browser``: the nonce of its
``tts_oauth`` cookie, see :mod:`connector.connections.oauth_state`), so a consent link passed to
somebody else is refused at the callback before its code is exchanged. A connection keeps the
TikTok seller that first authorized it: a later authorization by another seller is refused
(:class:`~connector.connections.repository.SellerChanged`), and a shop another connection holds
is refused too (:class:`~connector.connections.repository.ShopTaken`); both change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connector.connections import merchant
from connector.connections.lifecycle import Collaborators, evaluate, read_shops
from connector.connections.models import Connection, ShopLink
from connector.connections.oauth_state import InvalidState, OAuthStates
from connector.connections.repository import SellerChanged, new_connection_id
from connector.errors import BadRequest, UpstreamError
from connector.observability import logger
from connector.queues import MessageSender
from connector.tasks import TaskMessage, new_task_id

if TYPE_CHECKING:
    from connector.stores.protocol import StoreOAuth


class InstallDenied(BadRequest):
    """The merchant said no on the platform's consent page."""

    code = "access_denied"


class ExchangeFailed(UpstreamError):
    """A platform did not complete the OAuth exchange (or the reads right after it)."""

    code = "exchange_failed"


class CodeRefused(BadRequest):
    """The platform refused the authorization code (made up, used or expired): the caller's
    input, answered 400; a platform that fails or cannot be reached stays :class:`ExchangeFailed`."""

    code = "code_refused"


@dataclass
class StoreStep:
    connection: Connection
    tiktok_authorize_url: str | None
    """None for an app-market install: no state proved which browser asked for it, so the
    merchant goes through our own install link (store consent, then TikTok) from here."""
    created: bool
    market_install: bool


@dataclass
class TikTokStep:
    connection: Connection
    shops: list[ShopLink]
    merchant_token: str | None
    catalog_pull_queued: bool


class InstallFlow:
    def __init__(self, c: Collaborators, states: OAuthStates, store_oauth: StoreOAuth | None, sender: MessageSender,
                 tasks_queue_url: str) -> None:
        """``store_oauth``: the store platform's install OAuth (``None`` for the TikTok steps alone)."""
        self.c = c
        self.states = states
        self.store_oauth = store_oauth
        self.sender = sender
        self.tasks_queue_url = tasks_queue_url
        self.connection: Connection | None = None
        """The connection the TikTok step is for, once its state named it (for the failure page)."""

    @property
    def _now(self) -> Callable[[], float]:
        return self.c.clock

    def _store_oauth(self) -> StoreOAuth:
        if self.store_oauth is None:
            raise TypeError("this install flow was built without a store OAuth")
        return self.store_oauth

    def start(self, redirect_uri: str, browser: str) -> str:
        """The store's consent page URL, with a fresh state bound to ``browser``."""
        return self._store_oauth().authorize_url(redirect_uri=redirect_uri,
                                              state=self.states.issue("store_install", browser=browser))

    def store_callback(self, *, code: str | None, state: str | None, error: str | None,
                       redirect_uri: str, browser: str | None, market_allowed: bool = True) -> StoreStep:
        """Our own install link sends a state (verified and consumed here); an app-market install
        sends none. Either way the code is exchanged once and the store's connection created or
        updated (one per store, whatever the concurrency). Only a state-bound install goes on to
        TikTok: a market install's code may have been handed to this browser by somebody else
        (login CSRF), so its merchant continues through the install link, which proves the store
        logged in to this browser."""
        from connector.stores.errors import AuthError, StoreError

        market = state is None
        if market and not market_allowed:
            raise InvalidState("the platform sent no state: start from the install link", reason="state_missing")
        if not market:
            self.states.consume(state, "store_install", browser=browser)
        if error:
            raise InstallDenied("the installation was cancelled on the store's page", reason=error[:64])
        if not code:
            raise BadRequest("the store sent no authorization code", reason="no_code")
        try:
            grant = self._store_oauth().exchange_code(code=code, redirect_uri=redirect_uri)
        except AuthError as exc:
            raise CodeRefused("the store refused the authorization code", reason=exc.code) from None
        except StoreError as exc:
            raise ExchangeFailed("the store did not accept the authorization code", reason=exc.code) from None
        now = int(self._now())
        repo, vault = self.c.repo, self.c.vault
        token = {"store_token": grant.token.get_secret_value()}
        if grant.refresh_token is not None:
            token["store_refresh_token"] = grant.refresh_token.get_secret_value()
        expires = int(grant.expires_at.timestamp()) if grant.expires_at is not None else None
        created = False
        existing = repo.claimed_connection(grant.platform, grant.store_id)
        if existing is None:
            connection_id = new_connection_id()
            fresh = Connection(connection_id=connection_id, platform=grant.platform, store_id=grant.store_id,
                               state="pending", created_at=now, updated_at=now, store_access_expires_at=expires,
                               store_token_ct=vault.seal(connection_id, token))
            created = repo.create_for_store(fresh)
            existing = connection_id if created else repo.claimed_connection(grant.platform, grant.store_id)
        if existing is None:  # pragma: no cover - the claim vanished between two reads (a purge)
            raise ExchangeFailed("the store's connection changed during the install; retry", reason="race")
        connection = repo.require(existing) if created else repo.reinstall(existing, vault.seal(existing, token), now,
                                                                           store_access_expires_at=expires)
        logger().info("store installed", extra={"connection_id": connection.connection_id, "new_connection": created,
                                                "platform": grant.platform, "store_id": grant.store_id,
                                                "market_install": market})
        if market:
            return StoreStep(connection, None, created, market)
        next_state = self.states.issue("tiktok_authorize", browser=str(browser),  # checked by consume
                                       connection_id=connection.connection_id, issue_merchant_token=True)
        return StoreStep(connection, self.c.tiktok.authorization_url(next_state), created, market)

    def reauthorize_url(self, connection_id: str, browser: str) -> str:
        self.c.repo.require(connection_id)
        return self.c.tiktok.authorization_url(self.states.issue("tiktok_authorize", browser=browser,
                                                                 connection_id=connection_id))

    def tiktok_callback(self, *, code: str | None, state: str | None, error: str | None,
                        correlation_id: str, browser: str | None) -> TikTokStep:
        from connector.stores.errors import StoreError
        from connector.tiktok.errors import TikTokError
        from connector.tiktok.oauth import StaticToken

        record = self.states.consume(state, "tiktok_authorize", browser=browser)
        self.connection = self.c.repo.get(str(record.connection_id)) if record.connection_id else None
        if error or not code or code == "null":
            raise InstallDenied("TikTok Shop authorization was cancelled", reason=(error or "no_code")[:64])
        connection_id = str(record.connection_id)
        connection = self.c.repo.require(connection_id)
        try:
            tokens = self.c.tiktok.get_access_token(code)
            seller_id = str(tokens.open_id) if tokens.open_id else None
            shops = read_shops(self.c.tiktok.with_tokens(StaticToken(tokens.access_token)))
            _same_seller(connection, seller_id, shops, self.c.repo.shops(connection_id))
            store = self.c.store_for(connection)
            store_currency = store.profile().currency
            # The location mapped to the TikTok warehouse: kept across reinstalls once recorded.
            location_id = connection.store_location_id or store.stock_location()
        except (TikTokError, StoreError) as exc:
            raise ExchangeFailed("TikTok Shop or the store did not complete the authorization",
                                 reason=exc.code) from None
        now = int(self._now())
        vault, repo = self.c.vault, self.c.repo
        repo.save_authorization(
            connection_id,
            tokens_ct=vault.seal(connection_id, {"access_token": tokens.access_token,
                                                 "refresh_token": tokens.refresh_token}),
            access_expires_at=tokens.access_token_expire_in, refresh_expires_at=tokens.refresh_token_expire_in,
            seller_id=seller_id, seller_name=tokens.seller_name, seller_region=tokens.seller_base_region,
            shops=shops, now=now)
        state_name, reason = evaluate(store_currency, shops)
        connection = repo.set_state(connection_id, state_name, reason, now,  # type: ignore[arg-type]
                                    store_currency=store_currency, store_location_id=location_id, checked=True)
        token: str | None = None
        if record.issue_merchant_token:
            token = merchant.new_token(connection_id)
            connection = repo.set_merchant_token(connection_id, merchant.token_hash(token),
                                                 now + merchant.TOKEN_TTL_S, now)
        queued = False
        if connection.state == "active":
            self.sender.send(self.tasks_queue_url, TaskMessage(
                kind="catalog_pull", task_id=new_task_id("catalog_pull", now), correlation_id=correlation_id,
                connection_id=connection_id, payload={"mode": "full", "reason": "install", "created_ts": str(now)}))
            queued = True
        logger().info("tiktok authorized", extra={"connection_id": connection_id, "state": connection.state,
                                                  "shops": [s.shop_id for s in shops]})
        return TikTokStep(connection, shops, token, queued)


def _same_seller(connection: Connection, seller_id: str | None, shops: list[ShopLink],
                 held: list[ShopLink]) -> None:
    """A connection authorized once keeps its TikTok seller: the seller id it holds, or (held by
    a connection from before seller ids were kept) at least one of its shops."""
    if connection.seller_id:
        if seller_id != connection.seller_id:
            raise SellerChanged(f"connection {connection.connection_id} belongs to another TikTok seller")
        return
    if held and not {s.shop_id for s in held} & {s.shop_id for s in shops}:
        raise SellerChanged(f"connection {connection.connection_id} belongs to another TikTok seller")
