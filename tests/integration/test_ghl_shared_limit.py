"""The Redis scripts every replica takes its turns with (`workers.ghl.shared_limit`), held to
the same tables as the pure `limits.take` and `limits.observe` (tests/support/ghl_limits.py),
on a real Redis; then Redis's own clock, the keys' TTLs and atomicity under many callers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.support.ghl_limits import OBSERVES, TAKES, ObserveCase, TakeCase
from workers.ghl.client import RateLimitedError
from workers.ghl.limits import Limits, Report, Window, kept_s
from workers.ghl.shared_limit import RedisWindows, SharedLimiter

pytestmark = pytest.mark.integration


def windows(redis: aioredis.Redis, limits: Limits) -> RedisWindows:
    return RedisWindows(redis, limits, prefix=f"test:{uuid.uuid4().hex[:8]}")


async def store(w: RedisWindows, location: str, window: Window) -> None:
    """Set the location's stored state to `window`, as the scripts keep it (milliseconds)."""
    spent, state = w.keys(location)
    fields: dict[Any, Any] = {
        "paused_until": round(window.paused_until * 1000), "day": window.day,
        "daily_used": window.daily_used}
    if window.seen_max:
        fields["max"] = window.seen_max
    if window.seen_interval_s:
        fields["interval_ms"] = round(window.seen_interval_s * 1000)
    if window.seen_daily:
        fields["daily_max"] = window.seen_daily
    await w.redis.delete(spent, state)
    if window.spent:
        await w.redis.zadd(spent, {f"t{i}": round(t * 1000) for i, t in enumerate(window.spent)})
    await w.redis.hset(state, mapping=fields)


@pytest.mark.parametrize("case", TAKES, ids=[c.id for c in TAKES])
async def test_the_take_script_is_limits_take(redis: aioredis.Redis, case: TakeCase) -> None:
    w = windows(redis, case.limits)
    await store(w, "loc", case.window)
    wait, why = await w.take("loc", now=case.now)
    assert (wait, why) == (pytest.approx(case.wait_s, abs=1e-3), case.why)
    assert await w.read("loc") == case.after


@pytest.mark.parametrize("case", OBSERVES, ids=[c.id for c in OBSERVES])
async def test_the_observe_script_is_limits_observe(redis: aioredis.Redis,
                                                    case: ObserveCase) -> None:
    w = windows(redis, case.limits)
    await store(w, "loc", case.window)
    added = await w.observe("loc", case.report, now=case.now)
    assert await w.read("loc") == case.after
    kept = [t for t in case.window.spent if t > case.now - kept_s(case.limits, case.after)]
    assert added == len(case.after.spent) - len(kept)  # the turns GHL counted beyond ours


async def test_redis_keeps_the_time_and_the_keys_expire(redis: aioredis.Redis) -> None:
    w = windows(redis, Limits(2, 10.0, 100))
    before = (await redis.time())[0]
    assert await w.take("loc") == (0.0, "ok")
    await w.observe("loc", Report(pause_s=1.5))
    window = await w.read("loc")
    assert before - 1 <= window.spent[0] <= before + 2  # Redis's clock, in seconds
    assert window.paused_until == pytest.approx(window.spent[0] + 1.5, abs=0.5)
    spent_key, state_key = w.keys("loc")
    assert 0 < await redis.pttl(spent_key) <= 20_000  # two windows
    assert 86_400_000 < await redis.pttl(state_key) <= 2 * 86_400_000  # the day's count
    assert spent_key.startswith(w.prefix + ":{loc}")  # one hash slot per location


async def test_many_callers_at_once_never_take_more_than_the_limit(
    redis: aioredis.Redis,
) -> None:
    w = windows(redis, Limits(25, 60.0, 1000))
    answers = await asyncio.gather(*(w.take("loc") for _ in range(60)))
    assert sum(1 for wait, _ in answers if wait == 0) == 25
    assert {why for wait, why in answers if wait > 0} == {"burst"}
    assert len((await w.read("loc")).spent) == 25


async def test_a_spent_daily_budget_is_not_waited_for(redis: aioredis.Redis) -> None:
    w = windows(redis, Limits(10, 1.0, 2))
    limiter = SharedLimiter(w)
    await limiter.acquire("loc")
    await limiter.acquire("loc")
    with pytest.raises(RateLimitedError, match="daily budget of location loc is spent") as err:
        await limiter.acquire("loc")
    assert err.value.retry_after is not None and 0 < err.value.retry_after <= 86_400
