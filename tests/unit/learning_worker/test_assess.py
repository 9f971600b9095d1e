"""The learning worker's core over plain data: the assessment and whether it is an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.events import MemoryUpdated, ProfileUpdated
from workers.learning.assess import Turn, assess, profile_event

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
READY = {"intent": "buy", "budget_max": 550_000, "bedrooms_min": 3, "locations": ["Round Rock"],
         "timeline": "1_3_months", "financing": "preapproved", "motivation": "relocation"}


def turns(*texts: str) -> list[Turn]:
    return [Turn("inbound" if i % 2 == 0 else "outbound", text, T0 + timedelta(minutes=i),
                 "sms") for i, text in enumerate(texts)]


def updated(*, reply_needed: bool = False) -> MemoryUpdated:
    return MemoryUpdated(event_id="e1", tenant_id="loc1", contact_id="c1", occurred_at=T0,
                         received_at=T0, message_id="m1", channel="sms",
                         reply_needed=reply_needed)


def test_a_ready_buyer_is_hot_and_an_empty_profile_is_cold_with_questions() -> None:
    ready = assess(READY, turns("We're pre-approved, need 3 beds in Round Rock by June"),
                   appointment=False)
    assert ready.score == "hot" and ready.score_reasons
    empty = assess({}, turns("hi"), appointment=False)
    assert empty.score == "cold"
    assert empty.next_questions and len(empty.next_questions) <= 3
    assert empty.qualification["open"]


def test_an_opted_out_lead_is_cold_whatever_else_it_said() -> None:
    assert assess({**READY, "opted_out": True}, turns("stop"), appointment=True).score == "cold"


@pytest.mark.parametrize(("reply_needed", "changed", "previous", "published"), [
    (False, {}, "cold", False),  # nothing new: no event
    (True, {}, "cold", True),  # a lead message awaits a reply
    (False, {"budget_max": 400_000}, "cold", True),  # a fact changed
    (False, {}, "warm", True),  # the score moved (cold now)
    (False, {}, None, True),  # the first profile of the lead
])
def test_profile_event(reply_needed: bool, changed: dict[str, object], previous: str | None,
                       published: bool) -> None:
    result = assess({}, turns("hi"), appointment=False)
    assert result.score == "cold"
    event = profile_event("learning", updated(reply_needed=reply_needed), {}, changed, result,
                          previous)
    assert (event is not None) is published
    if event is not None:
        parsed = ProfileUpdated.model_validate(event)
        assert parsed.causation_id == "e1" and parsed.changed == changed
        assert parsed.reply_needed is reply_needed and parsed.score == "cold"
        # the id derives from the cause: a redelivery publishes the same event id
        again = profile_event("learning", updated(reply_needed=reply_needed), {}, changed,
                              result, previous)
        assert again is not None and again["event_id"] == event["event_id"]
