"""Small helpers over the low-level DynamoDB client: item (de)serialization and the error test
for lost conditional writes. Repositories build on these; keys come from :mod:`connector.keys`."""

from __future__ import annotations

from collections.abc import Mapping
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
