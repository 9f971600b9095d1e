"""Follow-ups of a quiet lead (issue #26 item 3), on a simulated clock, over the real Postgres
and Redis: the memory handler schedules them as our texts reach the lead, the responder's
timer loop fires them (Claude not configured: the fallback writes), every stop rule ends
them, the lead's message resets the cadence.

A text "reaches the lead" here as the outbound reports it, a `replies.delivered` record
handed to the memory handler at the clock's time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis
from pydantic import BaseModel

from schemas import topics
from schemas.envelope import utcnow
from schemas.events import (
    ContactChanged,
    ContactSnapshot,
    LeadActivityRecorded,
    MessageIngested,
    ReplyDelivered,
)
from tests.conftest import new_tenant
from tests.support.zones import midday_zone, zone_at
from workers.consent_ledger import Kind
from workers.consent_ledger import store as ledger
from workers.consent_ledger.addresses import hasher_for
from workers.db.tenant import TenantDatabase
from workers.leads import profiles
from workers.memory.context import ContextStore
from workers.memory.worker import MemoryHandler, PostgresMemory
from workers.responder.compose import Composer
from workers.responder.timer_loop import TimerLoop
from workers.runtime.clients import open_claude
from workers.runtime.ports import Bound
from workers.runtime.record import Record
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.timers import store as timers
from workers.timers.follow_ups import DAY

pytestmark = pytest.mark.integration
PHONE = "+447700900123"  # no US area code: the contact's own zone decides its hours
CADENCE = (DAY, 2 * DAY, 3 * DAY)  # whole days: the lead's local hour stays midday


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        self.events.append(event.model_dump(mode="json"))

    async def flush(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.at = utcnow()

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> datetime:
        self.at += timedelta(seconds=seconds)
        return self.at


class Journey:
    """One tenant's lead, its memory handler and one timer loop on one clock."""

    def __init__(self, db: TenantDatabase, memory: MemoryHandler, loop: TimerLoop,
                 out: Recorder, clock: Clock, tenant: str, contact: str = "c1") -> None:
        self.db, self.memory, self.loop, self.out = db, memory, loop, out
        self.clock, self.tenant, self.contact = clock, tenant, contact

    def _base(self) -> dict[str, Any]:
        now = self.clock()
        return {"event_id": str(uuid.uuid4()), "tenant_id": self.tenant,
                "contact_id": self.contact, "occurred_at": now, "received_at": now}

    async def feed(self, event: BaseModel, topic: str = topics.CONVERSATION_EVENTS) -> None:
        await self.memory(Record(topic, 0, 0, event.model_dump_json().encode()))

    async def contact_created(self, zone: str, **fields: Any) -> None:
        await self.feed(ContactChanged(**self._base(), change="create",
                                       changed_at=self.clock(), contact=ContactSnapshot(
                                           first_name="Ana", phone=PHONE, timezone=zone,
                                           source="Zillow", **fields)))

    async def lead_writes(self, text: str) -> None:
        await self.feed(MessageIngested(**self._base(), direction="inbound", channel="sms",
                                        sender="lead", body=text,
                                        message_id=f"m-{uuid.uuid4().hex[:8]}"))

    async def agent_writes(self, text: str) -> None:
        await self.feed(MessageIngested(**self._base(), direction="outbound", channel="sms",
                                        sender="human", user_id="u-agent", body=text,
                                        message_id=f"m-{uuid.uuid4().hex[:8]}"))

    async def delivered(self, key: str, body: str = "a text of ours") -> None:
        await self.feed(ReplyDelivered(**self._base(), idempotency_key=key,
                                       ghl_message_id=f"g-{uuid.uuid4().hex[:8]}", body=body),
                        topics.REPLIES_DELIVERED)

    async def activity(self, kind: str, ghl_type: str, status: str) -> None:
        await self.feed(LeadActivityRecorded(**self._base(), kind=kind, ghl_type=ghl_type,
                                             ref_id=f"r-{uuid.uuid4().hex[:6]}", status=status))

    async def profile(self, profile: dict[str, Any]) -> None:
        """The lead's profile as learning saves it (and the cached context forgotten)."""
        async with self.db.transaction(self.tenant) as conn:
            await profiles.save(conn, self.tenant, self.contact, profile=profile, score="warm",
                                score_reasons=[], qualification={}, next_questions=[],
                                signals={})
        await self.memory.contexts.forget(self.tenant, self.contact)

    async def open_follow_up(self) -> timers.Timer | None:
        async with self.db.transaction(self.tenant) as conn:
            row = await conn.fetchrow(
                "SELECT timer_id FROM timers WHERE tenant_id = $1 AND contact_id = $2 AND "
                "kind = 'follow_up' AND state IN ('pending', 'firing')",
                self.tenant, self.contact)
            return None if row is None else await timers.get(conn, self.tenant, row[0])

    async def fire_due(self) -> list[dict[str, Any]]:
        """Tick until nothing of this tenant is due; the replies claimed meanwhile."""
        before = {r["idempotency_key"] for r in await self.replies()}
        for _ in range(20):
            if await self.loop.tick() == 0:
                break
        return [r for r in await self.replies() if r["idempotency_key"] not in before]

    async def replies(self) -> list[dict[str, Any]]:
        async with self.db.transaction(self.tenant) as conn:
            return [dict(r) for r in await conn.fetch(
                "SELECT idempotency_key, status, body, mode, suppressed_reason, send_after "
                "FROM replies WHERE tenant_id = $1 ORDER BY created_at", self.tenant)]

    async def until_due(self, timer: timers.Timer) -> None:
        self.clock.at = timer.due_at + timedelta(seconds=1)

    async def next_follow_up(self) -> dict[str, Any]:
        """Move the clock to the open follow-up and fire it: its reply."""
        t = await self.open_follow_up()
        assert t is not None, "no follow-up scheduled"
        await self.until_due(t)
        [row] = await self.fire_due()
        return row


