"""The responder: consumes `lead.profile.updated`, publishes `replies.outbound` (ReplyDrafted)
and `agent.assist` (AgentAssistRequested).

For a profile update whose inbound message awaits a reply: re-publish if that message was
already answered; else load the tenant's configuration, listings and comparable sales and the
lead's context, decide with the guards (AI enabled, channel, human takeover, opt-out with one
confirmation, DND, hand-off), draft the reply (Claude or the deterministic fallback, outside
any transaction, bounded by the Claude deadline), check Claude's draft
(`workers.consent.reply_check`: a draft carrying another person's contact details, a
foreign link or a commitment is held, and the agent gets it as a suggestion), stamp quiet
hours as `send_after`, then claim the message in `replies` and publish what the claim holds.
Suppressed and held messages are recorded too, so a redelivery stays silent. A tenant's
records of one batch are answered lead by lead concurrently and published in batch order
(`handle_group`).

A lead who asks to see a home (or to meet) when its tenant mapped a calendar is offered free
slots, and its choice books one (`responder.booking`).

This is the shell (reads, Claude, the reply check's name lookup, the claim, publish); every
decision and every row and event it claims is built by the pure core, `draft`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
from prometheus_client import Counter
from pydantic import Field, TypeAdapter

from schemas.context import LeadContext
from schemas.envelope import utcnow
from schemas.events import AgentAssistRequested, ProfileUpdated, ReplyDrafted
from schemas.topics import LEAD_PROFILE_UPDATED
from workers import replies
from workers.consent.reply_check import ReplyCheck
from workers.ghl.calendars import CalendarsClient
from workers.memory.context import ContextStore
from workers.outbound.access import open_ghl
from workers.outbound.config import OutboundConfig
from workers.replies import Reply
from workers.responder import draft, guards, modes, store
from workers.responder.booking import Booker, GhlCalendar
from workers.responder.checked import check_draft
from workers.responder.compose import Composer
from workers.responder.ports import Compose, ContextReader, Published, ResponderStatements
from workers.responder.store import LeadFacts
from workers.responder.timer_loop import TimerLoop
from workers.runtime.background import Loop
from workers.runtime.boundary import Handler
from workers.runtime.clients import open_claude
from workers.runtime.groups import of_tenant
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.ports import Bound, Publisher, Scoped
from workers.runtime.record import Record

DECISIONS = Counter("leadmem_responder_decisions_total",
                    "Inbound messages by what the responder did (action) and why (reason).",
                    ["action", "reason"])
HELD = Counter("leadmem_responder_replies_held_total",
               "Claude drafts held by the reply check (not sent; the agent got them as a "
               "suggestion), by the first rule each broke.", ["rule"])
Output = Annotated[ReplyDrafted | AgentAssistRequested, Field(discriminator="type")]
OUTPUT: TypeAdapter[Output] = TypeAdapter(Output)


class ResponderHandler:
    def __init__(self, db: Scoped[ResponderStatements], contexts: ContextReader,
                 publisher: Publisher, composer: Compose,
                 now: Callable[[], datetime] = utcnow,
                 concurrency: int = 1, booker: Booker | None = None) -> None:
        self.db = db
        self.booker = booker
        self.concurrency = max(1, concurrency)
        self.contexts = contexts
        self.publisher = publisher
        self.composer = composer
        self.now = now

    async def __call__(self, record: Record) -> None:
        event = ProfileUpdated.model_validate_json(record.value)
        for raw in await self._reply(event) or []:
            await self.publisher.publish(OUTPUT.validate_python(raw))

    async def handle_group(self, tenant: str, records: Sequence[Record]) -> None:
        """A tenant's records of a batch (see `runtime.groups`): each lead's messages in order,
        different leads concurrently (Claude calls overlap; at most `concurrency` at once),
        then every record's events published in batch order, so the tenant's order holds.
        On a failure the other leads are cancelled and nothing is published; a claim that
        committed meanwhile is re-published by the record-by-record retry, as a redelivery."""
        events = of_tenant(tenant, [ProfileUpdated.model_validate_json(r.value)
                                    for r in records])
        chains: dict[str, list[int]] = {}
        for i, event in enumerate(events):
            chains.setdefault(event.contact_id or "", []).append(i)
        out: list[list[dict[str, Any]] | None] = [None] * len(events)
        limit = asyncio.Semaphore(self.concurrency)

        async def chain(indexes: list[int]) -> None:
            async with limit:
                for i in indexes:
                    out[i] = await self._reply(events[i])

        async with asyncio.TaskGroup() as group:
            for indexes in chains.values():
                group.create_task(chain(indexes))
        for published in out:
            for raw in published or []:
                await self.publisher.publish(OUTPUT.validate_python(raw))

    async def _reply(self, event: ProfileUpdated) -> list[dict[str, Any]] | None:
        """Draft and claim the reply to `event`'s message (or find the claimed one); returns
        the events to publish."""
        if not event.reply_needed or not event.contact_id:
            return None
        tenant, contact = event.tenant_id, event.contact_id
        key = draft.reply_key(event)
        now = self.now()
        async with self.db.transaction(tenant) as tx:
            published, facts = await tx.published_or_facts(tenant, contact, key, now.date(),
                                                           event.profile)
        if facts is not None:
            ctx = await self.contexts.get_context(tenant, contact, holding=event.message_id)
            if ctx is None or not facts.tenant_known:  # forgotten lead or unknown tenant
                DECISIONS.labels("suppress", "unknown_lead").inc()
                return None
            row = await self._draft(draft.Turn.of(event, ctx, now), facts,
                                    draft.merged_context(ctx, event))
            async with self.db.transaction(tenant) as tx:
                published = await tx.claim(row)
        return published

    async def _draft(self, turn: draft.Turn, facts: LeadFacts, ctx: LeadContext) -> Reply:
        """The core decides; Claude writes the text only when the core asks for it, and a
        Claude text passes the reply check before it is claimed."""
        event = turn.event
        verdict = guards.decide(turn.guard_input(ctx, facts), turn.now)
        DECISIONS.labels(verdict.action, verdict.reason).inc()
        plan = modes.plan_reply(event.profile, ctx.profile.qualification, event.next_questions,
                                facts.listings, facts.comps, turn.now.date(),
                                facts.tenant.areas)
        if self.booker is not None:  # a showing asked for, a slot chosen: booking answers
            booked = await self.booker.reply(turn, verdict, facts, ctx)
            if booked is not None:
                return booked
        decided = draft.without_claude(turn, verdict, facts, ctx, plan)
        if decided is not None:
            return decided
        comp = await self.composer.compose(ctx, facts.tenant, plan, turn.channel, turn.now)
        check = None
        if comp.outcome == "ok":  # Claude's text, not ours: checked before it is claimed
            check = await self._check(turn, ctx, facts, plan, comp.body)
            if not check.ok:
                HELD.labels(check.rule or "unknown").inc()
        return draft.composed(turn, verdict, plan, comp, check)

    async def _check(self, turn: draft.Turn, ctx: LeadContext, facts: LeadFacts,
                     plan: modes.Plan, body: str) -> ReplyCheck:
        tenant, contact = turn.event.tenant_id, turn.event.contact_id
        assert contact is not None

        async def others_named(candidates: list[str]) -> list[str]:
            async with self.db.transaction(tenant) as tx:
                return await tx.contacts_named(tenant, contact, candidates)

        return await check_draft(body, ctx, facts, plan, others_named)


class PostgresResponder:
    """`ResponderStatements` over a tenant transaction's connection: `store`'s reads and the
    claim in `workers.replies`."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def published_or_facts(self, tenant: str, contact: str, key: str, today: date,
                                 profile: Mapping[str, Any] | None = None
                                 ) -> tuple[Published | None, LeadFacts | None]:
        return await store.published_or_facts(self.conn, tenant, contact, key, today, profile)

    async def contacts_named(self, tenant: str, contact: str,
                             candidates: list[str]) -> list[str]:
        return await store.contacts_named(self.conn, tenant, contact, candidates)

    async def claim(self, row: Reply) -> Published:
        return await replies.store.claim(self.conn, row)


