"""Shopify orders <-> the common order model.

- An order is found again by ``sourceIdentifier``: the TikTok order id is stamped there.
- ``displayFinancialStatus`` gives the payment status; a cancelled order reads as cancelled
  unless money went back (refunded); a refund without money (how a partial TikTok refund is
  recorded, the amount being TikTok's) reads as partially refunded.
- ``displayFulfillmentStatus`` gives the fulfilment status; a fulfilment marked delivered reads
  as delivered; tracking comes from the latest fulfilment that has some.
- Money stays Decimal; addresses are buyer details and never leave the model's hidden fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.stores.protocol import (
    FulfilmentStatus,
    OrderLine,
    OrderTotals,
    PaymentStatus,
    ShipTo,
    StoreOrder,
    StoreOrderDraft,
)
from connector.stores.shopify import normalize

PAYMENT = {
    "PAID": PaymentStatus.PAID,
    "PENDING": PaymentStatus.AWAITING_PAYMENT,
    "AUTHORIZED": PaymentStatus.AWAITING_PAYMENT,
    "PARTIALLY_PAID": PaymentStatus.AWAITING_PAYMENT,
    "REFUNDED": PaymentStatus.REFUNDED,
    "PARTIALLY_REFUNDED": PaymentStatus.PARTIALLY_REFUNDED,
    "VOIDED": PaymentStatus.CANCELLED,
    "EXPIRED": PaymentStatus.OTHER,
}

FULFILMENT = {
    "UNFULFILLED": FulfilmentStatus.AWAITING_PROCESSING,
    "OPEN": FulfilmentStatus.AWAITING_PROCESSING,
    "PENDING_FULFILLMENT": FulfilmentStatus.AWAITING_PROCESSING,
    "SCHEDULED": FulfilmentStatus.AWAITING_PROCESSING,
    "ON_HOLD": FulfilmentStatus.AWAITING_PROCESSING,
    "IN_PROGRESS": FulfilmentStatus.PROCESSING,
    "PARTIALLY_FULFILLED": FulfilmentStatus.PROCESSING,
    "FULFILLED": FulfilmentStatus.SHIPPED,
    "READY_FOR_PICKUP": FulfilmentStatus.READY_FOR_PICKUP,
    "RESTOCKED": FulfilmentStatus.WILL_NOT_DELIVER,
}

ORDER_FIELDS = """
    id name sourceIdentifier email currencyCode createdAt updatedAt cancelledAt
    displayFinancialStatus displayFulfillmentStatus
    subtotalPriceSet { shopMoney { amount } }
    totalShippingPriceSet { shopMoney { amount } }
    totalTaxSet { shopMoney { amount } }
    totalDiscountsSet { shopMoney { amount } }
    totalPriceSet { shopMoney { amount } }
    shippingAddress { firstName lastName address1 address2 city company countryCodeV2 provinceCode zip phone }
    lineItems(first: 100) {
      nodes { id title sku quantity variant { id } originalUnitPriceSet { shopMoney { amount } } }
    }
    fulfillments(first: 10) { displayStatus trackingInfo(first: 1) { company number url } }
    refunds(first: 10) { id }"""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _nodes(value: object) -> list[dict[str, Any]]:
    nodes = _dict(value).get("nodes")
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def _money(bag: object) -> Decimal:
    amount = _dict(_dict(bag).get("shopMoney")).get("amount")
    try:
        value = Decimal(str(amount)) if amount is not None else Decimal("0")
    except InvalidOperation:
        return Decimal("0")
    return value if value.is_finite() else Decimal("0")


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def ship_to(address: object) -> ShipTo | None:
    found = _dict(address)
    if not found:
        return None
    name = " ".join(p for p in (_text(found.get("firstName")), _text(found.get("lastName"))) if p)
    return ShipTo(
        name=name,
        phone=_text(found.get("phone")),
        company=_text(found.get("company")),
        street=tuple(s for s in (_text(found.get("address1")), _text(found.get("address2"))) if s),
        city=_text(found.get("city")) or "",
        region=_text(found.get("provinceCode")),
        postal=_text(found.get("zip")) or "",
        country=_text(found.get("countryCodeV2")) or "",
    )


def order(node: dict[str, Any]) -> StoreOrder:
    lines = []
    for item in _nodes(node.get("lineItems")):
        variant = _dict(item.get("variant")).get("id")
        quantity = item.get("quantity")
        lines.append(OrderLine(
            variant_key=normalize.number(variant, "variant id") if isinstance(variant, str) else None,
            sku=_text(item.get("sku")),
            name=str(item.get("title") or ""),
            quantity=quantity if isinstance(quantity, int) and quantity > 0 else 1,
            unit_price=_money(item.get("originalUnitPriceSet")),
        ))
    financial = str(node.get("displayFinancialStatus") or "")
    fulfilment_raw = str(node.get("displayFulfillmentStatus") or "")
    payment = PAYMENT.get(financial, PaymentStatus.OTHER)
    if payment is PaymentStatus.PAID and node.get("refunds"):
        payment = PaymentStatus.PARTIALLY_REFUNDED
    cancelled = node.get("cancelledAt") is not None
    if cancelled and payment not in (PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED):
        payment = PaymentStatus.CANCELLED
    fulfilments = [f for f in node.get("fulfillments") or [] if isinstance(f, dict)]
    fulfilment = FULFILMENT.get(fulfilment_raw, FulfilmentStatus.OTHER)
    if any(f.get("displayStatus") == "DELIVERED" for f in fulfilments) and fulfilment is FulfilmentStatus.SHIPPED:
        fulfilment = FulfilmentStatus.DELIVERED
    if cancelled and fulfilment is FulfilmentStatus.AWAITING_PROCESSING:
        fulfilment = FulfilmentStatus.WILL_NOT_DELIVER
    tracking: dict[str, Any] = {}
    for found in fulfilments:
        infos = [i for i in found.get("trackingInfo") or [] if isinstance(i, dict) and i.get("number")]
        if infos:
            tracking = infos[0]
    name = node.get("name")
    return StoreOrder(
        ext_id=normalize.number(node.get("id"), "order id"),
        number=str(name) if name else None,
        tiktok_order_id=_text(node.get("sourceIdentifier")),
        lines=tuple(lines),
        ship_to=ship_to(node.get("shippingAddress")),
        email=_text(node.get("email")),
        currency=_text(node.get("currencyCode")),
        totals=OrderTotals(
            subtotal=_money(node.get("subtotalPriceSet")),
            shipping=_money(node.get("totalShippingPriceSet")),
            tax=_money(node.get("totalTaxSet")),
            discount=_money(node.get("totalDiscountsSet")),
            total=_money(node.get("totalPriceSet")),
        ),
        payment_status=payment,
        fulfilment_status=fulfilment,
        payment_status_raw=financial,
        fulfilment_status_raw=fulfilment_raw,
        carrier=_text(tracking.get("company")),
        tracking_number=_text(tracking.get("number")),
        tracking_url=_text(tracking.get("url")),
        created_at=_when(node.get("createdAt")),
        updated_at=_when(node.get("updatedAt")),
    )


def mailing_address(address: ShipTo) -> dict[str, Any]:
    """``MailingAddressInput``: the name split at its last space (first and last name)."""
    first, _, last = address.name.strip().rpartition(" ")
    street = list(address.street)
    result: dict[str, Any] = {
        "firstName": first or None,
        "lastName": last or address.name.strip() or None,
        "address1": street[0] if street else None,
        "address2": ", ".join(street[1:]) or None,
        "city": address.city or None,
        "provinceCode": address.region or None,
        "zip": address.postal or None,
        "countryCode": address.country.upper() or None,
        "phone": address.phone or None,
        "company": address.company or None,
    }
    return {k: v for k, v in result.items() if v is not None}


def _bag(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


GATEWAY = "TikTok Shop"
TAG = "TikTok Shop"
DISCOUNT_CODE = "TIKTOK-SHOP"
"""The code named on the one fixed discount carrying a TikTok order's discounts."""


