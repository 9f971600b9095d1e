"""Operator tools over leads' memory: delete, export, cache warm-up and cache integrity.

Every per-lead read and write goes through `TenantDatabase.transaction`, so row-level
security scopes it. Listing the tenants is the one cross-tenant read: it uses the admin
connection (`settings.admin_database_url`, the owner/superuser the migrations run as), since
the workers' role sees one tenant at a time by design.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from schemas.context import LeadContext
from workers.db.tenant import TenantDatabase
from workers.memory import store
from workers.memory.cache import ContextCache, memory_key, profile_key
from workers.memory.context import ContextStore
from workers.runtime.clients import open_database, open_redis
from workers.settings import Settings

_TIME_COLUMNS = ("occurred_at", "valid_from", "changed_at", "created_at", "updated_at")
PIPELINE_CHUNK = 500


@dataclass
class Memory:
    """The clients a tool needs, opened together and closed in reverse order."""

    db: TenantDatabase
    redis: aioredis.Redis
    contexts: ContextStore

    @property
    def cache(self) -> ContextCache:
        return self.contexts.cache


@asynccontextmanager
async def open_memory(settings: Settings) -> AsyncIterator[Memory]:
    """Postgres and Redis as the workers open them (`runtime.clients`); Redis without a
    socket timeout, since a tool pipelines rebuilds of many leads at once."""
    async with AsyncExitStack() as stack:
        db = await open_database(settings, stack, min_size=1)
        client = open_redis(settings, stack, timeout_s=None)
        yield Memory(db, client, ContextStore.over(db, client, settings.context_ttl_s))


async def list_tenants(admin_url: str) -> list[str]:
    """Every tenant id: the one read across tenants, hence the admin connection."""
    conn = await asyncpg.connect(admin_url)
    try:
        return [r["id"] for r in await conn.fetch("SELECT id FROM tenants ORDER BY id")]
    finally:
        await conn.close()


async def delete_contact(memory: Memory, tenant: str, contact: str) -> int:
    """Forget a lead in Postgres and Redis; returns the rows removed (0: no such lead)."""
    async with memory.db.transaction(tenant) as conn:
        removed = await store.forget_contact(conn, tenant, contact)
    await memory.contexts.forget(tenant, contact)
    return removed


async def export_contact(db: TenantDatabase, tenant: str, contact: str) -> dict[str, Any] | None:
    """Every row of one lead, table by table (the contact row as `contact`); None when the
    lead has no rows at all."""
    out: dict[str, Any] = {"tenant_id": tenant, "contact_id": contact}
    found = 0
    async with db.transaction(tenant) as conn:
        for table in await store.contact_tables(conn):
            columns = {r["column_name"] for r in await conn.fetch(
                """SELECT column_name FROM information_schema.columns
                   WHERE table_schema = 'public' AND table_name = $1""", table)}
            order = next((c for c in _TIME_COLUMNS if c in columns), "contact_id")
            rows = [dict(r) for r in await conn.fetch(
                f'SELECT * FROM "{table}" WHERE tenant_id = $1 AND contact_id = $2 '
                f'ORDER BY "{order}"', tenant, contact)]
            found += len(rows)
            if table == "contacts":
                out["contact"] = rows[0] if rows else None
            else:
                out[table] = rows
    return out if found else None


def to_json(value: Any, *, indent: int | None = 2) -> str:
    """JSON with ISO datetimes, exact decimals as strings and bytes as base64."""
    def default(v: Any) -> Any:
        if isinstance(v, (datetime, date)):
            return v.isoformat()
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, (bytes, bytearray, memoryview)):
            return base64.b64encode(bytes(v)).decode()
        raise TypeError(f"cannot export {type(v).__name__}")

    return json.dumps(value, indent=indent, default=default, ensure_ascii=False)


async def active_leads(db: TenantDatabase, tenants: Iterable[str], *, limit: int,
                       since_days: float) -> list[tuple[str, str]]:
    """`(tenant, contact)` of the leads who wrote last, newest first, across tenants."""
    found: list[tuple[datetime, str, str]] = []
    for tenant in tenants:
        async with db.transaction(tenant) as conn:
            rows = await conn.fetch(
                """SELECT contact_id, last_inbound_at FROM contacts
                   WHERE tenant_id = $1 AND last_inbound_at IS NOT NULL
                   AND last_inbound_at >= now() - make_interval(secs => $2)
                   ORDER BY last_inbound_at DESC LIMIT $3""",
                tenant, since_days * 86400.0, limit)
        found += [(r["last_inbound_at"], tenant, r["contact_id"]) for r in rows]
    found.sort(reverse=True)
    return [(tenant, contact) for _, tenant, contact in found[:limit]]


async def load_contexts(db: TenantDatabase, tenant: str,
                        contacts: Iterable[str]) -> dict[str, LeadContext]:
    """Contexts of many leads of one tenant from Postgres, in one transaction."""
    out: dict[str, LeadContext] = {}
    async with db.transaction(tenant) as conn:
        for contact in contacts:
            memory = await store.load_memory(conn, tenant, contact)
            if memory is not None:
                out[contact] = LeadContext(
                    memory=memory, profile=await store.load_profile(conn, tenant, contact))
    return out


async def write_contexts(cache: ContextCache, contexts: Iterable[LeadContext]) -> int:
    """Write both parts of many contexts, pipelined (one round trip per chunk)."""
    written = 0
    batch = list(contexts)
    for start in range(0, len(batch), PIPELINE_CHUNK):
        async with cache.redis.pipeline(transaction=False) as pipe:
            for ctx in batch[start:start + PIPELINE_CHUNK]:
                m, p = ctx.memory, ctx.profile
                pipe.set(memory_key(m.tenant_id, m.contact_id), m.model_dump_json(),
                         ex=cache.ttl_s)
                pipe.set(profile_key(p.tenant_id, p.contact_id), p.model_dump_json(),
                         ex=cache.ttl_s)
            await pipe.execute()
        written += len(batch[start:start + PIPELINE_CHUNK])
    return written


async def warm(memory: Memory, leads: list[tuple[str, str]]) -> int:
    """Preload the contexts of `leads` into Redis; returns how many were cached."""
    by_tenant: dict[str, list[str]] = {}
    for tenant, contact in leads:
        by_tenant.setdefault(tenant, []).append(contact)
    cached = 0
    for tenant, contacts in by_tenant.items():
        for start in range(0, len(contacts), PIPELINE_CHUNK):
            loaded = await load_contexts(memory.db, tenant,
                                         contacts[start:start + PIPELINE_CHUNK])
            cached += await write_contexts(memory.cache, loaded.values())
    return cached


@dataclass(frozen=True)
class Drift:
    """One cache entry that disagrees with Postgres, and what repairing it does."""

    kind: str  # stale | orphan | tenant_mismatch | corrupt
    key: str
    detail: str
    rewrite: str | None  # the value Postgres rebuilds; None: delete the key


_KEY = re.compile(r"^lm:\{(?P<tenant>[^}]*)\}:(?P<kind>ctx|prof):(?P<contact>.+)$")


async def cached_keys(redis: aioredis.Redis, tenant: str | None) -> dict[str, list[str]]:
    """Context keys in Redis by tenant (SCAN, never KEYS)."""
    by_tenant: dict[str, list[str]] = {}
    scope = tenant if tenant is not None else "*"
    for part in ("ctx", "prof"):
        async for raw in redis.scan_iter(match=f"lm:{{{scope}}}:{part}:*", count=1000):
            key = raw.decode() if isinstance(raw, bytes) else raw
            match = _KEY.match(key)
            if match:
                by_tenant.setdefault(match["tenant"], []).append(key)
    return by_tenant


async def check_integrity(memory: Memory, tenant: str | None = None, *,
                          repair: bool = False) -> tuple[int, list[Drift]]:
    """Compare every cached context with what Postgres rebuilds; returns the number of keys
    checked and the drift found (repaired when asked). Writers racing with the check can show
    as drift; repairing rewrites what Postgres holds then, which is always right."""
    checked, drift = 0, []
    for key_tenant, keys in sorted((await cached_keys(memory.redis, tenant)).items()):
        for start in range(0, len(keys), PIPELINE_CHUNK):
            chunk = sorted(keys[start:start + PIPELINE_CHUNK])
            values = await memory.redis.mget(chunk)
            contacts = {_KEY.match(k)["contact"] for k in chunk}  # type: ignore[index]
            truth = await load_contexts(memory.db, key_tenant, sorted(contacts))
            for key, value in zip(chunk, values, strict=True):
                if value is not None:
                    checked += 1
                    found = _compare(key, value, truth)
                    drift += [found] if found else []
    if repair:
        async with memory.redis.pipeline(transaction=False) as pipe:
            for d in drift:
                if d.rewrite is None:
                    pipe.delete(d.key)
                else:
                    pipe.set(d.key, d.rewrite, ex=memory.cache.ttl_s)
            await pipe.execute()
    return checked, drift


def _compare(key: str, value: bytes | str, truth: dict[str, LeadContext]) -> Drift | None:
    match = _KEY.match(key)
    assert match is not None
    ctx = truth.get(match["contact"])
    if ctx is None:
        return Drift("orphan", key, "no such lead in Postgres", None)
    expected = ctx.memory if match["kind"] == "ctx" else ctx.profile
    rewrite = expected.model_dump_json()
    try:
        cached = type(expected).model_validate_json(value)
    except ValueError as exc:
        return Drift("corrupt", key, f"unreadable: {str(exc).splitlines()[0]}", rewrite)
    if (cached.tenant_id, cached.contact_id) != (match["tenant"], match["contact"]):
        return Drift("tenant_mismatch", key,
                     f"value is {cached.tenant_id}/{cached.contact_id}", rewrite)
    if cached == expected:
        return None
    ours, theirs = cached.model_dump(), expected.model_dump()
    fields = sorted(k for k in theirs if ours.get(k) != theirs[k])
    return Drift("stale", key, "differs in " + ", ".join(fields), rewrite)
