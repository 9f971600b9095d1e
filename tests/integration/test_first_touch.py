"""First touch (issue #26): a new contact from a source the tenant listed is texted first, by
the responder's timer loop over durable timers (`workers.timers`).

End to end (memory, responder and outbound workers on the real broker, the fake GHL): a
ContactCreate from a listed source is POSTed to GHL, one from an unlisted source is not.
The rest drive the memory handler and the timer loop directly over the real Postgres and
Redis: a lead who writes before the timer fires gets no first touch; two replicas racing
for one due timer fire it once; a replica dying mid-way (claimed, not done) leaves it to be
fired once by another; a first touch at night is held to the morning; a lead who writes
while it is drafted gets none, and one who writes after it was drafted supersedes it at the
outbound's consent claim.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis
from pydantic import BaseModel

from devtools.fakes.ghl_api import FakeGHLAPI
from schemas import topics
from schemas.envelope import utcnow
from schemas.events import ContactChanged, ContactSnapshot, MessageIngested, ReplyDrafted
from tests.conftest import new_tenant
from tests.support.kafka import publish_events
from tests.support.workers import eventually, running
from tests.support.zones import midday_zone, zone_at
from workers.consent_ledger.addresses import hasher_for
from workers.db.tenant import TenantDatabase
from workers.memory.context import ContextStore
from workers.memory.worker import MemoryHandler, PostgresMemory
from workers.outbound.config import OutboundConfig
from workers.outbound.delivery import ReplyStore
from workers.outbound.worker import SPEC as OUTBOUND
from workers.outbound.worker import build as build_outbound
from workers.responder.compose import Composer
from workers.responder.timer_loop import TimerLoop
from workers.runtime.clients import open_claude
from workers.runtime.host import WorkerHost
from workers.runtime.ports import Bound
from workers.runtime.record import Record
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.timers import store as timers

pytestmark = pytest.mark.integration
PHONE = "+447700900123"  # no US area code: the contact's own zone decides its hours


class Recorder:
    """The loop's publisher, recording what it publishes (and flushes)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.flushed = 0

    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        self.events.append(event.model_dump(mode="json"))

    async def flush(self) -> None:
        self.flushed += 1


@pytest.fixture
async def ghl() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI() as fake:
        yield fake


async def tenant_listing(db: TenantDatabase, *sources: str) -> str:
    tenant = new_tenant()
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id, name, ai_enabled) VALUES ($1, $2, true)",
                           tenant, "Acme Realty")
        await tenants.update(conn, tenant, {"first_touch_sources": sources})
    return tenant


def created(tenant: str, contact: str, source: str | None, zone: str,
            **fields: Any) -> ContactChanged:
    now = utcnow()
    return ContactChanged(
        event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id=contact, occurred_at=now,
        received_at=now, change="create", changed_at=now,
        contact=ContactSnapshot(first_name="Ana", phone=PHONE, timezone=zone, source=source,
                                **fields))


def inbound(tenant: str, contact: str, text: str) -> MessageIngested:
    now = utcnow()
    return MessageIngested(
        event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id=contact, occurred_at=now,
        received_at=now, direction="inbound", channel="sms", sender="lead", body=text,
        message_id=f"m-{uuid.uuid4().hex[:8]}")


def record(event: BaseModel) -> Record:
    return Record(topics.CONVERSATION_EVENTS, 0, 0, event.model_dump_json().encode())


@pytest.fixture
async def memory(db: TenantDatabase, redis: aioredis.Redis) -> MemoryHandler:
    return MemoryHandler(Bound(db, PostgresMemory), ContextStore.over(db, redis, 3600),
                         Recorder(), hasher_for(None))


@pytest.fixture
async def loops(db: TenantDatabase, redis: aioredis.Redis,
                make_settings: Callable[..., Settings]
                ) -> AsyncIterator[Callable[..., tuple[TimerLoop, Recorder]]]:
    """Timer loops as the responder runs them (Claude not configured: the fallback writes),
    each with its own publisher; `now` may move a loop's clock."""
    settings = make_settings()
    async with AsyncExitStack() as stack:
        composer = Composer(open_claude(settings, stack), settings)

        def make(now: Callable[[], datetime] = utcnow) -> tuple[TimerLoop, Recorder]:
            out = Recorder()
            return TimerLoop(db, ContextStore.over(db, redis, 3600), out, composer,
                             interval_s=0.1, lease_s=60, batch=500, now=now), out

        yield make


async def timer_of(db: TenantDatabase, tenant: str, contact: str) -> timers.Timer | None:
    async with db.transaction(tenant) as conn:
        return await timers.get(conn, tenant, f"first_touch:{contact}")


async def replies_of(db: TenantDatabase, tenant: str) -> list[dict[str, Any]]:
    async with db.transaction(tenant) as conn:
        return [dict(r) for r in await conn.fetch(
            "SELECT idempotency_key, status, body, send_after, suppressed_reason, mode "
            "FROM replies WHERE tenant_id = $1", tenant)]


