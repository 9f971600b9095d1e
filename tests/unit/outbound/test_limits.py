"""GHL's rate limits as pure decisions: `take` (may a turn be taken now, else how long to
wait), `observe` (GHL's own count wins where it says less remains) and reading its headers.
The same tables hold the Redis scripts every replica shares (tests/integration/
test_ghl_shared_limit.py)."""

from __future__ import annotations

import pytest

from tests.support.ghl_limits import OBSERVES, TAKES, ObserveCase, T, TakeCase
from workers.ghl.limits import (
    Limits,
    Report,
    Window,
    bursts,
    daily_budget,
    observe,
    report_of,
    take,
)


@pytest.mark.parametrize("case", TAKES, ids=[c.id for c in TAKES])
def test_take(case: TakeCase) -> None:
    turn = take(case.window, case.limits, case.now)
    assert (turn.wait_s, turn.why) == (pytest.approx(case.wait_s), case.why)
    assert turn.window == case.after


@pytest.mark.parametrize("case", OBSERVES, ids=[c.id for c in OBSERVES])
def test_observe(case: ObserveCase) -> None:
    assert observe(case.window, case.limits, case.report, case.now) == case.after


def test_a_burst_never_puts_more_than_the_limit_in_any_window() -> None:
    limits, window, now = Limits(5, 1.0, daily=None), Window(), 0.0
    times: list[float] = []
    while len(times) < 23:
        turn = take(window, limits, now)
        window = turn.window
        if turn.wait_s == 0:
            times.append(now)
        now += turn.wait_s
    assert all(times[i + 5] - times[i] >= 1.0 for i in range(len(times) - 5))
    assert times[-1] - times[0] == pytest.approx(4.0)  # 23 turns need five windows


def test_ghls_limits_hold_beside_ours_never_mixed() -> None:
    ours = Limits(100, 10.0, 200_000)
    assert bursts(ours, Window()) == ((100, 10.0),)
    assert bursts(ours, Window(seen_max=5, seen_interval_s=1.0)) == ((100, 10.0), (5, 1.0))
    assert bursts(ours, Window(seen_max=50)) == ((100, 10.0), (50, 10.0))
    assert bursts(ours, Window(seen_interval_s=20.0)) == ((100, 10.0), (100, 20.0))
    assert daily_budget(ours, Window(seen_daily=1000)) == 1000
    assert daily_budget(ours, Window(seen_daily=10**9)) == 200_000
    assert daily_budget(Limits(100, 10.0, None), Window(seen_daily=5)) is None


@pytest.mark.parametrize(("headers", "report"), [
    ({"X-RateLimit-Remaining": "97", "X-RateLimit-Max": "100",
      "X-RateLimit-Interval-Milliseconds": "10000", "X-RateLimit-Daily-Remaining": "199990",
      "X-RateLimit-Limit-Daily": "200000"},
     Report(remaining=97, max=100, interval_s=10.0, daily_remaining=199990, daily_max=200000)),
    ({"x-ratelimit-remaining": "0"}, Report(remaining=0)),
    ({"X-RateLimit-Remaining": " 3 ", "X-RateLimit-Max": "many"}, Report(remaining=3)),
    ({"X-RateLimit-Max": "0", "X-RateLimit-Interval-Milliseconds": "0",
      "X-RateLimit-Daily-Remaining": "-1"}, Report()),
    ({"Content-Type": "application/json"}, None),
], ids=["all of them", "lower case", "junk ignored", "zero limits mean nothing", "none"])
def test_report_of_headers(headers: dict[str, str], report: Report | None) -> None:
    assert report_of(headers) == report


def test_limits_refuse_nonsense() -> None:
    for bad in ({"burst": 0}, {"interval_s": 0.0}, {"daily": 0}):
        with pytest.raises(ValueError):
            Limits(**bad)


def test_observe_then_take_backs_off_for_what_ghl_counted() -> None:
    limits = Limits(3, 10.0, daily=None)
    window = observe(Window(), limits, Report(remaining=0, max=3), T)
    turn = take(window, limits, T + 4)
    assert (turn.wait_s, turn.why) == (pytest.approx(6.0), "burst")
