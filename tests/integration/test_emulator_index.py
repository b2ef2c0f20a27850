"""The local cloud's index queries (``local.cloud.emulator``) read a book of index entries kept by
every write, instead of walking the whole table. Whatever the writes (puts, updates that add,
change or remove an index key, deletes, batches, transactions that commit or are cancelled), an
index query must answer what a walk of the table answers, and what DynamoDB Local answers."""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest

pytestmark = pytest.mark.dynamodb_local

INDEXES = {"gsi1": ("gsi1pk", "gsi1sk"), "gsi2": ("gsi2pk", "gsi2sk"), "gsi3": ("gsi3pk", "gsi3sk")}
VALUES = ["A", "B", "C"]


def _key(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"ITEM#{n % 7}"}, "sk": {"S": f"S#{n}"}}


def _index_attrs(rng: random.Random) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for hash_attr, range_attr in INDEXES.values():
        if rng.random() < 0.6:
            attrs[hash_attr] = {"S": rng.choice(VALUES)}
            attrs[range_attr] = {"S": f"{rng.randrange(100):03d}"}
    return attrs


def _write(client: Any, table: str, rng: random.Random) -> None:
    n = rng.randrange(30)
    roll = rng.random()
    if roll < 0.3:
        client.put_item(TableName=table, Item={**_key(n), **_index_attrs(rng), "v": {"N": str(n)}})
    elif roll < 0.55:
        hash_attr, range_attr = rng.choice(list(INDEXES.values()))
        client.update_item(TableName=table, Key=_key(n), UpdateExpression="SET #h = :h, #r = :r",
                           ExpressionAttributeNames={"#h": hash_attr, "#r": range_attr},
                           ExpressionAttributeValues={":h": {"S": rng.choice(VALUES)}, ":r": {"S": "050"}})
    elif roll < 0.65:
        hash_attr, range_attr = rng.choice(list(INDEXES.values()))
        client.update_item(TableName=table, Key=_key(n), UpdateExpression="REMOVE #h, #r",
                           ExpressionAttributeNames={"#h": hash_attr, "#r": range_attr})
    elif roll < 0.75:
        client.delete_item(TableName=table, Key=_key(n))
    elif roll < 0.85:
        keys = rng.sample(range(30), 3)
        client.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {**_key(keys[0]), **_index_attrs(rng)}}},
            {"PutRequest": {"Item": {**_key(keys[1]), **_index_attrs(rng)}}},
            {"DeleteRequest": {"Key": _key(keys[2])}},
        ]})
    else:
        first, second = rng.sample(range(30), 2)
        items = [
            {"Put": {"TableName": table, "Item": {**_key(first), **_index_attrs(rng)}}},
            {"Update": {"TableName": table, "Key": _key(second), "UpdateExpression": "SET gsi1pk = :h, gsi1sk = :r",
                        "ExpressionAttributeValues": {":h": {"S": rng.choice(VALUES)}, ":r": {"S": "007"}}}},
        ]
        if rng.random() < 0.5:  # a transaction that is cancelled changes nothing, in the index neither
            items.append({"ConditionCheck": {"TableName": table, "Key": _key(99),
                                             "ConditionExpression": "attribute_exists(pk)"}})
        with contextlib.suppress(client.exceptions.TransactionCanceledException):
            client.transact_write_items(TransactItems=items)


def _by_query(client: Any, table: str, index: str, value: str) -> list[tuple[str, str]]:
    hash_attr, range_attr = INDEXES[index]
    found: list[tuple[str, str]] = []
    kwargs: dict[str, Any] = {"TableName": table, "IndexName": index, "Limit": 4,
                              "KeyConditionExpression": "#h = :v", "ExpressionAttributeNames": {"#h": hash_attr},
                              "ExpressionAttributeValues": {":v": {"S": value}}}
    while True:
        page = client.query(**kwargs)
        found += [(i[range_attr]["S"], i["pk"]["S"] + "/" + i["sk"]["S"]) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _by_walk(client: Any, table: str, index: str, value: str) -> list[tuple[str, str]]:
    hash_attr, range_attr = INDEXES[index]
    items = client.scan(TableName=table)["Items"]
    return [(i[range_attr]["S"], i["pk"]["S"] + "/" + i["sk"]["S"]) for i in items
            if i.get(hash_attr, {}).get("S") == value and range_attr in i]


def test_index_queries_answer_as_a_walk_of_the_table_after_any_writes(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    rng = random.Random(20261202)
    checked = 0
    for _round in range(12):
        for _ in range(25):
            _write(client, table, rng)
        for index in INDEXES:
            for value in VALUES:
                queried = _by_query(client, table, index, value)
                walked = _by_walk(client, table, index, value)
                # The same items; the query in index order (ties between equal index keys in any order).
                assert sorted(queried) == sorted(walked), (index, value)
                assert [r for r, _ in queried] == sorted(r for r, _ in walked), (index, value)
                checked += len(walked)
    assert checked > 100  # the writes did put items in every index
