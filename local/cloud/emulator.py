"""moto's DynamoDB made fit for a catalog of 10,000 products, answering exactly as before.

moto keeps a table as a dict of partitions and answers every query by walking all of it: it
lists every item, sorts the lot with typed comparisons, and only then tests each one against
the key condition. A query's cost grew with the whole table, and under the local cloud's one
DynamoDB request at a time every function waited behind it, so a push slowed down as the
catalog grew. :func:`install` changes where a query looks, never what it answers (moto still
applies the key condition, the filter, the order, the paging and the projection to what it is
given):

- a query on the table's key reads its one partition, narrowed by a string sort-key condition;
- a query on a global secondary index reads the items whose index hash key has the asked value,
  from an :class:`IndexBook` kept per table: every write (put, update, delete, also inside
  batches and transactions) files the item it touched again;
- scans keep moto's own listing (their pages follow its order).

It also changes how DynamoDB's answers are written, never what they say: moto's response
serializer walks every answer against botocore's shape model, attribute by attribute (a third of
the emulator's CPU in a burst of stock changes). A DynamoDB answer moto has already turned into
plain JSON values (items are maps of strings, lists, booleans and numbers-as-strings) is written
with :func:`json.dumps` (a binary attribute's bytes in base64, as the protocol writes them); one
holding anything else (a table's dates) still goes through the serializer, which knows their
wire form.

Two costs moto pays on every request are paid once (:func:`_lighter_requests`): the names of a
response class's methods (looked up with :mod:`inspect` each time an action is dispatched) are
kept per class, and an SQS receive checks a message's retention against the queue's retention
period itself instead of building every attribute of the queue for each message it hands out
(which counts the queue's messages three times over: a receive cost grew with the square of a
queue's depth).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

_QUERY = threading.local()
_BOOK = "_connector_index_book"


class IndexBook:
    """Where every item of one table stands in each global secondary index: index name ->
    index hash-key value -> keys (hash, range) of the items that have it. Built from the table
    the first time an index is queried, then kept by the write hooks of :func:`install`."""

    def __init__(self, table: Any) -> None:
        self.hash_attrs: dict[str, str] = {}
        for index in table.global_indexes:
            hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            if len(hashes) == 1:  # a multi-attribute key is left to moto's walk
                self.hash_attrs[index.name] = hashes[0]
        self.entries: dict[str, dict[Any, set[tuple[Any, Any]]]] = {name: {} for name in self.hash_attrs}
        self.placed: dict[tuple[Any, Any], list[tuple[str, Any]]] = {}
        for item in _every_item(table):
            self.file(table, item.hash_key, item.range_key)

    def file(self, table: Any, hash_key: Any, range_key: Any) -> None:
        """File the item at this key again, as it is now (gone, new or changed)."""
        key = (hash_key, range_key)
        for name, value in self.placed.pop(key, ()):
            keys = self.entries[name].get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.entries[name][value]
        item = _stored(table, hash_key, range_key)
        if item is None:
            return
        spots = []
        for name, attr in self.hash_attrs.items():
            value = item.attrs.get(attr)
            if value is not None:
                self.entries[name].setdefault(value, set()).add(key)
                spots.append((name, value))
        if spots:
            self.placed[key] = spots

    def items(self, table: Any, index_name: str, value: Any) -> list[Any]:
        found = (_stored(table, h, r) for h, r in list(self.entries[index_name].get(value, ())))
        return [item for item in found if item is not None]


def book(table: Any) -> IndexBook:
    found = table.__dict__.get(_BOOK)
    if found is None:
        found = IndexBook(table)
        setattr(table, _BOOK, found)
    return found  # type: ignore[no-any-return]


def _refile(table: Any, hash_key: Any, range_key: Any) -> None:
    found = table.__dict__.get(_BOOK)  # no book yet: it is built from the table when first needed
    if found is not None:
        found.file(table, hash_key, range_key)


def _stored(table: Any, hash_key: Any, range_key: Any) -> Any:
    partition = table.items.get(hash_key)
    if partition is None or range_key is None:
        return partition
    return partition.get(range_key)


def _every_item(table: Any) -> list[Any]:
    # list() copies a dict in one step under the GIL: another thread may write while moto reads.
    if not table.range_key_attr:
        return list(table.items.values())
    return [item for partition in list(table.items.values()) for item in list(partition.values())]


_STRING_RANGE: dict[str, Callable[..., bool]] = {
    "BEGINS_WITH": lambda v, a: v.startswith(a),
    "EQ": lambda v, a: v == a,
    "=": lambda v, a: v == a,
    "LT": lambda v, a: v < a,
    "<": lambda v, a: v < a,
    "LE": lambda v, a: v <= a,
    "<=": lambda v, a: v <= a,
    "GT": lambda v, a: v > a,
    ">": lambda v, a: v > a,
    "GE": lambda v, a: v >= a,
    ">=": lambda v, a: v >= a,
    "BETWEEN": lambda v, a, b: a <= v <= b,
}


def in_range(items: list[Any], comparison: str | None, objs: list[Any]) -> list[Any]:
    """A partition's items that meet the query's sort-key condition (moto tests it again later;
    this only spares it sorting and skipping a whole partition for each page). Strings compare
    as plain ``str``; any other type goes through moto's own comparison."""
    if not comparison:
        return items
    test = _STRING_RANGE.get(comparison)
    if test is not None and all(getattr(o, "type", None) == "S" for o in objs):
        args = [o.value for o in objs]
        return [
            i for i in items if i.range_key is not None and i.range_key.type == "S" and test(i.range_key.value, *args)
        ]
    return [i for i in items if i.range_key is not None and i.range_key.compare(comparison, objs)]


JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
"""DynamoDB's wire protocol: JSON 1.0."""


def plain_answer(result: Any, members: Any = None) -> str | None:
    """A DynamoDB answer written as JSON, or ``None`` when it holds a value that only moto's
    serializer writes right (dates, Decimals). Bytes are a binary attribute's value: base64, as
    the JSON protocol writes a blob. ``members``: the operation's output fields; like the
    serializer, an answer keeps only those (moto adds some of its own) and no empty one."""
    if isinstance(result, dict) and members is not None:
        result = {k: v for k, v in result.items() if k in members and v is not None}
    try:
        return json.dumps(result, separators=(",", ":"), default=_blob)
    except (TypeError, ValueError):
        return None


def _blob(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is left to moto's serializer")


def _write_plain_answers() -> None:
    from moto.dynamodb.responses import DynamoResult

    serialize = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        shape = context.operation_model.output_shape
        body = plain_answer(self.result, shape.members if shape is not None else None)
        if body is None:
            return serialize(self, context)
        return 200, {"Content-Type": JSON_CONTENT_TYPE}, body

    setattr(DynamoResult, "execute_result", execute_result)  # noqa: B010 (patching the emulator's classes)


def _lighter_requests() -> None:
    from functools import cache

    from moto.core import responses
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    method_names = getattr(responses, "method_names_from_class")  # noqa: B009 (moto's own import)
    names = cache(lambda clazz: tuple(method_names(clazz)))
    setattr(responses, "method_names_from_class", lambda clazz: list(names(clazz)))  # noqa: B010

    def retained(self: Any, queue_name: str, message: Any) -> bool:
        period = int(self.get_queue(queue_name).message_retention_period)
        return bool(period + message.sent_timestamp / 1000 > unix_time())

    setattr(SQSBackend, "is_message_valid_based_on_retention_period", retained)  # noqa: B010


def install() -> None:
    """Patch moto's Table, backend and DynamoDB answers once per process (see the module's
    docstring)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(Table, "_connector_patched", False):
        return
    _write_plain_answers()
    _lighter_requests()
    query, put_item, delete_item = Table.query, Table.put_item, Table.delete_item
    update_item = DynamoDBBackend.update_item

    def all_items(self: Any) -> list[Any]:
        partition = getattr(_QUERY, "partition", None)
        if partition is not None:  # a query on the table's own key
            found = self.items.get(partition)
            if found is None:
                return []
            if not self.range_key_attr:
                return [found]
            return in_range(list(found.values()), _QUERY.range_comparison, _QUERY.range_objs)
        index = getattr(_QUERY, "index", None)
        if index is not None:  # a query on a global secondary index
            return book(self).items(self, *index)
        items = _every_item(self)
        if getattr(_QUERY, "unsorted", False):
            return items
        return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    def narrowed_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name") or (args[7] if len(args) > 7 else None)
        hash_key = kwargs.get("hash_key", args[0] if args else None)
        conditions = kwargs.get("hash_key_conditions") or []
        _QUERY.unsorted = bool(index_name)  # moto sorts the matches itself afterwards
        _QUERY.partition = hash_key if not index_name and hash_key is not None else None
        _QUERY.range_comparison = kwargs.get("range_comparison", args[1] if len(args) > 1 else None)
        _QUERY.range_objs = kwargs.get("range_objs", args[2] if len(args) > 2 else None) or []
        _QUERY.index = None
        if index_name and len(conditions) == 1:
            attr = book(self).hash_attrs.get(index_name)
            if attr is not None and conditions[0][0] == attr:
                _QUERY.index = (index_name, conditions[0][1])
        try:
            return query(self, *args, **kwargs)
        finally:
            _QUERY.unsorted = False
            _QUERY.partition = _QUERY.index = None

    def filed_put(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = put_item(self, *args, **kwargs)
        _refile(self, item.hash_key, item.range_key)
        return item

    def filed_delete(self: Any, hash_key: Any, range_key: Any) -> Any:
        try:
            return delete_item(self, hash_key, range_key)
        finally:
            _refile(self, hash_key, range_key)

    def filed_update(self: Any, table_name: str, key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto changes the stored item in place, action by action: file it again whatever happens.
        try:
            return update_item(self, table_name, key, *args, **kwargs)
        finally:
            table = self.tables.get(table_name)
            if table is not None and isinstance(key, dict) and table.hash_key_attr in key:
                range_value = key.get(table.range_key_attr) if table.range_key_attr else None
                _refile(
                    table,
                    DynamoType(key[table.hash_key_attr]),
                    DynamoType(range_value) if range_value is not None else None,
                )

    setattr(Table, "all_items", all_items)  # noqa: B010 (patching the emulator's classes)
    setattr(Table, "query", narrowed_query)  # noqa: B010
    setattr(Table, "put_item", filed_put)  # noqa: B010
    setattr(Table, "delete_item", filed_delete)  # noqa: B010
    setattr(DynamoDBBackend, "update_item", filed_update)  # noqa: B010
    setattr(Table, "_connector_patched", True)  # noqa: B010