def ours(out: Recorder, tenant: str) -> list[dict[str, Any]]:
    """The events published for `tenant`: the loop fires every tenant's due timers, and other
    tests' leads share the table (a follow-up they left pending may come due meanwhile)."""
    return [e for e in out.events if e["tenant_id"] == tenant]


async def fire_all(loop: TimerLoop, tenant: str) -> int:
    """Tick until this tenant's due timers are gone (other tests' tenants share the table)."""
    fired = 0
    for _ in range(50):
        n = await loop.tick()
        fired += n
        if n == 0:
            break
    return fired


async def test_a_listed_source_is_texted_first_and_an_unlisted_one_is_not(
        db: TenantDatabase, ghl: FakeGHLAPI, make_settings: Callable[..., Settings],
        kafka: str) -> None:
    tenant = await tenant_listing(db, "Website Form", "Zillow")
    ghl.add_token(f"tok-{tenant}", tenant)
    settings = make_settings(timer_interval_s=0.1)
    cfg = OutboundConfig(base_url=ghl.base_url, tokens={tenant: f"tok-{tenant}"},
                         backoff_s=0.05, scheduler_interval_s=0.2)
    zone = midday_zone()
    async with running(settings, "memory", "responder"):
        outbound = WorkerHost(replace(OUTBOUND, build=partial(build_outbound, config=cfg)),
                              settings)
        await outbound.start()
        try:
            await publish_events(kafka, topics.CONVERSATION_EVENTS, [
                created(tenant, "c-web", "website form", zone,
                        custom_fields={"f1": "Asked about 1234 Oak Street"}),
                created(tenant, "c-walk", "Walk-in", zone)])
            await eventually(lambda: [m for m in ghl.delivered if m.location_id == tenant],
                             timeout_s=60)
            async with db.transaction(tenant) as conn:  # the unlisted one is stored too
                await eventually(lambda: conn.fetchval(
                    "SELECT count(*) = 2 FROM contacts WHERE tenant_id = $1", tenant))
        finally:
            await outbound.stop()
    [sent] = [m for m in ghl.delivered if m.location_id == tenant]
    assert sent.contact_id == "c-web" and sent.type == "SMS"
    assert sent.message.startswith("Hi Ana, this is Acme Realty.")
    assert "1234 Oak Street" in sent.message
    assert (await timer_of(db, tenant, "c-web")).state == "done"  # type: ignore[union-attr]
    assert await timer_of(db, tenant, "c-walk") is None  # never scheduled
    [reply] = await replies_of(db, tenant)
    assert reply["idempotency_key"] == "timer:first_touch:c-web" and reply["status"] == "sent"


async def test_a_lead_who_writes_before_the_timer_fires_gets_no_first_touch(
        db: TenantDatabase, memory: MemoryHandler,
        loops: Callable[..., tuple[TimerLoop, Recorder]]) -> None:
    tenant = await tenant_listing(db, "Zillow")
    await memory(record(created(tenant, "c1", "Zillow", midday_zone())))
    assert (await timer_of(db, tenant, "c1")).state == "pending"  # type: ignore[union-attr]
    await memory(record(inbound(tenant, "c1", "Hi, is the house on Elm still available?")))
    cancelled = await timer_of(db, tenant, "c1")
    assert cancelled is not None and cancelled.state == "cancelled"
    # ...and a lead who wrote before its contact was created is never scheduled
    await memory(record(inbound(tenant, "c2", "Hello, I saw your ad")))
    await memory(record(created(tenant, "c2", "Zillow", midday_zone())))
    assert await timer_of(db, tenant, "c2") is None
    loop, out = loops()
    await fire_all(loop, tenant)
    assert await replies_of(db, tenant) == [] and ours(out, tenant) == []


async def test_two_replicas_racing_for_one_due_timer_fire_it_once(
        db: TenantDatabase, memory: MemoryHandler,
        loops: Callable[..., tuple[TimerLoop, Recorder]]) -> None:
    tenant = await tenant_listing(db, "Zillow")
    for i in range(5):
        await memory(record(created(tenant, f"c{i}", "Zillow", midday_zone())))
    (a, out_a), (b, out_b) = loops(), loops()
    await asyncio.gather(fire_all(a, tenant), fire_all(b, tenant))
    rows = await replies_of(db, tenant)
    assert sorted(r["idempotency_key"] for r in rows) == [
        f"timer:first_touch:c{i}" for i in range(5)]
    drafted = [e for e in out_a.events + out_b.events
               if e["tenant_id"] == tenant and e["type"] == "reply.drafted"]
    assert sorted(e["contact_id"] for e in drafted) == [f"c{i}" for i in range(5)]  # once each
    for i in range(5):
        t = await timer_of(db, tenant, f"c{i}")
        assert t is not None and t.state == "done" and t.attempt == 1


