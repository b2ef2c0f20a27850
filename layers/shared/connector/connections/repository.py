"""DynamoDB storage of connections: one repository, conditional writes, keys from keys.py.

Items (partition ``CONN#<id>``): ``META`` (the connection, token ciphertexts, merchant token
hash, gsi2 = store -> connection, gsi3 = token-refresh queue), ``SHOP#<shop id>`` (gsi1 = shop ->
connection), ``LOCK#tiktok_refresh`` (TTL'd; the one lock of every token refresh of the
connection, TikTok's and the store's), ``STOREREFRESH`` (an expiring store token's place in the
refresh queue). Outside it: ``STORECLAIM#<platform>#<store>`` makes
a store map to exactly one connection, whatever the concurrent installs; ``SHOPCLAIM#<shop id>``
makes a TikTok shop belong to at most one connection (written in the same transaction as the
connection's shops and tokens) and is what routes the shop's webhooks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from connector import dynamo, keys
from connector.connections.models import Connection, ConnectionState, ShopLink, WarehouseInfo
from connector.errors import Conflict, NotFound

if TYPE_CHECKING:
    from connector.settings import ConnectionSettings

_CONNECTION_FIELDS = set(Connection.model_fields)


def new_connection_id() -> str:
    return uuid.uuid4().hex


class ShopTaken(Conflict):
    """A TikTok shop is connected to another connection already (one shop, one connection)."""

    code = "shop_connected_elsewhere"

    def __init__(self, shop_id: str, holder: str | None) -> None:
        super().__init__(f"TikTok shop {shop_id} belongs to another connection", reason="shop_connected_elsewhere")
        self.shop_id = shop_id
        self.holder = holder


class SellerChanged(Conflict):
    """A TikTok authorization for a connection came from another seller than the one it holds."""

    code = "different_seller"


class ConnectionRepository(dynamo.Repository):
    def _key(self, connection_id: str, sk: str = keys.META) -> dict[str, Any]:
        return dynamo.to_item(_plain_key(connection_id, sk))

    # ------------------------------------------------------------------ reads
    def get(self, connection_id: str) -> Connection | None:
        found = self._read(_plain_key(connection_id))
        return None if found is None else _connection(found)

    def with_settings(self, connection_id: str) -> tuple[Connection | None, ConnectionSettings]:
        """The connection and its settings (the defaults when none are saved) in one read."""
        from connector.settings import ConnectionSettings, settings_from_item

        found, saved = self._read_many([_plain_key(connection_id), _plain_key(connection_id, keys.SETTINGS)])
        return (None if found is None else _connection(found),
                ConnectionSettings() if saved is None else settings_from_item(saved))

    def require(self, connection_id: str) -> Connection:
        connection = self.get(connection_id)
        if connection is None:
            raise NotFound(f"connection {connection_id} does not exist")
        return connection

    def shops(self, connection_id: str) -> list[ShopLink]:
        result = self.client.query(
            TableName=self._table, ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :shop)",
            ExpressionAttributeValues=dynamo.values({":pk": keys.conn_pk(connection_id), ":shop": "SHOP#"}),
        )
        return [_shop(dynamo.from_item(i)) for i in result.get("Items", [])]

    def claimed_connection(self, platform: str, store_id: str) -> str | None:
        pk, sk = keys.store_claim_key(platform, store_id)
        found = self._read({keys.PK: pk, keys.SK: sk})
        return None if found is None else str(found["connection_id"])

    def shop_claim(self, shop_id: str) -> dict[str, Any] | None:
        """The claim of a TikTok shop: ``connection_id`` and ``released`` (True once that
        connection was disconnected: another may claim the shop)."""
        pk, sk = keys.shop_claim_key(shop_id)
        item = self._read({keys.PK: pk, keys.SK: sk})
        if item is None:
            return None
        return {"connection_id": str(item["connection_id"]), "released": bool(item.get("released", False))}

    def find_by_shop(self, shop_id: str) -> str | None:
        """The one connection a TikTok shop's webhooks go to: its claim's. A shop authorized
        before claims existed has none until its connection's next authorization or check:
        then the shop index decides, only when exactly one connection lists the shop."""
        claim = self.shop_claim(shop_id)
        if claim:
            return str(claim["connection_id"])
        result = self.client.query(
            TableName=self._table, IndexName=keys.GSI_SHOP, KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues=dynamo.values({":pk": keys.shop_index_pk(shop_id)}), Limit=2,
        )
        holders = {str(dynamo.from_item(i)["connection_id"]) for i in result.get("Items", [])}
        return holders.pop() if len(holders) == 1 else None

    def find_by_store(self, platform: str, store_id: str) -> str | None:
        result = self.client.query(
            TableName=self._table, IndexName=keys.GSI_STORE, KeyConditionExpression="gsi2pk = :pk",
            ExpressionAttributeValues=dynamo.values({":pk": keys.store_index_pk(platform, store_id)}), Limit=1,
        )
        items = result.get("Items", [])
        return str(dynamo.from_item(items[0])["connection_id"]) if items else None

    def due_for_refresh(self, access_expiring_before: int) -> Iterator[str]:
        """Connection ids whose TikTok access token expires before the given time."""
        return self._expiring(keys.REFRESH_INDEX_PK, access_expiring_before)

    def _expiring(self, index_pk: str, before: int) -> Iterator[str]:
        """Connection ids queued under ``index_pk`` of the refresh index with an expiry before
        ``before`` (every page)."""
        params: dict[str, Any] = {
            "TableName": self._table, "IndexName": keys.GSI_TIKTOK_SKU,
            "KeyConditionExpression": "gsi3pk = :pk AND gsi3sk < :before",
            "ExpressionAttributeValues": dynamo.values({":pk": index_pk, ":before": f"{before:012d}#"}),
        }
        while True:
            result = self.client.query(**params)
            for item in result.get("Items", []):
                yield str(dynamo.from_item(item)["connection_id"])
            if "LastEvaluatedKey" not in result:
                return
            params["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    # ------------------------------------------------------------------ install
    def create_for_store(self, connection: Connection) -> bool:
        """Create the connection and claim its store in one transaction. False when the store is
        claimed already (a concurrent or earlier install): the caller updates that one instead."""
        claim_pk, claim_sk = keys.store_claim_key(connection.platform, connection.store_id)
        meta = _meta_item(connection)
        return self._transact_if([
            {"Put": {"TableName": self._table, "ConditionExpression": dynamo.ABSENT,
                     "Item": dynamo.to_item({keys.PK: claim_pk, keys.SK: claim_sk,
                                             "connection_id": connection.connection_id})}},
            {"Put": {"TableName": self._table, "ConditionExpression": dynamo.ABSENT,
                     "Item": dynamo.to_item(meta)}},
            *self._store_queue_ops(connection.connection_id, connection.store_access_expires_at),
        ])

    def reinstall(self, connection_id: str, store_token_ct: bytes, now: int, *,
                  store_access_expires_at: int | None = None) -> Connection:
        """The same store installed again: new store token; a disconnected connection comes back
        as pending (TikTok authorization follows)."""
        expiry = (", store_access_expires_at = :sx" if store_access_expires_at is not None
                  else " REMOVE store_access_expires_at")
        values: dict[str, Any] = {":ct": store_token_ct, ":now": now, ":p": "pending"}
        if store_access_expires_at is not None:
            values[":sx"] = store_access_expires_at
        item = self._updated_if(
            _plain_key(connection_id),
            "SET store_token_ct = :ct, updated_at = :now, #state = if_not_exists(#state, :p)" + expiry,
            dynamo.PRESENT, names={"#state": "state"}, values=values)
        if item is None:
            raise NotFound(f"connection {connection_id} does not exist")
        self._set_store_queue(connection_id, store_access_expires_at)
        connection = _connection(item)
        if connection.state == "disconnected":
            connection = self.set_state(connection_id, "pending", None, now)
        return connection

    # ------------------------------------------------------------------ expiring store tokens
    @staticmethod
    def _store_queue_item(connection_id: str, expires_at: int) -> dict[str, Any]:
        return {keys.PK: keys.conn_pk(connection_id), keys.SK: keys.STORE_REFRESH_ITEM, "connection_id": connection_id,
                "gsi3pk": keys.STORE_REFRESH_INDEX_PK, "gsi3sk": keys.refresh_index_sk(expires_at, connection_id)}

    def _store_queue_ops(self, connection_id: str, expires_at: int | None) -> list[dict[str, Any]]:
        if expires_at is None:
            return []
        return [{"Put": {"TableName": self._table,
                         "Item": dynamo.to_item(self._store_queue_item(connection_id, expires_at))}}]

    def _set_store_queue(self, connection_id: str, expires_at: int | None) -> None:
        if expires_at is None:
            self._delete(_plain_key(connection_id, keys.STORE_REFRESH_ITEM))
        else:
            self.client.put_item(TableName=self._table,
                                 Item=dynamo.to_item(self._store_queue_item(connection_id, expires_at)))

    def due_for_store_refresh(self, expiring_before: int) -> Iterator[str]:
        """Connection ids whose (expiring) store token expires before the given time."""
        return self._expiring(keys.STORE_REFRESH_INDEX_PK, expiring_before)

    def save_store_token(self, connection_id: str, *, store_token_ct: bytes, access_expires_at: int,
                         now: int) -> Connection:
        """A refreshed store token (only while the connection still holds one: a disconnect that
        raced the refresh wins)."""
        connection = self._change(
            connection_id, "SET store_token_ct = :ct, store_access_expires_at = :sx, updated_at = :now",
            {":ct": store_token_ct, ":sx": access_expires_at, ":now": now},
            condition="attribute_exists(store_token_ct)")
        self._set_store_queue(connection_id, access_expires_at)
        return connection

    def leave_store_refresh_queue(self, connection_id: str) -> None:
        self._set_store_queue(connection_id, None)

    def save_authorization(self, connection_id: str, *, tokens_ct: bytes, access_expires_at: int,
                           refresh_expires_at: int, seller_name: str | None,
                           seller_region: str | None, shops: list[ShopLink], now: int,
                           seller_id: str | None = None) -> None:
        """Tokens and authorized shops after a TikTok authorization, in one transaction with the
        shops' claims: every shop is claimed for this connection (refused with
        :class:`ShopTaken` when another connection holds it), shops no longer authorized are
        removed with their claims, and the seller must be the one the connection holds
        (:class:`SellerChanged`). Nothing is written when any of it fails."""
        current = {s.shop_id for s in self.shops(connection_id)}
        for shop in shops:
            claim = self.shop_claim(shop.shop_id)
            if claim and claim["connection_id"] != connection_id and not claim["released"]:
                raise ShopTaken(shop.shop_id, claim["connection_id"])
        items: list[dict[str, Any]] = []
        for shop in shops:
            items += self._claim_and_shop(connection_id, shop, now)
        for gone in current - {s.shop_id for s in shops}:
            items.append({"Delete": {"TableName": self._table, "Key": self._key(connection_id, keys.shop_sk(gone))}})
            if (self.shop_claim(gone) or {}).get("connection_id") == connection_id:
                pk, sk = keys.shop_claim_key(gone)
                items.append({"Delete": {
                    "TableName": self._table, "Key": dynamo.to_item({keys.PK: pk, keys.SK: sk}),
                    "ConditionExpression": "connection_id = :id",
                    "ExpressionAttributeValues": dynamo.values({":id": connection_id})}})
        condition = dynamo.PRESENT
        values: dict[str, Any] = {
            ":ct": tokens_ct, ":ae": access_expires_at, ":re": refresh_expires_at,
            ":sn": seller_name or "", ":sr": seller_region or "", ":now": now,
            ":rpk": keys.REFRESH_INDEX_PK, ":rsk": keys.refresh_index_sk(access_expires_at, connection_id)}
        expression = ("SET tiktok_tokens_ct = :ct, tiktok_access_expires_at = :ae, "
                      "tiktok_refresh_expires_at = :re, seller_name = :sn, seller_region = :sr, "
                      "updated_at = :now, gsi3pk = :rpk, gsi3sk = :rsk")
        if seller_id:
            expression += ", seller_id = :sid"
            condition += " AND (attribute_not_exists(seller_id) OR seller_id = :sid)"
            values[":sid"] = seller_id
        items.append({"Update": {"TableName": self._table, "Key": self._key(connection_id),
                                 "UpdateExpression": expression, "ConditionExpression": condition,
                                 "ExpressionAttributeValues": dynamo.values(values)}})
        if not self._transact_if(items):
            held = self.get(connection_id)
            if held is not None and seller_id and held.seller_id and held.seller_id != seller_id:
                raise SellerChanged(f"connection {connection_id} belongs to another TikTok seller")
            for shop in shops:
                claim = self.shop_claim(shop.shop_id)
                if claim and claim["connection_id"] != connection_id and not claim["released"]:
                    raise ShopTaken(shop.shop_id, claim["connection_id"])
            raise Conflict(f"connection {connection_id} changed during the authorization; retry",
                           reason="connection_conflict")

    def _claim_and_shop(self, connection_id: str, shop: ShopLink, now: int) -> list[dict[str, Any]]:
        """The two writes that attach a shop to a connection: its claim (free, released or
        already ours) and its item under the connection."""
        pk, sk = keys.shop_claim_key(shop.shop_id)
        return [
            {"Put": {"TableName": self._table,
                     "Item": dynamo.to_item({keys.PK: pk, keys.SK: sk, "connection_id": connection_id,
                                             "shop_id": shop.shop_id, "claimed_at": now}),
                     "ConditionExpression": f"{dynamo.ABSENT} OR connection_id = :id OR released = :yes",
                     "ExpressionAttributeValues": dynamo.values({":id": connection_id, ":yes": True})}},
            {"Put": {"TableName": self._table, "Item": dynamo.to_item(_shop_item(connection_id, shop))}},
        ]

    def update_shop(self, connection_id: str, shop: ShopLink, now: int) -> bool:
        """Refresh a shop of the connection (a connection check). A shop another connection holds
        is left alone: False."""
        items = self._claim_and_shop(connection_id, shop, now)
        items.append({"ConditionCheck": {"TableName": self._table, "Key": self._key(connection_id),
                                         "ConditionExpression": dynamo.PRESENT}})
        return self._transact_if(items)

    # ------------------------------------------------------------------ merchant credentials
    def set_merchant_token(self, connection_id: str, token_hash: str, expires_at: int, now: int) -> Connection:
        """A new connection token (its hash and expiry); every earlier session ends."""
        return self._change(connection_id, "SET merchant_token_hash = :h, merchant_token_expires_at = :e, "
                            "updated_at = :now ADD session_version :one",
                            {":h": token_hash, ":e": expires_at, ":now": now, ":one": 1})

    def revoke_merchant_access(self, connection_id: str, now: int) -> Connection:
        """No connection token any more, and every session ends."""
        return self._change(connection_id, "SET updated_at = :now REMOVE merchant_token_hash, "
                            "merchant_token_expires_at ADD session_version :one", {":now": now, ":one": 1})

    # ------------------------------------------------------------------ state
    def set_state(self, connection_id: str, state: ConnectionState, reason: str | None, now: int, *,
                  only_from: tuple[ConnectionState, ...] | None = None,
                  store_currency: str | None = None, store_location_id: str | None = None,
                  checked: bool = False) -> Connection:
        """Move the connection to ``state`` (only from ``only_from`` when given: a lost condition
        raises :class:`Conflict`)."""
        sets = ["#state = :state", "updated_at = :now"]
        removes: list[str] = []
        values: dict[str, Any] = {":state": state, ":now": now}
        if reason is None:
            removes.append("reason")
        else:
            sets.append("reason = :reason")
            values[":reason"] = reason
        if store_currency is not None:
            sets.append("store_currency = :cur")
            values[":cur"] = store_currency
        if store_location_id is not None:
            sets.append("store_location_id = :loc")
            values[":loc"] = store_location_id
        if checked:
            sets.append("checked_at = :now")
        condition = dynamo.PRESENT
        if only_from:
            names = [f":from{i}" for i in range(len(only_from))]
            condition += f" AND #state IN ({', '.join(names)})"
            values.update(dict(zip(names, only_from, strict=True)))
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        return self._change(connection_id, expression, values, condition=condition)

    def disconnect(self, connection_id: str, reason: str, now: int) -> None:
        """In one transaction: state ``disconnected``, every token forgotten (store, TikTok, the
        merchant's token hash), every merchant session ended, the refresh queue left, and the
        connection's shop claims released (another store may connect those shops now)."""
        owned = [s.shop_id for s in self.shops(connection_id)
                 if (self.shop_claim(s.shop_id) or {}).get("connection_id") == connection_id]
        items: list[dict[str, Any]] = [{"Update": {
            "TableName": self._table, "Key": self._key(connection_id),
            "UpdateExpression": ("SET #state = :state, reason = :reason, updated_at = :now ADD session_version :one "
                                 "REMOVE store_token_ct, tiktok_tokens_ct, gsi3pk, gsi3sk, merchant_token_hash, "
                                 "merchant_token_expires_at, store_access_expires_at"),
            "ConditionExpression": dynamo.PRESENT, "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": dynamo.values({":state": "disconnected", ":reason": reason, ":now": now,
                                                        ":one": 1})}}]
        items.append({"Delete": {"TableName": self._table, "Key": self._key(connection_id, keys.STORE_REFRESH_ITEM)}})
        for shop_id in owned:
            pk, sk = keys.shop_claim_key(shop_id)
            items.append({"Update": {
                "TableName": self._table, "Key": dynamo.to_item({keys.PK: pk, keys.SK: sk}),
                "UpdateExpression": "SET released = :yes", "ConditionExpression": "connection_id = :id",
                "ExpressionAttributeValues": dynamo.values({":yes": True, ":id": connection_id})}})
        if not self._transact_if(items):
            raise Conflict(f"connection {connection_id} changed or does not exist", reason="connection_conflict")

    def purge(self, connection_id: str) -> int:
        """Delete every item of the connection, its store claim and its shops' claims. Returns how many."""
        connection = self.get(connection_id)
        shop_ids = [s.shop_id for s in self.shops(connection_id)]
        deleted = 0
        params: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :pk", "ProjectionExpression": "pk, sk",
            "ExpressionAttributeValues": dynamo.values({":pk": keys.conn_pk(connection_id)}),
        }
        while True:
            result = self.client.query(**params)
            for item in result.get("Items", []):
                self.client.delete_item(TableName=self._table, Key={"pk": item["pk"], "sk": item["sk"]})
                deleted += 1
            if "LastEvaluatedKey" not in result:
                break
            params["ExclusiveStartKey"] = result["LastEvaluatedKey"]
        for shop_id in shop_ids:
            pk, sk = keys.shop_claim_key(shop_id)
            if self._delete_if({keys.PK: pk, keys.SK: sk}, "connection_id = :id", values={":id": connection_id}):
                deleted += 1
        if connection is not None:
            pk, sk = keys.store_claim_key(connection.platform, connection.store_id)
            self.client.delete_item(
                TableName=self._table, Key=dynamo.to_item({keys.PK: pk, keys.SK: sk}),
                ConditionExpression=f"{dynamo.ABSENT} OR connection_id = :id",
                ExpressionAttributeValues=dynamo.values({":id": connection_id}))
            deleted += 1
        return deleted

    # ------------------------------------------------------------------ token refresh
    def acquire_refresh_lock(self, connection_id: str, owner: str, now: int, ttl_s: int) -> bool:
        """One refresher per connection: a conditional put of the lock item; an expired lock
        (its holder died) can be taken over."""
        return self._put_if(
            {keys.PK: keys.conn_pk(connection_id), keys.SK: keys.refresh_lock_sk(),
             "owner": owner, "until": now + ttl_s, keys.TTL_ATTRIBUTE: now + ttl_s + 3600},
            f"{dynamo.ABSENT} OR #until < :now", names={"#until": "until"}, values={":now": now})

    def release_refresh_lock(self, connection_id: str, owner: str) -> None:
        self._delete_if(_plain_key(connection_id, keys.refresh_lock_sk()), "#owner = :owner",
                        names={"#owner": "owner"}, values={":owner": owner})

    def save_refreshed_tokens(self, connection_id: str, *, tokens_ct: bytes, access_expires_at: int,
                              refresh_expires_at: int, now: int) -> None:
        """Store a refreshed token set (only while the connection still holds TikTok tokens: a
        disconnect that raced the refresh wins)."""
        self._change(
            connection_id,
            ("SET tiktok_tokens_ct = :ct, tiktok_access_expires_at = :ae, tiktok_refresh_expires_at = :re, "
             "updated_at = :now, gsi3pk = :rpk, gsi3sk = :rsk"),
            {":ct": tokens_ct, ":ae": access_expires_at, ":re": refresh_expires_at, ":now": now,
             ":rpk": keys.REFRESH_INDEX_PK, ":rsk": keys.refresh_index_sk(access_expires_at, connection_id)},
            condition="attribute_exists(tiktok_tokens_ct)",
        )

    def leave_refresh_queue(self, connection_id: str, now: int) -> None:
        self._change(connection_id, "SET updated_at = :now REMOVE gsi3pk, gsi3sk", {":now": now})

    # ------------------------------------------------------------------ helpers
    def _change(self, connection_id: str, expression: str, values: dict[str, Any],
                condition: str = dynamo.PRESENT) -> Connection:
        names = {"#state": "state"} if "#state" in expression or "#state" in condition else None
        item = self._updated_if(_plain_key(connection_id), expression, condition, names=names, values=values)
        if item is None:
            raise Conflict(f"connection {connection_id} changed or does not exist", reason="connection_conflict")
        return _connection(item)


