"""Logistics: warehouses, their delivery options, and each option's shipping providers."""

from __future__ import annotations

from collections.abc import Iterable

from connector.tiktok.models import DeliveryOption, ShippingProvider, Warehouse
from connector.tiktok.protocol import ShopRef
from connector.tiktok.transport import Service, parse

WAREHOUSES = "/logistics/202309/warehouses"
DELIVERY_OPTIONS = "/logistics/202309/warehouses/{warehouse_id}/delivery_options"
SHIPPING_PROVIDERS = "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers"


class LogisticsService(Service):
    def warehouses(self, shop: ShopRef) -> list[Warehouse]:
        data = self._transport.request("GET", WAREHOUSES, shop=shop)
        return [parse(Warehouse, w) for w in data.get("warehouses") or []]

    def delivery_options(self, shop: ShopRef, warehouse_id: str) -> list[DeliveryOption]:
        data = self._transport.request("GET", DELIVERY_OPTIONS, shop=shop, path_params={"warehouse_id": warehouse_id})
        return [parse(DeliveryOption, d) for d in data.get("delivery_options") or []]

    def shipping_providers(self, shop: ShopRef, delivery_option_id: str) -> list[ShippingProvider]:
        data = self._transport.request(
            "GET", SHIPPING_PROVIDERS, shop=shop, path_params={"delivery_option_id": delivery_option_id}
        )
        return [parse(ShippingProvider, p) for p in data.get("shipping_providers") or []]


def default_sales_warehouse(warehouses: Iterable[Warehouse]) -> Warehouse | None:
    """The warehouse product inventory goes to: the enabled default SALES warehouse."""
    sales = [w for w in warehouses if w.type == "SALES_WAREHOUSE" and w.effect_status in (None, "ENABLED")]
    for warehouse in sales:
        if warehouse.is_default:
            return warehouse
    return sales[0] if sales else None
