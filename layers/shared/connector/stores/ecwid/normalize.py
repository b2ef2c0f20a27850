"""Ecwid JSON -> the common model, and the common model -> Ecwid JSON. Pure functions.

The rules that bite are settled here, once:

- A product without combinations is itself the single variant (key ``"<productId>"``).
  Options whose choices only change the price (no combinations) make no variant.
- A product with combinations sells only its combinations (key ``"<productId>:<combinationId>"``).
  A combination omits ``sku``, ``price``, ``weight`` and ``quantity`` when it inherits them
  from the product; with no SKU of its own its stock is the product's too, so its
  ``stock_key`` is the product's key and stock writes go to the product.
- ``quantity`` is absent when stock is unlimited: that is ``Stock(unlimited=True)``.
- UPC (GTIN) and brand are attributes of type ``UPC`` and ``BRAND``; a combination's own UPC
  attribute wins over the product's.
- Dates are UNIX seconds; money arrives as Decimal (see ``transport.decode_json``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.stores.ecwid import config
from connector.stores.ecwid.dates import from_unix
from connector.stores.errors import StoreValidationError
from connector.stores.protocol import (
    DeletedProduct,
    Dimensions,
    FulfilmentStatus,
    OrderLine,
    OrderTotals,
    PaymentStatus,
    ShipTo,
    Stock,
    StoreCategory,
    StoreImage,
    StoreOption,
    StoreOrder,
    StoreOrderDraft,
    StoreProduct,
    StoreProfile,
    StoreVariant,
)

Json = Mapping[str, Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# ---------------------------------------------------------------------------------------------
# small readers (Ecwid omits fields freely)
# ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _positive(value: Any) -> Decimal | None:
    number = _decimal(value)
    return number if number is not None and number > 0 else None


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _id(value: Any) -> str | None:
    """Ids are strings in the common model; 0 means "none" in Ecwid."""
    if value is None or value in ("", 0, "0"):
        return None
    return str(value)


def _own_or(own: Decimal | None, inherited: Decimal) -> Decimal:
    return inherited if own is None else own


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _map(value: Any) -> Json:
    return value if isinstance(value, Mapping) else {}


# ---------------------------------------------------------------------------------------------
# keys
# ---------------------------------------------------------------------------------------------


def variant_key(product_id: Any, combination_id: Any = None) -> str:
    combination = _id(combination_id)
    return f"{product_id}:{combination}" if combination else str(product_id)


def split_key(key: str) -> tuple[int, int | None]:
    """``"123"`` -> (123, None); ``"123:456"`` -> (123, 456)."""
    product, _, combination = key.partition(":")
    try:
        return int(product), (int(combination) if combination else None)
    except ValueError:
        raise StoreValidationError(f"not an Ecwid variant key: {key!r}", platform=config.PLATFORM) from None


# ---------------------------------------------------------------------------------------------
# catalog
# ---------------------------------------------------------------------------------------------


def stock_of(data: Json) -> Stock:
    if data.get("unlimited") is True:
        return Stock.unlimited_stock()
    return Stock.counted(_int(data.get("quantity")))


def _attribute_of_type(attributes: Sequence[Any], kind: str) -> str | None:
    for attribute in attributes:
        entry = _map(attribute)
        if str(entry.get("type", "")).upper() == kind:
            value = _text(entry.get("value"))
            if value:
                return value
    return None


def _dimensions(data: Json) -> Dimensions | None:
    raw = _map(data.get("dimensions"))
    length, width, height = (_positive(raw.get(k)) for k in ("length", "width", "height"))
    if length is None or width is None or height is None:
        return None
    return Dimensions(length=length, width=width, height=height)


def _images(data: Json) -> tuple[StoreImage, ...]:
    original = _map(data.get("originalImage"))
    main_width = _int(original.get("width"), 0) or None
    main_height = _int(original.get("height"), 0) or None
    entries = [_map(x) for x in _list(_map(data.get("media")).get("images"))]
    entries.sort(key=lambda e: (not e.get("isMain"), _int(e.get("orderBy"))))
    images: list[StoreImage] = []
    for index, entry in enumerate(entries):
        url = _text(entry.get("imageOriginalUrl")) or _text(entry.get("image1500pxUrl"))
        if not url:
            continue
        is_main = bool(entry.get("isMain")) or (index == 0 and not any(e.get("isMain") for e in entries))
        images.append(
            StoreImage(
                url=url,
                is_main=is_main,
                width=main_width if is_main else None,
                height=main_height if is_main else None,
            )
        )
    if not images:
        url = _text(original.get("url")) or _text(data.get("originalImageUrl")) or _text(data.get("imageUrl"))
        if url:
            images.append(StoreImage(url=url, is_main=True, width=main_width, height=main_height))
    return tuple(images)


def _options(data: Json, combinations: list[Json]) -> tuple[StoreOption, ...]:
    """Options that tell combinations apart, in the product's order, with the values in use."""
    used: dict[str, list[str]] = {}
    for combination in combinations:
        for choice in _list(combination.get("options")):
            entry = _map(choice)
            name, value = _text(entry.get("name")), _text(entry.get("value"))
            if name and value:
                values = used.setdefault(name, [])
                if value not in values:
                    values.append(value)
    ordered: list[StoreOption] = []
    for option in _list(data.get("options")):
        name = _text(_map(option).get("name"))
        if name and name in used:
            declared = [_text(_map(c).get("text")) for c in _list(_map(option).get("choices"))]
            in_use = [v for v in declared if v and v in used[name]]
            extra = [v for v in used[name] if v not in in_use]
            ordered.append(StoreOption(name=name, values=tuple(in_use + extra)))
            del used[name]
    ordered.extend(StoreOption(name=n, values=tuple(v)) for n, v in used.items())
    return tuple(ordered)


