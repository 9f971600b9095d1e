"""Guards: who may get an automated message, and quiet hours in the lead's local time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from workers.responder.areacodes import area_code, timezone_for_phone
from workers.responder.guards import (
    GuardInput,
    decide,
    dnd_blocks,
    lead_timezone,
    send_after,
    send_window,
)

OK = GuardInput(channel="sms", ai_enabled=True, reply_channels=frozenset({"sms", "email"}),
                human_takeover=False, opted_out=False, opt_out_confirmed=False, dnd=False,
                dnd_channels={}, wants_human=False)


def test_plain_reply() -> None:
    assert decide(OK).action == "reply"


@pytest.mark.parametrize(("change", "action", "reason"), [
    ({"ai_enabled": False}, "suppress", "ai_disabled"),
    ({"channel": "whatsapp"}, "suppress", "channel_disabled"),
    ({"human_takeover": True}, "suppress", "human_takeover"),
    ({"human_takeover": True, "wants_human": True}, "suppress", "human_takeover"),
    ({"opted_out": True}, "opt_out_confirmation", "opted_out"),
    ({"opted_out": True, "opt_out_confirmed": True}, "suppress", "opted_out"),
    ({"opted_out": True, "dnd": True}, "opt_out_confirmation", "opted_out"),
    ({"dnd": True}, "suppress", "dnd"),
    ({"dnd_channels": {"sms": "active"}}, "suppress", "dnd"),
    ({"dnd_channels": {"sms": "permanent"}}, "suppress", "dnd"),
    ({"dnd_channels": {"sms": "inactive"}}, "reply", "ok"),
    ({"dnd_channels": {"email": "active"}}, "reply", "ok"),
    ({"dnd": True, "wants_human": True}, "suppress", "dnd"),
    ({"wants_human": True}, "handoff", "wants_human"),
])
def test_decisions(change: dict[str, object], action: str, reason: str) -> None:
    verdict = decide(replace(OK, **change))  # type: ignore[arg-type]
    assert (verdict.action, verdict.reason) == (action, reason)


def test_dnd_channel_status_is_case_insensitive() -> None:
    assert dnd_blocks(False, {"SMS": "Active"}, "sms")
    assert not dnd_blocks(False, {"sms": ""}, "sms")


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


def test_windows_default_florida_and_tenant_narrowing() -> None:
    assert send_window("TX", "+15125550100") == (time(8), time(21))
    assert send_window("FL", None) == (time(8), time(20))
    assert send_window(None, "+13055550100") == (time(8), time(20))  # Miami area code
    assert send_window("Florida", None) == (time(8), time(20))
    assert send_window(None, None, {"start": "09:30", "end": "22:00"}) == (time(9, 30), time(21))
    assert send_window(None, None, {"start": "07:00", "end": "bogus"}) == (time(8), time(21))


CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(("utc", "expect"), [
    (datetime(2026, 11, 10, 18, 0, tzinfo=UTC), None),                      # 12:00 local
    (datetime(2026, 11, 10, 14, 0, tzinfo=UTC), None),                      # 08:00 sharp
    (datetime(2026, 11, 10, 13, 59, tzinfo=UTC), datetime(2026, 11, 10, 14, 0, tzinfo=UTC)),
    (datetime(2026, 11, 11, 3, 0, tzinfo=UTC), datetime(2026, 11, 11, 14, 0, tzinfo=UTC)),
    (datetime(2026, 11, 11, 2, 59, tzinfo=UTC), None),                      # 20:59 local
])
def test_send_after_in_the_leads_local_time(utc: datetime, expect: datetime | None) -> None:
    got = send_after(utc, CHICAGO, (time(8), time(21)))
    assert got == expect


def test_florida_evening_is_held_where_texas_is_not() -> None:
    now = datetime(2026, 11, 11, 1, 30, tzinfo=UTC)  # 20:30 in New York
    eastern = ZoneInfo("America/New_York")
    assert send_after(now, eastern, send_window(None, "+12125550100")) is None
    held = send_after(now, eastern, send_window(None, "+13055550100"))
    assert held == datetime(2026, 11, 11, 8, 0, tzinfo=eastern)


def test_a_message_followed_by_another_gets_no_reply_of_its_own() -> None:
    later = replace(OK, superseded=True, wants_human=True)
    assert (decide(later).action, decide(later).reason) == ("suppress", "superseded")
    assert decide(replace(later, superseded=False)).action == "handoff"
    # An opt-out is confirmed even when the lead wrote again right after it.
    assert decide(replace(later, opted_out=True)).action == "opt_out_confirmation"
