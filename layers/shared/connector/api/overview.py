"""The merchant's overview of one connection over a period, computed from its order records
(no buyer details: customers are the records' ``buyer_ref``) and the product counts by status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from connector.api.views import Overview, TopCustomer, TopProduct

if TYPE_CHECKING:
    from connector.orders.records import OrderRecord

#: Orders that count as sold: the store order exists and was not cancelled or refunded.
SOLD_STATES = frozenset({"created", "shipped", "in_transit", "delivered", "completed"})


@dataclass
class _Tally:
    name: str = ""
    count: int = 0
    amount: Decimal = field(default_factory=lambda: Decimal("0"))


def build(orders: Iterable[OrderRecord], products_by_status: Mapping[str, int], *, since: int, until: int,
          top: int = 10) -> Overview:
    from connector.orders.records import ORDER_STATES

    by_state = dict.fromkeys(ORDER_STATES, 0)
    revenue: dict[str, Decimal] = {}
    products: dict[tuple[str, str | None], _Tally] = {}  # (product, currency) -> name, units, revenue
    customers: dict[tuple[str, str | None], _Tally] = {}  # (buyer_ref, currency) -> orders, spent
    count = 0
    for order in orders:
        if not since <= order.created_at <= until:
            continue
        count += 1
        by_state[order.state] = by_state.get(order.state, 0) + 1
        if order.state not in SOLD_STATES:
            continue
        currency = order.currency
        total = order.total if order.total is not None else sum(
            (line.unit_price * line.quantity for line in order.lines), Decimal("0"))
        if currency:
            revenue[currency] = revenue.get(currency, Decimal("0")) + total
        for line in order.lines:
            key = (line.store_product_id or line.tiktok_product_id or line.tiktok_sku_id, currency)
            product = products.setdefault(key, _Tally(name=line.name))
            product.count += line.quantity
            product.amount += line.unit_price * line.quantity
        if order.buyer_ref:
            customer = customers.setdefault((order.buyer_ref, currency), _Tally())
            customer.count += 1
            customer.amount += total
    top_products = sorted(
        (TopProduct(product_id=pid, name=t.name, units=t.count, revenue=t.amount, currency=cur)
         for (pid, cur), t in products.items()),
        key=lambda p: (-p.revenue, -p.units, p.product_id))[:top]
    top_customers = sorted(
        (TopCustomer(buyer_ref=ref, orders=t.count, spent=t.amount, currency=cur)
         for (ref, cur), t in customers.items()),
        key=lambda c: (-c.spent, -c.orders, c.buyer_ref))[:top]
    return Overview(since=since, until=until, products_by_status=dict(products_by_status),
                    orders_by_state=by_state, orders=count, revenue=revenue, top_products=top_products,
                    top_customers=top_customers)
