"""The learning worker: consumes `memory.updated`, publishes `lead.profile.updated`.

On a lead's new inbound message (or activity) it re-reads the conversation, extracts the
profile (deterministic, see `extract`), versions every changed field as a fact, derives the
qualification state, behavioral signals and score, writes the profile through to the working
context, and publishes what changed with the triggering message's reply-needed flag, so the
responder replies only after the profile for that message is up to date.

With `LEADMEM_LEARNING_CLAUDE_EXTRACTION` on, a tenant with Claude configured also gets
Claude's structured extraction merged in (`claude_extract` documents the rules). The call is
made inside the transaction: a batch's records are handled one tenant group at a time (one
transaction per group, see `runtime.groups`), so at most one pooled connection waits, for at
most `claude_deadline_s` per call; a failed call leaves the deterministic profile, never the
event.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from schemas.context import ProfilePart
from schemas.events import MemoryUpdated, ProfileUpdated
from schemas.topics import MEMORY_UPDATED
from workers.claude import ClaudeClient, ClaudeUnavailableError, resolve_config
from workers.claude.breaker import BreakerRegistry
from workers.errors import InvalidEventError
from workers.learning import claude_extract, facts
from workers.learning.assess import Turn, assess, profile_event
from workers.learning.extract import extract_profile_with_sources
from workers.learning.extract.model import Area, LeadProfile, Message
from workers.learning.incremental import IncrementalExtractor
from workers.memory.context import ContextStore
from workers.memory.store import load_profile
from workers.runtime import processed
from workers.runtime.boundary import Handler
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.ports import Publisher, Transactions
from workers.runtime.record import Record
from workers.settings import Settings

CONSUMER = "learning"
Refine = Callable[[str, Any, list[Message], list[Area], datetime, LeadProfile],
                  Awaitable[tuple[LeadProfile, set[str]]]]


class ClaudeRefiner:
    """Asks Claude for the profile when the tenant has Claude configured; merges it."""

    def __init__(self, client: ClaudeClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    async def __call__(self, tenant: str, tenant_row: Any, messages: list[Message],
                       areas: list[Area], now: datetime, profile: LeadProfile
                       ) -> tuple[LeadProfile, set[str]]:
        row = tenant_row or {}
        config = resolve_config(self.settings, model=row.get("claude_model"), max_tokens=600,
                                api_key_enc=row.get("claude_api_key_enc"), tenant=tenant)
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
    def __init__(self, db: Transactions, contexts: ContextStore,
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
        events = [MemoryUpdated.model_validate_json(r.value) for r in records]
        if any(ev.tenant_id != tenant for ev in events):
            raise InvalidEventError("a record's key is not its event's tenant")
        await self._handle(tenant, events)

    async def _handle(self, tenant: str, events: list[MemoryUpdated]) -> None:
        """Learn from each relevant event not processed yet (a processed one re-publishes its
        stored result); after the commit, cache each lead's newest profile and publish."""
        for ev in events:
            if ev.deleted and ev.contact_id is not None:  # keep nothing of a forgotten lead
                self.extractor.forget((tenant, ev.contact_id))
        events = [ev for ev in events if relevant(ev)]
        if not events:
            return
        parts: dict[str, ProfilePart] = {}
        outcomes: list[dict[str, Any] | None] = []
        async with self.db.transaction(tenant) as conn:
            done = await processed.results(conn, tenant, CONSUMER, [e.event_id for e in events])
            fresh: list[tuple[str, dict[str, Any] | None]] = []
            reads = Reads(conn, tenant)
            redelivered: set[str] = set()
            for ev in events:
                if ev.event_id not in done:
                    done[ev.event_id], part = await learn(conn, ev, self.refine, reads,
                                                          self.extractor)
                    fresh.append((ev.event_id, done[ev.event_id]))
                    if part is not None:
                        parts[part.contact_id] = part  # the last one is the newest profile
                elif ev.contact_id is not None:
                    redelivered.add(ev.contact_id)
                outcomes.append(done[ev.event_id])
            await processed.record(conn, tenant, CONSUMER, fresh)
            # A crash between an earlier run's commit and its cache write left Redis behind
            # Postgres; only this redelivery can repair it, so cache the stored profile.
            for contact in sorted(redelivered - parts.keys()):
                parts[contact] = await load_profile(conn, tenant, contact)
        await self.contexts.put_many(list(parts.values()))
        for result in outcomes:
            if result is not None:
                await self.publisher.publish(ProfileUpdated.model_validate(result))


