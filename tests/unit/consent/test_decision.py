"""The one consent decision, as a table: whether a text may reach the lead now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from workers.consent.decision import (
    ConsentState,
    Limits,
    Outgoing,
    decide,
    dnd_blocks,
    lead_state,
)
from workers.consent.quiet import tenant_window

NOON = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)  # 12:00 in Chicago
STATE = lead_state(ai_enabled=True, reply_channels=frozenset({"sms", "email"}),
                   human_takeover=False, opted_out=False, dnd=False, dnd_channels={},
                   contact_tz="America/Chicago", phone="+15125550100", state="TX",
                   tenant_tz=None, tenant_quiet=None, history=("hi, 3 beds please",))
SMS = Outgoing("sms", due_at=NOON)


def verdict(out: Outgoing = SMS, now: datetime = NOON, **change: Any) -> tuple[str, str]:
    d = decide(out, replace(STATE, **change), now)
    return d.verdict, d.reason


def test_a_plain_reply_goes_out() -> None:
    assert verdict() == ("send", "ok")


@pytest.mark.parametrize(("change", "expect"), [
    ({"ai_enabled": False}, ("block", "ai_disabled")),
    ({"reply_channels": frozenset({"email"})}, ("block", "channel_disabled")),
    ({"human_takeover": True}, ("block", "human_takeover")),
    ({"human_takeover": True, "opted_out": True}, ("block", "human_takeover")),
    ({"opted_out": True}, ("block", "opted_out")),
    ({"dnd": True}, ("block", "dnd")),
    ({"dnd_channels": {"sms": "active"}}, ("block", "dnd")),
    ({"dnd_channels": {"SMS": "Permanent"}}, ("block", "dnd")),
    ({"dnd_channels": {"sms": "inactive"}}, ("send", "ok")),
    ({"dnd_channels": {"email": "active"}}, ("send", "ok")),
    # What the lead wrote after the message being answered counts, read by `optout`.
    ({"later_messages": ("STOP",)}, ("block", "opted_out")),
    ({"later_messages": ("ya no me escriban por favor",)}, ("block", "opted_out")),
    ({"later_messages": ("3 beds is fine",)}, ("block", "superseded")),
    ({"opted_out": True, "later_messages": ("START",)}, ("block", "superseded")),
    ({"history": ("please stop texting me",)}, ("block", "opted_out")),
    ({"history": ("wrong number",)}, ("block", "possible_opt_out")),
    ({"history": ("wrong number", "oh wait, yes I'm looking in Austin")}, ("send", "ok")),
    # The lead's words decide before the profile has learned them, and a START after a
    # STOP lifts it; a contact opted out in the CRM stays opted out.
    ({"history": ("STOP", "3 beds in Austin")}, ("block", "opted_out")),
    ({"history": ("STOP", "START", "3 beds in Austin")}, ("send", "ok")),
    ({"opted_out": True}, ("block", "opted_out")),
    ({"opted_out": True, "history": ("STOP", "START")}, ("send", "ok")),
    ({"opted_out_by_crm": True, "history": ("START",)}, ("block", "opted_out")),
])
def test_consent_blocks(change: dict[str, Any], expect: tuple[str, str]) -> None:
    assert verdict(**change) == expect


def test_held_for_quiet_hours_until_they_end_in_the_leads_zone() -> None:
    night = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)  # 22:00 in Chicago
    d = decide(replace(SMS, due_at=night), STATE, night)
    assert (d.verdict, d.reason) == ("hold", "quiet_hours")
    assert d.until == datetime(2026, 11, 11, 14, 0, tzinfo=UTC)  # 08:00 in Chicago
    email = decide(Outgoing("email", due_at=night), STATE, night)
    assert email.verdict == "send"  # quiet hours are for texts


def test_the_tenants_window_is_a_quiet_window() -> None:
    state = replace(STATE, quiet=lead_state(
        ai_enabled=True, reply_channels=frozenset({"sms"}), human_takeover=False,
        opted_out=False, dnd=False, dnd_channels={}, contact_tz="America/Chicago", phone=None,
        state="TX", tenant_tz=None, tenant_quiet=tenant_window(time(11), time(13))).quiet)
    d = decide(SMS, state, NOON)
    assert (d.verdict, d.until) == ("hold", datetime(2026, 11, 10, 19, 0, tzinfo=UTC))


def test_a_draft_not_sent_within_the_limit_is_stale() -> None:
    late = NOON + timedelta(minutes=61)
    assert verdict(now=late) == ("block", "stale")
    assert verdict(now=NOON + timedelta(minutes=59)) == ("send", "ok")
    short = decide(SMS, STATE, NOON + timedelta(minutes=6), Limits(max_age=timedelta(minutes=5)))
    assert short.reason == "stale"


def test_the_one_confirmation_goes_out_within_five_minutes_despite_dnd_and_night() -> None:
    night = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
    confirm = Outgoing("sms", due_at=night, confirmation=True, requested_at=night)
    state = replace(STATE, opted_out=True, dnd=True)
    assert decide(confirm, state, night + timedelta(minutes=4)).verdict == "send"
    late = decide(confirm, state, night + timedelta(minutes=6))
    assert (late.verdict, late.reason) == ("block", "confirmation_late")
    # Not for a lead who is not opted out (resubscribed since), nor over a takeover.
    assert decide(confirm, replace(state, later_messages=("START",)), night).reason == \
        "not_opted_out"
    assert decide(confirm, replace(state, human_takeover=True), night).reason == \
        "human_takeover"


def test_dnd_channel_status_is_case_insensitive() -> None:
    assert dnd_blocks(False, {"SMS": "Active"}, "sms")
    assert not dnd_blocks(False, {"sms": ""}, "sms")


def test_state_is_plain_data() -> None:
    assert isinstance(STATE, ConsentState) and STATE.zone.key == "America/Chicago"
