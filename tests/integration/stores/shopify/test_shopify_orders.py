"""Orders through the Shopify adapter against the sandbox (real HTTP): created once per TikTok
order with the stock claimed once (also when the first answer was lost after the order was made),
found again by the TikTok id, fulfilled with tracking, cancelled with the stock back once,
refunded, readdressed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.stores import (
    AuthError,
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
from connector.stores.errors import AmbiguousWrite
from connector.stores.shopify import ShopifyCatalog
from local.sandbox_shopify import ShopifySandbox
from tests.integration.stores.shopify.conftest import simple_product

ADDRESS = ShipTo(name="Ada Lovelace", phone="+15550100", street=("1 Main St", "Apt 2"), city="Springfield",
                 region="IL", postal="62701", country="US")


def _seed(shopify: ShopifySandbox, shop: str, sku: str = "TEE-1", quantity: int = 5) -> tuple[str, str]:
    variant = shopify.state.add_product(shop, simple_product(sku, quantity=quantity))["variants"][0]
    return variant["id"].rsplit("/", 1)[-1], variant["inventoryItem"]["id"]


def _draft(tiktok_id: str, variant: str, quantity: int = 2) -> StoreOrderDraft:
    return StoreOrderDraft(
        tiktok_order_id=tiktok_id,
        lines=(OrderLine(variant_key=variant, sku="TEE-1", name="Tee", quantity=quantity,
                         unit_price=Decimal("12.50")),),
        ship_to=ADDRESS, email="buyer@example.com", currency="USD",
        totals=OrderTotals(subtotal=Decimal("12.50") * quantity, shipping=Decimal("4.00"),
                           total=Decimal("12.50") * quantity + Decimal("4.00")),
    )


def test_an_order_claims_the_stock_once_and_a_second_create_returns_it(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog
) -> None:
    variant, item = _seed(shopify, shop)
    first = store.create_order(_draft("576460752303423001", variant))
    second = store.create_order(_draft("576460752303423001", variant))
    assert second.ext_id == first.ext_id
    assert len(shopify.orders(shop)) == 1
    assert shopify.stock_level(shop, item) == {"available": 3, "committed": 2, "on_hand": 5}
    assert first.tiktok_order_id == "576460752303423001"
    assert first.payment_status is PaymentStatus.PAID
    assert first.fulfilment_status is FulfilmentStatus.AWAITING_PROCESSING
    assert first.totals.total == Decimal("29.00") and first.totals.shipping == Decimal("4.00")
    assert first.lines[0].variant_key == variant and first.lines[0].quantity == 2
    assert first.ship_to == ADDRESS
    assert store.find_order_by_tiktok_id("576460752303423001") == store.get_order(first.ext_id)
    assert store.find_orders_by_tiktok_id("576460752303423999") == []
    created = [s for s in shopify.served_for(shop) if s.operation == "CreateOrder"]
    assert len(created) == 1


def test_a_lost_answer_after_the_order_was_made_never_makes_a_second_one(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog
) -> None:
    variant, item = _seed(shopify, shop)
    shopify.add_fault(503, times=1, after=True, operation="CreateOrder")
    with pytest.raises(AmbiguousWrite):
        store.create_order(_draft("576460752303423002", variant))
    assert len(shopify.orders(shop)) == 1  # it was made although the answer said otherwise
    again = store.create_order(_draft("576460752303423002", variant))
    assert [o["id"].rsplit("/", 1)[-1] for o in shopify.orders(shop)] == [again.ext_id]
    assert shopify.stock_level(shop, item) == {"available": 3, "committed": 2, "on_hand": 5}


def test_a_failure_before_the_order_was_made_leaves_nothing(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog
) -> None:
    variant, item = _seed(shopify, shop)
    shopify.add_fault(502, times=1, operation="CreateOrder")
    with pytest.raises(AmbiguousWrite):
        store.create_order(_draft("576460752303423003", variant))
    assert shopify.orders(shop) == []
    store.create_order(_draft("576460752303423003", variant))
    assert len(shopify.orders(shop)) == 1
    assert shopify.stock_level(shop, item) == {"available": 3, "committed": 2, "on_hand": 5}


def test_an_oversold_order_is_still_made(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    variant, item = _seed(shopify, shop, quantity=1)
    store.create_order(_draft("576460752303423004", variant, quantity=3))
    assert shopify.stock_level(shop, item) == {"available": -2, "committed": 3, "on_hand": 1}


def test_cancelling_puts_the_stock_back_once(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    variant, item = _seed(shopify, shop)
    order = store.create_order(_draft("576460752303423005", variant))
    cancelled = store.cancel_order(Cancellation(order_ext_id=order.ext_id, reason="buyer cancelled on TikTok"))
    again = store.cancel_order(Cancellation(order_ext_id=order.ext_id, reason="buyer cancelled on TikTok"))
    assert cancelled.payment_status is PaymentStatus.CANCELLED and again.payment_status is PaymentStatus.CANCELLED
    assert cancelled.fulfilment_status is FulfilmentStatus.WILL_NOT_DELIVER
    assert shopify.stock_level(shop, item) == {"available": 5, "committed": 0, "on_hand": 5}
    assert len([s for s in shopify.served_for(shop) if s.operation == "CancelOrder"]) == 1
    with pytest.raises(StoreNotFound):
        store.cancel_order(Cancellation(order_ext_id="999999", reason="x"))


def test_cancelling_without_restock_keeps_the_units_out(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog
) -> None:
    variant, item = _seed(shopify, shop)
    order = store.create_order(_draft("576460752303423006", variant))
    store.cancel_order(Cancellation(order_ext_id=order.ext_id, reason="lost", restock=False))
    assert shopify.stock_level(shop, item) == {"available": 3, "committed": 0, "on_hand": 3}


def test_fulfilment_with_tracking_then_delivered(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    variant, item = _seed(shopify, shop)
    order = store.create_order(_draft("576460752303423007", variant))
    shipped = store.fulfil_order(Fulfilment(order_ext_id=order.ext_id, carrier="USPS", tracking_number="9400111",
                                            tracking_url="https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111"))
    assert shipped.fulfilment_status is FulfilmentStatus.SHIPPED
    assert (shipped.carrier, shipped.tracking_number) == ("USPS", "9400111")
    assert shipped.tracking_url is not None and shipped.tracking_url.endswith("9400111")
    assert shopify.stock_level(shop, item) == {"available": 3, "committed": 0, "on_hand": 3}
    delivered = store.fulfil_order(Fulfilment(order_ext_id=order.ext_id, tracking_number="9400111", delivered=True))
    assert delivered.fulfilment_status is FulfilmentStatus.DELIVERED
    assert len(shopify.orders(shop)[0]["fulfillments"]) == 1  # no second fulfilment


def test_a_partial_fulfilment_ships_the_lines_named(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    variant, _ = _seed(shopify, shop)
    order = store.create_order(_draft("576460752303423008", variant, quantity=3))
    line = OrderLine(variant_key=variant, sku="TEE-1", name="Tee", quantity=1, unit_price=Decimal("12.50"))
    partial = store.fulfil_order(Fulfilment(order_ext_id=order.ext_id, tracking_number="1Z1", lines=(line,)))
    assert partial.fulfilment_status is FulfilmentStatus.PROCESSING
    rest = store.fulfil_order(Fulfilment(order_ext_id=order.ext_id, tracking_number="1Z2"))
    assert rest.fulfilment_status is FulfilmentStatus.SHIPPED and rest.tracking_number == "1Z2"


def test_refunds_are_visible(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    variant, _ = _seed(shopify, shop)
    full = store.create_order(_draft("576460752303423009", variant))
    refunded = store.mark_refunded(full.ext_id)
    store.mark_refunded(full.ext_id)
    assert refunded.payment_status is PaymentStatus.REFUNDED
    raw = next(o for o in shopify.orders(shop) if o["id"].endswith(full.ext_id))
    assert raw["displayFinancialStatus"] == "REFUNDED" and len(raw["refunds"]) == 1
    assert raw["totalRefundedSet"]["shopMoney"]["amount"] == "29.00"
    part = store.create_order(_draft("576460752303423010", variant, quantity=1))
    assert store.mark_refunded(part.ext_id, partial=True).payment_status is PaymentStatus.PARTIALLY_REFUNDED
    store.mark_refunded(part.ext_id, partial=True)
    raw = next(o for o in shopify.orders(shop) if o["id"].endswith(part.ext_id))
    assert len(raw["refunds"]) == 1


def test_the_address_can_change_before_shipment(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    variant, _ = _seed(shopify, shop)
    order = store.create_order(_draft("576460752303423011", variant))
    moved = ShipTo(name="Ada King", street=("9 Elm Rd",), city="Chicago", region="IL", postal="60601", country="US")
    assert store.update_ship_to(order.ext_id, moved).ship_to == moved


def test_a_custom_line_moves_no_stock(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    _, item = _seed(shopify, shop)
    draft = _draft("576460752303423012", "1").model_copy(update={"lines": (
        OrderLine(variant_key=None, sku="GIFT", name="Gift wrap", quantity=1, unit_price=Decimal("2.00")),)})
    order = store.create_order(draft)
    assert order.lines[0].variant_key is None and order.lines[0].name == "Gift wrap"
    assert shopify.stock_level(shop, item) == {"available": 5, "committed": 0, "on_hand": 5}


def test_the_default_inventory_behaviour_claims_nothing(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog
) -> None:
    """Shopify's default (BYPASS) moves no stock: why the adapter names its behaviour."""
    variant, item = _seed(shopify, shop)
    document = """mutation Plain($order: OrderCreateOrderInput!) {
      orderCreate(order: $order) { order { id } userErrors { field message } }
    }"""
    store.transport.execute(document, {"order": {"lineItems": [
        {"variantId": f"gid://shopify/ProductVariant/{variant}", "quantity": 2}]}}, idempotent=False)
    assert shopify.stock_level(shop, item) == {"available": 5, "committed": 0, "on_hand": 5}


