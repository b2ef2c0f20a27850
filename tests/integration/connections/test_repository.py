"""The connection repository on moto and on DynamoDB Local (tables built from template.yaml)."""

from __future__ import annotations

from typing import Any

import pytest

from connector.connections.models import Connection, ShopLink, WarehouseInfo
from connector.connections.repository import ConnectionRepository
from connector.errors import Conflict


def _new(cid: str, store: str = "42") -> Connection:
    return Connection(connection_id=cid, platform="ecwid", store_id=store, state="pending", created_at=1,
                      updated_at=1, store_token_ct=b"\x00cipher")


@pytest.mark.dynamodb_local
def test_store_claim_lock_index_and_purge(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = ConnectionRepository(table, client=client)

    # One connection per store: the second create loses the claim and changes nothing.
    assert repo.create_for_store(_new("c1"))
    assert not repo.create_for_store(_new("c2"))
    assert repo.claimed_connection("ecwid", "42") == "c1" and repo.get("c2") is None
    assert repo.find_by_store("ecwid", "42") == "c1"
    assert repo.reinstall("c1", b"\x01new", now=5).store_token_ct == b"\x01new"

    shop = ShopLink(shop_id="7001", cipher="GCP_x", region="US", currency="USD", default_warehouse_id="w1",
                    warehouses=(WarehouseInfo(id="w1", is_default=True),))
    repo.save_authorization("c1", tokens_ct=b"\x02tt", access_expires_at=1000, refresh_expires_at=9000,
                            seller_name="S", seller_region="US", shops=[shop], now=6)
    assert repo.find_by_shop("7001") == "c1" and repo.shops("c1") == [shop]
    assert list(repo.due_for_refresh(1001)) == ["c1"] and list(repo.due_for_refresh(999)) == []

    # The refresh lock: one holder; an expired lock can be taken over; only the owner releases.
    assert repo.acquire_refresh_lock("c1", "a", now=10, ttl_s=60)
    assert not repo.acquire_refresh_lock("c1", "b", now=20, ttl_s=60)
    repo.release_refresh_lock("c1", "b")
    assert not repo.acquire_refresh_lock("c1", "b", now=30, ttl_s=60)
    assert repo.acquire_refresh_lock("c1", "b", now=71, ttl_s=60)
    repo.release_refresh_lock("c1", "b")
    assert repo.acquire_refresh_lock("c1", "c", now=72, ttl_s=60)

    active = repo.set_state("c1", "active", None, now=7, store_currency="USD", checked=True)
    assert active.state == "active" and active.store_currency == "USD" and active.checked_at == 7
    with pytest.raises(Conflict):
        repo.set_state("c1", "needs_reauth", "x", now=8, only_from=("paused",))

    repo.disconnect("c1", "merchant_disconnected", now=9)
    cleared = repo.require("c1")
    assert cleared.store_token_ct is None and cleared.tiktok_tokens_ct is None and cleared.state == "disconnected"
    assert list(repo.due_for_refresh(10**9)) == []
    with pytest.raises(Conflict):  # a refresh racing the disconnect cannot bring tokens back
        repo.save_refreshed_tokens("c1", tokens_ct=b"x", access_expires_at=1, refresh_expires_at=2, now=10)

    assert repo.purge("c1") >= 4
    assert repo.get("c1") is None and repo.find_by_shop("7001") is None
    assert repo.claimed_connection("ecwid", "42") is None
    assert repo.create_for_store(_new("c3"))  # the store can be installed afresh
