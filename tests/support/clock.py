"""A monotonic clock the test sets by hand (`clock.now = ...`), for code that takes a
`clock: Callable[[], float]` (rate-limit windows, breakers, token expiry) and is tested
without sleeping."""

from __future__ import annotations


class SetClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
