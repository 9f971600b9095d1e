"""The tables of GHL's rate-limit decisions (`workers.ghl.limits.take` and `observe`), shared
by the unit tests of the pure functions and the integration test that holds the Redis scripts
(`workers.ghl.shared_limit`) to the very same rows.

Times are seconds with whole milliseconds (Redis keeps milliseconds); `DAY` is a UTC day's
start, so the daily rows sit near a midnight.
"""

from __future__ import annotations

from dataclasses import dataclass

from workers.ghl.limits import DAY_S, Limits, Report, Why, Window

LIMITS = Limits(burst=3, interval_s=10.0, daily=5)
DAY = 20_000 * DAY_S  # a UTC midnight
T = DAY + 1000.0  # "now" in most rows
TODAY = int(DAY // DAY_S)


@dataclass(frozen=True)
class TakeCase:
    id: str
    window: Window
    now: float
    wait_s: float
    why: Why
    after: Window  # the window as `take` leaves it
    limits: Limits = LIMITS


@dataclass(frozen=True)
class ObserveCase:
    id: str
    window: Window
    report: Report
    now: float
    after: Window
    limits: Limits = LIMITS


TAKES = [
    TakeCase("an empty window: taken", Window(), T, 0.0, "ok",
             Window(spent=(T,), day=TODAY, daily_used=1)),
    TakeCase("room for one more: taken",
             Window(spent=(T - 5, T - 1), day=TODAY, daily_used=2), T, 0.0, "ok",
             Window(spent=(T - 5, T - 1, T), day=TODAY, daily_used=3)),
    TakeCase("a full window: wait until the oldest turn comes back",
             Window(spent=(T - 5, T - 4, T - 3), day=TODAY, daily_used=3), T, 5.0, "burst",
             Window(spent=(T - 5, T - 4, T - 3), day=TODAY, daily_used=3)),
    TakeCase("a turn comes back exactly one interval after it was taken",
             Window(spent=(T - 10, T - 4, T - 3), day=TODAY, daily_used=3), T, 0.0, "ok",
             Window(spent=(T - 4, T - 3, T), day=TODAY, daily_used=4)),
    TakeCase("more turns than the limit (GHL's count): wait until enough come back",
             Window(spent=(T - 9, T - 8, T - 2, T - 1, T - 1), day=TODAY, daily_used=4), T,
             8.0, "burst",
             Window(spent=(T - 9, T - 8, T - 2, T - 1, T - 1), day=TODAY, daily_used=4)),
    TakeCase("paused by a 429: wait out the pause, even with room in the window",
             Window(paused_until=T + 2.5), T, 2.5, "paused", Window(paused_until=T + 2.5)),
    TakeCase("a pause that is over: taken", Window(paused_until=T - 0.001), T, 0.0, "ok",
             Window(spent=(T,), paused_until=T - 0.001, day=TODAY, daily_used=1)),
    TakeCase("the day's budget spent: wait until the next UTC day",
             Window(day=TODAY, daily_used=5), DAY + DAY_S - 30.0, 30.0, "daily",
             Window(day=TODAY, daily_used=5)),
    TakeCase("yesterday's count does not hold today",
             Window(day=TODAY - 1, daily_used=5), T, 0.0, "ok",
             Window(spent=(T,), day=TODAY, daily_used=1)),
    TakeCase("GHL's reported burst is narrower than ours",
             Window(spent=(T - 3, T - 2), seen_max=2), T, 7.0, "burst",
             Window(spent=(T - 3, T - 2), seen_max=2)),
    TakeCase("GHL's reported window is longer than ours",
             Window(spent=(T - 15, T - 14, T - 13), seen_interval_s=20.0), T, 5.0, "burst",
             Window(spent=(T - 15, T - 14, T - 13), seen_interval_s=20.0)),
    TakeCase("GHL's shorter window with its own smaller burst: both hold, neither stretched",
             Window(spent=(T - 5, T - 4), seen_max=2, seen_interval_s=1.0), T, 0.0, "ok",
             Window(spent=(T - 5, T - 4, T), day=TODAY, daily_used=1, seen_max=2,
                    seen_interval_s=1.0)),
    TakeCase("GHL's shorter window, full: wait for it",
             Window(spent=(T - 0.5, T - 0.25), seen_max=2, seen_interval_s=1.0), T, 0.5,
             "burst", Window(spent=(T - 0.5, T - 0.25), seen_max=2, seen_interval_s=1.0)),
    TakeCase("both windows full: the longer wait",
             Window(spent=(T - 9, T - 8, T - 0.5), seen_max=1, seen_interval_s=1.0), T, 1.0,
             "burst", Window(spent=(T - 9, T - 8, T - 0.5), seen_max=1, seen_interval_s=1.0)),
    TakeCase("GHL's reported daily budget is smaller than ours",
             Window(day=TODAY, daily_used=2, seen_daily=2), T, DAY_S - 1000.0, "daily",
             Window(day=TODAY, daily_used=2, seen_daily=2)),
    TakeCase("no daily budget counted here (the in-process limiter)",
             Window(day=TODAY, daily_used=9), T, 0.0, "ok",
             Window(spent=(T,), day=TODAY, daily_used=10), Limits(3, 10.0, daily=None)),
]

OBSERVES = [
    ObserveCase("GHL counts what we counted: only its limits are noted",
                Window(spent=(T - 2, T - 1), day=TODAY, daily_used=2),
                Report(remaining=1, max=3, interval_s=10.0, daily_remaining=3, daily_max=5), T,
                Window(spent=(T - 2, T - 1), day=TODAY, daily_used=2, seen_max=3,
                       seen_interval_s=10.0, seen_daily=5)),
    ObserveCase("GHL counts more in its window: the difference is taken now",
                Window(spent=(T - 2,)), Report(remaining=0, max=3), T,
                Window(spent=(T - 2, T, T), seen_max=3)),
    ObserveCase("GHL's max, not ours, is what its remaining is out of",
                Window(spent=(T - 2,)), Report(remaining=95, max=100), T,
                Window(spent=(T - 2, T, T, T, T), seen_max=100)),
    ObserveCase("GHL counts fewer (our turns not there yet): nothing is given back",
                Window(spent=(T - 2, T - 1, T)), Report(remaining=2), T,
                Window(spent=(T - 2, T - 1, T))),
    ObserveCase("turns that came back are not counted against GHL's count",
                Window(spent=(T - 12, T - 11, T - 1)), Report(remaining=1), T,
                Window(spent=(T - 1, T))),
    ObserveCase("GHL's day count is higher: it wins",
                Window(day=TODAY, daily_used=1), Report(daily_remaining=1), T,
                Window(day=TODAY, daily_used=4)),
    ObserveCase("GHL's day count is lower: ours stands",
                Window(day=TODAY, daily_used=4), Report(daily_remaining=4), T,
                Window(day=TODAY, daily_used=4)),
    ObserveCase("a new day: GHL's count, not yesterday's",
                Window(day=TODAY - 1, daily_used=5), Report(daily_remaining=3), T,
                Window(day=TODAY, daily_used=2)),
    ObserveCase("GHL's own daily budget is what its remaining is out of",
                Window(day=TODAY, daily_used=1), Report(daily_remaining=1, daily_max=3), T,
                Window(day=TODAY, daily_used=2, seen_daily=3)),
    ObserveCase("no daily budget kept, none reported: the day's count is left alone",
                Window(), Report(daily_remaining=0), T, Window(),
                Limits(3, 10.0, daily=None)),
    ObserveCase("GHL's remaining counts in GHL's window, not ours",
                Window(spent=(T - 8, T - 0.5)),
                Report(remaining=0, max=2, interval_s=1.0), T,
                Window(spent=(T - 8, T - 0.5, T), seen_max=2, seen_interval_s=1.0)),
    ObserveCase("a 429's pause", Window(spent=(T - 1,)), Report(pause_s=2.5), T,
                Window(spent=(T - 1,), paused_until=T + 2.5)),
    ObserveCase("a longer pause already in force stands",
                Window(paused_until=T + 9), Report(pause_s=2.5), T,
                Window(paused_until=T + 9)),
    ObserveCase("a longer window reported: older turns still count",
                Window(spent=(T - 15, T - 1)), Report(interval_s=20.0, remaining=1, max=3), T,
                Window(spent=(T - 15, T - 1), seen_max=3, seen_interval_s=20.0)),
]
