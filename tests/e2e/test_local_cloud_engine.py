"""The local cloud's AWS emulator after its speed-ups (kept-alive connections, a backend cache,
queries that read one partition): it must still answer exactly as DynamoDB would."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.cloud import LocalCloud

STACK = "tts-engine"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """A cloud of its own (moto's state is shared by the process, so its own stack name)."""
    log: Path = tmp_path_factory.mktemp("engine") / "functions.log"
    with LocalCloud(parameters={"AppSecretName": f"{STACK}/app"}, stack_name=STACK, function_log=log) as running:
        yield running


def _put(ddb: object, table: str, pk: str, sk: str, **extra: str) -> None:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}
    ddb.put_item(TableName=table, Item=item)  # type: ignore[attr-defined]


def test_a_query_reads_only_its_partition_in_key_order_and_pages(cloud: LocalCloud) -> None:
    ddb, table = cloud.client("dynamodb"), cloud.table_name()
    for sk in ("B", "A", "D", "C"):
        _put(ddb, table, "ENGINE#one", f"ITEM#{sk}")
    _put(ddb, table, "ENGINE#two", "ITEM#A")
    _put(ddb, table, "ENGINE#onex", "ITEM#A")

    def keys(**kwargs: object) -> tuple[list[str], object]:
        found = ddb.query(TableName=table, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                          ExpressionAttributeValues={":p": {"S": "ENGINE#one"}, ":s": {"S": "ITEM#"}}, **kwargs)
        return [i["sk"]["S"] for i in found["Items"]], found.get("LastEvaluatedKey")

    assert keys()[0] == ["ITEM#A", "ITEM#B", "ITEM#C", "ITEM#D"]
    assert keys(ScanIndexForward=False)[0] == ["ITEM#D", "ITEM#C", "ITEM#B", "ITEM#A"]
    first, start = keys(Limit=3)
    rest, end = keys(Limit=3, ExclusiveStartKey=start)
    assert (first, rest, end) == (["ITEM#A", "ITEM#B", "ITEM#C"], ["ITEM#D"], None)
    between = ddb.query(TableName=table, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                        ExpressionAttributeValues={":p": {"S": "ENGINE#one"}, ":a": {"S": "ITEM#B"},
                                                   ":b": {"S": "ITEM#C"}})
    assert [i["sk"]["S"] for i in between["Items"]] == ["ITEM#B", "ITEM#C"]
    below = ddb.query(TableName=table, KeyConditionExpression="pk = :p AND sk < :a", ScanIndexForward=False,
                      ExpressionAttributeValues={":p": {"S": "ENGINE#one"}, ":a": {"S": "ITEM#C"}})
    assert [i["sk"]["S"] for i in below["Items"]] == ["ITEM#B", "ITEM#A"]
    none = ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "ENGINE#absent"}})
    assert none["Items"] == []


def test_an_index_query_finds_every_match_sorted_by_the_index_key(cloud: LocalCloud) -> None:
    ddb, table = cloud.client("dynamodb"), cloud.table_name()
    for n, sk in enumerate(("3", "1", "2")):
        _put(ddb, table, f"ENGINE#idx{n}", "META", gsi1pk="ENGINEIDX#x", gsi1sk=sk)
    _put(ddb, table, "ENGINE#idx9", "META", gsi1pk="ENGINEIDX#y", gsi1sk="0")
    found = ddb.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                      ExpressionAttributeValues={":p": {"S": "ENGINEIDX#x"}})
    assert [i["gsi1sk"]["S"] for i in found["Items"]] == ["1", "2", "3"]


def test_one_connection_serves_many_requests(cloud: LocalCloud) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", cloud.moto_port, timeout=10)
    sockets = set()
    for _ in range(3):
        # moto's dashboard page: small whatever the emulated state holds (data.json dumps all of it,
        # which after a whole suite in one process takes longer than the timeout)
        connection.request("GET", "/moto-api/")
        answer = connection.getresponse()
        assert answer.status == 200 and b"<html" in answer.read()
        assert (answer.getheader("Connection") or "").lower() != "close"
        sockets.add(id(connection.sock))
    connection.close()
    assert len(sockets) == 1


def test_a_read_never_sees_half_of_an_update(cloud: LocalCloud) -> None:
    """DynamoDB applies an update to its item atomically; two fields set together are read together."""
    import threading

    table = cloud.table_name()
    writer, reader = cloud.client("dynamodb"), cloud.client("dynamodb")
    key = {"pk": {"S": "ENGINE#atomic"}, "sk": {"S": "META"}}
    fields = [f"f{n}" for n in range(30)]  # many actions in one update: a wide window for a torn read
    writer.put_item(TableName=table, Item={**key, **{f: {"N": "0"} for f in fields}})
    done = threading.Event()
    torn: list[tuple[str, ...]] = []

    def read() -> None:
        while not done.is_set():
            item = reader.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
            seen = {item[f]["N"] for f in fields}
            if len(seen) > 1:
                torn.append(tuple(sorted(seen)))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        expression = "SET " + ", ".join(f"{f} = :v" for f in fields)
        for i in range(1, 201):
            writer.update_item(TableName=table, Key=key, UpdateExpression=expression,
                               ExpressionAttributeValues={":v": {"N": str(i)}})
    finally:
        done.set()
        thread.join(timeout=10)
    assert torn == []
    final = reader.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert {final[f]["N"] for f in fields} == {"200"}
