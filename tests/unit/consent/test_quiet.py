"""Quiet hours: windows in which no automated text goes out, in the lead's local time."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from workers.consent.areacodes import (
    STATE_ZONES,
    area_code,
    timezone_for_phone,
    zones_for_area_code,
)
from workers.consent.quiet import (
    FEDERAL_QUIET,
    Place,
    QuietWindow,
    Whereabouts,
    allowed,
    daily_cap,
    next_open,
    send_window,
    tenant_window,
    whereabouts,
)
from workers.consent.state_rules import RULES_BY_REGION, rules_for
from workers.consent.zipcodes import state_for_zip

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
    windows = (FEDERAL_QUIET, QuietWindow(time(20), time(9)))
    now = at(CHICAGO, 2026, 11, 10, 20, 30)
    assert next_open(now, CHICAGO, windows) == at(CHICAGO, 2026, 11, 11, 9)
    windows = (FEDERAL_QUIET, QuietWindow(time(21), time(8)))
    assert next_open(at(CHICAGO, 2026, 11, 10, 20, 30), CHICAGO, windows) == \
        at(CHICAGO, 2026, 11, 10, 20, 30)  # the legal hours alone: still open at 20:30
    assert next_open(at(CHICAGO, 2026, 11, 10, 21, 30), CHICAGO, windows) == \
        at(CHICAGO, 2026, 11, 11, 8)


def test_a_midday_window_is_quiet_at_midday_not_the_only_open_time() -> None:
    windows = (FEDERAL_QUIET, QuietWindow(time(12), time(14)))
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
    opens = next_open(utc, CHICAGO, (FEDERAL_QUIET,))
    assert opens is not None
    assert (None if opens == utc else opens) == expect


def test_a_tenant_can_be_stricter_never_looser() -> None:
    early = (FEDERAL_QUIET, QuietWindow(time(23), time(6)))  # inside the law's
    assert next_open(at(CHICAGO, 2026, 11, 10, 7), CHICAGO, early) == at(CHICAGO, 2026, 11, 10, 8)
    assert next_open(at(CHICAGO, 2026, 11, 10, 21, 30), CHICAGO, early) == \
        at(CHICAGO, 2026, 11, 11, 8)


def test_windows_covering_the_whole_day_never_open() -> None:
    windows = (FEDERAL_QUIET, QuietWindow(time(7), time(22)))
    assert next_open(at(CHICAGO, 2026, 11, 10, 12), CHICAGO, windows) is None


def test_state_hours_by_state_or_area_code_with_their_source() -> None:
    """Florida and Maryland by state or by area code (the single-zone table these came from
    is gone: `whereabouts` and `state_rules` own them, with the citations)."""
    assert where(state="Florida").states == ("FL",)
    assert where(phone="+13055550100").states == ("FL",)  # Miami area code
    assert where(phone="+14105550100").states == ("MD",)  # Baltimore area code
    for state in ("FL", "MD"):
        assert any(r.region == state and r.citation for r in rules_for(state))
    now = datetime(2026, 11, 11, 1, 30, tzinfo=UTC)  # 20:30 in New York
    assert send_window(now, where(phone="+12125550100"), None) == now
    assert send_window(now, where(phone="+13055550100"), None) == at(EASTERN, 2026, 11, 11, 8)


def test_a_tenant_window_needs_two_different_ends() -> None:
    assert tenant_window(None, time(8)) is None
    assert tenant_window(time(8), time(8)) is None
    assert tenant_window(time(21), time(8)) == QuietWindow(time(21), time(8))


def test_daylight_saving_day() -> None:
    # 2026-03-08: clocks in New York go from 02:00 to 03:00.
    opens = next_open(at(EASTERN, 2026, 3, 8, 1, 30), EASTERN, (FEDERAL_QUIET,))
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


# --- Every plausible place of a lead (`whereabouts`) and `send_window` over all of them -------

MOUNTAIN = ZoneInfo("America/Denver")
PHOENIX = ZoneInfo("America/Phoenix")


def where(*, tz: str | None = None, state: str | None = None, zip_: str | None = None,
          phone: str | None = None, tenant_tz: str | None = None) -> Whereabouts:
    return whereabouts(contact_tz=tz, state=state, postal_code=zip_, phone=phone,
                       tenant_tz=tenant_tz)


@pytest.mark.parametrize(("sources", "places", "why"), [
    (dict(state="TX", zip_="73301", phone="+13055550100"),
     {("America/Chicago", "TX"), ("America/Denver", "TX"), ("America/New_York", "FL")},
     "a Miami phone but a Texas state and ZIP: Florida (the 305's zone) and all of Texas"),
    (dict(phone="850-555-0100"),
     {("America/New_York", "FL"), ("America/Chicago", "FL")},
     "850 spans the panhandle: Eastern and Central both count"),
    (dict(tz="America/Chicago", phone="+15125550100"),
     {("America/Chicago", "TX")},
     "the GHL zone and the Austin phone agree: one place"),
    (dict(tz="America/Los_Angeles", state="Florida"),
     {("America/Los_Angeles", "FL"), ("America/New_York", "FL"), ("America/Chicago", "FL")},
     "the contact's own zone disagrees with its state: Florida's law at the lead's clock too"),
    (dict(state="ny", zip_="02134"),
     {("America/New_York", "NY"), ("America/New_York", "MA")},
     "state and ZIP disagree: both states' rules"),
    (dict(tz="Europe/London"),
     {("Europe/London", None)},
     "only a zone: the state is unknown (the conservative stand-in applies)"),
    (dict(phone="+1 928 555 0100"),
     {("America/Phoenix", "AZ"), ("America/Denver", "AZ")},
     "928 includes the Navajo Nation, which keeps daylight time"),
])
def test_every_source_makes_its_places_plausible(sources: dict[str, str],
                                                 places: set[tuple[str, str | None]],
                                                 why: str) -> None:
    found = where(**sources)
    assert {(p.zone, p.state) for p in found.places} == places, why
    assert found.known


@pytest.mark.parametrize(("tenant_tz", "zone"), [
    ("America/Denver", "America/Denver"),  # nothing about the contact: the tenant's zone
    (None, "America/New_York"),            # nor the tenant's: Eastern
    ("Not/AZone", "America/New_York"),
])
def test_the_tenants_zone_only_when_nothing_about_the_contact_is_known(
        tenant_tz: str | None, zone: str) -> None:
    found = where(phone="+44 20 7946 0000", tenant_tz=tenant_tz, zip_="SW1A 1AA")
    assert found.places == (Place(zone, None),)
    assert not found.known
    # Any known fact about the contact wins over the tenant's zone.
    assert where(state="CA", tenant_tz="America/New_York").zones == ("America/Los_Angeles",)


def at_(zone: ZoneInfo, y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=zone)


# 2026-11-08 is a Sunday, 2026-11-10 a Tuesday.
@pytest.mark.parametrize(("lead", "now", "expect", "why"), [
    (dict(state="TX", zip_="73301", phone="+13055550100"), at_(EASTERN, 2026, 11, 10, 8, 30),
     at_(MOUNTAIN, 2026, 11, 10, 9),
     "Florida opens at 8 (Eastern), Texas at 9 on the El Paso clock: 11:00 Eastern"),
    (dict(phone="+18505550100"), at_(EASTERN, 2026, 11, 10, 20, 30),
     at_(CHICAGO, 2026, 11, 11, 8),
     "850 at 20:30 Eastern is 19:30 Central: Florida's 8 p.m. has closed the Eastern side"),
    (dict(phone="+18505550100"), at_(CHICAGO, 2026, 11, 10, 18, 59),
     at_(CHICAGO, 2026, 11, 10, 18, 59), "18:59 Central is 19:59 Eastern: open on both sides"),
    (dict(phone="+18505550100"), at_(EASTERN, 2026, 11, 10, 8, 30),
     at_(CHICAGO, 2026, 11, 10, 8), "8:30 Eastern is 7:30 Central: wait for 8 Central"),
    (dict(tz="America/Chicago", phone="+15125550100"), at_(CHICAGO, 2026, 11, 8, 11),
     at_(CHICAGO, 2026, 11, 8, 12), "Texas on a Sunday: noon to 9 p.m."),
    (dict(state="TX"), at_(CHICAGO, 2026, 11, 8, 11),
     at_(MOUNTAIN, 2026, 11, 8, 12),
     "a Texas state alone may be El Paso: noon Mountain is 13:00 Central"),
    (dict(tz="America/Chicago", phone="+15125550100"), at_(CHICAGO, 2026, 11, 10, 8, 30),
     at_(CHICAGO, 2026, 11, 10, 9), "Texas weekdays start at 9, not the federal 8"),
    (dict(tz="America/Chicago", phone="+15125550100"), at_(CHICAGO, 2026, 11, 10, 20, 30),
     at_(CHICAGO, 2026, 11, 10, 20, 30), "Texas allows 20:30 (until 21:00)"),
    (dict(phone="+12035550100"), at_(EASTERN, 2026, 11, 10, 20, 5),
     at_(EASTERN, 2026, 11, 11, 9), "Connecticut since PA 23-98: 9 a.m. to 8 p.m."),
    (dict(phone="+14015550100"), at_(EASTERN, 2026, 11, 14, 17, 30),
     at_(EASTERN, 2026, 11, 16, 9),
     "Rhode Island: Saturday until 17:00, no Sunday, Monday from 9:00"),
    (dict(phone="+16055550100"), at_(CHICAGO, 2026, 11, 14, 12),
     at_(MOUNTAIN, 2026, 11, 16, 9),
     "South Dakota's dialing-system hours are weekdays only; 605 is Central and Mountain"),
    (dict(phone="+18015550100"), at_(MOUNTAIN, 2026, 7, 24, 10),
     at_(MOUNTAIN, 2026, 7, 25, 8), "Utah bans legal holidays: Pioneer Day, July 24th"),
    (dict(phone="+18015550100"), at_(MOUNTAIN, 2026, 11, 8, 10),
     at_(MOUNTAIN, 2026, 11, 9, 8), "Utah bans Sundays"),
    (dict(state="RI"), at_(EASTERN, 2027, 12, 23, 18, 30),
     at_(EASTERN, 2027, 12, 28, 9),
     "Rhode Island, Christmas 2027 on a Saturday: observed Friday (federal) and Monday "
     "(state), so Tuesday at 9"),
    (dict(phone="+15045550100"), at_(CHICAGO, 2027, 2, 9, 10),
     at_(CHICAGO, 2027, 2, 10, 8), "Louisiana: Mardi Gras (Easter 2027 is March 28th)"),
    (dict(tenant_tz="America/Denver"), at_(MOUNTAIN, 2026, 11, 10, 8, 30),
     at_(MOUNTAIN, 2026, 11, 10, 9),
     "nothing known: the tenant's zone with the conservative 9:00-20:00"),
])
def test_send_window_waits_until_every_plausible_place_allows_a_text(
        lead: dict[str, str], now: datetime, expect: datetime, why: str) -> None:
    assert send_window(now, where(**lead), None) == expect, why


def test_the_tenants_window_holds_in_every_plausible_zone() -> None:
    """A 12:00-14:00 tenant window: 12:30 Eastern is 11:30 Central, so the Eastern side is
    quiet until 14:00 Eastern, and then the Central side (13:00) until 14:00 Central."""
    lunch = tenant_window(time(12), time(14))
    assert send_window(at_(EASTERN, 2026, 11, 10, 12, 30), where(phone="+18505550100"),
                       lunch) == at_(CHICAGO, 2026, 11, 10, 14)
    assert send_window(at_(EASTERN, 2026, 11, 10, 10), where(phone="+18505550100"), lunch) == \
        at_(EASTERN, 2026, 11, 10, 10)
    everything = tenant_window(time(6), time(23, 59))
    assert send_window(at_(EASTERN, 2026, 11, 10, 10), where(phone="+12125550100"),
                       everything) is None  # nothing ever open: never


@pytest.mark.parametrize("region", ["US", *sorted(RULES_BY_REGION)])
@pytest.mark.parametrize(("hour", "minute"), [(5, 0), (21, 30), (23, 0), (0, 30)])
def test_five_in_the_morning_and_half_past_nine_at_night_never_send(
        region: str, hour: int, minute: int) -> None:
    """Every rule, every zone of its state, every day of a week: never at 05:00 or 21:30
    local (nor 23:00, 00:30), and the moment given instead is inside the law's hours."""
    state = None if region == "US" else region
    for zone_name in STATE_ZONES.get(region, ("America/New_York",)):
        zone = ZoneInfo(zone_name)
        lead = Whereabouts((Place(zone_name, state or "NY"),))
        for day in range(9, 16):  # 2026-11-09 (Monday) .. 2026-11-15 (Sunday)
            now = at_(zone, 2026, 11, day, hour, minute)
            opens = send_window(now, lead, None)
            assert opens is not None and opens > now, (region, zone_name, now)
            assert time(8) <= opens.astimezone(zone).time() < time(21)


