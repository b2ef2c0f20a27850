"""Stock sync state: one ``CONN#<id>`` / ``STOCK#<store product id>`` item per store product.

- ``sent``: TikTok SKU id -> the quantity last accepted by TikTok. An unchanged figure costs no
  call, which is also how our own writes coming back as webhooks do nothing twice.
  Keyed by TikTok SKU id, so a product linked again to a new listing is sent afresh.
- ``deactivated``: the threshold rule took the TikTok product offline (only then does the rule
  bring it back: a product deactivated for another reason stays as it is).
- ``seq`` / ``lease_owner`` / ``lease_until``: single flight. Every request adds 1 to ``seq``;
  one worker at a time holds the lease and syncs; at release it checks ``seq`` did not move
  while it worked, else it syncs once more. A request that finds the lease held leaves it to the
  holder: a burst on one product costs one TikTok call (two when it straddles a sync).
  The holder renews its lease while it works (:mod:`.lease`), so a call stalled in retries
  never outlives it. The common case costs two writes: a request that finds the product free
  counts itself and takes the lease in one (:meth:`StockStateRepository.request_and_acquire`),
  and the holder records TikTok's answer and lets go in one (``record`` with ``release_seq``).
- ``version`` / ``sent_version`` / ``raced``: fenced writes. Every TikTok write is preceded by
  :meth:`StockStateRepository.fence`, which only the current, unexpired holder passes and which
  gives the write the next ``version``; ``sent`` is recorded only if no later write was fenced
  meanwhile (``sent_version``: the write ``sent`` came from). A write that finds a later one was
  fenced while it was out (its lease was lost) may have landed on TikTok after it: it sets
  ``raced`` to the version counter and bumps ``seq``, and the next sync of the product sends
  every figure again (forced) until a write fenced after that is recorded.
- ``run_seq`` / ``call_at``: the ``seq`` the holder's run started from (so which requests its
  figures already answer) and when its TikTok call in flight made its first attempt. A newer
  request may take the lease from a holder whose call has been out longer than a stall
  (:meth:`StockStateRepository.acquire` with ``stalled_before``): the taken-over call's retries
  are fenced off, and its write, if it lands, is followed by the corrective send above.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connector import dynamo, keys

_LEASE_TAKEABLE = "attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :o"
"""The lease is free, expired, or already held by ``:o``."""


class StockState(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection_id: str
    store_product_id: str
    seq: int = 0
    sent: dict[str, int] = Field(default_factory=dict)
    deactivated: bool = False
    lease_owner: str | None = None
    lease_until: float | None = None
    sent_at: float | None = None
    prices: dict[str, str] = Field(default_factory=dict)
    """TikTok SKU id -> price last sent (strings of Decimals)."""
    version: int = 0
    """The last write fenced (every TikTok write takes the next number)."""
    sent_version: int = 0
    """The write ``sent`` was recorded from."""
    raced: int = 0
    """``version`` when a stale write was found to have raced a newer one (0: never)."""
    run_seq: int = 0
    """The ``seq`` the holder's current run started from."""
    call_at: float | None = None
    """When the holder's TikTok call in flight started (``None``: none out)."""

    @property
    def needs_resend(self) -> bool:
        """A stale write may be what TikTok shows: every figure must be sent again."""
        return self.raced > 0 and self.raced >= self.sent_version


