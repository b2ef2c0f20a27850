"""Catalog sync on the real path (P1, P2, P3, P6, P7, P8, P11, P12): pull from the store into
product records, suggest category mappings, push one product to TikTok, follow its review.

Everything here works on one connection through a :class:`Catalog` (its store, its TikTok client
bound to the connection's tokens, its repositories and settings). The state machine steps, the
task handlers, the event handlers and the merchant API call these functions; each one is
idempotent (re-running it after a crash changes nothing that was done):

- a pull writes a product only when its content hash changed;
- a push sends nothing when what would be sent (product, settings, mapping) hashes the same as
  what was sent last; a product is created once: our record holds the TikTok id, and the create
  carries an idempotency key fixed per store product plus ``external_product_id``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connector import dynamo, keys
from connector.catalog.records import (
    AttributeFill,
    CategoryMapping,
    ListingFill,
    ProductRecord,
    ProductRepository,
    ProductStatus,
    dumps_snapshot,
    loads_snapshot,
)
from connector.observability import logger
from connector.runtime import now as wall_clock

if TYPE_CHECKING:
    from connector.catalog.settings import ListingContext, SyncSettings
    from connector.connections.lifecycle import Collaborators, Notifier
    from connector.connections.models import Connection, ShopLink
    from connector.links import LinkRepository
    from connector.settings import ConnectionSettings
    from connector.stores.protocol import StorePlatform, StoreProduct
    from connector.tiktok.client import ShopRef, TikTokClient
    from connector.tiktok.models import Product, ProductInput

#: TikTok product status -> ours.
TIKTOK_STATUS: dict[str, ProductStatus] = {
    "ACTIVATE": "active", "PENDING": "in_review", "DRAFT": "not_synced", "FAILED": "review_failed",
    "SELLER_DEACTIVATED": "deactivated", "PLATFORM_DEACTIVATED": "deactivated", "FREEZE": "deactivated",
    "DELETED": "deactivated", "SCHEDULED": "in_review",
}
MAIN_IMAGE_MAX_BYTES = 5 * 1024 * 1024


class PushRetry(Exception):
    """A transient failure (TikTok or the store busy or down): the step is retried later."""


@dataclass
class Catalog:
    """One connection's catalog services (built by :func:`open_catalog`)."""

    connection: Connection
    shop: ShopLink
    store_factory: Callable[[], StorePlatform]
    """Opens the store adapter (decrypting its token) on first use only: status webhooks never need it."""
    tiktok: TikTokClient
    products: ProductRepository
    links: LinkRepository
    settings: ConnectionSettings
    notifier: Notifier | None = None
    correlation_id: str = "catalog"
    clock: Callable[[], float] = wall_clock
    fetch: Callable[[str], bytes] | None = None
    """Reads an image URL (default: an httpx GET)."""
    _categories: dict[str, Any] | None = None
    _mappings: dict[str, CategoryMapping | None] = field(default_factory=dict)
    _images: dict[tuple[str, str], str] = field(default_factory=dict)
    _images_checked: set[tuple[str, str]] = field(default_factory=set)

    _store: StorePlatform | None = None

    @property
    def store(self) -> StorePlatform:
        if self._store is None:
            self._store = self.store_factory()
        return self._store

    @property
    def connection_id(self) -> str:
        return self.connection.connection_id

    @property
    def shop_ref(self) -> ShopRef:
        from connector.tiktok.client import ShopRef

        return ShopRef(self.shop.shop_id, self.shop.cipher)

    @property
    def category_version(self) -> str:
        return "v2" if (self.shop.region or "").upper() == "US" else "v1"

    def now(self) -> int:
        return int(self.clock())

    def mapping(self, store_category_id: str | None) -> CategoryMapping | None:
        """The category's mapping (read once per catalog instance: one invocation)."""
        if store_category_id is None:
            return None
        if store_category_id not in self._mappings:
            self._mappings[store_category_id] = self.products.get_mapping(self.connection_id, store_category_id)
        return self._mappings[store_category_id]

    def sync_settings(self) -> SyncSettings:
        from connector.catalog.settings import from_connection_settings

        profile_units = self.settings
        return from_connection_settings(profile_units, region=self.shop.region or "US",
                                currency=self.shop.currency or self.connection.store_currency or "USD",
                                warehouse_id=self.shop.default_warehouse_id or "")

    def read(self, url: str) -> bytes:
        if self.fetch is not None:
            return self.fetch(url)
        response = _image_http().get(url)
        response.raise_for_status()
        return bytes(response.content)


