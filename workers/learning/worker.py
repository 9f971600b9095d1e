"""The learning worker: consumes `memory.updated`, publishes `lead.profile.updated`.

On a lead's new inbound message (or activity) it re-reads the conversation, extracts the
profile (deterministic, see `extract`), versions every changed field as a fact, derives the
qualification state, behavioral signals and score, writes the profile through to the working
context, and publishes what changed with the triggering message's reply-needed flag, so the
responder replies only after the profile for that message is up to date.

This is the shell: transaction, processed-events ledger, reads and writes (`store`, `facts`),
the Claude call, cache and publish. What is extracted from and built around the rows is
decided without I/O in `core` and `assess`, so it is tested without services.

With `LEADMEM_LEARNING_CLAUDE_EXTRACTION` on, a tenant with Claude configured also gets
Claude's structured extraction merged in (`claude_extract` documents the rules). The call is
made outside any transaction: a tenant group's conversations are read and extracted in a
first, read-only transaction (`prepare`), Claude refines each reading after it commits, and a
second transaction writes what they change (`settle`) with the processed-events ledger, which
skips an event another consumer processed meanwhile. A failed call leaves the deterministic
profile, never the event. Without Claude there is one transaction, as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from schemas.context import ProfilePart
from schemas.events import MemoryUpdated, ProfileUpdated
from schemas.topics import MEMORY_UPDATED
from workers.claude import ClaudeClient, ClaudeUnavailableError, resolve_config
from workers.learning import claude_extract, core, facts
from workers.learning.assess import Assessment, assess, profile_event
from workers.learning.extract import extract_profile_with_sources
from workers.learning.extract.model import Area, LeadProfile, Message
from workers.learning.incremental import IncrementalExtractor
from workers.learning.ports import LearningStatements, ProfileCache
from workers.learning.store import Reads, save_profile
from workers.memory.context import ContextStore
from workers.memory.store import load_profile
from workers.runtime import processed
from workers.runtime.boundary import Handler
from workers.runtime.clients import open_claude
from workers.runtime.groups import of_tenant
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.ports import Bound, Publisher, Scoped
from workers.runtime.record import Record
from workers.settings import Settings
from workers.tenants import TenantSettings

CONSUMER = "learning"
Refine = Callable[[str, TenantSettings, list[Message], list[Area], datetime, LeadProfile],
                  Awaitable[tuple[LeadProfile, set[str]]]]


class ClaudeRefiner:
    """Asks Claude for the profile when the tenant has Claude configured; merges it."""

    def __init__(self, client: ClaudeClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    async def __call__(self, tenant: str, settings: TenantSettings, messages: list[Message],
                       areas: list[Area], now: datetime, profile: LeadProfile
                       ) -> tuple[LeadProfile, set[str]]:
        config = resolve_config(self.settings, model=settings.claude_model, max_tokens=600,
                                api_key_enc=settings.claude_api_key_enc, tenant=tenant)
        if not config.configured:
            return profile, set()
        try:
            result = await self.client.create(
                tenant, config, **claude_extract.build_request(messages, areas, now))
        except ClaudeUnavailableError:
            return profile, set()
        return claude_extract.merge(profile, claude_extract.parse(result.message, areas))


def relevant(ev: MemoryUpdated) -> bool:
    """Only a lead's own words (or activity such as a booked showing) can change the profile."""
    return not ev.deleted and ev.contact_id is not None and (
        ev.reply_needed or any(c in ("message.inbound",) or c.startswith("activity.")
                               for c in ev.changes)
    )


class LearningHandler:
    def __init__(self, db: Scoped[LearningStatements], contexts: ProfileCache,
                 publisher: Publisher, refine: Refine | None = None) -> None:
        self.db = db
        self.contexts = contexts
        self.publisher = publisher
        self.refine = refine
        self.extractor = IncrementalExtractor()

    async def __call__(self, record: Record) -> None:
        ev = MemoryUpdated.model_validate_json(record.value)
        await self._handle(ev.tenant_id, [ev])

    async def handle_group(self, tenant: str, records: Sequence[Record]) -> None:
        """A tenant's records of a batch in one transaction (see `runtime.groups`)."""
        events = of_tenant(tenant, [MemoryUpdated.model_validate_json(r.value) for r in records])
        await self._handle(tenant, list(events))

    async def _handle(self, tenant: str, events: list[MemoryUpdated]) -> None:
        """Learn from each relevant event not processed yet (a processed one re-publishes its
        stored result); after the commit, cache each lead's newest profile and publish.
        With Claude asked too, the deterministic reading is done in a first transaction and
        Claude is called after it commits, so no transaction waits on the network."""
        for ev in events:
            if ev.deleted and ev.contact_id is not None:  # keep nothing of a forgotten lead
                self.extractor.forget((tenant, ev.contact_id))
        events = [ev for ev in events if relevant(ev)]
        if not events:
            return
        refined = await self._refined(tenant, events) if self.refine is not None else {}
        parts: dict[str, ProfilePart] = {}
        async with self.db.transaction(tenant) as tx:

            async def apply(ev: MemoryUpdated) -> dict[str, Any] | None:
                read = refined.get(ev.event_id) if self.refine is not None \
                    else await prepare(tx, ev, self.extractor)
                if read is None:
                    return None
                result, part = await settle(tx, read)
                parts[part.contact_id] = part  # the last one is the newest profile
                return result

            got = await processed.once(tx, tenant, CONSUMER, events, apply)
            outcomes = got.results
            redelivered = {e.contact_id for e in got.redelivered if e.contact_id is not None}
            # A crash between an earlier run's commit and its cache write left Redis behind
            # Postgres; only this redelivery can repair it, so cache the stored profile.
            for contact in sorted(redelivered - parts.keys()):
                parts[contact] = await tx.load_profile(tenant, contact)
        await self.contexts.put_many(list(parts.values()))
        for result in outcomes:
            if result is not None:
                await self.publisher.publish(ProfileUpdated.model_validate(result))

    async def _refined(self, tenant: str, events: list[MemoryUpdated]) -> dict[str, Reading]:
        """The readings of the events not processed yet, read in their own transaction, then
        refined by Claude outside any transaction."""
        assert self.refine is not None
        readings: dict[str, Reading] = {}
        async with self.db.transaction(tenant) as tx:
            done = await tx.processed(tenant, CONSUMER, [e.event_id for e in events])
            for ev in events:
                if ev.event_id not in done and ev.event_id not in readings:
                    read = await prepare(tx, ev, self.extractor)
                    if read is not None:
                        readings[ev.event_id] = read
        for key, read in readings.items():
            profile, from_claude = await self.refine(
                tenant, read.tenant, read.conv.messages, read.conv.areas, read.conv.now,
                read.profile)
            readings[key] = replace(read, profile=profile, from_claude=frozenset(from_claude))
        return readings


