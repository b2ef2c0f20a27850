"""Reading and writing the order records: one ``CONN#<id>`` / ``ORDER#<tiktok_order_id>`` item per
TikTok order seen (the record itself, its states and attributes: :mod:`connector.orders.order_record`).

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
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, cast

from pydantic import BaseModel

from connector import pending
from connector.dynamo import Repository
from connector.orders.order_record import (
    BLOCKED_RECHECK_S,
    CLAIMABLE_STATES,
    HOLD_RECHECK_S,
    INTENT_FIELDS,
    MAX_PAGE_SIZE,
    OPEN_STATES,
    ORDER_STATES,
    RETRY_FIELDS,
    UNRELAYED_STATES,
    OrderLineSummary,
    OrderRecord,
    OrderState,
    buyer_ref,
    claimable,
    deadline_of,
    from_attributes,
    to_attributes,
)

__all__ = [
    "BLOCKED_RECHECK_S",
    "CLAIMABLE_STATES",
    "HOLD_RECHECK_S",
    "INTENT_FIELDS",
    "MAX_PAGE_SIZE",
    "OPEN_STATES",
    "ORDER_STATES",
    "RETRY_FIELDS",
    "UNRELAYED_STATES",
    "ClaimLost",
    "OrderLineSummary",
    "OrderRecord",
    "OrderRepository",
    "OrderState",
    "buyer_ref",
    "claimable",
    "deadline_of",
    "decode_page_token",
    "encode_page_token",
    "from_attributes",
    "to_attributes",
]


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


class ClaimLost(Exception):
    """Another relay owns the order, or it is relayed already (the caller does nothing)."""


class OrderRepository(Repository):
    """The ``ORDER#`` items of a connection. Every write is conditional where two workers race."""

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

    def erase_buyer_details(self, connection_id: str, tiktok_order_id: str, now: int) -> bool:
        """A buyer asked to be forgotten: drop what ties the order to them (the buyer reference,
        the tracking number). False when the record is gone."""
        from connector import dynamo, keys

        return self._update_if({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.order_sk(tiktok_order_id)},
                               "SET updated_at = :now REMOVE buyer_ref, tracking_number", dynamo.PRESENT,
                               values={":now": now})

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
        put: dict[str, Any] = {"TableName": self._table, "Item": dynamo.to_item(item),
               "ConditionExpression": "attribute_not_exists(pk)"}
        holds = pending.hold_ops(self._table, record.connection_id, record.tiktok_order_id, record.pending_units,
                                 record.updated_at, record.warehouse_id)
        try:
            if holds:  # the record and its pending units in one transaction
                self.client.transact_write_items(TransactItems=cast(Any, [{"Put": put}, *holds]))
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
        if previous_units is None:
            # A first sight: the record with a plain conditional put, then its pending units (the
            # record's attribute and the per-variant items in one transaction, conditional on this
            # claim). The duplicated notifications of a new order race here: a loser's failed put
            # bills the record once, not a transaction of the record and its pending items. A put,
            # not an update creating the item: that is not atomic for readers on every engine
            # (moto shows a key-only item for a moment).
            if self.put_new(claimed.model_copy(update={"pending_units": {}})):
                if claimed.pending_units:
                    self._hold(claimed, token, now)
                return claimed
            current = self.get(record.connection_id, record.tiktok_order_id)
            if current is None or not claimable(current, token, now, take_over=take_over):
                raise ClaimLost(record.tiktok_order_id)
            previous_units = current.pending_units
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
        update: dict[str, Any] = {
            "TableName": self._table, "Key": self._key(record.connection_id, record.tiktok_order_id),
            "UpdateExpression": expression,
            "ConditionExpression": ("attribute_not_exists(pk) OR #s IN (:w, :b) OR "
                                    "(#s = :c AND (claim_expires_at < :n OR claim_token = :t)) OR "
                                    "(#s = :r AND (deadline_at <= :n OR retry_owner = :t" +
                                    (" OR :n = :n))" if take_over else "))")),
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": dynamo.values(values)}
        changes = pending.change_ops(self._table, record.connection_id, record.tiktok_order_id,
                                     previous_units or {}, claimed.pending_units, now, claimed.warehouse_id)
        try:
            if changes:
                self.client.transact_write_items(TransactItems=cast(Any, [{"Update": update}, *changes]))
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

    def _hold(self, claimed: OrderRecord, token: str, now: int) -> None:
        """Set the pending units of an order just claimed (record and variant items together)."""
        from connector import dynamo

        key = self._key(claimed.connection_id, claimed.tiktok_order_id)
        update: dict[str, Any] = {"TableName": self._table, "Key": key,
                  "UpdateExpression": "SET pending_units = :p",
                  "ConditionExpression": "#s = :c AND claim_token = :t",
                  "ExpressionAttributeNames": {"#s": "state"},
                  "ExpressionAttributeValues": dynamo.values({":p": dict(claimed.pending_units), ":c": "claimed",
                                                              ":t": token})}
        holds = pending.hold_ops(self._table, claimed.connection_id, claimed.tiktok_order_id,
                                 claimed.pending_units, now, claimed.warehouse_id)
        try:
            self.client.transact_write_items(TransactItems=cast(Any, [{"Update": update}, *holds]))
        except Exception as exc:
            if _condition_failed(exc):
                raise ClaimLost(claimed.tiktok_order_id) from None
            raise

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
        got = dynamo.attempt(lambda: self.client.update_item(
            TableName=self._table, Key=self._key(connection_id, tiktok_order_id),
            UpdateExpression=("SET #s = :state, updated_at = :now, gsi1pk = :gpk, gsi1sk = :gsk, "
                              "deadline_at = :next, retry_owner = :t, last_error = :e, "
                              "retry_since = if_not_exists(retry_since, :now) ADD retry_attempts :one "
                              "REMOVE claim_token, claim_expires_at"),
            ConditionExpression="(#s = :c AND claim_token = :t) OR #s = :state",
            ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues=values, ReturnValues="ALL_NEW"))
        return None if got is None else from_attributes(dynamo.from_item(got["Attributes"]))

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
        return self._set_if(connection_id, tiktok_order_id,
                            "SET store_intent = :i, store_intent_at = :now, settle_misses = :zero, "
                            "updated_at = :now REMOVE settle_from", condition, values)

    def record_ambiguous(self, connection_id: str, tiktok_order_id: str, intent: str, now: int) -> bool:
        """The POST of ``intent`` failed without saying whether the order exists: the settle
        window starts now."""
        return self._set_if(connection_id, tiktok_order_id, "SET settle_from = :now, updated_at = :now",
                            "store_intent = :i", {":i": intent, ":now": now})

    def record_settle_miss(self, connection_id: str, tiktok_order_id: str, intent: str, now: int) -> int | None:
        """One more search that did not find the order of ``intent``; returns the misses so far
        (``None`` when the intent changed meanwhile)."""
        from connector import dynamo

        got = dynamo.attempt(lambda: self.client.update_item(
            TableName=self._table, Key=self._key(connection_id, tiktok_order_id),
            UpdateExpression="SET updated_at = :now ADD settle_misses :one", ConditionExpression="store_intent = :i",
            ExpressionAttributeValues=dynamo.values({":i": intent, ":now": now, ":one": 1}),
            ReturnValues="UPDATED_NEW"))
        return None if got is None else int(got["Attributes"]["settle_misses"]["N"])

    def clear_intent(self, connection_id: str, tiktok_order_id: str, intent: str, now: int) -> bool:
        """The POST of ``intent`` certainly created nothing (the store refused it before doing
        anything, e.g. 429 or a validation error)."""
        return self._set_if(connection_id, tiktok_order_id, "SET updated_at = :now REMOVE " + ", ".join(INTENT_FIELDS),
                            "store_intent = :i", {":i": intent, ":now": now})

    def record_duplicates(self, connection_id: str, tiktok_order_id: str, store_order_id: str,
                          duplicates: list[str], now: int) -> bool:
        """The duplicate detector's mark: ``store_order_id`` is the order kept, ``duplicates``
        the other store orders of this TikTok order (cancelled in the store)."""
        current = self.get(connection_id, tiktok_order_id)
        known = tuple(current.duplicate_store_orders) if current else ()
        merged = list(dict.fromkeys([*known, *duplicates]))
        return self._set_if(connection_id, tiktok_order_id,
                            "SET duplicate_store_orders = :d, store_order_id = :o, updated_at = :now",
                            "attribute_exists(pk)", {":d": merged, ":o": store_order_id, ":now": now})

    def set_verify(self, connection_id: str, tiktok_order_id: str, verify_after: int | None, checks: int) -> bool:
        """The next search for a twin store order (``None``: no more searches)."""
        if verify_after is None:
            return self._set_if(connection_id, tiktok_order_id, "SET verify_checks = :n REMOVE verify_after",
                                "attribute_exists(pk)", {":n": checks})
        return self._set_if(connection_id, tiktok_order_id, "SET verify_checks = :n, verify_after = :v",
                            "attribute_exists(pk)", {":n": checks, ":v": verify_after})

    def _set_if(self, connection_id: str, tiktok_order_id: str, expression: str, condition: str,
                values: Mapping[str, Any]) -> bool:
        from connector import dynamo

        names: dict[str, Any] = {"ExpressionAttributeNames": {"#s": "state"}} \
            if "#s" in condition or "#s" in expression else {}
        return dynamo.held(lambda: self.client.update_item(
            TableName=self._table, Key=self._key(connection_id, tiktok_order_id), UpdateExpression=expression,
            ConditionExpression=condition, ExpressionAttributeValues=dynamo.values(dict(values)), **names))

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
        update: dict[str, Any] = {"TableName": self._table, "Key": self._key(connection_id, tiktok_order_id),
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
                self.client.transact_write_items(TransactItems=cast(Any, [{"Update": update}, *releases]))
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