@functools.cache
def _image_http() -> Any:
    """One pooled client per container for the store's images: a client per image paid a new
    TLS context (~10 ms of CPU) and a new connection for every image."""
    import httpx

    return httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0), follow_redirects=True)


def open_catalog(c: Collaborators, connection_id: str, correlation_id: str) -> Catalog:
    """The catalog of a connection that syncs (``Conflict`` when it does not)."""
    from connector.errors import Conflict
    from connector.links import LinkRepository
    from connector.settings import SettingsRepository

    connection = c.repo.require(connection_id)
    if not connection.syncing:
        raise Conflict(f"connection {connection_id} is {connection.state}: catalog sync is paused",
                       reason=f"connection_{connection.state}")
    shops = c.repo.shops(connection_id)
    if not shops:
        raise Conflict(f"connection {connection_id} has no TikTok shop", reason="no_shop")
    from connector.ratelimit import DynamoRateLimiter

    table = c.repo.table_name
    # Pages of one sync run in parallel workers: TikTok's per-shop limit is kept in the table.
    tiktok = c.tiktok_for(connection_id, correlation_id).with_limiter(DynamoRateLimiter(table))
    return Catalog(connection=connection, shop=shops[0], store_factory=lambda: c.store_for(connection),
                   tiktok=tiktok, products=ProductRepository(table),
                   links=LinkRepository(table), settings=SettingsRepository(table).get(connection_id),
                   notifier=c.notifier, correlation_id=correlation_id, clock=c.clock)


# ===================================================================================== pull
def content_hash(product: StoreProduct) -> str:
    """What the store says about a product, hashed (stable: sorted keys, Decimals as text).
    Stock is left out: stock changes are stock sync's (P10) and never re-send a listing."""
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


def record_product(cat: Catalog, product: StoreProduct, existing: ProductRecord | None) -> str:
    """Store one pulled product: ``new``, ``changed`` or ``unchanged`` (no write at all)."""
    digest = content_hash(product)
    if existing is not None and existing.content_hash == digest and not existing.deleted:
        return "unchanged"
    base = existing or ProductRecord(connection_id=cat.connection_id, store_product_id=product.ext_id)
    record = base.model_copy(update={
        "title": product.title, "sku": _seller_sku(product), "store_category_id": store_category(product),
        "enabled": product.enabled, "deleted": False, "variant_count": len(product.variants),
        "store_updated_at": product.updated_at.isoformat(), "content_hash": digest, "updated_at": cat.now()})
    cat.products.put(record, snapshot=dumps_snapshot(product))
    return "new" if existing is None else "changed"


def pull(cat: Catalog, *, mode: str = "full", since: datetime | None = None, until: datetime | None = None,
         enabled: bool | None = None) -> PullResult:
    """P1. ``full``: every product (or those changed in [since, until]), with the enabled /
    disabled filter; a full pull of everything also marks products gone from the store deleted.
    ``incremental``: changed since the last pull plus deleted ones; new products only when
    ``catalog.auto_pull`` is on."""
    from datetime import UTC

    result = PullResult()
    known = {r.store_product_id: r for r in cat.products.all(cat.connection_id)}
    started = datetime.now(UTC)
    if mode == "incremental" and since is None:
        since = _watermark(cat)
    include_new = mode == "full" or cat.settings.catalog.auto_pull
    seen: set[str] = set()
    for product in cat.store.list_products(updated_since=since):
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


# ================================================================================ mapping
def ensure_mappings(cat: Catalog) -> list[CategoryMapping]:
    """P2: a suggested mapping for every store category in use that has none yet (TikTok's
    recommend-category with the category's name and product titles), with what TikTok requires
    there (attributes, certifications) and whether it is invitation-only."""
    mapped = {m.store_category_id: m for m in cat.products.mappings(cat.connection_id)}
    titles: dict[str, list[str]] = {}
    for record in cat.products.all(cat.connection_id):
        if record.store_category_id and not record.deleted:
            titles.setdefault(record.store_category_id, []).append(record.title)
    missing = [cid for cid in sorted(titles) if cid not in mapped or mapped[cid].tiktok_category_id is None]
    if not missing:
        return []
    names = {c.ext_id: c.name for c in cat.store.list_categories()}
    made = []
    for category_id in missing:
        name = names.get(category_id, "")
        text = " ".join([name, *titles[category_id][:5]])[:250] or name or "product"
        recommended = cat.tiktok.recommend_category(cat.shop_ref, text, category_version=cat.category_version)
        mapping = describe_category(cat, CategoryMapping(
            connection_id=cat.connection_id, store_category_id=category_id, store_category_name=name,
            product_count=len(titles[category_id]), source="suggested"), str(recommended.leaf_category_id))
        cat.products.put_mapping(mapping)
        made.append(mapping)
    return made


