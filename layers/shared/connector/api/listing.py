"""Paged, filtered reads the operations routes need and the feature repositories do not offer
(tasks newest first, a task's items by outcome, all orders of a connection, orders of a period,
settings with optimistic concurrency). Every query is under ``CONN#<connection id>``: a page token
is only a sort key, and the partition always comes from the authorized connection, so a token
from another tenant can never reach that tenant's items.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from connector import dynamo, keys
from connector.errors import BadRequest

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_TASK_PREFIX = keys.task_sk("")
_ORDER_PREFIX = keys.order_sk("")


def encode_token(sk: str) -> str:
    return base64.urlsafe_b64encode(sk.encode()).decode().rstrip("=")


def decode_token(token: str, prefix: str) -> str:
    """The sort key behind ``token``; 400 when it is not a token of this listing."""
    try:
        sk = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        sk = ""
    if not sk.startswith(prefix) or len(sk.encode()) > 1024:  # a sort key holds 1 KB
        raise BadRequest("the page token is not one this listing gave out", reason="bad_page_token")
    return sk


def page(client: DynamoDBClient, table: str, connection_id: str, prefix: str, *, limit: int, page_token: str | None,
         newest_first: bool = False, filters: dict[str, Any] | None = None,
         ) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``limit`` items under ``prefix`` matching ``filters`` (attribute -> value) and the
    next page's token. DynamoDB filters after reading, so this reads on until the page is full."""
    kwargs: dict[str, Any] = {"TableName": table, "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
                              "ScanIndexForward": not newest_first}
    values: dict[str, Any] = {":p": keys.conn_pk(connection_id), ":s": prefix}
    names: dict[str, str] = {}
    conditions = []
    for i, (name, value) in enumerate(sorted((filters or {}).items())):
        if value is None:
            continue
        names[f"#f{i}"] = name
        values[f":f{i}"] = value
        conditions.append(f"#f{i} = :f{i}")
    if conditions:
        kwargs["FilterExpression"] = " AND ".join(conditions)
        kwargs["ExpressionAttributeNames"] = names
    kwargs["ExpressionAttributeValues"] = dynamo.values(values)
    if page_token is not None:
        kwargs["ExclusiveStartKey"] = dynamo.to_item({keys.PK: keys.conn_pk(connection_id),
                                                      keys.SK: decode_token(page_token, prefix)})
    found: list[dict[str, Any]] = []
    while True:
        # One more than the page needs: finding it proves a next page exists (DynamoDB returns a
        # LastEvaluatedKey whenever the Limit is reached, even with nothing after it).
        wanted = limit + 1 - len(found)
        kwargs["Limit"] = max(wanted, 25) if conditions else wanted
        got = client.query(**kwargs)
        for item in got.get("Items", []):
            if len(found) == limit:
                return found, encode_token(str(found[-1][keys.SK]))
            found.append(dynamo.from_item(item))
        if "LastEvaluatedKey" not in got:
            return found, None
        kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]


def task_page(client: DynamoDBClient, table: str, connection_id: str, *, kind: str | None, state: str | None,
              limit: int, page_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The connection's tasks, newest first (task ids start with their creation time)."""
    return page(client, table, connection_id, _TASK_PREFIX, limit=limit, page_token=page_token,
                newest_first=True, filters={"kind": kind, "state": state})


def task_item_page(client: DynamoDBClient, table: str, connection_id: str, task_id: str, *,
                   outcome: str | None, limit: int, page_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    return page(client, table, connection_id, keys.task_item_sk(task_id, ""), limit=limit, page_token=page_token,
                filters={"outcome": outcome})


def order_page(client: DynamoDBClient, table: str, connection_id: str, *, limit: int,
               page_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Every order of the connection (any state), newest TikTok order id first."""
    return page(client, table, connection_id, _ORDER_PREFIX, limit=limit, page_token=page_token, newest_first=True)


def orders_created_between(client: DynamoDBClient, table: str, connection_id: str, since: int,
                           until: int) -> Iterator[dict[str, Any]]:
    """The order items created in [since, until] (the overview's period)."""
    kwargs: dict[str, Any] = {
        "TableName": table, "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "FilterExpression": "created_at BETWEEN :a AND :b",
        "ExpressionAttributeValues": dynamo.values({":p": keys.conn_pk(connection_id), ":s": _ORDER_PREFIX,
                                                    ":a": since, ":b": until})}
    while True:
        got = client.query(**kwargs)
        for item in got.get("Items", []):
            yield dynamo.from_item(item)
        if "LastEvaluatedKey" not in got:
            return
        kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]


# ------------------------------------------------------------------------------ settings
class SettingsChanged(Exception):
    """Another PATCH changed the settings between our read and our write."""


def read_settings(client: DynamoDBClient, table: str, connection_id: str) -> tuple[str | None, int]:
    """(settings JSON or None for the defaults, version) of a connection."""
    from connector.settings import SettingsRepository

    return SettingsRepository(table, client).read_versioned(connection_id)


def write_settings(client: DynamoDBClient, table: str, connection_id: str, settings_json: str, version: int,
                   now: int) -> None:
    """Write the settings if nobody wrote since ``version`` was read (``SettingsChanged`` if so).
    Same item and attributes as :class:`connector.settings.SettingsRepository`, plus ``version``."""
    from connector.settings import SettingsRepository

    if not SettingsRepository(table, client).put_if_version(connection_id, settings_json, version, now):
        raise SettingsChanged(connection_id)