class StockStateRepository(dynamo.Repository):
    def _key(self, connection_id: str, store_product_id: str) -> dict[str, Any]:
        return dynamo.to_item({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.stock_sk(store_product_id)})

    def get(self, connection_id: str, store_product_id: str) -> StockState | None:
        got = self.client.get_item(TableName=self._table, Key=self._key(connection_id, store_product_id),
                                   ConsistentRead=True)
        return _state(got["Item"]) if "Item" in got else None

    def bump(self, connection_id: str, store_product_id: str, now: float) -> StockState:
        """Record one more request for this product; returns the item as it is now."""
        got = self.client.update_item(
            TableName=self._table, Key=self._key(connection_id, store_product_id),
            UpdateExpression="ADD seq :one SET connection_id = :c, store_product_id = :p, updated_at = :n",
            ExpressionAttributeValues=dynamo.values({":one": 1, ":c": connection_id, ":p": store_product_id,
                                                     ":n": int(now)}),
            ReturnValues="ALL_NEW")
        return _state(got["Attributes"])

    def acquire(self, connection_id: str, store_product_id: str, owner: str, now: float,
                ttl_s: float, *, stalled_before: float | None = None, seq: int | None = None) -> StockState | None:
        """Take the lease (free, expired, or already ours) for a run that starts from the
        current ``seq``; ``None`` when another worker holds it. With ``stalled_before`` and
        ``seq`` (the request's): also from a holder whose TikTok call started by
        ``stalled_before`` in a run that began before request ``seq`` (a take-over)."""
        condition = _LEASE_TAKEABLE
        values: dict[str, Any] = {":o": owner, ":u": _t(now + ttl_s), ":now": _t(now), ":c": connection_id,
                                  ":p": store_product_id, ":zero": 0}
        if stalled_before is not None and seq is not None:
            condition += " OR (call_at <= :stalled AND run_seq < :seq)"
            values.update({":stalled": _t(stalled_before), ":seq": seq})
        got = dynamo.attempt(lambda: self.client.update_item(
            TableName=self._table, Key=self._key(connection_id, store_product_id),
            UpdateExpression="SET lease_owner = :o, lease_until = :u, connection_id = :c, store_product_id = :p, "
                             "run_seq = if_not_exists(seq, :zero) REMOVE call_at",
            ConditionExpression=condition, ExpressionAttributeValues=dynamo.values(values),
            ReturnValues="ALL_NEW"))
        return None if got is None else _state(got["Attributes"])

    def release(self, connection_id: str, store_product_id: str, owner: str, seen_seq: int) -> bool:
        """Give the lease back if no request came in since ``seen_seq``; False: sync again."""
        if dynamo.held(lambda: self.client.update_item(
                TableName=self._table, Key=self._key(connection_id, store_product_id),
                UpdateExpression="REMOVE lease_owner, lease_until, call_at",
                ConditionExpression="lease_owner = :o AND (attribute_not_exists(seq) OR seq = :s)",
                ExpressionAttributeValues=dynamo.values({":o": owner, ":s": seen_seq}))):
            return True
        current = self.get(connection_id, store_product_id)
        # Lost the lease (expired, taken over): the new holder syncs; nothing left for us.
        return current is None or current.lease_owner != owner

    def abandon(self, connection_id: str, store_product_id: str, owner: str) -> None:
        """Drop our lease after a failure (the message is retried)."""
        dynamo.held(lambda: self.client.update_item(  # not ours any more: nothing to drop
            TableName=self._table, Key=self._key(connection_id, store_product_id),
            UpdateExpression="REMOVE lease_owner, lease_until, call_at", ConditionExpression="lease_owner = :o",
            ExpressionAttributeValues=dynamo.values({":o": owner})))

    def request_and_acquire(self, connection_id: str, store_product_id: str, owner: str, now: float,
                            ttl_s: float) -> StockState | None:
        """:meth:`bump` and :meth:`acquire` in one write when the lease is free, expired or ours
        (a run starting from the request's ``seq``); ``None``, with nothing written, when another
        worker holds it (the caller then records its request with :meth:`bump`)."""
        got = dynamo.attempt(lambda: self.client.update_item(
            TableName=self._table, Key=self._key(connection_id, store_product_id),
            UpdateExpression="ADD seq :one SET lease_owner = :o, lease_until = :u, connection_id = :c, "
                             "store_product_id = :p, updated_at = :n, run_seq = if_not_exists(seq, :zero) + :one "
                             "REMOVE call_at",
            ConditionExpression=_LEASE_TAKEABLE,
            ExpressionAttributeValues=dynamo.values({":one": 1, ":o": owner, ":u": _t(now + ttl_s), ":now": _t(now),
                                                     ":c": connection_id, ":p": store_product_id, ":zero": 0,
                                                     ":n": int(now)}),
            ReturnValues="ALL_NEW"))
        return None if got is None else _state(got["Attributes"])

    def record(self, connection_id: str, store_product_id: str, owner: str, now: float, *,
               sent: Mapping[str, int] | None = None, deactivated: bool | None = None,
               prices: Mapping[str, str] | None = None, version: int | None = None,
               release_seq: int | None = None) -> bool:
        """Store what TikTok accepted, while we still hold the lease (else a newer holder's
        figures would be overwritten by ours) and, given the ``version`` of our last write, while
        no later write was fenced. False: nothing was stored. With ``release_seq``: also give the
        lease back in the same write, only if no request came in since (see :meth:`release`);
        False then also when one did (the caller records without it)."""
        sets = ["updated_at = :n"]
        values: dict[str, Any] = {":n": int(now), ":o": owner}
        condition = "lease_owner = :o"
        removed = ["call_at"]
        if release_seq is not None:
            condition += " AND (attribute_not_exists(seq) OR seq = :s)"
            values[":s"] = release_seq
            removed += ["lease_owner", "lease_until"]
        if sent is not None:
            sets += ["sent = :sent", "sent_at = :at"]
            values[":sent"] = dict(sent)
            values[":at"] = _t(now)
        if version is not None:
            condition += " AND #v = :v"
            values[":v"] = version
            if sent is not None and version > 0:
                sets.append("sent_version = :v")
        if deactivated is not None:
            sets.append("deactivated = :d")
            values[":d"] = deactivated
        if prices is not None:
            sets.append("prices = :pr")
            values[":pr"] = dict(prices)
        names = {"#v": "version"} if version is not None else None
        return self._update_if({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.stock_sk(store_product_id)},
                               "SET " + ", ".join(sets) + " REMOVE " + ", ".join(removed), condition,
                               names=names, values=values)

    def renew(self, connection_id: str, store_product_id: str, owner: str, now: float, ttl_s: float) -> bool:
        """Extend our lease to ``now + ttl_s``; False: it is not ours any more."""
        return dynamo.held(lambda: self.client.update_item(
            TableName=self._table, Key=self._key(connection_id, store_product_id),
            UpdateExpression="SET lease_until = :u", ConditionExpression="lease_owner = :o",
            ExpressionAttributeValues=dynamo.values({":o": owner, ":u": _t(now + ttl_s)})))

    def fence(self, connection_id: str, store_product_id: str, owner: str, now: float, ttl_s: float, *,
              new_call: bool = True) -> int | None:
        """Before a TikTok write: while we hold the lease and it has not expired, take the next
        version and renew the lease; ``None``: the lease is lost, the write must not be made.
        A new call is marked out from ``now``; a retry (``new_call=False``) keeps its call as old
        as its first attempt."""
        sets = "lease_until = :u" + (", call_at = :now" if new_call else "")
        values: dict[str, Any] = {":one": 1, ":o": owner, ":u": _t(now + ttl_s), ":now": _t(now)}
        got = dynamo.attempt(lambda: self.client.update_item(
            TableName=self._table, Key=self._key(connection_id, store_product_id),
            UpdateExpression="ADD #v :one SET " + sets,
            ConditionExpression="lease_owner = :o AND lease_until >= :now",
            ExpressionAttributeNames={"#v": "version"},
            ExpressionAttributeValues=dynamo.values(values),
            ReturnValues="UPDATED_NEW"))
        return None if got is None else int(dynamo.from_item(got["Attributes"])["version"])

    def mark_raced(self, connection_id: str, store_product_id: str, now: float) -> StockState:
        """One of our writes may have landed after a newer one: the next sync sends every figure
        again. Bumps ``seq`` so a holder syncs once more before it lets go."""
        current = self.get(connection_id, store_product_id)
        got = self.client.update_item(
            TableName=self._table, Key=self._key(connection_id, store_product_id),
            UpdateExpression="ADD seq :one SET raced = :r, updated_at = :n",
            ExpressionAttributeValues=dynamo.values({":one": 1, ":r": current.version if current else 0,
                                                     ":n": int(now)}),
            ReturnValues="ALL_NEW")
        return _state(got["Attributes"])

    def all(self, connection_id: str) -> Iterator[StockState]:
        for item in dynamo.query_prefix(self.client, self._table, keys.conn_pk(connection_id), keys.stock_sk("")):
            yield _state(item)

    # ------------------------------------------------------------------ reconciliation cursor
    def reconcile_cursor(self, connection_id: str) -> dict[str, float]:
        """``last_run_at``, ``last_full_at`` and ``check_offset`` (where the next slice of the
        TikTok check starts), those that are set."""
        got = self.client.get_item(TableName=self._table, ConsistentRead=True, Key=dynamo.to_item(
            {keys.PK: keys.conn_pk(connection_id), keys.SK: keys.STOCK_RECONCILE}))
        raw = dynamo.from_item(got["Item"]) if "Item" in got else {}
        return {k: float(raw[k]) for k in ("last_run_at", "last_full_at", "check_offset") if k in raw}

    def set_reconcile_cursor(self, connection_id: str, *, last_run_at: float, last_full_at: float | None,
                             check_offset: int | None = None) -> None:
        item: dict[str, Any] = {keys.PK: keys.conn_pk(connection_id), keys.SK: keys.STOCK_RECONCILE,
                                "last_run_at": _t(last_run_at)}
        if last_full_at is not None:
            item["last_full_at"] = _t(last_full_at)
        if check_offset is not None:
            item["check_offset"] = int(check_offset)
        self.client.put_item(TableName=self._table, Item=dynamo.to_item(item))


def _t(seconds: float) -> Decimal:
    """A time for DynamoDB (no floats there): milliseconds kept."""
    return Decimal(f"{seconds:.3f}")


def _state(item: dict[str, Any]) -> StockState:
    raw = dynamo.from_item(item)
    data = {k: v for k, v in raw.items() if k in StockState.model_fields}
    for name in ("seq", "version", "sent_version", "raced", "run_seq"):
        data[name] = int(data.get(name, 0))
    data["sent"] = {str(k): int(v) for k, v in (data.get("sent") or {}).items()}
    data["prices"] = {str(k): str(v) for k, v in (data.get("prices") or {}).items()}
    for name in ("lease_until", "sent_at", "call_at"):
        if name in data and data[name] is not None:
            data[name] = float(data[name])
    return StockState.model_validate(data)
