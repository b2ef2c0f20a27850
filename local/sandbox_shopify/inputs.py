"""Input objects and enums of the mutations the sandbox serves, checked as Shopify checks them.

An argument value is checked against its declared type before a resolver changes anything: an
unknown field, a missing required one, a wrong scalar or an enum value that does not exist is the
GraphQL error Shopify's server (graphql-ruby) answers for a variable, ``Variable $x of type T was
provided invalid value for a.b (Field is not defined on U)`` with ``extensions.code ==
"INVALID_VARIABLE"``, HTTP 200 and no data. Field names follow the Admin API's input objects of
the pinned version (see docs/shopify.md); fields the adapter never sends are listed when Shopify
has them, so a call that is valid on Shopify is valid here.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from local.sandbox_shopify.graphql import QueryError

ENUMS: dict[str, frozenset[str]] = {
    "OrderCreateInputsInventoryBehavior": frozenset({"BYPASS", "DECREMENT_IGNORING_POLICY",
                                                     "DECREMENT_OBEYING_POLICY"}),
    "OrderCreateFinancialStatus": frozenset({"AUTHORIZED", "EXPIRED", "PAID", "PARTIALLY_PAID",
                                             "PARTIALLY_REFUNDED", "PENDING", "REFUNDED", "VOIDED"}),
    "OrderTransactionKind": frozenset({"AUTHORIZATION", "CAPTURE", "CHANGE", "EMV_AUTHORIZATION", "REFUND",
                                       "SALE", "SUGGESTED_REFUND", "VOID"}),
    "OrderTransactionStatus": frozenset({"AWAITING_RESPONSE", "ERROR", "FAILURE", "PENDING", "SUCCESS",
                                         "UNKNOWN"}),
    "OrderCancelReason": frozenset({"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"}),
    "FulfillmentEventStatus": frozenset({"ATTEMPTED_DELIVERY", "CARRIER_PICKED_UP", "CONFIRMED", "DELAYED",
                                         "DELIVERED", "FAILURE", "IN_TRANSIT", "LABEL_PRINTED", "LABEL_PURCHASED",
                                         "OUT_FOR_DELIVERY", "PICKED_UP", "READY_FOR_PICKUP"}),
    "DeletionEventSubjectType": frozenset({"COLLECTION", "PRODUCT"}),
    "CurrencyCode": frozenset(),  # any three capital letters (checked by shape below)
    "CountryCode": frozenset(),  # any two capital letters
}

_MONEY_BAG = {"shopMoney": "MoneyInput!", "presentmentMoney": "MoneyInput"}
_ADDRESS = dict.fromkeys(("address1", "address2", "city", "company", "firstName", "lastName", "phone",
                         "provinceCode", "zip"), "String") | {"countryCode": "CountryCode"}

INPUTS: dict[str, dict[str, str]] = {
    "InventorySetQuantitiesInput": {"name": "String!", "reason": "String!", "referenceDocumentUri": "String",
                                    "quantities": "[InventorySetQuantityInput!]!"},
    "InventorySetQuantityInput": {"inventoryItemId": "ID!", "locationId": "ID!", "quantity": "Int!",
                                  "changeFromQuantity": "Int"},
    "InventoryAdjustQuantitiesInput": {"name": "String!", "reason": "String!", "referenceDocumentUri": "String",
                                       "changes": "[InventoryChangeInput!]!"},
    "InventoryChangeInput": {"delta": "Int!", "inventoryItemId": "ID!", "locationId": "ID!",
                             "ledgerDocumentUri": "String", "changeFromQuantity": "Int"},
    "InventoryItemInput": {"tracked": "Boolean", "sku": "String", "cost": "Decimal",
                           "requiresShipping": "Boolean", "countryCodeOfOrigin": "CountryCode"},
    "OrderCreateOrderInput": {
        "lineItems": "[OrderCreateLineItemInput!]", "email": "String", "phone": "String",
        "financialStatus": "OrderCreateFinancialStatus", "shippingAddress": "MailingAddressInput",
        "billingAddress": "MailingAddressInput", "shippingLines": "[OrderCreateShippingLineInput!]",
        "transactions": "[OrderCreateOrderTransactionInput!]", "note": "String", "tags": "[String!]",
        "sourceName": "String", "sourceIdentifier": "String", "sourceUrl": "String", "currency": "CurrencyCode",
        "presentmentCurrency": "CurrencyCode", "test": "Boolean", "customAttributes": "[AttributeInput!]",
        "buyerAcceptsMarketing": "Boolean", "name": "String", "processedAt": "DateTime", "poNumber": "String",
        "taxesIncluded": "Boolean", "discountCode": "OrderCreateDiscountCodeInput"},
    "OrderCreateDiscountCodeInput": {"itemFixedDiscountCode": "OrderCreateFixedDiscountCodeAttributesInput",
                                     "itemPercentageDiscountCode": "OrderCreatePercentageDiscountCodeAttributesInput",
                                     "freeShippingDiscountCode": "OrderCreateFreeShippingDiscountCodeAttributesInput"},
    "OrderCreateFixedDiscountCodeAttributesInput": {"code": "String!", "amountSet": "MoneyBagInput"},
    "OrderCreatePercentageDiscountCodeAttributesInput": {"code": "String!", "percentage": "Float"},
    "OrderCreateFreeShippingDiscountCodeAttributesInput": {"code": "String!"},
    "OrderCreateLineItemInput": {"variantId": "ID", "quantity": "Int!", "priceSet": "MoneyBagInput",
                                 "title": "String", "sku": "String", "requiresShipping": "Boolean",
                                 "taxable": "Boolean", "vendor": "String", "giftCard": "Boolean",
                                 "properties": "[AttributeInput!]"},
    "OrderCreateShippingLineInput": {"title": "String!", "priceSet": "MoneyBagInput!", "code": "String",
                                     "source": "String", "carrierIdentifier": "String"},
    "OrderCreateOrderTransactionInput": {"amountSet": "MoneyBagInput!", "kind": "OrderTransactionKind",
                                         "status": "OrderTransactionStatus", "gateway": "String",
                                         "test": "Boolean", "processedAt": "DateTime",
                                         "authorizationCode": "String"},
    "OrderCreateOptionsInput": {"inventoryBehaviour": "OrderCreateInputsInventoryBehavior",
                                "sendReceipt": "Boolean", "sendFulfillmentReceipt": "Boolean"},
    "AttributeInput": {"key": "String!", "value": "String!"},
    "MoneyBagInput": dict(_MONEY_BAG),
    "MoneyInput": {"amount": "Decimal!", "currencyCode": "CurrencyCode!"},
    "MailingAddressInput": dict(_ADDRESS),
    "FulfillmentInput": {"lineItemsByFulfillmentOrder": "[FulfillmentOrderLineItemsInput!]!",
                         "notifyCustomer": "Boolean", "trackingInfo": "FulfillmentTrackingInput",
                         "originAddress": "FulfillmentOriginAddressInput"},
    "FulfillmentOrderLineItemsInput": {"fulfillmentOrderId": "ID!",
                                       "fulfillmentOrderLineItems": "[FulfillmentOrderLineItemInput!]"},
    "FulfillmentOrderLineItemInput": {"id": "ID!", "quantity": "Int!"},
    "FulfillmentTrackingInput": {"company": "String", "number": "String", "url": "String", "numbers": "[String!]",
                                 "urls": "[String!]"},
    "FulfillmentOriginAddressInput": {"address1": "String", "address2": "String", "city": "String",
                                      "countryCode": "String!", "provinceCode": "String", "zip": "String"},
    "FulfillmentEventInput": {"fulfillmentId": "ID!", "status": "FulfillmentEventStatus!",
                              "happenedAt": "DateTime", "message": "String", "city": "String",
                              "country": "String", "province": "String", "zip": "String"},
    "OrderCancelRefundMethodInput": {"originalPaymentMethodsRefund": "Boolean",
                                     "storeCreditRefund": "OrderCancelStoreCreditRefundInput"},
    "OrderCancelStoreCreditRefundInput": {"expiresAt": "DateTime"},
    "RefundInput": {"orderId": "ID!", "note": "String", "notify": "Boolean", "currency": "CurrencyCode",
                    "transactions": "[OrderTransactionInput!]", "refundLineItems": "[RefundLineItemInput!]",
                    "shipping": "ShippingRefundInput"},
    "OrderTransactionInput": {"amount": "Money!", "gateway": "String!", "kind": "OrderTransactionKind!",
                              "orderId": "ID!", "parentId": "ID"},
    "RefundLineItemInput": {"lineItemId": "ID!", "quantity": "Int!", "restockType": "String",
                            "locationId": "ID"},
    "ShippingRefundInput": {"amount": "Money", "fullRefund": "Boolean"},
    "OrderInput": {"id": "ID!", "shippingAddress": "MailingAddressInput", "note": "String", "tags": "[String!]",
                   "email": "String", "customAttributes": "[AttributeInput!]", "poNumber": "String"},
}

_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


def check(args: dict[str, Any], types: dict[str, str]) -> None:
    """Check every argument against its type; :class:`QueryError` for the first problem."""
    for name in args:
        if name not in types:  # the engine refuses unknown arguments first; kept for direct calls
            raise QueryError(f"Field doesn't accept argument '{name}'", code="argumentNotAccepted")
    for name, type_text in types.items():
        problem = _problem(args.get(name), type_text, [], present=name in args)
        if problem is not None:
            path, explanation = problem
            where = ".".join(str(p) for p in path)
            raise QueryError(
                f"Variable ${name} of type {type_text} was provided invalid value"
                + (f" for {where}" if where else "") + f" ({explanation})",
                code="INVALID_VARIABLE", value=_plain(args.get(name)),
                problems=[{"path": path, "explanation": explanation}])


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _problem(value: Any, type_text: str, path: list[Any], *, present: bool = True) -> tuple[list[Any], str] | None:
    required = type_text.endswith("!")
    inner = type_text[:-1] if required else type_text
    if value is None:
        return (path, "Expected value to not be null") if required else None
    if inner.startswith("["):
        if not isinstance(value, list):
            value = [value]  # GraphQL coerces a single value into a list
        for index, item in enumerate(value):
            found = _problem(item, inner[1:-1], [*path, index])
            if found is not None:
                return found
        return None
    if inner in INPUTS:
        if not isinstance(value, dict):
            return path, f"Expected value to be an object of type {inner}"
        fields = INPUTS[inner]
        for key in value:
            if key not in fields:
                return [*path, key], f"Field is not defined on {inner}"
        for key, field_type in fields.items():
            found = _problem(value.get(key), field_type, [*path, key])
            if found is not None:
                return found
        return None
    return _scalar_problem(value, inner, path)


def _scalar_problem(value: Any, type_name: str, path: list[Any]) -> tuple[list[Any], str] | None:
    ok: bool
    if type_name in ("String", "ID", "DateTime"):
        ok = isinstance(value, str)
    elif type_name == "Int":
        ok = isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
    elif type_name == "Float":
        ok = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    elif type_name == "Boolean":
        ok = isinstance(value, bool)
    elif type_name in ("Decimal", "Money"):
        ok = isinstance(value, str | int | Decimal) and not isinstance(value, bool) and _decimal(value)
    elif type_name == "CurrencyCode":
        ok = isinstance(value, str) and re.fullmatch(r"[A-Z]{3}", value) is not None
    elif type_name == "CountryCode":
        ok = isinstance(value, str) and re.fullmatch(r"[A-Z]{2}", value) is not None
    elif type_name in ENUMS:
        ok = isinstance(value, str) and value in ENUMS[type_name]
    else:
        ok = False
    return None if ok else (path, f"Could not coerce value {value!r} to {type_name}")


def _decimal(value: Any) -> bool:
    text = str(value)
    if not _DECIMAL.fullmatch(text):
        return False
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False
