"""The learning worker's core over plain data (no I/O): from a lead's profile (SPEC dict) and
conversation, its behavioural signals, qualification, next questions and hot/warm/cold score;
and whether the result is worth a `lead.profile.updated` event. `worker.learn` reads, calls
these, and writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.envelope import derive_event_id
from schemas.events import MemoryUpdated, ProfileUpdated
from workers.learning import qualification, scoring, signals


@dataclass(frozen=True)
class Turn:
    """One message of the conversation as the core needs it."""

    direction: str
    body: str
    at: datetime
    channel: str


@dataclass(frozen=True)
class Assessment:
    signals: signals.Signals
    qualification: dict[str, Any]
    next_questions: list[str]
    score: str
    score_reasons: list[str]


def assess(spec: dict[str, Any], turns: Sequence[Turn], *, appointment: bool) -> Assessment:
    sigs = signals.compute([signals.Turn(t.direction, t.body, t.at, t.channel) for t in turns])
    condition = qualification.home_condition(
        [t.body for t in turns if t.direction == "inbound"])
    qual = qualification.qualification(spec, condition)
    label, reasons, _ = scoring.score(spec, sigs, appointment=appointment)
    return Assessment(sigs, qual, qualification.next_questions(qual), label, reasons)


def profile_event(consumer: str, ev: MemoryUpdated, spec: dict[str, Any],
                  changed: dict[str, Any], result: Assessment,
                  previous_score: str | None) -> dict[str, Any] | None:
    """The event to publish, or None when nothing downstream needs to hear of it: no fact
    changed, the score did not move, and no reply is wanted."""
    if not (ev.reply_needed or changed or previous_score != result.score):
        return None
    assert ev.contact_id is not None
    return ProfileUpdated(
        event_id=derive_event_id(ev.tenant_id, consumer, ev.event_id), tenant_id=ev.tenant_id,
        contact_id=ev.contact_id, occurred_at=ev.occurred_at, received_at=ev.received_at,
        causation_id=ev.event_id, changed=changed, profile=spec, score=result.score,
        score_reasons=result.score_reasons, next_questions=result.next_questions,
        message_id=ev.message_id, channel=ev.channel, reply_needed=ev.reply_needed,
    ).model_dump(mode="json")