@pytest.fixture
async def journey(db: TenantDatabase, redis: aioredis.Redis,
                  make_settings: Callable[..., Settings]) -> AsyncIterator[
                      Callable[..., Any]]:
    settings = make_settings()
    async with AsyncExitStack() as stack:
        composer = Composer(open_claude(settings, stack), settings)

        async def make(cadence: tuple[int, ...] = CADENCE, **changes: Any) -> Journey:
            tenant = new_tenant()
            async with db.transaction(tenant) as conn:
                await conn.execute("INSERT INTO tenants (id, name, ai_enabled) "
                                   "VALUES ($1, $2, true)", tenant, "Acme Realty")
                await tenants.update(conn, tenant, {"first_touch_sources": ("Zillow",),
                                                    "follow_ups": cadence, **changes})
            clock, out = Clock(), Recorder()
            memory = MemoryHandler(Bound(db, PostgresMemory),
                                   ContextStore.over(db, redis, 3600), Recorder(),
                                   hasher_for(None))
            loop = TimerLoop(db, ContextStore.over(db, redis, 3600), out, composer,
                             interval_s=0.1, lease_s=60, batch=500, now=clock)
            return Journey(db, memory, loop, out, clock, tenant)

        yield make


async def first_touched(j: Journey, zone: str | None = None) -> dict[str, Any]:
    await j.contact_created(zone or midday_zone())
    [row] = await j.fire_due()
    assert row["mode"] == "first_touch" and row["status"] == "drafted"
    await j.delivered(row["idempotency_key"], row["body"])
    return row


async def test_a_quiet_lead_is_followed_up_on_the_cadence_until_the_last_step(
        journey: Callable[..., Any]) -> None:
    j: Journey = await journey()
    await first_touched(j)
    sent_at = j.clock()
    steps = []
    for n, wait in enumerate(CADENCE):
        t = await j.open_follow_up()
        assert t is not None and t.payload == {"step": n, "steps": 3}
        assert t.due_at == sent_at + timedelta(seconds=wait)  # after our last text
        j.clock.at = t.due_at - timedelta(seconds=1)
        assert await j.fire_due() == []  # not before it is due
        row = await j.next_follow_up()
        assert row["mode"] == "follow_up" and row["status"] == "drafted"
        assert row["idempotency_key"] == "timer:" + t.timer_id
        steps.append(row["body"])
        sent_at = j.clock()
        await j.delivered(row["idempotency_key"], row["body"])
    assert all(b.startswith("Hi Ana") for b in steps)
    assert await j.open_follow_up() is None  # three steps: no fourth
    async with j.db.transaction(j.tenant) as conn:
        states = await conn.fetch("SELECT state FROM timers WHERE tenant_id = $1 "
                                  "AND kind = 'follow_up'", j.tenant)
    assert [r["state"] for r in states] == ["done"] * 3


