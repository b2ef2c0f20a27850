"""A stalled TikTok inventory call never leaves TikTok above the store, on the local cloud with
both sandboxes: the sequence that once oversold, replayed as it happened.

The store goes 10 -> 6 -> 2. The worker sending 6 meets an inventory update that TikTok applies
and then stalls past the client's 10 s timeout (the answer is lost), four times, so its call
spends about 45 s in retries, longer than the stock lease's 30 s. The store's change to 2 comes
once all four stalls are taken, after the lease's first term. Before fenced writes, a second
worker took the expired lease and sent 2, then the first worker's fifth attempt landed 6 and
stayed. Now the first worker keeps its lease while its call is out, and the change to 2 takes the
product over from the stalled call: 2 goes out at once, the stalled call makes no further
attempt, and its worker sends the newest figure again: TikTok ends equal to the store.

A newer figure reaches TikTok within about 2 s even while an older call is held: measured from
the store change to the sandbox TikTok's own timeline of applied inventory writes. An attempt the
worker gave up on that TikTok applies after the newer writes is found by the recheck that
follows every unanswered call, without waiting for the reconciliation."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from local.stock_scenario import Linked, connect_and_link, settle
from local.world import World
from tests.support.wait import until

STALL_S = 12.0
"""Longer than the worker's TikTok timeout (10 s): each attempt's answer is lost."""
LATE_S = 6.0
"""Shorter than the worker's TikTok timeout: the call is answered, after landing late."""
SEARCH = "/product/202309/inventory/search"
NEWER_WITHIN_S = 2.5
"""Store change -> the newer figure applied by TikTok while an older call is held."""
GIVEN_UP_S = 12.0
"""Longer than the worker's TikTok timeout (10 s): the worker gives up on the attempt (and sends
the newest figure again at once), and TikTok applies it two seconds later, after every newer
write; the recheck comes 5 s after the worker gave up (the local worlds' ``StockRecheckSeconds``)."""


@pytest.fixture
def linked(connected_world: World) -> Iterator[Linked]:
    scenario = connect_and_link(connected_world, name="E2E-fence")
    scenario.set_quantity(0, 10)
    until(lambda: scenario.tiktok_quantities()[0] == 10, timeout=20, what="10 on TikTok")
    settle(scenario)
    yield scenario
    connected_world.tiktok.clear_faults()


def _six_held_then_two(linked: Linked, held_s: float) -> tuple[float, Callable[[], list[tuple[float, int]]]]:
    """The store goes to 6 and TikTok holds the call sending it ``held_s`` (then applies it); once
    it is held the store goes to 2. Returns when the change to 2 was made and the timeline of the
    SKU's writes TikTok applied since then (time, quantity)."""
    w = linked.world
    sku = linked.sku_ids[0]
    w.tiktok.inject_fault("late", count=1, path=f"{linked.tiktok_product_id}/inventory/update", delay_s=held_s)
    linked.set_quantity(0, 6)
    until(lambda: not w.tiktok.faults(), timeout=20, what="the call sending 6 held by TikTok")
    changed_at = time.time()
    linked.set_quantity(0, 2)

    def writes() -> list[tuple[float, int]]:
        return [(e["t"], e["quantity"]) for e in w.tiktok.inventory_writes(linked.tiktok_product_id)
                if e["sku_id"] == sku and e["t"] >= changed_at]

    return changed_at, writes


def test_a_call_stalled_past_the_lease_does_not_leave_tiktok_above_the_store(linked: Linked) -> None:
    w = linked.world
    store = lambda: w.ecwid.stock(linked.store_id, linked.product_id, linked.combination_ids[0])  # noqa: E731
    w.tiktok.inject_fault("timeout", count=4, path=f"{linked.tiktok_product_id}/inventory/update",
                          delay_s=STALL_S, after=True)
    linked.set_quantity(0, 6)
    until(lambda: linked.tiktok_quantities()[0] == 6, timeout=20, what="the first stalled attempt applied")
    # All four stalls taken: the worker is in its fourth attempt, past the lease's first 30 s.
    until(lambda: not w.tiktok.faults(), timeout=60, what="the four stalled attempts")
    linked.set_quantity(0, 2)
    until(lambda: linked.tiktok_quantities()[0] == 2, timeout=60, what="the newest figure on TikTok")
    settle(linked, timeout=90)
    assert store() == 2
    assert linked.tiktok_quantities()[0] == 2, "TikTok kept an older, higher figure"


