"""One TikTok shop, one connection: the shop claims written with a connection's authorization,
released by its disconnect, and the seller a connection keeps (moto and DynamoDB Local)."""

from __future__ import annotations

from typing import Any

import pytest

from connector.connections.models import Connection, ShopLink
from connector.connections.repository import ConnectionRepository, SellerChanged, ShopTaken


def _new(cid: str, store: str) -> Connection:
    return Connection(connection_id=cid, platform="ecwid", store_id=store, state="pending", created_at=1,
                      updated_at=1, store_token_ct=b"\x00cipher")


def _authorize(repo: ConnectionRepository, cid: str, *shops: str, seller: str = "s1") -> None:
    repo.save_authorization(cid, tokens_ct=b"\x02tt", access_expires_at=1000, refresh_expires_at=9000,
                            seller_id=seller, seller_name="S", seller_region="US", now=6,
                            shops=[ShopLink(shop_id=s, cipher=f"c{s}", region="US", currency="USD") for s in shops])


@pytest.mark.dynamodb_local
def test_a_shop_is_claimed_once_released_by_disconnect_and_a_seller_is_kept(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    repo = ConnectionRepository(table, client=client)
    assert repo.create_for_store(_new("a", "1")) and repo.create_for_store(_new("b", "2"))

    _authorize(repo, "a", "7001", "7002")
    assert repo.find_by_shop("7001") == "a" and repo.find_by_shop("7002") == "a"
    with pytest.raises(ShopTaken) as taken:  # b's authorization names a shop a holds: nothing written
        _authorize(repo, "b", "7003", "7002")
    assert taken.value.shop_id == "7002" and taken.value.holder == "a"
    assert repo.get("b").tiktok_tokens_ct is None and repo.shops("b") == []  # type: ignore[union-attr]
    assert repo.find_by_shop("7003") is None

    with pytest.raises(SellerChanged):  # a keeps its seller
        _authorize(repo, "a", "7001", seller="s2")
    assert {s.shop_id for s in repo.shops("a")} == {"7001", "7002"}

    _authorize(repo, "a", "7001")  # 7002 no longer authorized: its item and claim go
    assert repo.find_by_shop("7002") is None and [s.shop_id for s in repo.shops("a")] == ["7001"]

    repo.disconnect("a", "merchant_disconnected", now=8)
    assert repo.shop_claim("7001") == {"connection_id": "a", "released": True}
    disconnected = repo.require("a")
    assert disconnected.merchant_token_hash is None and disconnected.session_version == 1
    _authorize(repo, "b", "7001", seller="s1")  # a released shop may be claimed by another connection
    assert repo.shop_claim("7001") == {"connection_id": "b", "released": False}
    assert repo.update_shop("b", ShopLink(shop_id="7001", cipher="c"), now=9)
    assert not repo.update_shop("a", ShopLink(shop_id="7001", cipher="c"), now=9)

    repo.purge("a")
    assert repo.find_by_shop("7001") == "b"  # a's purge leaves b's claim alone
    repo.purge("b")
    assert repo.shop_claim("7001") is None


def test_a_shop_from_before_claims_is_routed_only_when_one_connection_lists_it(any_table: tuple[str, Any]) -> None:
    from connector import dynamo
    from connector.connections.repository import _shop_item

    table, client = any_table
    repo = ConnectionRepository(table, client=client)
    shop = ShopLink(shop_id="8001", cipher="c", region="US", currency="USD")
    client.put_item(TableName=table, Item=dynamo.to_item(_shop_item("old1", shop)))  # written by the old code
    assert repo.shop_claim("8001") is None and repo.find_by_shop("8001") == "old1"
    client.put_item(TableName=table, Item=dynamo.to_item(_shop_item("old2", shop)))
    assert repo.find_by_shop("8001") is None  # two connections list it: never a guess
