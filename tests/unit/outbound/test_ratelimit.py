"""The per-location token bucket, on a manual clock."""

from __future__ import annotations

import pytest

from tests.unit.outbound.conftest import ManualClock
from workers.ghl.ratelimit import LocationLimiter, TokenBucket


def test_full_bucket_then_wait_until_the_oldest_token_returns(clock: ManualClock) -> None:
    bucket = TokenBucket(3, 10.0, clock)
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 4
    assert bucket.reserve() == pytest.approx(6.0)  # nothing spent by a refused reserve
    assert bucket.available() == 0
    clock.now += 6
    assert bucket.available() == 3
    assert bucket.reserve() == 0.0


def test_tokens_come_back_one_interval_after_spending_not_as_a_drip(clock: ManualClock) -> None:
    bucket = TokenBucket(2, 10.0, clock)
    bucket.reserve()
    clock.now += 5
    bucket.reserve()
    clock.now += 5  # the first token is back, the second not yet
    assert bucket.available() == 1


def test_pause_withholds_tokens(clock: ManualClock) -> None:
    bucket = TokenBucket(5, 10.0, clock)
    bucket.pause(2.5)
    assert bucket.available() == 0
    assert bucket.reserve() == pytest.approx(2.5)
    clock.now += 2.5
    assert bucket.reserve() == 0.0


def test_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0, 1.0)
    with pytest.raises(ValueError):
        TokenBucket(1, 0.0)


async def test_no_window_ever_holds_more_than_the_limit(clock: ManualClock) -> None:
    limiter = LocationLimiter(5, 1.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(12):
        await limiter.acquire("loc-a")
        times.append(clock.now)
    start = times[0]
    assert [t - start for t in times] == [0.0] * 5 + [1.0] * 5 + [2.0] * 2
    assert all(times[i + 5] - times[i] >= 1.0 for i in range(len(times) - 5))


async def test_locations_have_their_own_buckets(clock: ManualClock) -> None:
    limiter = LocationLimiter(1, 10.0, clock=clock, sleep=clock.sleep)
    assert await limiter.acquire("loc-a") == 0.0
    assert await limiter.acquire("loc-b") == 0.0
    limiter.pause("loc-b", 3.0)
    assert limiter.bucket("loc-b").available() == 0
    assert await limiter.acquire("loc-a") == pytest.approx(10.0)
    assert limiter.bucket("loc-b").available() == 1  # its pause and its token are over
