"""What to write back to GHL for one event (pure): the agent's view of what the pipeline knows.

- A hand-off (`agent.assist` reason handoff) becomes one GHL task on the contact, assigned to
  the contact's owner (or the tenant's default user), due now, with what the lead asked and a
  short summary of the lead.
- Coaching, takeovers, held and stale replies keep **one living note** per contact current:
  created once, then updated in place, at most once per `note_interval` (a hand-off updates it
  at once).
- A score change moves the score tag (`hot-lead` / `warm-lead` / `cold-lead`, names per
  tenant): the new one added, the old one removed, nothing when the score stayed.
- Mapped profile fields are written to the tenant's GHL custom fields when their value changed.

An opted-out lead gets nothing beyond what the agency needs to see: its note (which says so)
and its tags; no task, no profile fields. Each kind can be switched off per tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

Kind = Literal["task", "note_create", "note_update", "tags", "fields"]
DEFAULT_TAGS: Mapping[str, str] = {"hot": "hot-lead", "warm": "warm-lead", "cold": "cold-lead"}
NOTE_REASONS = frozenset({"coaching", "handoff", "human_takeover", "possible_opt_out",
                          "reply_stale", "reply_held"})
NOTE_LIMIT = 4000  # characters: a note an agent reads at a glance


@dataclass(frozen=True)
class CrmSettings:
    """A tenant's write-back switches and mappings (`tenant_settings.crm_*`)."""

    tasks: bool = True
    notes: bool = True
    tags: bool = True
    fields: bool = True
    tag_names: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TAGS))
    field_map: Mapping[str, str] = field(default_factory=dict)  # profile field -> GHL field id
    default_user: str | None = None


@dataclass(frozen=True)
class ContactState:
    """What was last written for this contact, and what the lead is now."""

    note_id: str | None = None
    note_in_doubt: bool = False  # a note creation may have gone out unrecorded
    note_updated_at: datetime | None = None
    score_tag: str | None = None  # the tag we last set
    fields: Mapping[str, Any] = field(default_factory=dict)  # GHL field id -> value written
    assigned_to: str | None = None
    opted_out: bool = False
    first_name: str | None = None
    summary: str = ""
    score: str | None = None
    score_reasons: tuple[str, ...] = ()
    next_questions: tuple[str, ...] = ()
    last_said: str = ""  # the lead's latest message


@dataclass(frozen=True)
class Write:
    kind: Kind
    key: str  # the intent's identity: at most once per key (tasks, note creation)
    body: dict[str, Any]
    note_id: str | None = None  # note_update: which note


@dataclass(frozen=True)
class Change:
    """An event as the planner needs it."""

    event_id: str
    contact_id: str
    at: datetime
    assist_reason: str | None = None  # agent.assist
    assist_note: str = ""
    score: str | None = None  # lead.profile.updated
    profile: Mapping[str, Any] = field(default_factory=dict)


def note_body(state: ContactState, last_change: str) -> str:
    """The living note: who the lead is now, the score and why, what is still unknown, and
    the last change. Rewritten whole on each update."""
    lines = ["AI lead memory (kept current by lead-memory; edits here are overwritten)"]
    if state.opted_out:
        lines.append("OPTED OUT of automated texts: no AI messages are sent to this lead.")
    if state.score:
        reasons = "; ".join(state.score_reasons[:5])
        lines.append(f"Score: {state.score.upper()}" + (f" ({reasons})" if reasons else ""))
    if state.summary:
        lines.append(f"Summary: {state.summary}")
    if state.next_questions:
        lines.append("Still unknown: " + " | ".join(state.next_questions[:4]))
    lines.append(f"Last change: {last_change}")
    text = "\n".join(lines)
    return text if len(text) <= NOTE_LIMIT else text[: NOTE_LIMIT - 1] + "…"


def _note(state: ContactState, settings: CrmSettings, change: Change, last_change: str,
          interval: timedelta, now: datetime, *, urgent: bool) -> list[Write]:
    if not settings.notes or state.note_in_doubt:
        return []
    body = {"body": note_body(state, last_change)}
    if state.note_id is None:
        return [Write("note_create", f"note:{change.contact_id}", body)]
    recent = state.note_updated_at is not None and now - state.note_updated_at < interval
    if recent and not urgent:
        return []
    return [Write("note_update", f"note:{change.contact_id}", body, note_id=state.note_id)]


def plan(change: Change, state: ContactState, settings: CrmSettings,
         note_interval: timedelta, now: datetime | None = None) -> list[Write]:
    """The writes one event calls for, in the order they should be made; `now` (default: the
    event's time) decides whether the note was updated too recently."""
    now = now or change.at
    writes: list[Write] = []
    if change.assist_reason is not None:
        reason = change.assist_reason
        if reason == "handoff" and settings.tasks and not state.opted_out:
            writes.append(Write("task", f"task:{change.event_id}", task_body(
                state, settings, change)))
        if reason in NOTE_REASONS:
            label = {"handoff": "asked for a person", "coaching": "coaching",
                     "human_takeover": "an agent took the conversation over",
                     "possible_opt_out": "may have asked to stop texts (no AI reply sent)",
                     "reply_stale": "an AI reply went stale and was not sent",
                     "reply_held": "an AI draft was held for review"}.get(reason, reason)
            detail = " ".join(change.assist_note.split())[:600]
            writes += _note(state, settings, change,
                            f"{change.at:%Y-%m-%d %H:%M} UTC, {label}: {detail}",
                            note_interval, now, urgent=reason == "handoff")
        return writes
    if change.score is not None and settings.tags:
        new = settings.tag_names.get(change.score)
        if new and new != state.score_tag:
            old = [t for t in settings.tag_names.values() if t != new]
            writes.append(Write("tags", f"tags:{change.event_id}", {"add": [new], "remove": old}))
    if settings.fields and settings.field_map and not state.opted_out:
        changed = {ghl_id: value for name, ghl_id in settings.field_map.items()
                   if (value := field_value(change.profile.get(name))) is not None
                   and state.fields.get(ghl_id) != value}
        if changed:
            writes.append(Write("fields", f"fields:{change.event_id}", {
                "customFields": [{"id": k, "field_value": v} for k, v in changed.items()]}))
    return writes


def field_value(value: Any) -> Any:
    """A profile value as a GHL custom field holds it (lists as comma-separated text)."""
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def task_body(state: ContactState, settings: CrmSettings, change: Change) -> dict[str, Any]:
    who = state.first_name or "The lead"
    said = " ".join(state.last_said.split())[:500]
    lines = [f"{who} asked to talk to a person" + (f': "{said}"' if said else ".")]
    if state.summary:
        lines.append(f"Summary: {state.summary[:800]}")
    coaching = " ".join(change.assist_note.split())[:1000]
    if coaching:
        lines.append(coaching)
    body = {
        "title": f"Call {who}: asked to talk to a person",
        "body": "\n".join(lines),
        "dueDate": change.at.isoformat().replace("+00:00", "Z"),
        "completed": False,
    }
    user = state.assigned_to or settings.default_user
    if user:
        body["assignedTo"] = user
    return body
