"""The one consent decision, as a table: whether a text may reach the lead now, on its
recorded consent (the ledger's fold), never on its message history."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from workers.consent.decision import (
    ConsentState,
    Limits,
    Outgoing,
    decide,
    lead_state,
)
from workers.consent.quiet import tenant_window
from workers.consent_ledger import ALL, NONE, Consent, Entry, Kind, Source, fold

NOON = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)  # 12:00 in Chicago
STATE = lead_state(ai_enabled=True, reply_channels=frozenset({"sms", "email"}),
                   human_takeover=False, ledger=NONE,
                   contact_tz="America/Chicago", phone="+15125550100", state="TX",
                   tenant_tz=None, tenant_quiet=None)
SMS = Outgoing("sms", due_at=NOON, answers="m1")


def e(kind: Kind, channel: str = ALL, source: Source = Source.LEAD_MESSAGE,
      ref: str = "m1", at: datetime = NOON) -> Entry:
    return Entry(f"{ref}:{kind}:{channel}", kind, channel, source, at, ref)


def led(*entries: Entry) -> Consent:
    return fold(entries)


def verdict(out: Outgoing = SMS, now: datetime = NOON, **change: Any) -> tuple[str, str]:
    d = decide(out, replace(STATE, **change), now)
    return d.verdict, d.reason


def test_a_plain_reply_goes_out() -> None:
    assert verdict() == ("send", "ok")


@pytest.mark.parametrize(("change", "expect"), [
    # The tenant uninstalled the app: nothing is sent for it, first of all.
    ({"uninstalled": True}, ("block", "uninstalled")),
    ({"uninstalled": True, "ai_enabled": False}, ("block", "uninstalled")),
    ({"ai_enabled": False}, ("block", "ai_disabled")),
    ({"reply_channels": frozenset({"email"})}, ("block", "channel_disabled")),
    ({"human_takeover": True}, ("block", "human_takeover")),
    ({"human_takeover": True, "ledger": led(e(Kind.OPTED_OUT))}, ("block", "human_takeover")),
    ({"ledger": led(e(Kind.OPTED_OUT))}, ("block", "opted_out")),
    # An opt-out of one channel (an operator's) blocks that channel only.
    ({"ledger": led(e(Kind.OPTED_OUT, "sms", Source.OPERATOR))}, ("block", "opted_out")),
    ({"ledger": led(e(Kind.OPTED_OUT, "email", Source.OPERATOR))}, ("send", "ok")),
    # A resubscription after the opt-out lifts it; an opt-out after it holds.
    ({"ledger": led(e(Kind.OPTED_OUT), e(Kind.RESUBSCRIBED, ref="m2"))}, ("send", "ok")),
    ({"ledger": led(e(Kind.RESUBSCRIBED, ref="m0"), e(Kind.OPTED_OUT))},
     ("block", "opted_out")),
    # A resubscription of one channel does not lift an opt-out of all: the stricter reading.
    ({"ledger": led(e(Kind.OPTED_OUT), e(Kind.RESUBSCRIBED, "sms", Source.OPERATOR))},
     ("block", "opted_out")),
    # Unsure holds every automated text until cleared (by a person, or the lead re-engaging).
    ({"ledger": led(e(Kind.UNSURE))}, ("block", "possible_opt_out")),
    ({"ledger": led(e(Kind.UNSURE), e(Kind.CLEARED, ref="m2"))}, ("send", "ok")),
    # GHL's DND: global, or the channel's; a later DND off lifts it.
    ({"ledger": led(e(Kind.DND_ON, ALL, Source.GHL))}, ("block", "dnd")),
    ({"ledger": led(e(Kind.DND_ON, "sms", Source.GHL))}, ("block", "dnd")),
    ({"ledger": led(e(Kind.DND_ON, "email", Source.GHL))}, ("send", "ok")),
    ({"ledger": led(e(Kind.DND_ON, "sms", Source.GHL), e(Kind.DND_OFF, "sms", Source.GHL))},
     ("send", "ok")),
    # DND off never lifts an opt-out: they are different things.
    ({"ledger": led(e(Kind.OPTED_OUT), e(Kind.DND_OFF, ALL, Source.GHL))},
     ("block", "opted_out")),
    # A newer message of the lead's, stored or still on its way to memory.
    ({"later_messages": ("3 beds is fine",)}, ("block", "superseded")),
    ({"in_flight": True}, ("block", "in_flight")),
])
def test_consent_blocks(change: dict[str, Any], expect: tuple[str, str]) -> None:
    assert verdict(**change) == expect


def test_the_lead_s_words_are_not_read_here() -> None:
    """No message history in the state at all: consent is what the ledger recorded."""
    assert not hasattr(STATE, "history")
    assert verdict(later_messages=("START",)) == ("block", "superseded")


def test_held_for_quiet_hours_until_they_end_in_the_leads_zone() -> None:
    night = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)  # 22:00 in Chicago
    d = decide(replace(SMS, due_at=night), STATE, night)
    assert (d.verdict, d.reason) == ("hold", "quiet_hours")
    # Texas sends from 9:00, and a lead whose state is TX may be in El Paso (Mountain): the
    # first moment every plausible zone allows is 9:00 Mountain.
    assert d.until == datetime(2026, 11, 11, 16, 0, tzinfo=UTC)
    email = decide(Outgoing("email", due_at=night), STATE, night)
    assert email.verdict == "send"  # quiet hours are for texts


def test_every_plausible_zone_must_allow_it() -> None:
    """A Florida number with a Texas state: 20:30 Eastern is past Florida's 20:00."""
    fl = replace(STATE, where=lead_state(
        ai_enabled=True, reply_channels=frozenset({"sms"}), human_takeover=False,
        ledger=NONE, contact_tz=None, phone="+13055550100", state="TX", tenant_tz=None,
        tenant_quiet=None).where)
    evening = datetime(2026, 11, 11, 1, 30, tzinfo=UTC)  # 20:30 Eastern, 19:30 Central
    assert decide(replace(SMS, due_at=evening), fl, evening).verdict == "hold"