async def test_the_leads_message_resets_the_cadence(journey: Callable[..., Any]) -> None:
    j: Journey = await journey()
    await first_touched(j)
    row = await j.next_follow_up()  # step 0
    await j.delivered(row["idempotency_key"], row["body"])
    t = await j.open_follow_up()
    assert t is not None and t.payload["step"] == 1
    j.clock.advance(3600)
    await j.lead_writes("Sorry, been busy! Still looking for a 3 bed in Round Rock")
    cancelled = await j.open_follow_up()
    assert cancelled is None  # the lead wrote: nothing to follow up yet
    async with j.db.transaction(j.tenant) as conn:
        assert (await timers.get(conn, j.tenant, t.timer_id)).state == "cancelled"  # type: ignore[union-attr]
    j.clock.advance(60)
    await j.delivered("reply-to-m1", "Great! Any budget in mind?")  # our answer reached them
    again = await j.open_follow_up()
    assert again is not None and again.payload["step"] == 0  # from the first step again
    assert again.due_at == j.clock() + timedelta(seconds=CADENCE[0])


async def test_a_far_timeline_spaces_follow_ups_out(db: TenantDatabase,
                                                    journey: Callable[..., Any]) -> None:
    j: Journey = await journey()
    await j.contact_created(midday_zone())
    await j.profile({"timeline": "12_plus_months"})
    [row] = await j.fire_due()
    await j.delivered(row["idempotency_key"])
    t = await j.open_follow_up()
    assert t is not None and t.due_at == j.clock() + timedelta(days=30)  # monthly, not daily


@pytest.mark.parametrize(("event", "reason"), [
    ("dnd", "follow_up_stopped:dnd"),
    ("done", "follow_up_stopped:done"),
    ("not_interested", "follow_up_stopped:possible_opt_out"),  # consent reads it first
    ("changed_minds", "follow_up_stopped:not_interested"),
    ("has_agent", "follow_up_stopped:has_agent"),
    ("booked", "follow_up_stopped:booked"),
    ("lost", "follow_up_stopped:lost"),
])
async def test_each_stop_rule_ends_the_follow_ups_for_good(
        db: TenantDatabase, journey: Callable[..., Any], event: str, reason: str) -> None:
    j: Journey = await journey()
    await first_touched(j)
    j.clock.advance(600)
    if event in ("done", "not_interested", "changed_minds"):  # said; answered; then silence
        await j.lead_writes({"done": "We already bought a place last week, thanks!",
                             "not_interested": "Honestly we're not interested anymore",
                             "changed_minds": "We changed our minds, staying put for now"
                             }[event])
        await j.delivered("reply-to-lead", "Congratulations!")
    elif event == "dnd":  # consent lost between scheduling and sending
        await j.feed(ContactChanged(**j._base(), change="dnd", changed_at=j.clock(),
                                    contact=ContactSnapshot(phone=PHONE, dnd=True)))
    elif event == "has_agent":
        await j.profile({"has_agent": True})
    elif event == "booked":  # cancels the open one at once, and stops any later one
        await j.activity("appointment", "AppointmentCreate", "confirmed")
        assert await j.open_follow_up() is None
        await j.delivered("reply-to-lead", "See you Saturday!")
    else:
        await j.activity("opportunity", "OpportunityStatusUpdate", "lost")
    t = await j.open_follow_up()
    assert t is not None
    row = await j.next_follow_up()
    assert row["status"] == "suppressed", row
    assert row["suppressed_reason"].startswith(reason), row["suppressed_reason"]
    assert [e for e in j.out.events if e["type"] == "reply.drafted"
            and e["idempotency_key"] == row["idempotency_key"]] == []
    assert await j.open_follow_up() is None  # nothing delivered: no next step, ever


