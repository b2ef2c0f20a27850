"""Fulfillment: packages (search, detail, ship) and the tracking of seller-shipped orders.

"Mark package as shipped" and the package tracking update are on 202610, where the tracking is
a ``shipping_info_list`` of one entry and the lines are an ``order_line_list`` (202309 had flat
``tracking_number`` / ``shipping_provider_id`` / ``order_line_item_ids``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connector.tiktok.filters import PackageFilter
from connector.tiktok.models import MarkShippedResult, Package, Page
from connector.tiktok.protocol import ShopRef
from connector.tiktok.transport import Service, drop_none, page_of, parse

PACKAGES_SEARCH = "/fulfillment/202309/packages/search"
PACKAGE = "/fulfillment/202309/packages/{package_id}"
PACKAGE_SHIP = "/fulfillment/202309/packages/{package_id}/ship"
PACKAGE_SHIPPING_INFO = "/fulfillment/202610/packages/{package_id}/shipping_info/update"
ORDER_MARK_SHIPPED = "/fulfillment/202610/orders/{order_id}/packages"
ORDER_SHIPPING_INFO = "/fulfillment/202309/orders/{order_id}/shipping_info/update"


class FulfillmentService(Service):
    def search_packages(
        self, shop: ShopRef, filters: PackageFilter | None = None, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Package]:
        data = self._transport.request(
            "POST",
            PACKAGES_SEARCH,
            shop=shop,
            query={"page_size": page_size, "page_token": page_token},
            json=(filters or PackageFilter()).wire(),
        )
        return page_of(data, "packages", Package)

    def get_package(self, shop: ShopRef, package_id: str) -> Package:
        data = self._transport.request("GET", PACKAGE, shop=shop, path_params={"package_id": package_id})
        data.setdefault("package_id", package_id)
        return parse(Package, data)

    def ship_package(
        self,
        shop: ShopRef,
        package_id: str,
        *,
        handover_method: str = "DROP_OFF",
        pickup_slot: Mapping[str, int] | None = None,
        tracking_number: str | None = None,
        shipping_provider_id: str | None = None,
    ) -> dict[str, Any]:
        """Ship a package; pass ``tracking_number`` + ``shipping_provider_id`` for SEND_BY_SELLER."""
        self_shipment = (
            {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}
            if tracking_number is not None
            else None
        )
        body = drop_none(
            {
                "handover_method": handover_method,
                "pickup_slot": dict(pickup_slot) if pickup_slot else None,
                "self_shipment": self_shipment,
            }
        )
        return self._transport.request(
            "POST", PACKAGE_SHIP, shop=shop, path_params={"package_id": package_id}, json=body
        )

    def mark_shipped(
        self,
        shop: ShopRef,
        order_id: str,
        *,
        tracking_number: str,
        shipping_provider_id: str,
        order_line_item_ids: Sequence[str] | None = None,
    ) -> MarkShippedResult:
        """Ship a whole order (or some line items) the seller sent themselves."""
        body = drop_none(
            {
                "order_line_list": [{"order_line_id": i} for i in order_line_item_ids] if order_line_item_ids else None,
                "shipping_info_list": shipping_info(tracking_number, shipping_provider_id),
            }
        )
        data = self._transport.request(
            "POST", ORDER_MARK_SHIPPED, shop=shop, path_params={"order_id": order_id}, json=body
        )
        return parse(MarkShippedResult, data)

    def update_shipping_info(
        self, shop: ShopRef, order_id: str, *, tracking_number: str, shipping_provider_id: str
    ) -> dict[str, Any]:
        """Correct the tracking of a seller-shipped order (within 72 h of shipping)."""
        return self._transport.request(
            "POST",
            ORDER_SHIPPING_INFO,
            shop=shop,
            path_params={"order_id": order_id},
            json={"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id},
        )

    def update_package_shipping_info(
        self, shop: ShopRef, package_id: str, *, tracking_number: str, shipping_provider_id: str
    ) -> dict[str, Any]:
        return self._transport.request(
            "POST",
            PACKAGE_SHIPPING_INFO,
            shop=shop,
            path_params={"package_id": package_id},
            json={"shipping_info_list": shipping_info(tracking_number, shipping_provider_id)},
        )


def shipping_info(tracking_number: str, shipping_provider_id: str) -> list[dict[str, str]]:
    """The 202610 tracking list: one entry (more only for sellers TikTok allows to split one item)."""
    return [{"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}]
