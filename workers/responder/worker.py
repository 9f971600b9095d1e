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
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

from prometheus_client import Counter
from pydantic import Field, TypeAdapter

from schemas.context import LeadContext
from schemas.envelope import derive_event_id, utcnow
from schemas.events import AgentAssistRequested, ProfileUpdated, ReplyDrafted
from schemas.topics import LEAD_PROFILE_UPDATED
from workers import replies
from workers.claude import BreakerRegistry, ClaudeClient
from workers.consent.decision import ConsentState, lead_state
from workers.consent.reply_check import ReplyCheck, check_reply, name_candidates
from workers.errors import InvalidEventError
from workers.memory.context import ContextStore
from workers.replies import Reply
from workers.responder import guards, modes, store
from workers.responder.compose import Composer, Composition
from workers.responder.reply_facts import reply_facts
from workers.runtime.boundary import Handler
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.ports import Publisher, Transactions
from workers.runtime.record import Record

CONSUMER = "responder"
DECISIONS = Counter("leadmem_responder_decisions_total",
                    "Inbound messages by what the responder did (action) and why (reason).",
                    ["action", "reason"])
HELD = Counter("leadmem_responder_replies_held_total",
               "Claude drafts held by the reply check (not sent; the agent got them as a "
               "suggestion), by the first rule each broke.", ["rule"])
Output = Annotated[ReplyDrafted | AgentAssistRequested, Field(discriminator="type")]
OUTPUT: TypeAdapter[Output] = TypeAdapter(Output)
HISTORY = 20  # the lead's latest messages read for an opt-out (as the outbound check does)
POSSIBLE_OPT_OUT = ("The lead's message may be a request to stop texting, so no automated reply "
                    "was sent. Please read it and reply yourself, or mark the lead opted out.")
REPLY_HELD = ("The drafted reply was not sent because {why}. Please check it and reply "
              "yourself. Suggested reply: {draft}")


def merged_context(ctx: LeadContext, event: ProfileUpdated) -> LeadContext:
    """The lead's memory with the profile this event carries (newer than any cached one)."""
    profile = ctx.profile.model_copy(update={
        "profile": event.profile, "score": event.score, "score_reasons": event.score_reasons,
        "next_questions": event.next_questions,
    })
    return ctx.model_copy(update={"profile": profile})


def superseded(event: ProfileUpdated, ctx: LeadContext) -> bool:
    """True when the lead has written again since the message this event is about."""
    inbound = [m for m in ctx.memory.recent if m.direction == "inbound" and m.sender == "lead"]
    ids = [m.message_id for m in inbound]
    return bool(event.message_id) and event.message_id in ids and ids[-1] != event.message_id


def consent_state(event: ProfileUpdated, ctx: LeadContext,
                  facts: store.LeadFacts) -> ConsentState:
    """What consent rests on when drafting: the tenant's settings, the lead's flags and the
    message being answered (read for an opt-out the profile may not carry)."""
    memory, tenant, c = ctx.memory, facts.tenant, ctx.memory.contact
    said = [m for m in memory.recent if m.direction == "inbound" and m.sender == "lead"]
    ids = [m.message_id for m in said]
    if event.message_id in ids:  # up to the message answered
        said = said[:ids.index(event.message_id) + 1]
    return lead_state(
        ai_enabled=tenant.ai_enabled, reply_channels=tenant.reply_channels,
        human_takeover=memory.human_takeover,
        opted_out=bool(event.profile.get("opted_out")), opted_out_by_crm=facts.opted_out,
        dnd=memory.dnd, dnd_channels=memory.dnd_channels, contact_tz=c.timezone,
        phone=c.phone, state=c.state, tenant_tz=tenant.timezone, tenant_quiet=tenant.quiet,
        history=[m.body for m in said][-HISTORY:])


def reply_channel(event: ProfileUpdated, ctx: LeadContext) -> str:
    if event.channel:
        return event.channel
    inbound = [m for m in ctx.memory.recent if m.direction == "inbound"]
    return inbound[-1].channel if inbound else "sms"