@pytest.mark.parametrize(("now", "lead", "expect", "why"), [
    (at_(EASTERN, 2026, 3, 8, 1, 30), dict(state="NY"), at_(EASTERN, 2026, 3, 8, 8),
     "spring forward: 01:30 EST waits until 08:00 EDT (six hours, not seven)"),
    (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), dict(state="NY"), at_(EASTERN, 2026, 11, 1, 8),
     "fall back: the first 01:30 (EDT) waits until 08:00 EST"),
    (at_(PHOENIX, 2026, 7, 1, 20, 30), dict(phone="+19285550100"),
     at_(PHOENIX, 2026, 7, 2, 8),
     "summer: 20:30 in Phoenix is 21:30 on the Navajo Nation's daylight clock: hold; 8:00 in "
     "Phoenix is 9:00 there"),
    (at_(PHOENIX, 2026, 1, 15, 20, 30), dict(phone="+19285550100"),
     at_(PHOENIX, 2026, 1, 15, 20, 30), "winter: both clocks agree, 20:30 is open"),
    (at_(CHICAGO, 2026, 3, 7, 20, 30), dict(phone="+18505550100"),
     at_(CHICAGO, 2026, 3, 8, 8),
     "850 on the Saturday before spring forward: Florida closes at 20:00 Eastern; Sunday 8:00 "
     "CDT (9:00 EDT) opens both sides, the clocks having moved together overnight"),
])
def test_daylight_saving_transitions(now: datetime, lead: dict[str, str], expect: datetime,
                                     why: str) -> None:
    opens = send_window(now, where(**lead), None)
    assert opens == expect, why
    assert opens is not None and opens.tzinfo is now.tzinfo  # in the caller's zone


