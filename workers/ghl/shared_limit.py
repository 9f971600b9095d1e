"""GHL's limits counted once for every replica: each location's `limits.Window` kept in Redis
and changed only by two Lua scripts (`take`, `observe`), each one atomic, so any number of
outbound replicas (replies and CRM write-backs alike) together stay under 100 requests per
10 s and the daily budget of a location.

The scripts are `limits.take` and `limits.observe` written for Redis (the tests hold both to
the same tables); times are Redis's own clock (`TIME`, in ms), so replicas whose clocks
differ still agree. Keys per location, with TTLs so an idle location costs nothing:

    {prefix}:{<location>}:spent   sorted set: one member per turn in the window (score: ms);
                                  expires two windows after its last write
    {prefix}:{<location>}         hash: paused_until, day, daily_used, max, interval_ms,
                                  daily_max (GHL's reported limits); expires two days after
                                  its last write

When Redis does not answer (an error, or no answer within `redis_timeout_s`), a turn is
decided by this replica alone, with a conservative share of the limit (`fallback`: `burst //
replicas` per window, no daily count; GHL's own 429, proof that nothing was taken, stays the
last word); Redis is tried again after `retry_after_s`. Every fallback turn is counted
(`leadmem_ghl_rate_limit_fallback_total`). A turn Redis took but whose answer came too late
is simply not used: the count errs on the safe side.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from workers.ghl.client import RateLimitedError
from workers.ghl.limits import Limits, Report, Window
from workers.ghl.metrics import RATE_LIMIT_CORRECTIONS, RATE_LIMIT_FALLBACKS
from workers.ghl.ratelimit import Clock, LocationLimiter, Sleep

log = logging.getLogger(__name__)
PREFIX = "leadmem:ghl:limits"
STATE_TTL_MS = 2 * 86_400_000

# Shared by both scripts: the clock, the stored state, and what `limits` derives from them:
# the burst windows (`bursts`: ours, and GHL's pair where it reported one), the daily budget
# (`daily_budget`), the expiry of turns (`kept_s`) and the day's count.
_HEAD = f"""
local STATE_TTL = {STATE_TTL_MS}
local now = tonumber(ARGV[5])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local burst, interval, daily = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local s = redis.call('HMGET', KEYS[2], 'paused_until', 'day', 'daily_used', 'max',
                     'interval_ms', 'daily_max')
"""
_LIMITS = """
local pairs_ = {{burst, interval}}
if seen_max or seen_iv then
  pairs_[2] = {seen_max or burst, seen_iv or interval}
end
local kept = interval
if pairs_[2] and pairs_[2][2] > kept then kept = pairs_[2][2] end
local budget = daily
if budget > 0 and seen_daily and seen_daily < budget then budget = seen_daily end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - kept)
local day = math.floor(now / 86400000)
local used = 0
if tonumber(s[2]) == day then used = tonumber(s[3]) or 0 end
local function recent(iv) return redis.call('ZCOUNT', KEYS[1], '(' .. (now - iv), '+inf') end
"""

# KEYS: spent, state. ARGV: burst, interval_ms, daily (0: not counted), member, now_ms ('':
# Redis's clock). Returns {wait_ms, why}: wait 0 means the turn was taken.
TAKE = _HEAD + """
local seen_max, seen_iv, seen_daily = tonumber(s[4]), tonumber(s[5]), tonumber(s[6])
""" + _LIMITS + """
local paused = tonumber(s[1]) or 0
if paused > now then return {tostring(paused - now), 'paused'} end
if budget > 0 and used >= budget then
  return {tostring((day + 1) * 86400000 - now), 'daily'}
end
local wait = 0
local total = redis.call('ZCARD', KEYS[1])
for _, p in ipairs(pairs_) do
  if recent(p[2]) >= p[1] then
    local at = redis.call('ZRANGE', KEYS[1], total - p[1], total - p[1], 'WITHSCORES')
    local w = tonumber(at[2]) + p[2] - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return {tostring(wait), 'burst'} end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], kept * 2)