def describe_category(cat: Catalog, mapping: CategoryMapping, tiktok_category_id: str) -> CategoryMapping:
    """``mapping`` pointed at a TikTok category, with that category's requirements read from TikTok.
    ``ValueError`` when TikTok does not list it as a leaf category."""
    if cat._categories is None:
        cat._categories = {c.id: c for c in cat.tiktok.get_categories(cat.shop_ref,
                                                                    category_version=cat.category_version)}
    node = cat._categories.get(tiktok_category_id)
    if node is None or not node.is_leaf:
        raise ValueError(f"{tiktok_category_id} is not a TikTok leaf category of this shop")
    attributes = cat.tiktok.get_attributes(cat.shop_ref, tiktok_category_id, category_version=cat.category_version)
    rules = cat.tiktok.get_category_rules(cat.shop_ref, tiktok_category_id, category_version=cat.category_version)
    sales = {(a.name or "").strip().lower(): {"id": str(a.id), "values": {(v.name or "").lower(): str(v.id)
                                                                          for v in a.values}}
             for a in attributes if a.type == "SALES_PROPERTY" and a.name}
    return mapping.model_copy(update={
        "tiktok_category_id": tiktok_category_id, "tiktok_category_name": node.local_name,
        "invite_only": "INVITE_ONLY" in node.permission_statuses and "AVAILABLE" not in node.permission_statuses,
        "category_version": cat.category_version,
        "required_attributes": {str(a.id): a.name or str(a.id) for a in attributes
                                if a.type == "PRODUCT_PROPERTY" and a.is_required},
        "attributes": {str(a.id): {"name": a.name or "", "values": {(v.name or "").lower(): str(v.id)
                                                                             for v in a.values}}
                                for a in attributes if a.type == "PRODUCT_PROPERTY"},
        "sales_attributes": sales,
        "required_certifications": {str(c.get("id")): str(c.get("name") or c.get("id"))
                                    for c in rules.product_certifications if c.get("is_required")},
        "updated_at": cat.now()})


def listing_fill(mapping: CategoryMapping | None, record: ProductRecord, product: StoreProduct) -> ListingFill:
    """P3: what fills the listing: the category's (bulk), then the store product's own attributes
    where their names match TikTok's, then the product's own fill (each wins over the previous)."""
    values: dict[str, list[AttributeFill]] = {}
    brand_id = None
    certifications: list[dict[str, Any]] = []
    size_chart = None
    if mapping is not None:
        values.update(mapping.fill.attribute_values)
        brand_id, certifications, size_chart = mapping.fill.brand_id, list(mapping.fill.certifications), \
            mapping.fill.size_chart_uri
        by_name = {str(spec.get("name", "")).strip().lower(): (attr_id, spec)
                   for attr_id, spec in mapping.attributes.items()}
        for name, value in product.attributes.items():
            found = by_name.get(name.strip().lower())
            if found is None or not value.strip() or found[0] in values:
                continue
            attr_id, spec = found
            value_id = dict(spec.get("values") or {}).get(value.strip().lower())
            values[attr_id] = [AttributeFill(id=value_id) if value_id else AttributeFill(name=value.strip()[:200])]
    if record.fill is not None:
        values.update(record.fill.attribute_values)
        brand_id = record.fill.brand_id or brand_id
        certifications = record.fill.certifications or certifications
        size_chart = record.fill.size_chart_uri or size_chart
    return ListingFill(attribute_values=values, brand_id=brand_id, certifications=certifications,
                       size_chart_uri=size_chart)


def listing_context(cat: Catalog, mapping: CategoryMapping | None, record: ProductRecord, product: StoreProduct,
                    failed_images: dict[str, str] | None = None) -> ListingContext:
    from connector.catalog.settings import AttributeValue, ListingContext, SalesAttributeSpec

    category_id = record.category_override or (mapping.tiktok_category_id if mapping else None)
    fill = listing_fill(mapping, record, product)
    same_category = mapping is not None and category_id == mapping.tiktok_category_id
    return ListingContext(
        category_id=category_id,
        category_version=(mapping.category_version if mapping and same_category else None)
        or cat.category_version,  # type: ignore[arg-type]
        required_attributes=mapping.required_attributes if mapping and same_category else {},
        attribute_values={k: tuple(AttributeValue(id=v.id, name=v.name) for v in vs)
                          for k, vs in fill.attribute_values.items()},
        required_certifications=mapping.required_certifications if mapping and same_category else {},
        certifications=tuple(fill.certifications),
        brand_id=fill.brand_id,
        failed_images=failed_images or {},
        sales_attributes={name: SalesAttributeSpec(id=str(spec["id"]), values=dict(spec.get("values") or {}))
                          for name, spec in (mapping.sales_attributes.items() if mapping and same_category else ())},
    )


