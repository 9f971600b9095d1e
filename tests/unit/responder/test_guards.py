"""The responder's guards: consent first (the shared decision), then the confirmation, a
superseded message and a hand-off."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from workers.consent.decision import lead_state
from workers.responder.guards import GuardInput, decide

NOON = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)  # 12:00 in Chicago
STATE = lead_state(ai_enabled=True, reply_channels=frozenset({"sms", "email"}),
                   human_takeover=False, opted_out=False, dnd=False, dnd_channels={},
                   contact_tz="America/Chicago", phone=None, state="TX", tenant_tz=None,
                   tenant_quiet=None, history=("looking for 3 beds",))
OK = GuardInput(channel="sms", consent=STATE, opt_out_confirmed=False, wants_human=False,
                asked_at=NOON)


def guard(now: datetime = NOON, **change: Any) -> tuple[str, str]:
    consent = {k: change.pop(k) for k in list(change) if hasattr(STATE, k)}
    v = decide(replace(OK, consent=replace(STATE, **consent), **change), now)
    return v.action, v.reason


@pytest.mark.parametrize(("change", "expect"), [
    ({}, ("reply", "ok")),
    ({"ai_enabled": False}, ("suppress", "ai_disabled")),
    ({"channel": "whatsapp"}, ("suppress", "channel_disabled")),
    ({"human_takeover": True}, ("suppress", "human_takeover")),
    ({"human_takeover": True, "wants_human": True}, ("suppress", "human_takeover")),
    ({"opted_out": True}, ("opt_out_confirmation", "opted_out")),
    ({"opted_out": True, "opt_out_confirmed": True}, ("suppress", "opted_out")),
    ({"opted_out": True, "dnd": True}, ("opt_out_confirmation", "opted_out")),
    ({"history": ("Please don't text me anymore",)}, ("opt_out_confirmation", "opted_out")),
    ({"history": ("who is this? wrong number",)}, ("suppress", "possible_opt_out")),
    ({"dnd": True}, ("suppress", "dnd")),
    ({"dnd_channels": {"sms": "active"}}, ("suppress", "dnd")),
    ({"dnd": True, "wants_human": True}, ("suppress", "dnd")),
    ({"wants_human": True}, ("handoff", "wants_human")),
    ({"superseded": True, "wants_human": True}, ("suppress", "superseded")),
    # An opt-out is confirmed even when the lead wrote again right after it.
    ({"superseded": True, "opted_out": True}, ("opt_out_confirmation", "opted_out")),
])
def test_decisions(change: dict[str, Any], expect: tuple[str, str]) -> None:
    assert guard(**change) == expect


def test_a_confirmation_only_within_five_minutes_of_the_request() -> None:
    late = NOON.replace(minute=6)
    assert guard(now=late, opted_out=True) == ("suppress", "confirmation_late")


def test_quiet_hours_hold_the_reply_and_the_handoff() -> None:
    night = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)  # 22:00 in Chicago
    for wants_human, action in ((False, "reply"), (True, "handoff")):
        v = decide(replace(OK, wants_human=wants_human, asked_at=night), night)
        assert v.action == action
        assert v.send_after == datetime(2026, 11, 11, 14, 0, tzinfo=UTC)
