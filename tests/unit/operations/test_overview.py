"""The merchant's overview computed from order records (Decimal money, per currency, period, top
lists)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.api.overview import build
from connector.orders.records import OrderLineSummary, OrderRecord

NOW = 1_790_000_000
DAY = 86400


def order(order_id: str, state: str, *, total: str | None, lines: list[tuple[str, int, str]], buyer: str | None,
          created: int = NOW - DAY, currency: str = "USD") -> OrderRecord:
    return OrderRecord(
        connection_id="c1", tiktok_order_id=order_id, shop_id="s1", state=state,  # type: ignore[arg-type]
        currency=currency, total=Decimal(total) if total is not None else None, buyer_ref=buyer,
        lines=tuple(OrderLineSummary(tiktok_sku_id=f"sku-{pid}", store_product_id=pid, name=f"Product {pid}",
                                     quantity=qty, unit_price=Decimal(price)) for pid, qty, price in lines),
        created_at=created, updated_at=created)


def overview(orders: list[OrderRecord], **kwargs: Any) -> Any:
    return build(orders, {"active": 3, "sync_failed": 1}, since=NOW - 30 * DAY, until=NOW, **kwargs)


def test_revenue_counts_sold_orders_only_in_decimal_per_currency() -> None:
    result = overview([
        order("1", "created", total="10.10", lines=[("p1", 1, "10.10")], buyer="b_a"),
        order("2", "completed", total="0.20", lines=[("p2", 2, "0.10")], buyer="b_a"),
        order("3", "cancelled", total="99.00", lines=[("p1", 1, "99.00")], buyer="b_b"),
        order("4", "blocked", total="50.00", lines=[("p3", 1, "50.00")], buyer="b_c"),
        order("5", "shipped", total="7.00", lines=[("p1", 1, "7.00")], buyer="b_d", currency="GBP"),
    ])
    assert result.revenue == {"USD": Decimal("10.30"), "GBP": Decimal("7.00")}
    assert isinstance(result.revenue["USD"], Decimal)
    assert result.orders == 5
    assert result.orders_by_state["cancelled"] == 1 and result.orders_by_state["blocked"] == 1
    assert result.orders_by_state["created"] == 1 and result.orders_by_state["refunded"] == 0
    assert result.products_by_status == {"active": 3, "sync_failed": 1}
    assert result.model_dump(mode="json")["revenue"] == {"USD": "10.30", "GBP": "7.00"}


def test_period_leaves_out_older_and_future_orders() -> None:
    result = overview([
        order("old", "completed", total="5", lines=[("p1", 1, "5")], buyer="b_a", created=NOW - 31 * DAY),
        order("new", "completed", total="6", lines=[("p1", 1, "6")], buyer="b_a", created=NOW - DAY),
        order("future", "completed", total="7", lines=[("p1", 1, "7")], buyer="b_a", created=NOW + DAY),
    ])
    assert result.orders == 1 and result.revenue == {"USD": Decimal("6")}


def test_top_products_by_revenue_and_top_customers_by_spend() -> None:
    result = overview([
        order("1", "created", total="30.00", lines=[("p1", 3, "10.00")], buyer="b_big"),
        order("2", "created", total="24.00", lines=[("p2", 1, "20.00"), ("p1", 1, "4.00")], buyer="b_small"),
        order("3", "delivered", total="5.00", lines=[("p3", 5, "1.00")], buyer="b_small"),
        order("4", "refunded", total="500.00", lines=[("p9", 1, "500.00")], buyer="b_refund"),
    ], top=2)
    assert [(p.product_id, p.units, p.revenue) for p in result.top_products] == [
        ("p1", 4, Decimal("34.00")), ("p2", 1, Decimal("20.00"))]
    assert result.top_products[0].name == "Product p1"
    assert [(c.buyer_ref, c.orders, c.spent) for c in result.top_customers] == [
        ("b_big", 1, Decimal("30.00")), ("b_small", 2, Decimal("29.00"))]


def test_an_order_without_a_total_counts_its_lines() -> None:
    result = overview([order("1", "created", total=None, lines=[("p1", 2, "1.25"), ("p2", 1, "0.50")], buyer=None)])
    assert result.revenue == {"USD": Decimal("3.00")}
    assert result.top_customers == []
