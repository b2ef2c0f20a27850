"""Stock and price on a Shopify shop, at the one location mapped to the TikTok warehouse.

- Shopify keeps stock per inventory item (one per variant) and location. The adapter reads and
  writes the ``available`` quantity at one location: the one given to the catalog object, or the
  shop's primary location (``location`` without an id answers it).
- ``set_stock`` is a compare-and-set: it reads the figure, then ``inventorySetQuantities`` with
  ``changeFromQuantity`` set to what it read (mandatory since 2026-04); a figure that moved in
  between is ``CHANGE_FROM_QUANTITY_STALE`` and the write is read and tried again.
- ``adjust_stock`` sends a delta with ``inventoryAdjustQuantities``.
- Both carry ``@idempotent(key:)`` (required since 2026-04): one fresh key per write, kept across
  the transport's retries, so a write whose answer was lost is never applied twice.
- Unlimited stock is an untracked inventory item (``inventoryItemUpdate(tracked: false)``); a
  count on an untracked item tracks it again. An item not stocked at the location is stocked
  there first (``inventoryActivate``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connector.stores.errors import ServerError, StoreNotFound, StoreValidationError
from connector.stores.protocol import Stock
from connector.stores.shopify import config, normalize
from connector.stores.shopify.transport import ShopifyTransport

PRIMARY_LOCATION = """query PrimaryLocation {
  location { id name isActive }
}"""

LOCATION = """query Location($id: ID!) {
  location(id: $id) { id name isActive }
}"""

VARIANT_STOCK = """query VariantStock($id: ID!, $location: ID!) {
  productVariant(id: $id) {
    id
    inventoryItem {
      id tracked
      inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }
    }
  }
}"""

ITEM_PRODUCT = """query ItemProduct($id: ID!) {
  inventoryItem(id: $id) { id variant { id product { id } } }
}"""

VARIANT_PRICE = """query VariantPrice($id: ID!) {
  productVariant(id: $id) { id price }
}"""

SET_QUANTITIES = """mutation SetStock($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}"""

ADJUST_QUANTITIES = """mutation AdjustStock($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}"""

TRACKING = """mutation TrackInventory($id: ID!, $input: InventoryItemInput!) {
  inventoryItemUpdate(id: $id, input: $input) {
    inventoryItem { id tracked }
    userErrors { field message }
  }
}"""

ACTIVATE = """mutation StockAtLocation($item: ID!, $location: ID!, $available: Int) {
  inventoryActivate(inventoryItemId: $item, locationId: $location, available: $available) {
    inventoryLevel { id }
    userErrors { field message }
  }
}"""

STALE = "CHANGE_FROM_QUANTITY_STALE"
SET_ATTEMPTS = 4
"""Compare-and-set rounds before a figure that keeps moving is given up (another writer)."""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def user_errors(payload: Mapping[str, Any], where: str, *, key: str = "userErrors", with_message: bool = True) -> None:
    """Raise :class:`StoreValidationError` for the first user error (its code and field path;
    the message only where it cannot hold buyer details)."""
    errors = payload.get(key)
    if not isinstance(errors, list) or not errors:
        return
    first = _dict(errors[0])
    code = str(first.get("code") or "user_error")[:64]
    field = first.get("field")
    path = ".".join(str(p) for p in field)[:120] if isinstance(field, list) else ""
    message = f"{where}: {code}" + (f" at {path}" if path else "")
    if with_message and isinstance(first.get("message"), str):
        message += f" ({first['message'][:160]})"
    raise StoreValidationError(message, platform=config.PLATFORM, platform_code=code)


class ShopifyStock:
    """Stock writes and price reads for one shop at one location."""

    def __init__(self, api: ShopifyTransport, location_id: str | None = None) -> None:
        self._api = api
        self._location = normalize.gid("Location", location_id) if location_id is not None else None

    @property
    def location_gid(self) -> str:
        """The mapped location (the shop's primary one unless set), read once."""
        if self._location is None:
            data = self._api.execute(PRIMARY_LOCATION)
            found = _dict(data.get("location")).get("id")
            if not isinstance(found, str):
                raise ServerError("shopify PrimaryLocation: the shop has no location", platform=config.PLATFORM)
            self._location = found
        return self._location

    def location(self) -> dict[str, Any]:
        """The mapped location: ``{"id", "name", "active"}`` (its id as a plain number)."""
        data = self._api.execute(LOCATION, {"id": self.location_gid})
        found = data.get("location")
        if not isinstance(found, dict):
            raise StoreNotFound(f"shopify location {normalize.number(self.location_gid)} not found",
                                platform=config.PLATFORM)
        return {"id": normalize.number(found.get("id")), "name": str(found.get("name") or ""),
                "active": bool(found.get("isActive"))}

    def _read(self, stock_key: str) -> tuple[str, bool, int | None]:
        """(inventory item GID, tracked, available at the location or ``None`` when not stocked there)."""
        data = self._api.execute(VARIANT_STOCK, {"id": normalize.gid("ProductVariant", stock_key),
                                                 "location": self.location_gid})
        variant = data.get("productVariant")
        if not isinstance(variant, dict):
            raise StoreNotFound(f"shopify variant {normalize.number(stock_key)} not found", platform=config.PLATFORM)
        item = _dict(variant.get("inventoryItem"))
        item_id = item.get("id")
        if not isinstance(item_id, str):
            raise ServerError(f"shopify variant {stock_key}: no inventory item", platform=config.PLATFORM)
        level = item.get("inventoryLevel")
        available = None
        if isinstance(level, dict):
            for quantity in level.get("quantities") or []:
                if _dict(quantity).get("name") == "available" and isinstance(quantity.get("quantity"), int):
                    available = int(quantity["quantity"])
            available = available if available is not None else 0
        return item_id, bool(item.get("tracked", True)), available

    def _track(self, item_id: str, tracked: bool) -> None:
        data = self._api.execute(TRACKING, {"id": item_id, "input": {"tracked": tracked}})
        user_errors(_dict(data.get("inventoryItemUpdate")), "shopify TrackInventory")

    def _activate(self, item_id: str, available: int) -> None:
        data = self._api.execute(ACTIVATE, {"item": item_id, "location": self.location_gid, "available": available})
        user_errors(_dict(data.get("inventoryActivate")), "shopify StockAtLocation")

    def set_stock(self, stock_key: str, stock: Stock) -> None:
        item_id, tracked, available = self._read(stock_key)
        if stock.unlimited or not stock.tracked:
            if tracked:
                self._track(item_id, False)
            return
        if stock.quantity is None or stock.quantity < 0:
            raise StoreValidationError(f"shopify stock for {stock_key}: a count of 0 or more is needed",
                                       platform=config.PLATFORM)
        if not tracked:
            self._track(item_id, True)
        if available is None:
            self._activate(item_id, stock.quantity)
            return
        for _attempt in range(SET_ATTEMPTS):
            if available == stock.quantity:
                return
            variables = {"key": str(uuid.uuid4()), "input": {
                "name": "available", "reason": "correction",
                "quantities": [{"inventoryItemId": item_id, "locationId": self.location_gid,
                                "quantity": stock.quantity, "changeFromQuantity": available}]}}
            payload = _dict(self._api.execute(SET_QUANTITIES, variables).get("inventorySetQuantities"))
            codes = {_dict(e).get("code") for e in payload.get("userErrors") or []}
            if STALE not in codes:
                user_errors(payload, "shopify SetStock")
                return
            _, _, available = self._read(stock_key)
            if available is None:
                raise StoreValidationError(f"shopify stock for {stock_key}: no longer stocked at the location",
                                           platform=config.PLATFORM, platform_code="ITEM_NOT_STOCKED_AT_LOCATION")
        raise StoreValidationError(f"shopify stock for {stock_key}: the figure kept changing during the write",
                                   platform=config.PLATFORM, platform_code=STALE)

    def adjust_stock(self, stock_key: str, delta: int) -> None:
        if delta == 0:
            return
        item_id, tracked, available = self._read(stock_key)
        if not tracked:
            return  # unlimited stock has no count to move
        if available is None:
            self._activate(item_id, 0)
        variables = {"key": str(uuid.uuid4()), "input": {
            "name": "available", "reason": "correction",
            "changes": [{"inventoryItemId": item_id, "locationId": self.location_gid, "delta": delta}]}}
        payload = _dict(self._api.execute(ADJUST_QUANTITIES, variables).get("inventoryAdjustQuantities"))
        user_errors(payload, "shopify AdjustStock")

    def available(self, stock_key: str) -> int | None:
        """The count at the location (``None``: untracked, or not stocked there)."""
        _, tracked, available = self._read(stock_key)
        return available if tracked else None

    def product_of_item(self, item_id: str, location_id: str | None) -> str | None:
        """The product (a plain number) of an inventory item whose level changed at
        ``location_id``; ``None`` when that is not the mapped location (nothing is read then)."""
        if location_id is not None and normalize.gid("Location", location_id) != self.location_gid:
            return None
        data = self._api.execute(ITEM_PRODUCT, {"id": normalize.gid("InventoryItem", item_id)})
        variant = _dict(_dict(data.get("inventoryItem")).get("variant"))
        product_id = _dict(variant.get("product")).get("id")
        if not isinstance(product_id, str):
            raise StoreNotFound(f"shopify inventory item {normalize.number(item_id)} has no product",
                                platform=config.PLATFORM)
        return normalize.number(product_id, "product id")

    def get_price(self, variant_key: str) -> Decimal:
        data = self._api.execute(VARIANT_PRICE, {"id": normalize.gid("ProductVariant", variant_key)})
        variant = data.get("productVariant")
        if not isinstance(variant, dict):
            raise StoreNotFound(f"shopify variant {normalize.number(variant_key)} not found", platform=config.PLATFORM)
        price = variant.get("price")
        try:
            return Decimal(str(price))
        except ArithmeticError:
            raise ServerError(f"shopify variant {variant_key}: the price is not a number",
                              platform=config.PLATFORM) from None
