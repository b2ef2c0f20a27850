"""The suite's AWS endpoint (``moto_endpoint``) keeps DynamoDB's promise that a conditional
write is decided atomically: of many workers racing for one lease, exactly one wins. The lease
code of the stock worker and the order relay depends on it, and plain moto breaks it now and
then (two concurrent conditional updates could both succeed)."""

from __future__ import annotations

import threading
from typing import Any

import boto3

from tests.support.aws import create_table

WORKERS = 8
ROUNDS = 40


def test_of_workers_racing_for_one_lease_exactly_one_wins(moto_endpoint: str) -> None:
    ddb: Any = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    table = create_table(ddb)
    winners: dict[int, list[int]] = {n: [] for n in range(ROUNDS)}
    start = threading.Barrier(WORKERS)

    def worker(me: int) -> None:
        client: Any = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
        for n in range(ROUNDS):
            start.wait()
            try:
                client.update_item(TableName=table, Key={"pk": {"S": "RACE"}, "sk": {"S": f"LEASE#{n}"}},
                                   UpdateExpression="SET lease_owner = :me",
                                   ConditionExpression="attribute_not_exists(lease_owner)",
                                   ExpressionAttributeValues={":me": {"N": str(me)}})
            except client.exceptions.ConditionalCheckFailedException:
                continue
            winners[n].append(me)

    threads = [threading.Thread(target=worker, args=(me,)) for me in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {n: len(won) for n, won in winners.items() if len(won) != 1} == {}
    for n, won in winners.items():
        item = ddb.get_item(TableName=table, Key={"pk": {"S": "RACE"}, "sk": {"S": f"LEASE#{n}"}})["Item"]
        assert item["lease_owner"]["N"] == str(won[0])
