"""The client's product, catalog and logistics surface against the sandbox."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from connector.tiktok import errors as e
from connector.tiktok import webhooks as w
from connector.tiktok.client import default_sales_warehouse
from connector.tiktok.models import InventoryEntry, Price, SkuInventoryUpdate, SkuPriceUpdate
from local.sandbox_tiktok import codes
from tests.support.wait import until

from .conftest import APP_KEY, APP_SECRET, Receiver, World, active_product, png, tee_product


def test_category_tree_has_versions_leaves_and_invite_only(world: World) -> None:
    v2 = world.client.get_categories(world.shop)  # a US shop defaults to v2
    v1 = world.client.get_categories(world.shop, category_version="v1")

    assert {c.id for c in v2}.isdisjoint({c.id for c in v1})
    leaves = [c for c in v2 if c.is_leaf]
    assert len(leaves) >= 20
    assert any(not c.is_available for c in leaves)  # INVITE_ONLY
    parents = {c.parent_id for c in v2}
    assert all(c.id not in parents for c in leaves)
    assert [c.local_name for c in world.client.get_categories(world.shop, keyword="jeans")] == ["Men's Jeans"]


def test_rules_attributes_and_brands_of_a_leaf(world: World) -> None:
    rules = world.client.get_category_rules(world.shop, "1004215")
    attributes = world.client.get_attributes(world.shop, "1000302")
    brands = world.client.get_brands(world.shop, category_id="1000302")

    assert rules.product_certifications and rules.product_certifications[0]["is_required"]
    assert {a.type for a in attributes} == {"SALES_PROPERTY", "PRODUCT_PROPERTY"}
    material = next(a for a in attributes if a.name == "Material")
    assert material.is_required  # read from TikTok's "is_requried"
    assert "Nike" in {b.name for b in brands.items}
    assert "Brickworks" not in {b.name for b in brands.items}
    with pytest.raises(e.ProductValidationError) as caught:
        world.client.get_attributes(world.shop, "424242")
    assert caught.value.tiktok_code == codes.CATEGORY_NOT_FOUND


def test_brand_pages_and_custom_brand(world: World) -> None:
    first = world.client.get_brands(world.shop, page_size=3)
    second = world.client.get_brands(world.shop, page_size=3, page_token=first.next_page_token)
    brand_id = world.client.create_brand(world.shop, "Sandbox Test Brand")

    assert len(first.items) == 3 and first.next_page_token
    assert {b.id for b in first.items}.isdisjoint({b.id for b in second.items})
    assert brand_id in {b.id for b in world.client.get_brands(world.shop, brand_name="sandbox test").items}
    create = [r for r in world.sandbox.requests(pattern="/product/202309/brands") if r["method"] == "POST"][-1]
    assert create["code"] == 0 and not create["has_cipher"]


@pytest.mark.parametrize(
    ("title", "leaf_name"),
    [
        ("Insulated stainless steel water bottle 1L", "Water Bottles"),
        ("Wireless noise cancelling earbuds", "Headphones"),
        ("Floral midi dress", "Dresses"),
        ("Mysterious widget", "Home Organizers"),
    ],
)
def test_recommend_category_returns_a_plausible_available_leaf(world: World, title: str, leaf_name: str) -> None:
    recommended = world.client.recommend_category(world.shop, title)
    categories = {c.id: c for c in world.client.get_categories(world.shop)}
    leaf = categories[recommended.leaf_category_id]
    assert leaf.is_available
    assert leaf.local_name == leaf_name
    assert recommended.categories[-1]["id"] == leaf.id


def test_image_upload_reads_dimensions_and_each_image_goes_once(world: World) -> None:
    first = world.client.upload_image(world.shop, png(640, 640, (5, 5, 5)))
    again = world.client.upload_image(world.shop, png(640, 640, (5, 5, 5)))
    other = world.client.upload_image(world.shop, png(1200, 900, (6, 6, 6)))

    assert (first.width, first.height) == (640, 640)
    assert (other.width, other.height) == (1200, 900)
    assert again.uri == first.uri
    uploads = [r for r in world.sandbox.requests(pattern="/product/202309/images/upload") if r["code"] == 0]
    assert len([u for u in uploads if not u["has_cipher"]]) >= 2
    assert world.sandbox.state.images[first.uri].width == 640


def test_image_upload_refuses_non_images(world: World) -> None:
    with pytest.raises(e.BadRequest) as caught:
        world.client.upload_image(world.shop, b"%PDF-1.4 not an image")
    assert caught.value.tiktok_code == codes.UPLOAD_BAD_CONTENT


def test_create_review_and_webhooks(world: World, receiver: Receiver) -> None:
    # Given a valid listing, and a reviewer who takes an hour
    world.sandbox.config.review_delay_s = 3600 / world.sandbox.time_scale
    created = world.client.create_product(world.shop, tee_product(world))
    assert world.client.get_product(world.shop, created.product_id).status == "PENDING"

    # When the review passes
    world.sandbox.review_now(created.product_id)
    assert world.client.get_product(world.shop, created.product_id).status == "ACTIVATE"

    # Then webhooks 16, 37 (AUDITING), 5 (first pass) and 37 (APPROVED) arrive, signed
    until(lambda: len(world.events(receiver, 37)) >= 2, timeout=5, what="audit webhooks")
    deliveries = receiver.deliveries(world.shop_id)
    assert all(w.verify(APP_KEY, APP_SECRET, d["body"], d["authorization"]) for d in deliveries)
    events = [w.parse_event(d["body"]) for d in deliveries]
    status = next(ev for ev in events if isinstance(ev, w.ProductStatusChange))
    audits = [ev.data.audit.status for ev in events if isinstance(ev, w.ProductAuditStatusChange)]
    assert status.data.product_id == created.product_id
    assert status.data.status == "PRODUCT_FIRST_PASS_REVIEW"
    assert audits == ["AUDITING", "APPROVED"]
    assert any(isinstance(ev, w.ProductCreation) for ev in events)
    assert len(created.skus) == 4 and all(s.sales_attributes for s in created.skus)


def test_review_failure_carries_a_reason(world: World, receiver: Receiver) -> None:
    world.sandbox.set_review_outcome("FAILED", "Main image shows a watermark")
    created = world.client.create_product(world.shop, tee_product(world))

    until(lambda: world.client.get_product(world.shop, created.product_id).status == "FAILED", timeout=5)
    product = world.client.get_product(world.shop, created.product_id)
    failure = until(lambda: world.events(receiver, 5), timeout=5)[0]

    assert product.audit_failed_reasons[0].reasons == ["Main image shows a watermark"]
    assert failure["data"]["status"] == "PRODUCT_AUDIT_FAILURE"
    assert failure["data"]["suspended_reason"] == "Main image shows a watermark"


def test_prohibited_words_fail_review(world: World) -> None:
    created = world.client.create_product(world.shop, tee_product(world, title="Designer replica tee"))
    until(lambda: world.client.get_product(world.shop, created.product_id).status == "FAILED", timeout=5)


def test_draft_is_not_reviewed(world: World) -> None:
    created = world.client.create_product(world.shop, tee_product(world, save_mode="AS_DRAFT"))
    assert world.client.get_product(world.shop, created.product_id).status == "DRAFT"


def test_search_filters_and_pages(world: World) -> None:
    first, _ = active_product(world)
    second = world.client.create_product(world.shop, tee_product(world, save_mode="AS_DRAFT"))

    page = world.client.search_products(world.shop, page_size=1)
    everything = list(world.client.iter_products(world.shop, page_size=1))
    drafts = world.client.search_products(world.shop, status="DRAFT")
    by_sku = world.client.search_products(world.shop, seller_skus=["TEE-Black-M"])

    assert page.total_count == 2 and page.next_page_token
    assert [p.id for p in everything] == [first, second.product_id]
    assert [p.id for p in drafts.items] == [second.product_id]
    assert {p.id for p in by_sku.items} == {first, second.product_id}
    assert by_sku.items[0].skus[0].price is not None
    assert by_sku.items[0].skus[0].price.sale_price == Decimal("19.90")


def test_full_edit_replaces_and_rereviews_keeping_sku_ids(world: World, receiver: Receiver) -> None:
    product_id, sku_ids = active_product(world)
    current = world.client.get_product(world.shop, product_id)
    body = tee_product(world, title="Organic Cotton Crew T-shirt v2")
    body = body.model_copy(update={"skus": [s.model_copy(update={"id": sku_ids[i]}) for i, s in enumerate(body.skus)]})

    world.sandbox.config.review_delay_s = 3600 / world.sandbox.time_scale

    result = world.client.edit_product(world.shop, product_id, body)

    assert current.title == "Organic Cotton Crew T-shirt"
    assert [s.id for s in result.skus] == sku_ids
    assert world.client.get_product(world.shop, product_id).status == "PENDING"
    world.sandbox.review_now(product_id)
    assert world.client.get_product(world.shop, product_id).status == "ACTIVATE"
    change = until(lambda: world.events(receiver, 15), timeout=5)[0]
    assert change["data"]["change_source"] == "OPEN_API" and "title" in change["data"]["changed_fields"]


def test_partial_edit_replaces_only_given_fields(world: World) -> None:
    product_id, _ = active_product(world)
    world.client.partial_edit_product(world.shop, product_id, {"title": "Organic Tee, partial edit"})
    product = world.client.get_product(world.shop, product_id)
    assert product.title == "Organic Tee, partial edit"
    assert product.description and "organic cotton" in product.description
    assert len(product.skus) == 4


def test_inventory_update_is_absolute_and_reads_back(world: World, receiver: Receiver) -> None:
    product_id, sku_ids = active_product(world)
    world.client.update_inventory(
        world.shop,
        product_id,
        [SkuInventoryUpdate(id=sku_ids[0], inventory=[InventoryEntry(warehouse_id=world.warehouse_id, quantity=0)])],
    )
    records = world.client.search_inventory(world.shop, sku_ids=[sku_ids[0]])
    assert records[0].skus[0]["total_available_quantity"] == 0
    event = until(lambda: world.events(receiver, 27), timeout=5)[0]
    assert event["data"]["current_inventory_status"] == "OUT_OF_STOCK"


def test_inventory_update_must_list_every_assigned_warehouse(world: World) -> None:
    product_id, sku_ids = active_product(world)
    with pytest.raises(e.ProductValidationError) as caught:
        world.client.update_inventory(
            world.shop,
            product_id,
            [SkuInventoryUpdate(id=sku_ids[0], inventory=[InventoryEntry(warehouse_id="42", quantity=1)])],
        )
    assert caught.value.tiktok_code == codes.WAREHOUSE_NOT_FOUND
    with pytest.raises(e.ProductValidationError) as unknown_sku:
        world.client.update_inventory(
            world.shop,
            product_id,
            [SkuInventoryUpdate(id="999", inventory=[InventoryEntry(warehouse_id=world.warehouse_id, quantity=1)])],
        )
    assert unknown_sku.value.tiktok_code == codes.SKU_NOT_IN_PRODUCT


def test_price_update_on_active_products_only(world: World) -> None:
    product_id, sku_ids = active_product(world)
    world.client.update_prices(
        world.shop, product_id, [SkuPriceUpdate(id=sku_ids[1], price=Price(amount=Decimal("24.50"), currency="USD"))]
    )
    skus = {s.id: s for s in world.client.get_product(world.shop, product_id).skus}
    assert skus[sku_ids[1]].price is not None and skus[sku_ids[1]].price.sale_price == Decimal("24.50")

    draft = world.client.create_product(world.shop, tee_product(world, save_mode="AS_DRAFT"))
    with pytest.raises(e.ProductValidationError) as caught:
        world.client.update_prices(
            world.shop,
            draft.product_id,
            [SkuPriceUpdate(id=draft.skus[0].id, price=Price(amount=Decimal("1.00"), currency="USD"))],
        )
    assert caught.value.tiktok_code == codes.PRODUCT_STATUS_FORBIDS


def test_deactivate_activate_delete(world: World, receiver: Receiver) -> None:
    product_id, _ = active_product(world)

    off = world.client.deactivate_products(world.shop, [product_id, "1234567890123456789"])
    assert world.client.get_product(world.shop, product_id).status == "SELLER_DEACTIVATED"
    world.client.activate_products(world.shop, [product_id])
    assert world.client.get_product(world.shop, product_id).status == "ACTIVATE"
    world.client.delete_products(world.shop, [product_id])

    assert world.client.get_product(world.shop, product_id).status == "DELETED"
    world.client.recover_products(world.shop, [product_id])
    assert world.client.get_product(world.shop, product_id).status == "SELLER_DEACTIVATED"
    assert [err.code for err in off.errors] == [codes.PRODUCT_NOT_FOUND]
    changes = until(
        lambda: [ev for ev in world.events(receiver, 5) if ev["data"]["status"] == "PRODUCT_STATUS_CHANGED"], timeout=5
    )
    assert changes


def test_unknown_product_is_not_found(world: World) -> None:
    with pytest.raises(e.TikTokNotFound) as caught:
        world.client.get_product(world.shop, "1729000000000000000")
    assert caught.value.request_id


def test_duplicate_create_with_the_same_idempotency_key_lists_once(world: World) -> None:
    body = tee_product(world, idempotency_key="create-once-123")
    first = world.client.create_product(world.shop, body)
    second = world.client.create_product(world.shop, body)
    assert first.product_id == second.product_id
    assert sum(1 for p in world.sandbox.state.products.values() if p.shop_id == world.shop_id) == 1


def test_daily_listing_limit(world: World) -> None:
    world.sandbox.set_shop(world.shop_id, daily_listing_limit=1)
    world.client.create_product(world.shop, tee_product(world))
    with pytest.raises(e.ListingLimitReached) as caught:
        world.client.create_product(world.shop, tee_product(world))
    assert caught.value.tiktok_code == codes.DAILY_LISTING_LIMIT


def test_prerequisites_report_shop_readiness(world: World) -> None:
    assert world.client.get_prerequisites(world.shop).ready
    world.sandbox.set_shop(world.shop_id, has_shipping_template=False)
    checks = world.client.get_prerequisites(world.shop)
    assert not checks.ready
    assert [c.check_item for c in checks.check_results if c.is_failed] == ["SHIPPING_TEMPLATE"]
    with pytest.raises(e.ProductValidationError) as caught:
        world.client.create_product(world.shop, tee_product(world))
    assert caught.value.tiktok_code == codes.NO_SHIPPING_TEMPLATE


def test_warehouses_delivery_options_and_providers(world: World) -> None:
    warehouses = world.client.get_warehouses(world.shop)
    default = default_sales_warehouse(warehouses)
    options = world.client.get_delivery_options(world.shop, world.warehouse_id)
    providers = world.client.get_shipping_providers(world.shop, options[-1].id)

    assert default is not None and default.id == world.warehouse_id
    assert {w.type for w in warehouses} == {"SALES_WAREHOUSE", "RETURN_WAREHOUSE"}
    assert "SEND_BY_SELLER" in {o.type for o in options}
    assert {p.name for p in providers} >= {"USPS", "UPS"}


def test_product_timestamps_are_current(world: World) -> None:
    product_id, _ = active_product(world)
    product = world.client.get_product(world.shop, product_id)
    assert product.create_time is not None and abs(product.create_time - time.time()) < 60
