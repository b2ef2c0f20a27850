"""The sandbox answers in the shapes TikTok's partner documentation gives (field names as listed in
docs/tiktok.md), on every version it serves."""

from __future__ import annotations

import pytest

from connector.tiktok import errors as e
from local.sandbox_tiktok import codes
from tests.integration.tiktok.conftest import World, active_product, tee_product


@pytest.fixture
def skus(world: World) -> list[str]:
    _, sku_ids = active_product(world)
    return sku_ids


def test_product_without_brand_or_identifier_leaves_the_keys_out(world: World) -> None:
    product_id, _ = active_product(world, brand_id=None)

    detail = world.client.request(
        "GET", "/product/202309/products/{product_id}", shop=world.shop, path_params={"product_id": product_id}
    )

    assert "brand" not in detail
    assert detail["skus"] and all("identifier_code" not in sku for sku in detail["skus"])


def test_product_with_a_brand_answers_a_brand_object(world: World) -> None:
    brand = next(b for b in world.sandbox.state.brands if b.authorized and not b.kinds)
    product_id, _ = active_product(world, brand_id=brand.id)

    detail = world.client.request(
        "GET", "/product/202309/products/{product_id}", shop=world.shop, path_params={"product_id": product_id}
    )

    assert detail["brand"] == {"id": brand.id, "name": brand.name}


def test_package_search_and_detail_have_their_own_field_names(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 2)])
    order = world.client.get_orders(world.shop, [placed["id"]])[0]
    package_id = order.packages[0].id

    found = world.client.request(
        "POST", "/fulfillment/202309/packages/search", shop=world.shop, query={"page_size": 50}, json={}
    )["packages"]
    detail = world.client.request(
        "GET", "/fulfillment/202309/packages/{package_id}", shop=world.shop, path_params={"package_id": package_id}
    )

    item = next(p for p in found if p["id"] == package_id)
    assert {"id", "status", "orders"} <= set(item) and not {"package_status", "order_id", "order_ids"} & set(item)
    assert item["orders"] == [
        {"id": order.id, "skus": [{"id": skus[0], "name": item["orders"][0]["skus"][0]["name"], "quantity": 2}]}
    ]
    assert {"package_id", "package_status", "orders"} <= set(detail) and "id" not in detail
    assert detail["orders"][0]["id"] == order.id


def test_order_price_detail_uses_tiktoks_field_names(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 2)], shipping_fee="4.99", tax="1.60")

    detail = world.client.request(
        "GET", "/order/202407/orders/{order_id}/price_detail", shop=world.shop, path_params={"order_id": placed["id"]}
    )

    assert {"currency", "subtotal", "shipping_sale_price", "tax_amount", "total", "line_items"} <= set(detail)
    assert not {"shipping", "tax", "sku_prices"} & set(detail)
    assert detail["shipping_sale_price"] == "4.99" and detail["tax_amount"] == "1.60"
    assert len(detail["line_items"]) == 2
    assert all(
        {"id", "sku_sale_price", "shipping_sale_price", "tax_amount", "total"} <= set(line)
        for line in detail["line_items"]
    )


def test_category_rules_have_a_cod_object(world: World) -> None:
    rules = world.client.request(
        "GET",
        "/product/202309/categories/{category_id}/rules",
        shop=world.shop,
        path_params={"category_id": tee_product(world).category_id},
        query={"category_version": "v2"},
    )

    assert rules["cod"] == {"is_supported": False}
    assert "is_cod_allowed" not in rules


def test_active_shops_answer_id_and_region_only(world: World) -> None:
    shops = world.client.request("GET", "/seller/202309/shops")["shops"]
    authorized = world.client.request("GET", "/authorization/202309/shops")["shops"]

    assert shops and all(set(shop) == {"id", "region"} for shop in shops)
    assert all({"id", "name", "region", "seller_type", "cipher", "code"} <= set(shop) for shop in authorized)