@pytest.mark.parametrize(("lead", "cap", "why"), [
    (dict(state="FL"), 3, "Florida: 3 per 24 h (501.616(6)(b))"),
    (dict(phone="+14055550100"), 3, "Oklahoma by area code: 3 per 24 h"),
    (dict(zip_="21201"), 3, "Maryland by ZIP: 3 per 24 h"),
    (dict(state="TX"), None, "Texas has no cap"),
    (dict(state="TX", phone="+13055550100"), 3, "maybe Florida: its cap applies"),
    (dict(tenant_tz="America/Chicago"), None, "nothing known: no cap (it would cap every "
     "conversation with a lead GHL knows little of)"),
])
def test_daily_cap_is_the_strictest_among_plausible_states(
        lead: dict[str, str], cap: int | None, why: str) -> None:
    assert daily_cap(where(**lead)) == cap, why


def test_allowed_is_send_window_at_now() -> None:
    lead = where(phone="+18505550100")
    assert allowed(at_(CHICAGO, 2026, 11, 10, 12), lead)
    assert not allowed(at_(CHICAGO, 2026, 11, 10, 19, 30), lead)  # 20:30 on the Eastern side
    assert not allowed(at_(CHICAGO, 2026, 11, 10, 12), lead, tenant_window(time(11), time(13)))