redis.call('HSET', KEYS[2], 'day', day, 'daily_used', used + 1)
redis.call('PEXPIRE', KEYS[2], STATE_TTL)
return {'0', 'ok'}
"""

# KEYS: spent, state. ARGV 1-5 as for TAKE (member: a prefix for the turns GHL counted
# beyond ours), then what GHL said ('' where it did not): remaining, max, interval_ms,
# daily_remaining, daily_max, pause_ms. Returns the turns added for GHL's count.
OBSERVE = _HEAD + """
local function arg(i) if ARGV[i] == '' then return nil end return tonumber(ARGV[i]) end
local r_remaining, r_max, r_iv = arg(6), arg(7), arg(8)
local r_daily_remaining, r_daily_max, r_pause = arg(9), arg(10), arg(11)
local seen_max = r_max or tonumber(s[4])
local seen_iv = r_iv or tonumber(s[5])
local seen_daily = r_daily_max or tonumber(s[6])
if r_max then redis.call('HSET', KEYS[2], 'max', r_max) end
if r_iv then redis.call('HSET', KEYS[2], 'interval_ms', r_iv) end
if r_daily_max then redis.call('HSET', KEYS[2], 'daily_max', r_daily_max) end
""" + _LIMITS + """
local added = 0
if r_remaining then
  local theirs = (seen_max or burst) - math.max(0, r_remaining)
  local missing = theirs - recent(seen_iv or interval)
  for i = 1, missing do
    redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i)
    added = added + 1
  end
  if added > 0 then redis.call('PEXPIRE', KEYS[1], kept * 2) end
end
if r_daily_remaining then
  local of = seen_daily
  if not of and daily > 0 then of = daily end
  if of then
    redis.call('HSET', KEYS[2], 'day', day,
               'daily_used', math.max(used, of - math.max(0, r_daily_remaining)))
  end
end
if r_pause and r_pause > 0 then
  local paused = tonumber(s[1]) or 0
  if now + r_pause > paused then redis.call('HSET', KEYS[2], 'paused_until', now + r_pause) end
end
redis.call('PEXPIRE', KEYS[2], STATE_TTL)
return added
"""


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _arg(value: float | None, scale: int = 1) -> str:
    return "" if value is None else str(round(value * scale))


class RedisWindows:
    """The Redis side: one location's window taken, observed, read and written (every
    change through one script call). Raises Redis's errors; `SharedLimiter` handles them."""

    def __init__(self, redis: aioredis.Redis, limits: Limits, prefix: str = PREFIX) -> None:
        self.redis, self.limits, self.prefix = redis, limits, prefix
        self._take = redis.register_script(TAKE)
        self._observe = redis.register_script(OBSERVE)

    def keys(self, location: str) -> list[str]:
        # The location in braces: both keys hash to one slot on a Redis Cluster.
        base = f"{self.prefix}:{{{location}}}"
        return [f"{base}:spent", base]

    def _args(self, member: str, now: float | None) -> list[str]:
        limits = self.limits
        return [str(limits.burst), str(_ms(limits.interval_s)), str(limits.daily or 0), member,
                _arg(now, 1000)]

    async def take(self, location: str, now: float | None = None) -> tuple[float, str]:
        """(seconds to wait, why): 0 when the turn was taken. `now` (seconds): for tests;
        None is Redis's clock."""
        answer = await cast(Awaitable[Any], self._take(
            keys=self.keys(location), args=self._args(uuid.uuid4().hex, now)))
        wait_ms, why = cast(list[bytes | str], answer)
        return int(_text(wait_ms)) / 1000, _text(why)

    async def observe(self, location: str, report: Report, now: float | None = None) -> int:
        """Fold GHL's report in; returns the turns added for requests GHL counted beyond ours."""
        args = [*self._args(uuid.uuid4().hex, now),
                _arg(report.remaining), _arg(report.max), _arg(report.interval_s, 1000),
                _arg(report.daily_remaining), _arg(report.daily_max),
                _arg(report.pause_s, 1000) if report.pause_s > 0 else ""]
        added = await cast(Awaitable[Any], self._observe(keys=self.keys(location), args=args))
        return int(added)

    async def read(self, location: str) -> Window:
        """The stored window as `limits.Window` (seconds; expired turns not dropped yet), for
        an operator's look and the tests."""
        spent_key, state_key = self.keys(location)
        scores = cast(list[tuple[bytes, float]],
                      await self.redis.zrange(spent_key, 0, -1, withscores=True))
        state = {_text(k): _text(v) for k, v in (await self.redis.hgetall(state_key)).items()}

        def num(name: str) -> int | None:
            return int(state[name]) if name in state else None

        interval, day = num("interval_ms"), num("day")
        return Window(
            spent=tuple(float(score) / 1000 for _, score in scores),
            paused_until=(num("paused_until") or 0) / 1000,
            day=-1 if day is None else day, daily_used=num("daily_used") or 0,
            seen_max=num("max"), seen_interval_s=interval / 1000 if interval else None,
            seen_daily=num("daily_max"))


