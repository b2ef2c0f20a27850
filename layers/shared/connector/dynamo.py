"""Small helpers over the low-level DynamoDB client: item (de)serialization and the error test
for lost conditional writes. Repositories build on these; keys come from :mod:`connector.keys`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


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


def query_prefix(client: Any, table_name: str, pk: str, sk_prefix: str) -> Iterator[dict[str, Any]]:
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
