"""A product's sync status: recorded (a product newly failing notifies the merchant once), and
the hash of what was last pushed, which tells whether a push would change anything."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from connector.catalog.context import Catalog
from connector.catalog.records import (
    CategoryMapping,
    ProductRecord,
    ProductStatus,
)

if TYPE_CHECKING:
    pass

#: TikTok product status -> ours.
TIKTOK_STATUS: dict[str, ProductStatus] = {
    "ACTIVATE": "active", "PENDING": "in_review", "DRAFT": "not_synced", "FAILED": "review_failed",
    "SELLER_DEACTIVATED": "deactivated", "PLATFORM_DEACTIVATED": "deactivated", "FREEZE": "deactivated",
    "DELETED": "deactivated", "SCHEDULED": "in_review",
}


def push_hash(cat: Catalog, record: ProductRecord, mapping: CategoryMapping | None) -> str:
    parts = [record.content_hash, cat.settings.model_dump_json(include={"package", "sync_rules", "price", "stock",
                                                                          "catalog"}),
             mapping.model_dump_json(exclude={"updated_at", "product_count"}) if mapping else "",
             record.model_dump_json(include={"category_override", "fill", "sync_overrides", "override_values",
                                             "enabled", "deleted"})]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def set_status(cat: Catalog, record: ProductRecord, status: ProductStatus, reason: str | None,
               problems: list[str] | None = None, **extra: Any) -> ProductRecord:
    """Record a status; a product newly failing notifies the merchant (once per failure)."""
    updated = record.model_copy(update={"status": status, "reason": reason, "problems": problems or [],
                                        "updated_at": cat.now(), **extra})
    cat.products.update(cat.connection_id, record.store_product_id, status=status, reason=reason,
                        problems=problems or [], updated_at=updated.updated_at,
                        **extra)
    failing = status in ("sync_failed", "review_failed")
    if failing and (record.status != status or record.reason != reason):
        from connector.metrics import PRODUCTS_FAILED, count_for_tenant

        count_for_tenant(PRODUCTS_FAILED, cat.connection_id)
    if failing and (record.status != status or record.reason != reason) and cat.notifier is not None:
        cat.notifier.emit(cat.connection_id, "product_failed", f"{record.store_product_id}: {reason or status}"[:500],
                          cat.correlation_id)
    return updated