class ResponderHandler:
    def __init__(self, db: Transactions, contexts: ContextStore, publisher: Publisher,
                 composer: Composer, now: Callable[[], datetime] = utcnow,
                 concurrency: int = 1) -> None:
        self.db = db
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
        events = [ProfileUpdated.model_validate_json(r.value) for r in records]
        if any(e.tenant_id != tenant for e in events):
            raise InvalidEventError("a record's key is not its event's tenant")
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
        key = event.message_id or event.event_id
        now = self.now()
        async with self.db.transaction(tenant) as conn:
            published, facts = await store.published_or_facts(conn, tenant, contact, key,
                                                              now.date())
        if facts is not None:
            ctx = await self.contexts.get_context(tenant, contact, holding=event.message_id)
            if ctx is None or not facts.tenant_known:  # forgotten lead or unknown tenant
                DECISIONS.labels("suppress", "unknown_lead").inc()
                return None
            row = await self._draft(event, key, facts, merged_context(ctx, event), now)
            async with self.db.transaction(tenant) as conn:
                published = await replies.store.claim(conn, row)
        return published

    async def _draft(self, event: ProfileUpdated, key: str, facts: store.LeadFacts,
                     ctx: LeadContext, now: datetime) -> Reply:
        assert event.contact_id is not None
        tenant, memory, profile = facts.tenant, ctx.memory, event.profile
        channel = reply_channel(event, ctx)
        verdict = guards.decide(guards.GuardInput(
            channel=channel, consent=consent_state(event, ctx, facts),
            opt_out_confirmed=facts.opt_out_confirmed,
            wants_human=bool(profile.get("wants_human")), asked_at=event.occurred_at,
            superseded=superseded(event, ctx),
        ), now)
        DECISIONS.labels(verdict.action, verdict.reason).inc()
        plan = modes.plan_reply(profile, ctx.profile.qualification, event.next_questions,
                                facts.listings, facts.comps, now.date())
        row: dict[str, Any] = {
            "tenant_id": event.tenant_id, "idempotency_key": key, "contact_id": event.contact_id,
            "reply_to_message_id": event.message_id, "channel": channel,
            "event_id": derive_event_id(event.tenant_id, CONSUMER, key), "created_at": now}
        first = memory.contact.first_name
        if verdict.action == "suppress":
            notes = []
            if verdict.reason == "human_takeover":
                notes.append(self._assist(event, key, now, "human_takeover", modes.coaching_note(
                    profile, event.score, event.score_reasons, plan)))
            elif verdict.reason == "possible_opt_out":  # a person decides, not the AI
                notes.append(self._assist(event, key, now, "possible_opt_out", POSSIBLE_OPT_OUT))
            return Reply(**row, body="", mode="none", status="suppressed",
                         suppressed_reason=verdict.reason, published=notes)
        if verdict.action == "opt_out_confirmation":  # sent at once: the one allowed message
            body = modes.opt_out_text(tenant.name)
            return self._row(row, event, key, now, body, verdict.action, None, Composition(
                body, "deterministic"))
        held = verdict.send_after
        if verdict.action == "handoff":
            body = modes.handoff_text(first)
            note = "Lead asked to talk to a person. " + modes.coaching_note(
                profile, event.score, event.score_reasons, plan)
            return self._row(row, event, key, now, body, "handoff", held,
                             Composition(body, "deterministic"), ("handoff", note))
        comp = await self.composer.compose(ctx, tenant, plan, channel, now)
        coaching = ("coaching", modes.coaching_note(profile, event.score, event.score_reasons,
                                                    plan)) if event.score == "hot" else None
        if comp.outcome == "ok":  # Claude's text, not ours: checked before it is claimed
            check = await self._check(event.tenant_id, event.contact_id, ctx, facts, plan,
                                      comp.body)
            if not check.ok:
                return self._held(row, event, key, now, plan.mode, comp, check, coaching)
        return self._row(row, event, key, now, comp.body, plan.mode, held, comp, coaching)

    async def _check(self, tenant: str, contact: str, ctx: LeadContext, facts: store.LeadFacts,
                     plan: modes.Plan, body: str) -> ReplyCheck:
        """The reply check of a Claude draft, with the tenant's other contacts whose full
        name the draft contains (one indexed lookup)."""
        others: list[str] = []
        candidates = name_candidates(body)
        if candidates:
            async with self.db.transaction(tenant) as conn:
                others = await store.contacts_named(conn, tenant, contact, candidates)
        return check_reply(body, reply_facts(ctx, facts, plan, others))

    def _held(self, row: dict[str, Any], event: ProfileUpdated, key: str, now: datetime,
              mode: str, comp: Composition, check: ReplyCheck,
              coaching: tuple[str, str] | None) -> Reply:
        """A draft the reply check stopped: recorded suppressed (`reply_check:<rule>`, the
        draft and its cost kept), and handed to the agent as a suggestion."""
        HELD.labels(check.rule or "unknown").inc()
        notes = [self._assist(event, key, now, "reply_held",
                              REPLY_HELD.format(why=check.why(), draft=comp.body))]
        if coaching is not None:
            notes.append(self._assist(event, key, now, *coaching))
        u = comp.usage
        return Reply(
            **row, body=comp.body, mode=mode, status="suppressed",
            suppressed_reason=f"reply_check:{check.rule}", model=comp.model,
            input_tokens=u.input_tokens, output_tokens=u.output_tokens,
            cache_read_tokens=u.cache_read_tokens, cache_write_tokens=u.cache_write_tokens,
            latency_ms=comp.latency_ms, cost_usd=comp.cost_usd, published=notes,
            claude_outcome=comp.outcome,
        )

    def _row(self, row: dict[str, Any], event: ProfileUpdated, key: str, now: datetime,
             body: str, mode: str, send_after: datetime | None, comp: Composition,
             assist: tuple[str, str] | None = None) -> Reply:
        u = comp.usage
        reply = ReplyDrafted(
            event_id=row["event_id"], tenant_id=event.tenant_id, contact_id=event.contact_id,
            occurred_at=now, received_at=event.received_at, causation_id=event.event_id,
            idempotency_key=key, channel=row["channel"], body=body, mode=mode,
            reply_to_message_id=event.message_id, send_after=send_after, model=comp.model,
            input_tokens=u.input_tokens, output_tokens=u.output_tokens,
            cache_read_tokens=u.cache_read_tokens, cache_write_tokens=u.cache_write_tokens,
            cost_usd=comp.cost_usd, latency_ms=comp.latency_ms,
        )
        published = [reply.model_dump(mode="json")]
        if assist is not None:
            published.append(self._assist(event, key, now, *assist))
        return Reply(
            **row, body=body, mode=mode, model=comp.model, input_tokens=u.input_tokens,
            output_tokens=u.output_tokens, cache_read_tokens=u.cache_read_tokens,
            cache_write_tokens=u.cache_write_tokens, latency_ms=comp.latency_ms,
            cost_usd=comp.cost_usd, send_after=send_after, published=published,
            claude_outcome=comp.outcome,
        )

    @staticmethod
    def _assist(event: ProfileUpdated, key: str, now: datetime, reason: str,
                note: str) -> dict[str, Any]:
        return AgentAssistRequested(
            event_id=derive_event_id(event.tenant_id, CONSUMER, key, "assist", reason),
            tenant_id=event.tenant_id, contact_id=event.contact_id, occurred_at=now,
            received_at=event.received_at, causation_id=event.event_id,
            reason=reason, note=note,
        ).model_dump(mode="json")


def build(resources: Resources) -> Handler:
    settings = resources.settings
    claude = ClaudeClient(BreakerRegistry(
        failure_threshold=int(settings.claude_breaker_failures),
        reset_after_s=float(settings.claude_breaker_reset_s),
    ))
    resources.stack.push_async_callback(claude.aclose)
    # Leads drafted at once in a tenant group: each holds at most one pooled connection.
    db = resources.database
    return ResponderHandler(db, ContextStore.over(db, resources.cache, settings.context_ttl_s),
                            resources.publisher, Composer(claude, settings),
                            concurrency=max(1, settings.db_pool_max - 2))


SPEC = WorkerSpec(name="responder", topics=(LEAD_PROFILE_UPDATED,), build=build)
