"""DynamoRateLimiter: the limit holds across processes (one DynamoDB item per key on moto).

The cross-process test spawns several OS processes that hammer one sandbox API limited to
20 requests/s: sharing the DynamoDB limiter they see no 429 and use at least 80% of the
limit; with a limiter per process (the control) the sandbox refuses some of their calls.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import boto3
import pytest

from connector import keys
from connector.ratelimit import DynamoRateLimiter
from local.sandbox_tiktok import codes

from .conftest import APP_KEY, APP_SECRET, World
from .ratelimit_worker import hammer

WAREHOUSES = "/logistics/202309/warehouses"


class FakeClock:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def dynamodb(moto_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name="us-east-1")


def test_quota_per_window_then_wait_for_the_next(table: str, dynamodb: Any) -> None:
    clock = FakeClock()
    limiter = DynamoRateLimiter(table, client=dynamodb, clock=clock, sleep=clock.sleep, rnd=lambda: 0.0)

    for _ in range(4):  # 20/s in 200 ms windows: 4 permits
        limiter.acquire("tiktok#shop#/x", 20)
    assert clock.sleeps == []
    limiter.acquire("tiktok#shop#/x", 20)

    assert len(clock.sleeps) == 1 and 0 < clock.sleeps[0] <= 0.2
    item = dynamodb.get_item(
        TableName=table, Key={"pk": {"S": keys.rate_limit_pk("tiktok#shop#/x")}, "sk": {"S": "BUCKET"}}
    )
    assert item["Item"]["n"]["N"] == "1"  # the fifth call opened the next window
    assert int(item["Item"]["expires_at"]["N"]) > clock.now


def test_low_rates_use_longer_windows(table: str, dynamodb: Any) -> None:
    limiter = DynamoRateLimiter(table, client=dynamodb)
    assert limiter.window_for(2) == (0.5, 1)
    assert limiter.window_for(50) == (0.2, 10)


def test_keys_are_independent(table: str, dynamodb: Any) -> None:
    clock = FakeClock()
    limiter = DynamoRateLimiter(table, client=dynamodb, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        limiter.acquire("a", 20)
        limiter.acquire("b", 20)
    assert clock.sleeps == []


def test_pause_holds_every_caller_until_it_ends(table: str, dynamodb: Any) -> None:
    clock = FakeClock()
    limiter = DynamoRateLimiter(table, client=dynamodb, clock=clock, sleep=clock.sleep, rnd=lambda: 0.0)
    limiter.acquire("k", 50)
    limiter.pause("k", 1.5)
    limiter.pause("k", 0.5)  # a shorter pause does not shorten the longer one

    limiter.acquire("k", 50)

    assert sum(clock.sleeps) == pytest.approx(1.5)


def _run_workers(
    world: World, table: str, *, shared: bool, processes: int, duration: float
) -> tuple[list[dict[str, int]], float]:
    ctx = multiprocessing.get_context("spawn")
    ready, results = ctx.Queue(), ctx.Queue()
    start_at = ctx.Value("d", 0.0)
    args = {
        "table": table,
        "shared": shared,
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "api_base": world.sandbox.url,
        "token": world.tokens.access_token(),
        "shop_id": world.shop.id,
        "cipher": world.shop.cipher,
        "rate": 20.0,
        "duration": duration,
    }
    workers = [ctx.Process(target=hammer, args=(args, ready, start_at, results), daemon=True) for _ in range(processes)]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            ready.get(timeout=60)
        world.sandbox.clear_requests()
        world.sandbox.reset_rate_limits()  # a full bucket for everyone at the start
        begin = time.time() + 0.2
        start_at.value = begin
        outcome = [results.get(timeout=duration + 30) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
    return outcome, duration


def test_shared_limiter_holds_across_processes(world: World, table: str) -> None:
    # Given a sandbox API limited to 20 requests/s for this shop
    world.sandbox.set_rate_limit(20, path=WAREHOUSES)

    # When 4 processes share the DynamoDB limiter for 3 s
    outcome, duration = _run_workers(world, table, shared=True, processes=4, duration=3.0)

    # Then TikTok refused nothing, and the limit was well used
    ok = sum(r["ok"] for r in outcome)
    assert sum(r["limited"] for r in outcome) == 0
    assert codes.TOO_MANY_REQUESTS not in {r["code"] for r in world.requests(WAREHOUSES)}
    assert ok / duration >= 0.8 * 20, f"{ok} calls in {duration} s"
    assert all(r["ok"] > 0 for r in outcome)  # every process got a share


def test_control_limiters_per_process_do_not_hold(world: World, table: str) -> None:
    world.sandbox.set_rate_limit(20, path=WAREHOUSES)

    outcome, _ = _run_workers(world, table, shared=False, processes=3, duration=1.5)

    assert sum(r["limited"] for r in outcome) > 0
