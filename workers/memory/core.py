"""What the memory worker decides, over plain data (no I/O).

The worker and `store` read what they need, ask these functions and write what they say:
the row a message becomes (`NewMessage`), what a contact update changed (`contact_changes`),
the summary after a message leaves the recent window (`next_summary`), which events and
leads a group touches, which leads to forget, and the `memory.updated` each event produces
(`*_result`), whose id is derived from its input so a redelivery yields the same result.
Like `echo`, nothing here touches Postgres, Redis or Kafka, so it is tested as tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from schemas.context import MemoryPart, ProfilePart
from schemas.envelope import Envelope, derive_event_id
from schemas.events import (
    ContactChanged,
    ContactDeleted,
    ContactSnapshot,
    LeadActivityRecorded,
    MemoryUpdated,
    MessageIngested,
    ReplyDelivered,
)
from workers.consent import optout, timing
from workers.consent.engagement import reengages
from workers.consent.quoting import lead_words
from workers.consent_ledger import entries as ledger
from workers.memory import echo, summary
from workers.timers.core import LeadEvent

CONSUMER = "memory"
MemoryInput = MessageIngested | ContactChanged | ContactDeleted | LeadActivityRecorded | \
    ReplyDelivered
E = TypeVar("E", bound=Envelope)
T = TypeVar("T")
Result = dict[str, Any]  # a `memory.updated` as the processed-events ledger records it


@dataclass(frozen=True)
class NewMessage:
    """One `messages` row to insert (the columns of `store._INSERT_MESSAGE`, in order)."""

    tenant: str
    event_id: str
    message_id: str | None
    contact: str
    conversation_id: str | None
    direction: str
    channel: str
    sender: str
    body: str
    user_id: str | None
    source: str | None
    reply_key: str | None
    at: datetime


def ingested_message(ev: MessageIngested, verdict: echo.Verdict) -> NewMessage:
    """The row of a conversation message `echo.classify` said to store (sender and reply
    link as the verdict has them)."""
    assert ev.contact_id is not None
    return NewMessage(ev.tenant_id, ev.event_id, ev.message_id, ev.contact_id,
                      ev.conversation_id, ev.direction, ev.channel, verdict.sender, ev.body,
                      ev.user_id, ev.source, verdict.reply_key, ev.occurred_at)


def delivered_message(ev: ReplyDelivered) -> NewMessage:
    """The row of our delivered reply: the AI's outbound message under GHL's id, linked to
    the reply."""
    assert ev.contact_id is not None
    return NewMessage(ev.tenant_id, ev.event_id, ev.ghl_message_id, ev.contact_id,
                      ev.conversation_id, "outbound", ev.channel, "ai", ev.body, None,
                      "leadmem", ev.idempotency_key, ev.occurred_at)


def conversation_of(msg: NewMessage) -> tuple[str, str, str | None] | None:
    """The conversation row a message keeps (id, channel, user), if it names one."""
    return (msg.conversation_id, msg.channel, msg.user_id) if msg.conversation_id else None


@dataclass(frozen=True)
class LeftWindow:
    """The message that just left the recent window (what the summary folds in)."""

    sender: str
    body: str
    at: datetime


def next_summary(current: str | None, left: LeftWindow | None) -> str:
    """The contact's summary once `left` (None: no message left the window) is folded in."""
    if left is None:
        return current or ""
    return summary.fold(current or "", left.sender, left.body, left.at)


@dataclass(frozen=True)
class HeldContact:
    """What the memory holds of a contact before GHL's new description is applied."""

    tags: Sequence[str]
    dnd: bool
    dnd_channels: Mapping[str, Any]
    changed_at: datetime | None = None  # GHL's change time of the state applied last
    phone: str | None = None
    email: str | None = None


def is_stale(held: HeldContact | None, changed_at: datetime | None) -> bool:
    """An older state than the one applied (a late retry, a DLQ replay): it changes nothing."""
    return (held is not None and held.changed_at is not None and changed_at is not None
            and changed_at < held.changed_at)


@dataclass(frozen=True)
class MergedDnd:
    dnd: bool
    channels: dict[str, str]


def merged_dnd(held: HeldContact | None, new: ContactSnapshot) -> MergedDnd:
    """GHL's DND after `new`: what it mentions replaces, per channel; what it does not
    mention stays as held (a tag update without `dndSettings` says nothing about DND)."""
    channels = {str(k): str(v) for k, v in (held.dnd_channels if held else {}).items()}
    channels.update(new.dnd_channels or {})
    dnd = new.dnd if new.dnd is not None else (held.dnd if held is not None else False)
    return MergedDnd(bool(dnd), channels)


