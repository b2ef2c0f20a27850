"""A connection's life after install: TikTok token refresh (one refresher per connection,
through a conditional lock), "needs re-authorization", the connection check and
disconnect."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connector.connections.models import CheckResult, Connection, ShopLink, WarehouseInfo, region_currency
from connector.connections.repository import ConnectionRepository
from connector.connections.vault import TokenVault
from connector.errors import Conflict, ConnectorError
from connector.observability import logger
from connector.queues import MessageSender
from connector.runtime import now as wall_clock
from connector.tasks import TaskMessage

if TYPE_CHECKING:
    from connector.stores.protocol import StoreGrant, StorePlatform
    from connector.tiktok.models import TokenSet, Warehouse
    from connector.tiktok.protocol import TikTokShop

#: Refresh access tokens this long before they expire (TikTok's last 7 days; we refresh a day early).
REFRESH_MARGIN_S = 24 * 3600
LOCK_TTL_S = 60
LOCK_WAIT_S = 15.0


class NeedsReauthorization(ConnectorError):
    """The connection's TikTok or store authorization is gone: the merchant must re-authorize."""

    status = 409
    code = "needs_reauthorization"


@dataclass
class Notifier:
    """Emits events for merchant notifications (a task message of kind ``notify_merchant``,
    batched into digest emails by :mod:`connector.notifications`). Events: ``needs_reauth``,
    ``disconnected``, ``order_blocked`` and ``product_failed`` (``subject_id``: the TikTok order
    id / store product id). ``reason``: plain words, never buyer details or secrets."""

    sender: MessageSender
    tasks_queue_url: str

    def emit(self, connection_id: str, event: str, reason: str | None, correlation_id: str, *,
             subject_id: str | None = None) -> None:
        payload = {"event": event, "reason": reason or "", "created_ts": str(int(wall_clock()))}
        if subject_id:
            payload["subject_id"] = subject_id
        self.sender.send(self.tasks_queue_url, TaskMessage(
            kind="notify_merchant", task_id=f"notify-{uuid.uuid4().hex}", correlation_id=correlation_id,
            connection_id=connection_id, payload=payload))


def mark_needs_reauth(repo: ConnectionRepository, notifier: Notifier, connection_id: str, reason: str,
                      correlation_id: str, clock: Callable[[], float] = wall_clock) -> bool:
    """Pause syncing until the merchant re-authorizes. Only the first report moves the state and
    notifies; the next ones (daily webhook 7, every failing worker) change nothing: no storm."""
    try:
        repo.set_state(connection_id, "needs_reauth", reason, int(clock()), only_from=("active", "paused", "pending"))
    except Conflict:
        return False
    logger().info("connection needs re-authorization", extra={"connection_id": connection_id, "reason": reason})
    notifier.emit(connection_id, "needs_reauth", reason, correlation_id)
    return True


# ---------------------------------------------------------------------- token refresh
@dataclass
class RefreshOutcome:
    connection_id: str
    refreshed: bool
    access_expires_at: int | None = None