# =================================================================================== push
def _idempotency_key(connection_id: str, store_product_id: str) -> str:
    return hashlib.sha256(f"{connection_id}#{store_product_id}".encode()).hexdigest()[:64]


def _push_hash(cat: Catalog, record: ProductRecord, mapping: CategoryMapping | None) -> str:
    parts = [record.content_hash, cat.settings.model_dump_json(include={"package", "sync_rules", "price", "stock",
                                                                          "catalog"}),
             mapping.model_dump_json(exclude={"updated_at", "product_count"}) if mapping else "",
             record.model_dump_json(include={"category_override", "fill", "sync_overrides", "override_values",
                                             "enabled", "deleted"})]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _plain_reason(problems: Iterable[Any]) -> str:
    return " ".join(p.message for p in problems)


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


def push_product(cat: Catalog, store_product_id: str, *, force: bool = False,
                 loaded: tuple[ProductRecord | None, str | None] | None = None) -> tuple[str, str | None]:
    """P6 / P7 / P12 for one product: ``(outcome, reason)``, outcome one of ``created``,
    ``updated``, ``linked``, ``unchanged``, ``failed``, ``deactivated``, ``skipped``.

    Raises :class:`PushRetry` on transient failures (nothing half-recorded: the next run redoes
    what is left)."""
    from connector.tiktok.errors import TikTokError

    record, raw = loaded if loaded is not None else cat.products.get_with_snapshot(cat.connection_id,
                                                                                  store_product_id)
    if record is None:
        return "skipped", "unknown product"
    try:
        if record.deleted or not record.enabled:
            return _remove(cat, record)
        mapping = cat.mapping(record.store_category_id)
        digest = _push_hash(cat, record, mapping)
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
    from connector.catalog.transform import ListingRejected, main_image_urls, to_product_input
    from connector.catalog.validate import blocking, validate
    from connector.tiktok.models import InventoryEntry

    settings = cat.sync_settings()
    listing = listing_context(cat, mapping, record, product)
    if mapping is not None and mapping.invite_only and listing.category_id == mapping.tiktok_category_id:
        reason = (f"TikTok category '{mapping.tiktok_category_name}' is invitation-only: ask TikTok for access in "
                  "Seller Center, or map the store category to another TikTok category.")
        set_status(cat, record, "sync_failed", reason, ["category_invite_only"], pushed_hash=digest)
        return "failed", reason
    problems = blocking(validate(product, listing, settings))
    if problems:
        reason = _plain_reason(problems)
        set_status(cat, record, "sync_failed", reason, [p.code for p in problems], pushed_hash=digest)
        return "failed", reason
    if record.tiktok_product_id is None:
        linked = _link_by_seller_sku(cat, record, product)
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
            except _ImageProblem as exc:
                failed[url] = str(exc)
    hosted = _description_images(cat, product)
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
    _save_links(cat, record, product, product_id, [(str(s.external_sku_id or ""), str(s.id), s.seller_sku)
                                                   for s in result.skus], "push" if record.linked_by is None
                else record.linked_by)
    set_status(cat, record, "in_review", None, [], tiktok_product_id=product_id, shop_id=cat.shop.shop_id,
               tiktok_status="PENDING", category_id=listing.category_id, pushed_hash=digest,
               last_synced_at=cat.now(), linked_by=record.linked_by or "push")
    return outcome, None


def _apply_rules(cat: Catalog, record: ProductRecord, body: ProductInput, rules: Any,
                 current: Product | None) -> ProductInput:
    """P8: per field, the store's value (as built), the connector's override, or TikTok's own."""
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