def dnd_entries(event: ContactChanged, held: HeldContact | None) -> list[ledger.Entry]:
    """The ledger's DND entries for a (not stale) contact state: each scope it changes."""
    before = ledger.dnd_scopes(held.dnd, held.dnd_channels) if held is not None else {}
    current = ledger.Consent(dnd=frozenset(s for s, on in before.items() if on))
    return ledger.from_dnd(said=ledger.dnd_scopes(event.contact.dnd, event.contact.dnd_channels),
                           current=current, event_ref=event.event_id,
                           at=event.changed_at or event.occurred_at)


@dataclass(frozen=True)
class ConsentReading:
    """What an inbound message of the lead's says of consent, in its own words (quoted text
    removed): an opt-out signal, whether it clearly re-engages, and what it asks of when we
    write (a pause, its own hours, or their lift: `consent.timing`)."""

    signal: str | None
    reengages: bool
    asks: tuple[timing.Request, ...] = field(default=())

    @property
    def needs_state(self) -> bool:
        """Its entries depend on the consent in force (a resubscribe, a re-engagement, a
        lift of the lead's pause or hours)."""
        return (self.signal == "resubscribe" or self.reengages
                or any(isinstance(r, timing.Resume) for r in self.asks))

    @property
    def needs_zones(self) -> bool:
        """A pause is placed in time on the lead's clock: its zones are read first."""
        return any(isinstance(r, timing.Wait) for r in self.asks)


def consent_reading(body: str, channel: str) -> ConsentReading:
    """What a message of the lead's own says of consent (live, or imported from the legacy
    system): read in its own words, quoted text removed."""
    words = lead_words(body, channel)
    signal = optout.classify(words) if words.strip() else None
    if signal is None and words != body and optout.classify(body) == "opt_out":
        # Read whole, the message asks to stop, though not in what we took for the lead's own
        # words (a STOP written below a quote, or inside what looked like one): no automated
        # text until a person reads it.
        signal = "unsure"
    # asked of when only beside no signal or an unsure one: an opt-out or a resubscribe is
    # all a message records (`ledger.from_message`), so it is not read at all then
    asks = timing.read(words) if signal in (None, "unsure") and words.strip() else ()
    return ConsentReading(signal, signal is None and reengages(words), asks)


def timing_of(reading: ConsentReading, at: datetime,
              zones: Sequence[ZoneInfo]) -> ledger.Timing:
    """What the reading asks of when we write, placed in time for a message at `at` from a
    lead who may be in any of `zones`: the latest pause it asks for, the last hours it
    names, and whether it lifts both."""
    if not reading.asks:
        return ledger.NO_TIMING
    waits = [r for r in reading.asks if isinstance(r, timing.Wait)]
    hours = [r for r in reading.asks if isinstance(r, timing.Hours)]
    resume = any(isinstance(r, timing.Resume) for r in reading.asks)
    said = "; ".join(r.said for r in reading.asks)[:200]
    ends = [end for w in waits if (end := w.ends_after(at, zones)) is not None]
    return ledger.Timing(
        pause_until=max(ends, default=None),
        hours=str(hours[-1].hours) if hours else None, resume=resume and not waits,
        said=said)


def consent_entries(reading: ConsentReading, current: ledger.Consent, *, ref: str,
                    channel: str, at: datetime,
                    zones: Sequence[ZoneInfo] = ()) -> list[ledger.Entry]:
    """The ledger entries a reading records, given the consent in force before it (and,
    for a pause, every zone the lead may be in: none known, every US zone)."""
    return ledger.from_message(signal=reading.signal, reengages=reading.reengages,
                               current=current, message_ref=ref, channel=channel, at=at,
                               timing=timing_of(reading, at, zones))


@dataclass(frozen=True)
class ContactDiff:
    changes: list[str]  # the `memory.updated` changes: contact.<change>, tags, dnd
    added: list[str]  # tags gained, sorted
    removed: list[str]  # tags lost, sorted


def contact_changes(change: str, held: HeldContact | None,
                    new: ContactSnapshot) -> ContactDiff:
    """What GHL's description `new` changes of the contact held (None: no contact row yet,
    so every tag is added and the dnd settings count as changed)."""
    old_tags = set(held.tags) if held is not None else set()
    added, removed = sorted(set(new.tags) - old_tags), sorted(old_tags - set(new.tags))
    changes = [f"contact.{change}"]
    if added or removed:
        changes.append("tags")
    dnd = merged_dnd(held, new)
    if held is None or held.dnd != dnd.dnd or dict(held.dnd_channels) != dnd.channels:
        changes.append("dnd")
    return ContactDiff(changes, added, removed)


