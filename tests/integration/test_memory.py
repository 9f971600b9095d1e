"""The memory worker against the real broker, Postgres and Redis."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import asyncpg
import pytest
import redis.asyncio as aioredis

from schemas import topics
from schemas.events import ReplyDelivered
from tests.conftest import new_tenant
from tests.support.events import BASE, contact_changed, contact_deleted, message
from tests.support.kafka import body, keyed, publish_events, read_until
from tests.support.services import ServiceUrls
from tests.support.tenants import add_tenants
from tests.support.workers import eventually, running
from workers.db.tenant import TenantDatabase
from workers.memory.cache import ContextCache, memory_key, profile_key
from workers.memory.context import ContextStore
from workers.settings import Settings

pytestmark = pytest.mark.integration


async def count(db: TenantDatabase, tenant: str, sql: str, *args: object) -> int:
    async with db.transaction(tenant) as conn:
        return int(await conn.fetchval(sql, *args))


async def test_redelivery_changes_nothing_twice_and_republishes(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase
) -> None:
    tenant = new_tenant()
    await add_tenants(db, tenant)
    first = message(tenant, "c1", "Looking for 3 beds in Round Rock", i=0)
    same_ghl_message = message(tenant, "c1", "Looking for 3 beds in Round Rock", i=0,
                               message_id=first.message_id)  # GHL re-sent, new webhookId
    await publish_events(kafka, topics.CONVERSATION_EVENTS, [first, first, same_ghl_message])
    async with running(make_settings(), "memory"):
        out = await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 2,
                               where=keyed({tenant}), settle_s=1.5)
    updates = [body(r) for r in out]
    assert len(updates) == 2 and updates[0] == updates[1]  # re-published, same event id
    assert updates[0]["reply_needed"] is True and updates[0]["message_id"] == first.message_id
    assert await count(db, tenant, "SELECT count(*) FROM messages") == 1
    assert await count(db, tenant, "SELECT message_count FROM contacts") == 1


async def test_per_lead_order_and_context(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
    redis: aioredis.Redis, migrated: ServiceUrls,
) -> None:
    tenant = new_tenant()
    await add_tenants(db, tenant)
    msgs = [message(tenant, "c1", f"line {i}", i=i,
                    direction="inbound" if i % 2 == 0 else "outbound",
                    sender="lead" if i % 2 == 0 else "ai")
            for i in range(30)]
    await publish_events(kafka, topics.CONVERSATION_EVENTS,
                         [contact_changed(tenant, "c1"), *msgs])
    async with running(make_settings(), "memory"):
        await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 31,
                         where=keyed({tenant}))
    store = ContextStore(db, ContextCache(redis, 60))
    ctx = await store.get_context(tenant, "c1")
    assert ctx is not None
    assert [m.body for m in ctx.memory.recent] == [f"line {i}" for i in range(10, 30)]
    assert ctx.memory.message_count == 30
    assert ctx.memory.summary.splitlines()[-1].endswith("line 9")
    assert len(ctx.memory.summary.splitlines()) == 10  # the 10 messages past the window
    cached = await redis.get(memory_key(tenant, "c1"))
    assert cached is not None and json.loads(cached)["message_count"] == 30


async def test_human_takeover_and_echo_linking(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase
) -> None:
    tenant = new_tenant()
    inbound = message(tenant, "c1", "Is the Elm St house available?", i=0)
    # Our reply was delivered (GHL id m-ai-1); its echo arrives as an OutboundMessage.
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await conn.execute(
            """INSERT INTO replies (tenant_id, idempotency_key, event_id, contact_id, channel,
               body, mode, ghl_message_id) VALUES ($1, 'k1', 'e1', 'c1', 'sms', 'Yes!',
               'buyer', 'm-ai-1')""", tenant)
    delivered = ReplyDelivered(event_id="ev-deliv-1", tenant_id=tenant, contact_id="c1",
                               occurred_at=BASE + timedelta(seconds=30),
                               received_at=BASE, idempotency_key="k1",
                               ghl_message_id="m-ai-1", body="Yes!")
    echo = message(tenant, "c1", "Yes!", i=1, direction="outbound", sender="system",
                   message_id="m-ai-1", source="api")
    # A second reply whose echo comes before its delivery report.
    early_echo = message(tenant, "c1", "Want a tour?", i=2, direction="outbound",
                         sender="system", message_id="m-ai-2", source="api")
    late_delivery = ReplyDelivered(event_id="ev-deliv-2", tenant_id=tenant, contact_id="c1",
                                   occurred_at=BASE + timedelta(minutes=5),
                                   received_at=BASE, idempotency_key="k2",
                                   ghl_message_id="m-ai-2", body="Want a tour?")
    human = message(tenant, "c1", "Hi, Jen here - calling you now", i=3,
                    direction="outbound", sender="human", user_id="user-jen", source="app")
    await publish_events(kafka, topics.CONVERSATION_EVENTS, [inbound])
    await publish_events(kafka, topics.REPLIES_DELIVERED, [delivered])
    async with running(make_settings(), "memory"):
        await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 2,
                         where=keyed({tenant}))
        await publish_events(kafka, topics.CONVERSATION_EVENTS, [echo, early_echo])
        await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 3,
                         where=keyed({tenant}))
        await publish_events(kafka, topics.REPLIES_DELIVERED, [late_delivery])
        await publish_events(kafka, topics.CONVERSATION_EVENTS, [human])
        out = await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 4,
                               where=keyed({tenant}), settle_s=1.0)
    async with db.transaction(tenant) as conn:
        rows = await conn.fetch("SELECT message_id, sender, reply_key FROM messages "
                                "ORDER BY occurred_at")
        takeover = await conn.fetchval("SELECT human_takeover FROM contacts")
        conversation = await conn.fetchrow(
            "SELECT human_takeover, taken_over_by FROM conversations WHERE conversation_id = $1",
            human.conversation_id)
    assert conversation is not None
    assert (conversation["human_takeover"], conversation["taken_over_by"]) == (True, "user-jen")
    assert [(r["message_id"], r["sender"], r["reply_key"]) for r in rows][:3] == [
        (inbound.message_id, "lead", None), ("m-ai-1", "ai", "k1"), ("m-ai-2", "ai", "k2"),
    ]
    assert rows[3]["sender"] == "human" and takeover is True
    last = body(out[-1])
    assert last["human_takeover"] is True and last["reply_needed"] is False


async def test_contact_delete_forgets_one_lead_only(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
    redis: aioredis.Redis, migrated: ServiceUrls,
) -> None:
    a, b = new_tenant(), new_tenant()
    await add_tenants(db, a, b)
    events = []
    for tenant in (a, b):
        for contact in ("gone", "kept"):
            events += [contact_changed(tenant, contact, tags=["buyer"]),
                       message(tenant, contact, "hello", i=0),
                       contact_changed(tenant, contact, tags=["buyer", "hot"], change="tags")]
    await publish_events(kafka, topics.CONVERSATION_EVENTS, events)
    async with running(make_settings(), "memory"):
        await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 12,
                         where=keyed({a, b}))
        assert await redis.exists(memory_key(a, "gone"))
        await publish_events(kafka, topics.CONVERSATION_EVENTS, [contact_deleted(a, "gone")])
        await read_until(kafka, topics.MEMORY_UPDATED,
                         lambda s: any(body(r)["deleted"] for r in s), where=keyed({a}))
        await eventually(lambda: _no_key(redis, a, "gone"))
    admin = await asyncpg.connect(migrated.admin_database_url)
    try:
        tables = [r["table_name"] for r in await admin.fetch(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'contact_id'")]
        for table in tables:
            left = await admin.fetchval(
                f"SELECT count(*) FROM {table} WHERE tenant_id = $1 AND contact_id = 'gone'", a)
            assert left == 0, table
        for tenant, contact in ((a, "kept"), (b, "gone"), (b, "kept")):
            assert await admin.fetchval(
                "SELECT count(*) FROM messages WHERE tenant_id = $1 AND contact_id = $2",
                tenant, contact) == 1
    finally:
        await admin.close()
    assert await redis.exists(memory_key(a, "kept"), memory_key(b, "gone")) == 2


async def _no_key(redis: aioredis.Redis, tenant: str, contact: str) -> bool:
    return not await redis.exists(memory_key(tenant, contact), profile_key(tenant, contact))


async def test_context_of_one_tenant_is_never_served_to_another(
    db: TenantDatabase, redis: aioredis.Redis
) -> None:
    a, b = new_tenant(), new_tenant()
    for tenant, text in ((a, "A's secret budget"), (b, "B's message")):
        async with db.transaction(tenant) as conn:
            await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
            await conn.execute("INSERT INTO contacts (tenant_id, contact_id) VALUES ($1, 'c')",
                               tenant)
            await conn.execute(
                """INSERT INTO messages (tenant_id, event_id, contact_id, direction, channel,
                   sender, body, occurred_at) VALUES ($1, 'e', 'c', 'inbound', 'sms', 'lead',
                   $2, now())""", tenant, text)
    store = ContextStore(db, ContextCache(redis, 60))
    ctx_a = await store.get_context(a, "c")
    ctx_b = await store.get_context(b, "c")
    assert ctx_a is not None and ctx_b is not None
    assert [m.body for m in ctx_b.memory.recent] == ["B's message"]
    # Even a poisoned cache entry (A's context under B's key) is not served to B.
    await redis.set(memory_key(b, "c"), ctx_a.memory.model_dump_json())
    again = await store.get_context(b, "c")
    assert again is not None and [m.body for m in again.memory.recent] == ["B's message"]
    with pytest.raises(ValueError, match="cannot be used in a cache key"):
        memory_key(f"{a}}}:ctx:c", "c")
