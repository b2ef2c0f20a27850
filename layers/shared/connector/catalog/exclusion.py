"""Excluding products from sync: an excluded product is never pushed (listing or stock) until the
merchant includes it again; what is already on TikTok stays as it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connector.catalog.records import ProductRepository

ALL_PAGE = 500
"""Products changed per request when the change covers the whole catalog."""


def set_excluded(repo: ProductRepository, connection_id: str, store_product_ids: list[str], excluded: bool,
                 now: int) -> tuple[int, list[str]]:
    """Exclude (or include) the products named: ``(changed, unknown ids)``. Nothing is changed
    when any id is unknown."""
    records = {pid: repo.get(connection_id, pid) for pid in dict.fromkeys(store_product_ids)}
    unknown = [pid for pid, record in records.items() if record is None]
    if unknown:
        return 0, unknown
    changed = 0
    for pid, record in records.items():
        if record is not None and record.excluded != excluded:
            repo.update(connection_id, pid, excluded=excluded or None, updated_at=now)
            changed += 1
    return changed, []


def set_excluded_page(repo: ProductRepository, connection_id: str, excluded: bool, now: int,
                      page_token: str | None, limit: int = ALL_PAGE) -> tuple[int, str | None]:
    """Exclude (or include) one page of the whole catalog: ``(changed, next page token)``.
    ``ValueError`` for a token this listing did not give out."""
    records, token = repo.page(connection_id, limit=limit, page_token=page_token)
    changed = 0
    for record in records:
        if record.excluded != excluded:
            repo.update(connection_id, record.store_product_id, excluded=excluded or None, updated_at=now)
            changed += 1
    return changed, token
