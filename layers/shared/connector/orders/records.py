"""The order record: one ``CONN#<id>`` / ``ORDER#<tiktok_order_id>`` item per TikTok order seen.

This is the contract other features build on:

- the merchant API lists orders by state (:meth:`OrderRepository.list_by_state`, paged) and
  builds the overview (revenue, top products, top customers) from :class:`OrderRecord`;
- the stock sync subtracts ``pending_units`` (variant_key -> units of paid TikTok orders not yet
  in the store: the store is the source of truth for stock) from the quantities it sends to TikTok
  (:meth:`OrderRepository.pending_units`, or :class:`connector.pending.PendingUnits` for
  some variants). Every write that sets or removes a record's ``pending_units`` writes the
  compact per-variant items of :mod:`connector.pending` in the same transaction.

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

from connector import pending

OrderState = Literal[
    "waiting_hold",  # paid but on hold (TikTok's cancellation window); relayed when it ends
    "claimed",  # a relay owns it and is creating the store order
    "retrying",  # the store or TikTok failed for a while: tried again at next_try_at (deadline_at)
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
UNRELAYED_STATES = frozenset({"waiting_hold", "claimed", "retrying", "blocked"})
#: States a relay still has to move on; each record in one carries ``deadline_at`` (but a blocked
#: order whose automatic retries ended: it waits for the merchant's retry).
OPEN_STATES = ("claimed", "retrying", "waiting_hold", "blocked")
#: States from which a relay may (re)claim the order.
CLAIMABLE_STATES = ("waiting_hold", "blocked")
MAX_PAGE_SIZE = 100
BLOCKED_RECHECK_S = 3600
"""A blocked order still retried automatically is looked at by the sweeper after this long (its
relay's own retries come every ``OrderBlockedRetrySeconds``, 10 minutes by default)."""
HOLD_RECHECK_S = 3600
"""A ``waiting_hold`` order is read again from TikTok after this long (the hold ends with a
webhook; this is the way out when that webhook is lost)."""
#: The fields of a store order creation whose outcome is not known yet.
INTENT_FIELDS = ("store_intent", "store_intent_at", "settle_from", "settle_misses")
#: The fields of a relay retried after transient failures.
RETRY_FIELDS = ("retry_attempts", "retry_since", "retry_owner", "last_error")


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
    """variant_key -> units paid on TikTok and not yet in the store."""
    claim_token: str | None = None
    claim_expires_at: int | None = None
    blocked_by: str | None = None
    """The relay (execution) that owns a blocked order's automatic retries."""
    store_intent: str | None = None
    """Set (a fresh id) before every POST that creates the store order, removed when the store
    order is recorded: while set, the store may hold the order although we did not see it."""
    store_intent_at: int | None = None
    settle_from: int | None = None
    """When the last create failed ambiguously (timeout, 5xx, lost connection): the settle
    window, in which the store is searched before any new POST, runs from here."""
    settle_misses: int | None = None
    """Searches since the intent that did not find the store order."""
    deadline_at: int | None = None
    """When the relay must have moved this record on: the claim's lease, the next try of a
    ``retrying`` order, the next look at a ``waiting_hold`` or ``blocked`` one. The sweeper
    resumes any open record past it, whatever TikTok's update time says."""
    retry_attempts: int | None = None
    """Tries that failed on a transient store or TikTok error since ``retry_since``."""
    retry_since: int | None = None
    retry_owner: str | None = None
    """The relay that parked it ``retrying`` (it may come back before the deadline)."""
    last_error: str | None = None
    """The last transient error's kind (a code, never a payload)."""
    verify_after: int | None = None
    """Set when the store order came from a second POST: search for a twin again from then."""
    verify_checks: int | None = None
    duplicate_store_orders: tuple[str, ...] = ()
    """Store orders found carrying this TikTok order besides ``store_order_id``, cancelled in the
    store by the duplicate detector."""
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
    for name in ("package_ids", "duplicate_store_orders"):
        if not data.get(name):
            data.pop(name, None)
    data["lines"] = [dict(line) for line in data.get("lines", [])]
    return data


def from_attributes(item: Mapping[str, Any]) -> OrderRecord:
    fields = OrderRecord.model_fields
    data = {k: v for k, v in item.items() if k in fields}
    for name in ("attempts", "tiktok_update_time", "claim_expires_at", "created_at", "paid_at", "relayed_at",
                 "updated_at", "store_intent_at", "settle_from", "settle_misses", "verify_after", "verify_checks",
                 "deadline_at", "retry_attempts", "retry_since"):
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


def _condition_failed(exc: BaseException) -> bool:
    """A conditional write refused (alone, or as the condition of a transaction); a transaction
    cancelled for another reason (a conflict) is not one and is raised."""
    from connector import dynamo

    if not dynamo.is_condition_failure(exc):
        return False
    reasons = (getattr(exc, "response", {}) or {}).get("CancellationReasons") or []
    return not reasons or any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)


