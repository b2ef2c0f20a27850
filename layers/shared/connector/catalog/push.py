"""Push one product to TikTok. Nothing is sent when what would be sent (product, settings,
mapping) hashes the same as what was sent last; a product is created once: our record holds the
TikTok id, and the create carries an idempotency key fixed per store product plus
``external_product_id``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from connector.catalog.context import Catalog
from connector.catalog.image_upload import ImageProblem, description_images, prefetch_images, upload_image
from connector.catalog.linking import link_by_seller_sku, remove, save_links
from connector.catalog.mapping import listing_context
from connector.catalog.records import (
    CategoryMapping,
    ProductRecord,
    loads_snapshot,
)
from connector.catalog.status import push_hash, set_status

if TYPE_CHECKING:
    from connector.stores.protocol import StoreProduct
    from connector.tiktok.models import Product, ProductInput


EXCLUDED_REASON = "Excluded from sync by the merchant (include it again to sync it)."


class PushRetry(Exception):
    """A transient failure (TikTok or the store busy or down): the step is retried later."""


def _idempotency_key(connection_id: str, store_product_id: str) -> str:
    return hashlib.sha256(f"{connection_id}#{store_product_id}".encode()).hexdigest()[:64]


def _plain_reason(problems: Iterable[Any]) -> str:
    return " ".join(p.message for p in problems)


def push_product(cat: Catalog, store_product_id: str, *, force: bool = False,
                 loaded: tuple[ProductRecord | None, str | None] | None = None) -> tuple[str, str | None]:
    """Create, update or remove one product's listing: ``(outcome, reason)``, outcome one of ``created``,
    ``updated``, ``linked``, ``unchanged``, ``failed``, ``deactivated``, ``skipped``, ``excluded`` (the
    merchant excluded it: nothing is sent, whatever its store state).

    Raises :class:`PushRetry` on transient failures (nothing half-recorded: the next run redoes
    what is left)."""
    from connector.tiktok.errors import TikTokError

    record, raw = loaded if loaded is not None else cat.products.get_with_snapshot(cat.connection_id,
                                                                                  store_product_id)
    if record is None:
        return "skipped", "unknown product"
    if record.excluded:
        return "excluded", EXCLUDED_REASON
    try:
        if record.deleted or not record.enabled:
            return remove(cat, record)
        mapping = cat.mapping(record.store_category_id)
        digest = push_hash(cat, record, mapping)
        if not force and record.tiktok_product_id and record.pushed_hash == digest \
                and record.status not in ("sync_failed", "not_synced"):
            return "unchanged", None
        if not force and record.status == "sync_failed" and record.pushed_hash == digest:
            return "unchanged", record.reason
        if raw is None:
            return "skipped", "not pulled"
        product = loads_snapshot(raw)
        return _push(cat, record, product, mapping, digest)
    except TikTokError as exc:
        if exc.retryable:
            raise PushRetry(f"TikTok busy for product {store_product_id}: {exc.code}") from None
        reason = f"TikTok refused the product: {exc.tiktok_message or exc.code} (code {exc.tiktok_code})."
        set_status(cat, record, "sync_failed", reason, [f"tiktok_{exc.tiktok_code}"])
        return "failed", reason


def _push(cat: Catalog, record: ProductRecord, product: StoreProduct, mapping: CategoryMapping | None,
          digest: str) -> tuple[str, str | None]:
    from connector.catalog.prevalidate import listing_problems
    from connector.catalog.transform import ListingRejected, main_image_urls, to_product_input
    from connector.catalog.validate import blocking
    from connector.tiktok.models import InventoryEntry

    settings = cat.sync_settings()
    listing = listing_context(cat, mapping, record, product)
    problems = blocking(listing_problems(mapping, listing, product, settings))
    if problems:
        reason = _plain_reason(problems)
        set_status(cat, record, "sync_failed", reason, [p.code for p in problems], pushed_hash=digest)
        return "failed", reason
    if record.tiktok_product_id is None:
        linked = link_by_seller_sku(cat, record, product)
        if linked is not None:
            return linked
    rules = cat.settings.sync_rules.merged(record.sync_overrides)
    current: Product | None = None
    if record.tiktok_product_id and any(getattr(rules, f) in ("tiktok", "none")
                                        for f in ("name", "description", "media", "price")):
        current = cat.tiktok.get_product(cat.shop_ref, record.tiktok_product_id)
    failed: dict[str, str] = {}
    uris: dict[str, str] = {}
    if current is None or rules.media not in ("tiktok", "none"):
        urls = main_image_urls(product)[:9] + [v.image_url for v in product.variants if v.image_url]
        prefetch_images(cat, [("MAIN_IMAGE", url) for url in urls])
        for url in dict.fromkeys(urls):
            try:
                uris[url] = upload_image(cat, url, "MAIN_IMAGE")
            except ImageProblem as exc:
                failed[url] = str(exc)
    hosted = description_images(cat, product)
    listing = listing_context(cat, mapping, record, product, failed)
    try:
        body = to_product_input(product, listing, settings, uris, hosted)
    except ListingRejected as exc:
        reason = _plain_reason(exc.problems)
        set_status(cat, record, "sync_failed", reason, [p.code for p in exc.problems], pushed_hash=digest)
        return "failed", reason
    body = _apply_rules(cat, record, body, rules, current)
    if record.tiktok_product_id is None:
        body = body.model_copy(update={"idempotency_key": _idempotency_key(cat.connection_id, record.store_product_id)})
        result = cat.tiktok.create_product(cat.shop_ref, body)
        outcome = "created"
    else:
        known = {link.variant_key: link.tiktok_sku_id for link in cat.links.for_product(cat.connection_id,
                                                                                        record.store_product_id)}
        # Stock is stock sync's: an edit keeps each existing SKU's figure as TikTok has it now
        # (the kept store product's quantity may be stale: stock changes do not re-pull).
        current = current or cat.tiktok.get_product(cat.shop_ref, record.tiktok_product_id)
        live = {str(s.id): [InventoryEntry(warehouse_id=str(i.warehouse_id), quantity=i.quantity)
                            for i in s.inventory if i.warehouse_id] for s in current.skus}
        skus = []
        for sku in body.skus:
            sku_id = known.get(sku.external_sku_id or "")
            update: dict[str, Any] = {"id": sku_id}
            if sku_id and live.get(sku_id):
                update["inventory"] = live[sku_id]
            skus.append(sku.model_copy(update=update))
        body = body.model_copy(update={"skus": skus})
        result = cat.tiktok.edit_product(cat.shop_ref, record.tiktok_product_id, body)
        outcome = "updated"
    product_id = str(result.product_id)
    save_links(cat, record, product, product_id, [(str(s.external_sku_id or ""), str(s.id), s.seller_sku)
                                                   for s in result.skus], "push" if record.linked_by is None
                else record.linked_by)
    set_status(cat, record, "in_review", None, [], tiktok_product_id=product_id, shop_id=cat.shop.shop_id,
               tiktok_status="PENDING", category_id=listing.category_id, pushed_hash=digest,
               last_synced_at=cat.now(), linked_by=record.linked_by or "push")
    return outcome, None


def _apply_rules(cat: Catalog, record: ProductRecord, body: ProductInput, rules: Any,
                 current: Product | None) -> ProductInput:
    """Per field, the store's value (as built), the connector's override, or TikTok's own."""
    from decimal import Decimal, InvalidOperation

    from connector.tiktok.models import ImageRef, Price

    changes: dict[str, Any] = {}
    overrides = record.override_values
    if rules.name == "override" and overrides.get("name"):
        changes["title"] = overrides["name"]
    elif rules.name in ("tiktok", "none") and current is not None and current.title:
        changes["title"] = current.title
    if rules.description == "override" and overrides.get("description"):
        changes["description"] = overrides["description"]
    elif rules.description in ("tiktok", "none") and current is not None and current.description:
        changes["description"] = current.description
    if rules.media in ("tiktok", "none") and current is not None and current.main_images:
        changes["main_images"] = [ImageRef(uri=str(i.get("uri"))) for i in current.main_images if i.get("uri")]
    skus = body.skus
    if rules.price == "override" and overrides.get("price"):
        try:
            amount = Decimal(overrides["price"])
            skus = [s.model_copy(update={"price": Price(amount=amount, currency=s.price.currency)}) for s in skus]
        except InvalidOperation:
            pass
    elif rules.price in ("tiktok", "none") and current is not None:
        prices = {str(s.external_sku_id): s.price.sale_price for s in current.skus if s.price and s.price.sale_price}
        skus = [s.model_copy(update={"price": Price(amount=Decimal(str(prices[str(s.external_sku_id)])),
                                                    currency=s.price.currency)})
                if str(s.external_sku_id) in prices else s for s in skus]
    if rules.barcode in ("tiktok", "none"):
        skus = [s.model_copy(update={"identifier_code": None}) for s in skus]
    changes["skus"] = skus
    return body.model_copy(update=changes)
