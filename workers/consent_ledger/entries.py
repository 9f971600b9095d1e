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

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> Entry:
        at = row["occurred_at"]
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        assert isinstance(at, datetime)
        ref = row.get("source_ref")
        via = row.get("via") or ()
        assert isinstance(via, list | tuple | frozenset | set)
        return cls(str(row["entry_id"]), Kind(str(row["kind"])), str(row["channel"]),
                   Source(str(row["source"])), at, str(ref) if ref is not None else None,
                   str(row.get("note") or ""), own=bool(row.get("own", True)),
                   via=frozenset(str(v) for v in via))

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

    def opted_out_of(self, channel: str) -> bool:
        return ALL in self.opted_out or channel in self.opted_out

    def dnd_on(self, channel: str) -> bool:
        return ALL in self.dnd or channel in self.dnd

    @property
    def any_opt_out(self) -> bool:
        return bool(self.opted_out)


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
    in_force = list(opted.values())
    return Consent(frozenset(opted), in_force[-1] if in_force else None, unsure,
                   frozenset(dnd), tuple(seen))


# --- what happens records what -----------------------------------------------------------

Signal = str  # "opt_out" | "resubscribe" | "unsure" (workers.consent.optout.Signal)


def from_message(*, signal: Signal | None, reengages: bool, current: Consent,
                 message_ref: str, channel: str, at: datetime) -> list[Entry]:
    """The entries one inbound message of the lead's records, given what its own words say
    (`signal`, read after quoted text is removed) and the consent in force before it."""
    def entry(kind: Kind, scope: str, note: str) -> Entry:
        return Entry(f"msg:{message_ref}:{kind}", kind, scope, Source.LEAD_MESSAGE, at,
                     message_ref, note)

    if signal == "opt_out":
        return [entry(Kind.OPTED_OUT, ALL, f"the lead's words on {channel}")]
    if signal == "resubscribe":
        if current.any_opt_out:
            return [entry(Kind.RESUBSCRIBED, ALL, f"a resubscribe keyword on {channel}")]
        return []
    if signal == "unsure":
        return [entry(Kind.UNSURE, ALL, "words that may ask to stop")]
    if reengages and current.unsure is not None and not current.any_opt_out:
        return [entry(Kind.CLEARED, ALL, "the lead re-engaged (a question about a property, "
                                          "a time or a price)")]
    return []


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
