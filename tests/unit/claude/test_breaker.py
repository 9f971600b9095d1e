"""The per-tenant circuit breaker, driven by a hand-moved clock."""

from __future__ import annotations

from tests.support.clock import SetClock
from workers.claude.breaker import BreakerRegistry, CircuitBreaker


def test_opens_after_threshold_and_half_opens_after_reset() -> None:
    clock = SetClock(0.0)
    b = CircuitBreaker(failure_threshold=3, reset_after_s=10, clock=clock)
    for _ in range(2):
        assert b.allow()
        b.record_failure()
    assert b.state == "closed" and b.allow()
    b.record_failure()
    assert b.state == "open" and not b.allow()
    clock.now = 9.9
    assert not b.allow()
    clock.now = 10.0
    assert b.allow() and b.state == "half_open"
    assert not b.allow()  # one trial call at a time
    b.record_success()
    assert b.state == "closed" and b.failures == 0 and b.allow()


def test_failed_trial_reopens_for_a_full_period() -> None:
    clock = SetClock(0.0)
    b = CircuitBreaker(failure_threshold=1, reset_after_s=5, clock=clock)
    b.record_failure()
    clock.now = 5
    assert b.allow()
    b.record_failure()
    assert b.state == "open" and b.opened_at == 5
    clock.now = 9
    assert not b.allow()


def test_success_resets_the_consecutive_count() -> None:
    b = CircuitBreaker(failure_threshold=2, clock=SetClock(0.0))
    b.record_failure()
    b.record_success()
    b.record_failure()
    assert b.state == "closed"


def test_registry_keeps_one_breaker_per_tenant() -> None:
    reg = BreakerRegistry(failure_threshold=1, clock=SetClock(0.0))
    reg.for_tenant("a").record_failure()
    assert not reg.for_tenant("a").allow()
    assert reg.for_tenant("b").allow()
    assert reg.for_tenant("a") is reg.for_tenant("a")
