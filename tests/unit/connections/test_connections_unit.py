"""Pure logic of connections: state signing, the token vault's use of KMS, merchant access,
currency evaluation, refresh decisions and the event router (fakes, no sockets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from connector.connections import merchant
from connector.connections.events import route
from connector.connections.lifecycle import Collaborators, NeedsReauthorization, Notifier, evaluate, refresh_tokens
from connector.connections.models import Connection, EventMessage, ShopLink
from connector.connections.oauth_state import InvalidState, OAuthStates, WrongBrowser
from connector.connections.vault import TokenVault, VaultError
from connector.errors import Conflict, Forbidden, Unauthorized


class FakeDynamo:
    """Just enough of put_item / delete_item with conditions for the state store."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def put_item(self, TableName: str, Item: dict[str, Any], ConditionExpression: str = "") -> None:
        self.items[Item["pk"]["S"]] = Item

    def get_item(self, TableName: str, Key: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        item = self.items.get(Key["pk"]["S"])
        return {"Item": item} if item is not None else {}

    def delete_item(self, TableName: str, Key: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        item = self.items.get(Key["pk"]["S"])
        wanted = kwargs.get("ExpressionAttributeValues", {}).get(":purpose")
        if item is None or (wanted and item["purpose"] != wanted):
            error = Exception("condition")
            error.response = {"Error": {"Code": "ConditionalCheckFailedException"}}  # type: ignore[attr-defined]
            raise error
        del self.items[Key["pk"]["S"]]
        return {"Attributes": item}


def states(clock: float = 1000.0, ddb: FakeDynamo | None = None) -> OAuthStates:
    return OAuthStates("t", "k" * 32, client=ddb or FakeDynamo(), clock=lambda: clock)


def test_state_round_trip_is_single_use() -> None:
    ddb = FakeDynamo()
    s = states(ddb=ddb)
    state = s.issue("tiktok_authorize", browser="nonce-1", connection_id="c1", issue_merchant_token=True)
    record = s.consume(state, "tiktok_authorize", browser="nonce-1")
    assert record.connection_id == "c1" and record.issue_merchant_token
    with pytest.raises(InvalidState) as replay:
        s.consume(state, "tiktok_authorize", browser="nonce-1")
    assert replay.value.reason == "state_replayed"


@pytest.mark.parametrize("browser", [None, "", "nonce-2"])
def test_state_from_another_browser_is_refused_and_left_for_its_own(browser: str | None) -> None:
    s = states()
    state = s.issue("tiktok_authorize", browser="nonce-1", connection_id="c1")
    with pytest.raises(WrongBrowser) as caught:
        s.consume(state, "tiktok_authorize", browser=browser)
    assert caught.value.reason == "state_other_browser"
    assert s.consume(state, "tiktok_authorize", browser="nonce-1").connection_id == "c1"


@pytest.mark.parametrize("mutate", [
    lambda s: s[:-2] + ("AA" if not s.endswith("AA") else "BB"),  # signature
    lambda s: s.replace(".", ".9", 1),  # expiry moved
    lambda s: "x" + s,  # id
])
def test_tampered_state_is_refused(mutate: Any) -> None:
    s = states()
    with pytest.raises(InvalidState) as caught:
        s.consume(mutate(s.issue("store_install", browser="b")), "store_install", browser="b")
    assert caught.value.reason in ("state_tampered", "bad_request")


def test_state_for_another_purpose_or_expired_or_malformed_is_refused() -> None:
    ddb = FakeDynamo()
    state = states(ddb=ddb).issue("store_install", browser="b")
    with pytest.raises(InvalidState):
        states(ddb=ddb).consume(state, "tiktok_authorize", browser="b")
    with pytest.raises(InvalidState) as expired:
        states(clock=1000.0 + 16 * 60, ddb=ddb).consume(state, "store_install", browser="b")
    assert expired.value.reason == "state_expired"
    for bad in (None, "", "a.b", "a.b.c"):
        with pytest.raises(InvalidState):
            states().consume(bad, "store_install", browser="b")


@dataclass
class FakeKms:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def encrypt(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        context = kwargs["EncryptionContext"]["connection_id"].encode()
        return {"CiphertextBlob": context + b"|" + bytes(b ^ 0x5A for b in kwargs["Plaintext"])}

    def decrypt(self, **kwargs: Any) -> dict[str, Any]:
        context, _, body = kwargs["CiphertextBlob"].partition(b"|")
        if context.decode() != kwargs["EncryptionContext"]["connection_id"]:
            error = Exception("bad context")
            error.response = {"Error": {"Code": "InvalidCiphertextException"}}  # type: ignore[attr-defined]
            raise error
        return {"Plaintext": bytes(b ^ 0x5A for b in body)}


def test_vault_binds_ciphertext_to_its_connection() -> None:
    kms = FakeKms()
    vault = TokenVault("key-1", client=kms)
    blob = vault.seal("conn-a", {"access_token": "TTP_secret"})
    assert b"TTP_secret" not in blob
    assert kms.calls[0]["KeyId"] == "key-1" and kms.calls[0]["EncryptionContext"] == {"connection_id": "conn-a"}
    assert vault.open("conn-a", blob) == {"access_token": "TTP_secret"}
    with pytest.raises(VaultError) as caught:
        vault.open("conn-b", blob)
    assert "TTP_secret" not in str(caught.value) and "conn-b" in str(caught.value)


@dataclass
class CountingKms(FakeKms):
    decrypts: int = 0

    def decrypt(self, **kwargs: Any) -> dict[str, Any]:
        self.decrypts += 1
        return super().decrypt(**kwargs)


def test_vault_caches_what_it_opened_per_connection_and_ciphertext_for_a_while() -> None:
    from connector.connections import vault as vault_module

    vault_module.clear_cache()
    kms, now = CountingKms(), [100.0]
    vault = TokenVault("key-1", client=kms, clock=lambda: now[0], cache_ttl_s=60)
    blob = vault.seal("conn-a", {"access_token": "one"})
    assert vault.open("conn-a", blob) == vault.open("conn-a", blob) == {"access_token": "one"}
    assert kms.decrypts == 1  # a warm container pays KMS once
    with pytest.raises(VaultError):  # the same ciphertext under another connection still goes to KMS
        vault.open("conn-b", blob)
    assert kms.decrypts == 2
    renewed = vault.seal("conn-a", {"access_token": "two"})
    assert vault.open("conn-a", renewed) == {"access_token": "two"} and kms.decrypts == 3  # new tokens: a miss
    now[0] += 61
    assert vault.open("conn-a", blob) == {"access_token": "one"} and kms.decrypts == 4  # expired
    vault_module.clear_cache()


GOOD = merchant.new_token("c1")


def _connection(**changes: Any) -> Connection:
    values: dict[str, Any] = {"connection_id": "c1", "platform": "ecwid", "store_id": "1", "state": "active",
                              "created_at": 1, "updated_at": 1, "merchant_token_hash": merchant.token_hash(GOOD),
                              "merchant_token_expires_at": 100, "session_version": 3}
    values.update(changes)
    return Connection(**values)


def test_merchant_access_by_token_or_session_for_that_connection_only() -> None:
    conn, other = _connection(), _connection(connection_id="c2", merchant_token_hash=None)
    stored = {"c1": conn, "c2": other}
    key = "k" * 32

    def auth(cid: str, token: str | None = None, session: str | None = None, now: int = 5) -> Connection:
        return merchant.authorize(stored.get, cid, token=token, session=session, signing_key=key, now=now)

    assert auth("c1", token=GOOD) == conn
    session = merchant.session_value(key, conn, now=5)
    assert auth("c1", session=session, now=6) == conn
    with pytest.raises(Forbidden):  # valid credentials of another connection (or of none: no enumeration)
        auth("c2", token=GOOD)
    with pytest.raises(Forbidden):
        auth("c9", session=session)
    with pytest.raises(Unauthorized):  # a token that is not the stored one
        auth("c1", token=merchant.new_token("c1"))
    with pytest.raises(Unauthorized):  # an expired token
        auth("c1", token=GOOD, now=101)
    with pytest.raises(Unauthorized):  # a token naming a connection that does not hold it
        auth("c1", token=GOOD.replace("mt_c1.", "mt_c2."))
    with pytest.raises(Unauthorized):  # an expired session
        auth("c1", session=session, now=5 + 13 * 3600)
    with pytest.raises(Unauthorized):  # a session from before a rotation (older version)
        auth("c1", session=merchant.session_value(key, _connection(session_version=2), now=5))
    with pytest.raises(Unauthorized):  # signed with another key
        merchant.authorize(stored.get, "c1", token=None, session=session, signing_key="j" * 32, now=6)
    with pytest.raises(Unauthorized):
        auth("c1")
    assert merchant.token_connection(GOOD) == "c1" and merchant.token_connection("mt_nodot") is None
    assert merchant.bearer({"Authorization": "Bearer mt_x"}) == "mt_x"
    assert merchant.session_from_cookies(["a=b", f"{merchant.SESSION_COOKIE}=v"]) == "v"


def test_currency_mismatch_pauses_with_reason() -> None:
    us = ShopLink(shop_id="1", cipher="c", region="US", currency="USD")
    gb = ShopLink(shop_id="2", cipher="c", region="GB", currency="GBP")
    assert evaluate("USD", [us]) == ("active", None)
    state, reason = evaluate("USD", [us, gb])
    assert state == "paused" and reason is not None and "GBP" in reason and "2" in reason
    assert evaluate("USD", [])[0] == "paused"


class FakeRepo:
    def __init__(self, connection: Connection | None) -> None:
        self.connection = connection
        self.lock_holder: str | None = None
        self.saved: list[dict[str, Any]] = []
        self.states: list[tuple[str, str | None]] = []
        self.left_queue = False

    def acquire_refresh_lock(self, connection_id: str, owner: str, now: int, ttl_s: int) -> bool:
        if self.lock_holder is not None:
            return False
        self.lock_holder = owner
        return True

    def release_refresh_lock(self, connection_id: str, owner: str) -> None:
        if self.lock_holder == owner:
            self.lock_holder = None

    def require(self, connection_id: str) -> Connection:
        assert self.connection
        return self.connection

    def get(self, connection_id: str) -> Connection | None:
        return self.connection

    def save_refreshed_tokens(self, connection_id: str, **kwargs: Any) -> None:
        self.saved.append(kwargs)
        assert self.connection
        self.connection = self.connection.model_copy(update={"tiktok_tokens_ct": kwargs["tokens_ct"]})

    def leave_refresh_queue(self, connection_id: str, now: int) -> None:
        self.left_queue = True

    def set_state(self, connection_id: str, state: str, reason: str | None, now: int, **kwargs: Any) -> Connection:
        assert self.connection
        if kwargs.get("only_from") and self.connection.state not in kwargs["only_from"]:
            raise Conflict("lost")
        self.states.append((state, reason))
        self.connection = self.connection.model_copy(update={"state": state, "reason": reason})
        return self.connection


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, queue_url: str, message: Any, **kwargs: Any) -> str:
        self.sent.append(message)
        return "id"


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    access_token_expire_in: int = 10_000
    refresh_token_expire_in: int = 99_999


def _refresh_world(expires_at: int = 1_000) -> tuple[FakeRepo, TokenVault, FakeSender]:
    vault = TokenVault("k", client=FakeKms())
    conn = _connection(tiktok_tokens_ct=vault.seal("c1", {"access_token": "A1", "refresh_token": "R1"}),
                       tiktok_access_expires_at=expires_at)
    return FakeRepo(conn), vault, FakeSender()


def test_refresh_stores_the_rotated_pair_and_releases_the_lock() -> None:
    repo, vault, sender = _refresh_world()
    used: list[str] = []

    outcome = refresh_tokens(repo, vault, "c1", lambda r: used.append(r) or Tokens("A2", "R2"),  # type: ignore[arg-type, func-returns-value]
                             Notifier(sender, "q"), correlation_id="x", clock=lambda: 500)

    assert outcome.refreshed and used == ["R1"] and repo.lock_holder is None
    assert vault.open("c1", repo.saved[0]["tokens_ct"]) == {"access_token": "A2", "refresh_token": "R2"}


def test_refresh_skips_when_not_due_or_already_replaced() -> None:
    repo, vault, sender = _refresh_world(expires_at=10**9)
    never = lambda r: pytest.fail("must not refresh")  # noqa: E731
    assert not refresh_tokens(repo, vault, "c1", never, Notifier(sender, "q"), correlation_id="x",
                              clock=lambda: 500).refreshed
    assert not refresh_tokens(repo, vault, "c1", never, Notifier(sender, "q"), correlation_id="x",
                              expired_access="A0", clock=lambda: 500).refreshed


def test_a_held_lock_makes_the_second_refresher_wait_for_the_first_result() -> None:
    repo, vault, sender = _refresh_world()
    repo.lock_holder = "someone else"
    waits: list[float] = []

    def sleep(s: float) -> None:  # the other worker finishes while we wait
        waits.append(s)
        repo.connection = repo.connection.model_copy(update={  # type: ignore[union-attr]
            "tiktok_tokens_ct": vault.seal("c1", {"access_token": "A2", "refresh_token": "R2"})})

    outcome = refresh_tokens(repo, vault, "c1", lambda r: pytest.fail("refreshed twice"), Notifier(sender, "q"),
                             correlation_id="x", expired_access="A1", clock=lambda: 500, sleep=sleep)
    assert not outcome.refreshed and waits and repo.lock_holder == "someone else"

    with pytest.raises(Conflict):  # scheduled refresh gives up when the lock stays held
        clock = iter(range(0, 10_000, 5))
        refresh_tokens(repo, vault, "c1", lambda r: pytest.fail("refreshed"), Notifier(sender, "q"),
                       correlation_id="x", clock=lambda: float(next(clock)), sleep=lambda s: None)


def test_refused_refresh_needs_reauthorization_once() -> None:
    from connector.tiktok.errors import error_for

    repo, vault, sender = _refresh_world()

    def refuse(_r: str) -> Any:
        raise error_for(105001, "invalid refresh token")

    with pytest.raises(NeedsReauthorization):
        refresh_tokens(repo, vault, "c1", refuse, Notifier(sender, "q"), correlation_id="x", clock=lambda: 500)
    assert repo.states == [("needs_reauth", "tiktok_refresh_failed")] and repo.left_queue
    assert [m.kind for m in sender.sent] == ["notify_merchant"] and repo.lock_holder is None


def _collab(repo: FakeRepo, sender: FakeSender) -> Collaborators:
    return Collaborators(repo=repo, vault=TokenVault("k", client=FakeKms()), tiktok=None,  # type: ignore[arg-type]
                         open_store=None, notifier=Notifier(sender, "q"), clock=lambda: 5)  # type: ignore[arg-type]


def _message(source: str, kind: str) -> EventMessage:
    return EventMessage(source=source, kind=kind, connection_id="c1", event_id="e", correlation_id="x")  # type: ignore[arg-type]


def test_router_pauses_on_deauthorization_once_and_records_other_kinds() -> None:
    repo, sender = FakeRepo(_connection()), FakeSender()
    assert route(_message("tiktok", "seller_deauthorization"), _collab(repo, sender)) == "needs_reauth"
    assert route(_message("tiktok", "upcoming_authorization_expiration"), _collab(repo, sender)) == \
        "needs_reauth_already"
    assert len(sender.sent) == 1  # one notification, no storm
    assert route(_message("tiktok", "new_message"), _collab(repo, sender)) == "unhandled"  # no feature uses it
    gone = FakeRepo(_connection(state="disconnected"))
    assert route(_message("tiktok", "order_status_change"), _collab(gone, sender)) == "skipped_disconnected"
    assert route(_message("tiktok", "order_status_change"), _collab(FakeRepo(None), sender)) == "skipped_disconnected"