def test_a_figure_tiktok_shows_above_the_store_is_corrected_by_the_reconciliation(linked: Linked) -> None:
    """A write that landed on TikTok where nothing on our side saw it (here: TikTok's figure
    set behind the connector's back) is found by reading TikTok's inventory back."""
    w = linked.world
    with w.tiktok.state.lock:
        sku = next(s for s in w.tiktok.state.products[linked.tiktok_product_id].skus if s.id == linked.sku_ids[0])
        sku.inventory = dict.fromkeys(sku.inventory, 25)
    assert linked.tiktok_quantities()[0] == 25
    result = w.cloud.fire_schedule("StockSyncFunction", "ReconcileSchedule")
    assert result["connections"] >= 1
    until(lambda: linked.tiktok_quantities()[0] == 10, timeout=20, what="TikTok's figure corrected")
    settle(linked)
    assert linked.tiktok_quantities()[0] == 10


def test_a_newer_figure_reaches_tiktok_at_once_while_an_older_call_is_held(linked: Linked) -> None:
    """The call sending 6 is held by TikTok and lands after the newer 2 (applied late): the
    change to 2 takes the product over, 2 lands within about 2 s of the store change, the late 6
    is followed by 2 again, and TikTok ends equal to the store."""
    w = linked.world
    changed_at, writes = _six_held_then_two(linked, LATE_S)
    until(lambda: any(q == 6 for _, q in writes()), timeout=30, what="the held call landing late")
    until(lambda: writes()[-1][1] == 2, timeout=30, what="the newest figure sent again after it")
    settle(linked, timeout=60)
    timeline = writes()
    first_two = next(t for t, q in timeline if q == 2)
    late_six = next(t for t, q in timeline if q == 6)
    assert first_two - changed_at < NEWER_WITHIN_S, f"2 landed {first_two - changed_at:.2f} s after the change"
    assert first_two < late_six, "the newer figure waited for the held call"
    assert timeline[-1][1] == 2 and linked.tiktok_quantities()[0] == 2
    assert w.ecwid.stock(linked.store_id, linked.product_id, linked.combination_ids[0]) == 2


def test_an_attempt_applied_after_the_worker_gave_up_is_corrected_by_the_recheck(linked: Linked) -> None:
    """The call sending 6 is held past the worker's timeout; 2 goes out meanwhile; TikTok applies the
    abandoned 6 after it, where no answer tells anyone. The recheck asked for by the worker reads
    TikTok back and sends 2 again: TikTok ends equal to the store with no store change and no
    reconciliation run."""
    w = linked.world
    held_at, writes = _six_held_then_two(linked, GIVEN_UP_S)
    until(lambda: any(q == 2 for _, q in writes()), timeout=20, what="the newer figure on TikTok")
    until(lambda: any(q == 6 for t, q in writes() if t >= held_at + GIVEN_UP_S - 1), timeout=30,
          what="the abandoned attempt applied late")
    until(lambda: writes()[-1][1] == 2, timeout=30, what="the figure corrected after the late landing")
    settle(linked, timeout=60)
    late_six = max(t for t, q in writes() if q == 6)
    fixed = min(t for t, q in writes() if q == 2 and t > late_six)
    read_back = [r["t"] for r in w.tiktok.requests(pattern=SEARCH) if late_six < r["t"] < fixed]
    assert read_back, "corrected without reading TikTok back"
    assert writes()[-1][1] == 2 and linked.tiktok_quantities()[0] == 2
    assert w.ecwid.stock(linked.store_id, linked.product_id, linked.combination_ids[0]) == 2
