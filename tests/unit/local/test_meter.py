from __future__ import annotations

import io
import json

import pytest

from local.cloud.meter import Meter, dynamodb_units


def _body(value: object) -> bytes:
    return json.dumps(value).encode()


def test_a_small_write_costs_one_unit_and_a_3kb_write_three() -> None:
    small = _body({"TableName": "t", "Item": {"pk": {"S": "a"}}})
    large = _body({"TableName": "t", "Item": {"pk": {"S": "a"}, "blob": {"S": "x" * 2600}}})
    assert dynamodb_units("PutItem", small, b"{}") == (0.0, 1.0)
    assert dynamodb_units("PutItem", large, b"{}") == (0.0, 3.0)


def test_reads_cost_half_a_unit_per_4kb_unless_strongly_consistent() -> None:
    item = {"Item": {"pk": {"S": "a"}, "blob": {"S": "x" * 5000}}}
    assert dynamodb_units("GetItem", _body({}), _body(item)) == (1.0, 0.0)
    assert dynamodb_units("GetItem", _body({"ConsistentRead": True}), _body(item)) == (2.0, 0.0)
    assert dynamodb_units("Query", _body({}), _body({"Items": []})) == (0.5, 0.0)


def test_transactions_cost_double() -> None:
    request = _body({"TransactItems": [{"Put": {"Item": {"pk": {"S": "a"}}}}, {"Put": {"Item": {"pk": {"S": "b"}}}}]})
    assert dynamodb_units("TransactWriteItems", request, b"{}") == (0.0, 4.0)


@pytest.mark.parametrize("garbage", [b"not json", b""])
def test_unreadable_bodies_count_the_request_but_no_units(garbage: bytes) -> None:
    meter = Meter()
    meter.record("dynamodb", "GetItem", garbage, garbage)
    meter.record("sqs", "SendMessage", b"", b"")
    snap = meter.snapshot()
    assert snap["requests_by_service"] == {"dynamodb": 1, "sqs": 1}
    assert snap["requests_by_action"]["sqs:SendMessage"] == 1
    meter.reset()
    assert meter.snapshot()["requests_by_service"] == {}


def test_empty_receives_are_counted_apart_from_receives_that_found_messages() -> None:
    from local.cloud.meter import EMPTY_RECEIVE, MeteringMiddleware

    answers = iter([b'{"Messages": [{"MessageId": "m1", "Body": "{}"}]}', b"{}", b"{}"])

    def sqs(environ: dict[str, object], start_response: object) -> list[bytes]:
        return [next(answers)]

    meter = Meter()
    meter.reset()
    app = MeteringMiddleware(sqs, meter)
    auth = "AWS4-HMAC-SHA256 Credential=test/20261123/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x"
    for _ in range(3):
        body = b'{"QueueUrl": "q"}'
        app({"HTTP_AUTHORIZATION": auth, "HTTP_X_AMZ_TARGET": "AmazonSQS.ReceiveMessage",
             "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}, lambda *a: None)
    actions = meter.snapshot()["requests_by_action"]
    assert actions == {"sqs:ReceiveMessage": 1, f"sqs:{EMPTY_RECEIVE}": 2}


def test_nothing_is_counted_before_the_first_reset() -> None:
    from local.cloud.meter import MeteringMiddleware

    meter = Meter()
    app = MeteringMiddleware(lambda environ, start_response: [b"{}"], meter)
    auth = "AWS4-HMAC-SHA256 Credential=test/20261123/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x"
    body = b'{"TableName": "t", "Key": {"pk": {"S": "a"}}}'

    def call() -> None:
        app({"HTTP_AUTHORIZATION": auth, "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.GetItem",
             "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}, lambda *a: None)

    call()
    assert meter.snapshot()["requests_by_action"] == {}
    meter.reset()
    call()
    assert meter.snapshot()["requests_by_action"] == {"dynamodb:GetItem": 1}
