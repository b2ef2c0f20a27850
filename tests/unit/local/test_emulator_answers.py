"""The local cloud writes DynamoDB's answers itself when they are plain JSON: every such answer
must say exactly what moto's own serializer would have written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoResult

from local.cloud import emulator


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bool, Any, Any]]]:
    """Each DynamoDB answer of the test: (operation, written plainly?, our body, moto's body)."""
    emulator.install()
    installed = DynamoResult.execute_result
    seen: list[tuple[str, bool, Any, Any]] = []

    def spy(self: Any, context: Any) -> Any:
        ours = installed(self, context)
        _status, _headers, theirs = ActionResult.execute_result(self, context)  # moto's serializer
        plain = emulator.plain_answer(self.result, context.operation_model.output_shape.members) is not None
        seen.append((context.operation_model.name, plain, json.loads(ours[2]), json.loads(theirs)))
        return ours

    monkeypatch.setattr(DynamoResult, "execute_result", spy)
    # moto's in-process mock answers AWS's own addresses only: a local cloud started by another
    # test of this worker points boto3 at its server.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield seen


def _table(client: Any) -> None:
    client.create_table(
        TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
    )


def test_plain_answers_say_what_motos_serializer_says(answers: list[tuple[str, bool, Any, Any]]) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    _table(client)
    key = {"pk": {"S": "a"}, "sk": {"S": "1"}}
    item = {**key, "price": {"N": "19.90"}, "state": {"S": "live"}, "flags": {"SS": ["x", "y"]},
            "counts": {"NS": ["1", "2"]}, "gone": {"NULL": True}, "ok": {"BOOL": True},
            "skus": {"M": {"s1": {"L": [{"N": "3"}, {"S": "w1"}]}}}}
    client.put_item(TableName="t", Item=item, ReturnConsumedCapacity="TOTAL")
    client.get_item(TableName="t", Key=key, ConsistentRead=True)
    client.get_item(TableName="t", Key={"pk": {"S": "nobody"}, "sk": {"S": "1"}})
    client.update_item(TableName="t", Key=key, UpdateExpression="SET price = :p", ReturnValues="ALL_NEW",
                       ExpressionAttributeValues={":p": {"N": "21"}})
    client.update_item(TableName="t", Key=key, UpdateExpression="SET #s = :s", ReturnValues="UPDATED_OLD",
                       ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":s": {"S": "held"}})
    client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}},
                 Limit=1, ReturnConsumedCapacity="TOTAL")
    client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "z"}})
    client.scan(TableName="t", ProjectionExpression="pk, price")
    client.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": key}}])
    client.batch_get_item(RequestItems={"t": {"Keys": [key]}})
    client.delete_item(TableName="t", Key=key, ReturnValues="ALL_OLD")

    plain = {name for name, written_plainly, _, _ in answers if written_plainly}
    assert {"PutItem", "GetItem", "UpdateItem", "Query", "Scan", "TransactGetItems", "BatchGetItem",
            "DeleteItem"} <= plain
    for name, _written_plainly, ours, theirs in answers:
        assert ours == theirs, name


def test_blobs_go_as_base64_and_dates_through_motos_serializer(answers: list[tuple[str, bool, Any, Any]]) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    _table(client)
    key = {"pk": {"S": "b"}, "sk": {"S": "1"}}
    client.put_item(TableName="t", Item={**key, "blob": {"B": b"\x00\x01\xff"}, "blobs": {"BS": [b"\x02"]}})
    found = client.get_item(TableName="t", Key=key)["Item"]
    client.describe_table(TableName="t")

    assert found["blob"]["B"] == b"\x00\x01\xff" and found["blobs"]["BS"] == [b"\x02"]
    by_name = {name: (written_plainly, ours, theirs) for name, written_plainly, ours, theirs in answers}
    assert by_name["GetItem"][0] is True and by_name["DescribeTable"][0] is False
    assert all(ours == theirs for _, ours, theirs in by_name.values())