def up_to(items: Sequence[T], message_id: str | None,
          id_of: Callable[[T], str | None]) -> list[T]:
    """The conversation as of one message: `items` up to and including the one whose id is
    `message_id`; all of them when it is not among them, or when `message_id` is None (an
    event about no message must not stop at the first message stored without a GHL id)."""
    if message_id is not None:
        for i, item in enumerate(items):
            if id_of(item) == message_id:
                return list(items[:i + 1])
    return list(items)


def with_lead(events: Iterable[E]) -> list[E]:
    """The events about a lead: the others (no contact) leave the memory nothing to keep."""
    return [e for e in events if e.contact_id is not None]


def leads_of(events: Iterable[Envelope]) -> list[str]:
    """Each lead the events touch, once, in order of first appearance."""
    return list(dict.fromkeys(e.contact_id for e in events if e.contact_id is not None))


def to_forget(events: Iterable[Envelope],
              leads: Mapping[str, tuple[MemoryPart | None, ProfilePart]]) -> list[str]:
    """The deleted leads whose cached context must go: those not reloaded, then those
    reloaded and gone from Postgres (a lead deleted and back in the same group is kept)."""
    deleted = {e.contact_id for e in events
               if isinstance(e, ContactDeleted) and e.contact_id is not None}
    gone = [c for c, (memory, _) in leads.items() if memory is None and c in deleted]
    return [*(deleted - leads.keys()), *gone]


def to_cache(leads: Mapping[str, tuple[MemoryPart | None, ProfilePart]]
             ) -> list[tuple[MemoryPart, ProfilePart]]:
    """The leads to write through to the cache: every one Postgres still holds."""
    return [(memory, profile) for memory, profile in leads.values() if memory is not None]


def reply_needed(direction: str, sender: str) -> bool:
    """Only the lead's own inbound message awaits a reply."""
    return direction == "inbound" and sender == "lead"


def timer_event(event: MessageIngested, stored: bool, takeover: bool) -> LeadEvent | None:
    """What a stored message does to the lead's timers (`workers.timers`): the lead wrote
    (a first touch not yet sent is cancelled: the normal reply answers), or a person took
    over the conversation; None: nothing (a duplicate, our own reply's echo)."""
    if not stored:
        return None
    if reply_needed(event.direction, event.sender):
        return LeadEvent("inbound", event.occurred_at, event.message_id or event.event_id)
    if takeover:
        return LeadEvent("takeover", event.occurred_at, event.message_id or event.event_id)
    return None


def first_touch_candidate(event: ContactChanged) -> bool:
    """A contact GHL just created, with a source: it may get a first touch (whether its
    tenant lists that source is `workers.timers.core.wants_first_touch`)."""
    return event.change == "create" and bool(event.contact.source)


def message_changes(direction: str, takeover: bool) -> list[str]:
    return [f"message.{direction}"] + (["human_takeover"] if takeover else [])


def updated(event: MemoryInput, changes: list[str], **fields: Any) -> Result:
    """The `memory.updated` of `event`; its id is derived from the event's, so processing
    the same event again yields the same result."""
    return MemoryUpdated(
        event_id=derive_event_id(event.tenant_id, CONSUMER, event.event_id),
        tenant_id=event.tenant_id, contact_id=event.contact_id,
        occurred_at=event.occurred_at, received_at=event.received_at,
        causation_id=event.event_id, changes=changes, **fields,
    ).model_dump(mode="json")


def deleted_result(event: ContactDeleted) -> Result:
    return updated(event, ["contact.deleted"], deleted=True)


def message_result(event: MessageIngested, stored: bool, takeover: bool) -> Result | None:
    """None for a message not stored (a duplicate, or the echo of our own reply)."""
    if not stored:
        return None
    return updated(event, message_changes(event.direction, takeover),
                   message_id=event.message_id, channel=event.channel,
                   reply_needed=reply_needed(event.direction, event.sender),
                   human_takeover=takeover)


def delivered_result(event: ReplyDelivered, gained: bool) -> Result | None:
    """None when the conversation gained no message (its echo was stored and relabelled)."""
    return updated(event, ["message.outbound"]) if gained else None


def contact_result(event: ContactChanged, changes: list[str]) -> Result:
    return updated(event, changes)


def activity_result(event: LeadActivityRecorded) -> Result:
    return updated(event, [f"activity.{event.kind}"])