def test_newer_versions_are_served_with_their_own_answers(world: World) -> None:
    product_id, _ = active_product(world)

    search = world.client.request(
        "POST", "/product/202502/products/search", shop=world.shop, query={"page_size": 50}, json={}
    )
    old_search = world.client.request(
        "POST", "/product/202309/products/search", shop=world.shop, query={"page_size": 50}, json={}
    )
    checks = world.client.request("GET", "/product/202312/prerequisites", shop=world.shop)["check_results"]
    edited = world.client.request(
        "POST",
        "/product/202509/products/{product_id}/partial_edit",
        shop=world.shop,
        path_params={"product_id": product_id},
        json={"title": "Organic Tee, edited"},
    )

    assert next(p for p in search["products"] if p["id"] == product_id)["audit"] == {"status": "APPROVED"}
    assert all("audit" not in p for p in old_search["products"])
    assert checks and all({"check_item", "is_failed", "fail_reasons"} <= set(check) for check in checks)
    assert edited["product_id"] == product_id and edited["audit"] == {"status": "AUDITING"}
    assert "warnings" not in edited


def test_prerequisites_exist_only_at_202312(world: World) -> None:
    with pytest.raises(e.TikTokNotFound) as caught:
        world.client.request("GET", "/product/202309/prerequisites", shop=world.shop)
    assert caught.value.tiktok_code == codes.INVALID_PATH


def test_an_unknown_path_gets_tiktoks_envelope(world: World) -> None:
    with pytest.raises(e.TikTokNotFound) as caught:
        world.client.request("POST", "/order/209901/orders/search", shop=world.shop, json={})
    assert caught.value.tiktok_code == codes.INVALID_PATH
    assert caught.value.request_id
    assert "no route" not in caught.value.tiktok_message


def _nulls(value: object, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return [path] if value is None else []


def test_product_answers_leave_absent_fields_out_instead_of_null(world: World) -> None:
    product_id, _ = active_product(world)  # sales attributes without sku_img, no external ids

    detail = world.client.request(
        "GET", "/product/202309/products/{product_id}", shop=world.shop, path_params={"product_id": product_id}
    )
    found = world.client.request(
        "POST", "/product/202502/products/search", shop=world.shop, query={"page_size": 50}, json={}
    )

    assert _nulls(detail) == [] and _nulls(found) == []
    assert all("sku_img" not in a for sku in detail["skus"] for a in sku["sales_attributes"])


def test_mark_shipped_without_a_warning_leaves_the_object_out(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    provider = world.sandbox.shipping_providers(world.sandbox.state.shops[world.shop_id])[0]["id"]

    answer = world.client.request(
        "POST",
        "/fulfillment/202309/orders/{order_id}/packages",
        shop=world.shop,
        path_params={"order_id": placed["id"]},
        json={"tracking_number": "1Z5", "shipping_provider_id": provider},
    )

    assert answer["package_id"] and "warning" not in answer


def test_return_rejection_202606_wants_a_decision(world: World, skus: list[str]) -> None:
    placed = world.sandbox.place_order(world.shop_id, [(skus[0], 1)])
    provider = world.sandbox.shipping_providers(world.sandbox.state.shops[world.shop_id])[0]["id"]
    world.client.mark_package_shipped(world.shop, placed["id"], tracking_number="1Z6", shipping_provider_id=provider)
    world.sandbox.advance_order(placed["id"], "DELIVERED")
    world.sandbox.buyer_request_return(placed["id"], "REFUND")
    return_id = next(r.id for r in world.sandbox.state.returns.values() if r.order_id == placed["id"])
    path = "/return_refund/202606/returns/{return_id}/reject"
    reason = {"reject_reason": "seller_reject_refund_item_not_returned"}

    with pytest.raises(e.BadRequest) as missing:
        world.client.request("POST", path, shop=world.shop, path_params={"return_id": return_id}, json=reason)
    world.client.request(
        "POST",
        path,
        shop=world.shop,
        path_params={"return_id": return_id},
        query={"idempotency_key": "reject-1"},
        json={**reason, "decision": "REJECT_REFUND"},
    )

    assert "decision" in missing.value.tiktok_message
    assert world.sandbox.state.returns[return_id].status == "REFUND_OR_RETURN_REQUEST_REJECT"
