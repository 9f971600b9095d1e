"""The consent ledger as data (pure, stdlib only): what an entry is, how a lead's entries fold
into its current consent, and which entries a lead's message or GHL's contact state records.

A lead's consent is the fold of its entries in the order they happened (`occurred_at`, then
the order they were recorded), never a reading of its message history:

    kind          scope     set by                                   lifted by
    opted_out     channel   the lead's words (all channels), an      resubscribed (same scope,
                  or all    agent or operator                        or all)
    unsure        contact   words that may be an opt-out (wrong      cleared: a person, or the
                            number, never asked...)                  lead clearly re-engaging
    dnd_on        channel   GHL's DND (`all`: the global flag)       dnd_off from GHL
                  or all
    paused        contact   the lead asking us to wait ("not until   resumed: the lead
                            after the holidays"); `until` it ends    re-engaging or saying
                                                                     so; a newer pause
    hours         contact   the lead's own hours ("no texts after    a newer `hours` (empty:
                            8pm", "not on sundays"): `hours`         none, "text me anytime")

Only a fresh inbound message of the lead's, read after quoted text is removed, whose content
is a resubscribe keyword lifts an opt-out (`workers.consent.optout` decides that); GHL's DND
and our own words never do. Entry ids derive from their source, so recording the same
message or webhook again adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from workers.consent_ledger.addresses import REACHES

ALL = "all"  # a scope covering every channel


class Kind(StrEnum):
    OPTED_OUT = "opted_out"
    RESUBSCRIBED = "resubscribed"
    UNSURE = "unsure"
    CLEARED = "cleared"
    DND_ON = "dnd_on"
    DND_OFF = "dnd_off"
    PAUSED = "paused"
    RESUMED = "resumed"
    HOURS = "hours"


class Source(StrEnum):
    LEAD_MESSAGE = "lead_message"  # source_ref: the message's GHL id (or event id)
    GHL = "ghl"  # GHL's DND state; source_ref: the webhook's event id
    AGENT = "agent"  # an agent (the console, later); source_ref: who
    OPERATOR = "operator"  # `leadmem consent set`; source_ref: who


@dataclass(frozen=True)
class Entry:
    """One row of `consent_events`."""

    entry_id: str
    kind: Kind
    channel: str  # a channel, or ALL
    source: Source
    occurred_at: datetime
    source_ref: str | None = None
    note: str = ""
    # Read for a lead: False when the row bears on it only through a shared address
    # (another contact's row, or a forgotten contact's), with the kinds of address shared
    # (`addresses.REACHES`: "p" phone, "e" email); its scope narrows to what they reach.
    own: bool = True
    via: frozenset[str] = frozenset()
    until: datetime | None = None  # paused: when the pause ends
    hours: str = ""  # hours: the lead's own hours (`quiet.LeadHours` text; "": none)

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> Entry:
        at = row["occurred_at"]
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        assert isinstance(at, datetime)
        ref = row.get("source_ref")
        via = row.get("via") or ()
        assert isinstance(via, list | tuple | frozenset | set)
        until = row.get("until")
        if isinstance(until, str):
            until = datetime.fromisoformat(until)
        assert until is None or isinstance(until, datetime)
        return cls(str(row["entry_id"]), Kind(str(row["kind"])), str(row["channel"]),
                   Source(str(row["source"])), at, str(ref) if ref is not None else None,
                   str(row.get("note") or ""), own=bool(row.get("own", True)),
                   via=frozenset(str(v) for v in via), until=until,
                   hours=str(row.get("hours") or ""))

    def scopes(self) -> frozenset[str]:
        """The channels (or ALL) this entry covers for the lead it was read for: its own
        scope, or, through a shared address, the channels that address reaches."""
        if self.own:
            return frozenset({self.channel})
        reach = frozenset().union(*(REACHES.get(v, frozenset()) for v in self.via))
        return reach if self.channel == ALL else reach & {self.channel}


@dataclass(frozen=True)
class Consent:
    """A lead's consent now: the fold of its ledger entries."""

    opted_out: frozenset[str] = frozenset()  # scopes opted out (ALL or channels)
    opt_out: Entry | None = None  # the latest opt-out still in force (of any scope)
    unsure: Entry | None = None  # the unsure entry in force, if any
    dnd: frozenset[str] = frozenset()  # channels with DND on (ALL: GHL's global flag)
    entries: tuple[Entry, ...] = field(default=(), repr=False)
    pause: Entry | None = None  # the lead's latest pause, unless lifted (it may have ended)
    hours: str = ""  # the lead's own hours in force (`quiet.LeadHours` text; "": none)

    def opted_out_of(self, channel: str) -> bool:
        return ALL in self.opted_out or channel in self.opted_out

    def dnd_on(self, channel: str) -> bool:
        return ALL in self.dnd or channel in self.dnd

    @property
    def any_opt_out(self) -> bool:
        return bool(self.opted_out)

    def paused_until(self, now: datetime) -> datetime | None:
        """When the lead's pause ends, while it is in force at `now`; else None."""
        p = self.pause
        return p.until if p is not None and p.until is not None and p.until > now else None


NONE = Consent()


def order(entries: Iterable[Entry]) -> list[Entry]:
    """The order things happened in (the ledger's reads return rows already so; a stable
    sort keeps the recording order of entries at the same moment)."""
    return sorted(entries, key=lambda e: e.occurred_at)


