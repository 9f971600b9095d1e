"""The consent ledger's pure core, as tables: the fold, what a lead's message and GHL's DND
record, and the address keys that outlive a forgotten contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.consent_ledger import ALL, NONE, Consent, Entry, Kind, Source, fold
from workers.consent_ledger.addresses import AddressHasher, e164, normal_email
from workers.consent_ledger.entries import (
    NO_TIMING,
    Timing,
    dnd_scopes,
    from_dnd,
    from_message,
    manual,
    order,
)

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(kind: Kind, minutes: int = 0, channel: str = ALL,
          source: Source = Source.LEAD_MESSAGE) -> Entry:
    return Entry(f"{kind}:{minutes}:{channel}", kind, channel, source, at(minutes), f"m{minutes}")


@pytest.mark.parametrize(("entries", "opted", "unsure", "dnd"), [
    ([], frozenset(), False, frozenset()),
    ([entry(Kind.OPTED_OUT)], {ALL}, False, frozenset()),
    ([entry(Kind.OPTED_OUT), entry(Kind.RESUBSCRIBED, 1)], frozenset(), False, frozenset()),
    # The latest word wins: a resubscribe before the opt-out lifts nothing.
    ([entry(Kind.RESUBSCRIBED), entry(Kind.OPTED_OUT, 1)], {ALL}, False, frozenset()),
    # Channel scopes: a channel's resubscribe leaves an opt-out of all in force.
    ([entry(Kind.OPTED_OUT, 0, "sms", Source.OPERATOR),
      entry(Kind.OPTED_OUT, 1, "email", Source.OPERATOR),
      entry(Kind.RESUBSCRIBED, 2, "sms", Source.OPERATOR)], {"email"}, False, frozenset()),
    ([entry(Kind.OPTED_OUT), entry(Kind.RESUBSCRIBED, 1, "sms", Source.OPERATOR)], {ALL},
     False, frozenset()),
    ([entry(Kind.UNSURE)], frozenset(), True, frozenset()),
    ([entry(Kind.UNSURE), entry(Kind.CLEARED, 1)], frozenset(), False, frozenset()),
    ([entry(Kind.CLEARED), entry(Kind.UNSURE, 1)], frozenset(), True, frozenset()),
    ([entry(Kind.DND_ON, 0, "sms", Source.GHL), entry(Kind.DND_ON, 1, ALL, Source.GHL),
      entry(Kind.DND_OFF, 2, ALL, Source.GHL)], frozenset(), False, {"sms"}),
])
def test_fold(entries: list[Entry], opted: set[str], unsure: bool, dnd: set[str]) -> None:
    c = fold(entries)
    assert (c.opted_out, c.unsure is not None, c.dnd) == (frozenset(opted), unsure,
                                                          frozenset(dnd))


def test_order_is_by_when_it_happened_not_when_it_was_recorded() -> None:
    """A late webhook or a DLQ replay is recorded after a newer entry: it folds before it."""
    stop, start = entry(Kind.OPTED_OUT, 5), entry(Kind.RESUBSCRIBED, 1)
    assert fold(order([stop, start])).opted_out == {ALL}


def test_the_opt_out_in_force_is_the_latest() -> None:
    first, second = entry(Kind.OPTED_OUT, 0), entry(Kind.OPTED_OUT, 3)
    assert fold([first, second]).opt_out == second
    assert fold([first, entry(Kind.RESUBSCRIBED, 1)]).opt_out is None


@pytest.mark.parametrize(("signal", "engaged", "current", "kinds"), [
    ("opt_out", False, NONE, [Kind.OPTED_OUT]),
    ("unsure", False, NONE, [Kind.UNSURE]),
    # A resubscribe keyword records only where there is an opt-out to lift.
    ("resubscribe", False, NONE, []),
    ("resubscribe", False, fold([entry(Kind.OPTED_OUT)]), [Kind.RESUBSCRIBED]),
    # Re-engaging clears an unsure reading, never an opt-out.
    (None, True, fold([entry(Kind.UNSURE)]), [Kind.CLEARED]),
    (None, True, NONE, []),
    (None, True, fold([entry(Kind.UNSURE), entry(Kind.OPTED_OUT, 1)]), []),
    (None, False, fold([entry(Kind.UNSURE)]), []),
])
def test_what_a_message_records(signal: str | None, engaged: bool, current: Consent,
                                kinds: list[Kind]) -> None:
    got = from_message(signal=signal, reengages=engaged, current=current, message_ref="m9",
                       channel="sms", at=at(9))
    assert [g.kind for g in got] == kinds
    assert all(g.source is Source.LEAD_MESSAGE and g.source_ref == "m9" for g in got)
    # Recording the same message again yields the same ids (the table ignores them).
    again = from_message(signal=signal, reengages=engaged, current=current, message_ref="m9",
                         channel="sms", at=at(9))
    assert [g.entry_id for g in got] == [g.entry_id for g in again]


@pytest.mark.parametrize(("dnd", "channels", "said"), [
    (None, None, {}),  # a tag update without DND says nothing about it
    (True, None, {ALL: True}),
    (False, {"sms": "active", "email": "inactive", "call": "permanent"},
     {ALL: False, "sms": True, "email": False, "call": True}),
    (None, {"SMS": "Active"}, {"sms": True}),
])
def test_dnd_scopes(dnd: bool | None, channels: dict[str, str] | None,
                    said: dict[str, bool]) -> None:
    assert dnd_scopes(dnd, channels) == said


def test_dnd_records_only_changes() -> None:
    current = fold([entry(Kind.DND_ON, 0, "sms", Source.GHL)])
    got = from_dnd(said={"sms": True, "email": True, ALL: False}, current=current,
                   event_ref="w1", at=at(1))
    assert [(g.kind, g.channel) for g in got] == [(Kind.DND_ON, "email")]
    off = from_dnd(said={"sms": False}, current=current, event_ref="w2", at=at(2))
    assert [(g.kind, g.channel) for g in off] == [(Kind.DND_OFF, "sms")]
    assert from_dnd(said={}, current=current, event_ref="w3", at=at(3)) == []


def test_a_person_s_entry_names_them() -> None:
    m = manual(kind=Kind.CLEARED, channel=ALL, source=Source.OPERATOR, who="ana", at=at(0),
               note="called the lead")
    assert (m.source_ref, m.note, m.kind) == ("ana", "called the lead", Kind.CLEARED)


@pytest.mark.parametrize(("raw", "want"), [
    ("(512) 555-0100", "+15125550100"), ("+1 512.555.0100", "+15125550100"),
    ("15125550100", "+15125550100"), ("+44 20 7946 0958", "+442079460958"),
    ("555-0100", None), ("", None), (None, None),
])
def test_e164(raw: str | None, want: str | None) -> None:
    assert e164(raw) == want


@pytest.mark.parametrize(("raw", "want"), [
    (" Ana.Lopez+zillow@Example.COM ", "ana.lopez@example.com"), ("nope", None), (None, None),
])
def test_normal_email(raw: str | None, want: str | None) -> None:
    assert normal_email(raw) == want


def test_hashes_are_keyed_and_stable() -> None:
    a, b = AddressHasher(b"key-a"), AddressHasher(b"key-b")
    one = a.of(phones=["(512) 555-0100"], emails=["ANA@example.com"])
    assert one == a.of(phones=["+15125550100"], emails=["ana@example.com"])  # same addresses
    assert set(one).isdisjoint(b.of(phones=["+15125550100"], emails=["ana@example.com"]))
    assert len(one) == 2 and all("555" not in h and "ana" not in h for h in one)
    with pytest.raises(ValueError):
        AddressHasher(b"")


def test_the_opt_out_in_force_falls_back_when_a_channel_is_resubscribed() -> None:
    everything = entry(Kind.OPTED_OUT, 0)
    sms = entry(Kind.OPTED_OUT, 1, "sms", Source.OPERATOR)
    c = fold([everything, sms, entry(Kind.RESUBSCRIBED, 2, "sms", Source.OPERATOR)])
    assert c.opt_out == everything and c.opted_out == {ALL}


def through(kind: Kind, minutes: int, via: str, channel: str = ALL,
            source: Source = Source.LEAD_MESSAGE) -> Entry:
    """An entry of another contact (or a forgotten one) sharing an address with the lead."""
    return Entry(f"other:{kind}:{minutes}", kind, channel, source, at(minutes), "x",
                 own=False, via=frozenset({via}))


@pytest.mark.parametrize(("entries", "blocked", "open_"), [
    # Another contact's STOP on the same phone: texts and calls to it, not email.
    ([through(Kind.OPTED_OUT, 0, "p")], {"sms", "whatsapp", "call"}, {"email"}),
    # ... on the same email: email only.
    ([through(Kind.OPTED_OUT, 0, "e")], {"email"}, {"sms"}),
    # The lead's own STOP covers everything, whatever the others said.
    ([through(Kind.OPTED_OUT, 0, "e"), entry(Kind.OPTED_OUT, 1)], {"sms", "email"}, set()),
    # The lead's own START (on that phone) lifts the shared opt-out.
    ([through(Kind.OPTED_OUT, 0, "p"), entry(Kind.RESUBSCRIBED, 1)], set(), {"sms", "email"}),
    # GHL's DND on the other contact's SMS holds SMS for the same number only.
    ([through(Kind.DND_ON, 0, "p", "sms", Source.GHL)], {"sms"}, {"email", "whatsapp"}),
])
def test_a_shared_address_reaches_only_its_channels(entries: list[Entry], blocked: set[str],
                                                    open_: set[str]) -> None:
    c = fold(entries)
    for channel in blocked:
        assert c.opted_out_of(channel) or c.dnd_on(channel), channel
    for channel in open_:
        assert not (c.opted_out_of(channel) or c.dnd_on(channel)), channel


def test_another_contact_s_unsure_is_theirs() -> None:
    assert fold([through(Kind.UNSURE, 0, "p")]).unsure is None


def test_keys_say_their_kind() -> None:
    keys = AddressHasher(b"k").of(phones=["+15125550100"], emails=["a@b.co"])
    assert sorted(k[:2] for k in keys) == ["e:", "p:"]


# --- the lead's own word on when: pauses and hours ------------------------------------------

def paused(minutes: int, until_minutes: int, ref: str = "p") -> Entry:
    return Entry(f"{ref}:{minutes}", Kind.PAUSED, ALL, Source.LEAD_MESSAGE, at(minutes), ref,
                 until=at(until_minutes))


def hours(minutes: int, text: str) -> Entry:
    return Entry(f"h:{minutes}", Kind.HOURS, ALL, Source.LEAD_MESSAGE, at(minutes), "h",
                 hours=text)


@pytest.mark.parametrize(("entries", "now", "until", "hours_in_force"), [
    ([], 0, None, ""),
    ([paused(0, 600)], 10, 600, ""),
    ([paused(0, 600)], 600, None, ""),  # it ended
    ([paused(0, 600), entry(Kind.RESUMED, 5)], 10, None, ""),
    # The lead's latest word on when wins, shorter or longer.
    ([paused(0, 600), paused(5, 60, "q")], 10, 60, ""),
    ([paused(0, 60), paused(5, 600, "q")], 10, 600, ""),
    # An opt-out, a resubscribe or DND neither lift nor set it.
    ([paused(0, 600), entry(Kind.OPTED_OUT, 1), entry(Kind.RESUBSCRIBED, 2)], 10, 600, ""),
    ([hours(0, "20:00-00:00")], 10, None, "20:00-00:00"),
    ([hours(0, "20:00-00:00"), hours(3, "sun")], 10, None, "sun"),
    ([hours(0, "20:00-00:00"), hours(3, "")], 10, None, ""),  # lifted
    ([hours(0, "sun"), entry(Kind.RESUMED, 3)], 10, None, "sun"),  # resuming a pause only
])
def test_fold_pauses_and_hours(entries: list[Entry], now: int, until: int | None,
                               hours_in_force: str) -> None:
    c = fold(entries)
    assert c.paused_until(at(now)) == (at(until) if until is not None else None)
    assert c.hours == hours_in_force


def test_another_contacts_pause_on_the_same_phone_bears_on_the_lead() -> None:
    """A pause is the person's word on being texted: through a shared phone it holds; only
    the lead's own message lifts it."""
    theirs = Entry("x", Kind.PAUSED, ALL, Source.LEAD_MESSAGE, at(0), "x", until=at(600),
                   own=False, via=frozenset({"p"}))
    not_ours = Entry("y", Kind.RESUMED, ALL, Source.LEAD_MESSAGE, at(1), "y", own=False,
                     via=frozenset({"p"}))
    assert fold([theirs]).paused_until(at(5)) == at(600)
    assert fold([theirs, not_ours]).paused_until(at(5)) == at(600)


