"""The order relay under chaos on the local cloud, for any store platform: buyers pay TikTok
orders while TikTok's API and webhooks misbehave and the store's faults (given by the platform's
:class:`ChaosStore`) fire; then the faults stop, the re-scan and the sweeper run, and the result
tells how many store orders each paid order got, the stock on both sides and what was injected.

The draws come from one ``random.Random(seed)`` in a fixed order (TikTok's faults, then the
store's, then the order's lines), so a run is reproduced from its seed. The chaos tests of each
platform and a benchmark use it; it names no platform."""

from __future__ import annotations

import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from connector.orders.records import OrderRecord, deadline_of
from local.wait import until
from local.world import World


class ChaosStore(Protocol):
    """One connected store as the chaos run sees it."""

    def inject(self, rng: random.Random, index: int, orders: int, injected: Counter[str]) -> None:
        """Arm the store's faults before the ``index``-th of ``orders`` paid orders (drawing from
        ``rng``), counting each kind in ``injected``."""
        ...

    def clear(self) -> None:
        """Stop every store fault."""
        ...

    def order_ids(self) -> list[str]:
        """The TikTok order id of each of the store's orders (one entry per store order)."""
        ...

    def stock(self) -> dict[str, tuple[int | None, int]]:
        """Each linked TikTok SKU: (the store's figure, TikTok's)."""
        ...


@dataclass
class ChaosResult:
    placed: list[str]
    store_orders: int
    per_order: Counter[str]
    relayed_before_rescan: int
    records: list[OrderRecord]
    stock: dict[str, tuple[int | None, int]]
    injected: Counter[str] = field(default_factory=Counter)
    crashes: int = 0
    elapsed_s: float = 0.0

    @property
    def duplicated(self) -> int:
        return sum(1 for n in self.per_order.values() if n > 1)

    def summary(self, name: str, seed: int) -> str:
        return (f"{name} seed={seed}: placed={len(self.placed)} store_orders={self.store_orders} "
                f"distinct={len(self.per_order)} duplicated={self.duplicated} "
                f"relayed_before_rescan={self.relayed_before_rescan} crashes_injected={self.crashes} "
                f"faults={dict(self.injected)} stock(store,tiktok)={list(self.stock.values())} "
                f"elapsed_s={self.elapsed_s:.1f}")


def _relayed(store: ChaosStore, placed: list[str]) -> int:
    return len(set(store.order_ids()) & set(placed))


def _quiet(w: World, store: ChaosStore, placed: list[str], *, calm_s: float = 8.0, deadline_s: float = 120.0) -> int:
    """Wait until every order is relayed, or nothing moved for ``calm_s`` and no relay runs (the
    rest is the re-scan's job). Returns how many were relayed by then."""
    sfn = w.cloud.client("stepfunctions")
    arn = w.cloud.state_machine_arn("OrderRelayStateMachine")
    last, since, end = -1, time.monotonic(), time.monotonic() + deadline_s
    while time.monotonic() < end:
        count = _relayed(store, placed)
        running = len(sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"])
        if count == len(placed) and running == 0:
            return count
        if count != last or running:
            last, since = count, time.monotonic()
        elif time.monotonic() - since > calm_s:
            return count
        time.sleep(0.5)  # polling a condition with a deadline (not hiding a race)
    return last


def run_chaos(w: World, store: ChaosStore, *, shop_id: str, sku_ids: list[str], orders: int, seed: int,
              record: Callable[[str], OrderRecord | None], crashes: Callable[[], int]) -> ChaosResult:
    """Place ``orders`` paid orders of the linked ``sku_ids`` under chaos, stop the faults, let the
    re-scan and the sweeper finish and wait (up to a minute) for equal stock. ``record`` reads a
    TikTok order's relay record; ``crashes`` counts the relay crashes the fault hook injected."""
    rng = random.Random(seed)
    injected: Counter[str] = Counter()
    placed: list[str] = []
    started = time.monotonic()

    # The buyers check out while both platforms misbehave.
    for i in range(orders):
        # Each paid order makes two notifications (UNPAID, AWAITING_SHIPMENT): draw their fate.
        drop = sum(rng.random() < 0.10 for _ in range(2))
        duplicate = sum(rng.random() < 0.20 for _ in range(2))
        reorder = 2 if rng.random() < 0.20 else 0
        w.tiktok.set_webhook_faults(drop=drop, duplicate=duplicate, reorder=reorder)
        injected["webhooks_dropped"] += drop
        injected["webhooks_duplicated"] += duplicate
        injected["webhooks_reordered"] += reorder
        # ~5 TikTok and ~3 store calls per relay: 5% server errors, 2% timeouts, a 429 burst every 25.
        if rng.random() < 0.25:
            w.tiktok.inject_fault("error", count=1, status=500)
            injected["tiktok_5xx"] += 1
        if rng.random() < 0.10:
            w.tiktok.inject_fault("timeout", count=1, delay_s=0.3, after=rng.random() < 0.5)
            injected["tiktok_timeouts"] += 1
        if i % 25 == 10:
            w.tiktok.inject_fault("rate_limit", count=4)
            injected["tiktok_429_bursts"] += 1
        store.inject(rng, i, orders, injected)
        lines = [(sku_ids[rng.randrange(len(sku_ids))], rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
        placed.append(w.tiktok.place_order(shop_id, lines)["id"])

    # Then the faults stop (held reordered notifications are lost too) and the re-scan runs.
    w.tiktok.set_webhook_faults()
    w.tiktok.clear_faults()
    store.clear()
    before_rescan = _quiet(w, store, placed)
    w.cloud.fire_schedule("OrderScanFunction", "ScanSchedule")
    fired = [time.monotonic()]

    def settled() -> list[OrderRecord] | None:
        records = [record(oid) for oid in placed]
        if all(r is not None and r.state == "created" for r in records):
            return [r for r in records if r is not None]
        now = time.time()
        if any(r is not None and (deadline_of(r) or now + 1) <= now for r in records) \
                and time.monotonic() - fired[0] > 2:
            w.cloud.fire_schedule("OrderScanFunction", "ScanSchedule")  # the sweeper's next run
            fired[0] = time.monotonic()
        return None

    records = until(settled, timeout=200, what="every order recorded as created")
    ids = set(placed)
    per_order: Counter[str] = Counter(oid for oid in store.order_ids() if oid in ids)
    # The stock sync sends the store's figures to TikTok; wait for it to settle (or the deadline:
    # the caller asserts on the figures returned).
    with contextlib.suppress(AssertionError, TimeoutError):
        until(lambda: all(a == b for a, b in store.stock().values()), timeout=60, what="stock equal")
    return ChaosResult(placed=placed, store_orders=sum(per_order.values()), per_order=per_order,
                       relayed_before_rescan=before_rescan, records=records, stock=store.stock(),
                       injected=injected, crashes=crashes(), elapsed_s=time.monotonic() - started)