def product(data: Json, combinations: Sequence[Json] | None = None) -> StoreProduct:
    """One Ecwid product (``combinations`` when fetched separately, else the inline list)."""
    product_id = _id(data.get("id"))
    if product_id is None:
        raise StoreValidationError("Ecwid product without an id", platform=config.PLATFORM)
    combos = [_map(c) for c in (combinations if combinations is not None else _list(data.get("combinations")))]
    attributes = _list(data.get("attributes"))
    price = _decimal(data.get("price")) or Decimal("0")
    compare_at = _positive(data.get("compareToPrice"))
    weight = _positive(data.get("weight"))
    dimensions = _dimensions(data)
    product_sku = _text(data.get("sku"))
    product_stock = stock_of(data)
    product_key = variant_key(product_id)
    product_gtin = _attribute_of_type(attributes, "UPC")

    variants: list[StoreVariant] = []
    for combo in combos:
        combination_id = _id(combo.get("id"))
        if combination_id is None:
            continue
        own_sku = _text(combo.get("sku"))
        # Stock is the product's when the combination has no SKU of its own, or when it
        # omits quantity without being unlimited (both mean "inherited").
        inherits_stock = own_sku is None or ("quantity" not in combo and combo.get("unlimited") is not True)
        key = variant_key(product_id, combination_id)
        variants.append(
            StoreVariant(
                key=key,
                product_id=product_id,
                stock_key=product_key if inherits_stock else key,
                sku=own_sku or product_sku,
                gtin=_attribute_of_type(_list(combo.get("attributes")), "UPC") or product_gtin,
                price=_own_or(_decimal(combo.get("price")), price),
                compare_at=_positive(combo.get("compareToPrice")) or compare_at,
                stock=product_stock if inherits_stock else stock_of(combo),
                weight=_positive(combo.get("weight")) or weight,
                dimensions=dimensions,
                option_values={
                    str(_map(o).get("name")): str(_map(o).get("value"))
                    for o in _list(combo.get("options"))
                    if _map(o).get("name") is not None
                },
                image_url=_text(combo.get("originalImageUrl")) or _text(combo.get("imageUrl")),
            )
        )
    if not variants:
        variants.append(
            StoreVariant(
                key=product_key,
                product_id=product_id,
                stock_key=product_key,
                sku=product_sku,
                gtin=product_gtin,
                price=price,
                compare_at=compare_at,
                stock=product_stock,
                weight=weight,
                dimensions=dimensions,
            )
        )

    return StoreProduct(
        ext_id=product_id,
        title=_text(data.get("name")) or "",
        description_html=str(data.get("description") or ""),
        sku=product_sku,
        brand=_attribute_of_type(attributes, "BRAND"),
        category_ids=tuple(c for c in (_id(x) for x in _list(data.get("categoryIds"))) if c),
        default_category_id=_id(data.get("defaultCategoryId")),
        # class 0 is the store's "General" class: a real value, unlike other zero ids
        product_type_id=str(data["productClassId"]) if data.get("productClassId") is not None else None,
        images=_images(data),
        enabled=data.get("enabled") is not False,
        updated_at=from_unix(data.get("updateTimestamp")) or from_unix(data.get("updated")) or _EPOCH,
        attributes={
            str(_map(a).get("name")): str(_map(a).get("value"))
            for a in attributes
            if _map(a).get("name") and _text(_map(a).get("value"))
        },
        options=_options(data, combos) if variants[0].key != product_key else (),
        variants=tuple(variants),
    )