def _plain_key(connection_id: str, sk: str = keys.META) -> dict[str, Any]:
    return {keys.PK: keys.conn_pk(connection_id), keys.SK: sk}


def _meta_item(connection: Connection) -> dict[str, Any]:
    item = {k: v for k, v in connection.model_dump().items() if v is not None}
    item.update({
        keys.PK: keys.conn_pk(connection.connection_id), keys.SK: keys.META,
        "gsi2pk": keys.store_index_pk(connection.platform, connection.store_id),
        "gsi2sk": keys.conn_pk(connection.connection_id),
    })
    return item


def _connection(item: dict[str, Any]) -> Connection:
    values = {k: v for k, v in item.items() if k in _CONNECTION_FIELDS}
    for name in ("store_token_ct", "tiktok_tokens_ct"):
        if name in values:
            values[name] = bytes(values[name])
    for name in ("created_at", "updated_at", "tiktok_access_expires_at", "tiktok_refresh_expires_at", "checked_at",
                 "merchant_token_expires_at", "session_version", "store_access_expires_at"):
        if name in values:
            values[name] = int(values[name])
    return Connection.model_validate(values)


def _shop_item(connection_id: str, shop: ShopLink) -> dict[str, Any]:
    item = shop.model_dump(exclude_none=True)
    item["warehouses"] = [w.model_dump(exclude_none=True) for w in shop.warehouses]
    item.update({
        keys.PK: keys.conn_pk(connection_id), keys.SK: keys.shop_sk(shop.shop_id), "connection_id": connection_id,
        "gsi1pk": keys.shop_index_pk(shop.shop_id), "gsi1sk": keys.conn_pk(connection_id),
    })
    return item


def _shop(item: dict[str, Any]) -> ShopLink:
    return ShopLink(
        shop_id=str(item["shop_id"]), cipher=str(item["cipher"]), name=item.get("name"), region=item.get("region"),
        currency=item.get("currency"), default_warehouse_id=item.get("default_warehouse_id"),
        warehouses=tuple(WarehouseInfo.model_validate(w) for w in item.get("warehouses", [])),
    )
