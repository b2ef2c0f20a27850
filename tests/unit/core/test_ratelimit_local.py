from __future__ import annotations

from connector.ratelimit import LocalRateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def test_bucket_allows_a_burst_then_paces_at_the_rate() -> None:
    fake = FakeTime()
    limiter = LocalRateLimiter(clock=fake.clock, sleep=fake.sleep)
    for _ in range(10):
        limiter.acquire("k", 10)
    assert fake.t == 0.0  # the first second's burst
    for _ in range(20):
        limiter.acquire("k", 10)
    assert abs(fake.t - 2.0) < 1e-6  # 20 more at 10/s take two seconds


def test_keys_are_independent_and_pause_holds_callers() -> None:
    fake = FakeTime()
    limiter = LocalRateLimiter(clock=fake.clock, sleep=fake.sleep)
    limiter.acquire("a", 1)
    limiter.pause("b", 30)
    limiter.acquire("b", 100)
    assert fake.t >= 30.0
