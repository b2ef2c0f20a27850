"""The repository base (connector.dynamo.Repository) against moto and DynamoDB Local: every
conditional write answers True when applied and False when its condition did not hold, and
writes nothing then; other errors go through."""

from __future__ import annotations

from typing import Any

import pytest

from connector import dynamo

pytestmark = pytest.mark.dynamodb_local


class Items(dynamo.Repository):
    """A repository of test items, using the base's helpers the way real repositories do."""

    def key(self, name: str) -> dict[str, str]:
        return {"pk": f"TEST#{name}", "sk": "META"}

    def create(self, name: str, value: int) -> bool:
        return self._put_if_absent({**self.key(name), "value": value})

    def get(self, name: str) -> dict[str, Any] | None:
        return self._read(self.key(name))

    def raise_if_below(self, name: str, below: int, to: int) -> bool:
        return self._update_if(self.key(name), "SET #v = :to", "#v < :below", names={"#v": "value"},
                               values={":to": to, ":below": below})

    def add(self, name: str, amount: int) -> dict[str, Any] | None:
        return self._updated_if(self.key(name), "ADD #v :n", dynamo.PRESENT, names={"#v": "value"},
                                values={":n": amount})

    def remove_if(self, name: str, value: int) -> bool:
        return self._delete_if(self.key(name), "#v = :v", names={"#v": "value"}, values={":v": value})

    def take(self, name: str, value: int) -> dict[str, Any] | None:
        return self._deleted_if(self.key(name), "#v = :v", names={"#v": "value"}, values={":v": value})

    def both(self, first: str, second: str) -> bool:
        return self._transact_if([
            {"Put": {"TableName": self.table_name, "Item": dynamo.to_item({**self.key(n), "value": 0}),
                     "ConditionExpression": dynamo.ABSENT}} for n in (first, second)])


def test_put_if_absent_writes_once(any_table: tuple[str, Any]) -> None:
    items = Items(*any_table)
    assert items.create("a", 1) is True
    assert items.create("a", 2) is False
    assert items.get("a") == {"pk": "TEST#a", "sk": "META", "value": 1}
    assert items.get("missing") is None


def test_update_if_applies_only_when_its_condition_holds(any_table: tuple[str, Any]) -> None:
    items = Items(*any_table)
    items.create("b", 5)
    assert items.raise_if_below("b", 3, 9) is False
    assert items.get("b")["value"] == 5
    assert items.raise_if_below("b", 6, 9) is True
    assert items.get("b")["value"] == 9


def test_updated_if_answers_with_the_new_item_or_none(any_table: tuple[str, Any]) -> None:
    items = Items(*any_table)
    assert items.add("c", 1) is None  # no item: the PRESENT condition fails, nothing is created
    assert items.get("c") is None
    items.create("c", 1)
    assert items.add("c", 2) == {"pk": "TEST#c", "sk": "META", "value": 3}


def test_conditional_deletes(any_table: tuple[str, Any]) -> None:
    items = Items(*any_table)
    items.create("d", 4)
    assert items.remove_if("d", 5) is False
    assert items.get("d") is not None
    assert items.take("d", 5) is None
    assert items.take("d", 4) == {"pk": "TEST#d", "sk": "META", "value": 4}
    assert items.get("d") is None


def test_a_transaction_writes_all_or_nothing(any_table: tuple[str, Any]) -> None:
    items = Items(*any_table)
    items.create("f", 1)
    assert items.both("e", "f") is False
    assert items.get("e") is None
    assert items.both("e", "g") is True
    assert items.get("e") is not None and items.get("g") is not None


def test_put_all_writes_every_item_in_batches(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    items = Items(name, client)
    items._put_all([{**items.key(f"many{i}"), "value": i} for i in range(60)])
    assert [items.get(f"many{i}")["value"] for i in (0, 24, 25, 59)] == [0, 24, 25, 59]


def test_errors_other_than_a_failed_condition_go_through(any_table: tuple[str, Any]) -> None:
    _name, client = any_table
    missing_table = Items("no-such-table", client)
    with pytest.raises(Exception) as raised:
        missing_table.create("x", 1)
    assert not dynamo.is_condition_failure(raised.value)


def test_a_given_client_is_the_one_used(any_table: tuple[str, Any]) -> None:
    name, client = any_table
    items = Items(name, client)
    assert items.client is client and items.table_name == name


def test_many_items_read_in_one_batch_in_the_keys_order(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    items = Items(table, client)
    items.create("many-a", 1)
    items.create("many-c", 3)
    got = items._read_many([items.key("many-c"), items.key("many-b"), items.key("many-a")])
    assert [None if g is None else g["value"] for g in got] == [3, None, 1]


class Throttling:
    """A client whose batch read leaves every key unprocessed, as DynamoDB does when throttled."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.batches = 0

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        self.batches += 1
        return {"Responses": {}, "UnprocessedKeys": params["RequestItems"]}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_keys_left_unprocessed_are_read_one_by_one(any_table: tuple[str, Any]) -> None:
    table, client = any_table
    Items(table, client).create("left-a", 7)
    throttled = Throttling(client)
    items = Items(table, throttled)  # type: ignore[arg-type]
    got = items._read_many([items.key("left-a"), items.key("left-b")])
    assert got[0] is not None and got[0]["value"] == 7 and got[1] is None
    assert throttled.batches == 3  # asked again twice before reading them one by one
