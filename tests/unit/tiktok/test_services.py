"""The client's shape: area services on one transport, filter models, and the features' port."""

from __future__ import annotations

import inspect

import pytest
from pydantic import ValidationError

from connector.tiktok.after_sales import CANCELLATIONS_SEARCH, RETURNS_SEARCH
from connector.tiktok.client import TikTokClient
from connector.tiktok.filters import (
    CancellationFilter,
    OrderFilter,
    PackageFilter,
    ProductFilter,
    ReturnFilter,
    TimeWindow,
)
from connector.tiktok.fulfillment import PACKAGES_SEARCH
from connector.tiktok.logistics import WAREHOUSES
from connector.tiktok.orders import ORDERS_SEARCH, OrdersService
from connector.tiktok.products import IMAGES_UPLOAD, INVENTORY_SEARCH, PRODUCTS_SEARCH
from connector.tiktok.protocol import TikTokShop

from .conftest import SHOP, FakeTokens, Harness, json_body, ok


def test_every_search_with_a_half_open_window_shares_the_time_window() -> None:
    for model in (OrderFilter, PackageFilter, CancellationFilter, ReturnFilter):
        assert issubclass(model, TimeWindow)
    assert not issubclass(ProductFilter, TimeWindow)  # TikTok's product search bounds are both inclusive
    assert {"create_time_le", "update_time_le"} <= set(ProductFilter.model_fields)


def test_a_filter_sends_only_what_is_set_and_lists_as_arrays() -> None:
    window = ReturnFilter(order_ids=["5001"], update_time_ge=10, update_time_lt=20)

    assert window.wire() == {"order_ids": ["5001"], "update_time_ge": 10, "update_time_lt": 20}
    assert CancellationFilter().wire() == {}


def test_a_filter_refuses_unknown_fields_and_non_integer_times() -> None:
    with pytest.raises(ValidationError):
        OrderFilter(update_time_gt=5)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        OrderFilter(update_time_ge="yesterday")  # type: ignore[arg-type]


def test_service_calls_and_flat_calls_send_the_same_request(harness: Harness) -> None:
    window = OrderFilter(order_status="AWAITING_SHIPMENT", update_time_ge=5, update_time_lt=9)
    harness.client.orders.search(SHOP, window, page_size=10)
    harness.client.search_orders(
        SHOP, order_status="AWAITING_SHIPMENT", update_time_ge=5, update_time_lt=9, page_size=10
    )

    service_call, flat_call = harness.fake.calls(ORDERS_SEARCH)
    assert json_body(service_call) == json_body(flat_call) == window.wire()
    assert service_call.query == flat_call.query and service_call.sign_ok


@pytest.mark.parametrize(
    ("search", "path", "body"),
    [
        (lambda c: c.search_packages(SHOP, package_status="PROCESSING", create_time_lt=7), PACKAGES_SEARCH,
         {"package_status": "PROCESSING", "create_time_lt": 7}),
        (lambda c: c.search_cancellations(SHOP, cancel_ids=["9"], cancel_types=["CANCEL"]), CANCELLATIONS_SEARCH,
         {"cancel_ids": ["9"], "cancel_types": ["CANCEL"]}),
        (lambda c: c.search_returns(SHOP, return_status=["RETURN_OR_REFUND_REQUEST_PENDING"]), RETURNS_SEARCH,
         {"return_status": ["RETURN_OR_REFUND_REQUEST_PENDING"]}),
        (lambda c: c.search_products(SHOP, seller_skus=["TEE-1"], update_time_le=3), PRODUCTS_SEARCH,
         {"seller_skus": ["TEE-1"], "update_time_le": 3}),
    ],
)
def test_flat_searches_build_their_filter(harness: Harness, search: object, path: str, body: object) -> None:
    search(harness.client)  # type: ignore[operator]

    (call,) = harness.fake.calls(path)
    assert json_body(call) == body


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [({"sku_ids": ["s1", "s2"]}, {"sku_ids": ["s1", "s2"]}), ({"product_ids": ["p1"]}, {"product_ids": ["p1"]})],
)
def test_inventory_search_asks_by_skus_or_products(
    harness: Harness, kwargs: dict[str, list[str]], body: object
) -> None:
    record = {"product_id": "p1", "skus": [{"id": "s1", "total_available_quantity": 4}]}
    harness.fake.script(INVENTORY_SEARCH, ok({"inventory": [record]}))

    found = harness.client.products.search_inventory(SHOP, **kwargs)

    (call,) = harness.fake.calls(INVENTORY_SEARCH)
    assert call.method == "POST" and json_body(call) == body and call.query["shop_cipher"] == SHOP.cipher
    assert [r.product_id for r in found] == ["p1"]


def test_a_client_bound_to_a_seller_rebinds_every_service_and_keeps_the_image_cache(harness: Harness) -> None:
    harness.fake.script(IMAGES_UPLOAD, ok({"uri": "tos-1", "url": "https://img.test/1"}))
    harness.client.upload_image(SHOP, b"png-bytes")
    other = FakeTokens(token="TTP_other_seller_token_1234")

    bound = harness.client.with_tokens(other)
    bound.logistics.warehouses(SHOP)
    bound.upload_image(SHOP, b"png-bytes")

    (warehouses,) = harness.fake.calls(WAREHOUSES)
    assert warehouses.headers["x-tts-access-token"] == other.token
    assert len(harness.fake.calls(IMAGES_UPLOAD)) == 1  # the cache came along
    assert harness.client.orders is not bound.orders and bound.app_key == harness.client.app_key


def test_flat_names_forward_to_the_service_method(harness: Harness) -> None:
    assert TikTokClient.get_orders.__doc__ == OrdersService.get.__doc__
    flat = inspect.signature(harness.client.get_orders)
    assert list(flat.parameters) == ["shop", "order_ids"]


def _members(cls: type) -> set[str]:
    return {name for name in vars(cls) if not name.startswith("_")}


def test_the_client_offers_every_call_of_the_port_with_the_same_parameters(harness: Harness) -> None:
    names = _members(TikTokShop)
    assert {"get_orders", "search_returns", "update_inventory", "with_tokens"} <= names
    for name in names:
        port = inspect.signature(getattr(TikTokShop, name))
        offered = inspect.signature(getattr(harness.client, name))
        assert list(offered.parameters) == [p for p in port.parameters if p != "self"], name
