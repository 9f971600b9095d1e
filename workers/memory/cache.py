"""The Redis side of the working context: tenant-namespaced keys, JSON values with a TTL.

Keys are `lm:{<tenant>}:ctx:<contact>` (memory part) and `lm:{<tenant>}:prof:<contact>`
(profile part); the braces keep a tenant's keys in one Redis Cluster slot. Ids are checked so
that no crafted id can reach into another tenant's key space.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from prometheus_client import Counter
from redis.exceptions import RedisError

from schemas.context import MemoryPart, ProfilePart
from schemas.ids import SAFE_ID_RULE, is_safe_id

CACHE_REQUESTS = Counter(
    "leadmem_context_cache_requests_total",
    "Working-context reads by result (hit, miss, stale = cached copy lacked the message the "
    "reader expected, error = Redis unavailable).",
    ["result"],
)
CACHE_WRITES = Counter(
    "leadmem_context_cache_writes_total",
    "Working-context writes to Redis by outcome (ok, error).",
    ["outcome"],
)


class CacheUnavailableError(Exception):
    """Redis did not answer; callers fall back to Postgres."""


def _check(kind: str, value: str) -> str:
    if not is_safe_id(value):
        raise ValueError(f"{kind} id {value!r} cannot be used in a cache key: use "
                         f"{SAFE_ID_RULE}")
    return value


def memory_key(tenant: str, contact: str) -> str:
    return f"lm:{{{_check('tenant', tenant)}}}:ctx:{_check('contact', contact)}"


def profile_key(tenant: str, contact: str) -> str:
    return f"lm:{{{_check('tenant', tenant)}}}:prof:{_check('contact', contact)}"


def part_key(part: MemoryPart | ProfilePart) -> str:
    """The key a context part is cached under."""
    key = memory_key if isinstance(part, MemoryPart) else profile_key
    return key(part.tenant_id, part.contact_id)


def _bytes(value: bytes | str | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


class ContextCache:
    def __init__(self, redis: aioredis.Redis, ttl_s: int) -> None:
        self.redis = redis
        self.ttl_s = ttl_s

    async def get(self, tenant: str, contact: str) -> tuple[bytes | None, bytes | None]:
        try:
            raw = await self.redis.mget(memory_key(tenant, contact), profile_key(tenant, contact))
        except (RedisError, OSError) as exc:
            raise CacheUnavailableError(str(exc)) from exc
        return _bytes(raw[0]), _bytes(raw[1])

    async def put(self, part: MemoryPart | ProfilePart) -> None:
        try:
            await self.redis.set(part_key(part), part.model_dump_json(), ex=self.ttl_s)
        except (RedisError, OSError) as exc:
            CACHE_WRITES.labels("error").inc()
            raise CacheUnavailableError(str(exc)) from exc
        CACHE_WRITES.labels("ok").inc()

    async def delete(self, tenant: str, contact: str) -> None:
        try:
            await self.redis.delete(memory_key(tenant, contact), profile_key(tenant, contact))
        except (RedisError, OSError) as exc:
            raise CacheUnavailableError(str(exc)) from exc