def refresh_tokens(repo: ConnectionRepository, vault: TokenVault, connection_id: str,
                   refresher: Callable[[str], TokenSet], notifier: Notifier, *, correlation_id: str,
                   expired_access: str | None = None, margin_s: int = REFRESH_MARGIN_S,
                   clock: Callable[[], float] = wall_clock, sleep: Callable[[float], None] = time.sleep,
                   wait_s: float = LOCK_WAIT_S) -> RefreshOutcome:
    """Refresh one connection's TikTok tokens under its lock and store the new set (the refresh
    token too: TikTok may rotate it). ``expired_access``: TikTok just refused that token (105002),
    so refresh unless somebody else already replaced it; else refresh only when it is due.
    Another holder of the lock: wait for its result instead of refreshing twice."""
    from connector.tiktok.errors import TikTokError

    owner = uuid.uuid4().hex
    deadline = clock() + wait_s
    while not repo.acquire_refresh_lock(connection_id, owner, int(clock()), LOCK_TTL_S):
        if clock() > deadline:
            raise Conflict(f"token refresh of connection {connection_id} is held by another worker",
                           reason="refresh_locked")
        sleep(0.1)
        if expired_access is not None and _stored_access(repo, vault, connection_id) not in (None, expired_access):
            return RefreshOutcome(connection_id, refreshed=False)
    try:
        connection = repo.require(connection_id)
        if connection.tiktok_tokens_ct is None:
            raise NeedsReauthorization(f"connection {connection_id} holds no TikTok tokens", reason="no_tokens")
        tokens = vault.open(connection_id, connection.tiktok_tokens_ct)
        if expired_access is not None and tokens["access_token"] != expired_access:
            return RefreshOutcome(connection_id, refreshed=False, access_expires_at=connection.tiktok_access_expires_at)
        if expired_access is None and (connection.tiktok_access_expires_at or 0) > clock() + margin_s:
            return RefreshOutcome(connection_id, refreshed=False, access_expires_at=connection.tiktok_access_expires_at)
        try:
            fresh = refresher(tokens["refresh_token"])
        except TikTokError as exc:
            if exc.retryable:
                raise
            repo.leave_refresh_queue(connection_id, int(clock()))
            mark_needs_reauth(repo, notifier, connection_id, "tiktok_refresh_failed", correlation_id, clock)
            raise NeedsReauthorization(f"TikTok refused to refresh the tokens of connection {connection_id}",
                                       reason="tiktok_refresh_failed") from None
        repo.save_refreshed_tokens(
            connection_id, tokens_ct=vault.seal(connection_id, {"access_token": fresh.access_token,
                                                                "refresh_token": fresh.refresh_token}),
            access_expires_at=fresh.access_token_expire_in, refresh_expires_at=fresh.refresh_token_expire_in,
            now=int(clock()))
        logger().info("tiktok tokens refreshed", extra={"connection_id": connection_id,
                                                        "access_expires_at": fresh.access_token_expire_in})
        return RefreshOutcome(connection_id, refreshed=True, access_expires_at=fresh.access_token_expire_in)
    finally:
        repo.release_refresh_lock(connection_id, owner)


#: An expiring store token is refreshed by the schedule (every 30 minutes) when it has less than
#: this left, so it never lapses between two runs; and at use, under the same lock, when it has
#: less than :data:`STORE_USE_MARGIN_S` left.
STORE_REFRESH_MARGIN_S = 35 * 60
STORE_USE_MARGIN_S = 120

StoreRefresher = Callable[[str, str, str], "StoreGrant"]
"""(platform, store id, refresh token) -> a fresh grant (its refresh token too: they may rotate)."""


def refresh_store_token(repo: ConnectionRepository, vault: TokenVault, connection_id: str,
                        refresher: StoreRefresher, notifier: Notifier, *, correlation_id: str,
                        margin_s: int = STORE_REFRESH_MARGIN_S, clock: Callable[[], float] = wall_clock,
                        sleep: Callable[[float], None] = time.sleep, wait_s: float = LOCK_WAIT_S) -> RefreshOutcome:
    """Refresh one connection's expiring store token when it expires within ``margin_s``, under
    the connection's refresh lock (TikTok's: one refresher per connection whatever it refreshes),
    and keep the rotated refresh token. Another holder of the lock: wait for it, then refresh
    only if the token is still due. A refused refresh marks the connection "needs
    re-authorization" (the merchant installs again) and it leaves the queue; any other failure
    is raised as it is (retried later)."""
    from connector.stores.errors import AuthError

    def due(connection: Connection) -> bool:
        expires = connection.store_access_expires_at
        return expires is not None and expires <= clock() + margin_s

    owner = uuid.uuid4().hex
    deadline = clock() + wait_s
    while not repo.acquire_refresh_lock(connection_id, owner, int(clock()), LOCK_TTL_S):
        if clock() > deadline:
            raise Conflict(f"token refresh of connection {connection_id} is held by another worker",
                           reason="refresh_locked")
        sleep(0.1)
    try:
        connection = repo.require(connection_id)
        if not due(connection) or connection.store_token_ct is None:
            return RefreshOutcome(connection_id, refreshed=False, access_expires_at=connection.store_access_expires_at)
        held = vault.open(connection_id, connection.store_token_ct)
        try:
            grant = refresher(connection.platform, connection.store_id, held.get("store_refresh_token", ""))
        except AuthError:  # the refresh token is refused (revoked, expired, the app removed)
            repo.leave_store_refresh_queue(connection_id)
            mark_needs_reauth(repo, notifier, connection_id, "store_refresh_failed", correlation_id, clock)
            raise NeedsReauthorization(f"the store refused to refresh the token of connection {connection_id}",
                                       reason="store_refresh_failed") from None
        expires = int(grant.expires_at.timestamp()) if grant.expires_at else None
        sealed = {"store_token": grant.token.get_secret_value()}
        rotated = grant.refresh_token.get_secret_value() if grant.refresh_token else held.get("store_refresh_token")
        if rotated:
            sealed["store_refresh_token"] = rotated
        now = int(clock())
        repo.save_store_token(connection_id, store_token_ct=vault.seal(connection_id, sealed),
                              access_expires_at=expires if expires is not None else now + margin_s + 3600, now=now)
        logger().info("store token refreshed", extra={"connection_id": connection_id, "access_expires_at": expires})
        return RefreshOutcome(connection_id, refreshed=True, access_expires_at=expires)
    finally:
        repo.release_refresh_lock(connection_id, owner)


