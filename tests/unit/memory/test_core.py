"""The memory worker's decisions as tables over plain data (no services)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schemas.context import MemoryPart, ProfilePart
from schemas.envelope import derive_event_id
from schemas.events import (
    ContactSnapshot,
    LeadActivityRecorded,
    MemoryUpdated,
    MessageIngested,
    ReplyDelivered,
)
from tests.support.events import BASE, contact_changed, contact_deleted, message
from workers.consent_ledger import NONE, Kind
from workers.memory import core
from workers.memory.core import ContactDiff, HeldContact, LeftWindow, NewMessage
from workers.memory.echo import Verdict

T = "loc-core"


def _delivered(**fields: Any) -> ReplyDelivered:
    return ReplyDelivered(**{
        "event_id": "ev-d1", "tenant_id": T, "contact_id": "c1", "occurred_at": BASE,
        "received_at": BASE, "idempotency_key": "r-1", "ghl_message_id": "g-1",
        "conversation_id": "cv-c1", "channel": "email", "body": "See you at 3", **fields})


def _activity() -> LeadActivityRecorded:
    return LeadActivityRecorded(event_id="ev-a1", tenant_id=T, contact_id="c1",
                                occurred_at=BASE, received_at=BASE, kind="appointment",
                                ghl_type="AppointmentCreate")


# --- what a contact update changed ---------------------------------------------------------

HELD = HeldContact(tags=["buyer", "hot"], dnd=False, dnd_channels={"sms": "inactive"})


@pytest.mark.parametrize(("change", "held", "new", "expected"), [
    # nothing held yet: every tag is added and dnd counts as changed
    ("create", None, ContactSnapshot(tags=["buyer"]),
     ContactDiff(["contact.create", "tags", "dnd"], ["buyer"], [])),
    ("create", None, ContactSnapshot(),
     ContactDiff(["contact.create", "dnd"], [], [])),
    # the same description again: only the change itself
    ("update", HELD, ContactSnapshot(tags=["hot", "buyer"], dnd_channels={"sms": "inactive"}),
     ContactDiff(["contact.update"], [], [])),
    # tags gained and lost, each sorted
    ("tags", HELD, ContactSnapshot(tags=["vip", "buyer", "austin"],
                                   dnd_channels={"sms": "inactive"}),
     ContactDiff(["contact.tags", "tags"], ["austin", "vip"], ["hot"])),
    ("tags", HELD, ContactSnapshot(dnd_channels={"sms": "inactive"}),
     ContactDiff(["contact.tags", "tags"], [], ["buyer", "hot"])),
    # a tag update that does not mention DND leaves it as held
    ("tags", replace(HELD, dnd=True, dnd_channels={"sms": "active"}),
     ContactSnapshot(tags=["buyer", "hot"]), ContactDiff(["contact.tags"], [], [])),
    # dnd switched on, or one channel's setting changed
    ("dnd", HELD, ContactSnapshot(tags=["buyer", "hot"], dnd=True,
                                  dnd_channels={"sms": "inactive"}),
     ContactDiff(["contact.dnd", "dnd"], [], [])),
    ("dnd", HELD, ContactSnapshot(tags=["buyer", "hot"], dnd_channels={"sms": "active"}),
     ContactDiff(["contact.dnd", "dnd"], [], [])),
    # both at once
    ("update", HELD, ContactSnapshot(tags=["buyer"], dnd=True),
     ContactDiff(["contact.update", "tags", "dnd"], [], ["hot"])),
])
def test_contact_changes(change: str, held: HeldContact | None, new: ContactSnapshot,
                         expected: ContactDiff) -> None:
    assert core.contact_changes(change, held, new) == expected


ON = replace(HELD, dnd=True, dnd_channels={"sms": "active", "email": "inactive"})


@pytest.mark.parametrize(("held", "new", "dnd", "channels"), [
    (None, ContactSnapshot(), False, {}),
    # not mentioned: kept as held (a tag update, our own write-back's echo)
    (ON, ContactSnapshot(tags=["x"]), True, {"sms": "active", "email": "inactive"}),
    # mentioned: replaced per channel, the others kept
    (ON, ContactSnapshot(dnd=False, dnd_channels={"email": "active"}), False,
     {"sms": "active", "email": "active"}),
    (ON, ContactSnapshot(dnd_channels={"sms": "inactive"}), True,
     {"sms": "inactive", "email": "inactive"}),
])
def test_dnd_is_merged_not_overwritten(held: HeldContact | None, new: ContactSnapshot,
                                       dnd: bool, channels: dict[str, str]) -> None:
    merged = core.merged_dnd(held, new)
    assert (merged.dnd, merged.channels) == (dnd, channels)


T1 = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(("held_at", "changed_at", "stale"), [
    (None, T1, False), (T1, None, False), (T1, T1, False),
    (T1, T1 - timedelta(seconds=1), True),  # a late retry or a replay of an older state
    (T1 - timedelta(seconds=1), T1, False),
])
def test_an_older_state_is_stale(held_at: datetime | None, changed_at: datetime | None,
                                 stale: bool) -> None:
    assert core.is_stale(replace(HELD, changed_at=held_at), changed_at) is stale
    assert core.is_stale(None, changed_at) is False


# --- the summary fold --------------------------------------------------------------------

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("current", "left", "expected"), [
    # nothing left the window: the summary as it is (none yet: empty)
    (None, None, ""),
    ("- 2026-02-01 lead: hi", None, "- 2026-02-01 lead: hi"),
    # the message that left is folded in, newest last
    (None, LeftWindow("lead", "Looking for 3 beds", AT), "- 2026-03-01 lead: Looking for 3 beds"),
    ("- 2026-02-01 lead: hi", LeftWindow("ai", "Hi Ana!", AT),
     "- 2026-02-01 lead: hi\n- 2026-03-01 agent (AI): Hi Ana!"),
    # an automated message leaves no memory
    ("- 2026-02-01 lead: hi", LeftWindow("workflow", "Reminder", AT), "- 2026-02-01 lead: hi"),
])
def test_next_summary(current: str | None, left: LeftWindow | None, expected: str) -> None:
    assert core.next_summary(current, left) == expected


# --- the row a message becomes ----------------------------------------------------------

def test_ingested_message_takes_sender_and_link_from_the_verdict() -> None:
    ev = message(T, "c1", "Thanks!", direction="outbound", sender="human", message_id="g-9",
                 event_id="ev-1", user_id="u-1", source="app")
    assert core.ingested_message(ev, Verdict(True, "ai", "r-7", False)) == NewMessage(
        tenant=T, event_id="ev-1", message_id="g-9", contact="c1", conversation_id="cv-c1",
        direction="outbound", channel="sms", sender="ai", body="Thanks!", user_id="u-1",
        source="app", reply_key="r-7", at=ev.occurred_at)
    plain = core.ingested_message(ev, Verdict(True, "human", None, True))
    assert (plain.sender, plain.reply_key) == ("human", None)


def test_delivered_message_is_the_ais_outbound_message_linked_to_the_reply() -> None:
    assert core.delivered_message(_delivered()) == NewMessage(
        tenant=T, event_id="ev-d1", message_id="g-1", contact="c1", conversation_id="cv-c1",
        direction="outbound", channel="email", sender="ai", body="See you at 3", user_id=None,
        source="leadmem", reply_key="r-1", at=BASE)


@pytest.mark.parametrize(("conversation_id", "user_id", "expected"), [
    ("cv-1", "u-1", ("cv-1", "sms", "u-1")),
    ("cv-1", None, ("cv-1", "sms", None)),
    (None, "u-1", None),  # no conversation named: none kept
])
def test_conversation_of(conversation_id: str | None, user_id: str | None,
                         expected: tuple[str, str, str | None] | None) -> None:
    msg = NewMessage(T, "ev", None, "c1", conversation_id, "outbound", "sms", "human", "x",
                     user_id, None, None, BASE)
    assert core.conversation_of(msg) == expected


# --- what a stored message means ---------------------------------------------------------

@pytest.mark.parametrize(("direction", "sender", "expected"), [
    ("inbound", "lead", True),
    ("inbound", "system", False),
    ("inbound", "workflow", False),
    ("outbound", "lead", False),
    ("outbound", "human", False),
    ("outbound", "ai", False),
])
def test_reply_needed_only_for_the_leads_inbound_message(direction: str, sender: str,
                                                         expected: bool) -> None:
    assert core.reply_needed(direction, sender) is expected


@pytest.mark.parametrize(("direction", "takeover", "expected"), [
    ("inbound", False, ["message.inbound"]),
    ("outbound", False, ["message.outbound"]),
    ("outbound", True, ["message.outbound", "human_takeover"]),
])
def test_message_changes(direction: str, takeover: bool, expected: list[str]) -> None:
    assert core.message_changes(direction, takeover) == expected


@pytest.mark.parametrize(("direction", "sender", "stored", "takeover", "expected"), [
    ("inbound", "lead", True, False,
     {"changes": ["message.inbound"], "reply_needed": True, "human_takeover": False}),
    ("outbound", "human", True, True,
     {"changes": ["message.outbound", "human_takeover"], "reply_needed": False,
      "human_takeover": True}),
    ("outbound", "workflow", True, False,
     {"changes": ["message.outbound"], "reply_needed": False, "human_takeover": False}),
    # a duplicate or the echo of our own reply: nothing new
    ("inbound", "lead", False, False, None),
    ("outbound", "human", False, False, None),
])
def test_message_result(direction: str, sender: str, stored: bool, takeover: bool,
                        expected: dict[str, Any] | None) -> None:
    ev = message(T, "c1", "hello", direction=direction, sender=sender, message_id="g-1")
    result = core.message_result(ev, stored, takeover)
    if expected is None:
        assert result is None
        return
    assert result is not None
    assert {k: result[k] for k in expected} == expected
    assert (result["message_id"], result["channel"], result["deleted"]) == ("g-1", "sms", False)


# --- the memory.updated of each event ----------------------------------------------------

def test_updated_ids_are_derived_from_the_input_and_equal_for_a_redelivery() -> None:
    ev = message(T, "c1", "hello", event_id="ev-42")
    first = core.message_result(ev, True, False)
    again = core.message_result(MessageIngested.model_validate_json(ev.model_dump_json()),
                                True, False)
    assert first is not None and first == again
    assert first["event_id"] == derive_event_id(T, "memory", "ev-42")
    assert first["causation_id"] == "ev-42"
    assert (first["tenant_id"], first["contact_id"]) == (T, "c1")
    other = core.message_result(message(T, "c1", "hello", event_id="ev-43"), True, False)
    assert other is not None and other["event_id"] != first["event_id"]
    # as the ledger records it: JSON-ready, and the event it stands for
    assert MemoryUpdated.model_validate(first).occurred_at == ev.occurred_at


@pytest.mark.parametrize(("result", "changes", "deleted"), [
    (core.deleted_result(contact_deleted(T, "c1")), ["contact.deleted"], True),
    (core.contact_result(contact_changed(T, "c1"), ["contact.create", "dnd"]),
     ["contact.create", "dnd"], False),
    (core.activity_result(_activity()), ["activity.appointment"], False),
    (core.delivered_result(_delivered(), True), ["message.outbound"], False),
])
def test_results_of_other_events(result: dict[str, Any] | None, changes: list[str],
                                 deleted: bool) -> None:
    assert result is not None
    assert (result["changes"], result["deleted"]) == (changes, deleted)
    assert result["reply_needed"] is False and result["message_id"] is None


def test_a_delivered_reply_whose_echo_was_relabelled_produces_nothing() -> None:
    assert core.delivered_result(_delivered(), False) is None


# --- which events, leads and caches a group touches --------------------------------------

def test_events_without_a_lead_are_dropped_in_order() -> None:
    a, b = message(T, "c1", "a"), message(T, "c2", "b")
    orphan = message(T, "c1", "x").model_copy(update={"contact_id": None})
    assert core.with_lead([a, orphan, b]) == [a, b]
    assert core.with_lead([orphan]) == []


def test_leads_of_lists_each_lead_once_in_order_of_first_appearance() -> None:
    events = [message(T, "c2", "a"), contact_deleted(T, "c1"), message(T, "c2", "b"),
              contact_changed(T, "c3")]
    assert core.leads_of(events) == ["c2", "c1", "c3"]


def _lead(contact: str, held: bool) -> tuple[MemoryPart | None, ProfilePart]:
    memory = MemoryPart(tenant_id=T, contact_id=contact) if held else None
    return memory, ProfilePart(tenant_id=T, contact_id=contact)


@pytest.mark.parametrize(("events", "leads", "expected"), [
    # a deleted lead gone from Postgres is forgotten
    ([contact_deleted(T, "c1")], {"c1": _lead("c1", False)}, ["c1"]),
    # deleted, then back within the group: kept (its memory is written through instead)
    ([contact_deleted(T, "c1"), message(T, "c1", "hi again")], {"c1": _lead("c1", True)}, []),
    # a deleted lead not reloaded is forgotten too
    ([contact_deleted(T, "c9")], {}, ["c9"]),
    # a lead Postgres lacks but nobody deleted is left alone
    ([message(T, "c2", "hi")], {"c2": _lead("c2", False)}, []),
    ([contact_deleted(T, "c1"), message(T, "c2", "hi")],
     {"c1": _lead("c1", False), "c2": _lead("c2", True)}, ["c1"]),
])
def test_to_forget(events: list[Any], leads: dict[str, tuple[MemoryPart | None, ProfilePart]],
                   expected: list[str]) -> None:
    assert core.to_forget(events, leads) == expected


def test_to_cache_writes_through_every_lead_postgres_holds() -> None:
    leads = {"c1": _lead("c1", True), "c2": _lead("c2", False), "c3": _lead("c3", True)}
    assert [m.contact_id for m, _ in core.to_cache(leads)] == ["c1", "c3"]
    assert [p.contact_id for _, p in core.to_cache(leads)] == ["c1", "c3"]


@pytest.mark.parametrize(("ids", "message_id", "kept"), [
    (["m0", "m1", "m2"], "m1", 2),      # up to and including the message
    (["m0", "m1", "m2"], "m9", 3),      # not stored (yet): all of it
    (["m0", "m1", "m2"], None, 3),      # about no message: all of it
    (["m0", None, None], None, 3),      # never stops at a message stored without an id
    (["m0", None, "m2"], "m2", 3),
    ([], "m1", 0),
])
def test_the_conversation_as_of_one_message(ids: list[str | None], message_id: str | None,
                                            kept: int) -> None:
    items = [(i, mid) for i, mid in enumerate(ids)]
    assert core.up_to(items, message_id, lambda item: item[1]) == items[:kept]


# --- what a lead's message records of when we may write --------------------------------------

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # Monday 11:00 in New York


@pytest.mark.parametrize(("body", "kinds", "needs_state", "needs_zones"), [
    ("don't text me till next week, traveling", [Kind.PAUSED], False, True),
    ("no texts after 8pm please", [Kind.HOURS], False, False),
    ("you can text me anytime now", [], True, False),  # nothing to lift: nothing recorded
    # An opt-out is all it records, whatever it says of when.
    ("STOP. don't text me until next year", [Kind.OPTED_OUT], False, False),
    # Our own words quoted back lift or set nothing.
    ("> don't text me until next week\nok sounds good", [], False, False),
    ("3 beds in Round Rock please", [], False, False),
])
def test_what_a_message_records_of_when(body: str, kinds: list[Kind], needs_state: bool,
                                        needs_zones: bool) -> None:
    reading = core.consent_reading(body, "sms")
    assert (reading.needs_state, reading.needs_zones) == (needs_state, needs_zones)
    got = core.consent_entries(reading, NONE, ref="m1", channel="sms", at=AT, zones=[NY])
    assert [e.kind for e in got] == kinds


def test_a_pause_is_placed_on_the_leads_clock() -> None:
    reading = core.consent_reading("please don't message me until tomorrow", "sms")
    [pause] = core.consent_entries(reading, NONE, ref="m1", channel="sms", at=AT, zones=[NY])
    assert pause.until == datetime(2026, 12, 8, 0, 0, tzinfo=NY)
    # No zone known: the latest of every US zone's, so it never ends early.
    [anywhere] = core.consent_entries(reading, NONE, ref="m1", channel="sms", at=AT)
    assert anywhere.until == datetime(2026, 12, 8, 0, 0, tzinfo=ZoneInfo("Pacific/Honolulu"))
