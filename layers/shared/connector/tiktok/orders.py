"""Orders: search (with the overlapping poll window), details in batches, price detail."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from connector.tiktok.filters import OrderFilter
from connector.tiktok.models import Order, Page, PriceDetail
from connector.tiktok.protocol import ShopRef
from connector.tiktok.transport import Service, chunks, page_of, paged, parse

ORDERS_SEARCH = "/order/202309/orders/search"
ORDERS_DETAIL = "/order/202507/orders"
ORDER_PRICE_DETAIL = "/order/202407/orders/{order_id}/price_detail"

#: Most ids one detail call accepts.
ORDER_DETAIL_BATCH = 50


def poll_window(
    last_until: int | None, now: int, *, overlap_s: int = 300, first_lookback_s: int = 86400
) -> tuple[int, int]:
    """The ``[update_time_ge, update_time_lt)`` window of the next order poll.

    Windows overlap by ``overlap_s`` because an order's ``update_time`` can land behind a
    window that was already read; readers dedupe by id + update time.
    """
    start = (now - first_lookback_s) if last_until is None else (last_until - overlap_s)
    return max(0, start), now


class OrdersService(Service):
    def search(
        self,
        shop: ShopRef,
        filters: OrderFilter | None = None,
        *,
        page_size: int = 50,
        page_token: str | None = None,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
    ) -> Page[Order]:
        data = self._transport.request(
            "POST",
            ORDERS_SEARCH,
            shop=shop,
            query={
                "page_size": page_size,
                "page_token": page_token,
                "sort_field": sort_field,
                "sort_order": sort_order,
            },
            json=(filters or OrderFilter()).wire(),
        )
        return page_of(data, "orders", Order)

    def iterate(self, shop: ShopRef, filters: OrderFilter | None = None, *, page_size: int = 50) -> Iterator[Order]:
        """Every order matching ``filters``, page after page."""
        return paged(lambda token: self.search(shop, filters, page_size=page_size, page_token=token))

    def changed(
        self, shop: ShopRef, *, since: int, until: int, overlap_s: int = 300, order_status: str | None = None
    ) -> Iterator[Order]:
        """Orders updated in ``[since - overlap_s, until)``, each (id, update_time) once."""
        window = OrderFilter(update_time_ge=max(0, since - overlap_s), update_time_lt=until, order_status=order_status)
        seen: set[tuple[str, int | None]] = set()
        for order in self.iterate(shop, window):
            marker = (order.id, order.update_time)
            if marker not in seen:
                seen.add(marker)
                yield order

    def get(self, shop: ShopRef, order_ids: Sequence[str]) -> list[Order]:
        """Order details, fetched in batches of 50 ids."""
        orders: list[Order] = []
        for chunk in chunks(list(dict.fromkeys(order_ids)), ORDER_DETAIL_BATCH):
            data = self._transport.request("GET", ORDERS_DETAIL, shop=shop, query={"ids": list(chunk)})
            orders.extend(parse(Order, o) for o in data.get("orders") or [])
        return orders

    def price_detail(self, shop: ShopRef, order_id: str) -> PriceDetail:
        data = self._transport.request("GET", ORDER_PRICE_DETAIL, shop=shop, path_params={"order_id": order_id})
        return parse(PriceDetail, data)
