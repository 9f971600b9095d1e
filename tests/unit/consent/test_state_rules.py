"""The federal and state rules as data (`state_rules`) and the legal holidays (`holidays`)."""

from __future__ import annotations

from datetime import date, time

import pytest

from workers.consent.holidays import CALENDARS, easter, holidays, is_holiday
from workers.consent.state_rules import (
    FEDERAL_RULE,
    RULES_BY_REGION,
    STATE_RULES,
    UNKNOWN_RULE,
    SendRule,
    combined,
    hours,
    rules_for,
    week,
)

ALL_RULES = (FEDERAL_RULE, *STATE_RULES, UNKNOWN_RULE)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.region)
def test_every_rule_has_a_citation_and_says_what_was_checked(rule: SendRule) -> None:
    assert rule.citation.strip() and rule.note.strip()
    assert rule.holidays is None or rule.holidays in CALENDARS
    assert rule.daily_cap is None or rule.daily_cap > 0
    for window in rule.week:  # never looser than the federal 8-21
        assert window is None or (window[0] >= time(8) and window[1] <= time(21))


def test_one_rule_per_state() -> None:
    regions = [rule.region for rule in STATE_RULES]
    assert len(regions) == len(set(regions))
    assert {"FL", "OK", "MD", "TX", "WA", "MA", "CT", "AL", "LA", "MS", "RI", "UT"} <= set(
        regions)


@pytest.mark.parametrize(("state", "weekday", "window", "why"), [
    ("FL", 0, hours(8, 20), "Florida 501.616(6)(a): 8 a.m.-8 p.m."),
    ("OK", 2, hours(9, 20), "Oklahoma: 775C.4's 8 p.m. and 755.1's 9 a.m. (stricter)"),
    ("MD", 4, hours(8, 20), "Maryland 14-4503"),
    ("TX", 5, hours(9, 21), "Texas Saturday 9-9"),
    ("TX", 6, hours(12, 21), "Texas Sunday noon-9"),
    ("WA", 6, hours(8, 20), "Washington every day 8-8"),
    ("MA", 3, hours(8, 20), "Massachusetts 201 CMR 12.02(2)"),
    ("CT", 1, hours(9, 20), "Connecticut after PA 23-98"),
    ("RI", 5, hours(10, 17), "Rhode Island Saturday"),
    ("RI", 0, hours(9, 18), "Rhode Island weekday"),
    ("NY", 6, hours(8, 21), "no state rule: federal"),
    (None, 0, hours(9, 20), "unknown state: the conservative stand-in"),
    *[(s, 6, None, f"{s} bans Sundays") for s in ("AL", "LA", "MS", "RI", "UT")],
    ("SD", 5, None, "South Dakota: weekdays only"),
])
def test_the_merged_week_per_state(state: str | None, weekday: int,
                                   window: tuple[time, time] | None, why: str) -> None:
    assert combined(state).week[weekday] == window, why


@pytest.mark.parametrize(("state", "cap"), [
    ("FL", 3), ("OK", 3), ("MD", 3), ("TX", None), ("NY", None), (None, None)])
def test_caps_per_state(state: str | None, cap: int | None) -> None:
    assert combined(state).daily_cap == cap


def test_the_federal_rule_always_applies() -> None:
    assert rules_for("NY") == (FEDERAL_RULE,)
    assert rules_for("FL") == (FEDERAL_RULE, RULES_BY_REGION["FL"])
    assert rules_for(None) == (FEDERAL_RULE, UNKNOWN_RULE)


def test_a_rule_must_have_seven_sane_days() -> None:
    with pytest.raises(ValueError, match="7 days"):
        SendRule("XX", week(hours(8, 20))[:6], "c")
    with pytest.raises(ValueError, match="empty"):
        SendRule("XX", week((time(20), time(8))), "c")


@pytest.mark.parametrize(("year", "sunday"), [
    (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)),
    (2027, date(2027, 3, 28)), (2038, date(2038, 4, 25)), (2000, date(2000, 4, 23)),
])
def test_easter(year: int, sunday: date) -> None:
    assert easter(year) == sunday


@pytest.mark.parametrize(("region", "day", "banned", "why"), [
    ("US", date(2026, 1, 19), True, "MLK Day: third Monday of January"),
    ("US", date(2026, 2, 16), True, "Washington's Birthday"),
    ("US", date(2026, 5, 25), True, "Memorial Day: last Monday of May"),
    ("US", date(2026, 6, 19), True, "Juneteenth"),
    ("US", date(2020, 6, 19), False, "Juneteenth is a federal holiday from 2021"),
    ("US", date(2026, 7, 3), True, "July 4th 2026 is a Saturday: observed Friday"),
    ("US", date(2026, 7, 4), True, "and the day itself"),
    ("US", date(2026, 9, 7), True, "Labor Day"),
    ("US", date(2026, 10, 12), True, "Columbus Day"),
    ("US", date(2026, 11, 11), True, "Veterans Day"),
    ("US", date(2026, 11, 26), True, "Thanksgiving: fourth Thursday of November"),
    ("US", date(2027, 12, 31), True, "New Year's Day 2028 is a Saturday: observed in 2027"),
    ("US", date(2026, 11, 27), False, "the day after Thanksgiving is not a federal holiday"),
    ("MS", date(2026, 4, 27), True, "Mississippi: Confederate Memorial Day, last Monday of April"),
    ("MS", date(2026, 7, 3), False, "Mississippi moves only a Sunday holiday (to Monday)"),
    ("MS", date(2027, 7, 5), True, "July 4th 2027 is a Sunday: the Monday"),
    ("AL", date(2026, 6, 1), True, "Alabama: Jefferson Davis' Birthday, first Monday of June"),
    ("AL", date(2026, 4, 27), True, "Alabama: Confederate Memorial Day, fourth Monday of April"),
    ("LA", date(2026, 2, 17), True, "Louisiana: Mardi Gras 2026"),
    ("LA", date(2026, 4, 3), True, "Louisiana: Good Friday 2026"),
    ("LA", date(2026, 11, 2), False, "All Saints' Day (Nov 1st, a Sunday) is not moved"),
    ("RI", date(2026, 8, 10), True, "Rhode Island: Victory Day, second Monday of August"),
    ("RI", date(2026, 5, 4), True, "Rhode Island Independence Day"),
    ("RI", date(2026, 6, 19), True, "Rhode Island bans federal holidays too"),
    ("RI", date(2026, 11, 3), True, "Rhode Island: Election Day in an even year"),
    ("RI", date(2027, 11, 2), False, "no general election in 2027"),
    ("RI", date(2027, 12, 27), True, "Christmas 2027 on a Saturday: Rhode Island's Monday"),
    ("RI", date(2027, 12, 24), True, "... and the federal Friday"),
    ("UT", date(2026, 7, 24), True, "Utah: Pioneer Day"),
    ("UT", date(2026, 7, 23), False, "not the day before"),
    ("TX", date(2026, 12, 25), False, "Texas has no holiday calendar here"),
])
def test_legal_holidays(region: str, day: date, banned: bool, why: str) -> None:
    assert is_holiday(region, day) is banned, why


def test_holidays_stay_in_their_year() -> None:
    for year in range(2024, 2031):
        assert all(d.year == year for d in holidays("RI", year))
        assert len(holidays("US", year)) >= 11