@pytest.mark.parametrize(("code", "zones"), [
    ("850", ("America/New_York", "America/Chicago")),
    ("812", ("America/New_York", "America/Chicago")),
    ("308", ("America/Chicago", "America/Denver")),
    ("605", ("America/Chicago", "America/Denver")),
    ("208", ("America/Boise", "America/Los_Angeles")),
    ("906", ("America/New_York", "America/Chicago")),
    ("541", ("America/Los_Angeles", "America/Boise")),
    ("270", ("America/Chicago", "America/New_York")),
    ("915", ("America/Denver",)),
    ("212", ("America/New_York",)),
    ("999", ()),
    (None, ()),
])
def test_split_area_codes_count_every_zone(code: str | None, zones: tuple[str, ...]) -> None:
    assert zones_for_area_code(code) == zones


@pytest.mark.parametrize(("postal_code", "state"), [
    ("73301", "TX"), ("73301-0001", "TX"), ("73102", "OK"), ("02134", "MA"), ("05501", "MA"),
    ("05401", "VT"), ("20101", "VA"), ("20001", "DC"), ("88510", "TX"), ("87101", "NM"),
    ("99501", "AK"), ("00601", "PR"), ("33101", "FL"), ("34102", "FL"), ("34002", None),
    ("96201", None), ("K1A 0B1", None), ("1234", None), (None, None),
])
def test_zip_prefix_to_state(postal_code: str | None, state: str | None) -> None:
    assert state_for_zip(postal_code) == state


def test_the_federal_quiet_window_is_the_rule_s_hours() -> None:
    """What `--quiet-hours` is checked against comes from the federal rule itself."""
    assert QuietWindow(time(21), time(8)) == FEDERAL_QUIET
