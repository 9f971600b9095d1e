"""The memory worker: consumes `conversation.events` and `replies.delivered`, publishes
`memory.updated`.

Per event, in one tenant transaction: skip if already processed (re-publishing what it
produced the first time), else persist the change and record the result; after commit, write
the lead's memory through to Redis and publish `memory.updated` (what changed, and whether an
inbound lead message awaits a reply).
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from schemas.envelope import derive_event_id
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
from workers.db.tenant import TenantDatabase
from workers.memory import store
from workers.memory.cache import ContextCache
from workers.memory.context import ContextStore
from workers.runtime.boundary import Handler
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.publisher import EventPublisher
from workers.runtime.record import Record

CONSUMER = "memory"
MemoryInput = MessageIngested | ContactChanged | ContactDeleted | LeadActivityRecorded | \
    ReplyDelivered
_DELIVERED: TypeAdapter[ReplyDelivered] = TypeAdapter(ReplyDelivered)


def decode(record: Record) -> MemoryInput:
    if record.topic == REPLIES_DELIVERED:
        return _DELIVERED.validate_json(record.value)
    return CONVERSATION_EVENT.validate_json(record.value)


class MemoryHandler:
    def __init__(self, db: TenantDatabase, contexts: ContextStore,
                 publisher: EventPublisher) -> None:
        self.db = db
        self.contexts = contexts
        self.publisher = publisher

    async def __call__(self, record: Record) -> None:
        event = decode(record)
        tenant, contact = event.tenant_id, event.contact_id
        if contact is None:  # an unknown event type with no lead: nothing to remember
            return
        async with self.db.transaction(tenant) as conn:
            done = await conn.fetchrow(
                """SELECT result FROM processed_events
                   WHERE tenant_id = $1 AND consumer = $2 AND event_id = $3""",
                tenant, CONSUMER, event.event_id,
            )
            if done is not None:
                result: dict[str, Any] | None = done["result"]
                memory, profile = None, None
            else:
                result = await self._apply(conn, event)
                await conn.execute(
                    """INSERT INTO processed_events (tenant_id, consumer, event_id, result)
                       VALUES ($1, $2, $3, $4::jsonb)""",
                    tenant, CONSUMER, event.event_id, result,
                )
                memory = await store.load_memory(conn, tenant, contact)
                profile = await store.load_profile(conn, tenant, contact)
        if self.contexts.dirty:
            await self.contexts.heal()
        if isinstance(event, ContactDeleted):
            await self.contexts.forget(tenant, contact)
        elif memory is not None and profile is not None:
            await self.contexts.put(memory)
            # A lead back after the TTL has no cached profile: fill it (never overwriting
            # the learning worker's newer one) so the next reads are hits.
            await self.contexts.fill_profile(profile)
        if result is not None:
            await self.publisher.publish(MemoryUpdated.model_validate(result))

    async def _apply(self, conn: Any, event: MemoryInput) -> dict[str, Any] | None:
        """Persist the event; returns the `memory.updated` it produces (None: nothing new)."""
        tenant, contact = event.tenant_id, event.contact_id
        assert contact is not None
        if isinstance(event, ContactDeleted):
            await store.forget_contact(conn, tenant, contact)
            return self._updated(event, ["contact.deleted"], deleted=True)
        await store.ensure_lead(conn, tenant, contact)
        if isinstance(event, MessageIngested):
            outcome = await store.record_message(conn, event)
            if not outcome.stored:
                return None  # a duplicate, or the echo of our own reply
            awaiting = event.direction == "inbound" and event.sender == "lead"
            changes = [f"message.{event.direction}"] + (["human_takeover"]
                                                         if outcome.takeover else [])
            return self._updated(event, changes, message_id=event.message_id,
                                 channel=event.channel, reply_needed=awaiting,
                                 human_takeover=outcome.takeover)
        if isinstance(event, ReplyDelivered):
            gained = await store.record_delivered(conn, event)
            return self._updated(event, ["message.outbound"]) if gained else None
        if isinstance(event, ContactChanged):
            return self._updated(event, await store.upsert_contact(conn, event))
        await store.record_activity(conn, event)
        return self._updated(event, [f"activity.{event.kind}"])

    @staticmethod
    def _updated(event: MemoryInput, changes: list[str], **fields: Any) -> dict[str, Any]:
        return MemoryUpdated(
            event_id=derive_event_id(event.tenant_id, CONSUMER, event.event_id),
            tenant_id=event.tenant_id, contact_id=event.contact_id,
            occurred_at=event.occurred_at, received_at=event.received_at,
            causation_id=event.event_id, changes=changes, **fields,
        ).model_dump(mode="json")


def build(resources: Resources) -> Handler:
    assert resources.db is not None and resources.redis is not None
    cache = ContextCache(resources.redis, resources.settings.context_ttl_s)
    return MemoryHandler(resources.db, ContextStore(resources.db, cache), resources.publisher)


SPEC = WorkerSpec(name="memory", topics=(CONVERSATION_EVENTS, REPLIES_DELIVERED), build=build)
