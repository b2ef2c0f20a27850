"""The order record: one ``CONN#<id>`` / ``ORDER#<tiktok_order_id>`` item per TikTok order seen.

This is the contract other features build on:

- the merchant API lists orders by state (:meth:`OrderRepository.list_by_state`, paged) and
  builds the overview (revenue, top products, top customers) from :class:`OrderRecord`;
- the stock sync subtracts ``pending_units`` (variant_key -> units of paid TikTok orders not yet
  in the store, invariant 2) from the quantities it sends to TikTok
  (:meth:`OrderRepository.pending_units`).

Money is ``Decimal``, stored as strings; TikTok ids are strings. The record holds no buyer
details at all: ``buyer_ref`` is a keyed hash of TikTok's buyer user id, stable per connection,
good for "top customers" and useless for identifying anyone.

Index: the record carries ``gsi1pk = ORDERSTATE#<connection>#<state>`` and
``gsi1sk = <updated_at:012d>#<tiktok_order_id>`` (the shop index ``gsi1`` overloaded, see
:mod:`connector.keys`), so "orders in state X" is one query, newest last.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

OrderState = Literal[
    "waiting_hold",  # paid but on hold (TikTok's cancellation window); relayed when it ends
    "claimed",  # a relay owns it and is creating the store order
    "created",  # the store order exists and is recorded (awaiting shipment)
    "blocked",  # cannot be created (reason); retried automatically, then by hand
    "shipped",  # shipped with tracking (TikTok: awaiting collection)
    "in_transit",
    "delivered",
    "completed",
    "cancelled",
    "refunded",
    "skipped",  # never relayed by setting (FBT with relay_fbt off); reason says why
]
ORDER_STATES: tuple[str, ...] = get_args(OrderState)
#: States in which the store order does not exist yet (a relay may still create it).
UNRELAYED_STATES = frozenset({"waiting_hold", "claimed", "blocked"})
#: States from which a relay may (re)claim the order.
CLAIMABLE_STATES = ("waiting_hold", "blocked")
MAX_PAGE_SIZE = 100


class OrderLineSummary(BaseModel):
    """One line per TikTok SKU (TikTok lists one line per unit; these are summed)."""

    model_config = ConfigDict(frozen=True)

    tiktok_sku_id: str
    tiktok_product_id: str | None = None
    variant_key: str | None = None
    """The store variant (``None`` while the SKU has no link)."""
    store_product_id: str | None = None
    seller_sku: str | None = None
    name: str = ""
    quantity: int = Field(gt=0)
    unit_price: Decimal
    """The unit price used on the store order (paid or settlement, per setting)."""


class OrderRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection_id: str
    tiktok_order_id: str
    shop_id: str
    state: OrderState
    reason: str | None = None
    """Plain words: why blocked / skipped / why a store cancellation could not reach TikTok."""
    attempts: int = 0
    """Relay attempts that ended blocked (automatic and by hand)."""
    tiktok_status: str | None = None
    """TikTok's last seen status (UNPAID, ON_HOLD, AWAITING_SHIPMENT, ...)."""
    tiktok_update_time: int | None = None
    store_order_id: str | None = None
    currency: str | None = None
    subtotal: Decimal | None = None
    shipping: Decimal | None = None
    tax: Decimal | None = None
    discount: Decimal | None = None
    total: Decimal | None = None
    lines: tuple[OrderLineSummary, ...] = ()
    buyer_ref: str | None = None
    """A keyed hash of TikTok's buyer id: groups a buyer's orders, identifies nobody."""
    fulfillment_type: str | None = None
    package_ids: tuple[str, ...] = ()
    tracking_number: str | None = None
    shipping_provider_id: str | None = None
    pending_units: dict[str, int] = Field(default_factory=dict)
    """variant_key -> units paid on TikTok and not yet in the store (invariant 2)."""
    claim_token: str | None = None
    claim_expires_at: int | None = None
    blocked_by: str | None = None
    """The relay (execution) that owns a blocked order's automatic retries."""
    created_at: int
    """When TikTok created the order (epoch seconds)."""
    paid_at: int | None = None
    relayed_at: int | None = None
    """When the store order was recorded."""
    updated_at: int

    @field_validator("tiktok_order_id", "shop_id", mode="before")
    @classmethod
    def _ids_are_strings(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def buyer_ref(connection_id: str, tiktok_user_id: str | None) -> str | None:
    """A non-identifying, per-connection stable buyer reference (for "top customers")."""
    if not tiktok_user_id:
        return None
    digest = hashlib.sha256(f"buyer:{connection_id}:{tiktok_user_id}".encode()).hexdigest()
    return f"b_{digest[:16]}"


# ------------------------------------------------------------------------- (de)serialization
_MONEY = ("subtotal", "shipping", "tax", "discount", "total")


def to_attributes(record: OrderRecord) -> dict[str, Any]:
    """The record as plain item attributes (money as strings, never float)."""
    data = record.model_dump(exclude_none=True, mode="json")  # Decimal -> str
    if not data.get("pending_units"):
        data.pop("pending_units", None)
    if not data.get("package_ids"):
        data.pop("package_ids", None)
    data["lines"] = [dict(line) for line in data.get("lines", [])]
    return data


def from_attributes(item: Mapping[str, Any]) -> OrderRecord:
    fields = OrderRecord.model_fields
    data = {k: v for k, v in item.items() if k in fields}
    for name in ("attempts", "tiktok_update_time", "claim_expires_at", "created_at", "paid_at", "relayed_at",
                 "updated_at"):
        if isinstance(data.get(name), Decimal):
            data[name] = int(data[name])
    if "pending_units" in data:
        data["pending_units"] = {str(k): int(v) for k, v in data["pending_units"].items()}
    if "lines" in data:
        data["lines"] = [{**line, "quantity": int(line["quantity"])} for line in data["lines"]]
    return OrderRecord.model_validate(data)


def encode_page_token(last_key: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode().rstrip("=")


#: The attributes of a state-index page's last key (the table's key and the index's key).
_PAGE_KEY_NAMES = frozenset({"pk", "sk", "gsi1pk", "gsi1sk"})


def decode_page_token(token: str) -> dict[str, Any]:
    """The start key a page token stands for: exactly the table's and the index's key attributes,
    each a string of at most 1,024 characters (400 for anything else)."""
    from connector.errors import BadRequest

    refused = BadRequest("the page token is not one this API gave out", reason="bad_page_token")
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError):
        raise refused from None
    if not isinstance(value, dict) or set(value) != _PAGE_KEY_NAMES:
        raise refused
    for attribute in value.values():
        if not (isinstance(attribute, dict) and set(attribute) == {"S"} and isinstance(attribute["S"], str)
                and 0 < len(attribute["S"]) <= 1024):
            raise refused
    return value


class ClaimLost(Exception):
    """Another relay owns the order, or it is relayed already (the caller does nothing)."""


class OrderRepository:
    """The ``ORDER#`` items of a connection. Every write is conditional where two workers race."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table = table_name
        self._client = client

    @property
    def client(self) -> Any:
        from connector import aws

        return self._client or aws.client("dynamodb")

    @staticmethod
    def _key(connection_id: str, tiktok_order_id: str) -> dict[str, Any]:
        from connector import dynamo, keys

        return dynamo.to_item({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.order_sk(tiktok_order_id)})

    @staticmethod
    def _index(connection_id: str, state: str, updated_at: int, tiktok_order_id: str) -> dict[str, str]:
        from connector import keys

        return {"gsi1pk": keys.order_state_index_pk(connection_id, state),
                "gsi1sk": keys.order_state_index_sk(updated_at, tiktok_order_id)}

    # ------------------------------------------------------------------------------- reads
    def get(self, connection_id: str, tiktok_order_id: str) -> OrderRecord | None:
        from connector import dynamo

        got = self.client.get_item(TableName=self._table, Key=self._key(connection_id, tiktok_order_id),
                                   ConsistentRead=True)
        return from_attributes(dynamo.from_item(got["Item"])) if "Item" in got else None

    def list_by_state(self, connection_id: str, state: str, *, limit: int = 50, page_token: str | None = None,
                      newest_first: bool = True) -> tuple[list[OrderRecord], str | None]:
        """One page of the connection's orders in ``state`` and the token of the next page
        (``None`` at the end). Ordered by last update."""
        from connector import dynamo, keys
        from connector.errors import BadRequest

        if state not in ORDER_STATES:
            raise BadRequest(f"unknown order state {state!r}", reason="bad_state")
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": keys.GSI_SHOP,
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": dynamo.values({":p": keys.order_state_index_pk(connection_id, state)}),
            "ScanIndexForward": not newest_first, "Limit": max(1, min(limit, MAX_PAGE_SIZE))}
        if page_token:
            start = decode_page_token(page_token)
            if (start["gsi1pk"]["S"] != keys.order_state_index_pk(connection_id, state)
                    or start["pk"]["S"] != keys.conn_pk(connection_id)):
                raise BadRequest("the page token belongs to another listing", reason="bad_page_token")
            kwargs["ExclusiveStartKey"] = start
        page = self.client.query(**kwargs)
        records = [from_attributes(dynamo.from_item(item)) for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return records, (encode_page_token(last) if last else None)

    def all(self, connection_id: str) -> Iterator[OrderRecord]:
        """Every order record of a connection (overview over a period: filter by ``created_at``)."""
        from connector import dynamo, keys

        for item in dynamo.query_prefix(self.client, self._table, keys.conn_pk(connection_id), "ORDER#"):
            yield from_attributes(dynamo.from_item(item))

    def pending_units(self, connection_id: str) -> dict[str, int]:
        """variant_key -> units paid on TikTok but not in the store yet, over every order of the
        connection not relayed yet (for the stock sync, invariant 2)."""
        totals: dict[str, int] = {}
        for state in sorted(UNRELAYED_STATES):
            token: str | None = None
            while True:
                records, token = self.list_by_state(connection_id, state, limit=MAX_PAGE_SIZE, page_token=token)
                for record in records:
                    for variant, units in record.pending_units.items():
                        totals[variant] = totals.get(variant, 0) + units
                if token is None:
                    break
        return totals

    # ------------------------------------------------------------------------------ writes
    def put_new(self, record: OrderRecord) -> bool:
        """Record an order seen for the first time; False when it is known already."""
        from connector import dynamo, keys

        item = {keys.PK: keys.conn_pk(record.connection_id), keys.SK: keys.order_sk(record.tiktok_order_id),
                **self._index(record.connection_id, record.state, record.updated_at, record.tiktok_order_id),
                **to_attributes(record)}
        try:
            self.client.put_item(TableName=self._table, Item=dynamo.to_item(item),
                                 ConditionExpression="attribute_not_exists(pk)")
        except Exception as exc:
            if dynamo.is_condition_failure(exc):
                return False
            raise
        return True

    def claim(self, record: OrderRecord, token: str, now: int, lease_s: int) -> OrderRecord:
        """Claim the order for one relay (conditional write): created when unknown, or taken over
        from ``waiting_hold`` / ``blocked`` / a ``claimed`` lease that expired (a crashed relay).
        Raises :class:`ClaimLost` when another relay owns it or it is relayed already.

        ``record`` carries what the relay read from TikTok (lines, totals, pending units)."""
        from connector import dynamo

        claimed = record.model_copy(update={"state": "claimed", "claim_token": token,
                                            "claim_expires_at": now + lease_s, "updated_at": now, "reason": None})
        if record.attempts == 0 and self.put_new(claimed):
            # A first sight: one conditional put (an update that creates the item is not atomic for
            # readers on every engine: moto shows a key-only item for a moment).
            return claimed
        attributes = {**self._index(record.connection_id, "claimed", now, record.tiktok_order_id),
                      **to_attributes(claimed)}
        attributes.pop("attempts", None)  # kept across claims (added to when blocked)
        names = {"#s": "state"}
        values: dict[str, Any] = {":w": "waiting_hold", ":b": "blocked", ":c": "claimed", ":n": now, ":t": token,
                                  ":zero": 0}
        parts = ["attempts = if_not_exists(attempts, :zero)"]
        for i, (name, value) in enumerate(attributes.items()):
            names[f"#a{i}"] = name
            values[f":a{i}"] = value
            parts.append(f"#a{i} = :a{i}")
        removes = [name for name in ("reason", "pending_units") if name not in attributes]
        expression = "SET " + ", ".join(parts) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self.client.update_item(
                TableName=self._table, Key=self._key(record.connection_id, record.tiktok_order_id),
                UpdateExpression=expression,
                ConditionExpression=("attribute_not_exists(pk) OR #s IN (:w, :b) OR "
                                     "(#s = :c AND (claim_expires_at < :n OR claim_token = :t))"),
                ExpressionAttributeNames=names, ExpressionAttributeValues=dynamo.values(values))
        except Exception as exc:
            if dynamo.is_condition_failure(exc):
                raise ClaimLost(record.tiktok_order_id) from None
            raise
        return claimed

    def record_created(self, connection_id: str, tiktok_order_id: str, token: str, store_order_id: str,
                       now: int) -> bool:
        """The store order exists: record it and REMOVE ``pending_units`` in the same write.
        False when the claim was lost meanwhile (the order is recorded by someone else)."""
        return self._transition(connection_id, tiktok_order_id, "created", now,
                                sets={"store_order_id": store_order_id, "relayed_at": now},
                                removes=("pending_units", "claim_token", "claim_expires_at", "reason", "blocked_by"),
                                condition="#s = :c AND claim_token = :t",
                                values={":c": "claimed", ":t": token})

    def record_blocked(self, connection_id: str, tiktok_order_id: str, token: str, reason: str, now: int, *,
                       give_up: bool) -> bool:
        """Blocked with a reason (``attempts`` + 1). ``give_up`` also drops ``pending_units``
        (no more automatic retries: stock on TikTok stops being held back for it)."""
        removes = ("claim_token", "claim_expires_at") + (("pending_units",) if give_up else ())
        return self._transition(connection_id, tiktok_order_id, "blocked", now,
                                sets={"reason": reason, "blocked_by": token},
                                removes=removes, add_attempt=True, condition="#s = :c AND claim_token = :t",
                                values={":c": "claimed", ":t": token})

    def release(self, connection_id: str, tiktok_order_id: str, token: str, state: str, now: int,
                reason: str | None = None) -> bool:
        """Give a claim back without relaying (e.g. TikTok says the order is on hold again or
        was cancelled meanwhile)."""
        removes: tuple[str, ...] = ("claim_token", "claim_expires_at")
        if state in ("cancelled", "skipped"):
            removes += ("pending_units",)
        return self._transition(connection_id, tiktok_order_id, state, now,
                                sets={"reason": reason} if reason else {}, removes=removes,
                                condition="#s = :c AND claim_token = :t", values={":c": "claimed", ":t": token})

    def set_state(self, connection_id: str, tiktok_order_id: str, state: str, now: int, *,
                  only_from: tuple[str, ...] | None = None, sets: Mapping[str, Any] | None = None,
                  removes: tuple[str, ...] = ()) -> bool:
        """Move a known order to ``state`` (fulfilment / cancellation / refund), optionally only
        from some states. False when the order is unknown or in another state."""
        condition = "attribute_exists(pk)"
        values: dict[str, Any] = {}
        if only_from:
            names = [f":f{i}" for i in range(len(only_from))]
            condition += f" AND #s IN ({', '.join(names)})"
            values.update(dict(zip(names, only_from, strict=True)))
        if state in ("cancelled", "skipped"):
            removes = tuple(dict.fromkeys((*removes, "pending_units", "claim_token", "claim_expires_at")))
        return self._transition(connection_id, tiktok_order_id, state, now, sets=dict(sets or {}), removes=removes,
                                condition=condition, values=values)

    def update_fields(self, connection_id: str, tiktok_order_id: str, now: int, sets: Mapping[str, Any]) -> None:
        """Set plain fields (tracking, TikTok status) without changing the state."""
        from connector import dynamo

        parts = ["updated_at = :now"]
        names: dict[str, str] = {}
        values: dict[str, Any] = {":now": now}
        for i, (name, value) in enumerate(sets.items()):
            names[f"#f{i}"] = name
            values[f":v{i}"] = _plain(value)
            parts.append(f"#f{i} = :v{i}")
        kwargs: dict[str, Any] = {"ExpressionAttributeNames": names} if names else {}
        self.client.update_item(TableName=self._table, Key=self._key(connection_id, tiktok_order_id),
                                UpdateExpression="SET " + ", ".join(parts), ConditionExpression="attribute_exists(pk)",
                                ExpressionAttributeValues=dynamo.values(values), **kwargs)

    def _transition(self, connection_id: str, tiktok_order_id: str, state: str, now: int, *,
                    sets: Mapping[str, Any], removes: tuple[str, ...], condition: str, values: Mapping[str, Any],
                    add_attempt: bool = False) -> bool:
        from connector import dynamo, keys

        names = {"#s": "state"}
        all_values: dict[str, Any] = {":state": state, ":now": now, **values,
                                      ":gpk": keys.order_state_index_pk(connection_id, state),
                                      ":gsk": keys.order_state_index_sk(now, tiktok_order_id)}
        parts = ["#s = :state", "updated_at = :now", "gsi1pk = :gpk", "gsi1sk = :gsk"]
        for i, (name, value) in enumerate(sets.items()):
            names[f"#f{i}"] = name
            all_values[f":v{i}"] = _plain(value)
            parts.append(f"#f{i} = :v{i}")
        expression = "SET " + ", ".join(parts)
        if add_attempt:
            expression += " ADD attempts :one"
            all_values[":one"] = 1
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        try:
            self.client.update_item(TableName=self._table, Key=self._key(connection_id, tiktok_order_id),
                                    UpdateExpression=expression, ConditionExpression=condition,
                                    ExpressionAttributeNames=names, ExpressionAttributeValues=dynamo.values(all_values))
        except Exception as exc:
            if dynamo.is_condition_failure(exc):
                return False
            raise
        return True


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, tuple):
        return list(value)
    return value
