"""Pre-validation on request: the checks a push makes before it sends anything (the category's
rules, TikTok's listing rules in :mod:`connector.catalog.validate`), run over a selection of
products or over the whole catalog page by page, with nothing pushed and nothing recorded.

:func:`listing_problems` is the check itself; :func:`connector.catalog.push.push_product` calls it
too, so a product this says is ready passes the push's own checks (images are uploaded only by the
push: an image that cannot be read is found then)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connector.catalog.validate import Problem

if TYPE_CHECKING:
    from connector.catalog.context import Catalog
    from connector.catalog.records import CategoryMapping, ProductRecord
    from connector.catalog.settings import ListingContext, SyncSettings
    from connector.stores.protocol import StoreProduct

PAGE = 200
"""Products checked per request when checking the whole catalog."""


def listing_problems(mapping: CategoryMapping | None, listing: ListingContext, product: StoreProduct,
                     settings: SyncSettings) -> list[Problem]:
    """Every problem the push would find before uploading anything: an invitation-only category
    alone (nothing else matters until the shop is invited), else the listing rules' problems."""
    from connector.catalog.validate import validate

    if mapping is not None and mapping.invite_only and listing.category_id == mapping.tiktok_category_id:
        return [Problem("category_invite_only",
                        f"TikTok category '{mapping.tiktok_category_name}' is invitation-only: ask TikTok for access "
                        "in Seller Center, or map the store category to another TikTok category.")]
    return validate(product, listing, settings)


@dataclass(frozen=True)
class Verdict:
    """What a push of one product would do, before anything is sent."""

    store_product_id: str
    title: str
    outcome: str
    """``ready`` (would be pushed), ``blocked`` (a problem to fix first), ``excluded``, ``removed``
    (disabled or deleted in the store: would be taken off TikTok), ``not_pulled``, ``unknown``."""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.outcome == "ready"


def check(cat: Catalog, record: ProductRecord | None, raw: str | None, store_product_id: str) -> Verdict:
    """One product's verdict (reads its mapping; sends nothing, writes nothing)."""
    from connector.catalog.mapping import listing_context
    from connector.catalog.push import EXCLUDED_REASON
    from connector.catalog.records import loads_snapshot
    from connector.catalog.validate import blocking

    if record is None:
        return Verdict(store_product_id, "", "unknown", [Problem("unknown_product", "No such product: pull it first.")])
    title = record.title
    if record.excluded:
        return Verdict(store_product_id, title, "excluded", [Problem("excluded", EXCLUDED_REASON, blocking=False)])
    if record.deleted or not record.enabled:
        words = "Deleted in the store" if record.deleted else "Disabled in the store"
        return Verdict(store_product_id, title, "removed",
                       [Problem("store_removed", f"{words}: a sync takes it off TikTok.", blocking=False)])
    if raw is None:
        return Verdict(store_product_id, title, "not_pulled",
                       [Problem("not_pulled", "The store product was not pulled yet: pull the catalog first.")])
    product = loads_snapshot(raw)
    mapping = cat.mapping(record.store_category_id)
    problems = listing_problems(mapping, listing_context(cat, mapping, record, product), product, cat.sync_settings())
    return Verdict(store_product_id, title, "blocked" if blocking(problems) else "ready", problems)


def check_products(cat: Catalog, store_product_ids: list[str]) -> list[Verdict]:
    """Verdicts of the products named, in the order given (duplicates once)."""
    verdicts = []
    for product_id in dict.fromkeys(store_product_ids):
        record, raw = cat.products.get_with_snapshot(cat.connection_id, product_id)
        verdicts.append(check(cat, record, raw, product_id))
    return verdicts


def check_page(cat: Catalog, page_token: str | None, limit: int = PAGE) -> tuple[list[Verdict], str | None]:
    """Verdicts of one page of the whole catalog (ordered by store product id) and the next page's
    token (``None`` on the last). ``ValueError`` for a token this listing did not give out."""
    from connector import keys
    from connector.catalog.records import encode_page_token

    loaded = cat.products.page_with_snapshots(cat.connection_id, limit=limit + 1, page_token=page_token)
    verdicts = [check(cat, record, raw, record.store_product_id) for record, raw in loaded[:limit]]
    more = len(loaded) > limit
    return verdicts, encode_page_token(keys.product_sk(loaded[limit - 1][0].store_product_id)) if more else None
