"""Pending units with the TikTok warehouse their order ships from (against moto and DynamoDB
Local): held with the units in the same transaction, read back per warehouse, moved with the
order's lines and released with them; an order naming no warehouse counts under ``None``."""

from __future__ import annotations

from typing import Any

import pytest

from connector.orders.records import OrderRepository
from connector.pending import PendingUnits
from tests.integration.orders.test_order_records import _record

pytestmark = pytest.mark.dynamodb_local


def test_units_are_read_back_per_warehouse_and_released_with_their_order(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo, reader = OrderRepository(name, client), PendingUnits(name, client)
    repo.claim(_record("e1", pending_units={"v1": 2, "v2": 1}, warehouse_id="w-east"), "t1", now=200, lease_s=60)
    repo.claim(_record("w1", pending_units={"v1": 3}, warehouse_id="w-west"), "t2", now=200, lease_s=60)
    repo.claim(_record("n1", pending_units={"v1": 1}), "t3", now=200, lease_s=60)
    assert reader.by_warehouse("c1") == {"w-east": {"v1": 2, "v2": 1}, "w-west": {"v1": 3}, None: {"v1": 1}}
    assert reader.all("c1") == {"v1": 6, "v2": 1}  # the totals are unchanged by the warehouses
    # The lines change on a new claim: the units move, the warehouse stays with them.
    repo.claim(_record("e1", pending_units={"v2": 4}, warehouse_id="w-east", attempts=0), "t1", now=201, lease_s=60,
               previous_units={"v1": 2, "v2": 1})
    assert reader.by_warehouse("c1") == {"w-east": {"v2": 4}, "w-west": {"v1": 3}, None: {"v1": 1}}
    assert repo.record_created("c1", "e1", "t1", "store-1", now=210)
    assert repo.set_state("c1", "w1", "cancelled", now=210)
    assert reader.by_warehouse("c1") == {None: {"v1": 1}}
    items = client.query(TableName=name, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                         ExpressionAttributeValues={":p": {"S": "CONN#c1"}, ":s": {"S": "PENDING#"}})["Items"]
    assert not any(attribute.startswith("w#") for item in items for attribute in item)  # released with the units
