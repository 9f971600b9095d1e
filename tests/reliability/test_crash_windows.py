"""Crash windows the fault suite can hit only by chance, reproduced at the exact instruction.

The memory worker commits a lead's new message to Postgres, then writes the lead's working
context through to Redis, then publishes. A SIGKILL between the commit and the cache write
leaves Redis holding the context from before the message. The record is redelivered (its
offset was never committed) and finds its event already processed; unless that run writes
the context again, Redis keeps serving the old one until the lead's next event or the TTL (a
week): the responder then drafts the reply to the lead's latest message from a conversation
that does not contain it (the fault suite sees such a reply quote an older message).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import BaseModel

from schemas.context import MemoryPart, ProfilePart
from tests.conftest import new_tenant
from tests.support.events import message
from tests.support.tenants import add_tenants
from workers.db.tenant import TenantDatabase
from workers.memory.cache import ContextCache
from workers.memory.context import ContextStore
from workers.memory.worker import MemoryHandler, PostgresMemory
from workers.runtime.ports import Bound
from workers.runtime.record import Record

pytestmark = pytest.mark.reliability


class ProcessDied(BaseException):
    """SIGKILL at this instruction: nothing after it runs, nothing is committed to Kafka."""


class DiesOnCacheWrite(ContextStore):
    async def put(self, part: MemoryPart | ProfilePart) -> bool:
        raise ProcessDied

    async def write_through(self, leads: Sequence[tuple[MemoryPart, ProfilePart]]) -> bool:
        raise ProcessDied

    async def put_many(self, parts: Sequence[MemoryPart | ProfilePart]) -> bool:
        raise ProcessDied


class Discard:
    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        return None


def record(event: Any, offset: int) -> Record:
    return Record("conversation.events", 0, offset, event.model_dump_json().encode(),
                  event.tenant_id.encode())


async def test_redelivery_after_a_crash_before_the_cache_write_repairs_the_context(
    db: TenantDatabase, redis: aioredis.Redis,
) -> None:
    tenant = new_tenant()
    await add_tenants(db, tenant)
    first = message(tenant, "c1", "Looking in Round Rock", i=0)
    second = message(tenant, "c1", "Actually Cedar Park", i=1)
    cache = ContextCache(redis, 600)
    rows = Bound(db, PostgresMemory)
    await MemoryHandler(rows, ContextStore(db, cache), Discard())(record(first, 0))
    with pytest.raises(ProcessDied):
        await MemoryHandler(rows, DiesOnCacheWrite(db, cache), Discard())(record(second, 1))
    # The restarted worker gets the uncommitted record again.
    await MemoryHandler(rows, ContextStore(db, cache), Discard())(record(second, 1))

    ctx = await ContextStore(db, cache).get_context(tenant, "c1")
    assert ctx is not None
    assert ctx.memory.message_count == 2
    assert ctx.memory.recent[-1].body == "Actually Cedar Park"


class Capture:
    def __init__(self) -> None:
        self.events: list[BaseModel] = []

    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        self.events.append(event)


async def test_learning_redelivery_after_a_crash_before_the_cache_write_repairs_the_profile(
    db: TenantDatabase, redis: aioredis.Redis,
) -> None:
    """The same window in the learning worker: the profile is committed, the cache write is
    lost, and the redelivered record (already processed) must put the stored profile."""
    from workers.learning.worker import LearningHandler, PostgresLearning

    tenant = new_tenant()
    await add_tenants(db, tenant)
    cache = ContextCache(redis, 600)
    memory_out = Capture()
    memory = MemoryHandler(Bound(db, PostgresMemory), ContextStore(db, cache), memory_out)
    first = message(tenant, "c1", "We need 3 bedrooms", i=0)
    second = message(tenant, "c1", "Actually we need 4 bedrooms now", i=1)
    await memory(record(first, 0))
    await memory(record(second, 1))
    updated = [Record("memory.updated", 0, i, e.model_dump_json().encode(), tenant.encode())
               for i, e in enumerate(memory_out.events)]
    assert len(updated) == 2

    learned = Bound(db, PostgresLearning)
    await LearningHandler(learned, ContextStore(db, cache), Discard())(updated[0])
    with pytest.raises(ProcessDied):
        await LearningHandler(learned, DiesOnCacheWrite(db, cache), Discard())(updated[1])
    stale = await ContextStore(db, cache).get_context(tenant, "c1")
    assert stale is not None and stale.profile.profile.get("bedrooms_min") == 3

    await LearningHandler(learned, ContextStore(db, cache), Discard())(updated[1])
    ctx = await ContextStore(db, cache).get_context(tenant, "c1")
    assert ctx is not None
    assert ctx.profile.profile.get("bedrooms_min") == 4
