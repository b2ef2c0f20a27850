"""The store location a connection syncs (on moto): recorded once, kept by later state changes,
and given to the store adapter when the connection's store is opened."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connector.connections.lifecycle import Collaborators, Notifier
from connector.connections.models import Connection
from connector.connections.repository import ConnectionRepository
from connector.stores.protocol import StoreCredentials


class PlainVault:
    def seal(self, connection_id: str, data: dict[str, str]) -> bytes:
        return json.dumps(data).encode()

    def open(self, connection_id: str, blob: bytes) -> dict[str, str]:
        return dict(json.loads(blob))


@pytest.fixture
def repo(table: str) -> ConnectionRepository:
    repository = ConnectionRepository(table)
    for cid, platform, store in (("c-shopify", "shopify", "s.myshopify.com"), ("c-ecwid", "ecwid", "42")):
        repository.create_for_store(Connection(
            connection_id=cid, platform=platform, store_id=store, state="pending", created_at=1, updated_at=1,
            store_token_ct=PlainVault().seal(cid, {"store_token": "token"})))
    return repository


def _opening(repo: ConnectionRepository) -> tuple[Collaborators, list[tuple[str, dict[str, Any]]]]:
    opened: list[tuple[str, dict[str, Any]]] = []

    def open_store(credentials: StoreCredentials, **kwargs: Any) -> Any:
        opened.append((credentials.platform, kwargs))
        return object()

    c = Collaborators(repo=repo, vault=PlainVault(), tiktok=None, open_store=open_store,  # type: ignore[arg-type]
                      notifier=Notifier(None, "q"))  # type: ignore[arg-type]
    return c, opened


def test_the_location_is_recorded_and_kept_by_later_state_changes(repo: ConnectionRepository) -> None:
    assert repo.require("c-shopify").store_location_id is None
    repo.set_state("c-shopify", "active", None, now=5, store_currency="USD", store_location_id="77")
    assert repo.require("c-shopify").store_location_id == "77"
    paused = repo.set_state("c-shopify", "paused", "currency_mismatch: x", now=6)
    assert paused.store_location_id == "77"


def test_the_store_is_opened_at_the_recorded_location_and_without_one_when_none_is_held(
        repo: ConnectionRepository) -> None:
    repo.set_state("c-shopify", "active", None, now=5, store_location_id="77")
    c, opened = _opening(repo)
    c.store_for(repo.require("c-shopify"))
    c.store_for(repo.require("c-ecwid"))
    assert opened == [("shopify", {"location_id": "77"}), ("ecwid", {})]
