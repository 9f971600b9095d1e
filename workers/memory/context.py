"""`get_context(tenant, contact)`: the one read API of a lead's working context.

Serves from Redis; on a miss rebuilds from Postgres and fills the cache only where no newer
write landed meanwhile (SET NX: the memory and learning workers are the parts' writers). A
reader that knows which message the context must hold (`holding`) checks it, and a cached
context without it (a write lost in a Redis restart, or any other race) is served from
Postgres and dropped from Redis instead of being answered from. When Redis
is unavailable, reads and writes fall back to Postgres and nothing is lost: keys whose write
failed are remembered and dropped once Redis answers again (`heal`), so a Redis that comes
back with old data cannot serve it. The TTL bounds what a crash could leave behind, and
`leadmem integrity` finds and repairs any drift.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from schemas.context import LeadContext, MemoryPart, ProfilePart
from workers.memory import store
from workers.memory.cache import (
    CACHE_REQUESTS,
    CACHE_WRITES,
    CacheUnavailableError,
    ContextCache,
    part_key,
    profile_key,
)
from workers.runtime.ports import Transactions

log = logging.getLogger(__name__)


def holds(memory: MemoryPart, message_id: str) -> bool:
    """True when `message_id` is in `memory`'s recent window. A message that has left the
    window counts as missing too: Postgres answers that rare case, never a stale copy."""
    return any(m.message_id == message_id for m in memory.recent)


class ContextStore:
    def __init__(self, db: Transactions, cache: ContextCache) -> None:
        self.db = db
        self.cache = cache
        self._dirty: set[tuple[str, str]] = set()

    @classmethod
    def over(cls, db: Transactions, redis: aioredis.Redis, ttl_s: int) -> ContextStore:
        """Postgres as the system of record with a Redis working copy of `ttl_s` seconds."""
        return cls(db, ContextCache(redis, ttl_s))

    async def get_context(self, tenant: str, contact: str,
                          holding: str | None = None) -> LeadContext | None:
        """The lead's context; with `holding`, one whose memory holds that message (the
        one a caller was told about), else Postgres's."""
        try:
            raw_memory, raw_profile = await self.cache.get(tenant, contact)
        except CacheUnavailableError:
            CACHE_REQUESTS.labels("error").inc()
            return await self.load(tenant, contact)
        if raw_memory is not None and raw_profile is not None:
            memory = MemoryPart.model_validate_json(raw_memory)
            profile = ProfilePart.model_validate_json(raw_profile)
            if memory.tenant_id == tenant and profile.tenant_id == tenant:
                if holding is None or holds(memory, holding):
                    CACHE_REQUESTS.labels("hit").inc()
                    return LeadContext(memory=memory, profile=profile)
                CACHE_REQUESTS.labels("stale").inc()
                log.info("cached context of %s/%s lacks message %s; read from Postgres",
                         tenant, contact, holding)
                await self.forget(tenant, contact)  # its next reader fills it afresh
                return await self.load(tenant, contact)
        CACHE_REQUESTS.labels("miss").inc()
        ctx = await self.load(tenant, contact)
        if ctx is not None:  # NX: a write-through that landed since the load stays
            await self._pipelined([(part_key(ctx.memory), ctx.memory.model_dump_json(), True),
                                   (part_key(ctx.profile), ctx.profile.model_dump_json(), True)],
                                  [(tenant, contact)])
        return ctx

    async def load(self, tenant: str, contact: str) -> LeadContext | None:
        """The context straight from Postgres (the system of record)."""
        async with self.db.transaction(tenant) as conn:
            memory = await store.load_memory(conn, tenant, contact)
            if memory is None:
                return None
            profile = await store.load_profile(conn, tenant, contact)
        return LeadContext(memory=memory, profile=profile)

    async def put(self, part: MemoryPart | ProfilePart) -> bool:
        """Write through; a failure is remembered for `heal`, never raised."""
        try:
            await self.cache.put(part)
            return True
        except CacheUnavailableError as exc:
            self._dirty.add((part.tenant_id, part.contact_id))
            log.warning("context cache write failed (%s); Postgres stays authoritative", exc)
            return False

    async def put_many(self, parts: Sequence[MemoryPart | ProfilePart]) -> bool:
        """`put` of several parts pipelined into one round trip (the learning worker caches
        every lead of a tenant group after its commit); a failure marks each lead for `heal`,
        never raises."""
        return await self._pipelined(
            [(part_key(p), p.model_dump_json(), False) for p in parts],
            [(p.tenant_id, p.contact_id) for p in parts])

    async def fill_profile(self, profile: ProfilePart) -> bool:
        """Cache the profile part only where Redis holds none (SET NX); True when written.

        For the memory worker's write-through: a lead writing again after the TTL has no
        cached profile, so the learning worker's read would miss. Filling it from the
        transaction the memory worker already has open makes that read a hit; NX means it can
        never overwrite a newer profile the learning worker (its one writer) put meanwhile.
        """
        key = profile_key(profile.tenant_id, profile.contact_id)
        try:
            written = await self.cache.redis.set(key, profile.model_dump_json(),
                                                 ex=self.cache.ttl_s, nx=True)
        except (RedisError, OSError) as exc:
            self._dirty.add((profile.tenant_id, profile.contact_id))
            log.warning("context cache write failed (%s); Postgres stays authoritative", exc)
            return False
        return bool(written)

    async def write_through(self, leads: Sequence[tuple[MemoryPart, ProfilePart]]) -> bool:
        """`put` of each lead's memory part and `fill_profile` of its profile part, pipelined
        into one round trip; a failure marks every lead for `heal`, never raises."""
        writes = []
        for memory, profile in leads:
            writes += [(part_key(memory), memory.model_dump_json(), False),
                       (part_key(profile), profile.model_dump_json(), True)]
        return await self._pipelined(writes, [(m.tenant_id, m.contact_id) for m, _ in leads])

    async def _pipelined(self, writes: list[tuple[str, str, bool]],
                         leads: list[tuple[str, str]]) -> bool:
        """SET each (key, value, only-if-absent) with the TTL in one round trip; counts one
        cache write per lead, and on failure marks the leads for `heal`, never raises."""
        if not writes:
            return True
        try:
            async with self.cache.redis.pipeline(transaction=False) as pipe:
                for key, value, nx in writes:
                    pipe.set(key, value, ex=self.cache.ttl_s, nx=nx)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            CACHE_WRITES.labels("error").inc(len(leads))
            self._dirty.update(leads)
            log.warning("context cache write failed (%s); Postgres stays authoritative", exc)
            return False
        CACHE_WRITES.labels("ok").inc(len(leads))
        return True

    async def forget(self, tenant: str, contact: str) -> None:
        try:
            await self.cache.delete(tenant, contact)
        except CacheUnavailableError:
            self._dirty.add((tenant, contact))

    @property
    def dirty(self) -> int:
        return len(self._dirty)

    async def heal(self) -> int:
        """Drop the keys whose writes failed while Redis was away; returns how many."""
        healed = 0
        for tenant, contact in sorted(self._dirty):
            try:
                await self.cache.delete(tenant, contact)
            except CacheUnavailableError:
                break
            self._dirty.discard((tenant, contact))
            healed += 1
        return healed
