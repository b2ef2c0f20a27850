"""Shopify's GraphQL shapes -> the common store model.

- Ids: the model keeps the number at the end of a GID (``gid://shopify/Product/123`` -> ``123``),
  as webhooks name resources; :func:`gid` builds the GID back for API calls.
- A variant's ``key`` and ``stock_key`` are its own id: Shopify keeps stock per variant (on its
  inventory item, per location), never on the product.
- ``vendor`` is the brand, ``barcode`` the GTIN, ``descriptionHtml`` the description; a product
  without options has one ``Title`` / ``Default Title`` option, which the model leaves out.
- Untracked inventory sells without a count: unlimited stock. A tracked variant's count is the
  ``available`` figure at the location mapped to the TikTok warehouse (``inventoryQuantity``, the
  sum over every location, only when no level was read). Weight lives on the inventory item
  with its own unit; it is converted to the shop's unit.
- Money comes as decimal strings and stays Decimal.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.stores.errors import StoreValidationError
from connector.stores.protocol import (
    Stock,
    StoreImage,
    StoreOption,
    StoreProduct,
    StoreProfile,
    StoreVariant,
)
from connector.stores.shopify import config

WEIGHT_SYMBOLS = {"KILOGRAMS": "kg", "GRAMS": "g", "POUNDS": "lb", "OUNCES": "oz"}
GRAMS_PER = {
    "KILOGRAMS": Decimal("1000"),
    "GRAMS": Decimal("1"),
    "POUNDS": Decimal("453.59237"),
    "OUNCES": Decimal("28.349523125"),
}
DIMENSION_SYMBOLS = {"METRIC_SYSTEM": "cm", "IMPERIAL_SYSTEM": "in"}
DEFAULT_OPTION = ("Title", "Default Title")


def number(value: object, what: str = "id") -> str:
    """The numeric id at the end of a GID (a bare number is accepted as is)."""
    text = str(value or "")
    tail = text.rsplit("/", 1)[-1] if text.startswith("gid://shopify/") else text
    if not (tail.isascii() and tail.isdigit() and len(tail) <= 30):
        raise StoreValidationError(f"not a Shopify {what}: {text[:80]!r}", platform=config.PLATFORM)
    return tail


def gid(kind: str, value: str) -> str:
    return f"gid://shopify/{kind}/{number(value, kind)}"


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _when(value: object) -> datetime:
    if not isinstance(value, str):
        raise StoreValidationError("shopify product without updatedAt", platform=config.PLATFORM)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def when(value: object) -> datetime:
    """A Shopify DateTime as a timezone-aware UTC datetime."""
    return _when(value)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _nodes(value: object) -> list[dict[str, Any]]:
    nodes = value.get("nodes") if isinstance(value, dict) else None
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def profile(shop: dict[str, Any]) -> StoreProfile:
    domain = str(shop.get("myshopifyDomain") or "")
    return StoreProfile(
        store_id=domain,
        name=str(shop.get("name") or domain),
        currency=str(shop.get("currencyCode") or ""),
        weight_unit=WEIGHT_SYMBOLS.get(str(shop.get("weightUnit")), "kg"),
        dimension_unit=DIMENSION_SYMBOLS.get(str(shop.get("unitSystem")), "cm"),
        timezone=shop.get("ianaTimezone") if isinstance(shop.get("ianaTimezone"), str) else None,
        url=shop.get("url") if isinstance(shop.get("url"), str) else None,
    )


def weight(measurement: object, shop_unit: str) -> Decimal | None:
    """A variant's weight in the shop's unit (``shop_unit``: KILOGRAMS, GRAMS, POUNDS, OUNCES)."""
    found = measurement.get("weight") if isinstance(measurement, dict) else None
    if not isinstance(found, dict):
        return None
    value = _decimal(found.get("value"))
    unit = str(found.get("unit") or "")
    if value is None or unit not in GRAMS_PER:
        return None
    if unit == shop_unit or shop_unit not in GRAMS_PER:
        return value
    return (value * GRAMS_PER[unit] / GRAMS_PER[shop_unit]).quantize(Decimal("0.001")).normalize()


def available(level: object) -> int:
    """The ``available`` quantity of an inventory level (0 when the item is not stocked there)."""
    for found in _list(level.get("quantities") if isinstance(level, dict) else None):
        if isinstance(found, dict) and found.get("name") == "available" and isinstance(found.get("quantity"), int):
            return int(found["quantity"])
    return 0


def variant(node: dict[str, Any], product_id: str, shop_unit: str) -> StoreVariant:
    key = number(node.get("id"), "variant id")
    found_item = node.get("inventoryItem")
    item: dict[str, Any] = found_item if isinstance(found_item, dict) else {}
    tracked = bool(item.get("tracked", True))
    quantity = node.get("inventoryQuantity")  # every location, when no location was asked
    if "inventoryLevel" in item:  # the mapped location's figure (no level: not stocked there)
        quantity = available(item.get("inventoryLevel"))
    stock = Stock.counted(int(quantity or 0)) if tracked else Stock.unlimited_stock()
    price = _decimal(node.get("price"))
    if price is None:
        raise StoreValidationError(f"shopify variant {key} without a price", platform=config.PLATFORM)
    options = {
        str(o.get("name")): str(o.get("value"))
        for o in _list(node.get("selectedOptions"))
        if isinstance(o, dict) and (o.get("name"), o.get("value")) != DEFAULT_OPTION
    }
    sku = node.get("sku")
    barcode = node.get("barcode")
    return StoreVariant(
        key=key,
        product_id=product_id,
        stock_key=key,
        sku=sku.strip() or None if isinstance(sku, str) else None,
        gtin=barcode.strip() or None if isinstance(barcode, str) else None,
        price=price,
        compare_at=_decimal(node.get("compareAtPrice")),
        stock=stock,
        weight=weight(item.get("measurement"), shop_unit),
        option_values=options,
    )


def type_category(product_type: object) -> str | None:
    """The store category of a product: its product type (one per product, the merchant's own
    classification), as ``type-`` and the type in lower-case letters and digits joined by hyphens,
    safe in a URL path and apart from collection ids (numbers). ``None`` without a type."""
    if not isinstance(product_type, str):
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", product_type.lower()).strip("-")[:80]
    return f"type-{slug}" if slug else None


def product(node: dict[str, Any], variant_nodes: list[dict[str, Any]], shop_unit: str) -> StoreProduct:
    """One product; ``variant_nodes`` are all its variants (the first page and any later ones)."""
    product_id = number(node.get("id"), "product id")
    images: list[StoreImage] = []
    for media in _nodes(node.get("media")):
        image = media.get("image")
        if isinstance(image, dict) and isinstance(image.get("url"), str):
            images.append(StoreImage(
                url=image["url"],
                is_main=not images,
                width=image.get("width") if isinstance(image.get("width"), int) else None,
                height=image.get("height") if isinstance(image.get("height"), int) else None,
            ))
    raw_options = node.get("options")
    options = tuple(
        StoreOption(name=str(o.get("name")), values=tuple(str(v) for v in _list(o.get("values"))))
        for o in _list(raw_options)
        if isinstance(o, dict) and not (o.get("name") == DEFAULT_OPTION[0] and o.get("values") == [DEFAULT_OPTION[1]])
    )
    vendor = node.get("vendor")
    product_type = node.get("productType")
    category = type_category(product_type)
    return StoreProduct(
        ext_id=product_id,
        title=str(node.get("title") or ""),
        description_html=str(node.get("descriptionHtml") or ""),
        brand=vendor.strip() or None if isinstance(vendor, str) else None,
        category_ids=(category,) if category else (),
        default_category_id=category,
        images=tuple(images),
        enabled=node.get("status") == "ACTIVE",
        updated_at=_when(node.get("updatedAt")),
        attributes={"product_type": product_type} if isinstance(product_type, str) and product_type else {},
        options=options,
        variants=tuple(variant(v, product_id, shop_unit) for v in variant_nodes),
    )
