"""The learning worker's preparation and building around the extractor, as tables over plain
data (rows as dicts, no services)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workers.learning import core
from workers.learning.assess import Turn, assess
from workers.learning.claude_extract import CLAUDE_CONFIDENCE, DETERMINISTIC_CONFIDENCE
from workers.learning.extract.model import Area, Message

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def row(i: int, *, direction: str = "inbound", message_id: str | None = "",
        appointment: bool = False) -> dict[str, Any]:
    """The i-th message row as `store.Reads.messages` returns it (id `m<i>` by default)."""
    return {"direction": direction, "channel": "sms", "body": f"message {i}",
            "message_id": f"m{i}" if message_id == "" else message_id,
            "occurred_at": T0 + timedelta(minutes=i), "appointment": appointment}


ROWS = [row(0), row(1, direction="outbound"), row(2)]


# --- the conversation as of the triggering message -------------------------------------------

@pytest.mark.parametrize(("message_id", "kept"), [
    ("m0", ["m0"]),                 # the first message: nothing after it counts
    ("m1", ["m0", "m1"]),           # cut just after the triggering message
    ("m2", ["m0", "m1", "m2"]),     # the last message: the whole conversation
    ("m9", ["m0", "m1", "m2"]),     # not stored (yet): the whole conversation
    (None, ["m0", "m1", "m2"]),     # an activity has no message: the whole conversation
])
def test_the_conversation_is_cut_after_the_triggering_message(
        message_id: str | None, kept: list[str]) -> None:
    assert [r["message_id"] for r in core.as_of(ROWS, message_id)] == kept


def test_an_event_without_a_message_reads_past_messages_without_an_id() -> None:
    """GHL messages may come without an id: an activity (no message) must not cut the
    conversation at the first of them."""
    rows = [row(0), row(1, message_id=None), row(2, message_id=None)]
    assert [r["body"] for r in core.as_of(rows, None)] == [
        "message 0", "message 1", "message 2"]


def test_no_rows_stay_no_rows() -> None:
    assert core.as_of([], "m1") == []
    assert core.as_of([], None) == []


# --- the extraction clock ----------------------------------------------------------------------

@pytest.mark.parametrize(("occurred_at", "now"), [
    (T0 + timedelta(hours=1), T0 + timedelta(hours=1)),  # the event is later: its time
    (T0, T0 + timedelta(minutes=2)),                     # a message is later: the last one's
    (T0 + timedelta(minutes=2), T0 + timedelta(minutes=2)),
])
def test_the_clock_is_the_later_of_the_event_and_the_last_message(
        occurred_at: datetime, now: datetime) -> None:
    assert core.clock(occurred_at, ROWS) == now


def test_the_clock_reads_the_last_row_not_the_latest_time() -> None:
    # Rows are in stored order; the clock follows the conversation's last message.
    rows = [row(5), row(1)]
    assert core.clock(T0, rows) == T0 + timedelta(minutes=1)


# --- the conversation as extraction and assessment see it ------------------------------------

def test_the_conversation_carries_messages_turns_appointment_areas_and_clock() -> None:
    rows = [row(0, appointment=True), row(1, direction="outbound", message_id=None,
                                          appointment=True)]
    conv = core.conversation(rows, (Area(name="Cedar Park"),), T0)
    assert conv.messages == [
        Message(direction="inbound", body="message 0", id="m0", sent_at=T0),
        Message(direction="outbound", body="message 1", id=None,
                sent_at=T0 + timedelta(minutes=1)),
    ]
    assert conv.turns == [Turn("inbound", "message 0", T0, "sms"),
                          Turn("outbound", "message 1", T0 + timedelta(minutes=1), "sms")]
    assert conv.appointment is True
    assert conv.areas == [Area(name="Cedar Park")]
    assert conv.now == T0 + timedelta(minutes=1)


def test_no_appointment_is_read_from_the_rows() -> None:
    assert core.conversation(ROWS, (), T0).appointment is False


# --- the facts' sources and confidence ---------------------------------------------------------

MESSAGES = core.messages_of([row(0), row(1, message_id=None), row(2)])


@pytest.mark.parametrize(("sources", "expected"), [
    ({}, {}),
    ({"budget_max": 0, "timeline": 2}, {"budget_max": "m0", "timeline": "m2"}),
    ({"intent": 1}, {"intent": None}),                   # a message stored without an id
    ({"budget_max": 0, "locations": 3}, {"budget_max": "m0"}),   # past the list: no source
    ({"locations": 7}, {}),
])
def test_sources_name_the_messages_inside_the_conversation(
        sources: dict[str, int], expected: dict[str, str | None]) -> None:
    assert core.fact_sources(sources, MESSAGES) == expected


@pytest.mark.parametrize(("changed", "from_claude", "expected"), [
    ([], {"timeline"}, {}),
    (["budget_max"], set(), {"budget_max": DETERMINISTIC_CONFIDENCE}),
    (["budget_max", "timeline"], {"timeline"},
     {"budget_max": DETERMINISTIC_CONFIDENCE, "timeline": CLAUDE_CONFIDENCE}),
    (["wants_human"], {"wants_human", "timeline"},      # only changed fields get one
     {"wants_human": CLAUDE_CONFIDENCE}),
])
def test_claude_filled_fields_get_the_lower_confidence(
        changed: list[str], from_claude: set[str], expected: dict[str, float]) -> None:
    assert CLAUDE_CONFIDENCE < DETERMINISTIC_CONFIDENCE
    assert core.fact_confidence(changed, from_claude) == expected


# --- the profile part to cache ----------------------------------------------------------------

def test_the_profile_part_carries_the_assessment_at_the_upserted_version() -> None:
    spec = {"intent": "buy", "budget_max": 550_000, "timeline": "1_3_months"}
    result = assess(spec, core.turns_of(ROWS), appointment=False)
    part = core.profile_part("loc1", "c1", spec, result, 7)
    assert (part.tenant_id, part.contact_id, part.version) == ("loc1", "c1", 7)
    assert part.profile == spec
    assert part.score == result.score
    assert part.score_reasons == result.score_reasons and part.score_reasons
    assert part.qualification == result.qualification
    assert part.next_questions == result.next_questions
