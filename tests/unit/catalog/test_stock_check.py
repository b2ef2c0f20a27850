"""The TikTok check's choice of SKUs and its cost: recent SKUs first, then the rotating slice
(wrapping), each SKU once, the whole catalog within the round; the calls a day for a
10,000-SKU shop reconciled every 5 minutes (the figure docs/performance.md quotes)."""

from __future__ import annotations

import math

from connector.catalog.stock.check import (
    CHECK_ROUND_S,
    MAX_CALLS_PER_RUN,
    SEARCH_BATCH,
    calls_for,
    plan_check,
    slice_size,
    tiktok_figure,
)

RUN_GAP_S = 300.0


def _catalog(n: int) -> list[str]:
    return sorted(f"sku{i:06d}" for i in range(n))


def test_slice_size_covers_the_catalog_once_per_round() -> None:
    assert slice_size(0, RUN_GAP_S) == 0
    assert slice_size(4, RUN_GAP_S) == 1  # never nothing
    assert slice_size(10_000, RUN_GAP_S) == 139
    assert slice_size(10_000, 10 * CHECK_ROUND_S) == 10_000  # a long gap reads everything, once
    assert slice_size(10_000, -5) == 1


def test_recent_skus_come_first_then_the_slice_wrapping_each_sku_once() -> None:
    skus = _catalog(10)
    plan = plan_check(skus, ["sku000009", "sku000001", "unknown", "sku000001"], offset=8,
                      gap_s=CHECK_ROUND_S / 5)
    assert plan.slice_size == 2 and plan.recent == 1
    assert plan.skus == ("sku000001", "sku000008", "sku000009")  # sku000009 is in the slice already
    assert plan.next_offset == 0
    assert plan_check([], ["a"], 3, RUN_GAP_S).skus == ()


def test_the_slice_is_kept_when_recent_skus_exceed_the_cap() -> None:
    skus = _catalog(50_000)
    plan = plan_check(skus, skus[::-1], offset=0, gap_s=RUN_GAP_S)
    assert len(plan.skus) == MAX_CALLS_PER_RUN * SEARCH_BATCH
    assert set(skus[:plan.slice_size]) <= set(plan.skus)


def test_tiktok_figure_reads_the_written_warehouse_else_the_total() -> None:
    sku = {"id": "1", "total_available_quantity": 9,
           "warehouse_inventory": [{"warehouse_id": "w1", "available_quantity": 4},
                                   {"warehouse_id": "w2", "available_quantity": 5}]}
    assert tiktok_figure(sku, "w2") == 5
    assert tiktok_figure(sku, "w9") == 9 and tiktok_figure(sku, None) == 9
    assert tiktok_figure({"id": "1"}, "w1") is None
    assert calls_for({"s1": ["a"] * 101, "s2": ["b"], "s3": []}) == 3


def _day(total: int, changed_per_run: int) -> tuple[int, int]:
    """Calls over a day of runs every 5 minutes, and the longest wait (runs) of any SKU."""
    skus = _catalog(total)
    offset, calls, last_read, longest = 0, 0, dict.fromkeys(skus, 0), 0
    runs = int(24 * 3600 / RUN_GAP_S)
    for run in range(1, runs + 1):
        recent = [skus[(run * 7919 + i * 104_729) % total] for i in range(changed_per_run)]
        plan = plan_check(skus, recent, offset, RUN_GAP_S)
        offset = plan.next_offset
        calls += calls_for({"shop": plan.skus})
        for sku in plan.skus:
            longest = max(longest, run - last_read[sku])
            last_read[sku] = run
    return calls, longest


def test_a_day_for_a_ten_thousand_sku_shop() -> None:
    quiet_calls, longest = _day(10_000, changed_per_run=0)
    assert quiet_calls == 288 * 2  # 139 SKUs of the slice a run: two searches
    assert longest <= math.ceil(CHECK_ROUND_S / RUN_GAP_S)  # every SKU read within the round
    busy_calls, _ = _day(10_000, changed_per_run=60)  # ~17,000 SKU writes a day
    assert busy_calls == 288 * 2
    very_busy, _ = _day(10_000, changed_per_run=200)  # ~58,000 SKU writes a day
    assert very_busy == 288 * 4