def _save_links(cat: Catalog, record: ProductRecord, product: StoreProduct, tiktok_product_id: str,
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


# ================================================================================= link
def _link_by_seller_sku(cat: Catalog, record: ProductRecord, product: StoreProduct) -> tuple[str, str | None] | None:
    """P11 (automatic): a TikTok listing made by hand whose seller SKUs are this product's is
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
    _save_links(cat, record, product, tiktok_product_id, skus, linked_by)
    status = TIKTOK_STATUS.get(detail.status or tiktok_status or "", "in_review")
    mapping = cat.mapping(record.store_category_id)
    set_status(cat, record, status, None, [], tiktok_product_id=tiktok_product_id, shop_id=cat.shop.shop_id,
               tiktok_status=detail.status, linked_by=linked_by, pushed_hash=_push_hash(cat, record, mapping),
               last_synced_at=cat.now())
    return "linked", None


# ================================================================================ removal
def _remove(cat: Catalog, record: ProductRecord) -> tuple[str, str | None]:
    """P12: disabled or deleted in the store -> deactivated on TikTok."""
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


# ================================================================================== images
class _ImageProblem(Exception):
    pass


def upload_image(cat: Catalog, url: str, use_case: str) -> str:
    """The TikTok ``uri`` (main / SKU images) or ``url`` (description images) of a store image,
    uploaded once per shop: remembered under the shop by the hash of its URL and use case.
    Images breaking the square / 600 px / 5 MB rule are padded and resized first."""
    key = _image_key(cat, url, use_case)
    client, table = cat.products.client, cat.products.table_name
    known = cat._images.get((use_case, url))
    if known is not None:
        return known
    if (use_case, url) not in cat._images_checked:
        got = client.get_item(TableName=table, Key=key)
        if "Item" in got:
            return str(got["Item"]["ref"]["S"])
    try:
        data = cat.read(url)
    except Exception as exc:  # an unreadable image is reported, never fatal
        raise _ImageProblem(f"it could not be downloaded: {type(exc).__name__}") from None
    if use_case == "MAIN_IMAGE":
        data = _fit_main_image(data)
    uploaded = cat.tiktok.upload_image(cat.shop_ref, data, use_case=use_case)
    ref = uploaded.uri if use_case != "DESCRIPTION_IMAGE" else (uploaded.url or uploaded.uri)
    client.put_item(TableName=table, Item={**key, **dynamo.to_item({"ref": ref, "url": url})})
    cat._images[(use_case, url)] = ref
    return ref


def _image_key(cat: Catalog, url: str, use_case: str) -> dict[str, Any]:
    source = hashlib.sha256(f"{use_case}\n{url}".encode()).hexdigest()[:40]
    return dynamo.to_item({keys.PK: keys.conn_pk(cat.connection_id), keys.SK: keys.image_sk(cat.shop.shop_id, source)})


def prefetch_images(cat: Catalog, urls: Iterable[tuple[str, str]]) -> None:
    """Read what is known of these (use case, url) images in one batch (instead of one read each)."""
    wanted = [(use_case, url) for use_case, url in dict.fromkeys(urls)
              if (use_case, url) not in cat._images and (use_case, url) not in cat._images_checked]
    client, table = cat.products.client, cat.products.table_name
    for start in range(0, len(wanted), 100):
        chunk = wanted[start:start + 100]
        by_key = {_image_key(cat, url, use_case)[keys.SK]["S"]: (use_case, url) for use_case, url in chunk}
        request: dict[str, Any] = {table: {"Keys": [_image_key(cat, url, use_case) for use_case, url in chunk]}}
        while request:
            got = client.batch_get_item(RequestItems=request)
            for item in got.get("Responses", {}).get(table, []):
                found = by_key.get(item[keys.SK]["S"])
                if found is not None:
                    cat._images[found] = str(item["ref"]["S"])
            request = got.get("UnprocessedKeys") or {}
        cat._images_checked.update(chunk)


def _fit_main_image(data: bytes) -> bytes:
    """The bytes as they are when already fine (square, 600-4000 px, <= 5 MB, a common format),
    else the padded and resized JPEG (P5)."""
    import io

    from connector.catalog.images import ImageUnreadable, prepare_main_image

    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as probe:
            width, height, kind = probe.width, probe.height, probe.format
        if width == height and 600 <= width <= 4000 and len(data) <= MAIN_IMAGE_MAX_BYTES \
                and kind in ("JPEG", "PNG", "WEBP"):
            return data
        return prepare_main_image(data).data
    except (ImageUnreadable, OSError, ValueError) as exc:
        raise _ImageProblem(f"it is not an image TikTok can use: {type(exc).__name__}") from None


def _description_images(cat: Catalog, product: StoreProduct) -> dict[str, str]:
    from connector.catalog.description import listing_description

    hosted: dict[str, str] = {}
    for url in listing_description(product.description_html, product.title).image_urls[:30]:
        try:
            hosted[url] = upload_image(cat, url, "DESCRIPTION_IMAGE")
        except _ImageProblem:
            continue
    return hosted


# ============================================================================ review status
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
        _remove(cat, record.model_copy(update={"status": "in_review"}))
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
