"""What to write back to GHL for one event (pure): the agent's view of what the pipeline knows.

- A hand-off (`agent.assist` reason handoff) becomes one GHL task on the contact, assigned to
  the contact's owner (or the tenant's default user), due now, with what the lead asked and a
  short summary of the lead.
- A reply GHL may or may not have sent (`agent.assist` reason reply_in_doubt) becomes one
  task as well: the agent checks the conversation (we never send it again).
- Coaching, takeovers, held and stale replies keep **one living note** per contact current:
  created once, then updated in place, at most once per `note_interval` (a hand-off updates it
  at once).
- A score change moves the score tag (`hot-lead` / `warm-lead` / `cold-lead`, names per
  tenant): the new one added, the old one removed, nothing when the score stayed.
- Mapped profile fields are written to the tenant's GHL custom fields when their value changed.
- An opt-out in the lead's own words (the consent ledger's opt-out in force, source
  `lead_message`) reaches GHL once per ledger entry: DND on each GHL channel it covers (an
  opt-out of `all`: SMS, Email, WhatsApp, GMB, FB and Call, since a STOP in words revokes
  automated contact of every kind), skipping those the ledger already shows DND on, and the
  tenant's opted-out tag (`crm_opted_out_tag`; empty: none). Opt-outs an agent or operator
  recorded change nothing in GHL: they may mean less than GHL's DND (which blocks the agents'
  own messages too).

An opted-out lead (any opt-out in force, any source) gets nothing beyond what the agency needs
to see: its note (which says so) and the opt-out above; no task, no score tag (the one we set
before is removed, so nurture workflows keyed on it stop), no profile fields. Each kind can be
switched off per tenant; the opt-out's DND and the removal of our score tag cannot.

Only a live tenant is written back to: none of this for a location that uninstalled the app
(its write-backs stop at once, whatever was planned before), or that installed it and is not
live yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from workers.consent_ledger import ALL, Entry, Source
from workers.consent_ledger import Kind as EntryKind
from workers.tenants import TenantSettings
from workers.tenants.model import DEFAULT_OPTED_OUT_TAG, DEFAULT_TAGS

Kind = Literal["task", "note_create", "note_update", "tags", "fields", "opt_out"]
# The ledger's channel names (lower case) -> GHL's `dndSettings` keys, in the order written.
DND_CHANNELS: Mapping[str, str] = {"sms": "SMS", "email": "Email", "whatsapp": "WhatsApp",
                                   "gmb": "GMB", "fb": "FB", "call": "Call"}
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
    opted_out_tag: str = DEFAULT_OPTED_OUT_TAG  # "" : no tag
    # A live tenant (`TenantSettings.live`): nothing at all is written back for a location
    # that uninstalled the app, installed it and is not live yet, or is no tenant.
    active: bool = True

    @classmethod
    def of(cls, settings: TenantSettings) -> CrmSettings:
        """The CRM's slice of the tenant's settings (`workers.tenants`)."""
        return cls(active=settings.live, tasks=settings.crm_tasks, notes=settings.crm_notes,
                   tags=settings.crm_tags, fields=settings.crm_fields,
                   tag_names=settings.crm_tag_names, field_map=settings.crm_custom_fields,
                   default_user=settings.crm_default_user,
                   opted_out_tag=settings.crm_opted_out_tag)


@dataclass(frozen=True)
class ContactState:
    """What was last written for this contact, and what the lead is now."""

    note_id: str | None = None
    note_in_doubt: bool = False  # a note creation may have gone out unrecorded
    note_updated_at: datetime | None = None
    score_tag: str | None = None  # the tag we last set
    fields: Mapping[str, Any] = field(default_factory=dict)  # GHL field id -> value written
    assigned_to: str | None = None
    opted_out: bool = False  # an opt-out in force in the consent ledger (any source)
    opt_out_entry: str | None = None  # the lead's own opt-out in force (`lead_opt_out`)
    opt_out_at: datetime | None = None  # when the lead said it
    opt_out_scope: str = ALL  # what it covers ("all" or a channel)
    opt_out_written: bool = False  # its write-back was made ('done' in crm_writes)
    dnd_on: frozenset[str] = frozenset()  # scopes the ledger shows GHL's DND on ("all": global)
    first_name: str | None = None
    summary: str = ""
    score: str | None = None
    score_reasons: tuple[str, ...] = ()
    next_questions: tuple[str, ...] = ()
    last_said: str = ""  # the lead's latest message
    follow_up: str | None = None  # "Next follow-up: ..." / "Follow-ups: stopped (...)"
    paused_until: datetime | None = None  # the lead asked us to wait until then
    own_hours: str = ""  # the lead's own hours (`quiet.LeadHours` text)


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
    if state.paused_until is not None:
        lines.append(f"The lead asked us to wait: no AI texts until "
                     f"{state.paused_until:%Y-%m-%d %H:%M} UTC.")
    if state.own_hours:
        lines.append(f"The lead's own hours: no AI texts {state.own_hours} (its clock).")
    if state.follow_up:
        lines.append(state.follow_up)
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


def opt_out_key(contact_id: str, entry_id: str) -> str:
    """The opt-out write-back's intent key: per contact (a ledger entry can bear on several
    contacts sharing a phone or email) and per entry."""
    return f"optout:{contact_id}:{entry_id}"


def lead_opt_out(entries: Iterable[Entry]) -> Entry | None:
    """The lead's own opt-out still in force (the latest in its own words, not another
    contact's on a shared address; not lifted by a
    resubscribe of its scope or of all), given a lead's ledger entries in order; an opt-out an
    agent or operator recorded after it does not hide it."""
    found: Entry | None = None
    for e in entries:
        if e.kind is EntryKind.OPTED_OUT and e.source is Source.LEAD_MESSAGE and e.own:
            found = e
        elif (e.kind is EntryKind.RESUBSCRIBED and found is not None
              and e.channel in (ALL, found.channel)):
            found = None
    return found


def dnd_channels(state: ContactState) -> list[str]:
    """The GHL channels the lead's opt-out covers whose DND the ledger does not show on."""
    if ALL in state.dnd_on:
        return []
    covered = DND_CHANNELS if state.opt_out_scope == ALL else {
        k: v for k, v in DND_CHANNELS.items() if k == state.opt_out_scope}
    return [ghl for ours, ghl in covered.items() if ours not in state.dnd_on]


