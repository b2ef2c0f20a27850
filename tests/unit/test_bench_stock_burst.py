"""The stock burst bench's two measures, on hand-made timelines: change -> TikTok latency and
oversold SKU-seconds (a figure on its way is latency, a figure left above the store is not)."""

from __future__ import annotations

import pytest

from bench.stock_burst import Change, _latencies, _oversold, _stale_oversold


def test_latency_runs_to_the_first_write_of_that_figure_or_a_newer_one() -> None:
    changes = [Change(10.0, "a", 5), Change(11.0, "a", 3), Change(10.0, "b", 7)]
    writes = [(10.4, "a", 4), (11.5, "a", 3), (10.2, "b", 7)]  # a's 5 was never shown: 3 answers it
    assert _latencies(changes, writes) == pytest.approx([1.5, 0.5, 0.2])


def test_a_change_that_never_reached_tiktok_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="never reached TikTok"):
        _latencies([Change(10.0, "a", 5)], [(9.0, "a", 5)])


def test_a_lower_store_figure_not_shown_within_the_settle_time_counts_as_oversold() -> None:
    store = [Change(0.0, "a", 10), Change(100.0, "a", 4)]
    on_time = [(101.0, "a", 4)]
    late = [(104.5, "a", 4)]
    assert _oversold(store, on_time, 110.0, settle_s=2.0) == {"a": 0.0}
    assert _oversold(store, late, 110.0, settle_s=2.0)["a"] == pytest.approx(2.5)
    assert _oversold(store, on_time, 110.0, settle_s=0.0)["a"] == pytest.approx(1.0)


def test_an_older_higher_figure_landing_after_the_newer_one_counts_until_corrected() -> None:
    store = [Change(0.0, "a", 10), Change(100.0, "a", 6), Change(101.0, "a", 2)]
    writes = [(100.5, "a", 6), (101.5, "a", 2), (105.0, "a", 6), (105.25, "a", 2)]
    assert _oversold(store, writes, 110.0, settle_s=2.0)["a"] == pytest.approx(0.25)


def test_a_higher_figure_is_never_oversold() -> None:
    store = [Change(0.0, "a", 1), Change(100.0, "a", 9)]
    assert _oversold(store, [(100.1, "a", 9)], 110.0, settle_s=2.0) == {"a": 0.0}


def test_only_an_older_figure_landing_after_a_newer_one_counts_as_stale() -> None:
    store = [Change(0.0, "a", 10), Change(100.0, "a", 6), Change(101.0, "a", 2)]
    in_order = [(100.5, "a", 6), (104.0, "a", 2)]  # late, but never an older figure after a newer
    raced = [(100.5, "a", 6), (101.5, "a", 2), (105.0, "a", 6), (105.25, "a", 2)]
    assert _stale_oversold(store, in_order, 110.0) == {"a": 0.0}
    assert _stale_oversold(store, raced, 110.0)["a"] == pytest.approx(0.25)
