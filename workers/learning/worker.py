"""The learning worker: consumes `memory.updated`, publishes `lead.profile.updated`.

On a lead's new inbound message (or activity) it re-reads the conversation, extracts the
profile (deterministic, see `extract`), versions every changed field as a fact, derives the
qualification state, behavioral signals and score, writes the profile through to the working
context, and publishes what changed with the triggering message's reply-needed flag, so the
responder replies only after the profile for that message is up to date.

With `LEADMEM_LEARNING_CLAUDE_EXTRACTION` on, a tenant with Claude configured also gets
Claude's structured extraction merged in (`claude_extract` documents the rules). The call is
made inside the event's transaction: records are handled one at a time, so at most one pooled
connection waits, for at most `claude_deadline_s`; a failed call leaves the deterministic
profile, never the event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg

from schemas.context import ProfilePart
from schemas.envelope import derive_event_id
from schemas.events import MemoryUpdated, ProfileUpdated
from schemas.topics import MEMORY_UPDATED
from workers.claude import ClaudeClient, ClaudeUnavailableError, resolve_config
from workers.claude.breaker import BreakerRegistry
from workers.db.tenant import TenantDatabase
from workers.learning import claude_extract, facts, qualification, scoring, signals
from workers.learning.extract import extract_profile_with_sources
from workers.learning.extract.model import Area, LeadProfile, Message
from workers.memory.cache import ContextCache
from workers.memory.context import ContextStore
from workers.runtime.boundary import Handler
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.publisher import EventPublisher
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
    def __init__(self, db: TenantDatabase, contexts: ContextStore,
                 publisher: EventPublisher, refine: Refine | None = None) -> None:
        self.db = db
        self.contexts = contexts
        self.publisher = publisher
        self.refine = refine

    async def __call__(self, record: Record) -> None:
        ev = MemoryUpdated.model_validate_json(record.value)
        if not relevant(ev):
            return
        part: ProfilePart | None = None
        async with self.db.transaction(ev.tenant_id) as conn:
            done = await conn.fetchrow(
                """SELECT result FROM processed_events
                   WHERE tenant_id = $1 AND consumer = $2 AND event_id = $3""",
                ev.tenant_id, CONSUMER, ev.event_id,
            )
            if done is not None:
                result: dict[str, Any] | None = done["result"]
            else:
                result, part = await learn(conn, ev, self.refine)
                await conn.execute(
                    """INSERT INTO processed_events (tenant_id, consumer, event_id, result)
                       VALUES ($1, $2, $3, $4::jsonb)""",
                    ev.tenant_id, CONSUMER, ev.event_id, result,
                )
        if part is not None:
            await self.contexts.put(part)
        if result is not None:
            await self.publisher.publish(ProfileUpdated.model_validate(result))


async def learn(conn: asyncpg.Connection, ev: MemoryUpdated, refine: Refine | None = None,
                ) -> tuple[dict[str, Any] | None, ProfilePart | None]:
    tenant, contact = ev.tenant_id, ev.contact_id
    assert contact is not None
    rows = await conn.fetch(
        """SELECT direction, channel, body, message_id, occurred_at FROM messages
           WHERE tenant_id = $1 AND contact_id = $2 ORDER BY occurred_at, created_at""",
        tenant, contact,
    )
    # The profile as of the triggering message: a later message gets its own event, so each
    # change becomes its own fact version even when memory is ahead of learning.
    ids = [r["message_id"] for r in rows]
    if ev.message_id in ids:
        rows = rows[: ids.index(ev.message_id) + 1]
    if not rows:
        return None, None
    tenant_row = await conn.fetchrow(
        """SELECT service_areas, claude_model, claude_api_key_enc FROM tenant_settings
           WHERE tenant_id = $1""", tenant)
    areas = [Area(name=a["name"], aliases=tuple(a.get("aliases", [])))
             for a in (tenant_row["service_areas"] if tenant_row else None) or []]
    appointment = bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM lead_events WHERE tenant_id = $1 AND contact_id = $2
                          AND kind = 'appointment')""", tenant, contact))
    messages = [Message(direction=r["direction"], body=r["body"], id=r["message_id"],
                        sent_at=r["occurred_at"]) for r in rows]
    now: datetime = max(ev.occurred_at, rows[-1]["occurred_at"])
    profile, sources = extract_profile_with_sources(messages, areas, now)
    from_claude: set[str] = set()
    if refine is not None:
        profile, from_claude = await refine(tenant, dict(tenant_row) if tenant_row else None,
                                            messages, areas, now, profile)
    spec = profile.to_spec_dict()
    changed = facts.diff(await facts.current_facts(conn, tenant, contact), spec)
    if changed:
        await facts.write_versions(
            conn, tenant, contact, changed, at=now, event_id=ev.event_id,
            sources={f: messages[i].id for f, i in sources.items() if i < len(messages)},
            confidence={f: claude_extract.CLAUDE_CONFIDENCE if f in from_claude
                        else claude_extract.DETERMINISTIC_CONFIDENCE for f in changed},
        )
    sigs = signals.compute([signals.Turn(r["direction"], r["body"], r["occurred_at"],
                                         r["channel"]) for r in rows])
    condition = qualification.home_condition(
        [r["body"] for r in rows if r["direction"] == "inbound"])
    qual = qualification.qualification(spec, condition)
    questions = qualification.next_questions(qual)
    label, reasons, _ = scoring.score(spec, sigs, appointment=appointment)
    previous = await conn.fetchval(
        "SELECT score FROM lead_profiles WHERE tenant_id = $1 AND contact_id = $2",
        tenant, contact)
    version = await conn.fetchval(
        """
        INSERT INTO lead_profiles (tenant_id, contact_id, profile, score, score_reasons,
                                   qualification, next_questions, signals, version, updated_at)
        VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb, 1, now())
        ON CONFLICT (tenant_id, contact_id) DO UPDATE SET
            profile = EXCLUDED.profile, score = EXCLUDED.score,
            score_reasons = EXCLUDED.score_reasons, qualification = EXCLUDED.qualification,
            next_questions = EXCLUDED.next_questions, signals = EXCLUDED.signals,
            version = lead_profiles.version + 1, updated_at = now()
        RETURNING version
        """,
        tenant, contact, spec, label, reasons, qual, questions, sigs.to_dict(),
    )
    part = ProfilePart(tenant_id=tenant, contact_id=contact, profile=spec, score=label,
                       score_reasons=reasons, qualification=qual, next_questions=questions,
                       version=version)
    if not (ev.reply_needed or changed or previous != label):
        return None, part
    updated = ProfileUpdated(
        event_id=derive_event_id(tenant, CONSUMER, ev.event_id), tenant_id=tenant,
        contact_id=contact, occurred_at=ev.occurred_at, received_at=ev.received_at,
        causation_id=ev.event_id, changed=changed, profile=spec, score=label,
        score_reasons=reasons, next_questions=questions, message_id=ev.message_id,
        channel=ev.channel, reply_needed=ev.reply_needed,
    )
    return updated.model_dump(mode="json"), part


def build(resources: Resources) -> Handler:
    assert resources.db is not None and resources.redis is not None
    settings = resources.settings
    cache = ContextCache(resources.redis, settings.context_ttl_s)
    refine: Refine | None = None
    if settings.learning_claude_extraction:
        client = ClaudeClient(BreakerRegistry(
            failure_threshold=settings.claude_breaker_failures,
            reset_after_s=settings.claude_breaker_reset_s))
        resources.stack.push_async_callback(client.aclose)
        refine = ClaudeRefiner(client, settings)
    return LearningHandler(resources.db, ContextStore(resources.db, cache), resources.publisher,
                           refine)


SPEC = WorkerSpec(name="learning", topics=(MEMORY_UPDATED,), build=build)
