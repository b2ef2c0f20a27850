"""Pull from the store into product records: a product is written only when its content hash
changed, so a re-run after a crash changes nothing that was done."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from connector import dynamo, keys
from connector.catalog.context import Catalog
from connector.catalog.mapping import ensure_mappings
from connector.catalog.records import (
    ProductRecord,
    dumps_snapshot,
)
from connector.observability import logger

if TYPE_CHECKING:
    from connector.stores.protocol import StoreProduct


def content_hash(product: StoreProduct) -> str:
    """What the store says about a product, hashed (stable: sorted keys, Decimals as text).
    Stock is left out: stock changes belong to the stock sync and never re-send a listing."""
    import json

    data = product.model_dump(mode="json", exclude={"updated_at": True, "variants": {"__all__": {"stock"}}})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


def store_category(product: StoreProduct) -> str | None:
    return product.default_category_id or (product.category_ids[0] if product.category_ids else None)


def _seller_sku(product: StoreProduct) -> str | None:
    return product.sku or next((v.sku for v in product.variants if v.sku), None)


@dataclass
class PullResult:
    counts: dict[str, int] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    """Store product ids that are new, changed or deleted (to push)."""

    def add(self, outcome: str, product_id: str | None = None) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        if product_id is not None:
            self.changed.append(product_id)


def main_image_url(product: StoreProduct) -> str | None:
    """The product's main image URL for thumbnails, when it is an ``http(s)`` URL."""
    from connector.catalog.transform import main_image_urls

    url = next(iter(main_image_urls(product)), None)
    return url if url and url.startswith(("https://", "http://")) and len(url) <= 2000 else None


def record_product(cat: Catalog, product: StoreProduct, existing: ProductRecord | None) -> str:
    """Store one pulled product: ``new``, ``changed`` or ``unchanged`` (no write, except the
    thumbnail URL of a record kept before thumbnails were)."""
    digest = content_hash(product)
    image = main_image_url(product)
    if existing is not None and existing.content_hash == digest and not existing.deleted:
        if existing.image_url != image:
            cat.products.update(cat.connection_id, existing.store_product_id, image_url=image)
        return "unchanged"
    base = existing or ProductRecord(connection_id=cat.connection_id, store_product_id=product.ext_id)
    record = base.model_copy(update={
        "title": product.title, "sku": _seller_sku(product), "store_category_id": store_category(product),
        "enabled": product.enabled, "deleted": False, "variant_count": len(product.variants),
        "image_url": image,
        "store_updated_at": product.updated_at.isoformat(), "content_hash": digest, "updated_at": cat.now()})
    cat.products.put(record, snapshot=dumps_snapshot(product))
    return "new" if existing is None else "changed"


def pull(cat: Catalog, *, mode: str = "full", since: datetime | None = None, until: datetime | None = None,
         enabled: bool | None = None) -> PullResult:
    """Pull from the store. ``full``: every product (or those changed in [since, until]), with the enabled /
    disabled filter; a full pull of everything also marks products gone from the store deleted.
    ``incremental``: changed since the last pull plus deleted ones; new products only when
    ``catalog.auto_pull`` is on. The first pull of a connection (no product known yet) reads the
    whole catalog the platform's fastest way (:meth:`StorePlatform.whole_catalog`)."""
    from datetime import UTC

    result = PullResult()
    known = {r.store_product_id: r for r in cat.products.all(cat.connection_id)}
    started = datetime.now(UTC)
    if mode == "incremental" and since is None:
        since = _watermark(cat)
    include_new = mode == "full" or cat.settings.catalog.auto_pull
    seen: set[str] = set()
    first = mode == "full" and since is None and until is None and not known
    for product in cat.store.whole_catalog() if first else cat.store.list_products(updated_since=since):
        seen.add(product.ext_id)
        if until is not None and product.updated_at > until:
            continue
        if enabled is not None and product.enabled != enabled:
            result.add("filtered")
            continue
        existing = known.get(product.ext_id)
        if existing is None and not include_new:
            result.add("new_skipped")
            continue
        outcome = record_product(cat, product, existing)
        result.add(outcome, product.ext_id if outcome != "unchanged" else None)
    gone: set[str] = set()
    if mode == "incremental" and since is not None:
        gone = {d.ext_id for d in cat.store.deleted_products(since=since)}
    elif mode == "full" and since is None and until is None and enabled is None:
        gone = set(known) - seen
    for product_id in sorted(gone):
        record = known.get(product_id)
        if record is not None and not record.deleted:
            cat.products.update(cat.connection_id, product_id, deleted=True, updated_at=cat.now())
            result.add("deleted", product_id)
    if mode == "incremental" or (since is None and until is None):
        _set_watermark(cat, started)
    ensure_mappings(cat)
    logger().info("catalog pulled", extra={"connection_id": cat.connection_id, "mode": mode,
                                                "counts": result.counts})
    return result


def _watermark(cat: Catalog) -> datetime | None:
    got = cat.products.client.get_item(TableName=cat.products.table_name, ConsistentRead=True, Key=dynamo.to_item(
        {keys.PK: keys.conn_pk(cat.connection_id), keys.SK: keys.CATALOG_STATE}))
    if "Item" not in got:
        return None
    return datetime.fromisoformat(dynamo.from_item(got["Item"])["pulled_at"])


def _set_watermark(cat: Catalog, when: datetime) -> None:
    cat.products.client.put_item(TableName=cat.products.table_name, Item=dynamo.to_item({
        keys.PK: keys.conn_pk(cat.connection_id), keys.SK: keys.CATALOG_STATE, "pulled_at": when.isoformat()}))
