"""The store-uninstall decision: stale or future events refused, and only a store that refuses
our token (the app is gone) disconnects (fakes, no sockets)."""

from __future__ import annotations

from typing import Any

import pytest

from connector.connections.events import route
from connector.connections.lifecycle import UNINSTALL_MAX_AGE_S, Collaborators, Notifier
from connector.connections.models import Connection, EventMessage
from connector.connections.vault import TokenVault
from connector.stores.errors import AuthError, ServerError
from tests.unit.connections.test_connections_unit import FakeKms, FakeSender

NOW = 1_800_000_000


class Repo:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.disconnected: list[str] = []

    def get(self, connection_id: str) -> Connection | None:
        return self.connection

    def require(self, connection_id: str) -> Connection:
        return self.connection

    def disconnect(self, connection_id: str, reason: str, now: int) -> None:
        self.disconnected.append(reason)


class Store:
    def __init__(self, answer: Exception | None) -> None:
        self.answer = answer
        self.calls = 0

    def profile(self) -> Any:
        self.calls += 1
        if self.answer:
            raise self.answer
        return object()


def _world(answer: Exception | None) -> tuple[Repo, Store, Collaborators]:
    vault = TokenVault("k", client=FakeKms())
    repo = Repo(Connection(connection_id="c1", platform="ecwid", store_id="1", state="active", created_at=1,
                           updated_at=1, store_token_ct=vault.seal("c1", {"store_token": "s"})))
    store = Store(answer)
    c = Collaborators(repo=repo, vault=vault, tiktok=None, open_store=lambda creds: store,  # type: ignore[arg-type]
                      notifier=Notifier(FakeSender(), "q"), clock=lambda: NOW)
    return repo, store, c


def _uninstall(occurred_at: int | None) -> EventMessage:
    return EventMessage(source="ecwid", kind="app_uninstalled", connection_id="c1", event_id="e", correlation_id="x",
                        occurred_at=occurred_at)


def test_only_a_store_that_refuses_our_token_disconnects() -> None:
    repo, store, c = _world(AuthError("token revoked", platform="ecwid"))
    assert route(_uninstall(NOW - 60), c) == "disconnected"
    assert repo.disconnected == ["store_app_uninstalled"] and store.calls == 1

    repo, store, c = _world(None)
    assert route(_uninstall(NOW - 60), c) == "uninstall_not_confirmed"
    assert repo.disconnected == [] and store.calls == 1


@pytest.mark.parametrize("occurred_at", [None, NOW - UNINSTALL_MAX_AGE_S - 1, NOW + 301, NOW - 8 * 86400])
def test_a_stale_or_future_uninstall_is_refused_without_asking_the_store(occurred_at: int | None) -> None:
    repo, store, c = _world(AuthError("token revoked", platform="ecwid"))
    assert route(_uninstall(occurred_at), c) == "uninstall_stale"
    assert repo.disconnected == [] and store.calls == 0


def test_a_store_that_cannot_be_reached_makes_the_message_retry() -> None:
    repo, _store, c = _world(ServerError("down", platform="ecwid"))
    with pytest.raises(ServerError):
        route(_uninstall(NOW), c)
    assert repo.disconnected == []
