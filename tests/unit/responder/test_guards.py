"""The responder's guards: consent first (the shared decision), then the confirmation, a
superseded message and a hand-off."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from workers.consent.decision import lead_state
from workers.consent_ledger import ALL, NONE, Entry, Kind, Source, fold
from workers.responder.guards import GuardInput, decide

NOON = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)  # 12:00 in Chicago
STATE = lead_state(ai_enabled=True, reply_channels=frozenset({"sms", "email"}),
                   human_takeover=False, ledger=NONE,
                   contact_tz="America/Chicago", phone=None, state="TX", tenant_tz=None,
                   tenant_quiet=None)
OK = GuardInput(channel="sms", consent=STATE, opt_out_confirmed=False, wants_human=False,
                asked_at=NOON, answers="m1")
# The ledger as memory records it: the message answered (m1) asked to stop, or an earlier
# one did, or it may have; GHL's DND.
STOP_HERE = fold([Entry("m1:o", Kind.OPTED_OUT, ALL, Source.LEAD_MESSAGE, NOON, "m1")])
STOP_BEFORE = fold([Entry("m0:o", Kind.OPTED_OUT, ALL, Source.LEAD_MESSAGE, NOON, "m0")])
UNSURE = fold([Entry("m1:u", Kind.UNSURE, ALL, Source.LEAD_MESSAGE, NOON, "m1")])
DND = fold([Entry("w:d", Kind.DND_ON, ALL, Source.GHL, NOON, "w")])
DND_SMS = fold([Entry("w:d", Kind.DND_ON, "sms", Source.GHL, NOON, "w")])
STOP_AND_DND = fold([*STOP_HERE.entries, *DND.entries])


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
    ({"ledger": STOP_HERE}, ("opt_out_confirmation", "opted_out")),
    ({"ledger": STOP_HERE, "opt_out_confirmed": True}, ("suppress", "opted_out")),
    ({"ledger": STOP_AND_DND}, ("opt_out_confirmation", "opted_out")),
    # A message after an opt-out gets no confirmation (only the opt-out itself does).
    ({"ledger": STOP_BEFORE}, ("suppress", "opted_out")),
    ({"ledger": UNSURE}, ("suppress", "possible_opt_out")),
    ({"ledger": DND}, ("suppress", "dnd")),
    ({"ledger": DND_SMS}, ("suppress", "dnd")),
    ({"ledger": DND, "wants_human": True}, ("suppress", "dnd")),
    ({"wants_human": True}, ("handoff", "wants_human")),
    ({"superseded": True, "wants_human": True}, ("suppress", "superseded")),
    # An opt-out is confirmed even when the lead wrote again right after it.
    ({"superseded": True, "ledger": STOP_HERE}, ("opt_out_confirmation", "opted_out")),
])
def test_decisions(change: dict[str, Any], expect: tuple[str, str]) -> None:
    assert guard(**change) == expect


def test_a_confirmation_only_within_five_minutes_of_the_request() -> None:
    late = NOON.replace(minute=6)
    assert guard(now=late, ledger=STOP_HERE) == ("suppress", "confirmation_late")


def test_quiet_hours_hold_the_reply_and_the_handoff() -> None:
    night = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)  # 22:00 in Chicago
    for wants_human, action in ((False, "reply"), (True, "handoff")):
        v = decide(replace(OK, wants_human=wants_human, asked_at=night), night)
        assert v.action == action
        # 09:00 in El Paso: Texas sends from 9:00, and a TX lead may be in Mountain time
        assert v.send_after == datetime(2026, 11, 11, 16, 0, tzinfo=UTC)
