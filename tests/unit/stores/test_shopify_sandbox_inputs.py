"""The sandbox Shopify checks mutation inputs as Shopify does: unknown fields, missing required
ones, wrong scalars and enum values are INVALID_VARIABLE errors naming the path."""

from __future__ import annotations

from typing import Any

import pytest

from local.sandbox_shopify import inputs
from local.sandbox_shopify.graphql import QueryError

GOOD = {"name": "available", "reason": "correction", "quantities": [
    {"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": "gid://shopify/Location/2", "quantity": 3,
     "changeFromQuantity": None}]}


def _refused(args: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    with pytest.raises(QueryError) as refused:
        inputs.check(args, types)
    return refused.value.error


def test_a_valid_input_passes() -> None:
    inputs.check({"input": GOOD}, {"input": "InventorySetQuantitiesInput!"})
    inputs.check({"order": {"lineItems": [{"variantId": "gid://shopify/ProductVariant/1", "quantity": 1}],
                            "currency": "USD"},
                  "options": {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY"}},
                 {"order": "OrderCreateOrderInput!", "options": "OrderCreateOptionsInput"})


@pytest.mark.parametrize(("value", "path", "explanation"), [
    ({**GOOD, "ignoreCompareQuantity": True}, ["ignoreCompareQuantity"], "Field is not defined"),
    ({**GOOD, "quantities": [{**GOOD["quantities"][0], "extra": 1}]}, ["quantities", 0, "extra"],
     "Field is not defined"),
    ({k: v for k, v in GOOD.items() if k != "reason"}, ["reason"], "Expected value to not be null"),
    ({**GOOD, "quantities": [{**GOOD["quantities"][0], "quantity": "3"}]}, ["quantities", 0, "quantity"],
     "Could not coerce"),
])
def test_bad_inventory_inputs(value: dict[str, Any], path: list[Any], explanation: str) -> None:
    error = _refused({"input": value}, {"input": "InventorySetQuantitiesInput!"})
    assert error["extensions"]["code"] == "INVALID_VARIABLE"
    assert error["extensions"]["problems"][0]["path"] == path
    assert explanation in error["message"]


def test_enum_values_and_money_are_checked() -> None:
    error = _refused({"options": {"inventoryBehaviour": "DECREMENT"}}, {"options": "OrderCreateOptionsInput"})
    assert error["extensions"]["problems"][0]["path"] == ["inventoryBehaviour"]
    money = {"lineItems": [{"quantity": 1, "title": "x", "priceSet": {"shopMoney": {"amount": "1e3",
                                                                                     "currencyCode": "USD"}}}]}
    error = _refused({"order": money}, {"order": "OrderCreateOrderInput!"})
    assert error["extensions"]["problems"][0]["path"] == ["lineItems", 0, "priceSet", "shopMoney", "amount"]
    error = _refused({"order": {"currency": "usd"}}, {"order": "OrderCreateOrderInput!"})
    assert error["extensions"]["problems"][0]["path"] == ["currency"]