def _stored_access(repo: ConnectionRepository, vault: TokenVault, connection_id: str,
                   read: Connection | None = None) -> str | None:
    connection = read if read is not None else repo.get(connection_id)
    if connection is None or connection.tiktok_tokens_ct is None:
        return None
    return vault.open(connection_id, connection.tiktok_tokens_ct).get("access_token")


class ConnectionTokens:
    """The TikTok client's token provider for one connection: reads the stored token, and on a
    105002 refreshes through :func:`refresh_tokens` (lock, single refresher, rotation kept)."""

    def __init__(self, repo: ConnectionRepository, vault: TokenVault, connection_id: str,
                 refresher: Callable[[str], TokenSet], notifier: Notifier, correlation_id: str,
                 clock: Callable[[], float] = wall_clock, read: Connection | None = None) -> None:
        self._repo = repo
        self._read = read
        self._vault = vault
        self._id = connection_id
        self._refresher = refresher
        self._notifier = notifier
        self._correlation_id = correlation_id
        self._clock = clock
        self._access: str | None = None

    def __repr__(self) -> str:
        return f"ConnectionTokens({self._id})"

    def access_token(self) -> str:
        if self._access is None:
            # The connection item the caller has just read holds the token: used once, then
            # (after a refresh) the item is read again.
            read, self._read = self._read, None
            self._access = _stored_access(self._repo, self._vault, self._id, read)
            if self._access is None:
                raise NeedsReauthorization(f"connection {self._id} holds no TikTok tokens", reason="no_tokens")
        return self._access

    def refresh(self, expired_token: str) -> str:
        refresh_tokens(self._repo, self._vault, self._id, self._refresher, self._notifier,
                       correlation_id=self._correlation_id, expired_access=expired_token, clock=self._clock)
        self._access = None
        return self.access_token()


# ---------------------------------------------------------------------- connection check
def default_warehouse(warehouses: list[Warehouse]) -> str | None:
    """TikTok's default enabled sales warehouse, else the first enabled sales warehouse."""
    sales = [w for w in warehouses if (w.type or "SALES_WAREHOUSE") == "SALES_WAREHOUSE"
             and (w.effect_status or "ENABLED") == "ENABLED"]
    chosen = next((w for w in sales if w.is_default), sales[0] if sales else None)
    return chosen.id if chosen else None


def read_shops(client: TikTokShop, access_token: str | None = None) -> list[ShopLink]:
    """The authorized shops with their warehouses and default warehouse."""
    from connector.tiktok.protocol import ShopRef

    shops = []
    for shop in client.get_authorized_shops(access_token=access_token):
        warehouses = client.get_warehouses(ShopRef(shop.id, shop.cipher))
        shops.append(ShopLink(
            shop_id=shop.id, cipher=shop.cipher, name=shop.name, region=shop.region,
            currency=region_currency(shop.region), default_warehouse_id=default_warehouse(warehouses),
            warehouses=tuple(WarehouseInfo(id=w.id, name=w.name, is_default=w.is_default, status=w.effect_status,
                                           type=w.type) for w in warehouses)))
    return shops


