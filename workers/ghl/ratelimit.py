"""Per-location rate limiting for GHL's burst limit (100 requests per 10 s per location).

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
from collections import deque
from collections.abc import Awaitable, Callable

from workers.runtime.bounded import TENANT_STATE_MAX, LRUMap

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """`capacity` tokens; each spent token returns `interval_s` after it was spent."""

    def __init__(self, capacity: int, interval_s: float, clock: Clock = time.monotonic) -> None:
        if capacity < 1 or interval_s <= 0:
            raise ValueError("a token bucket needs capacity >= 1 and a positive interval")
        self.capacity = capacity
        self.interval_s = interval_s
        self._clock = clock
        self._spent: deque[float] = deque()
        self._paused_until = float("-inf")

    def _expire(self, now: float) -> None:
        while self._spent and self._spent[0] <= now - self.interval_s:
            self._spent.popleft()

    def available(self) -> int:
        now = self._clock()
        self._expire(now)
        return 0 if now < self._paused_until else self.capacity - len(self._spent)

    def reserve(self) -> float:
        """Spend a token and return 0.0, or spend nothing and return the seconds to wait."""
        now = self._clock()
        self._expire(now)
        if now < self._paused_until:
            return self._paused_until - now
        if len(self._spent) < self.capacity:
            self._spent.append(now)
            return 0.0
        return self._spent[0] + self.interval_s - now

    def pause(self, seconds: float) -> None:
        """Hand out no token for `seconds` (the server said so)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))


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