class Reads:
    """What `learn` reads that its own writes never change, read once per transaction: the
    tenant's settings, and per lead its messages and whether it has an appointment (written
    by the memory worker before it published the events being handled)."""

    def __init__(self, conn: asyncpg.Connection, tenant: str) -> None:
        self.conn, self.tenant = conn, tenant
        self._settings: tuple[asyncpg.Record | None] | None = None
        self._messages: dict[str, list[asyncpg.Record]] = {}
        self._facts: dict[str, dict[str, Any]] = {}

    async def tenant_row(self) -> asyncpg.Record | None:
        if self._settings is None:
            self._settings = (await self.conn.fetchrow(
                """SELECT service_areas, claude_model, claude_api_key_enc FROM tenant_settings
                   WHERE tenant_id = $1""", self.tenant),)
        return self._settings[0]

    async def messages(self, contact: str) -> list[asyncpg.Record]:
        """The lead's messages in order; each row also says whether it has an appointment."""
        if contact not in self._messages:
            self._messages[contact] = await self.conn.fetch(
                """SELECT m.direction, m.channel, m.body, m.message_id, m.occurred_at,
                          a.appointment
                   FROM (SELECT EXISTS (SELECT 1 FROM lead_events WHERE tenant_id = $1
                           AND contact_id = $2 AND kind = 'appointment') AS appointment) a
                   JOIN messages m ON m.tenant_id = $1 AND m.contact_id = $2
                   ORDER BY m.occurred_at, m.created_at""",
                self.tenant, contact,
            )
        return self._messages[contact]

    async def facts(self, contact: str) -> dict[str, Any]:
        """The lead's current facts (`facts.current_facts`), kept current by `stated`."""
        if contact not in self._facts:
            self._facts[contact] = await facts.current_facts(self.conn, self.tenant, contact)
        return self._facts[contact]

    def stated(self, contact: str, spec: dict[str, Any]) -> None:
        """After `facts.write_versions(diff(current, spec))` the current facts are `spec`'s
        stated fields: every changed field got a version, withdrawn ones a NULL one."""
        stored = json.loads(json.dumps(spec, default=str))  # as the jsonb codec reads it back
        self._facts[contact] = {k: v for k, v in stored.items() if v is not None}


async def learn(conn: asyncpg.Connection, ev: MemoryUpdated, refine: Refine | None = None,
                reads: Reads | None = None, extractor: IncrementalExtractor | None = None,
                ) -> tuple[dict[str, Any] | None, ProfilePart | None]:
    tenant, contact = ev.tenant_id, ev.contact_id
    assert contact is not None
    reads = reads or Reads(conn, tenant)
    rows = await reads.messages(contact)
    # The profile as of the triggering message: a later message gets its own event, so each
    # change becomes its own fact version even when memory is ahead of learning.
    ids = [r["message_id"] for r in rows]
    if ev.message_id in ids:
        rows = rows[: ids.index(ev.message_id) + 1]
    if not rows:
        return None, None
    tenant_row = await reads.tenant_row()
    areas = [Area(name=a["name"], aliases=tuple(a.get("aliases", [])))
             for a in (tenant_row["service_areas"] if tenant_row else None) or []]
    appointment = bool(rows[0]["appointment"])
    messages = [Message(direction=r["direction"], body=r["body"], id=r["message_id"],
                        sent_at=r["occurred_at"]) for r in rows]
    now: datetime = max(ev.occurred_at, rows[-1]["occurred_at"])
    profile, sources = (extractor.extract((tenant, contact), messages, areas, now)
                        if extractor is not None
                        else extract_profile_with_sources(messages, areas, now))
    from_claude: set[str] = set()
    if refine is not None:
        profile, from_claude = await refine(tenant, dict(tenant_row) if tenant_row else None,
                                            messages, areas, now, profile)
    spec = profile.to_spec_dict()
    changed = facts.diff(await reads.facts(contact), spec)
    reads.stated(contact, spec)
    if changed:
        await facts.write_versions(
            conn, tenant, contact, changed, at=now, event_id=ev.event_id,
            sources={f: messages[i].id for f, i in sources.items() if i < len(messages)},
            confidence={f: claude_extract.CLAUDE_CONFIDENCE if f in from_claude
                        else claude_extract.DETERMINISTIC_CONFIDENCE for f in changed},
        )
    result = assess(spec, [
        Turn(r["direction"], r["body"], r["occurred_at"], r["channel"]) for r in rows],
        appointment=appointment)
    stored = await conn.fetchrow(  # the previous score comes back with the upsert
        """
        WITH previous AS (SELECT score FROM lead_profiles
                          WHERE tenant_id = $1 AND contact_id = $2)
        INSERT INTO lead_profiles (tenant_id, contact_id, profile, score, score_reasons,
                                   qualification, next_questions, signals, version, updated_at)
        VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb, 1, now())
        ON CONFLICT (tenant_id, contact_id) DO UPDATE SET
            profile = EXCLUDED.profile, score = EXCLUDED.score,
            score_reasons = EXCLUDED.score_reasons, qualification = EXCLUDED.qualification,
            next_questions = EXCLUDED.next_questions, signals = EXCLUDED.signals,
            version = lead_profiles.version + 1, updated_at = now()
        RETURNING version, (SELECT score FROM previous) AS previous
        """,
        tenant, contact, spec, result.score, result.score_reasons, result.qualification,
        result.next_questions, result.signals.to_dict(),
    )
    assert stored is not None
    part = ProfilePart(tenant_id=tenant, contact_id=contact, profile=spec, score=result.score,
                       score_reasons=result.score_reasons, qualification=result.qualification,
                       next_questions=result.next_questions, version=stored["version"])
    return profile_event(CONSUMER, ev, spec, changed, result, stored["previous"]), part


def build(resources: Resources) -> Handler:
    settings = resources.settings
    refine: Refine | None = None
    if settings.learning_claude_extraction:
        client = ClaudeClient(BreakerRegistry(
            failure_threshold=settings.claude_breaker_failures,
            reset_after_s=settings.claude_breaker_reset_s))
        resources.stack.push_async_callback(client.aclose)
        refine = ClaudeRefiner(client, settings)
    db = resources.database
    return LearningHandler(db, ContextStore.over(db, resources.cache, settings.context_ttl_s),
                           resources.publisher, refine)


SPEC = WorkerSpec(name="learning", topics=(MEMORY_UPDATED,), build=build)