def opt_out_writes(change: Change, state: ContactState, settings: CrmSettings) -> list[Write]:
    """What an opt-out in force asks of GHL (any event: they follow the state, not the event):
    the lead's own opt-out once per entry (DND, the opted-out tag), and our score tag gone."""
    if not state.opted_out:
        return []
    writes: list[Write] = []
    if state.opt_out_entry and not state.opt_out_written:
        body: dict[str, Any] = {}
        channels = dnd_channels(state)
        if channels:
            at = state.opt_out_at or change.at
            message = f"Opted out by reply: {at:%Y-%m-%d}"
            body["dndSettings"] = {c: {"status": "active", "message": message}
                                   for c in channels}
        if settings.opted_out_tag:
            body["tags"] = [settings.opted_out_tag]
        if body:
            writes.append(Write("opt_out", opt_out_key(change.contact_id, state.opt_out_entry),
                                body))
    if state.score_tag and state.score_tag != settings.opted_out_tag:
        writes.append(Write("tags", f"tags:{change.event_id}",
                            {"add": [], "remove": [state.score_tag]}))
    return writes


def plan(change: Change, state: ContactState, settings: CrmSettings,
         note_interval: timedelta, now: datetime | None = None) -> list[Write]:
    """The writes one event calls for, in the order they should be made; `now` (default: the
    event's time) decides whether the note was updated too recently."""
    if not settings.active:  # uninstalled, not live yet, or no tenant: no call at all
        return []
    now = now or change.at
    writes = opt_out_writes(change, state, settings)
    if change.assist_reason is not None:
        reason = change.assist_reason
        if reason in TASK_REASONS and settings.tasks and not state.opted_out:
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
    if change.score is not None and settings.tags and not state.opted_out:
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


# What a person must act on: a hand-off, and a message that may ask to stop (no automated
# text goes to the lead until someone decides: `leadmem consent set ... cleared|opted-out`).
TASK_REASONS = {
    "handoff": ("Call {who}: asked to talk to a person", "{who} asked to talk to a person"),
    "possible_opt_out": ("Check {who}'s consent: may have asked to stop texts",
                         "{who} may have asked to stop automated texts, so none are sent "
                         "until a person decides. Read the message, then record the "
                         "answer (opted out, or cleared to continue)"),
    # A reply GHL may or may not have sent (`workers.ghl.outcome`): never sent again by us.
    "reply_in_doubt": ("Check that {who} got the AI reply: GHL gave no clear answer",
                       "An AI reply to {who} may or may not have been sent (GHL's answer "
                       "proved nothing), so it is not sent again: look at the conversation "
                       "and send it yourself if it is missing. It answered"),
}


def task_body(state: ContactState, settings: CrmSettings, change: Change) -> dict[str, Any]:
    who = state.first_name or "The lead"
    said = " ".join(state.last_said.split())[:500]
    title, opening = TASK_REASONS.get(change.assist_reason or "handoff",
                                      TASK_REASONS["handoff"])
    lines = [opening.format(who=who) + (f': "{said}"' if said else ".")]
    if state.summary:
        lines.append(f"Summary: {state.summary[:800]}")
    coaching = " ".join(change.assist_note.split())[:1000]
    if coaching:
        lines.append(coaching)
    body = {
        "title": title.format(who=who),
        "body": "\n".join(lines),
        "dueDate": change.at.isoformat().replace("+00:00", "Z"),
        "completed": False,
    }
    user = state.assigned_to or settings.default_user
    if user:
        body["assignedTo"] = user
    return body
