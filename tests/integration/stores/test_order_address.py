"""Address changes through the Ecwid adapter: a change before shipment updates the store order's
shipping (and billing) person, nothing else."""

from __future__ import annotations

from decimal import Decimal

from connector.stores import OrderLine, OrderTotals, ShipTo, StoreOrderDraft
from connector.stores.ecwid import EcwidStore
from local.sandbox_ecwid import EcwidSandbox


def test_update_ship_to_replaces_the_address_and_keeps_lines_and_payment(
        sandbox: EcwidSandbox, store_id: int, ecwid: EcwidStore) -> None:
    mug = sandbox.add_product(store_id, {"sku": "MUG", "name": "Mug", "price": "9.99", "quantity": 6})
    created = ecwid.create_order(StoreOrderDraft(
        tiktok_order_id="576000000000000777",
        lines=(OrderLine(variant_key=str(mug), sku="MUG", name="Mug", quantity=2, unit_price=Decimal("9.99")),),
        ship_to=ShipTo(name="Ann Buyer", street=("1 Main St", "Apt 2"), city="Austin", region="TX", postal="73301",
                       country="US"),
        email="tt@example.invalid", currency="USD",
        totals=OrderTotals(subtotal=Decimal("19.98"), total=Decimal("19.98"))))

    moved = ecwid.update_ship_to(created.ext_id, ShipTo(name="Ann Buyer", street=("9 Elm St", "Suite 12"),
                                                        city="Dallas", region="TX", postal="75001", country="US"))

    assert moved.ship_to is not None and moved.ship_to.street == ("9 Elm St", "Suite 12")
    assert moved.ship_to.city == "Dallas" and moved.ship_to.postal == "75001"
    assert [(line.variant_key, line.quantity) for line in moved.lines] == [(str(mug), 2)]
    assert moved.payment_status == created.payment_status
    assert sandbox.stock(store_id, mug) == 4  # the address change moved no stock