def evaluate(store_currency: str | None, shops: list[ShopLink]) -> tuple[str, str | None]:
    """(state, reason) the two sides allow: syncing is refused when a currency differs."""
    if not shops:
        return "paused", "no_authorized_shop: TikTok authorized no shop for this seller"
    for shop in shops:
        if store_currency and shop.currency and shop.currency != store_currency:
            return "paused", (f"currency_mismatch: the store sells in {store_currency}, TikTok shop "
                              f"{shop.shop_id} ({shop.region}) in {shop.currency}")
    return "active", None


@dataclass
class Collaborators:
    """What the lifecycle operations talk to (built by the handlers; fakes in tests)."""

    repo: ConnectionRepository
    vault: TokenVault
    tiktok: TikTokShop
    open_store: Callable[..., StorePlatform]
    """``open_store(credentials, location_id=...)``; ``location_id`` only for a connection that holds one."""
    notifier: Notifier
    clock: Callable[[], float] = wall_clock
    store_refresher: StoreRefresher | None = None
    """Refreshes an expiring store token (the platform's app); ``None``: tokens are used as held."""

    def store_for(self, connection: Connection) -> StorePlatform:
        from pydantic import SecretStr

        from connector.stores.protocol import StoreCredentials

        expires = connection.store_access_expires_at
        if (self.store_refresher is not None and expires is not None and connection.store_token_ct is not None
                and expires <= self.clock() + STORE_USE_MARGIN_S):
            refresh_store_token(self.repo, self.vault, connection.connection_id, self.store_refresher, self.notifier,
                                correlation_id=connection.connection_id, margin_s=STORE_USE_MARGIN_S,
                                clock=self.clock)
            connection = self.repo.require(connection.connection_id)
        if connection.store_token_ct is None:
            raise NeedsReauthorization(f"connection {connection.connection_id} holds no store token",
                                       reason="no_store_token")
        token = self.vault.open(connection.connection_id, connection.store_token_ct)["store_token"]
        credentials = StoreCredentials(platform=connection.platform, store_id=connection.store_id,
                                       token=SecretStr(token))
        if connection.store_location_id is not None:
            return self.open_store(credentials, location_id=connection.store_location_id)
        return self.open_store(credentials)

    def tiktok_for(self, connection_id: str, correlation_id: str, *,
                   connection: Connection | None = None) -> TikTokShop:
        """TikTok's client for one connection; ``connection``: its item, just read by the caller
        (its stored token is used instead of reading the item again)."""
        read = connection if connection is not None and connection.connection_id == connection_id else None
        return self.tiktok.with_tokens(ConnectionTokens(self.repo, self.vault, connection_id,
                                                        self.tiktok.refresh_access_token, self.notifier,
                                                        correlation_id, self.clock, read))


