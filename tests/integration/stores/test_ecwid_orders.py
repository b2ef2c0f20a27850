"""Orders through the Ecwid adapter against the sandbox: stock moves exactly once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.stores import (
    Cancellation,
    Fulfilment,
    FulfilmentStatus,
    OrderLine,
    OrderTotals,
    PaymentStatus,
    ShipTo,
    StoreNotFound,
    StoreOrderDraft,
    StoreValidationError,
)
from connector.stores.ecwid import EcwidStore
from connector.stores.errors import AmbiguousWrite
from local.sandbox_ecwid import EcwidSandbox

TIKTOK_ORDER_ID = "576461413038785752"


@pytest.fixture
def catalog(sandbox: EcwidSandbox, store_id: int) -> dict[str, Any]:
    """A T-shirt whose M size has its own stock (4) and whose S size sells from the product (10),
    and a mug (6)."""
    tee = sandbox.add_product(
        store_id,
        {
            "sku": "TEE",
            "name": "Classic Tee",
            "price": "20.00",
            "quantity": 10,
            "combinations": [
                {"options": [{"name": "Size", "value": "S"}]},
                {
                    "options": [{"name": "Size", "value": "M"}],
                    "sku": "TEE-M",
                    "quantity": 4,
                    "price": "22.50",
                },
            ],
        },
    )
    small, medium = (c["id"] for c in sandbox.product(store_id, tee)["combinations"])
    mug = sandbox.add_product(store_id, {"sku": "MUG", "name": "Mug", "price": "9.99", "quantity": 6})
    return {"tee": tee, "small": small, "medium": medium, "mug": mug}


def draft(catalog: dict[str, Any], tiktok_order_id: str = TIKTOK_ORDER_ID, **overrides: Any) -> StoreOrderDraft:
    tee, medium, small, mug = catalog["tee"], catalog["medium"], catalog["small"], catalog["mug"]
    values: dict[str, Any] = {
        "tiktok_order_id": tiktok_order_id,
        "lines": (
            OrderLine(
                variant_key=f"{tee}:{medium}",
                sku="TEE-M",
                name="Classic Tee (M)",
                quantity=2,
                unit_price=Decimal("22.50"),
                option_values={"Size": "M"},
            ),
            OrderLine(
                variant_key=f"{tee}:{small}",
                sku="TEE",
                name="Classic Tee (S)",
                quantity=3,
                unit_price=Decimal("20.00"),
                option_values={"Size": "S"},
            ),
            OrderLine(variant_key=str(mug), sku="MUG", name="Mug", quantity=1, unit_price=Decimal("9.99")),
        ),
        "ship_to": ShipTo(
            name="Ann Buyer",
            street=("1 Main St", "Apt 2"),
            city="Austin",
            region="TX",
            postal="73301",
            country="US",
            phone="+15550100",
        ),
        "email": "buyer@example.com",
        "currency": "USD",
        "totals": OrderTotals(
            subtotal=Decimal("114.99"), shipping=Decimal("4.99"), tax=Decimal("0"), total=Decimal("119.98")
        ),
    }
    values.update(overrides)
    return StoreOrderDraft(**values)


def stock_of(sandbox: EcwidSandbox, store_id: int, catalog: dict[str, Any]) -> dict[str, int | None]:
    return {
        "medium": sandbox.stock(store_id, catalog["tee"], catalog["medium"]),
        "tee": sandbox.stock(store_id, catalog["tee"]),
        "mug": sandbox.stock(store_id, catalog["mug"]),
    }


def test_a_paid_order_decrements_stock_exactly_once_and_is_found_by_tiktok_id(
    ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int, catalog: dict[str, Any]
) -> None:
    # Given 4 M shirts, 10 shirts in the product's own stock and 6 mugs
    assert stock_of(sandbox, store_id, catalog) == {"medium": 4, "tee": 10, "mug": 6}

    # When the order is created through the adapter (and, as after a crash, created again)
    order = ecwid.create_order(draft(catalog))
    again = ecwid.create_order(draft(catalog))

    # Then Ecwid took the stock once: 2 M, 3 S from the product, 1 mug
    assert stock_of(sandbox, store_id, catalog) == {"medium": 2, "tee": 7, "mug": 5}
    assert again.ext_id == order.ext_id
    assert len(sandbox.orders(store_id)) == 1
    assert sandbox.request_count("POST", rf"^/api/v3/{store_id}/orders$") == 1
    # no manual stock delta was ever sent
    assert sandbox.request_count("PUT", rf"^/api/v3/{store_id}/.*/inventory$") == 0

    found = ecwid.find_order_by_tiktok_id(TIKTOK_ORDER_ID)
    assert found is not None and found.ext_id == order.ext_id
    assert found.tiktok_order_id == TIKTOK_ORDER_ID
    assert found.payment_status is PaymentStatus.PAID
    assert found.fulfilment_status is FulfilmentStatus.AWAITING_PROCESSING
    assert [line.quantity for line in found.lines] == [2, 3, 1]
    assert found.totals.total == Decimal("119.98")
    assert found.ship_to is not None and found.ship_to.street == ("1 Main St", "Apt 2")
    assert ecwid.find_order_by_tiktok_id("another-tiktok-order") is None


def test_a_create_whose_answer_was_lost_is_not_duplicated(
    ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int, catalog: dict[str, Any]
) -> None:
    # The store creates the order but the answer is a 500: the adapter says so and never posts
    # again; a later call (the relay's, after its settle window) finds it instead of posting.
    sandbox.add_fault(method="POST", path=r"^/orders$", status=500, after=True)
    with pytest.raises(AmbiguousWrite):
        ecwid.create_order(draft(catalog, "7001"))
    order = ecwid.create_order(draft(catalog, "7001"))
    assert order.tiktok_order_id == "7001"
    assert len(sandbox.orders(store_id)) == 1
    assert sandbox.request_count("POST", rf"^/api/v3/{store_id}/orders$") == 1
    assert stock_of(sandbox, store_id, catalog) == {"medium": 2, "tee": 7, "mug": 5}


def test_a_create_that_failed_before_is_posted_again_by_a_later_call(
    ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int, catalog: dict[str, Any]
) -> None:
    sandbox.add_fault(method="POST", path=r"^/orders$", status=503, times=2)
    for _ in range(2):
        with pytest.raises(AmbiguousWrite):
            ecwid.create_order(draft(catalog, "7002"))
    order = ecwid.create_order(draft(catalog, "7002"))
    assert order.tiktok_order_id == "7002"
    assert sandbox.request_count("POST", rf"^/api/v3/{store_id}/orders$") == 3
    assert len(sandbox.orders(store_id)) == 1
    assert stock_of(sandbox, store_id, catalog) == {"medium": 2, "tee": 7, "mug": 5}


def test_cancel_restocks_once(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int, catalog: dict[str, Any]) -> None:
    order = ecwid.create_order(draft(catalog))
    cancelled = ecwid.cancel_order(Cancellation(order_ext_id=order.ext_id, reason="buyer cancelled"))
    assert cancelled.payment_status is PaymentStatus.CANCELLED
    assert stock_of(sandbox, store_id, catalog) == {"medium": 4, "tee": 10, "mug": 6}
    # a second cancel (a duplicated TikTok event) changes nothing
    ecwid.cancel_order(Cancellation(order_ext_id=order.ext_id, reason="buyer cancelled"))
    assert stock_of(sandbox, store_id, catalog) == {"medium": 4, "tee": 10, "mug": 6}


def test_fulfil_and_refund(ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int, catalog: dict[str, Any]) -> None:
    order = ecwid.create_order(draft(catalog))
    shipped = ecwid.fulfil_order(
        Fulfilment(
            order_ext_id=order.ext_id,
            carrier="USPS",
            tracking_number="9400100",
            tracking_url="https://tools.usps.com/?t=9400100",
        )
    )
    assert shipped.fulfilment_status is FulfilmentStatus.SHIPPED
    assert (shipped.carrier, shipped.tracking_number, shipped.tracking_url) == (
        "USPS",
        "9400100",
        "https://tools.usps.com/?t=9400100",
    )
    raw = next(o for o in sandbox.orders(store_id) if o["id"] == order.ext_id)
    assert raw["shippingOption"]["shippingMethodName"] == "TikTok Shop"  # the rest of the option survived
    assert len(raw["items"]) == 3  # items were never sent back, so never replaced

    delivered = ecwid.fulfil_order(Fulfilment(order_ext_id=order.ext_id, tracking_number="9400100", delivered=True))
    assert delivered.fulfilment_status is FulfilmentStatus.DELIVERED

    refunded = ecwid.mark_refunded(order.ext_id)
    assert refunded.payment_status is PaymentStatus.REFUNDED
    assert ecwid.mark_refunded(order.ext_id, partial=True).payment_status is PaymentStatus.PARTIALLY_REFUNDED


def test_unknown_orders_and_refused_orders(
    ecwid: EcwidStore, sandbox: EcwidSandbox, store_id: int, catalog: dict[str, Any]
) -> None:
    with pytest.raises(StoreNotFound):
        ecwid.get_order("NOPE1")
    with pytest.raises(StoreNotFound):
        ecwid.fulfil_order(Fulfilment(order_ext_id="NOPE1", tracking_number="1"))
    # A variation's SKU without its combination id or options: Ecwid refuses it (400), no retry.
    bad_line = OrderLine(
        variant_key=str(catalog["tee"]), sku="TEE-M", name="Tee", quantity=1, unit_price=Decimal("22.50")
    )
    with pytest.raises(StoreValidationError) as caught:
        ecwid.create_order(draft(catalog, "7003", lines=(bad_line,)))
    assert caught.value.http_status == 400
    assert sandbox.request_count("POST", rf"^/api/v3/{store_id}/orders$") == 1
    assert sandbox.orders(store_id) == []


def test_orders_without_ids_or_customer_would_not_move_stock(
    sandbox: EcwidSandbox, store_id: int, catalog: dict[str, Any], token: str
) -> None:
    # The sandbox applies Ecwid's rule: PAID, valid ids and a customer, or no decrement at all.
    import httpx

    api = f"{sandbox.url}/{store_id}/orders"
    headers = {"Authorization": f"Bearer {token}"}
    item = {"productId": catalog["mug"], "name": "Mug", "quantity": 1, "price": 9.99}
    for body in (
        {"paymentStatus": "AWAITING_PAYMENT", "email": "a@example.com", "items": [item]},
        {"paymentStatus": "PAID", "items": [item]},
        {
            "paymentStatus": "PAID",
            "email": "a@example.com",
            "items": [item, {"name": "Custom", "quantity": 1}],
        },
    ):
        assert httpx.post(api, json=body, headers=headers, timeout=5).status_code == 200
    assert sandbox.stock(store_id, catalog["mug"]) == 6
    assert (
        httpx.post(
            api,
            json={"paymentStatus": "PAID", "email": "a@example.com", "items": [item]},
            headers=headers,
            timeout=5,
        ).status_code
        == 200
    )
    assert sandbox.stock(store_id, catalog["mug"]) == 5