async def test_a_takeover_or_an_agents_message_cancels_the_follow_up(
        journey: Callable[..., Any]) -> None:
    j: Journey = await journey()
    await first_touched(j)
    assert await j.open_follow_up() is not None
    await j.agent_writes("Hi Ana, this is Sam from Acme, I'll call you this afternoon")
    assert await j.open_follow_up() is None
    j.clock.advance(30 * DAY)
    assert await j.fire_due() == []


async def test_no_follow_up_after_an_opt_out_confirmation_or_when_switched_off(
        db: TenantDatabase, journey: Callable[..., Any]) -> None:
    off: Journey = await journey(cadence=())
    await first_touched(off)
    assert await off.open_follow_up() is None
    j: Journey = await journey()
    await j.contact_created(midday_zone())
    async with db.transaction(j.tenant) as conn:
        await conn.execute(
            "INSERT INTO replies (tenant_id, idempotency_key, contact_id, channel, body, mode, "
            "status, event_id) VALUES ($1, 'optout-ack', $2, 'sms', 'You are unsubscribed', "
            "'opt_out_confirmation', 'sent', $3)", j.tenant, j.contact, str(uuid.uuid4()))
    await j.delivered("optout-ack")
    assert await j.open_follow_up() is None


async def test_a_follow_up_at_night_is_held_to_the_morning(
        journey: Callable[..., Any]) -> None:
    j: Journey = await journey(cadence=(3600,))
    night = zone_at(0, 4)  # an hour on from now is still night there
    await j.contact_created(night)
    [ft] = await j.fire_due()
    await j.delivered(ft["idempotency_key"])
    row = await j.next_follow_up()
    assert row["status"] == "drafted" and row["send_after"] is not None
    local = row["send_after"].astimezone(ZoneInfo(night))
    assert row["send_after"] > j.clock() and 7 <= local.hour <= 10


async def test_two_replicas_racing_and_a_restart_fire_each_follow_up_once(
        db: TenantDatabase, redis: aioredis.Redis, journey: Callable[..., Any]) -> None:
    j: Journey = await journey()
    await first_touched(j)
    t = await j.open_follow_up()
    assert t is not None
    await j.until_due(t)
    other = TimerLoop(db, ContextStore.over(db, redis, 3600), Recorder(), j.loop.composer,
                      interval_s=0.1, lease_s=60, batch=500, now=j.clock)
    fired = await asyncio.gather(j.loop.fire(j.tenant, t.timer_id),
                                 other.fire(j.tenant, t.timer_id))
    assert sorted(fired) == [False, True]
    # A restarted replica later on finds it done, and the reply is one row
    restarted = TimerLoop(db, ContextStore.over(db, redis, 3600), Recorder(),
                          j.loop.composer, interval_s=0.1, lease_s=60, batch=500,
                          now=lambda: j.clock() + timedelta(hours=1))
    assert not await restarted.fire(j.tenant, t.timer_id)
    assert [r["idempotency_key"] for r in await j.replies()].count("timer:" + t.timer_id) == 1


async def test_a_cancelled_appointment_restarts_the_follow_ups(
        journey: Callable[..., Any]) -> None:
    j: Journey = await journey()
    await first_touched(j)
    await j.feed(LeadActivityRecorded(**j._base(), kind="appointment",
                                      ghl_type="AppointmentCreate", ref_id="appt-1",
                                      status="confirmed"))
    assert await j.open_follow_up() is None
    j.clock.advance(DAY)
    await j.feed(LeadActivityRecorded(**j._base(), kind="appointment",
                                      ghl_type="AppointmentUpdate", ref_id="appt-1",
                                      status="cancelled"))
    t = await j.open_follow_up()
    assert t is not None and t.payload["step"] == 0
    assert t.due_at == j.clock() + timedelta(seconds=CADENCE[0])
    row = await j.next_follow_up()
    assert row["status"] == "drafted" and row["mode"] == "follow_up"