def build(resources: Resources) -> Handler:
    settings = resources.settings
    claude = open_claude(settings, resources.stack)
    # Leads drafted at once in a tenant group: each holds at most one pooled connection.
    db = resources.database
    contexts = ContextStore.over(db, resources.cache, settings.context_ttl_s)
    composer = Composer(claude, settings)
    timer_loop = TimerLoop(db, contexts, resources.own_publisher(), composer,
                           interval_s=settings.timer_interval_s,
                           lease_s=settings.timer_lease_s, batch=settings.timer_batch)
    resources.run_in_background(Loop("responder-timers", timer_loop.run))
    return ResponderHandler(Bound(db, PostgresResponder), contexts, resources.publisher,
                            composer, concurrency=max(1, settings.db_pool_max - 2),
                            booker=open_booker(resources))


def open_booker(resources: Resources, config: OutboundConfig | None = None) -> Booker:
    """Booking's calls to GHL, through the same tokens and shared rate limit as the
    outbound's (`outbound.access`)."""
    cfg = config or OutboundConfig.from_settings(resources.settings)
    http, sender = open_ghl(resources, cfg)
    return Booker(resources.database, GhlCalendar(sender, CalendarsClient(http, cfg.base_url)))


SPEC = WorkerSpec(name="responder", topics=(LEAD_PROFILE_UPDATED,), build=build)
