"""Quiet hours: windows in which no automated text goes out, in the lead's local time."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from workers.consent.areacodes import area_code, timezone_for_phone
from workers.consent.quiet import (
    FEDERAL,
    STATE_HOURS,
    QuietWindow,
    lead_timezone,
    legal_hours,
    next_open,
    quiet_windows,
    tenant_window,
)

CHICAGO = ZoneInfo("America/Chicago")
EASTERN = ZoneInfo("America/New_York")


def at(zone: ZoneInfo, y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=zone)


@pytest.mark.parametrize(("window", "moment", "quiet"), [
    (QuietWindow(time(21), time(8)), time(22), True),
    (QuietWindow(time(21), time(8)), time(3), True),
    (QuietWindow(time(21), time(8)), time(8), False),
    (QuietWindow(time(21), time(8)), time(20, 59), False),
    (QuietWindow(time(12), time(14)), time(12, 30), True),
    (QuietWindow(time(12), time(14)), time(14), False),
    (QuietWindow(time(12), time(14)), time(9), False),
])
def test_a_window_is_the_quiet_time_itself_across_midnight_too(
        window: QuietWindow, moment: time, quiet: bool) -> None:
    assert window.covers(moment) is quiet


def test_the_documented_example_holds_a_text_at_20_30() -> None:
    """`--quiet-hours 21:00-08:00` and `20:00-09:00` mean no texts in those hours: a text at
    20:30 local under 20:00-09:00 waits until 09:00 (it went out at once before)."""
    windows = quiet_windows("TX", None, tenant_window(time(20), time(9)))
    now = at(CHICAGO, 2026, 11, 10, 20, 30)
    assert next_open(now, CHICAGO, windows) == at(CHICAGO, 2026, 11, 11, 9)
    windows = quiet_windows("TX", None, tenant_window(time(21), time(8)))
    assert next_open(at(CHICAGO, 2026, 11, 10, 20, 30), CHICAGO, windows) == \
        at(CHICAGO, 2026, 11, 10, 20, 30)  # the legal hours alone: still open at 20:30
    assert next_open(at(CHICAGO, 2026, 11, 10, 21, 30), CHICAGO, windows) == \
        at(CHICAGO, 2026, 11, 11, 8)


def test_a_midday_window_is_quiet_at_midday_not_the_only_open_time() -> None:
    windows = quiet_windows("TX", None, tenant_window(time(12), time(14)))
    assert next_open(at(CHICAGO, 2026, 11, 10, 10), CHICAGO, windows) == \
        at(CHICAGO, 2026, 11, 10, 10)
    assert next_open(at(CHICAGO, 2026, 11, 10, 12, 5), CHICAGO, windows) == \
        at(CHICAGO, 2026, 11, 10, 14)
    assert next_open(at(CHICAGO, 2026, 11, 10, 16), CHICAGO, windows) == \
        at(CHICAGO, 2026, 11, 10, 16)


@pytest.mark.parametrize(("utc", "expect"), [
    (datetime(2026, 11, 10, 18, 0, tzinfo=UTC), None),                      # 12:00 local
    (datetime(2026, 11, 10, 14, 0, tzinfo=UTC), None),                      # 08:00 sharp
    (datetime(2026, 11, 10, 13, 59, tzinfo=UTC), datetime(2026, 11, 10, 14, 0, tzinfo=UTC)),
    (datetime(2026, 11, 11, 3, 0, tzinfo=UTC), datetime(2026, 11, 11, 14, 0, tzinfo=UTC)),
    (datetime(2026, 11, 11, 2, 59, tzinfo=UTC), None),                      # 20:59 local
])
def test_the_legal_hours_in_the_leads_local_time(utc: datetime, expect: datetime | None) -> None:
    opens = next_open(utc, CHICAGO, quiet_windows("TX", None, None))
    assert opens is not None
    assert (None if opens == utc else opens) == expect


def test_a_tenant_can_be_stricter_never_looser() -> None:
    early = quiet_windows("TX", None, tenant_window(time(23), time(6)))  # inside the law's
    assert next_open(at(CHICAGO, 2026, 11, 10, 7), CHICAGO, early) == at(CHICAGO, 2026, 11, 10, 8)
    assert next_open(at(CHICAGO, 2026, 11, 10, 21, 30), CHICAGO, early) == \
        at(CHICAGO, 2026, 11, 11, 8)


def test_windows_covering_the_whole_day_never_open() -> None:
    windows = quiet_windows("TX", None, tenant_window(time(7), time(22)))
    assert next_open(at(CHICAGO, 2026, 11, 10, 12), CHICAGO, windows) is None


def test_state_hours_by_state_or_area_code_with_their_source() -> None:
    assert legal_hours("TX", "+15125550100") is FEDERAL
    assert legal_hours("FL", None).region == "FL"
    assert legal_hours("Florida", None).region == "FL"
    assert legal_hours(None, "+13055550100").region == "FL"  # Miami area code
    assert legal_hours(None, "+14105550100").region == "MD"  # Baltimore area code
    assert legal_hours("TX", "+13055550100") is FEDERAL  # the stated state wins
    for hours in (FEDERAL, *STATE_HOURS):
        assert hours.source and hours.send_from < hours.send_until
    now = datetime(2026, 11, 11, 1, 30, tzinfo=UTC)  # 20:30 in New York
    assert next_open(now, EASTERN, quiet_windows(None, "+12125550100", None)) == now
    assert next_open(now, EASTERN, quiet_windows(None, "+13055550100", None)) == \
        at(EASTERN, 2026, 11, 11, 8)


def test_a_tenant_window_needs_two_different_ends() -> None:
    assert tenant_window(None, time(8)) is None
    assert tenant_window(time(8), time(8)) is None
    assert tenant_window(time(21), time(8)) == QuietWindow(time(21), time(8))


def test_daylight_saving_day() -> None:
    # 2026-03-08: clocks in New York go from 02:00 to 03:00.
    opens = next_open(at(EASTERN, 2026, 3, 8, 1, 30), EASTERN, quiet_windows("NY", None, None))
    assert opens == at(EASTERN, 2026, 3, 8, 8)
    assert opens is not None and opens.utcoffset() == at(EASTERN, 2026, 3, 9, 8).utcoffset()


@pytest.mark.parametrize(("phone", "code", "zone"), [
    ("+15125550100", "512", "America/Chicago"),
    ("(212) 555-0100", "212", "America/New_York"),
    ("1-415-555-0100", "415", "America/Los_Angeles"),
    ("602.555.0100", "602", "America/Phoenix"),
    ("+18085550100", "808", "Pacific/Honolulu"),
    ("+19155550100", "915", "America/Denver"),
    ("555-0100", None, None),
    (None, None, None),
])
def test_area_codes(phone: str | None, code: str | None, zone: str | None) -> None:
    assert area_code(phone) == code
    assert timezone_for_phone(phone) == zone


def test_timezone_precedence_contact_then_area_code_then_tenant() -> None:
    assert lead_timezone("America/Denver", "+15125550100", "America/New_York").key == \
        "America/Denver"
    assert lead_timezone(None, "+15125550100", "America/New_York").key == "America/Chicago"
    assert lead_timezone("Not/AZone", None, "America/Los_Angeles").key == "America/Los_Angeles"
    assert lead_timezone(None, "+44 20 7946 0000", None).key == "America/New_York"
