"""The DynamoDB base every repository builds on: item (de)serialization, the test for a lost
conditional write, and :class:`Repository` (a table name, a lazily fetched typed client, and
conditional writes that answer True / False instead of raising). Keys come from
:mod:`connector.keys`.

A "condition" below is a DynamoDB condition expression; when it does not hold, the write does
nothing and the helper answers ``False`` (or ``None`` for the ones that return the new item).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")
ABSENT = "attribute_not_exists(pk)"
"""The condition of a write that must not replace an item (every item has a ``pk``)."""
PRESENT = "attribute_exists(pk)"
"""The condition of a write that must not create an item."""


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


def values(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Serialize expression attribute values."""
    return to_item(mapping)


def is_condition_failure(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


def attempt(write: Callable[[], T]) -> T | None:
    """Run a conditional write: its result, or ``None`` when its condition did not hold. Any
    other error goes through."""
    try:
        return write()
    except Exception as exc:
        if is_condition_failure(exc):
            return None
        raise


def held(write: Callable[[], object]) -> bool:
    """Run a conditional write: True when it was applied, False when its condition did not hold.
    Any other error goes through."""
    try:
        write()
    except Exception as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def query_prefix(client: DynamoDBClient, table_name: str, pk: str, sk_prefix: str) -> Iterator[dict[str, Any]]:
    """Every item of partition ``pk`` whose sort key starts with ``sk_prefix``, page after page
    (raw DynamoDB items: deserialize with :func:`from_item`)."""
    kwargs: dict[str, Any] = {
        "TableName": table_name, "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "ExpressionAttributeValues": values({":p": pk, ":s": sk_prefix})}
    while True:
        page = client.query(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _expression(names: Mapping[str, str] | None, vals: Mapping[str, Any] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if names:
        params["ExpressionAttributeNames"] = dict(names)
    if vals:
        params["ExpressionAttributeValues"] = values(vals)
    return params


class Repository:
    """One table, reached through a low-level client: the one given (tests pass one) or the
    function's cached client, fetched on first use (nothing is built at import time).

    Keys and items are plain values (``{"pk": ..., "sk": ...}``); the helpers serialize them.
    The helpers are protected (a leading underscore) so they never clash with a repository's own
    ``get`` / ``put`` / ``delete``.
    """

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client

    @property
    def table_name(self) -> str:
        return self._table

    @property
    def client(self) -> DynamoDBClient:
        if self._client is not None:
            return self._client
        from connector import aws

        return aws.client("dynamodb")

    # --------------------------------------------------------------------------- reads
    def _read(self, key: Mapping[str, Any], **params: Any) -> dict[str, Any] | None:
        """The item at ``key`` (strongly consistent), deserialized; ``None`` when there is none."""
        got = self.client.get_item(TableName=self._table, Key=to_item(key), ConsistentRead=True, **params)
        return from_item(got["Item"]) if "Item" in got else None

    def _read_many(self, wanted: Sequence[Mapping[str, Any]]) -> list[dict[str, Any] | None]:
        """The items at ``wanted`` (up to 100 keys, strongly consistent) in one batch read, in the
        keys' order, deserialized; ``None`` where there is none. Keys DynamoDB leaves unprocessed
        (throttled) are asked again, then read one by one."""
        names = sorted({name for key in wanted for name in key})

        def ident(values: Mapping[str, Any]) -> tuple[Any, ...]:
            return tuple(values.get(name) for name in names)

        found: dict[tuple[Any, ...], dict[str, Any]] = {}
        request: list[dict[str, Any]] = [to_item(key) for key in wanted]
        for _ in range(3):
            if not request:
                break
            got = self.client.batch_get_item(RequestItems={self._table: {"Keys": request, "ConsistentRead": True}})
            for item in got.get("Responses", {}).get(self._table, []):
                plain = from_item(item)
                found[ident(plain)] = plain
            unprocessed = got.get("UnprocessedKeys", {}).get(self._table)
            request = list(unprocessed["Keys"]) if unprocessed else []
        for left in request:
            item_left = self._read(from_item(left))
            if item_left is not None:
                found[ident(item_left)] = item_left
        return [found.get(ident(key)) for key in wanted]

    def _query_prefix(self, pk: str, sk_prefix: str) -> Iterator[dict[str, Any]]:
        """Every item of ``pk`` whose sort key starts with ``sk_prefix``, deserialized."""
        for item in query_prefix(self.client, self._table, pk, sk_prefix):
            yield from_item(item)

    # --------------------------------------------------------------------------- writes
    def _put(self, item: Mapping[str, Any]) -> None:
        self.client.put_item(TableName=self._table, Item=to_item(item))

    def _put_if_absent(self, item: Mapping[str, Any]) -> bool:
        """Write ``item`` unless one with its key exists: False then (nothing written)."""
        return self._put_if(item, ABSENT)

    def _put_if(self, item: Mapping[str, Any], condition: str, *, names: Mapping[str, str] | None = None,
               values: Mapping[str, Any] | None = None) -> bool:
        """Write ``item`` when ``condition`` holds for the item it would replace."""
        return held(lambda: self.client.put_item(
            TableName=self._table, Item=to_item(item), ConditionExpression=condition,
            **_expression(names, values)))

    def _update(self, key: Mapping[str, Any], expression: str, *, names: Mapping[str, str] | None = None,
               values: Mapping[str, Any] | None = None, condition: str | None = None) -> dict[str, Any]:
        """Apply an update expression; the item as it is afterwards (deserialized). A failed
        ``condition`` raises (use :meth:`_update_if` to be told instead)."""
        params = _expression(names, values)
        if condition is not None:
            params["ConditionExpression"] = condition
        got = self.client.update_item(TableName=self._table, Key=to_item(key), UpdateExpression=expression,
                                      ReturnValues="ALL_NEW", **params)
        return from_item(got.get("Attributes", {}))

    def _update_if(self, key: Mapping[str, Any], expression: str, condition: str, *,
                  names: Mapping[str, str] | None = None, values: Mapping[str, Any] | None = None) -> bool:
        """Apply an update expression when ``condition`` holds: False otherwise."""
        return held(lambda: self.client.update_item(
            TableName=self._table, Key=to_item(key), UpdateExpression=expression, ConditionExpression=condition,
            **_expression(names, values)))

    def _updated_if(self, key: Mapping[str, Any], expression: str, condition: str, *,
                   names: Mapping[str, str] | None = None,
                   values: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """:meth:`_update_if` that answers with the item as it is afterwards (``None``: the
        condition did not hold)."""
        got = attempt(lambda: self.client.update_item(
            TableName=self._table, Key=to_item(key), UpdateExpression=expression, ConditionExpression=condition,
            ReturnValues="ALL_NEW", **_expression(names, values)))
        return None if got is None else from_item(got.get("Attributes", {}))

    def _delete(self, key: Mapping[str, Any]) -> None:
        self.client.delete_item(TableName=self._table, Key=to_item(key))

    def _delete_if(self, key: Mapping[str, Any], condition: str, *, names: Mapping[str, str] | None = None,
                  values: Mapping[str, Any] | None = None) -> bool:
        """Delete the item at ``key`` when ``condition`` holds: False otherwise."""
        return held(lambda: self.client.delete_item(
            TableName=self._table, Key=to_item(key), ConditionExpression=condition,
            **_expression(names, values)))

    def _deleted_if(self, key: Mapping[str, Any], condition: str, *, names: Mapping[str, str] | None = None,
                    values: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """:meth:`_delete_if` that answers with the item as it was (``None``: the condition did
        not hold)."""
        got = attempt(lambda: self.client.delete_item(
            TableName=self._table, Key=to_item(key), ConditionExpression=condition, ReturnValues="ALL_OLD",
            **_expression(names, values)))
        return None if got is None else from_item(got.get("Attributes", {}))

    def _transact_if(self, items: Sequence[Mapping[str, Any]]) -> bool:
        """Write ``items`` (``TransactItems`` entries) all or none: False when a condition of
        one of them did not hold."""
        return held(lambda: self.client.transact_write_items(TransactItems=list(items)))  # type: ignore[arg-type]

    def _put_all(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Write many items, 25 to a batch, until every one is written."""
        for start in range(0, len(items), 25):
            request: Mapping[str, Any] = {
                self._table: [{"PutRequest": {"Item": to_item(item)}} for item in items[start:start + 25]]}
            while request:
                got = self.client.batch_write_item(RequestItems=request)
                request = got.get("UnprocessedItems") or {}
