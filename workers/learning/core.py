"""What the learning worker prepares and builds around the extractor, over plain data (no I/O).

`worker.learn` is the shell: it reads the lead's message rows and the tenant's settings row
(`store.Reads`), asks these functions for the conversation as of the triggering message, the
tenant's areas and the extraction clock, extracts, and writes the facts and the profile with
the sources, confidences and `ProfilePart` built here. Rows are taken as mappings (asyncpg
records or dicts), so, like `assess`, everything here is tested as tables without services.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.context import ProfilePart
from workers.learning import claude_extract
from workers.learning.assess import Assessment, Turn
from workers.learning.extract.model import Area, Message
from workers.memory.core import up_to

Row = Mapping[str, Any]  # a `store.Reads` row: a message, or the tenant's settings


@dataclass(frozen=True)
class Conversation:
    """The lead's conversation as of the triggering message, as extraction needs it."""

    messages: list[Message]
    turns: list[Turn]
    appointment: bool  # the lead has an appointment (every message row says so)
    areas: list[Area]
    now: datetime  # the extraction clock


def as_of(rows: Sequence[Row], message_id: str | None) -> list[Row]:
    """The rows up to and including the triggering message, or all of them when it is not
    among them: a later message gets its own event, so each change becomes its own fact
    version even when memory is ahead of learning."""
    return up_to(rows, message_id, lambda r: r["message_id"])


def messages_of(rows: Sequence[Row]) -> list[Message]:
    return [Message(direction=r["direction"], body=r["body"], id=r["message_id"],
                    sent_at=r["occurred_at"]) for r in rows]


def turns_of(rows: Sequence[Row]) -> list[Turn]:
    return [Turn(r["direction"], r["body"], r["occurred_at"], r["channel"]) for r in rows]


def clock(occurred_at: datetime, rows: Sequence[Row]) -> datetime:
    """The extraction's "now": the event's time, or the last message's when that is later."""
    last: datetime = rows[-1]["occurred_at"]
    return max(occurred_at, last)


def conversation(rows: Sequence[Row], areas: Sequence[Area],
                 occurred_at: datetime) -> Conversation:
    """What extraction and assessment need of `rows` (non-empty, already `as_of`)."""
    return Conversation(messages_of(rows), turns_of(rows), bool(rows[0]["appointment"]),
                        list(areas), clock(occurred_at, rows))


def fact_sources(sources: Mapping[str, int],
                 messages: Sequence[Message]) -> dict[str, str | None]:
    """Each field's source message id, from the extractor's message indexes (an index past
    the conversation names no message)."""
    return {f: messages[i].id for f, i in sources.items() if i < len(messages)}


def fact_confidence(changed: Collection[str], from_claude: Collection[str]
                    ) -> dict[str, float]:
    """Each changed field's confidence: lower for a field Claude filled."""
    return {f: claude_extract.CLAUDE_CONFIDENCE if f in from_claude
            else claude_extract.DETERMINISTIC_CONFIDENCE for f in changed}


def profile_part(tenant: str, contact: str, spec: dict[str, Any], result: Assessment,
                 version: int) -> ProfilePart:
    """The profile part to cache, at the version the upsert gave it."""
    return ProfilePart(tenant_id=tenant, contact_id=contact, profile=spec, score=result.score,
                       score_reasons=result.score_reasons, qualification=result.qualification,
                       next_questions=result.next_questions, version=version)