def fold(entries: Iterable[Entry]) -> Consent:
    """The current consent from a lead's entries, given in the order they happened."""
    opted: dict[str, Entry] = {}  # scope -> the opt-out that set it
    unsure: Entry | None = None
    dnd: set[str] = set()
    pause: Entry | None = None
    hours = ""
    seen: list[Entry] = []
    for e in entries:
        seen.append(e)
        scopes = e.scopes()
        if e.kind is Kind.OPTED_OUT:
            for scope in scopes:
                opted.pop(scope, None)
                opted[scope] = e  # the latest last
        elif e.kind is Kind.RESUBSCRIBED:
            if ALL in scopes:
                opted.clear()
            for scope in scopes:
                opted.pop(scope, None)  # an opt-out of ALL stays: the stricter reading
        elif e.kind is Kind.UNSURE and e.own:
            unsure = e  # a person decides about this lead; another contact's is theirs
        elif e.kind is Kind.CLEARED and e.own:
            unsure = None
        elif e.kind is Kind.DND_ON:
            dnd.update(scopes)
        elif e.kind is Kind.DND_OFF:
            dnd.difference_update(scopes)
        elif e.kind is Kind.PAUSED and scopes:
            pause = e  # the lead's latest word on when wins, shorter or longer
        elif e.kind is Kind.RESUMED and e.own:
            pause = None
        elif e.kind is Kind.HOURS and scopes:
            hours = e.hours
    in_force = list(opted.values())
    return Consent(frozenset(opted), in_force[-1] if in_force else None, unsure,
                   frozenset(dnd), tuple(seen), pause, hours)


# --- what happens records what -----------------------------------------------------------

Signal = str  # "opt_out" | "resubscribe" | "unsure" (workers.consent.optout.Signal)


@dataclass(frozen=True)
class Timing:
    """What a message's own words ask of *when* we contact the lead (`consent.timing`,
    placed in time): a pause until a moment, standing hours, or the lift of both."""

    pause_until: datetime | None = None
    hours: str | None = None  # the hours' text form
    resume: bool = False
    said: str = ""  # the words, for people reading the ledger

    @property
    def asks(self) -> bool:
        return self.pause_until is not None or self.hours is not None or self.resume


NO_TIMING = Timing()


def from_message(*, signal: Signal | None, reengages: bool, current: Consent,
                 message_ref: str, channel: str, at: datetime,
                 timing: Timing = NO_TIMING) -> list[Entry]:
    """The entries one inbound message of the lead's records, given what its own words say
    (`signal` and `timing`, read after quoted text is removed) and the consent in force
    before it. An opt-out or a resubscribe is all a message records; a request about when
    stands beside an unsure reading; re-engaging lifts an unsure reading and a pause."""
    def entry(kind: Kind, scope: str, note: str, *, until: datetime | None = None,
              hours: str = "") -> Entry:
        return Entry(f"msg:{message_ref}:{kind}", kind, scope, Source.LEAD_MESSAGE, at,
                     message_ref, note, until=until, hours=hours)

    if signal == "opt_out":
        return [entry(Kind.OPTED_OUT, ALL, f"the lead's words on {channel}")]
    if signal == "resubscribe":
        if current.any_opt_out:
            return [entry(Kind.RESUBSCRIBED, ALL, f"a resubscribe keyword on {channel}")]
        return []
    out: list[Entry] = []
    if signal == "unsure":
        out.append(entry(Kind.UNSURE, ALL, "words that may ask to stop"))
    said = f": {timing.said!r}" if timing.said else ""
    if timing.pause_until is not None:
        out.append(entry(Kind.PAUSED, ALL, f"the lead asked us to wait{said}",
                         until=timing.pause_until))
    if timing.hours is not None:
        out.append(entry(Kind.HOURS, ALL, f"the lead's own hours{said}", hours=timing.hours))
    if timing.resume:
        if current.paused_until(at) is not None:
            out.append(entry(Kind.RESUMED, ALL, f"the lead said we may write again{said}"))
        if current.hours:
            out.append(entry(Kind.HOURS, ALL, f"the lead lifted its own hours{said}"))
    if signal is None and reengages and not timing.asks:
        why = "the lead re-engaged (a question about a property, a time or a price)"
        if current.unsure is not None and not current.any_opt_out:
            out.append(entry(Kind.CLEARED, ALL, why))
        if current.paused_until(at) is not None:
            out.append(entry(Kind.RESUMED, ALL, why))
    return out


def dnd_scopes(dnd: bool | None, channels: Mapping[str, str] | None) -> dict[str, bool]:
    """What a GHL contact state says of DND, per scope (ALL: the global flag); a field it
    does not mention says nothing (absent from the result)."""
    said: dict[str, bool] = {}
    if dnd is not None:
        said[ALL] = bool(dnd)
    for name, status in (channels or {}).items():
        said[name.lower()] = str(status).lower() in ("active", "permanent")
    return said


def from_dnd(*, said: Mapping[str, bool], current: Consent, event_ref: str,
             at: datetime) -> list[Entry]:
    """The DND entries a GHL contact state (newer than any applied before) records: one per
    scope whose state it changes."""
    out: list[Entry] = []
    for scope, on in sorted(said.items()):
        if on != (scope in current.dnd):
            kind = Kind.DND_ON if on else Kind.DND_OFF
            out.append(Entry(f"ghl:{event_ref}:{scope}:{kind}", kind, scope, Source.GHL, at,
                             event_ref, "GHL's DND"))
    return out


def manual(*, kind: Kind, channel: str, source: Source, who: str, at: datetime,
           note: str = "") -> Entry:
    """An entry a person records (`leadmem consent set`, later the console)."""
    return Entry(f"{source}:{who}:{kind}:{channel}:{at.isoformat()}", kind, channel, source,
                 at, who, note)
