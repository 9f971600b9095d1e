"""The responder's context read never answers from a cached copy older than the message it
answers (the fault suite saw one: a reply to m02 drafted from a context ending at m01)."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from schemas.context import LeadContext
from tests.conftest import new_tenant
from workers.db.tenant import TenantDatabase
from workers.memory.cache import ContextCache, memory_key
from workers.memory.context import ContextStore

pytestmark = pytest.mark.integration


async def _lead_with(db: TenantDatabase, tenant: str, *bodies: str) -> None:
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING",
                           tenant)
        await conn.execute("INSERT INTO contacts (tenant_id, contact_id) VALUES ($1, 'c') "
                           "ON CONFLICT DO NOTHING", tenant)
        for body in bodies:
            await conn.execute(
                """INSERT INTO messages (tenant_id, event_id, message_id, contact_id,
                   direction, channel, sender, body, occurred_at)
                   VALUES ($1, $2, $2, 'c', 'inbound', 'sms', 'lead', $3, now())""",
                tenant, body, body)
        await conn.execute("UPDATE contacts SET message_count = "
                           "(SELECT count(*) FROM messages WHERE contact_id = 'c')")


async def test_a_cached_context_without_the_awaited_message_is_not_served(
    db: TenantDatabase, redis: aioredis.Redis
) -> None:
    tenant = new_tenant()
    await _lead_with(db, tenant, "m01")
    store = ContextStore(db, ContextCache(redis, 60))
    old = await store.get_context(tenant, "c")  # cached: ends at m01
    assert old is not None and [m.message_id for m in old.memory.recent] == ["m01"]
    await _lead_with(db, tenant, "m02")  # committed, but its cache write was lost

    plain = await store.get_context(tenant, "c")  # a reader that expects nothing: cache
    assert plain is not None and [m.message_id for m in plain.memory.recent] == ["m01"]
    ctx = await store.get_context(tenant, "c", holding="m02")
    assert ctx is not None and [m.message_id for m in ctx.memory.recent] == ["m01", "m02"]
    assert not await redis.exists(memory_key(tenant, "c"))  # the stale copy is dropped
    refilled = await store.get_context(tenant, "c", holding="m02")
    assert refilled is not None and refilled.memory.recent[-1].message_id == "m02"
    assert await redis.exists(memory_key(tenant, "c"))  # and filled afresh


async def test_a_fill_after_a_miss_never_overwrites_a_newer_write_through(
    db: TenantDatabase, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reader misses and loads (m01); the memory worker commits m02 and writes it through;
    then the reader fills the cache: the newer copy must stay."""
    tenant = new_tenant()
    await _lead_with(db, tenant, "m01")
    reader = ContextStore(db, ContextCache(redis, 60))
    writer = ContextStore(db, ContextCache(redis, 60))
    load = reader.load

    async def load_then_race(t: str, c: str) -> LeadContext | None:
        ctx = await load(t, c)
        await _lead_with(db, tenant, "m02")
        newer = await writer.load(t, c)
        assert newer is not None
        await writer.write_through([(newer.memory, newer.profile)])
        return ctx

    monkeypatch.setattr(reader, "load", load_then_race)
    ctx = await reader.get_context(tenant, "c")
    assert ctx is not None and [m.message_id for m in ctx.memory.recent] == ["m01"]
    cached = await redis.get(memory_key(tenant, "c"))
    assert cached is not None and b'"m02"' in cached
