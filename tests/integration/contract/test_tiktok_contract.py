"""The sandbox TikTok Shop driven by ``tiktok-shop-api`` (PyPI, generated from TikTok's partner
documentation, unrelated to this project) through every call the connector relies on: each correct
request is accepted, and each answer parses in that client's models at the version it calls."""

from __future__ import annotations

import io

import pytest
from tiktok_shop_api import TikTokShopError
from tiktok_shop_api.generated import models as m
from tiktok_shop_api.generated.types import File

from tests.integration.contract.conftest import TikTokWorld, data_of
from tests.integration.tiktok.conftest import png, tee_product


def test_authorization_seller_and_prerequisites(tiktok: TikTokWorld) -> None:
    shops = data_of(tiktok.app.authorization.get_authorized_shops())["shops"]
    active = data_of(tiktok.app.seller.get_active_shops())["shops"]
    checks = data_of(tiktok.shop_api.products.check_listing_prerequisites())["check_results"]

    assert [s["cipher"] for s in shops] == [tiktok.shop.cipher]
    assert [s["id"] for s in active] == [tiktok.shop.id]
    assert checks and all("is_failed" in c for c in checks)


def test_category_brand_and_warehouse_reference_data(tiktok: TikTokWorld) -> None:
    leaf = tee_product(tiktok.world).category_id
    api = tiktok.shop_api

    categories = data_of(api.products.get_categories(category_version="v2"))["categories"]
    rules = data_of(api.products.get_category_rules(leaf, category_version="v2"))
    attributes = data_of(api.products.get_category_attributes(leaf, category_version="v2"))["attributes"]
    brands = data_of(api.products.get_brands(page_size=50, category_id=leaf, category_version="v2"))["brands"]
    recommended = data_of(
        api.products.recommend_category(body=m.RecommendCategoryRequest.from_dict({"product_title": "Cotton tee"}))
    )
    warehouses = data_of(api.logistics.get_warehouse_list())["warehouses"]
    options = data_of(api.logistics.get_warehouse_delivery_options(tiktok.warehouse_id))["delivery_options"]
    providers = data_of(api.logistics.get_shipping_providers(options[0]["id"]))

    assert any(c["id"] == leaf for c in categories)
    assert rules["cod"] == {"is_supported": False}
    assert attributes and brands and recommended["leaf_category_id"]
    assert any(w["id"] == tiktok.warehouse_id for w in warehouses)
    assert "shipping_providers" in providers


def test_image_upload(tiktok: TikTokWorld) -> None:
    body = m.UploadProductImageRequest(
        data=File(payload=io.BytesIO(png(800, 800)), file_name="tee.png", mime_type="image/png"),
        use_case=m.UploadProductImageRequestUseCase.MAIN_IMAGE,
    )

    uploaded = data_of(tiktok.app.products.upload_product_image(body=body))

    assert uploaded["uri"] and (uploaded["width"], uploaded["height"]) == (800, 800)


def test_product_create_check_get_search_and_edits(tiktok: TikTokWorld) -> None:
    body = tee_product(tiktok.world).wire()
    api = tiktok.shop_api.products

    check = data_of(api.check_product_listing(body=m.CheckProductListingRequest.from_dict(body)))
    created = data_of(api.create_product(body=m.CreateProductRequest.from_dict(body)))
    product_id = created["product_id"]
    detail = data_of(api.get_product(product_id))
    found = data_of(api.search_products(page_size=50, body=m.SearchProductsRequest.from_dict({"status": "ALL"})))
    partial = data_of(
        api.partial_edit_product(product_id, body=m.PartialEditProductRequest.from_dict({"title": "Organic tee, v2"}))
    )
    edited = data_of(api.edit_product(product_id, body=m.EditProductRequest.from_dict(body)))

    assert check["check_result"] == "PASS"
    assert detail["id"] == product_id and detail["skus"]
    assert [p["id"] for p in found["products"]] == [product_id]
    assert partial["product_id"] == product_id == edited["product_id"]


