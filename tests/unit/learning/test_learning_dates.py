"""The date-expression reader and the timeline buckets it feeds (SPEC: timeline; Language,
dates and edges). Sentences are our own, one class per test, with near misses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from workers.learning.extract.almanac import HOLIDAYS, easter, next_occurrence
from workers.learning.extract.dates import read_dates

Extract = Callable[..., dict[str, Any]]

NOW = "2026-01-01T12:00:00Z"


def _timeline(extract: Extract, body: str, now: str = NOW) -> str | None:
    got: str | None = extract([("<", body)], now=now).get("timeline")
    return got


def test_moving_holidays_are_computed_for_their_year() -> None:
    assert [easter(y) for y in (2025, 2026, 2027)] == [
        date(2025, 4, 20), date(2026, 4, 5), date(2027, 3, 28)]
    assert HOLIDAYS["thanksgiving"](2026) == date(2026, 11, 26)
    assert HOLIDAYS["labor_day"](2027) == date(2027, 9, 6)
    assert HOLIDAYS["memorial_day"](2026) == date(2026, 5, 25)
    # Already past this year: the next one.
    assert next_occurrence("christmas", date(2026, 12, 27)) == date(2027, 12, 25)


def test_holiday_counts_to_its_date(extract: Extract) -> None:
    # Memorial Day 2026 is May 25: 144 days after Jan 1.
    assert _timeline(extract, "we'd love to be moved by memorial day") == "3_6_months"
    # July 4th: 184 days.
    assert _timeline(extract, "hoping to close before the fourth of july") == "6_12_months"
    # Thanksgiving 2026 (Nov 26) seen from Aug 20: 98 days.
    assert _timeline(extract, "need to be settled by thanksgiving",
                     now="2026-08-20T12:00:00Z") == "3_6_months"
    # Easter 2026 is April 5: 94 days.
    assert _timeline(extract, "want to be in a new place by easter") == "3_6_months"


def test_after_the_holidays_counts_to_january_first(extract: Extract) -> None:
    # From Nov 20 to Jan 1 is 42 days; "before christmas" is 35 days.
    assert _timeline(extract, "we plan to start buying after the holidays",
                     now="2026-11-20T12:00:00Z") == "1_3_months"
    assert _timeline(extract, "we want to buy before christmas",
                     now="2026-11-20T12:00:00Z") == "1_3_months"


def test_holiday_greetings_and_past_holidays_are_no_timeline(extract: Extract) -> None:
    assert _timeline(extract, "happy thanksgiving! still want to buy in cary",
                     now="2026-10-01T12:00:00Z") is None
    assert _timeline(extract, "we moved last christmas") is None


def test_school_terms(extract: Extract) -> None:
    # School starts mid-August (Aug 15: 226 days); ends with May (June 1: 151 days).
    assert _timeline(extract, "we need to be in before school starts") == "6_12_months"
    assert _timeline(extract, "want to move once school lets out") == "3_6_months"
    # A named month beside it is more precise and comes later in the text.
    assert _timeline(extract, "before the school year begins in july, ideally") == (
        "6_12_months")


def test_lease_ends_and_life_events_with_a_month(extract: Extract) -> None:
    assert _timeline(extract, "our lease is up in march so we need to buy") == "1_3_months"
    assert _timeline(extract, "the lease ends in 4 months, that's our deadline") == (
        "3_6_months")
    assert _timeline(extract, "we'd like to move after the baby arrives in may") == (
        "3_6_months")
    # A life event alone is no timeline.
    assert _timeline(extract, "the baby arrives in may!") is None


def test_end_of_a_month_or_season_is_its_last_day(extract: Extract) -> None:
    # End of March is day 89 (1_3); March 1 would be the same bucket, April 30 is 119.
    assert _timeline(extract, "want to close by the end of april") == "3_6_months"
    # End of summer is Aug 31: 242 days.
    assert _timeline(extract, "hoping to move by the end of summer") == "6_12_months"


def test_parts_of_a_season(extract: Extract) -> None:
    # Seen from May 1: late summer is August 1 (92 days), mid summer July 15 (75 days).
    may = "2026-05-01T12:00:00Z"
    assert _timeline(extract, "we PCS in late summer", now=may) == "3_6_months"
    assert _timeline(extract, "want to move mid summer", now=may) == "1_3_months"


def test_reporting_or_arriving_is_a_move(extract: Extract) -> None:
    june = "2026-06-01T12:00:00Z"
    # October 1 is 122 days after June 1.
    assert _timeline(extract, "got orders, we report to the base in october", now=june) == (
        "3_6_months")
    assert _timeline(extract, "I arrive in october for the new job", now=june) == "3_6_months"
    assert _timeline(extract, "my sister arrives in october", now=june) is None


def test_a_past_event_before_the_plan_does_not_block_it(extract: Extract) -> None:
    got = _timeline(extract, "my wife got a job in durham so we're moving in march")
    assert got == "1_3_months"
    assert _timeline(extract, "we got married in march") is None


def test_years_and_relative_years(extract: Extract) -> None:
    assert _timeline(extract, "we're not moving until 2028") == "12_plus_months"
    assert _timeline(extract, "sometime in mid 2026 probably") == "6_12_months"
    assert _timeline(extract, "after the first of the year", now="2026-10-01T12:00:00Z") == (
        "3_6_months")
    assert _timeline(extract, "probably the year after next") == "12_plus_months"


def test_spanish_dates(extract: Extract) -> None:
    assert _timeline(extract, "nos queremos mudar en dos meses") == "1_3_months"
    assert _timeline(extract, "pensamos comprar el verano que viene") == "3_6_months"
    assert _timeline(extract, "queremos estar en la casa a mediados de marzo") == "1_3_months"
    assert _timeline(extract, "antes de navidad", now="2026-10-01T12:00:00Z") == "1_3_months"
    assert _timeline(extract, "necesitamos mudarnos lo antes posible") == "asap"
    assert _timeline(extract, "solo estamos mirando por ahora") == "browsing"
    # "hace 3 anos" is three years ago.
    assert _timeline(extract, "compramos la casa hace 3 anos") is None


def test_reader_reports_where_each_date_is() -> None:
    text = "lease ends end of june, then we buy by labor day"
    mentions = read_dates(text, date(2026, 1, 1))
    targets = {text[m.start : m.end]: m.target for m in mentions}
    assert targets["end of june"] == date(2026, 6, 30)
    assert targets["labor day"] == date(2026, 9, 7)