def check(c: Collaborators, connection_id: str, correlation_id: str) -> CheckResult:
    """Connection check: both sides answer, the warehouses are read (default chosen), the currencies agree.
    A mismatch pauses syncing with the reason; a lost authorization means needs_reauth."""
    from connector.stores.errors import AuthError as StoreAuthError
    from connector.stores.errors import StoreError
    from connector.tiktok.errors import AuthError as TikTokAuthError

    connection = c.repo.require(connection_id)
    if connection.state in ("disconnected", "pending"):
        raise Conflict(f"connection {connection_id} is {connection.state}", reason=f"connection_{connection.state}")
    store_currency: str | None = connection.store_currency
    store_ok = tiktok_ok = False
    shops: list[ShopLink] = []
    problem: str | None = None
    try:
        store_currency = c.store_for(connection).profile().currency
        store_ok = True
    except (StoreAuthError, NeedsReauthorization):
        problem = "store_authorization_lost"
    except StoreError as exc:
        problem = f"store_unavailable: {exc.code}"
    try:
        shops = read_shops(c.tiktok_for(connection_id, correlation_id))
        tiktok_ok = True
    except (TikTokAuthError, NeedsReauthorization):
        problem = problem or "tiktok_authorization_lost"
    now = int(c.clock())
    for shop in shops:
        if not c.repo.update_shop(connection_id, shop, now):
            logger().info("shop held by another connection, left alone",
                          extra={"connection_id": connection_id, "shop_id": shop.shop_id})
    if problem and problem.endswith("authorization_lost"):
        mark_needs_reauth(c.repo, c.notifier, connection_id, problem, correlation_id, c.clock)
        updated = c.repo.require(connection_id)
    elif problem:
        updated = connection  # a platform is down: report it, change nothing
    else:
        state, reason = evaluate(store_currency, shops)
        if connection.state == "needs_reauth":
            updated = connection  # only a new authorization clears it
        else:
            updated = c.repo.set_state(connection_id, state, reason, now, store_currency=store_currency,  # type: ignore[arg-type]
                                       checked=True, only_from=("active", "paused"))
    logger().info("connection checked", extra={"connection_id": connection_id, "state": updated.state,
                                               "store_ok": store_ok, "tiktok_ok": tiktok_ok})
    return CheckResult(connection_id=connection_id, state=updated.state, reason=updated.reason or problem,
                       store_ok=store_ok, tiktok_ok=tiktok_ok, store_currency=store_currency,
                       shops=[s.public() for s in shops])


# ---------------------------------------------------------------------- disconnect
def disconnect(repo: ConnectionRepository, notifier: Notifier, connection_id: str, *, reason: str, purge: bool,
               correlation_id: str, clock: Callable[[], float] = wall_clock) -> dict[str, Any]:
    """Disconnect: stop syncing (state disconnected: every worker and schedule skips it, the refresh
    queue forgets it), delete the tokens (the merchant's token hash too: every merchant
    credential and session stops working), release the TikTok shops, and on request delete
    every item of the connection."""
    now = int(clock())
    connection = repo.require(connection_id)
    if connection.state == "disconnected":
        reason = connection.reason or reason
    repo.disconnect(connection_id, reason, now)
    deleted = repo.purge(connection_id) if purge else 0
    logger().info("connection disconnected", extra={"connection_id": connection_id, "reason": reason,
                                                    "purged_items": deleted})
    if not purge:
        notifier.emit(connection_id, "disconnected", reason, correlation_id)
    return {"connection_id": connection_id, "state": "disconnected", "reason": reason, "purged": purge,
            "deleted_items": deleted}


# ---------------------------------------------------------------------- store uninstall
#: Ecwid retries a webhook for about 26 hours (15, 30, 45, 60 minutes, then hourly, 27 attempts);
#: an uninstall older than this is not a delivery but a replay. Shorter than the webhooks'
#: de-duplication (7 days), so a captured delivery is refused either way.
UNINSTALL_MAX_AGE_S = 48 * 3600
#: eventCreated a little ahead of our clock is clock skew; further ahead is made up.
UNINSTALL_MAX_SKEW_S = 300


def store_uninstalled(c: Collaborators, connection: Connection, occurred_at: int | None,
                      correlation_id: str) -> str:
    """The store says the app was uninstalled. Ecwid signs only ``eventCreated.eventId``, not the
    store id, so the body is not proof: a stale or future event is refused, and the store's own
    API must confirm it (our token no longer works) before anything is deleted. A store that
    still answers keeps its connection; a store that cannot be reached raises (the message is
    retried)."""
    from connector.stores.errors import AuthError as StoreAuthError

    now = c.clock()
    cid = connection.connection_id
    if occurred_at is None or occurred_at < now - UNINSTALL_MAX_AGE_S or occurred_at > now + UNINSTALL_MAX_SKEW_S:
        logger().warning("uninstall refused: stale event", extra={"connection_id": cid, "occurred_at": occurred_at})
        return "uninstall_stale"
    try:
        c.store_for(connection).profile()
    except (StoreAuthError, NeedsReauthorization):
        disconnect(c.repo, c.notifier, cid, reason="store_app_uninstalled", purge=False,
                   correlation_id=correlation_id, clock=c.clock)
        return "disconnected"
    logger().warning("uninstall refused: the store still accepts our token", extra={"connection_id": cid})
    return "uninstall_not_confirmed"
