"""`load_leads` reads a group's leads in one query and must return exactly what the
three-statement `store.load_memory` + `store.load_profile` return for each of them."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from pydantic import BaseModel

from tests.conftest import new_tenant
from tests.support.events import message
from tests.support.tenants import add_tenants
from workers.db.tenant import TenantDatabase
from workers.memory import store
from workers.memory.cache import ContextCache
from workers.memory.context import ContextStore
from workers.memory.lead import load_leads
from workers.memory.worker import MemoryHandler, PostgresMemory
from workers.runtime.ports import Bound
from workers.runtime.record import Record

pytestmark = pytest.mark.integration


class Discard:
    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        return None


async def test_load_leads_matches_the_per_lead_reads(
    db: TenantDatabase, redis: aioredis.Redis,
) -> None:
    tenant, other = new_tenant(), new_tenant()
    await add_tenants(db, tenant, other)
    events = [message(tenant, "c1", f"line {i}", i=i) for i in range(25)]  # past the window
    events += [message(tenant, "c2", "Looking in Round Rock", i=30),
               message(tenant, "c2", "Budget is 450k", i=31, direction="outbound",
                       sender="ai"),
               message(other, "c3", "someone else's lead", i=0)]
    handler = MemoryHandler(Bound(db, PostgresMemory), ContextStore(db, ContextCache(redis, 600)),
                            Discard())
    for offset, ev in enumerate(events):
        await handler(Record("conversation.events", 0, offset,
                             ev.model_dump_json().encode(), ev.tenant_id.encode()))
    async with db.transaction(tenant) as conn:
        await conn.execute(
            "INSERT INTO lead_profiles (tenant_id, contact_id, profile, score, version) "
            "VALUES ($1, 'c2', '{\"bedrooms\": 3}'::jsonb, 'warm', 1)", tenant)
        wanted = ["c2", "missing", "c1", "c3"]  # c3 is the other tenant's: invisible here
        got = await load_leads(conn, tenant, wanted)
        expected = {c: (await store.load_memory(conn, tenant, c),
                        await store.load_profile(conn, tenant, c)) for c in wanted}
    assert list(got) == wanted
    assert got == expected
    assert got["missing"][0] is None and got["c3"][0] is None
    c1, c2 = got["c1"][0], got["c2"][0]
    assert c1 is not None and c1.message_count == 25 and c1.recent[-1].body == "line 24"
    assert c2 is not None and [m.body for m in c2.recent] == ["Looking in Round Rock",
                                                              "Budget is 450k"]
    assert got["c2"][1].score == "warm" and got["c1"][1].version == 0