def order_input(draft: StoreOrderDraft) -> dict[str, Any]:
    """``OrderCreateOrderInput`` for a paid TikTok order: paid by one successful sale on TikTok's
    gateway name, with variant ids so that stock moves, and the TikTok id as ``sourceIdentifier``."""
    currency = draft.currency.upper()
    lines = []
    for line in draft.lines:
        item: dict[str, Any] = {"quantity": line.quantity, "priceSet": _bag(line.unit_price, currency)}
        if line.variant_key is not None:
            item["variantId"] = normalize.gid("ProductVariant", line.variant_key)
        else:
            item.update(title=line.name or "Item", requiresShipping=True)
            if line.sku:
                item["sku"] = line.sku
        lines.append(item)
    address = mailing_address(draft.ship_to)
    result: dict[str, Any] = {
        "currency": currency,
        "email": draft.email,
        "financialStatus": "PAID",
        "sourceIdentifier": draft.tiktok_order_id,
        "lineItems": lines,
        "shippingAddress": address,
        "billingAddress": address,
        "shippingLines": [{"title": draft.shipping_method, "priceSet": _bag(draft.totals.shipping, currency)}],
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": GATEWAY,
                          "amountSet": _bag(draft.totals.total, currency)}],
        "tags": [TAG],
    }
    if draft.totals.discount > 0:  # one fixed amount off the lines (orderCreate takes one discount code)
        result["discountCode"] = {"itemFixedDiscountCode": {"code": DISCOUNT_CODE,
                                                            "amountSet": _bag(draft.totals.discount, currency)}}
    if draft.note:
        result["note"] = draft.note
    return result