def deleted_product(data: Json) -> DeletedProduct:
    return DeletedProduct(ext_id=str(data.get("id")), deleted_at=from_unix(data.get("date")) or _EPOCH)


def category(data: Json) -> StoreCategory:
    return StoreCategory(
        ext_id=str(data.get("id")),
        name=_text(data.get("name")) or "",
        parent_id=_id(data.get("parentId")),
        enabled=data.get("enabled") is not False,
        product_ids=tuple(str(x) for x in _list(data.get("productIds"))),
    )


def profile(data: Json, store_id: str) -> StoreProfile:
    general, settings, units = (
        _map(data.get("generalInfo")),
        _map(data.get("settings")),
        _map(data.get("formatsAndUnits")),
    )
    weight_unit = config.WEIGHT_UNITS.get(str(units.get("weightUnit", "")).upper(), "kg")
    dimension_raw = str(units.get("dimensionsUnit", "")).upper()
    # Older profiles have no dimensionsUnit: stores weighing in pounds or ounces measure in inches.
    dimension_unit = config.DIMENSION_UNITS.get(dimension_raw) or ("in" if weight_unit in ("lb", "oz") else "cm")
    return StoreProfile(
        store_id=str(general.get("storeId") or store_id),
        name=_text(settings.get("storeName")) or _text(_map(data.get("account")).get("accountName")) or "",
        currency=_text(units.get("currency")) or "USD",
        weight_unit=weight_unit,
        dimension_unit=dimension_unit,
        timezone=_text(units.get("timezone")),
        url=_text(general.get("storeUrl")),
    )


# ---------------------------------------------------------------------------------------------
# orders
# ---------------------------------------------------------------------------------------------

_PAYMENT = {s.name: s for s in PaymentStatus}
_FULFILMENT = {s.name: s for s in FulfilmentStatus}


def payment_status(raw: str) -> PaymentStatus:
    return _PAYMENT.get(raw.upper(), PaymentStatus.OTHER) if raw else PaymentStatus.OTHER


def fulfilment_status(raw: str) -> FulfilmentStatus:
    return _FULFILMENT.get(raw.upper(), FulfilmentStatus.OTHER) if raw else FulfilmentStatus.OTHER


def _ship_to(person: Json) -> ShipTo | None:
    if not person:
        return None
    street = str(person.get("street") or "")
    return ShipTo(
        name=_text(person.get("name")) or "",
        phone=_text(person.get("phone")),
        company=_text(person.get("companyName")),
        street=tuple(line for line in street.split("\n") if line.strip()),
        city=_text(person.get("city")) or "",
        region=_text(person.get("stateOrProvinceCode")),
        postal=_text(person.get("postalCode")) or "",
        country=_text(person.get("countryCode")) or "",
    )