def deadline_of(record: OrderRecord) -> int | None:
    """When an open record must have moved on (a record written before deadlines existed: its
    claim's lease)."""
    if record.deadline_at is not None:
        return record.deadline_at
    return record.claim_expires_at if record.state == "claimed" else None


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
        connection not relayed yet (for the stock sync): read from the compact
        per-variant items (:mod:`connector.pending`), not from the order records."""
        from connector.pending import PendingUnits

        return PendingUnits(self._table, self.client).all(connection_id)

    # ------------------------------------------------------------------------------ writes
    def put_new(self, record: OrderRecord) -> bool:
        """Record an order seen for the first time; False when it is known already."""
        from connector import dynamo, keys

        item = {keys.PK: keys.conn_pk(record.connection_id), keys.SK: keys.order_sk(record.tiktok_order_id),
                **self._index(record.connection_id, record.state, record.updated_at, record.tiktok_order_id),
                **to_attributes(record)}
        put = {"TableName": self._table, "Item": dynamo.to_item(item),
               "ConditionExpression": "attribute_not_exists(pk)"}
        holds = pending.hold_ops(self._table, record.connection_id, record.tiktok_order_id, record.pending_units,
                                 record.updated_at)
        try:
            if holds:  # the record and its pending units in one transaction
                self.client.transact_write_items(TransactItems=[{"Put": put}, *holds])
            else:
                self.client.put_item(**put)
        except Exception as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def claim(self, record: OrderRecord, token: str, now: int, lease_s: int, *,
              take_over: bool = False, previous_units: Mapping[str, int] | None = None) -> OrderRecord:
        """Claim the order for one relay (conditional write): created when unknown, or taken over
        from ``waiting_hold`` / ``blocked`` / a ``claimed`` lease that expired (a crashed relay).
        Raises :class:`ClaimLost` when another relay owns it or it is relayed already.

        ``record`` carries what the relay read from TikTok (lines, totals, pending units).
        ``take_over`` (the merchant's retry) may also take a ``retrying`` order before its next try.
        ``previous_units``: the pending units the record held (released where no longer held)."""
        from connector import dynamo

        claimed = record.model_copy(update={"state": "claimed", "claim_token": token, "deadline_at": now + lease_s,
                                            "claim_expires_at": now + lease_s, "updated_at": now, "reason": None})
        if record.attempts == 0 and self.put_new(claimed):
            # A first sight: one conditional put (an update that creates the item is not atomic for
            # readers on every engine: moto shows a key-only item for a moment).
            return claimed
        attributes = {**self._index(record.connection_id, "claimed", now, record.tiktok_order_id),
                      **to_attributes(claimed)}
        attributes.pop("attempts", None)  # kept across claims (added to when blocked)
        for name in (*INTENT_FIELDS, *RETRY_FIELDS, "duplicate_store_orders"):  # a create in doubt (and the
            attributes.pop(name, None)  # retries since the first failure) outlive the claim
        names = {"#s": "state"}
        values: dict[str, Any] = {":w": "waiting_hold", ":b": "blocked", ":c": "claimed", ":n": now, ":t": token,
                                  ":zero": 0, ":r": "retrying"}
        parts = ["attempts = if_not_exists(attempts, :zero)"]
        for i, (name, value) in enumerate(attributes.items()):
            names[f"#a{i}"] = name
            values[f":a{i}"] = value
            parts.append(f"#a{i} = :a{i}")
        removes = [name for name in ("reason", "pending_units") if name not in attributes]
        expression = "SET " + ", ".join(parts) + (" REMOVE " + ", ".join(removes) if removes else "")
        update = {
            "TableName": self._table, "Key": self._key(record.connection_id, record.tiktok_order_id),
            "UpdateExpression": expression,
            "ConditionExpression": ("attribute_not_exists(pk) OR #s IN (:w, :b) OR "
                                    "(#s = :c AND (claim_expires_at < :n OR claim_token = :t)) OR "
                                    "(#s = :r AND (deadline_at <= :n OR retry_owner = :t" +
                                    (" OR :n = :n))" if take_over else "))")),
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": dynamo.values(values)}
        changes = pending.change_ops(self._table, record.connection_id, record.tiktok_order_id,
                                     previous_units or {}, claimed.pending_units, now)
        try:
            if changes:
                self.client.transact_write_items(TransactItems=[{"Update": update}, *changes])
            else:
                self.client.update_item(**update)
        except Exception as exc:
            if _condition_failed(exc):
                raise ClaimLost(record.tiktok_order_id) from None
            raise
        stored = self.get(record.connection_id, record.tiktok_order_id)
        if stored is None:
            raise ClaimLost(record.tiktok_order_id)
        return stored

    def record_created(self, connection_id: str, tiktok_order_id: str, token: str, store_order_id: str,
                       now: int, *, verify_after: int | None = None) -> bool:
        """The store order exists: record it and REMOVE ``pending_units`` in the same write.
        False when the claim was lost meanwhile (the order is recorded by someone else).
        ``verify_after``: it came from a second POST; search for a twin from then."""
        verify = {"verify_after": verify_after, "verify_checks": 0} if verify_after is not None else {}
        return self._transition(connection_id, tiktok_order_id, "created", now,
                                sets={"store_order_id": store_order_id, "relayed_at": now, **verify},
                                removes=("pending_units", "claim_token", "claim_expires_at", "reason", "blocked_by",
                                         *INTENT_FIELDS, *RETRY_FIELDS),
                                condition="#s = :c AND claim_token = :t",
                                values={":c": "claimed", ":t": token})

    def record_blocked(self, connection_id: str, tiktok_order_id: str, token: str, reason: str, now: int, *,
                       give_up: bool) -> bool:
        """Blocked with a reason (``attempts`` + 1). ``give_up`` also drops ``pending_units``
        (no more automatic retries: stock on TikTok stops being held back for it)."""
        removes = ("claim_token", "claim_expires_at", *RETRY_FIELDS) + (
            ("pending_units", "deadline_at") if give_up else ())
        deadline = {} if give_up else {"deadline_at": now + BLOCKED_RECHECK_S}
        return self._transition(connection_id, tiktok_order_id, "blocked", now,
                                sets={"reason": reason, "blocked_by": token, **deadline},
                                removes=removes, add_attempt=True, condition="#s = :c AND claim_token = :t",
                                values={":c": "claimed", ":t": token})

    def record_retrying(self, connection_id: str, tiktok_order_id: str, token: str, now: int, next_try_at: int,
                        error: str) -> OrderRecord | None:
        """Park the order ``retrying`` after a transient failure of the relay holding the claim
        (or of a relay of an order already ``retrying``): ``retry_attempts`` + 1, ``retry_since``
        kept from the first failure, tried again at ``next_try_at``. ``None`` when another relay
        owns it or it moved on."""
        from connector import dynamo, keys

        values = dynamo.values({
            ":state": "retrying", ":c": "claimed", ":t": token, ":now": now, ":next": next_try_at, ":e": error,
            ":one": 1, ":gpk": keys.order_state_index_pk(connection_id, "retrying"),
            ":gsk": keys.order_state_index_sk(now, tiktok_order_id)})
        try:
            got = self.client.update_item(
                TableName=self._table, Key=self._key(connection_id, tiktok_order_id),
                UpdateExpression=("SET #s = :state, updated_at = :now, gsi1pk = :gpk, gsi1sk = :gsk, "
                                  "deadline_at = :next, retry_owner = :t, last_error = :e, "
                                  "retry_since = if_not_exists(retry_since, :now) ADD retry_attempts :one "
                                  "REMOVE claim_token, claim_expires_at"),
                ConditionExpression="(#s = :c AND claim_token = :t) OR #s = :state",
                ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
        except Exception as exc:
            if dynamo.is_condition_failure(exc):
                return None
            raise
        return from_attributes(dynamo.from_item(got["Attributes"]))

    def due(self, connection_id: str, now: int, *, limit: int = 500) -> list[OrderRecord]:
        """Open records past their deadline, oldest order first (the sweeper's work list)."""
        found: list[OrderRecord] = []
        for state in OPEN_STATES:
            token: str | None = None
            while True:
                records, token = self.list_by_state(connection_id, state, limit=MAX_PAGE_SIZE, page_token=token,
                                                    newest_first=False)
                found += [r for r in records if (deadline := deadline_of(r)) is not None and deadline <= now]
                if token is None:
                    break
        found.sort(key=lambda r: (r.created_at, r.tiktok_order_id))
        return found[:limit]

    # --------------------------------------------------------- a create whose outcome is unknown
    def record_intent(self, connection_id: str, tiktok_order_id: str, token: str, intent: str, now: int, *,
                      replaces: str | None = None) -> bool:
        """Write down, before the POST, that a store order is about to be created. Conditional on
        the claim and on no other intent being open (``replaces``: the intent whose settle window
        ended without finding the order). False: someone else's POST may be in flight."""

        condition = "#s = :c AND claim_token = :t AND " + (
            "store_intent = :old" if replaces else "attribute_not_exists(store_intent)")
        values: dict[str, Any] = {":c": "claimed", ":t": token, ":i": intent, ":now": now, ":zero": 0}
        if replaces:
            values[":old"] = replaces
        return self._update(connection_id, tiktok_order_id,
                            "SET store_intent = :i, store_intent_at = :now, settle_misses = :zero, "
                            "updated_at = :now REMOVE settle_from", condition, values)

    def record_ambiguous(self, connection_id: str, tiktok_order_id: str, intent: str, now: int) -> bool:
        """The POST of ``intent`` failed without saying whether the order exists: the settle
        window starts now."""
        return self._update(connection_id, tiktok_order_id, "SET settle_from = :now, updated_at = :now",
                            "store_intent = :i", {":i": intent, ":now": now})

    def record_settle_miss(self, connection_id: str, tiktok_order_id: str, intent: str, now: int) -> int | None:
        """One more search that did not find the order of ``intent``; returns the misses so far
        (``None`` when the intent changed meanwhile)."""
        from connector import dynamo

        try:
            got = self.client.update_item(
                TableName=self._table, Key=self._key(connection_id, tiktok_order_id),
                UpdateExpression="SET updated_at = :now ADD settle_misses :one",
                ConditionExpression="store_intent = :i",
                ExpressionAttributeValues=dynamo.values({":i": intent, ":now": now, ":one": 1}),
                ReturnValues="UPDATED_NEW")
        except Exception as exc:
            if dynamo.is_condition_failure(exc):
                return None
            raise
        return int(got["Attributes"]["settle_misses"]["N"])

    def clear_intent(self, connection_id: str, tiktok_order_id: str, intent: str, now: int) -> bool:
        """The POST of ``intent`` certainly created nothing (the store refused it before doing
        anything, e.g. 429 or a validation error)."""
        return self._update(connection_id, tiktok_order_id, "SET updated_at = :now REMOVE " + ", ".join(INTENT_FIELDS),
                            "store_intent = :i", {":i": intent, ":now": now})

    def record_duplicates(self, connection_id: str, tiktok_order_id: str, store_order_id: str,
                          duplicates: list[str], now: int) -> bool:
        """The duplicate detector's mark: ``store_order_id`` is the order kept, ``duplicates``
        the other store orders of this TikTok order (cancelled in the store)."""
        current = self.get(connection_id, tiktok_order_id)
        known = tuple(current.duplicate_store_orders) if current else ()
        merged = list(dict.fromkeys([*known, *duplicates]))
        return self._update(connection_id, tiktok_order_id,
                            "SET duplicate_store_orders = :d, store_order_id = :o, updated_at = :now",
                            "attribute_exists(pk)", {":d": merged, ":o": store_order_id, ":now": now})

    def set_verify(self, connection_id: str, tiktok_order_id: str, verify_after: int | None, checks: int) -> bool:
        """The next search for a twin store order (``None``: no more searches)."""
        if verify_after is None:
            return self._update(connection_id, tiktok_order_id, "SET verify_checks = :n REMOVE verify_after",
                                "attribute_exists(pk)", {":n": checks})
        return self._update(connection_id, tiktok_order_id, "SET verify_checks = :n, verify_after = :v",
                            "attribute_exists(pk)", {":n": checks, ":v": verify_after})

    def _update(self, connection_id: str, tiktok_order_id: str, expression: str, condition: str,
                values: Mapping[str, Any]) -> bool:
        from connector import dynamo

        names = {"#s": "state"} if "#s" in condition or "#s" in expression else {}
        try:
            self.client.update_item(TableName=self._table, Key=self._key(connection_id, tiktok_order_id),
                                    UpdateExpression=expression, ConditionExpression=condition,
                                    ExpressionAttributeValues=dynamo.values(dict(values)),
                                    **({"ExpressionAttributeNames": names} if names else {}))
        except Exception as exc:
            if dynamo.is_condition_failure(exc):
                return False
            raise
        return True

    def release(self, connection_id: str, tiktok_order_id: str, token: str, state: str, now: int,
                reason: str | None = None) -> bool:
        """Give a claim back without relaying (e.g. TikTok says the order is on hold again or
        was cancelled meanwhile)."""
        removes: tuple[str, ...] = ("claim_token", "claim_expires_at")
        if state in ("cancelled", "skipped"):
            removes += ("pending_units",)
        sets: dict[str, Any] = {"reason": reason} if reason else {}
        if state == "waiting_hold":
            sets["deadline_at"] = now + HOLD_RECHECK_S
        return self._transition(connection_id, tiktok_order_id, state, now, sets=sets, removes=removes,
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
        if "deadline_at" not in sets and state not in OPEN_STATES:
            removes = (*removes, "deadline_at")
        if add_attempt:
            expression += " ADD attempts :one"
            all_values[":one"] = 1
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        update = {"TableName": self._table, "Key": self._key(connection_id, tiktok_order_id),
                  "UpdateExpression": expression, "ConditionExpression": condition,
                  "ExpressionAttributeNames": names, "ExpressionAttributeValues": dynamo.values(all_values)}
        releases: list[dict[str, Any]] = []
        if "pending_units" in removes:  # released in the same transaction as the record moves on
            current = self.get(connection_id, tiktok_order_id)
            if current is not None and current.pending_units:
                releases = pending.release_ops(self._table, connection_id, tiktok_order_id, current.pending_units,
                                               now)
        try:
            if releases:
                self.client.transact_write_items(TransactItems=[{"Update": update}, *releases])
            else:
                self.client.update_item(**update)
        except Exception as exc:
            if _condition_failed(exc):
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
