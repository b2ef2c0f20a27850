"""Pending units: units of a store variant paid on TikTok and not in the store yet (the stock
sync holds them back from TikTok's figure).

One compact item per variant: ``CONN#<id>`` / ``PENDING#<variant_key>``, holding one number
attribute per order that holds units of it (``o#<tiktok_order_id>``). Holding and releasing an
order's units are plain ``SET`` / ``REMOVE`` of that attribute, so repeating them (a retried
relay) changes nothing, and they are written in the same transaction as the order record's
transition (:class:`connector.orders.records.OrderRepository`), so the figure never drifts from
the records. Readers (the stock sync) get the variants they need, or every variant of the
connection, without touching an order record:

    pending = PendingUnits(table, client)
    pending.for_variants(connection_id, ["123", "123:456"])   # {"123": 3}
    pending.all(connection_id)                                # every variant with units held
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from connector.dynamo import Repository

ORDER_ATTRIBUTE = "o#"
"""Prefix of the per-order attributes (``o#5764614...``)."""

WAREHOUSE_ATTRIBUTE = "w#"
"""Prefix of the attribute naming the TikTok warehouse an order ships from (``w#5764614...``),
set with its units when the order names one: the stock sync reserves the units against that
warehouse (orders without it: against the default warehouse)."""


def hold_ops(table: str, connection_id: str, tiktok_order_id: str, units: Mapping[str, int],
             now: int, warehouse_id: str | None = None) -> list[dict[str, Any]]:
    """Transaction items setting the order's units on each variant's item (and the TikTok
    warehouse the order ships from, when it names one)."""
    from connector import dynamo

    names = {"#o": ORDER_ATTRIBUTE + tiktok_order_id}
    values: dict[str, Any] = {":now": now}
    expression = "SET #o = :n, updated_at = :now"
    if warehouse_id:
        names["#w"] = WAREHOUSE_ATTRIBUTE + tiktok_order_id
        values[":w"] = warehouse_id
        expression += ", #w = :w"
    return [{"Update": {
        "TableName": table, "Key": _key(connection_id, variant),
        "UpdateExpression": expression, "ExpressionAttributeNames": dict(names),
        "ExpressionAttributeValues": dynamo.values({**values, ":n": int(n)})}}
        for variant, n in sorted(units.items()) if n > 0]


def release_ops(table: str, connection_id: str, tiktok_order_id: str, variants: Iterable[str],
                now: int) -> list[dict[str, Any]]:
    """Transaction items removing the order's units from each variant's item."""
    from connector import dynamo

    return [{"Update": {
        "TableName": table, "Key": _key(connection_id, variant),
        "UpdateExpression": "SET updated_at = :now REMOVE #o, #w",
        "ExpressionAttributeNames": {"#o": ORDER_ATTRIBUTE + tiktok_order_id,
                                     "#w": WAREHOUSE_ATTRIBUTE + tiktok_order_id},
        "ExpressionAttributeValues": dynamo.values({":now": now})}}
        for variant in sorted(set(variants))]


def change_ops(table: str, connection_id: str, tiktok_order_id: str, before: Mapping[str, int],
               after: Mapping[str, int], now: int, warehouse_id: str | None = None) -> list[dict[str, Any]]:
    """Hold ``after`` and release what ``before`` held on variants ``after`` no longer has."""
    gone = [v for v in before if after.get(v, 0) <= 0]
    return hold_ops(table, connection_id, tiktok_order_id, after, now, warehouse_id) + release_ops(
        table, connection_id, tiktok_order_id, gone, now)


def _key(connection_id: str, variant_key: str) -> dict[str, Any]:
    from connector import dynamo, keys

    return dynamo.to_item({keys.PK: keys.conn_pk(connection_id), keys.SK: keys.pending_sk(variant_key)})


def _total(item: Mapping[str, Any]) -> int:
    return sum(int(v) for k, v in item.items()
               if k.startswith(ORDER_ATTRIBUTE) and isinstance(v, int | Decimal))


class PendingUnits(Repository):
    """Reads of the per-variant pending items of one table."""

    def all(self, connection_id: str) -> dict[str, int]:
        """variant_key -> units held, every variant of the connection with units held."""
        from connector import dynamo, keys

        totals: dict[str, int] = {}
        for raw in dynamo.query_prefix(self.client, self._table, keys.conn_pk(connection_id), keys.PENDING_PREFIX):
            item = dynamo.from_item(raw)
            total = _total(item)
            if total > 0:
                totals[str(item[keys.SK])[len(keys.PENDING_PREFIX):]] = total
        return totals

    def by_warehouse(self, connection_id: str) -> dict[str | None, dict[str, int]]:
        """TikTok warehouse id (``None``: the order named none) -> variant_key -> units held."""
        from connector import dynamo, keys

        out: dict[str | None, dict[str, int]] = {}
        for raw in dynamo.query_prefix(self.client, self._table, keys.conn_pk(connection_id), keys.PENDING_PREFIX):
            item = dynamo.from_item(raw)
            variant = str(item[keys.SK])[len(keys.PENDING_PREFIX):]
            for name, value in item.items():
                if not name.startswith(ORDER_ATTRIBUTE) or not isinstance(value, int | Decimal) or int(value) <= 0:
                    continue
                warehouse = item.get(WAREHOUSE_ATTRIBUTE + name[len(ORDER_ATTRIBUTE):])
                units = out.setdefault(str(warehouse) if warehouse else None, {})
                units[variant] = units.get(variant, 0) + int(value)
        return out

    def for_variants(self, connection_id: str, variant_keys: Iterable[str]) -> dict[str, int]:
        """variant_key -> units held, for the given variants (those without units are left out)."""
        from connector import dynamo, keys

        wanted = sorted(set(variant_keys))
        totals: dict[str, int] = {}
        for start in range(0, len(wanted), 100):
            batch = [_key(connection_id, v) for v in wanted[start:start + 100]]
            request: Mapping[str, Any] = {self._table: {"Keys": batch, "ConsistentRead": True}}
            while request:
                got = self.client.batch_get_item(RequestItems=request)
                for raw in got.get("Responses", {}).get(self._table, []):
                    item = dynamo.from_item(raw)
                    total = _total(item)
                    if total > 0:
                        totals[str(item[keys.SK])[len(keys.PENDING_PREFIX):]] = total
                request = got.get("UnprocessedKeys") or {}
        return totals
