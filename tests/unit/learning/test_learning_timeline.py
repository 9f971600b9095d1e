"""Timeline buckets counted in days from now (SPEC: timeline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Extract = Callable[..., dict[str, Any]]


NOW = "2026-01-01T12:00:00Z"


def test_relative_durations_and_boundaries(extract: Extract) -> None:
    cases = {
        "we want to buy within 30 days": "asap",
        "we want to buy in 31 days": "1_3_months",
        "hoping to move in 3 months": "1_3_months",
        "hoping to move in 13 weeks": "3_6_months",
        "we'd like to close within 6 months": "3_6_months",
        "planning to buy in about a year": "6_12_months",
        "probably 18 months from now": "12_plus_months",
    }
    for body, bucket in cases.items():
        assert extract([("<", body)], now=NOW)["timeline"] == bucket, body


def test_within_weeks_counts_weeks(extract: Extract) -> None:
    assert extract([("<", "need a place within 3 weeks")], now=NOW)["timeline"] == "asap"
    got = extract([("<", "need to be out in the next 60 days")], now=NOW)
    assert got["timeline"] == "1_3_months"


def test_named_month_counts_to_its_first_day(extract: Extract) -> None:
    # Jan 1 -> Apr 1 is 90 days (lower bucket); Apr 2 is 91 days.
    assert extract([("<", "want to move by april")], now=NOW)["timeline"] == "1_3_months"
    assert extract([("<", "want to move by april 2")], now=NOW)["timeline"] == "3_6_months"
    assert extract([("<", "we'd like to close mid-july")], now=NOW)["timeline"] == "6_12_months"


def test_named_month_already_past_means_next_year(extract: Extract) -> None:
    got = extract([("<", "thinking we'd list in october")], now="2026-11-20T12:00:00Z")
    assert got["timeline"] == "6_12_months"


def test_seasons(extract: Extract) -> None:
    # Summer counts from June 1: 151 days after Jan 1.
    assert extract([("<", "hoping to buy by summer")], now=NOW)["timeline"] == "3_6_months"
    got = extract([("<", "want to move next spring")], now="2026-08-15T12:00:00Z")
    assert got["timeline"] == "6_12_months"
    got = extract([("<", "not buying until fall of 2027")], now=NOW)
    assert got["timeline"] == "12_plus_months"


def test_asap_and_browsing(extract: Extract) -> None:
    assert extract([("<", "we need something right away")], now=NOW)["timeline"] == "asap"
    assert extract([("<", "just browsing for now, no real plans")], now=NOW)["timeline"] == (
        "browsing"
    )


def test_short_answer_to_timeline_question(extract: Extract) -> None:
    got = extract([(">", "How soon are you hoping to move?"), ("<", "5 months")], now=NOW)
    assert got["timeline"] == "3_6_months"


def test_past_events_and_life_events_are_not_timelines(extract: Extract) -> None:
    assert "timeline" not in extract([("<", "lost my job in march, rough year")], now=NOW)
    assert "timeline" not in extract([("<", "we're having a baby in may!")], now=NOW)
    assert "timeline" not in extract([("<", "we're 3 years into our lease")], now=NOW)


def test_latest_timeline_wins(extract: Extract) -> None:
    got = extract([("<", "need to buy asap"), ("<", "update: lease extended, more like 5 months")],
                  now=NOW)
    assert got["timeline"] == "3_6_months"
