"""The memory worker: consumes `conversation.events` and `replies.delivered`, publishes
`memory.updated`.

Per event, in one tenant transaction (one per tenant group of a batch, see `runtime.groups`):
skip if already processed (re-publishing what it produced the first time), else persist the
change and record the result; after commit, write the lead's memory through to Redis and
publish `memory.updated` (what changed, and whether an inbound lead message awaits a reply).

This is the shell: transaction, processed-events ledger, `store` calls, cache and publish.
What each event produces, which events and leads count and which leads to forget are
decided without I/O in `core`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter

from schemas.context import MemoryPart, ProfilePart
from schemas.events import (
    CONVERSATION_EVENT,
    ContactChanged,
    ContactDeleted,
    MemoryUpdated,
    MessageIngested,
    ReplyDelivered,
)
from schemas.topics import CONVERSATION_EVENTS, REPLIES_DELIVERED
from workers.consent_ledger.addresses import AddressHasher, hasher_for
from workers.memory import core, store
from workers.memory.context import ContextStore
from workers.memory.core import CONSUMER, MemoryInput
from workers.memory.lead import load_leads
from workers.runtime import processed
from workers.runtime.boundary import Handler
from workers.runtime.bounded import TENANT_STATE_MAX, BoundedSet
from workers.runtime.groups import of_tenant
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.ports import Publisher, Transactions
from workers.runtime.record import Record
from workers.tenants.store import ensure as ensure_tenant

log = logging.getLogger(__name__)
_DELIVERED: TypeAdapter[ReplyDelivered] = TypeAdapter(ReplyDelivered)


def decode(record: Record) -> MemoryInput:
    if record.topic == REPLIES_DELIVERED:
        return _DELIVERED.validate_json(record.value)
    return CONVERSATION_EVENT.validate_json(record.value)


class MemoryHandler:
    def __init__(self, db: Transactions, contexts: ContextStore,
                 publisher: Publisher, hasher: AddressHasher | None = None) -> None:
        self.db = db
        self.contexts = contexts
        self.publisher = publisher
        self.hasher = hasher or hasher_for(None)
        # Forgetting a tenant costs one `INSERT ... ON CONFLICT DO NOTHING` at its next event.
        self._known_tenants: BoundedSet[str] = BoundedSet(TENANT_STATE_MAX)

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
        known = tenant in self._known_tenants
        try:
            async with self.db.transaction(tenant) as conn:
                outcomes, leads = await self._write(conn, tenant, events)
        except BaseException:
            if not known:  # the tenant row was not committed after all
                self._known_tenants.discard(tenant)
            raise
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

    async def _write(self, conn: Any, tenant: str, events: list[MemoryInput]) -> tuple[
            list[dict[str, Any] | None], dict[str, tuple[MemoryPart | None, ProfilePart]]]:
        """Apply the not yet processed events; returns every event's result and the final
        memory of each lead of the group (to write through, redelivered or not)."""
        ensured: set[str] = set()  # contacts ensured in this transaction

        async def apply(event: MemoryInput) -> dict[str, Any] | None:
            return await self._apply(conn, event, ensured)

        outcomes = (await processed.once(conn, tenant, CONSUMER, events, apply)).results
        # Every lead, redelivered events' too: a crash between a commit and its cache write
        # left the lead's cached context behind Postgres, and only a redelivery repairs it.
        return outcomes, await load_leads(conn, tenant, core.leads_of(events))

    async def _ensure_lead(self, conn: Any, tenant: str, contact: str,
                           ensured: set[str]) -> None:
        """`store.ensure_lead`, skipping what this process or transaction already ensured."""
        await self._ensure_tenant(conn, tenant)
        if contact not in ensured:
            await conn.execute("INSERT INTO contacts (tenant_id, contact_id) VALUES ($1, $2) "
                               "ON CONFLICT DO NOTHING", tenant, contact)
            ensured.add(contact)

    async def _ensure_tenant(self, conn: Any, tenant: str) -> None:
        if tenant not in self._known_tenants:
            await ensure_tenant(conn, tenant)
            self._known_tenants.add(tenant)  # dropped again if the transaction fails

    async def _apply(self, conn: Any, event: MemoryInput,
                     ensured: set[str]) -> dict[str, Any] | None:
        """Persist the event; returns the `memory.updated` it produces (None: nothing new)."""
        tenant, contact = event.tenant_id, event.contact_id
        assert contact is not None
        if isinstance(event, ContactDeleted):
            await store.forget_contact(conn, tenant, contact)
            ensured.discard(contact)
            return core.deleted_result(event)
        if isinstance(event, MessageIngested):
            # The contact row is created with the message insert (one round trip fewer).
            await self._ensure_tenant(conn, tenant)
            outcome = await store.record_message(conn, event,
                                                 ensure_contact=contact not in ensured,
                                                 hasher=self.hasher)
            ensured.add(contact)
            return core.message_result(event, outcome.stored, outcome.takeover)
        await self._ensure_lead(conn, tenant, contact, ensured)
        if isinstance(event, ReplyDelivered):
            return core.delivered_result(event, await store.record_delivered(conn, event))
        if isinstance(event, ContactChanged):
            return core.contact_result(event, await store.upsert_contact(conn, event,
                                                                         self.hasher))
        await store.record_activity(conn, event)
        return core.activity_result(event)


def build(resources: Resources) -> Handler:
    db = resources.database
    store = ContextStore.over(db, resources.cache, resources.settings.context_ttl_s)
    key = resources.settings.consent_hash_key
    secret = key.get_secret_value() if key else None
    if not secret:
        log.warning("LEADMEM_CONSENT_HASH_KEY is not set: the consent ledger hashes addresses "
                    "with the development key (set a key of your own in production, once)")
    return MemoryHandler(db, store, resources.publisher, hasher_for(secret))


SPEC = WorkerSpec(name="memory", topics=(CONVERSATION_EVENTS, REPLIES_DELIVERED), build=build)
