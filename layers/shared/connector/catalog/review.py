"""TikTok's review of a listing: its status read back and recorded, and the products still in
review listed for the listing poll."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from connector.catalog.context import Catalog
from connector.catalog.linking import remove, store_product_of
from connector.catalog.records import (
    ProductRecord,
)
from connector.catalog.status import TIKTOK_STATUS, set_status

if TYPE_CHECKING:
    from connector.tiktok.models import Product


def refresh_status(cat: Catalog, tiktok_product_id: str) -> str:
    """Read the product's status from TikTok (webhooks are hints) and record it."""
    store_product_id = store_product_of(cat, tiktok_product_id)
    if store_product_id is None:
        return "unknown_product"
    record = cat.products.get(cat.connection_id, store_product_id)
    if record is None:
        return "unknown_product"
    detail = cat.tiktok.get_product(cat.shop_ref, tiktok_product_id)
    return apply_tiktok_status(cat, record, detail)


def apply_tiktok_status(cat: Catalog, record: ProductRecord, detail: Product) -> str:
    status = TIKTOK_STATUS.get(detail.status, record.status)
    if (record.deleted or not record.enabled) and status == "active":
        # came back on TikTok while gone from the store: deactivate again
        remove(cat, record.model_copy(update={"status": "in_review"}))
        return "deactivated"
    reason: str | None = None
    problems: list[str] = []
    if status == "review_failed":
        texts = [text for failure in detail.audit_failed_reasons for text in [*failure.reasons, *failure.suggestions]]
        reason = "TikTok's review refused the listing: " + ("; ".join(texts) if texts else "no reason given") + "."
        problems = ["review_failed"]
    elif status == "deactivated":
        reason = {"PLATFORM_DEACTIVATED": "Deactivated by TikTok.", "FREEZE": "Frozen by TikTok.",
                  "DELETED": "Deleted on TikTok."}.get(detail.status, record.reason or "Deactivated on TikTok.")
    if record.status == status and record.tiktok_status == detail.status and record.reason == reason:
        return "unchanged"
    set_status(cat, record, status, reason, problems, tiktok_status=detail.status)
    return status


def in_review(cat: Catalog) -> Iterator[ProductRecord]:
    return cat.products.all(cat.connection_id, status="in_review")
