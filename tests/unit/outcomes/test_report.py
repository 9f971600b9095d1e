"""`leadmem report`'s text, without Postgres: bars, durations, the window in the tenant's
timezone, and the arguments it refuses."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.cli import run
from workers.cli import report_cmds
from workers.cli.report_cmds import WIDTH, bar, duration, render, zone_of
from workers.outcomes import Funnel

UNTIL = datetime(2026, 3, 9, 18, 0, tzinfo=UTC)
SINCE = UNTIL - timedelta(days=7)


@pytest.mark.parametrize(("fraction", "expected"), [
    (0.0, ""),
    (1.0, "█" * WIDTH),
    (0.5, "█" * (WIDTH // 2)),
    (1 / (WIDTH * 8), "▏"),  # one eighth of a character
    (3 / (WIDTH * 8), "▍"),
    (1.7, "█" * WIDTH),  # clamped
    (-1.0, ""),
])
def test_bar(fraction: float, expected: str) -> None:
    drawn = bar(fraction)
    assert len(drawn) == WIDTH and drawn.rstrip() == expected


@pytest.mark.parametrize(("seconds", "expected"), [
    (0.0, "0.0 s"),
    (3.25, "3.2 s"),
    (42.4, "42 s"),
    (60.0, "1 min"),
    (370.0, "6 min 10 s"),
    (7500.0, "2 h 5 min"),
    (3 * 86_400 + 4 * 3600 + 59, "3 d 4 h"),
])
def test_duration(seconds: float, expected: str) -> None:
    assert duration(seconds) == expected


def stage_rows(lines: list[str]) -> dict[str, str]:
    """The bar lines (between the first two blank lines), by their label."""
    first = lines.index("")
    rows = lines[first + 1:lines.index("", first + 1)]
    return {line[:18].strip(): line for line in rows}


def week() -> Funnel:
    return Funnel(SINCE, UNTIL, new_leads=120, leads_texted=110, first_touched=80,
                  leads_replied=55, qualified=20, appointments_booked=8, opted_out=3,
                  time_to_first_touch_p50_s=42.0, time_to_first_touch_p95_s=370.0)


def test_the_report_draws_each_stage_against_the_new_leads() -> None:
    lines = render("loc1", week(), ZoneInfo("America/Chicago"), "Acme Realty")
    assert lines[0] == "Lead funnel of loc1 (Acme Realty)"
    # the window in the tenant's zone (it spans Chicago's switch to daylight time)
    assert "from Mon 02 Mar 2026 12:00 to Mon 09 Mar 2026 13:00 (America/Chicago, 7 days)" \
        in lines[1]
    rows = stage_rows(lines)
    assert list(rows) == ["new leads", "texted", "by first touch", "replied", "qualified",
                          "booked", "opted out"]
    assert rows["new leads"].count("█") == WIDTH and rows["new leads"].endswith("100%")
    assert rows["texted"].rstrip().endswith("92%")
    assert rows["replied"].endswith("46%  (reply rate 50% of texted)")
    assert rows["opted out"].endswith("  2%")  # 3 of 120
    # the bars line up: every count ends in the same column
    assert len({line.index("█") for line in rows.values()}) == 1
    assert lines[-1] == "  time to first touch: P50 42 s, P95 6 min 10 s (110 leads texted)"


def test_an_empty_week_says_so() -> None:
    lines = render("loc1", Funnel(SINCE, UNTIL))
    assert "(UTC, 7 days)" in lines[1]
    rows = stage_rows(lines)
    assert len(rows) == 7 and all(" -" in line and "█" not in line for line in rows.values())
    assert rows["replied"].endswith("(reply rate - of texted)")
    assert lines[-1] == "  no lead arrived in this window"


def test_leads_none_texted_yet() -> None:
    lines = render("loc1", Funnel(SINCE, UNTIL, new_leads=2))
    assert lines[-1] == "  time to first touch: no lead texted yet"


def test_an_unknown_zone_falls_back_to_utc() -> None:
    assert zone_of("Mars/Olympus") is UTC and zone_of(None) is UTC
    assert zone_of("Europe/Madrid") == ZoneInfo("Europe/Madrid")


@pytest.mark.parametrize("days", ["0", "-3", "366"])
def test_days_out_of_range_are_refused(days: str) -> None:
    assert run([report_cmds.register], ["report", "loc1", "--days", days]) == (
        2, f"--days {days}: a number of days from 1 to 365")


def test_a_tenant_id_that_is_not_one_is_refused() -> None:
    code, out = run([report_cmds.register], ["report", "bad id;", "--days", "7"])
    assert code == 2 and out.startswith("invalid tenant id 'bad id;'")


def test_the_command_is_registered_with_its_defaults() -> None:
    parser = argparse.ArgumentParser()
    report_cmds.register(parser.add_subparsers())
    args = parser.parse_args(["report", "loc1"])
    assert (args.tenant, args.days, args.json) == ("loc1", 7, False)
