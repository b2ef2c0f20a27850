"""Links between store products and TikTok listings: SKU links saved after a push, listings made
in Seller Center found by seller SKU or linked by hand, and listings taken down when a product is
removed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector import dynamo, keys
from connector.catalog.context import Catalog
from connector.catalog.records import (
    ProductRecord,
)
from connector.catalog.status import TIKTOK_STATUS, push_hash, set_status

if TYPE_CHECKING:
    from connector.stores.protocol import StoreProduct


def save_links(cat: Catalog, record: ProductRecord, product: StoreProduct, tiktok_product_id: str,
                skus: list[tuple[str, str, str | None]], linked_by: str) -> None:
    from connector.links import SkuLink

    variants = {v.key: v for v in product.variants}
    by_seller_sku = {v.sku: v for v in product.variants if v.sku}
    for external, sku_id, seller_sku in skus:
        variant = variants.get(external) or (by_seller_sku.get(seller_sku) if seller_sku else None)
        if variant is None:
            continue
        cat.links.put(SkuLink(connection_id=cat.connection_id, store_product_id=record.store_product_id,
                              variant_key=variant.key, stock_key=variant.stock_key, seller_sku=variant.sku,
                              shop_id=cat.shop.shop_id, tiktok_product_id=tiktok_product_id, tiktok_sku_id=sku_id,
                              linked_by=linked_by, updated_at=cat.now()))  # type: ignore[arg-type]
    cat.products.client.put_item(TableName=cat.products.table_name, Item=dynamo.to_item({
        keys.PK: keys.conn_pk(cat.connection_id), keys.SK: keys.tiktok_product_sk(tiktok_product_id),
        "store_product_id": record.store_product_id}))


def store_product_of(cat: Catalog, tiktok_product_id: str) -> str | None:
    got = cat.products.client.get_item(TableName=cat.products.table_name, ConsistentRead=True, Key=dynamo.to_item(
        {keys.PK: keys.conn_pk(cat.connection_id), keys.SK: keys.tiktok_product_sk(tiktok_product_id)}))
    return str(got["Item"]["store_product_id"]["S"]) if "Item" in got else None


def link_by_seller_sku(cat: Catalog, record: ProductRecord, product: StoreProduct) -> tuple[str, str | None] | None:
    """Automatic linking: a TikTok listing made by hand whose seller SKUs are this product's is
    linked instead of creating a second listing."""
    skus = [v.sku for v in product.variants if v.sku]
    if not skus:
        return None
    page = cat.tiktok.search_products(cat.shop_ref, seller_skus=skus[:20], page_size=20)
    for summary in page.items:
        tiktok_id = str(summary.id)
        if (summary.status or "") == "DELETED":
            continue
        owner = store_product_of(cat, tiktok_id)
        if owner is not None and owner != record.store_product_id:
            continue
        if not {s.seller_sku for s in summary.skus} & set(skus):
            continue
        return link_listing(cat, record, product, tiktok_id, "seller_sku", summary.status)
    return None


def link_listing(cat: Catalog, record: ProductRecord, product: StoreProduct, tiktok_product_id: str,
                 linked_by: str, tiktok_status: str | None = None) -> tuple[str, str | None]:
    """Link a TikTok listing to the store product by seller SKU (SKU links per matching variant),
    taking its status from TikTok. The listing itself is left as the merchant made it."""
    detail = cat.tiktok.get_product(cat.shop_ref, tiktok_product_id)
    skus = [(str(s.external_sku_id or ""), str(s.id), s.seller_sku) for s in detail.skus]
    save_links(cat, record, product, tiktok_product_id, skus, linked_by)
    status = TIKTOK_STATUS.get(detail.status or tiktok_status or "", "in_review")
    mapping = cat.mapping(record.store_category_id)
    set_status(cat, record, status, None, [], tiktok_product_id=tiktok_product_id, shop_id=cat.shop.shop_id,
               tiktok_status=detail.status, linked_by=linked_by, pushed_hash=push_hash(cat, record, mapping),
               last_synced_at=cat.now())
    return "linked", None


def remove(cat: Catalog, record: ProductRecord) -> tuple[str, str | None]:
    """Disabled or deleted in the store -> deactivated on TikTok."""
    if record.tiktok_product_id is None:
        reason = "Deleted in the store." if record.deleted else "Disabled in the store."
        if record.status != "not_synced" or record.reason != reason:
            set_status(cat, record, "not_synced", reason, ["store_deleted" if record.deleted else "store_disabled"])
        return "skipped", reason
    if record.status == "deactivated":
        return "unchanged", record.reason
    result = cat.tiktok.deactivate_products(cat.shop_ref, [record.tiktok_product_id])
    if result.errors:
        reason = "TikTok did not deactivate the product; it will be tried again."
        set_status(cat, record, "sync_failed", reason, ["deactivate_failed"])
        return "failed", reason
    reason = "Deleted in the store." if record.deleted else "Disabled in the store."
    set_status(cat, record, "deactivated", reason, [], tiktok_status="SELLER_DEACTIVATED", pushed_hash=None)
    return "deactivated", reason