@pytest.mark.parametrize(("texts", "expect"), [(2, ("send", "ok")),
                                                (3, ("block", "daily_cap"))])
def test_at_most_three_texts_a_day_where_the_law_says_so(texts: int,
                                                         expect: tuple[str, str]) -> None:
    fl = replace(STATE, texts_24h=texts, where=lead_state(
        ai_enabled=True, reply_channels=frozenset({"sms"}), human_takeover=False,
        ledger=NONE, contact_tz=None, phone="+13055550100", state="FL", tenant_tz=None,
        tenant_quiet=None).where)
    assert verdict(now=NOON, texts_24h=texts, where=fl.where) == expect


def test_the_tenants_window_is_a_quiet_window() -> None:
    state = replace(STATE, tenant_quiet=tenant_window(time(11), time(13)))
    d = decide(SMS, state, NOON)
    # 13:00 on the clock of every zone the lead may be in: El Paso's is the later one.
    assert (d.verdict, d.until) == ("hold", datetime(2026, 11, 10, 20, 0, tzinfo=UTC))


def test_staleness_counts_from_the_lead_s_message() -> None:
    late = NOON + timedelta(minutes=61)
    assert verdict(now=late) == ("block", "stale")
    assert verdict(now=NOON + timedelta(minutes=59)) == ("send", "ok")
    short = decide(SMS, STATE, NOON + timedelta(minutes=6), Limits(max_age=timedelta(minutes=5)))
    assert short.reason == "stale"


def test_the_one_confirmation_answers_the_opt_out_itself_within_five_minutes() -> None:
    night = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
    stop = e(Kind.OPTED_OUT, ref="stop-1", at=night)
    state = replace(STATE, ledger=led(stop, e(Kind.DND_ON, ALL, Source.GHL, "w1", night)))
    confirm = Outgoing("sms", due_at=night, confirmation=True, answers="stop-1")
    # Despite the DND GHL sets on a STOP, and at night.
    assert decide(confirm, state, night + timedelta(minutes=4)).verdict == "send"
    late = decide(confirm, state, night + timedelta(minutes=6))
    assert (late.verdict, late.reason) == ("block", "confirmation_late")
    # Never in answer to another message (an ordinary question hours later).
    other = replace(confirm, answers="later-question")
    assert decide(other, state, night + timedelta(minutes=1)).reason == "not_the_opt_out"
    # Not for a lead who resubscribed since, nor over a takeover, nor for an operator's opt-out.
    resub = replace(state, ledger=led(stop, e(Kind.RESUBSCRIBED, ref="m9", at=night)))
    assert decide(confirm, resub, night).reason == "not_opted_out"
    assert decide(confirm, replace(state, human_takeover=True), night).reason == \
        "human_takeover"
    by_operator = replace(state, ledger=led(e(Kind.OPTED_OUT, ALL, Source.OPERATOR, "stop-1",
                                              night)))
    assert decide(confirm, by_operator, night).reason == "not_the_opt_out"
    # Nor for a tenant that uninstalled the app (no token, no consent to speak for it).
    assert decide(confirm, replace(state, uninstalled=True), night).reason == "uninstalled"


