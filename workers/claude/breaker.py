"""A per-tenant circuit breaker (pure; the clock is injected).

One tenant whose key is revoked or whose calls keep failing must not make every one of its
messages wait through a full retry cycle: after `failure_threshold` failed calls in a row the
breaker opens and callers answer with the deterministic fallback at once. After
`reset_after_s` one trial call is let through (half-open); its success closes the breaker,
its failure opens it again. Failures are counted per call (after retries), not per attempt,
so a short 429 burst that retries away does not open it.

The registry keeps the breakers of the `max_tenants` most recently used tenants: one dropped
beyond that (a tenant silent while that many others called) starts closed again, which costs
at most one more failing call before it opens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from workers.runtime.bounded import TENANT_STATE_MAX, LRUMap

State = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    failure_threshold: int = 5
    reset_after_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    state: State = "closed"
    failures: int = 0
    opened_at: float = field(default=0.0)

    def allow(self) -> bool:
        """May a call go out now? Moving from open to half-open lets exactly one through."""
        if self.state == "closed":
            return True
        if self.state == "open" and self.clock() - self.opened_at >= self.reset_after_s:
            self.state = "half_open"
            return True
        return False

    def record_success(self) -> None:
        self.state, self.failures = "closed", 0

    def record_failure(self) -> None:
        self.failures += 1
        if self.state == "half_open" or self.failures >= self.failure_threshold:
            self.state, self.opened_at = "open", self.clock()


@dataclass
class BreakerRegistry:
    """One breaker per tenant, created on first use with the same parameters."""

    failure_threshold: int = 5
    reset_after_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    max_tenants: int = TENANT_STATE_MAX
    _breakers: LRUMap[str, CircuitBreaker] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._breakers = LRUMap(self.max_tenants)

    def for_tenant(self, tenant: str) -> CircuitBreaker:
        breaker = self._breakers.get(tenant)
        if breaker is None:
            breaker = CircuitBreaker(self.failure_threshold, self.reset_after_s, self.clock)
            self._breakers[tenant] = breaker
        return breaker