def order(data: Json) -> StoreOrder:
    ext_id = _text(data.get("orderId")) or _text(data.get("id"))
    if ext_id is None:
        raise StoreValidationError("Ecwid order without an id", platform=config.PLATFORM)
    lines = []
    for item in (_map(x) for x in _list(data.get("items"))):
        product_id = _id(item.get("productId"))
        lines.append(
            OrderLine(
                variant_key=variant_key(product_id, item.get("combinationId")) if product_id else None,
                sku=_text(item.get("sku")),
                name=_text(item.get("name")) or "",
                quantity=max(1, _int(item.get("quantity"), 1)),
                unit_price=_decimal(item.get("price")) or Decimal("0"),
                option_values={
                    str(_map(o).get("name")): str(_map(o).get("value"))
                    for o in _list(item.get("selectedOptions"))
                    if _map(o).get("name") is not None and _map(o).get("value") is not None
                },
            )
        )
    shipping_option = _map(data.get("shippingOption"))
    payment_raw = str(data.get("paymentStatus") or "")
    fulfilment_raw = str(data.get("fulfillmentStatus") or "")
    return StoreOrder(
        ext_id=ext_id,
        internal_id=_id(data.get("internalId")) or _id(data.get("id")),
        number=_id(data.get("orderNumber")),
        tiktok_order_id=_text(data.get("externalOrderId")) or _text(data.get(config.ORDER_REFERENCE_FILTER)),
        lines=tuple(lines),
        ship_to=_ship_to(_map(data.get("shippingPerson"))) or _ship_to(_map(data.get("billingPerson"))),
        email=_text(data.get("email")),
        currency=_text(data.get("currency")),
        totals=OrderTotals(
            subtotal=_decimal(data.get("subtotal")) or Decimal("0"),
            shipping=_decimal(shipping_option.get("shippingRate")) or Decimal("0"),
            tax=_decimal(data.get("tax")) or Decimal("0"),
            discount=_decimal(data.get("discount")) or Decimal("0"),
            total=_decimal(data.get("total")) or Decimal("0"),
        ),
        payment_status=payment_status(payment_raw),
        fulfilment_status=fulfilment_status(fulfilment_raw),
        payment_status_raw=payment_raw,
        fulfilment_status_raw=fulfilment_raw,
        carrier=_text(shipping_option.get("shippingCarrierName")),
        tracking_number=_text(data.get("trackingNumber")),
        tracking_url=_text(data.get("trackingUrl")),
        created_at=from_unix(data.get("createTimestamp")) or from_unix(data.get("createDate")),
        updated_at=from_unix(data.get("updateTimestamp")) or from_unix(data.get("updateDate")),
    )


def _person(ship_to: ShipTo) -> dict[str, Any]:
    person: dict[str, Any] = {
        "name": ship_to.name,
        "street": "\n".join(ship_to.street),
        "city": ship_to.city,
        "countryCode": ship_to.country,
        "postalCode": ship_to.postal,
    }
    if ship_to.region:
        person["stateOrProvinceCode"] = ship_to.region
    if ship_to.phone:
        person["phone"] = ship_to.phone
    if ship_to.company:
        person["companyName"] = ship_to.company
    return person


def ship_to_person(ship_to: ShipTo) -> dict[str, Any]:
    """Ecwid's ``shippingPerson`` of an address (for an address change before shipment)."""
    return _person(ship_to)


def order_body(draft: StoreOrderDraft) -> dict[str, Any]:
    """``POST /orders`` body that makes Ecwid decrement stock itself, once: PAID, every line with
    its product (and combination) id, and a customer e-mail. Totals are ours: Ecwid does not
    compute them."""
    items: list[dict[str, Any]] = []
    for line in draft.lines:
        if line.variant_key is None:
            # One line without ids would make Ecwid skip the stock decrement for the whole order.
            raise StoreValidationError(
                f"order {draft.tiktok_order_id}: a line without a store variant cannot be relayed",
                platform=config.PLATFORM,
                reason="line_without_variant",
            )
        product_id, combination_id = split_key(line.variant_key)
        item: dict[str, Any] = {
            "productId": product_id,
            "name": line.name,
            "quantity": line.quantity,
            "price": line.unit_price,
        }
        if line.sku:
            item["sku"] = line.sku
        if combination_id is not None:
            item["combinationId"] = combination_id
        if line.option_values:
            # A variation's SKU needs its selected options.
            item["selectedOptions"] = [
                {"name": name, "value": value, "type": "CHOICE"} for name, value in line.option_values.items()
            ]
        items.append(item)
    person = _person(draft.ship_to)
    body: dict[str, Any] = {
        "email": draft.email,
        "paymentStatus": "PAID",
        "fulfillmentStatus": "AWAITING_PROCESSING",
        "externalOrderId": draft.tiktok_order_id,
        config.ORDER_REFERENCE_FILTER: draft.tiktok_order_id,
        "externalFulfillment": draft.external_fulfilment,
        "items": items,
        "shippingPerson": person,
        "billingPerson": person,
        "shippingOption": {
            "shippingMethodName": draft.shipping_method,
            "shippingRate": draft.totals.shipping,
        },
        "subtotal": draft.totals.subtotal,
        "tax": draft.totals.tax,
        "total": draft.totals.total,
        "privateAdminNotes": f"TikTok Shop order {draft.tiktok_order_id}",
        "disableAllCustomerNotifications": not draft.notify_customer,
    }
    if draft.totals.discount:
        body["discount"] = draft.totals.discount
    if draft.note:
        body["orderComments"] = draft.note
    return body
