"""Expiring store tokens (Shopify's offline tokens) on moto: the refresh queue item follows the
token, the refresh runs under the connection's refresh lock (TikTok's) and keeps the rotated
refresh token, a token used when about to expire is refreshed first, and a refused refresh
moves the connection to "needs re-authorization" once and leaves the queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from connector.connections import lifecycle
from connector.connections.lifecycle import Collaborators, NeedsReauthorization, Notifier, refresh_store_token
from connector.connections.models import Connection
from connector.connections.repository import ConnectionRepository
from connector.errors import Conflict
from connector.stores.errors import AuthError, ServerError
from connector.stores.protocol import StoreCredentials, StoreGrant

NOW = 1_800_000_000


class PlainVault:
    """Seals as JSON (the real vault's KMS envelope is tested on its own)."""

    def seal(self, connection_id: str, data: dict[str, str]) -> bytes:
        return json.dumps({"for": connection_id, **data}).encode()

    def open(self, connection_id: str, blob: bytes) -> dict[str, str]:
        data = json.loads(blob)
        assert data.pop("for") == connection_id
        return dict(data)


class Sender:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, queue_url: str, message: Any, **kwargs: Any) -> str:
        self.sent.append(message)
        return "id"


class Shopify:
    """The platform side of a refresh: rotates both tokens, or refuses."""

    def __init__(self, refuse: Exception | None = None) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.refuse = refuse

    def __call__(self, platform: str, store_id: str, refresh_token: str) -> StoreGrant:
        self.calls.append((platform, store_id, refresh_token))
        if self.refuse is not None:
            raise self.refuse
        n = len(self.calls)
        return StoreGrant(platform=platform, store_id=store_id, token=SecretStr(f"access-{n}"), scopes=(),
                          expires_at=datetime.fromtimestamp(NOW, tz=UTC) + timedelta(hours=1),
                          refresh_token=SecretStr(f"refresh-{n}"))


@pytest.fixture
def repo(table: str) -> ConnectionRepository:
    repository = ConnectionRepository(table)
    vault = PlainVault()
    repository.create_for_store(Connection(
        connection_id="c-shop", platform="shopify", store_id="s.myshopify.com", state="active", created_at=1,
        updated_at=1, store_access_expires_at=NOW + 600,
        store_token_ct=vault.seal("c-shop", {"store_token": "access-0", "store_refresh_token": "refresh-0"})))
    return repository


def test_the_queue_names_tokens_that_expire_before_the_next_run_and_the_refresh_rotates_both(
        repo: ConnectionRepository) -> None:
    vault, shopify = PlainVault(), Shopify()
    assert list(repo.due_for_store_refresh(NOW + 601)) == ["c-shop"]
    assert list(repo.due_for_store_refresh(NOW + 599)) == []
    outcome = refresh_store_token(repo, vault, "c-shop", shopify, Notifier(Sender(), "q"),  # type: ignore[arg-type]
                                  correlation_id="x", clock=lambda: NOW)
    assert outcome.refreshed and shopify.calls == [("shopify", "s.myshopify.com", "refresh-0")]
    connection = repo.require("c-shop")
    assert vault.open("c-shop", connection.store_token_ct or b"") == {"store_token": "access-1",
                                                                     "store_refresh_token": "refresh-1"}
    assert connection.store_access_expires_at == NOW + 3600
    assert list(repo.due_for_store_refresh(NOW + 3599)) == []  # moved along the queue
    # Not due any more: a second run changes nothing.
    again = refresh_store_token(repo, vault, "c-shop", shopify, Notifier(Sender(), "q"),  # type: ignore[arg-type]
                                correlation_id="x", clock=lambda: NOW)
    assert not again.refreshed and len(shopify.calls) == 1


def test_the_refresh_waits_for_the_connection_lock_that_tiktok_refreshes_use(repo: ConnectionRepository) -> None:
    assert repo.acquire_refresh_lock("c-shop", "tiktok-refresher", NOW, lifecycle.LOCK_TTL_S)
    shopify, ticks = Shopify(), iter(range(NOW, NOW + 1000))
    with pytest.raises(Conflict):
        refresh_store_token(repo, PlainVault(), "c-shop", shopify, Notifier(Sender(), "q"),  # type: ignore[arg-type]
                            correlation_id="x", clock=lambda: next(ticks), sleep=lambda s: None, wait_s=5)
    assert shopify.calls == []


def test_a_token_about_to_expire_is_refreshed_before_the_store_is_opened(repo: ConnectionRepository) -> None:
    opened: list[str] = []

    def open_store(credentials: StoreCredentials) -> Any:
        opened.append(credentials.token.get_secret_value())
        return object()

    shopify = Shopify()
    c = Collaborators(repo=repo, vault=PlainVault(), tiktok=None, open_store=open_store,  # type: ignore[arg-type]
                      notifier=Notifier(Sender(), "q"), clock=lambda: NOW + 550, store_refresher=shopify)
    c.store_for(repo.require("c-shop"))
    assert opened == ["access-1"] and len(shopify.calls) == 1
    fresh = Collaborators(repo=repo, vault=PlainVault(), tiktok=None, open_store=open_store,  # type: ignore[arg-type]
                          notifier=Notifier(Sender(), "q"), clock=lambda: NOW, store_refresher=shopify)
    fresh.store_for(repo.require("c-shop"))
    assert opened == ["access-1", "access-1"] and len(shopify.calls) == 1  # fresh: used as held


def test_a_refused_refresh_needs_reauthorization_once_and_leaves_the_queue(repo: ConnectionRepository) -> None:
    sender = Sender()
    refused = Shopify(AuthError("invalid_grant", platform="shopify", http_status=400))
    with pytest.raises(NeedsReauthorization):
        refresh_store_token(repo, PlainVault(), "c-shop", refused, Notifier(sender, "q"),  # type: ignore[arg-type]
                            correlation_id="x", clock=lambda: NOW)
    assert repo.require("c-shop").state == "needs_reauth"
    assert list(repo.due_for_store_refresh(NOW + 10**6)) == []
    assert [m.payload["event"] for m in sender.sent] == ["needs_reauth"]


def test_a_platform_outage_is_retried_later_and_changes_nothing(repo: ConnectionRepository) -> None:
    down = Shopify(ServerError("down", platform="shopify", http_status=503))
    with pytest.raises(ServerError):
        refresh_store_token(repo, PlainVault(), "c-shop", down, Notifier(Sender(), "q"),  # type: ignore[arg-type]
                            correlation_id="x", clock=lambda: NOW)
    assert repo.require("c-shop").state == "active"
    assert list(repo.due_for_store_refresh(NOW + 601)) == ["c-shop"]
    assert repo.acquire_refresh_lock("c-shop", "next", NOW, 60)  # the lock was released


def test_disconnect_forgets_the_store_token_and_its_queue_place(repo: ConnectionRepository) -> None:
    repo.disconnect("c-shop", "merchant_disconnected", now=NOW)
    gone = repo.require("c-shop")
    assert gone.store_token_ct is None and gone.store_access_expires_at is None
    assert list(repo.due_for_store_refresh(NOW + 10**6)) == []