PAUSE = Timing(pause_until=at(600), said="not till next week")


@pytest.mark.parametrize(("signal", "engaged", "timing", "current", "kinds"), [
    (None, False, PAUSE, NONE, [Kind.PAUSED]),
    (None, False, Timing(hours="20:00-00:00"), NONE, [Kind.HOURS]),
    # Beside an unsure reading; never beside an opt-out or a resubscribe.
    ("unsure", False, PAUSE, NONE, [Kind.UNSURE, Kind.PAUSED]),
    ("opt_out", False, PAUSE, NONE, [Kind.OPTED_OUT]),
    # Re-engaging lifts a pause in force (and an unsure reading), not one that ended.
    (None, True, NO_TIMING, fold([paused(0, 600)]), [Kind.RESUMED]),
    (None, True, NO_TIMING, fold([paused(-700, -600)]), []),
    (None, True, NO_TIMING, fold([entry(Kind.UNSURE, -5), paused(0, 600)]),
     [Kind.CLEARED, Kind.RESUMED]),
    # A message that asks for a new pause is that pause, whatever else it says.
    (None, True, PAUSE, fold([paused(-10, 600)]), [Kind.PAUSED]),
    # "you can text me anytime": the pause and the hours go.
    (None, False, Timing(resume=True), fold([paused(0, 600), hours(0, "sun")]),
     [Kind.RESUMED, Kind.HOURS]),
    (None, False, Timing(resume=True), NONE, []),
])
def test_what_a_message_records_of_when(signal: str | None, engaged: bool, timing: Timing,
                                        current: Consent, kinds: list[Kind]) -> None:
    got = from_message(signal=signal, reengages=engaged, current=current, message_ref="m9",
                       channel="sms", at=at(1), timing=timing)
    assert [e.kind for e in got] == kinds
    assert len({e.entry_id for e in got}) == len(got)  # one id per kind: recorded once
    for e in got:
        if e.kind is Kind.PAUSED:
            assert e.until == at(600) and "not till next week" in e.note
        if e.kind is Kind.HOURS:
            assert e.hours == (timing.hours or "")