async def test_a_replica_dying_mid_way_leaves_the_timer_to_be_fired_once(
        db: TenantDatabase, memory: MemoryHandler,
        loops: Callable[..., tuple[TimerLoop, Recorder]]) -> None:
    tenant = await tenant_listing(db, "Zillow")
    await memory(record(created(tenant, "c1", "Zillow", midday_zone())))
    await memory(record(created(tenant, "c2", "Zillow", midday_zone())))
    now = utcnow()
    # c1: the replica claimed it and died before drafting; c2: it died after the reply was
    # claimed, before publishing and marking it done.
    dead, _ = loops(lambda: now)
    async with db.transaction(tenant) as conn:
        assert await timers.claim(conn, tenant, "first_touch:c1", now, dead.lease)

    async def crash(*_: Any) -> None:
        raise ConnectionResetError("replica killed")

    dead._publish = crash  # type: ignore[method-assign,assignment]
    with pytest.raises(ConnectionResetError):
        await dead.fire(tenant, "first_touch:c2")
    # Restarted replica, same clock: both are still leased to the dead one
    alive, out = loops(lambda: now + timedelta(seconds=1))
    assert not await alive.fire(tenant, "first_touch:c1")
    assert not await alive.fire(tenant, "first_touch:c2")
    # ...until the lease runs out
    later, out = loops(lambda: now + timedelta(seconds=61))
    assert await later.fire(tenant, "first_touch:c1")
    assert await later.fire(tenant, "first_touch:c2")
    assert not await later.fire(tenant, "first_touch:c2")  # done: never again
    rows = await replies_of(db, tenant)
    assert sorted(r["idempotency_key"] for r in rows) == ["timer:first_touch:c1",
                                                          "timer:first_touch:c2"]
    drafted = [e for e in out.events if e["type"] == "reply.drafted"]
    assert sorted(e["contact_id"] for e in drafted) == ["c1", "c2"]
    for contact in ("c1", "c2"):
        t = await timer_of(db, tenant, contact)
        assert t is not None and t.state == "done" and t.attempt == 2


async def test_a_first_touch_at_night_is_held_to_the_morning(
        db: TenantDatabase, memory: MemoryHandler,
        loops: Callable[..., tuple[TimerLoop, Recorder]]) -> None:
    tenant = await tenant_listing(db, "Zillow")
    night = zone_at(1, 5)
    await memory(record(created(tenant, "c1", "Zillow", night)))
    loop, out = loops()
    assert await loop.fire(tenant, "first_touch:c1")
    [row] = await replies_of(db, tenant)
    assert row["status"] == "drafted" and row["mode"] == "first_touch"
    assert row["send_after"] is not None and row["send_after"] > utcnow()
    local = row["send_after"].astimezone(ZoneInfo(night))
    assert 7 <= local.hour <= 10  # the morning the law allows
    [event] = [e for e in out.events if e["type"] == "reply.drafted"]
    assert datetime.fromisoformat(event["send_after"]) == row["send_after"]


async def test_a_lead_who_writes_while_the_first_touch_is_drafted_gets_none(
        db: TenantDatabase, memory: MemoryHandler,
        loops: Callable[..., tuple[TimerLoop, Recorder]]) -> None:
    tenant = await tenant_listing(db, "Zillow")
    await memory(record(created(tenant, "c1", "Zillow", midday_zone())))
    loop, out = loops()
    composer = loop.composer

    class WritesMeanwhile:
        """The lead's message is stored while the first touch is being drafted."""

        async def compose(self, *args: Any) -> Any:
            await memory(record(inbound(tenant, "c1", "Hi! Is it still for sale?")))
            return await composer.compose(*args)

    loop.composer = WritesMeanwhile()
    assert not await loop.fire(tenant, "first_touch:c1")  # the claim found it cancelled
    assert await replies_of(db, tenant) == [] and ours(out, tenant) == []
    t = await timer_of(db, tenant, "c1")
    assert t is not None and t.state == "cancelled"


async def test_a_lead_who_writes_after_the_first_touch_was_drafted_supersedes_it(
        db: TenantDatabase, memory: MemoryHandler,
        loops: Callable[..., tuple[TimerLoop, Recorder]]) -> None:
    """The outbound's consent claim at send time: the lead wrote after the draft (a held
    first touch, say), so the normal reply answers and the first touch is not sent."""
    tenant = await tenant_listing(db, "Zillow")
    await memory(record(created(tenant, "c1", "Zillow", midday_zone())))
    loop, out = loops()
    assert await loop.fire(tenant, "first_touch:c1")
    [drafted] = [ReplyDrafted.model_validate(e) for e in out.events
                 if e["type"] == "reply.drafted"]
    await memory(record(inbound(tenant, "c1", "Hi, yes I'm interested")))
    claim = await ReplyStore(db).claim(drafted, utcnow())
    assert claim.action != "send"
    assert claim.consent is not None and claim.consent.reason == "superseded"
