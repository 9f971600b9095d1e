"""The memory shell's outside in memory: `MemoryWrites` (the ledger as a dict, every store
call journaled with canned answers) and `MemoryCache` (journaled; a failed write leaves a
lead dirty, as `ContextStore` does). What a statement would find in Postgres is set up by the
test (`outcomes`, `delivered`, `contact_changes`, `leads`); the fake decides nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from schemas.context import MemoryPart, ProfilePart
from schemas.events import ContactChanged, LeadActivityRecorded, MessageIngested, ReplyDelivered
from tests.unit.runtime.fake_store import Entry, FakeLedger
from workers.consent_ledger.addresses import AddressHasher
from workers.memory.ports import Leads
from workers.memory.store import MessageOutcome
from workers.timers.core import LeadEvent


class FakeMemory(FakeLedger):
    KEPT: ClassVar[tuple[str, ...]] = ("ledger",)

    def __init__(self, journal: list[Entry] | None = None) -> None:
        super().__init__(journal)
        self.outcomes: dict[str, MessageOutcome] = {}  # by event id; default: stored
        self.delivered: dict[str, bool] = {}  # by event id; default: the message was gained
        self.contact_changes: list[str] = ["contact.updated"]
        self.leads: dict[tuple[str, str], tuple[MemoryPart | None, ProfilePart]] = {}
        self.fail: dict[str, BaseException] = {}  # statement name -> error it raises

    def _call(self, *entry: object) -> None:
        self.note(*entry)
        if entry[0] in self.fail:
            raise self.fail[str(entry[0])]

    def lead(self, tenant: str, contact: str, **memory: object) -> MemoryPart:
        """A lead Postgres holds (what `load_leads` will answer for it)."""
        part = MemoryPart.model_validate({"tenant_id": tenant, "contact_id": contact, **memory})
        self.leads[(tenant, contact)] = (part, ProfilePart(tenant_id=tenant, contact_id=contact))
        return part

    async def ensure_contact(self, tenant: str, contact: str) -> None:
        self._call("ensure_contact", tenant, contact)

    async def forget_contact(self, tenant: str, contact: str) -> int:
        self._call("forget_contact", tenant, contact)
        return 3

    async def record_message(self, ev: MessageIngested, *, ensure_contact: bool,
                             hasher: AddressHasher) -> MessageOutcome:
        self._call("record_message", ev.tenant_id, ev.event_id, ensure_contact)
        return self.outcomes.get(ev.event_id, MessageOutcome(True))

    async def record_delivered(self, ev: ReplyDelivered) -> bool:
        self._call("record_delivered", ev.tenant_id, ev.event_id)
        return self.delivered.get(ev.event_id, True)

    async def upsert_contact(self, ev: ContactChanged, hasher: AddressHasher) -> list[str]:
        self._call("upsert_contact", ev.tenant_id, ev.event_id)
        return list(self.contact_changes)

    async def record_activity(self, ev: LeadActivityRecorded) -> None:
        self._call("record_activity", ev.tenant_id, ev.event_id)

    async def first_touch(self, ev: ContactChanged) -> bool:
        self._call("first_touch", ev.tenant_id, ev.event_id)
        return True

    async def timer_event(self, tenant: str, contact: str, event: LeadEvent) -> None:
        self._call("timer_event", tenant, contact, event.kind)

    async def appointment(self, ev: LeadActivityRecorded) -> None:
        self._call("appointment", ev.tenant_id, ev.event_id)

    async def follow_up(self, ev: ReplyDelivered) -> bool:
        self._call("follow_up", ev.tenant_id, ev.event_id)
        return True

    async def load_leads(self, tenant: str, contacts: Sequence[str]) -> Leads:
        self._call("load_leads", tenant, tuple(contacts))
        return {c: self.leads.get((tenant, c), (None, ProfilePart(tenant_id=tenant,
                                                                   contact_id=c)))
                for c in contacts}


class FakeCache:
    """`MemoryCache`: journals each call; `down` makes writes fail (the leads turn dirty)
    and `heal` find Redis still away."""

    def __init__(self, journal: list[Entry]) -> None:
        self.journal = journal
        self.down = False
        self.stale: set[tuple[str, str]] = set()
        self.written: list[tuple[MemoryPart, ProfilePart]] = []

    @property
    def dirty(self) -> int:
        return len(self.stale)

    async def heal(self) -> int:
        self.journal.append(("cache.heal", len(self.stale)))
        if self.down:
            return 0
        healed, self.stale = len(self.stale), set()
        return healed

    async def forget(self, tenant: str, contact: str) -> None:
        self.journal.append(("cache.forget", tenant, contact))
        if self.down:
            self.stale.add((tenant, contact))

    async def write_through(self, leads: Sequence[tuple[MemoryPart, ProfilePart]]) -> bool:
        self.journal.append(("cache.write_through",
                             tuple((m.tenant_id, m.contact_id) for m, _ in leads)))
        if self.down:
            self.stale.update((m.tenant_id, m.contact_id) for m, _ in leads)
            return False
        self.written += leads
        return True