def test_order_calls_need_their_scopes(shopify: ShopifySandbox, shop: str, catalog: ShopifyCatalog) -> None:
    """``catalog`` holds a read-only token: order writes and reads are refused as Shopify refuses them."""
    variant, item = _seed(shopify, shop)
    with pytest.raises(AuthError):
        catalog.create_order(_draft("576460752303423013", variant))
    assert shopify.orders(shop) == []
    assert shopify.stock_level(shop, item) == {"available": 5, "committed": 0, "on_hand": 5}


def test_a_discount_is_one_fixed_amount_off_the_lines(
    shopify: ShopifySandbox, shop: str, store: ShopifyCatalog
) -> None:
    variant, _ = _seed(shopify, shop)
    draft = _draft("576460752303423014", variant)
    draft = draft.model_copy(update={"totals": OrderTotals(subtotal=Decimal("25.00"), shipping=Decimal("4.00"),
                                                           discount=Decimal("3.50"), total=Decimal("25.50"))})
    order = store.create_order(draft)
    assert (order.totals.discount, order.totals.total) == (Decimal("3.50"), Decimal("25.50"))


def test_a_cancelled_order_is_not_fulfilled(shopify: ShopifySandbox, shop: str, store: ShopifyCatalog) -> None:
    variant, _ = _seed(shopify, shop)
    order = store.create_order(_draft("576460752303423015", variant))
    store.cancel_order(Cancellation(order_ext_id=order.ext_id, reason="buyer cancelled"))
    with pytest.raises(StoreValidationError):
        store.fulfil_order(Fulfilment(order_ext_id=order.ext_id, tracking_number="1Z3"))
    assert shopify.orders(shop)[0]["fulfillments"] == []
