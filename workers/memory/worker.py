"""The memory worker: consumes `conversation.events` and `replies.delivered`, publishes
`memory.updated`.

Per event, in one tenant transaction (one per tenant group of a batch, see `runtime.groups`):
skip if already processed (re-publishing what it produced the first time), else persist the
change and record the result; after commit, write the lead's memory through to Redis and
publish `memory.updated` (what changed, and whether an inbound lead message awaits a reply).

A new contact from a source its tenant lists gets its first-touch timer, a text of ours
that reached a lead schedules its next follow-up when its tenant has a cadence, and a
lead's message (or a takeover) cancels or moves its timers, each in the same transaction
(`workers.timers`).

This is the shell: transaction, processed-events ledger, `store` calls, cache and publish.
What each event produces, which events and leads count and which leads to forget are
decided without I/O in `core`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import TypeAdapter

from schemas.events import (
    CONVERSATION_EVENT,
    ContactChanged,
    ContactDeleted,
    LeadActivityRecorded,
    MemoryUpdated,
    MessageIngested,
    ReplyDelivered,
)
from schemas.topics import CONVERSATION_EVENTS, REPLIES_DELIVERED
from workers.booking import appointment
from workers.booking import store as booking
from workers.consent_ledger.addresses import AddressHasher, hasher_for
from workers.errors import InvalidEventError
from workers.ingestion.decode import parse_time
from workers.memory import core, store
from workers.memory.context import ContextStore
from workers.memory.core import CONSUMER, MemoryInput
from workers.memory.lead import load_leads
from workers.memory.ports import Leads, MemoryCache, MemoryWrites
from workers.memory.store import MessageOutcome
from workers.runtime import processed
from workers.runtime.boundary import Handler
from workers.runtime.groups import of_tenant
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.ports import Bound, Publisher, Scoped
from workers.runtime.record import Record
from workers.tenants import store as tenants
from workers.timers import follow_ups
from workers.timers import store as timers
from workers.timers.core import LeadEvent, wants_first_touch

log = logging.getLogger(__name__)
_DELIVERED: TypeAdapter[ReplyDelivered] = TypeAdapter(ReplyDelivered)


def decode(record: Record) -> MemoryInput:
    if record.topic == REPLIES_DELIVERED:
        return _DELIVERED.validate_json(record.value)
    return CONVERSATION_EVENT.validate_json(record.value)


class MemoryHandler:
    def __init__(self, db: Scoped[MemoryWrites], contexts: MemoryCache,
                 publisher: Publisher, hasher: AddressHasher | None = None) -> None:
        self.db = db
        self.contexts = contexts
        self.publisher = publisher
        self.hasher = hasher or hasher_for(None)

    async def __call__(self, record: Record) -> None:
        event = decode(record)
        await self._handle(event.tenant_id, [event])

    async def handle_group(self, tenant: str, records: Sequence[Record]) -> None:
        """A tenant's records of a batch in one transaction (see `runtime.groups`)."""
        await self._handle(tenant, list(of_tenant(tenant, [decode(r) for r in records])))

    async def _handle(self, tenant: str, events: list[MemoryInput]) -> None:
        """Per event, in order: skip if already processed (re-publishing what it produced the
        first time), else persist and record the result. Then, after the commit, write each
        touched lead's final memory through to Redis and publish the results in order."""
        events = core.with_lead(events)
        if not events:
            return
        try:
            async with self.db.transaction(tenant) as tx:
                outcomes, leads = await self._write(tx, tenant, events)
        except asyncpg.ForeignKeyViolationError as exc:  # every row references its tenant
            raise InvalidEventError(f"no tenant {tenant!r}: ingestion admits only installed "
                                    "or operator-added locations") from exc
        if self.contexts.dirty:
            await self.contexts.heal()
        for contact in core.to_forget(events, leads):
            await self.contexts.forget(tenant, contact)
        # Each lead's memory written through, and its profile filled where Redis holds none
        # (a lead back after the TTL), so the next reads are hits: one Redis round trip.
        await self.contexts.write_through(core.to_cache(leads))
        for result in outcomes:
            if result is not None:
                await self.publisher.publish(MemoryUpdated.model_validate(result))

    async def _write(self, tx: MemoryWrites, tenant: str, events: list[MemoryInput]
                     ) -> tuple[list[dict[str, Any] | None], Leads]:
        """Apply the not yet processed events; returns every event's result and the final
        memory of each lead of the group (to write through, redelivered or not)."""
        ensured: set[str] = set()  # contacts ensured in this transaction

        async def apply(event: MemoryInput) -> dict[str, Any] | None:
            return await self._apply(tx, event, ensured)

        outcomes = (await processed.once(tx, tenant, CONSUMER, events, apply)).results
        # Every lead, redelivered events' too: a crash between a commit and its cache write
        # left the lead's cached context behind Postgres, and only a redelivery repairs it.
        return outcomes, await tx.load_leads(tenant, core.leads_of(events))

    async def _ensure_lead(self, tx: MemoryWrites, tenant: str, contact: str,
                           ensured: set[str]) -> None:
        """The contact's row, unless this transaction already ensured it. The tenant's row
        is never created here: a tenant installed the app or was added by an operator."""
        if contact not in ensured:
            await tx.ensure_contact(tenant, contact)
            ensured.add(contact)

    async def _apply(self, tx: MemoryWrites, event: MemoryInput,
                     ensured: set[str]) -> dict[str, Any] | None:
        """Persist the event; returns the `memory.updated` it produces (None: nothing new)."""
        tenant, contact = event.tenant_id, event.contact_id
        assert contact is not None
        if isinstance(event, ContactDeleted):
            await tx.forget_contact(tenant, contact)
            ensured.discard(contact)
            return core.deleted_result(event)
        if isinstance(event, MessageIngested):
            # The contact row is created with the message insert (one round trip fewer).
            outcome = await tx.record_message(event, ensure_contact=contact not in ensured,
                                              hasher=self.hasher)
            ensured.add(contact)
            timer_event = core.timer_event(event, outcome.stored, outcome.takeover)
            if timer_event is not None:  # in this transaction: the message and its effect
                await tx.timer_event(tenant, contact, timer_event)
            return core.message_result(event, outcome.stored, outcome.takeover)
        await self._ensure_lead(tx, tenant, contact, ensured)
        if isinstance(event, ReplyDelivered):
            stored = await tx.record_delivered(event)
            await tx.follow_up(event)  # the quiet lead's next follow-up, in this transaction
            return core.delivered_result(event, stored)
        if isinstance(event, ContactChanged):
            changes = await tx.upsert_contact(event, self.hasher)
            if core.first_touch_candidate(event):  # scheduled with the contact it greets
                await tx.first_touch(event)
            return core.contact_result(event, changes)
        await tx.record_activity(event)
        if event.kind == "appointment" and event.ref_id:  # follow-ups end or restart with it
            await tx.appointment(event)
        return core.activity_result(event)


