"""A variant's count is the mapped location's ``available`` figure when its level was read."""

from __future__ import annotations

from typing import Any

from connector.stores import Stock
from connector.stores.shopify import normalize


def _variant(**item: Any) -> dict[str, Any]:
    return {"id": "gid://shopify/ProductVariant/7", "price": "1.00", "inventoryQuantity": 11,
            "inventoryItem": {"id": "gid://shopify/InventoryItem/8", "tracked": True, **item}}


def test_the_level_at_the_location_wins_over_the_sum() -> None:
    level = {"quantities": [{"name": "available", "quantity": 6}]}
    assert normalize.variant(_variant(inventoryLevel=level), "1", "GRAMS").stock == Stock.counted(6)


def test_an_item_not_stocked_at_the_location_has_none_there() -> None:
    assert normalize.variant(_variant(inventoryLevel=None), "1", "GRAMS").stock == Stock.counted(0)
    assert normalize.available({"quantities": [{"name": "on_hand", "quantity": 3}]}) == 0


def test_without_a_level_the_sum_is_read() -> None:
    assert normalize.variant(_variant(), "1", "GRAMS").stock == Stock.counted(11)
    untracked = _variant(tracked=False, inventoryLevel={"quantities": [{"name": "available", "quantity": 2}]})
    assert normalize.variant(untracked, "1", "GRAMS").stock.unlimited