def test_inventory_price_and_status_calls(tiktok: TikTokWorld) -> None:
    product_id, skus = tiktok.active_product()
    api = tiktok.shop_api.products
    inventory = {"skus": [{"id": skus[0], "inventory": [{"warehouse_id": tiktok.warehouse_id, "quantity": 7}]}]}

    data_of(api.update_inventory(product_id, body=m.UpdateInventoryRequest.from_dict(inventory)))
    data_of(
        api.update_price(
            product_id,
            body=m.UpdatePriceRequest.from_dict(
                {"skus": [{"id": skus[0], "price": {"amount": "21.00", "currency": "USD"}}]}
            ),
        )
    )
    stock = data_of(api.inventory_search(body=m.InventorySearchRequest.from_dict({"sku_ids": [skus[0]]})))
    deactivated = data_of(
        api.deactivate_products(body=m.DeactivateProductsRequest.from_dict({"product_ids": [product_id]}))
    )
    activated = data_of(api.activate_products(body=m.ActivateProductsRequest.from_dict({"product_ids": [product_id]})))

    assert stock["inventory"][0]["skus"][0]["total_available_quantity"] == 7
    assert deactivated["errors"] == [] == activated["errors"]
    assert tiktok.ours.get_product(tiktok.shop, product_id).skus[0].price.sale_price == 21


def test_orders_price_detail_and_packages(tiktok: TikTokWorld) -> None:
    _, skus = tiktok.active_product()
    placed = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 2)], shipping_fee="4.99", tax="1.60")
    api = tiktok.shop_api

    listed = data_of(api.orders.get_order_list(page_size=20, body=m.GetOrderListRequest.from_dict({})))
    (order,) = data_of(api.orders.get_order_detail(ids=[placed["id"]]))["orders"]
    price = data_of(api.orders.get_order_price_details(placed["id"]))
    package_id = order["packages"][0]["id"]
    packages = data_of(api.fulfillment.search_package(page_size=20, body=m.SearchPackageRequest.from_dict({})))
    package = data_of(api.fulfillment.get_package_detail(package_id))

    assert [o["id"] for o in listed["orders"]] == [placed["id"]]
    assert len(order["line_items"]) == 2
    assert price["total"] == order["payment"]["total_amount"] and len(price["line_items"]) == 2
    assert packages["packages"][0]["id"] == package_id and packages["packages"][0]["orders"][0]["id"] == placed["id"]
    assert package["package_id"] == package_id and package["orders"][0]["id"] == placed["id"]


def test_shipping_a_package_and_marking_an_order_shipped(tiktok: TikTokWorld) -> None:
    _, skus = tiktok.active_product()
    first = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1)])
    second = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1)])
    provider = tiktok.sandbox.shipping_providers(tiktok.sandbox.state.shops[tiktok.shop.id])[0]["id"]
    api = tiktok.shop_api.fulfillment
    package_id = tiktok.ours.get_orders(tiktok.shop, [first["id"]])[0].packages[0].id
    shipment = {"self_shipment": {"tracking_number": "1Z100", "shipping_provider_id": provider}}

    data_of(api.ship_package(package_id, body=m.ShipPackageRequest.from_dict(shipment)))
    marked = data_of(
        api.mark_package_as_shipped(
            second["id"],
            body=m.MarkPackageAsShippedRequest.from_dict(
                {"shipping_info_list": [{"tracking_number": "1Z200", "shipping_provider_id": provider}]}
            ),
        )
    )

    assert tiktok.ours.get_package(tiktok.shop, package_id).tracking_number == "1Z100"
    assert marked["package_id"] and marked["order_id"] == second["id"]


