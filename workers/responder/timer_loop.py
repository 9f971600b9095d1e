"""The responder's timer loop: fires due timers (`workers.timers`) — a new lead's first
touch, a quiet lead's follow-up — a `runtime.background.Loop` beside the responder's
consumer.

The responder owns it because a first touch is a draft like any reply: the same facts, the
same guards (consent, quiet hours), the same composer (Claude or the fallback), the same
reply check and the same claim through `workers.replies`; only the trigger differs.

Every `interval_s`: the due timers of every tenant (`timers_due`, a SECURITY DEFINER scan
returning (tenant, timer) pairs), each then, in its tenant's transactions:
1. claim it (`FOR UPDATE SKIP LOCKED`, pending -> firing, leased) with the lead's facts;
   a reply already claimed for it (an earlier fire that crashed before `done`) is only
   published again; a lead that asked us to wait ("text me after the holidays") has the
   timer postponed, pending again until its pause ends;
2. draft outside any transaction (Claude bounded by its deadline), check Claude's text;
3. lock the timer: still firing under this claim (not cancelled by the lead's message
   meanwhile, not taken over)? claim the reply (keyed by the timer) and commit;
4. publish what the claim holds (ReplyDrafted: the outbound's consent claim decides at send
   time; a held draft's AgentAssistRequested) and flush; then mark the timer done.
A crash anywhere leaves the timer firing; once its lease runs out another fire repeats the
step that did not finish, and the reply's key makes it one text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Any, Protocol

import asyncpg
from aiokafka.errors import KafkaError
from prometheus_client import Counter
from pydantic import Field, TypeAdapter

from schemas.context import LeadContext
from schemas.envelope import utcnow
from schemas.events import AgentAssistRequested, ReplyDrafted
from workers.consent.reply_check import ReplyCheck
from workers.errors import PipelineError
from workers.leads import consent_state
from workers.replies import store as replies
from workers.replies.row import Reply
from workers.responder import first_touch, follow_up, guards, store
from workers.responder.checked import check_draft
from workers.responder.modes import Plan
from workers.responder.ports import Compose, ContextReader
from workers.responder.store import LeadFacts
from workers.runtime.ports import Publisher, Transactions
from workers.timers import follow_ups
from workers.timers import store as timers
from workers.timers.core import Timer

log = logging.getLogger(__name__)
FIRED = Counter("leadmem_timers_fired_total",
                "Timers fired, by kind and what came of it (sent: a draft claimed to send; "
                "held: the reply check held it for the agent; suppressed; republished; "
                "cancelled: the lead's event came first; postponed: the lead asked us to "
                "wait).", ["kind", "outcome"])
Output = Annotated[ReplyDrafted | AgentAssistRequested, Field(discriminator="type")]
OUTPUT: TypeAdapter[Output] = TypeAdapter(Output)
CHANNEL = "sms"  # a first touch is a text: the sources' consent is to be texted


class Flushing(Publisher, Protocol):
    """The loop's own publisher (`Resources.own_publisher`): each fire is flushed before
    its timer is marked done."""

    async def flush(self) -> None: ...


class TimerLoop:
    def __init__(self, db: Transactions, contexts: ContextReader, publisher: Flushing,
                 composer: Compose, *, interval_s: float, lease_s: float, batch: int,
                 now: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.contexts = contexts
        self.publisher = publisher
        self.composer = composer
        self.interval_s = interval_s
        self.lease = timedelta(seconds=lease_s)
        self.batch = batch
        self.now = now

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except (PipelineError, KafkaError, OSError, asyncpg.PostgresError) as exc:
                log.warning("responder: timer scan failed, retrying: %r", exc)
            await asyncio.sleep(self.interval_s)

    async def tick(self) -> int:
        """Fire the due timers; returns how many this replica fired."""
        async with self.db.transaction(timers.SCAN_SCOPE) as conn:
            due = await timers.due(conn, self.now(), self.lease, self.batch)
        fired = 0
        for tenant, timer_id in due:
            try:
                fired += await self.fire(tenant, timer_id)
            except Exception:  # one timer's failure must not stop the others
                # Left firing: fired again once its lease runs out (failed after
                # `MAX_ATTEMPTS` claims), so a timer that always crashes is given up.
                log.exception("responder: timer %s/%s failed", tenant, timer_id)
        return fired

    async def fire(self, tenant: str, timer_id: str) -> bool:
        """Claim and fire one timer; False when another replica has it or it is not due."""
        now = self.now()
        async with self.db.transaction(tenant) as conn:
            timer = await timers.claim(conn, tenant, timer_id, now, self.lease)
            if timer is None:
                return False
            key = first_touch.Touch(timer, CHANNEL, now).key
            published, facts = await store.published_or_facts(conn, tenant, timer.contact_id,
                                                               key, now.date())
            ended = (await store.follow_up_ended(conn, tenant, timer.contact_id)
                     if timer.kind == "follow_up" else None)
        if published is not None:  # claimed by an earlier fire that did not finish
            FIRED.labels(timer.kind, "republished").inc()
            await self._publish(published)
            await self._finish(timer)
            return True
        assert facts is not None
        paused = facts.lead.consent.paused_until(now)
        if paused is not None:  # the lead asked us to wait: the same step, once it ends
            async with self.db.transaction(tenant) as conn:
                moved = await timers.postpone(conn, timer, paused, "paused")
            FIRED.labels(timer.kind, "postponed" if moved else "cancelled").inc()
            return moved
        touch = first_touch.Touch(timer, CHANNEL, now)
        if timer.kind == "follow_up":
            row = await self._draft_follow_up(touch, facts, ended)
        else:
            row = await self._draft(touch, facts)
        async with self.db.transaction(tenant) as conn:
            if not await timers.still_firing(conn, timer):
                FIRED.labels(timer.kind, "cancelled").inc()
                return False
            published = await replies.claim(conn, row)
        FIRED.labels(timer.kind, _outcome(row)).inc()
        await self._publish(published)
        await self._finish(timer, row.suppressed_reason)
        return True

    async def _draft_follow_up(self, touch: first_touch.Touch, facts: LeadFacts,
                               ended: store.FollowUpEnd | None) -> Reply:
        """A quiet lead's follow-up: stopped for good when `follow_ups.stop_reason` says so
        (recorded as the reply's reason, so firing again stays silent and no next step is
        scheduled), else drafted from the lead's memory like any reply."""
        timer = touch.timer
        ctx = await self.contexts.get_context(timer.tenant_id, timer.contact_id)
        if ctx is None or not facts.tenant_known or not facts.lead.known:
            return first_touch.suppressed(touch, "unknown_lead")
        if not facts.lead.phone:
            return first_touch.suppressed(touch, "no_phone")
        verdict = guards.decide(guards.GuardInput(
            channel=touch.channel, consent=consent_state(facts.tenant, facts.lead),
            opt_out_confirmed=facts.opt_out_confirmed, wants_human=False,
            asked_at=touch.now), touch.now)
        step, steps = int(timer.payload.get("step", 0)), int(timer.payload.get("steps", 0))
        stop = follow_ups.stop_reason(follow_ups.StopFacts(
            consent_block=None if verdict.action == "reply" else verdict.reason,
            takeover=facts.lead.human_takeover,
            has_agent=ctx.profile.profile.get("has_agent") is True,
            booked=ended is not None and ended.booked,
            pipeline_lost=ended is not None and ended.lost,
            lead_messages=follow_up.last_lead_messages(ctx), step=step, steps=steps))
        if stop is not None:
            reason = verdict.reason if stop == "consent" else stop
            return first_touch.suppressed(touch, f"follow_up_stopped:{reason}")
        # The listings its search admits: a second read, as its profile is the context's,
        # read after the timer's claim (the first read knew no profile).
        async with self.db.transaction(timer.tenant_id) as conn:
            facts = replace(facts, listings=await store.candidates(
                conn, timer.tenant_id, ctx.profile.profile))
        plan = follow_up.plan(ctx, facts.listings, step, steps, facts.tenant.areas)
        return await self._written(touch, ctx, facts, verdict, plan,
                                   follow_up.task(touch.channel), follow_up.MODE)

    async def _draft(self, touch: first_touch.Touch, facts: LeadFacts) -> Reply:
        timer = touch.timer
        ctx = await self.contexts.get_context(timer.tenant_id, timer.contact_id)
        if ctx is None or not facts.tenant_known or not facts.lead.known:
            return first_touch.suppressed(touch, "unknown_lead")
        if any(m.direction == "inbound" and m.sender == "lead" for m in ctx.memory.recent):
            return first_touch.suppressed(touch, "lead_wrote_first")
        if not facts.lead.phone:
            return first_touch.suppressed(touch, "no_phone")
        verdict = guards.decide(guards.GuardInput(
            channel=touch.channel, consent=consent_state(facts.tenant, facts.lead),
            opt_out_confirmed=False, wants_human=False, asked_at=touch.now), touch.now)
        if verdict.action != "reply":
            return first_touch.suppressed(touch, verdict.reason)
        lead = facts.lead  # its tags and fields: the property asked about, the language
        opener = first_touch.Opener.of(lead.first_name, lead.source, lead.tags,
                                       lead.custom_fields)
        plan = first_touch.plan(opener, facts.tenant.name)
        return await self._written(touch, ctx, facts, verdict, plan,
                                   first_touch.task(touch.channel), first_touch.MODE)

    async def _written(self, touch: first_touch.Touch, ctx: LeadContext, facts: LeadFacts,
                       verdict: guards.Verdict, plan: Plan, task: str, mode: str) -> Reply:
        """The timer's text as Claude (or the fallback) writes it for `plan`; Claude's text
        passes the reply check before it is claimed."""
        comp = await self.composer.compose(ctx, facts.tenant, plan, touch.channel, touch.now,
                                           task)
        check = None
        if comp.outcome == "ok":  # Claude's text, not ours: checked before it is claimed
            check = await self._check(touch, ctx, facts, plan, comp.body)
        return first_touch.composed(touch, verdict, comp, check, mode)

    async def _check(self, touch: first_touch.Touch, ctx: LeadContext, facts: LeadFacts,
                     plan: Plan, body: str) -> ReplyCheck:
        timer = touch.timer

        async def others_named(candidates: list[str]) -> list[str]:
            async with self.db.transaction(timer.tenant_id) as conn:
                return await store.contacts_named(conn, timer.tenant_id, timer.contact_id,
                                                  candidates)

        return await check_draft(body, ctx, facts, plan, others_named)

    async def _publish(self, published: list[dict[str, Any]]) -> None:
        for raw in published:
            await self.publisher.publish(OUTPUT.validate_python(raw))
        await self.publisher.flush()

    async def _finish(self, timer: Timer, reason: str | None = None) -> None:
        async with self.db.transaction(timer.tenant_id) as conn:
            await timers.finish(conn, timer, reason)


def _outcome(row: Reply) -> str:
    if row.status != "suppressed":
        return "sent"
    return "held" if (row.suppressed_reason or "").startswith("reply_check:") else "suppressed"

