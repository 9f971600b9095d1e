"""Opening the shared clients from the settings, in one place: the worker host, the operator
commands and the development tools open Postgres and Redis through these, so a pool size, a
timeout or a DSN rule is changed once. Each opener registers the client's close on the
caller's `AsyncExitStack`, so clients close in reverse order of opening."""

from __future__ import annotations

from contextlib import AsyncExitStack

import redis.asyncio as aioredis

from workers.claude import ClaudeClient
from workers.claude.breaker import BreakerRegistry
from workers.db.tenant import TenantDatabase
from workers.settings import Settings

# A worker's Redis calls fail fast (the cache is optional: a read falls back to Postgres).
WORKER_REDIS_TIMEOUT_S = 2.0


async def open_database(settings: Settings, stack: AsyncExitStack, *,
                        min_size: int | None = None,
                        max_size: int | None = None) -> TenantDatabase:
    """The workers' role pool (tenant-scoped transactions); sizes default to the settings."""
    db = await TenantDatabase.connect(
        settings.database_url,
        min_size=settings.db_pool_min if min_size is None else min_size,
        max_size=settings.db_pool_max if max_size is None else max_size,
    )
    stack.push_async_callback(db.close)
    return db


def open_redis(settings: Settings, stack: AsyncExitStack, *,
               timeout_s: float | None = WORKER_REDIS_TIMEOUT_S) -> aioredis.Redis:
    """The Redis client (connections open lazily); `timeout_s=None` waits as long as a
    command takes, for operator tools that pipeline large rebuilds."""
    client = aioredis.Redis.from_url(settings.redis_url, socket_timeout=timeout_s,
                                     socket_connect_timeout=timeout_s)
    stack.push_async_callback(client.aclose)
    return client


def open_claude(settings: Settings, stack: AsyncExitStack) -> ClaudeClient:
    """The Claude client (the official SDK per API key, with the per-tenant circuit breaker
    the settings describe); the responder and learning get theirs here."""
    client = ClaudeClient(BreakerRegistry(
        failure_threshold=int(settings.claude_breaker_failures),
        reset_after_s=float(settings.claude_breaker_reset_s)))
    stack.push_async_callback(client.aclose)
    return client