@dataclass(frozen=True)
class Reading:
    """A lead's profile as read from its conversation up to the triggering message, before
    anything is written: the deterministic extraction (and Claude's, merged, if asked)."""

    ev: MemoryUpdated
    conv: core.Conversation
    profile: LeadProfile
    sources: dict[str, int]
    tenant: TenantSettings
    from_claude: frozenset[str] = frozenset()


async def prepare(reads: LearningStatements, ev: MemoryUpdated,
                  extractor: IncrementalExtractor | None = None) -> Reading | None:
    """The reading of one event (None: no conversation yet); reads only."""
    tenant, contact = ev.tenant_id, ev.contact_id
    assert contact is not None
    rows = core.as_of(await reads.messages(tenant, contact), ev.message_id)
    if not rows:
        return None
    settings = await reads.settings(tenant)
    conv = core.conversation(rows, settings.service_areas, ev.occurred_at)
    profile, sources = _extract(extractor, (tenant, contact), conv)
    return Reading(ev, conv, profile, sources, settings)


async def settle(tx: LearningStatements, read: Reading,
                 ) -> tuple[dict[str, Any] | None, ProfilePart]:
    """Write what a reading changes, in the caller's transaction: the fact versions, the
    profile row; returns the `lead.profile.updated` to record and publish (None: nothing to
    say) and the profile to cache."""
    ev, conv = read.ev, read.conv
    tenant, contact = ev.tenant_id, ev.contact_id
    assert contact is not None
    spec = read.profile.to_spec_dict()
    changed = facts.diff(await tx.facts(tenant, contact), spec)
    tx.stated(tenant, contact, spec)
    if changed:
        await tx.write_versions(
            tenant, contact, changed, at=conv.now, event_id=ev.event_id,
            sources=core.fact_sources(read.sources, conv.messages),
            confidence=core.fact_confidence(changed, set(read.from_claude)))
    result = assess(spec, conv.turns, appointment=conv.appointment)
    version, previous = await tx.save_profile(tenant, contact, spec, result)
    part = core.profile_part(tenant, contact, spec, result, version)
    return profile_event(CONSUMER, ev, spec, changed, result, previous), part


class PostgresLearning(processed.PostgresLedger):
    """`LearningStatements` over a tenant transaction's connection: `store.Reads` (one per
    tenant, so per transaction), `facts` and the profile row."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self._reads: dict[str, Reads] = {}

    def reads(self, tenant: str) -> Reads:
        if tenant not in self._reads:
            self._reads[tenant] = Reads(self.conn, tenant)
        return self._reads[tenant]

    async def settings(self, tenant: str) -> TenantSettings:
        return await self.reads(tenant).settings()

    async def messages(self, tenant: str, contact: str) -> Sequence[core.Row]:
        return await self.reads(tenant).messages(contact)

    async def facts(self, tenant: str, contact: str) -> dict[str, Any]:
        return await self.reads(tenant).facts(contact)

    def stated(self, tenant: str, contact: str, spec: dict[str, Any]) -> None:
        self.reads(tenant).stated(contact, spec)

    async def write_versions(self, tenant: str, contact: str, changed: dict[str, Any], *,
                             at: datetime, sources: dict[str, str | None], event_id: str,
                             confidence: dict[str, float]) -> None:
        await facts.write_versions(self.conn, tenant, contact, changed, at=at, sources=sources,
                                   event_id=event_id, confidence=confidence)

    async def save_profile(self, tenant: str, contact: str, spec: dict[str, Any],
                           result: Assessment) -> tuple[int, str | None]:
        return await save_profile(self.conn, tenant, contact, spec, result)

    async def load_profile(self, tenant: str, contact: str) -> ProfilePart:
        return await load_profile(self.conn, tenant, contact)


def _extract(extractor: IncrementalExtractor | None, lead: tuple[str, str],
             conv: core.Conversation) -> tuple[LeadProfile, dict[str, int]]:
    """The deterministic profile and each field's source message index; continuing the
    lead's last reading when an extractor is kept."""
    if extractor is not None:
        return extractor.extract(lead, conv.messages, conv.areas, conv.now)
    return extract_profile_with_sources(conv.messages, conv.areas, conv.now)


def build(resources: Resources) -> Handler:
    settings = resources.settings
    refine: Refine | None = None
    if settings.learning_claude_extraction:
        refine = ClaudeRefiner(open_claude(settings, resources.stack), settings)
    db = resources.database
    return LearningHandler(Bound(db, PostgresLearning),
                           ContextStore.over(db, resources.cache, settings.context_ttl_s),
                           resources.publisher, refine)


SPEC = WorkerSpec(name="learning", topics=(MEMORY_UPDATED,), build=build)