class PostgresMemory(processed.PostgresLedger):
    """`MemoryWrites` over a tenant transaction's connection: `store`'s statements."""

    async def ensure_contact(self, tenant: str, contact: str) -> None:
        await self.conn.execute("INSERT INTO contacts (tenant_id, contact_id) VALUES ($1, $2) "
                                "ON CONFLICT DO NOTHING", tenant, contact)

    async def forget_contact(self, tenant: str, contact: str) -> int:
        return await store.forget_contact(self.conn, tenant, contact)

    async def record_message(self, ev: MessageIngested, *, ensure_contact: bool,
                             hasher: AddressHasher) -> MessageOutcome:
        return await store.record_message(self.conn, ev, ensure_contact=ensure_contact,
                                          hasher=hasher)

    async def record_delivered(self, ev: ReplyDelivered) -> bool:
        return await store.record_delivered(self.conn, ev)

    async def upsert_contact(self, ev: ContactChanged, hasher: AddressHasher) -> list[str]:
        return await store.upsert_contact(self.conn, ev, hasher)

    async def record_activity(self, ev: LeadActivityRecorded) -> None:
        await store.record_activity(self.conn, ev)

    async def load_leads(self, tenant: str, contacts: Sequence[str]) -> Leads:
        return await load_leads(self.conn, tenant, contacts)

    async def first_touch(self, ev: ContactChanged) -> bool:
        assert ev.contact_id is not None
        settings = await tenants.read(self.conn, ev.tenant_id)
        if not wants_first_touch(settings.live, settings.first_touch_sources,
                                 ev.contact.source):
            return False
        # Due at once: the timer loop drafts it within its interval (speed to lead).
        return await timers.schedule_first_touch(self.conn, ev.tenant_id, ev.contact_id,
                                                 ev.received_at, ev.event_id)

    async def timer_event(self, tenant: str, contact: str, event: LeadEvent) -> None:
        await timers.on_event(self.conn, tenant, contact, event)

    async def appointment(self, ev: LeadActivityRecorded) -> None:
        assert ev.contact_id is not None and ev.ref_id is not None
        status = appointment.status_of(ev.ghl_type, ev.status)
        raw = ev.data.get("appointment")
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        changed = await booking.record_appointment(
            self.conn, ev.tenant_id, ev.ref_id, ev.contact_id, status=status,
            at=ev.occurred_at, calendar_id=data.get("calendarId"),
            start=parse_time(data.get("startTime")))
        effect = appointment.effect(ev.ghl_type, ev.status)
        if not changed or effect is None:
            return
        if effect == "booked":
            await timers.on_event(self.conn, ev.tenant_id, ev.contact_id,
                                  LeadEvent("booked", ev.occurred_at, ev.ref_id))
            return
        # cancelled: the lead is followed up again, from the first step
        await self._next_follow_up(ev.tenant_id, ev.contact_id,
                                   f"appointment:{ev.ref_id}:{ev.event_id}", ev.occurred_at,
                                   ev.event_id, reply=False)

    async def follow_up(self, ev: ReplyDelivered) -> bool:
        assert ev.contact_id is not None
        await timers.delivered(self.conn, ev.tenant_id, ev.idempotency_key)
        return await self._next_follow_up(ev.tenant_id, ev.contact_id, ev.idempotency_key,
                                          ev.occurred_at, ev.event_id, reply=True)

    async def _next_follow_up(self, tenant: str, contact: str, after: str, at: datetime,
                              causation: str, *, reply: bool) -> bool:
        """The lead's next follow-up after `after` at `at` (our text whose reply key it is,
        when `reply`; else an appointment cancelled), when its tenant has a cadence
        (`follow_ups.after_delivery`); True when scheduled."""
        settings = await tenants.read(self.conn, tenant)
        if not settings.follow_ups:
            return False
        row = await self.conn.fetchrow(
            """SELECT (SELECT mode FROM replies WHERE tenant_id = $1 AND idempotency_key = $3)
                          AS mode,
                      (SELECT profile->>'timeline' FROM lead_profiles
                        WHERE tenant_id = $1 AND contact_id = $2) AS timeline,
                      (SELECT max(occurred_at) FROM messages
                        WHERE tenant_id = $1 AND contact_id = $2 AND direction = 'inbound'
                          AND sender = 'lead') AS lead_wrote_at""",
            tenant, contact, after if reply else None)
        nxt = follow_ups.after_delivery(settings.follow_ups, after, row["mode"],
                                        row["timeline"], at, row["lead_wrote_at"])
        if nxt is None:
            return False
        return await timers.schedule_follow_up(self.conn, tenant, contact, after, nxt.step,
                                               nxt.steps, nxt.due_at, causation)


def build(resources: Resources) -> Handler:
    db = resources.database
    store = ContextStore.over(db, resources.cache, resources.settings.context_ttl_s)
    key = resources.settings.consent_hash_key
    secret = key.get_secret_value() if key else None
    if not secret:
        log.warning("LEADMEM_CONSENT_HASH_KEY is not set: the consent ledger hashes addresses "
                    "with the development key (set a key of your own in production, once)")
    return MemoryHandler(Bound(db, PostgresMemory), store, resources.publisher,
                         hasher_for(secret))


SPEC = WorkerSpec(name="memory", topics=(CONVERSATION_EVENTS, REPLIES_DELIVERED), build=build)
