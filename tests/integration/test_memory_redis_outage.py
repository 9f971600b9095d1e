"""Redis stopped mid-stream: nothing is lost, reads fall back to Postgres, the cache heals.

Uses its own redis-server process so stopping it disturbs no other test.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator

import pytest
import redis.asyncio as aioredis

from schemas import topics
from tests.conftest import new_tenant
from tests.support.events import message
from tests.support.kafka import body, keyed, publish_events, read_until
from tests.support.redis_process import RedisProcess
from tests.support.tenants import add_tenants
from tests.support.workers import running
from workers.db.tenant import TenantDatabase
from workers.memory.cache import ContextCache, memory_key
from workers.memory.context import ContextStore
from workers.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server binary not installed")
    server = RedisProcess()
    server.start()
    yield server
    server.stop()


async def test_redis_down_mid_stream_loses_nothing_and_heals(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
    own_redis: RedisProcess,
) -> None:
    await own_redis.ready()
    tenant = new_tenant()
    await add_tenants(db, tenant)
    settings = make_settings(redis_url=own_redis.url)
    batches = [[message(tenant, "c1", f"msg {n}", i=n) for n in range(k, k + 10)]
               for k in (0, 10, 20)]
    client = aioredis.Redis.from_url(own_redis.url, socket_timeout=1, socket_connect_timeout=1)
    store = ContextStore(db, ContextCache(client, 60))
    try:
        async with running(settings, "memory"):
            await publish_events(kafka, topics.CONVERSATION_EVENTS, batches[0])
            await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 10,
                             where=keyed({tenant}))
            own_redis.stop()  # Redis goes away mid-stream
            await publish_events(kafka, topics.CONVERSATION_EVENTS, batches[1])
            out = await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 20,
                                   where=keyed({tenant}))
            # Reads fall back to Postgres and see everything.
            ctx = await store.get_context(tenant, "c1")
            assert ctx is not None and ctx.memory.message_count == 20
            own_redis.start()  # back, and empty
            await own_redis.ready()
            await publish_events(kafka, topics.CONVERSATION_EVENTS, batches[2])
            out = await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 30,
                                   where=keyed({tenant}))
        assert len({body(r)["event_id"] for r in out}) == 30
        async with db.transaction(tenant) as conn:
            assert await conn.fetchval("SELECT count(*) FROM messages") == 30
        ctx = await store.get_context(tenant, "c1")
        assert ctx is not None and ctx.memory.message_count == 30
        assert ctx.memory.recent[-1].body == "msg 29"
        cached = await client.get(memory_key(tenant, "c1"))
        assert cached is not None and b'"message_count":30' in cached
    finally:
        await client.aclose()


async def test_writes_that_failed_are_dropped_when_redis_answers_again(
    db: TenantDatabase, own_redis: RedisProcess
) -> None:
    """Redis unreachable but keeping its data: a stale entry must not be served later."""
    await own_redis.ready()
    tenant = new_tenant()
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await conn.execute("INSERT INTO contacts (tenant_id, contact_id, summary) "
                           "VALUES ($1, 'c', 'old')", tenant)
    client = aioredis.Redis.from_url(own_redis.url, socket_timeout=0.5)
    store = ContextStore(db, ContextCache(client, 60))
    try:
        ctx = await store.get_context(tenant, "c")  # cached with summary 'old'
        assert ctx is not None
        admin = aioredis.Redis.from_url(own_redis.url)
        await admin.execute_command("CLIENT", "PAUSE", "1500", "ALL")
        async with db.transaction(tenant) as conn:
            await conn.execute("UPDATE contacts SET summary = 'new'")
        fresh = await store.load(tenant, "c")
        assert fresh is not None
        assert await store.put(fresh.memory) is False  # times out: remembered as dirty
        assert store.dirty == 1
        await asyncio.sleep(1.6)
        await admin.aclose()
        assert await store.heal() == 1
        again = await store.get_context(tenant, "c")
        assert again is not None and again.memory.summary == "new"
    finally:
        await client.aclose()
