"""ProductRepository / CategoryMapping on moto: the contract the merchant API and stock sync read."""

from __future__ import annotations

import pytest

from connector.catalog.records import (
    AttributeFill,
    CategoryMapping,
    ListingFill,
    ProductRecord,
    ProductRepository,
    decode_page_token,
)


def _record(i: int, status: str = "not_synced") -> ProductRecord:
    return ProductRecord(connection_id="c1", store_product_id=f"{i:04d}", title=f"P{i}", status=status,  # type: ignore[arg-type]
                         content_hash=f"h{i}", updated_at=1)


def test_put_get_update_and_snapshot_kept(table: str) -> None:
    repo = ProductRepository(table)
    repo.put(_record(1), snapshot='{"x": 1}')
    repo.update("c1", "0001", status="active", tiktok_product_id="1729", reason=None,
                fill=ListingFill(brand_id="b1", attribute_values={"100": [AttributeFill(id="v1")]}))
    got = repo.get("c1", "0001")
    assert got is not None and got.status == "active" and got.tiktok_product_id == "1729"
    assert got.fill is not None and got.fill.attribute_values["100"][0].id == "v1"
    # a put without snapshot keeps the snapshot and removes fields set to None
    repo.put(got.model_copy(update={"tiktok_product_id": None, "title": "New"}))
    again = repo.get("c1", "0001")
    assert again is not None and again.title == "New" and again.tiktok_product_id is None
    assert repo.snapshot("c1", "0001") == '{"x": 1}'
    assert repo.get("c1", "9999") is None and repo.get("c2", "0001") is None


def test_pages_filtered_by_status_visit_every_record_once(table: str) -> None:
    repo = ProductRepository(table)
    for i in range(57):
        repo.put(_record(i, "active" if i % 3 == 0 else "sync_failed"), snapshot="{}")
    seen: list[str] = []
    token = None
    while True:
        page, token = repo.page("c1", status="active", limit=7, page_token=token)
        assert len(page) <= 7
        seen.extend(r.store_product_id for r in page)
        if token is None:
            break
    assert seen == [f"{i:04d}" for i in range(57) if i % 3 == 0]
    assert len(list(repo.all("c1"))) == 57
    assert repo.count_by_status("c1")["active"] == 19 and repo.count_by_status("c1")["sync_failed"] == 38
    with pytest.raises(ValueError):
        decode_page_token("bm90LW91cnM")


def test_category_mappings(table: str) -> None:
    repo = ProductRepository(table)
    repo.put_mapping(CategoryMapping(connection_id="c1", store_category_id="7", store_category_name="Shoes",
                                     tiktok_category_id="601", invite_only=True, source="suggested",
                                     required_attributes={"100": "Material"}))
    got = repo.get_mapping("c1", "7")
    assert got is not None and got.tiktok_category_id == "601" and got.invite_only
    assert [m.store_category_id for m in repo.mappings("c1")] == ["7"]
    assert repo.get_mapping("c1", "8") is None