def test_state_is_plain_data() -> None:
    assert isinstance(STATE, ConsentState) and STATE.zone.key == "America/Chicago"


# --- the lead's own word on when -------------------------------------------------------------

def pause(ref: str, until: datetime, at: datetime = NOON - timedelta(hours=1)) -> Entry:
    return Entry(f"{ref}:paused", Kind.PAUSED, ALL, Source.LEAD_MESSAGE, at, ref, until=until)


WEEK = NOON + timedelta(days=7)
CHICAGO = ZoneInfo("America/Chicago")


FOLLOW_UP = Outgoing("sms", due_at=NOON)  # answers no message of the lead's


@pytest.mark.parametrize(("out", "ledger", "now", "expect"), [
    # "not until next week": no text of our own initiative before it ends, on any channel...
    (FOLLOW_UP, led(pause("m1", WEEK)), NOON, ("block", "paused")),
    (Outgoing("email", due_at=NOON), led(pause("m1", WEEK)), NOON, ("block", "paused")),
    # ...but an answer to the lead's own latest message: that very one ("sure, talk next
    # week") or one it wrote since (the lead wrote to us; "superseded" keeps it the latest).
    (SMS, led(pause("m1", WEEK)), NOON, ("send", "ok")),
    (replace(SMS, answers="m2"), led(pause("m1", WEEK)), NOON, ("send", "ok")),
    # Once it ends, or once the lead lifted it, texts go as before.
    (replace(FOLLOW_UP, due_at=WEEK), led(pause("m1", WEEK)), WEEK, ("send", "ok")),
    (FOLLOW_UP, led(pause("m1", WEEK), e(Kind.RESUMED, ref="m2")), NOON, ("send", "ok")),
    # It never lifts anything stricter: an opt-out, DND, an unsure reading.
    (SMS, led(pause("m1", WEEK), e(Kind.OPTED_OUT, ref="m3")), NOON, ("block", "opted_out")),
    (SMS, led(pause("m1", WEEK), e(Kind.UNSURE)), NOON, ("block", "possible_opt_out")),
])
def test_the_leads_pause(out: Outgoing, ledger: Consent, now: datetime,
                         expect: tuple[str, str]) -> None:
    d = decide(out, replace(STATE, ledger=ledger), now)
    assert (d.verdict, d.reason) == expect
    if d.reason == "paused":
        assert d.until == WEEK  # when it ends: a follow-up is postponed to then


# A lead in Chicago, Illinois: the federal hours (08:00-21:00) and nothing stricter.
ILLINOIS = lead_state(ai_enabled=True, reply_channels=frozenset({"sms"}), human_takeover=False,
                      ledger=NONE, contact_tz="America/Chicago", phone="+13125550100",
                      state="IL", tenant_tz=None, tenant_quiet=None)


@pytest.mark.parametrize(("hours", "now_local", "opens_local"), [
    # The lead's own hours hold a text to their end, on its clock.
    ("00:00-13:00", time(12), time(13)),
    ("20:00-00:00", time(12), None),  # not in them: sent now
    ("20:00-00:00", time(20, 30), time(8)),  # the law's morning, after the lead's midnight
    ("09:00-17:00", time(12), time(17)),
])
def test_the_leads_own_hours_hold_a_text(hours: str, now_local: time,
                                         opens_local: time | None) -> None:
    now = datetime.combine(NOON.date(), now_local, tzinfo=CHICAGO)
    ledger = led(Entry("h", Kind.HOURS, ALL, Source.LEAD_MESSAGE, NOON - timedelta(days=1),
                       "m0", hours=hours))
    d = decide(replace(SMS, due_at=now), replace(ILLINOIS, ledger=ledger), now)
    if opens_local is None:
        assert d.verdict == "send"
    else:
        assert (d.verdict, d.reason) == ("hold", "quiet_hours")
        assert d.until is not None and d.until.astimezone(CHICAGO).time() == opens_local


def test_a_day_off_holds_to_the_next_day() -> None:
    """"not on sundays": Sunday noon in Chicago is held to Monday's morning (08:00)."""
    sunday = datetime(2026, 11, 15, 12, 0, tzinfo=CHICAGO)
    ledger = led(Entry("h", Kind.HOURS, ALL, Source.LEAD_MESSAGE, NOON, "m0", hours="sun"))
    d = decide(replace(SMS, due_at=sunday), replace(ILLINOIS, ledger=ledger), sunday)
    assert d.verdict == "hold" and d.until is not None
    assert d.until.astimezone(CHICAGO) == datetime(2026, 11, 16, 8, 0, tzinfo=CHICAGO)
