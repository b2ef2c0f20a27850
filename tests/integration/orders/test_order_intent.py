"""The order record's create-intent writes (a store order creation whose outcome is unknown)
against moto and DynamoDB Local: the conditions that keep two invocations from both posting."""

from __future__ import annotations

from typing import Any

import pytest

from connector.orders.records import OrderRepository
from tests.integration.orders.test_order_records import _record

pytestmark = pytest.mark.dynamodb_local


def test_one_intent_at_a_time_and_it_survives_a_new_claim(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = OrderRepository(name, client)
    repo.claim(_record("i1"), "t1", now=200, lease_s=60)
    assert repo.record_intent("c1", "i1", "t1", "a", now=201)
    assert not repo.record_intent("c1", "i1", "t1", "b", now=202)  # an overlapping invocation: no second POST
    assert not repo.record_intent("c1", "i1", "t2", "b", now=202)  # not the claim's owner
    assert repo.record_ambiguous("c1", "i1", "a", now=205)
    assert repo.record_settle_miss("c1", "i1", "a", now=210) == 1
    assert repo.record_settle_miss("c1", "i1", "b", now=210) is None
    # The lease runs out and another relay claims: the open intent stays (it must settle too).
    taken = repo.claim(_record("i1", attempts=0), "t2", now=300, lease_s=60)
    assert taken.claim_token == "t2" and taken.store_intent == "a" and taken.settle_from == 205
    assert taken.settle_misses == 1
    assert not repo.record_intent("c1", "i1", "t2", "c", now=301)
    assert repo.record_intent("c1", "i1", "t2", "c", now=302, replaces="a")  # after the window
    got = repo.get("c1", "i1")
    assert got is not None and got.store_intent == "c" and got.settle_from is None and got.settle_misses == 0
    assert repo.record_created("c1", "i1", "t2", "store-1", now=310)
    done = repo.get("c1", "i1")
    assert done is not None and done.store_intent is None and done.store_intent_at is None


def test_clear_intent_and_duplicates_mark(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    repo = OrderRepository(name, client)
    repo.claim(_record("i2"), "t1", now=200, lease_s=60)
    assert repo.record_intent("c1", "i2", "t1", "a", now=201)
    assert not repo.clear_intent("c1", "i2", "other", now=202)
    assert repo.clear_intent("c1", "i2", "a", now=202)
    assert repo.record_intent("c1", "i2", "t1", "b", now=203)
    assert repo.record_created("c1", "i2", "t1", "store-2", now=204)
    assert repo.record_duplicates("c1", "i2", "store-1", ["store-2"], now=205)
    assert repo.record_duplicates("c1", "i2", "store-1", ["store-2", "store-3"], now=206)
    got = repo.get("c1", "i2")
    assert got is not None and got.store_order_id == "store-1"
    assert got.duplicate_store_orders == ("store-2", "store-3")