async def test_a_lead_that_asks_us_to_wait_is_followed_up_when_the_pause_ends(
        journey: Callable[..., Any]) -> None:
    """"don't text me for two weeks": the ledger records the pause from the lead's words;
    the follow-up due inside it is postponed (nothing drafted), pending again until the
    pause ends, and fires then."""
    j: Journey = await journey()
    await first_touched(j)
    j.clock.advance(600)
    await j.lead_writes("busy with the move rn, please don't text me for two weeks")
    said_at = j.clock()
    async with j.db.transaction(j.tenant) as conn:
        consent = await ledger.read(conn, j.tenant, j.contact)
    ends = said_at + timedelta(days=14)
    assert consent.paused_until(said_at) == ends
    await j.delivered("reply-to-pause", "No problem, talk in two weeks!")  # its answer
    t = await j.open_follow_up()
    assert t is not None and t.due_at < ends
    await j.until_due(t)
    assert await j.fire_due() == []  # postponed: nothing drafted
    moved = await j.open_follow_up()
    assert moved is not None and moved.timer_id == t.timer_id
    assert (moved.state, moved.due_at, moved.attempt) == ("pending", ends, 0)
    j.clock.at = ends + timedelta(seconds=1)
    [row] = await j.fire_due()
    assert row["mode"] == "follow_up" and row["status"] == "drafted"
    assert row["idempotency_key"] == "timer:" + t.timer_id


async def test_the_lead_re_engaging_lifts_its_pause(journey: Callable[..., Any]) -> None:
    j: Journey = await journey()
    await first_touched(j)
    await j.lead_writes("no me escriban hasta marzo porfa")
    async with j.db.transaction(j.tenant) as conn:
        assert (await ledger.read(conn, j.tenant, j.contact)).paused_until(j.clock())
    j.clock.advance(3600)
    await j.lead_writes("actually is the 3 bed on Elm still available? what's the price?")
    async with j.db.transaction(j.tenant) as conn:
        history = await ledger.history(conn, j.tenant, j.contact)
        consent = await ledger.read(conn, j.tenant, j.contact)
    assert [e.kind for e in history] == [Kind.PAUSED, Kind.RESUMED]
    assert consent.paused_until(j.clock()) is None
    await j.delivered("reply-to-question", "Yes! It's listed at 389k.")
    row = await j.next_follow_up()
    assert row["mode"] == "follow_up" and row["status"] == "drafted"


async def test_a_follow_up_inside_the_leads_own_hours_is_held_to_their_end(
        journey: Callable[..., Any]) -> None:
    """"please no texts before noon": a follow-up due at 10:00 on the lead's clock is
    drafted and held until 12:00 there."""
    j: Journey = await journey(cadence=(3600,))
    morning = zone_at(9, 10)  # an hour on from now is 10:00-11:00 there
    await j.contact_created(morning)
    assert len(await j.fire_due()) == 1  # the first touch
    await j.lead_writes("hi! please no texts before noon, I work nights")
    await j.delivered("reply-to-hours", "Got it, afternoons only!")
    row = await j.next_follow_up()
    assert row["status"] == "drafted" and row["send_after"] is not None
    assert row["send_after"].astimezone(ZoneInfo(morning)).time() == time(12, 0)


async def test_a_delivery_reported_after_the_leads_answer_schedules_no_follow_up(
        journey: Callable[..., Any]) -> None:
    """Our text's delivery report can reach memory after the lead has already answered it:
    the follow-up it would schedule is not needed (the reply to the lead schedules the next
    one), and nothing would cancel it."""
    j: Journey = await journey()
    await j.contact_created(midday_zone())
    [ft] = await j.fire_due()
    sent_at = j.clock()
    j.clock.advance(60)
    await j.lead_writes("Hi! yes, still looking for a 3 bed")
    j.clock.at = sent_at + timedelta(seconds=5)  # GHL took it before the lead answered
    await j.delivered(ft["idempotency_key"], ft["body"])
    assert await j.open_follow_up() is None
