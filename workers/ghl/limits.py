"""GHL's rate limits as plain data, and the decisions over them (pure, stdlib only).

GHL limits each app per location: a burst of `burst` requests in any `interval_s` (100 in
10 s, a sliding window: a request counts until one interval after it was made) and `daily`
requests a day (200,000). Every answer reports GHL's own count in `X-RateLimit-*` headers.

One location's count is a `Window`: the times of the turns taken in the last interval, a
pause (GHL answered 429), the day's count, and the limits GHL itself reported. `take` decides
whether a turn may be taken now (and takes it) or how long to wait; `observe` folds what GHL
said into the window, so GHL's count wins whenever it says less remains than we counted, and
the limits it reports hold beside ours (both windows at once: `bursts`).

These two functions are the specification of every limiter: the in-process one
(`ratelimit.TokenBucket`) calls them, and the Redis script every replica shares
(`shared_limit`) is held to the same tables by the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

DAY_S = 86_400.0  # a day of the daily budget: UTC days, corrected by GHL's own count

Why = Literal["ok", "paused", "daily", "burst"]


@dataclass(frozen=True)
class Limits:
    """What we hold a location to: `burst` turns per `interval_s`, `daily` per UTC day
    (None: the daily budget is not counted here, GHL's own 429 enforces it)."""

    burst: int = 100
    interval_s: float = 10.0
    daily: int | None = 200_000

    def __post_init__(self) -> None:
        if self.burst < 1 or self.interval_s <= 0:
            raise ValueError("a rate limit needs burst >= 1 and a positive interval")
        if self.daily is not None and self.daily < 1:
            raise ValueError("a daily budget must be >= 1 (None: not counted)")


@dataclass(frozen=True)
class Report:
    """What one answer of GHL said of the location's limits (None: it did not say), and how
    long to hand out no turn (`pause_s`: a 429 proved the window full)."""

    remaining: int | None = None  # X-RateLimit-Remaining: left in the current window
    max: int | None = None  # X-RateLimit-Max: the burst limit
    interval_s: float | None = None  # X-RateLimit-Interval-Milliseconds / 1000
    daily_remaining: int | None = None  # X-RateLimit-Daily-Remaining
    daily_max: int | None = None  # X-RateLimit-Limit-Daily
    pause_s: float = 0.0


HEADERS = {
    "remaining": "x-ratelimit-remaining",
    "max": "x-ratelimit-max",
    "interval_ms": "x-ratelimit-interval-milliseconds",
    "daily_remaining": "x-ratelimit-daily-remaining",
    "daily_max": "x-ratelimit-limit-daily",
}


def _count(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


def report_of(headers: Mapping[str, str]) -> Report | None:
    """GHL's `X-RateLimit-*` headers (any case) as a `Report`; None when it sent none. A
    value that is not a whole number is ignored, never guessed."""
    lower = {k.lower(): v for k, v in headers.items()}
    found = {name: _count(lower.get(header)) for name, header in HEADERS.items()}
    if all(v is None for v in found.values()):
        return None
    interval_ms = found["interval_ms"]
    return Report(
        remaining=found["remaining"], max=found["max"] or None,
        interval_s=interval_ms / 1000 if interval_ms else None,
        daily_remaining=found["daily_remaining"], daily_max=found["daily_max"] or None)


@dataclass(frozen=True)
class Window:
    """One location's count at some moment. Times are seconds on the limiter's clock (the
    day is counted on it too: wall-clock seconds since the epoch where a daily budget is
    kept)."""

    spent: tuple[float, ...] = ()  # when each turn still in the window was taken, in order
    paused_until: float = 0.0
    day: int = -1  # the day `daily_used` counts (days since the clock's zero)
    daily_used: int = 0
    seen_max: int | None = None  # the limits GHL last reported
    seen_interval_s: float | None = None
    seen_daily: int | None = None


@dataclass(frozen=True)
class Turn:
    """`take`'s answer: `wait_s == 0` means the turn was taken (`window` has it); otherwise
    nothing was taken and `why` says what is in the way."""

    wait_s: float
    why: Why
    window: Window


def bursts(limits: Limits, window: Window) -> tuple[tuple[int, float], ...]:
    """The (requests, seconds) windows a turn must fit: ours, and GHL's as it reported it
    (its max and interval, each ours where it said nothing). Both hold at once, so GHL's
    word only ever narrows ours, and a pair is never mixed with the other's (5 in 1 s and
    100 in 10 s is not 5 in 10 s)."""
    ours = (limits.burst, limits.interval_s)
    if window.seen_max is None and window.seen_interval_s is None:
        return (ours,)
    return ours, (window.seen_max or limits.burst, window.seen_interval_s or limits.interval_s)


def daily_budget(limits: Limits, window: Window) -> int | None:
    """Ours, or GHL's when it reported a smaller one (None: not counted here)."""
    if limits.daily is not None and window.seen_daily:
        return min(limits.daily, window.seen_daily)
    return limits.daily


def kept_s(limits: Limits, window: Window) -> float:
    """How long a turn stays in the window: the longest of the burst windows."""
    return max(interval for _, interval in bursts(limits, window))


def day_of(now: float) -> int:
    return int(now // DAY_S)


def _expired(window: Window, interval_s: float, now: float) -> Window:
    """The window without the turns that came back (a turn counts until one interval after
    it was taken, exactly: at `spent + interval` it is back)."""
    kept = tuple(t for t in window.spent if t > now - interval_s)
    return window if len(kept) == len(window.spent) else replace(window, spent=kept)


def _recent(window: Window, interval_s: float, now: float) -> int:
    return sum(1 for t in window.spent if t > now - interval_s)


def burst_wait(window: Window, limits: Limits, now: float) -> float:
    """Seconds until one more turn fits every burst window (0: it fits now). In a window
    holding n >= burst turns, enough come back once its (n - burst + 1)th oldest does; the
    turns are in order and the window's are the newest, so that is the list's
    (len - burst)th."""
    wait = 0.0
    for burst, interval in bursts(limits, window):
        if _recent(window, interval, now) >= burst:
            wait = max(wait, window.spent[len(window.spent) - burst] + interval - now)
    return wait


def take(window: Window, limits: Limits, now: float) -> Turn:
    """May a turn be taken at `now`? In order: a pause (GHL said 429), the day's budget, the
    burst windows. Taken: `wait_s` 0 and the turn counted; else the seconds until the first
    obstacle clears (a window's: when enough turns come back for one more)."""
    w = _expired(window, kept_s(limits, window), now)
    if w.paused_until > now:
        return Turn(w.paused_until - now, "paused", w)
    day = day_of(now)
    used = w.daily_used if w.day == day else 0
    budget = daily_budget(limits, w)
    if budget is not None and used >= budget:
        return Turn((day + 1) * DAY_S - now, "daily", w)
    wait = burst_wait(w, limits, now)
    if wait > 0:
        return Turn(wait, "burst", w)
    return Turn(0.0, "ok", replace(w, spent=(*w.spent, now), day=day, daily_used=used + 1))


def observe(window: Window, limits: Limits, report: Report, now: float) -> Window:
    """Fold GHL's answer into the window: the limits it reports; the requests it counts in
    its window beyond ours (made by someone we do not see) as turns taken now; its day's
    count when higher than ours; and a pause. It never gives a turn back: a count of ours
    higher than GHL's stands (our turns may not have reached it yet)."""
    w = replace(window,
                seen_max=report.max or window.seen_max,
                seen_interval_s=report.interval_s or window.seen_interval_s,
                seen_daily=report.daily_max or window.seen_daily)
    w = _expired(w, kept_s(limits, w), now)
    if report.remaining is not None:  # of GHL's window: its max, in its interval
        theirs = (w.seen_max or limits.burst) - max(0, report.remaining)
        missing = theirs - _recent(w, w.seen_interval_s or limits.interval_s, now)
        if missing > 0:
            w = replace(w, spent=tuple(sorted((*w.spent, *(now,) * missing))))
    if report.daily_remaining is not None:  # of GHL's day: its budget where it said
        budget = w.seen_daily or limits.daily
        if budget is not None:
            day = day_of(now)
            ours = w.daily_used if w.day == day else 0
            w = replace(w, day=day,
                        daily_used=max(ours, budget - max(0, report.daily_remaining)))
    if report.pause_s > 0:
        w = replace(w, paused_until=max(w.paused_until, now + report.pause_s))
    return w
