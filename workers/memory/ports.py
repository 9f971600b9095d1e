"""What the memory shell needs from outside, as Protocols: the statements of its tenant
transaction (`MemoryWrites`: `store`'s functions less the connection, plus the idempotency
ledger; the real one is `worker.PostgresMemory`) and the working-context cache it writes
through after the commit (`MemoryCache`; the real one is `context.ContextStore`). The unit
tests fake both (`tests/unit/memory/fake_memory.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from schemas.context import MemoryPart, ProfilePart
from schemas.events import ContactChanged, LeadActivityRecorded, MessageIngested, ReplyDelivered
from workers.consent_ledger.addresses import AddressHasher
from workers.memory.store import MessageOutcome
from workers.runtime.processed import Ledger
from workers.timers.core import LeadEvent

Leads = dict[str, tuple[MemoryPart | None, ProfilePart]]  # contact -> (memory, profile)


class MemoryWrites(Ledger, Protocol):
    async def ensure_contact(self, tenant: str, contact: str) -> None:
        """The contact's row, created on first sight (the tenant's row exists)."""

    async def forget_contact(self, tenant: str, contact: str) -> int: ...

    async def record_message(self, ev: MessageIngested, *, ensure_contact: bool,
                             hasher: AddressHasher) -> MessageOutcome: ...

    async def record_delivered(self, ev: ReplyDelivered) -> bool: ...

    async def upsert_contact(self, ev: ContactChanged, hasher: AddressHasher) -> list[str]: ...

    async def record_activity(self, ev: LeadActivityRecorded) -> None: ...

    async def first_touch(self, ev: ContactChanged) -> bool:
        """Schedule the new contact's first touch when its tenant is live and lists its
        source (`workers.timers`); True when scheduled."""

    async def timer_event(self, tenant: str, contact: str, event: LeadEvent) -> None:
        """Cancel or move the lead's timers as `event` says (`workers.timers`)."""

    async def appointment(self, ev: LeadActivityRecorded) -> None:
        """An appointment GHL reports: stored (`workers.booking`); a booked one ends the
        lead's follow-ups, a cancelled one restarts them."""

    async def follow_up(self, ev: ReplyDelivered) -> bool:
        """Our text reached the lead: the timer that fired it is done, and the lead's next
        follow-up is scheduled when its tenant has a cadence (`workers.timers.follow_ups`);
        True when scheduled."""

    async def load_leads(self, tenant: str, contacts: Sequence[str]) -> Leads:
        """Each contact's (memory, profile) as Postgres holds them now (memory None: no such
        contact), in one round trip."""


class MemoryCache(Protocol):
    @property
    def dirty(self) -> int:
        """How many leads' cached context a failed write left behind (for `heal`)."""

    async def heal(self) -> int: ...

    async def forget(self, tenant: str, contact: str) -> None: ...

    async def write_through(self, leads: Sequence[tuple[MemoryPart, ProfilePart]]) -> bool: ...