class SharedLimiter:
    """`Limiter` over `RedisWindows`: every replica takes its turns from one count per
    location; this replica's own `fallback` while Redis does not answer."""

    def __init__(self, windows: RedisWindows, *, fallback_replicas: int = 4,
                 max_wait_s: float = 30.0, retry_after_s: float = 5.0,
                 redis_timeout_s: float = 1.0, sleep: Sleep = asyncio.sleep,
                 clock: Clock = time.monotonic) -> None:
        if fallback_replicas < 1:
            raise ValueError("fallback_replicas must be >= 1")
        limits = windows.limits
        self.windows = windows
        self.fallback = LocationLimiter(max(1, limits.burst // fallback_replicas),
                                        limits.interval_s, sleep=sleep, clock=clock)
        self._max_wait_s, self._retry_after_s = max_wait_s, retry_after_s
        # Redis's client retries a refused connection for seconds; a turn does not wait so.
        self._redis_timeout_s = redis_timeout_s
        self._sleep, self._clock = sleep, clock
        self._down_until = float("-inf")

    @property
    def interval_s(self) -> float:
        return self.windows.limits.interval_s

    def _redis_up(self) -> bool:
        return self._clock() >= self._down_until

    def _redis_down(self, exc: BaseException) -> None:
        if self._redis_up():
            log.warning("ghl: Redis did not answer (%r): this replica counts GHL's limits "
                        "alone (a share of them) for %.0f s", exc, self._retry_after_s)
        self._down_until = self._clock() + self._retry_after_s

    async def acquire(self, location: str) -> float:
        waited = 0.0
        while True:
            if not self._redis_up():
                RATE_LIMIT_FALLBACKS.inc()
                return waited + await self.fallback.acquire(location)
            try:
                async with asyncio.timeout(self._redis_timeout_s):
                    wait, why = await self.windows.take(location)
            except (RedisError, OSError, TimeoutError) as exc:
                self._redis_down(exc)
                continue
            if wait <= 0:
                return waited
            if why == "daily" or wait > self._max_wait_s:
                raise RateLimitedError(
                    f"GHL's {'daily budget' if why == 'daily' else 'limit'} of location "
                    f"{location} is spent for {wait:.0f} s", retry_after=wait)
            await self._sleep(wait)
            waited += wait

    async def observe(self, location: str, report: Report) -> None:
        if self._redis_up():
            try:
                async with asyncio.timeout(self._redis_timeout_s):
                    added = await self.windows.observe(location, report)
            except (RedisError, OSError, TimeoutError) as exc:
                self._redis_down(exc)
            else:
                if added:
                    RATE_LIMIT_CORRECTIONS.inc(added)
                return
        await self.fallback.observe(location, report)
