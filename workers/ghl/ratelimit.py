"""Per-location rate limiting for GHL's limits (100 requests per 10 s and 200,000 a day per
location), behind one small Protocol, `Limiter`: take a turn before each request, and tell
the limiter what GHL's answer said of its own count (`observe`).

Two limiters: `LocationLimiter` here, one process's count (tests, and the fallback of the
shared one), and `shared_limit.SharedLimiter`, the count every replica shares in Redis. Both
decide with the pure `limits.take` and `limits.observe`.

GHL counts requests in a sliding window, so a token comes back exactly one interval after it
was spent (not as a continuous drip, which would let a window hold more than the limit): a
client that honours this bucket never draws a 429 from its own traffic. A 429 pauses the
location's bucket for the time the server asked.

Buckets are kept for the `max_locations` most recently used locations. The one dropped is
the least recently used: unless that many locations sent within one interval, its tokens
have all come back, so the fresh bucket a later send creates is exactly as full.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from workers.ghl.limits import Limits, Report, Window, bursts, observe, take
from workers.runtime.bounded import TENANT_STATE_MAX, LRUMap

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Limiter(Protocol):
    """A location's turns to call GHL (`LocationLimiter`, `shared_limit.SharedLimiter`)."""

    @property
    def interval_s(self) -> float:
        """The burst window: how long to wait after a 429 that gave no advice."""
        ...

    async def acquire(self, location: str) -> float:
        """Wait for a turn of `location`; returns the seconds waited (raises
        `RateLimitedError` rather than wait longer than a turn can be waited for)."""
        ...

    async def observe(self, location: str, report: Report) -> None:
        """What GHL said of `location`'s count (its headers; a pause after a 429)."""
        ...


class TokenBucket:
    """`capacity` tokens; each spent token returns `interval_s` after it was spent (the pure
    `limits.take` over one location's `Window`, on `clock`; no daily budget)."""

    def __init__(self, capacity: int, interval_s: float, clock: Clock = time.monotonic) -> None:
        if capacity < 1 or interval_s <= 0:
            raise ValueError("a token bucket needs capacity >= 1 and a positive interval")
        self.capacity = capacity
        self.interval_s = interval_s
        self._limits = Limits(capacity, interval_s, daily=None)
        self._clock = clock
        self._window = Window()

    def available(self) -> int:
        now = self._clock()
        turn = take(self._window, self._limits, now)
        if turn.wait_s > 0:
            return 0
        w = turn.window  # with the turn it would take: one more than that is left
        return 1 + min(burst - sum(1 for t in w.spent if t > now - interval)
                       for burst, interval in bursts(self._limits, w))

    def reserve(self) -> float:
        """Spend a token and return 0.0, or spend nothing and return the seconds to wait."""
        turn = take(self._window, self._limits, self._clock())
        self._window = turn.window
        return turn.wait_s

    def pause(self, seconds: float) -> None:
        """Hand out no token for `seconds` (the server said so)."""
        self.observe(Report(pause_s=max(0.0, seconds)))

    def observe(self, report: Report) -> None:
        """GHL's count wins where it says less remains (`limits.observe`)."""
        self._window = observe(self._window, self._limits, report, self._clock())


class LocationLimiter:
    """One bucket per location, created on first use (at most `max_locations` kept)."""

    def __init__(
        self, capacity: int, interval_s: float, *, clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep, max_locations: int = TENANT_STATE_MAX,
    ) -> None:
        self.capacity, self.interval_s = capacity, interval_s
        self._clock, self._sleep = clock, sleep
        self._buckets: LRUMap[str, TokenBucket] = LRUMap(max_locations)

    def bucket(self, location: str) -> TokenBucket:
        found = self._buckets.get(location)
        if found is None:
            found = self._buckets[location] = TokenBucket(
                self.capacity, self.interval_s, self._clock
            )
        return found

    async def acquire(self, location: str) -> float:
        """Wait for a token of `location`; returns the seconds waited."""
        bucket, waited = self.bucket(location), 0.0
        while (delay := bucket.reserve()) > 0:
            await self._sleep(delay)
            waited += delay
        return waited

    def pause(self, location: str, seconds: float) -> None:
        self.bucket(location).pause(seconds)

    async def observe(self, location: str, report: Report) -> None:
        self.bucket(location).observe(report)