def test_cancellations_and_returns(tiktok: TikTokWorld) -> None:
    _, skus = tiktok.active_product()
    cancelled = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1)])
    returned = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1)])
    tiktok.sandbox.buyer_cancel(cancelled["id"])
    provider = tiktok.sandbox.shipping_providers(tiktok.sandbox.state.shops[tiktok.shop.id])[0]["id"]
    tiktok.ours.mark_package_shipped(tiktok.shop, returned["id"], tracking_number="1Z9", shipping_provider_id=provider)
    tiktok.sandbox.advance_order(returned["id"], "DELIVERED")
    tiktok.sandbox.buyer_request_return(returned["id"], "REFUND")
    api = tiktok.shop_api.return_and_refund

    cancellations = data_of(api.search_cancellations(page_size="20", body=m.SearchCancellationsRequest.from_dict({})))
    returns = data_of(api.search_returns(page_size="20", body=m.SearchReturnsRequest.from_dict({})))
    cancel_id = cancellations["cancellations"][0]["cancel_id"]
    return_id = returns["return_orders"][0]["return_id"]
    data_of(api.approve_cancellation(cancel_id, idempotency_key="approve-" + cancel_id))
    approve = m.ApproveReturnRequest.from_dict({"decision": "APPROVE_REFUND"})
    data_of(api.approve_return(return_id, body=approve, idempotency_key="approve-" + return_id))

    assert cancellations["cancellations"][0]["order_id"] == cancelled["id"]
    assert returns["return_orders"][0]["order_id"] == returned["id"]
    assert tiktok.ours.get_orders(tiktok.shop, [cancelled["id"]])[0].status == "CANCELLED"


def test_an_unknown_operation_is_a_tiktok_error_the_client_reads(tiktok: TikTokWorld) -> None:
    with pytest.raises(TikTokShopError) as caught:
        tiktok.shop_api.products.get_global_listing_rules()

    assert caught.value.code == 36009009
    assert caught.value.http_status == 404 and caught.value.request_id


def test_seller_cancel_and_rejections(tiktok: TikTokWorld) -> None:
    _, skus = tiktok.active_product()
    seller_cancelled = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1)])
    requested = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1)])
    returned = tiktok.sandbox.place_order(tiktok.shop.id, [(skus[0], 1)])
    tiktok.sandbox.buyer_cancel(requested["id"])
    provider = tiktok.sandbox.shipping_providers(tiktok.sandbox.state.shops[tiktok.shop.id])[0]["id"]
    tiktok.ours.mark_package_shipped(tiktok.shop, returned["id"], tracking_number="1Z8", shipping_provider_id=provider)
    tiktok.sandbox.advance_order(returned["id"], "DELIVERED")
    tiktok.sandbox.buyer_request_return(returned["id"], "REFUND")
    api = tiktok.shop_api.return_and_refund

    cancelled = data_of(
        api.cancel_order(
            body=m.CancelOrderRequest.from_dict(
                {"order_id": seller_cancelled["id"], "cancel_reason": "seller_cancel_reason_out_of_stock"}
            )
        )
    )
    (request,) = [
        c
        for c in data_of(api.search_cancellations(page_size="20", body=m.SearchCancellationsRequest.from_dict({})))[
            "cancellations"
        ]
        if c["order_id"] == requested["id"]
    ]
    data_of(
        api.reject_cancellation(
            request["cancel_id"],
            body=m.RejectCancellationRequest.from_dict({"reject_reason": "seller_reject_apply_product_shipped"}),
            idempotency_key="reject-" + request["cancel_id"],
        )
    )
    (ret,) = data_of(api.search_returns(page_size="20", body=m.SearchReturnsRequest.from_dict({})))["return_orders"]
    data_of(
        api.reject_return(
            ret["return_id"],
            body=m.RejectReturnRequest.from_dict(
                {"decision": "REJECT_REFUND", "reject_reason": "seller_reject_refund_item_not_returned"}
            ),
            idempotency_key="reject-" + ret["return_id"],
        )
    )

    assert cancelled["cancel_id"]
    assert tiktok.ours.get_orders(tiktok.shop, [seller_cancelled["id"]])[0].status == "CANCELLED"
    assert tiktok.sandbox.state.returns[ret["return_id"]].status == "REFUND_OR_RETURN_REQUEST_REJECT"
