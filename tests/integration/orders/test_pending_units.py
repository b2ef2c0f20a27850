"""Pending units live in one compact item per store variant, written in the same transaction as
the order record's transitions: held from the first sight, released on every way out (created,
cancelled, skipped, given up), re-held when the lines change (against moto and DynamoDB Local)."""

from __future__ import annotations

from typing import Any

import pytest

from connector.orders.records import OrderRepository
from connector.pending import PendingUnits
from tests.integration.orders.test_order_records import _record

pytestmark = pytest.mark.dynamodb_local


def pending_items(client: Any, name: str) -> list[dict[str, Any]]:
    got = client.query(TableName=name, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                       ExpressionAttributeValues={":p": {"S": "CONN#c1"}, ":s": {"S": "PENDING#"}})
    return list(got["Items"])


def test_held_per_variant_and_released_on_every_way_out(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo, reader = OrderRepository(name, client), PendingUnits(name, client)
    repo.claim(_record("p1", pending_units={"v1": 2, "v2": 1}), "t1", now=200, lease_s=60)
    repo.claim(_record("p2", pending_units={"v1": 3}), "t2", now=200, lease_s=60)
    repo.claim(_record("p3", pending_units={"v2": 4}), "t3", now=200, lease_s=60)
    repo.claim(_record("p4", pending_units={"v1": 1}), "t4", now=200, lease_s=60)
    assert repo.pending_units("c1") == {"v1": 6, "v2": 5}
    assert len(pending_items(client, name)) == 2  # one compact item per variant, not per order
    assert reader.for_variants("c1", ["v1", "v3"]) == {"v1": 6}
    # A retry of the same claim writes the same figures again: nothing doubles.
    repo.claim(_record("p1", pending_units={"v1": 2, "v2": 1}, attempts=0), "t1", now=201, lease_s=60,
               previous_units={"v1": 2, "v2": 1})
    assert repo.pending_units("c1") == {"v1": 6, "v2": 5}
    # Every way out releases: created, cancelled, given up, and a claim whose lines changed.
    assert repo.record_created("c1", "p1", "t1", "store-1", now=210)
    assert repo.set_state("c1", "p2", "cancelled", now=210)
    assert repo.record_blocked("c1", "p3", "t3", "gone", now=210, give_up=True)
    repo.claim(_record("p4", pending_units={"v3": 1}, attempts=0), "t4", now=211, lease_s=60,
               previous_units={"v1": 1})
    assert repo.pending_units("c1") == {"v3": 1}
    assert repo.release("c1", "p4", "t4", "skipped", now=212)
    assert repo.pending_units("c1") == {}
    assert reader.for_variants("c1", ["v1", "v2", "v3"]) == {}


def test_a_blocked_order_still_retried_keeps_its_units(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = OrderRepository(name, client)
    repo.claim(_record("p5", pending_units={"v9": 2}), "t1", now=200, lease_s=60)
    assert repo.record_blocked("c1", "p5", "t1", "unlinked", now=201, give_up=False)
    assert repo.pending_units("c1") == {"v9": 2}
    assert not repo.record_created("c1", "p5", "t-other", "store-9", now=202)  # refused: nothing released
    assert repo.pending_units("c1") == {"v9": 2}
