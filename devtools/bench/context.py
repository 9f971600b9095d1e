"""`leadmem bench context`: latency of `ContextStore.get_context` and the cache hit rate.

Builds a realistic memory (default 10,000 leads in 50 agencies, 30-80 messages each) in the
bench's own database and Redis db, then measures, one read at a time:
- warm: every context cached, reads of uniformly chosen leads (Redis hits);
- cold: the lead's keys deleted before each (untimed) read, so `get_context` misses, rebuilds
  from Postgres and writes back; and `ContextStore.load` alone (Postgres only);
- hit rate while replaying a stream modelled on the pipeline (see `replay`).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from prometheus_client import REGISTRY

from devtools.bench import data
from devtools.bench.env import BenchEnv, bench_env, copy_rows, with_database
from workers.memory import store, tools
from workers.memory.cache import memory_key, profile_key
from workers.memory.context import ContextStore
from workers.settings import Settings

Out = Callable[[str], None]


@dataclass(frozen=True)
class ContextBench:
    leads: int = 10_000
    tenants: int = 50
    reads: int = 10_000
    seed: int = 7
    zipf_s: float = 1.0
    zipf_q: float = 10.0
    events_per_lead_day: float = 0.5  # stream rate: messages per lead per day, on average
    inbound_share: float = 0.7
    database: str = "leadmem_bench"
    redis_db: int = 14


def nearest_rank(ordered: Sequence[float], q: float) -> float:
    """The `q` quantile (0..1) of sorted samples, nearest rank."""
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def percentiles(samples: list[float], prefix: str) -> dict[str, float]:
    """Nearest-rank P50/P95/P99 in milliseconds."""
    ordered = sorted(samples)
    return {f"{prefix}_p{int(q * 100)}_ms": round(nearest_rank(ordered, q) * 1000, 3)
            for q in (0.5, 0.95, 0.99)}


async def build(env: BenchEnv, cfg: ContextBench, admin_url: str) -> list[data.Lead]:
    """Generate and COPY the memory in, one tenant transaction per agency."""
    rng = random.Random(cfg.seed)
    now = datetime.now(UTC)
    agencies = data.tenants(cfg.tenants)
    shares = data.weights(cfg.leads, cfg.zipf_s, cfg.zipf_q)
    rng.shuffle(shares)  # popularity is independent of agency and id
    # Agencies differ in size: a lead joins one with probability ~ its random weight.
    sizes = [rng.uniform(0.3, 1.7) for _ in agencies]
    per_day = cfg.events_per_lead_day * cfg.leads
    leads: list[data.Lead] = []
    for i, share in enumerate(shares):
        tenant, state = rng.choices(agencies, weights=sizes)[0]
        leads.append(data.make_lead(rng, tenant, state, i, share, now, per_day))
    for tenant, _ in agencies:
        mine = [lead for lead in leads if lead.tenant == tenant]
        async with env.db.transaction(tenant) as conn:
            await conn.execute("INSERT INTO tenants (id, name) VALUES ($1, $2)",
                               tenant, f"Agency {tenant}")
            await copy_rows(conn, "contacts", data.CONTACT_COLUMNS,
                            [lead.contact_row for lead in mine])
            await copy_rows(conn, "messages", data.MESSAGE_COLUMNS,
                            [m for lead in mine for m in lead.messages])
            await copy_rows(conn, "lead_profiles", data.PROFILE_COLUMNS,
                            [lead.profile for lead in mine],
                            jsonb=("profile", "score_reasons", "qualification", "next_questions"))
            await copy_rows(conn, "lead_facts", data.FACT_COLUMNS,
                            [f for lead in mine for f in lead.facts], jsonb=("value",))
    admin = await asyncpg.connect(with_database(admin_url, env.database))
    try:
        await admin.execute("ANALYZE")  # as in production after autovacuum caught up
    finally:
        await admin.close()
    return leads


async def latency(contexts: ContextStore, leads: list[data.Lead], cfg: ContextBench,
                  mode: str) -> list[float]:
    """`cfg.reads` timed reads of uniformly chosen leads; `mode` warm | cold | load."""
    rng = random.Random(cfg.seed + 1)
    redis = contexts.cache.redis
    samples = []
    for _ in range(cfg.reads):
        lead = rng.choice(leads)
        if mode == "cold":
            await redis.delete(memory_key(lead.tenant, lead.contact),
                               profile_key(lead.tenant, lead.contact))
        start = time.perf_counter()
        if mode == "load":
            ctx = await contexts.load(lead.tenant, lead.contact)
        else:
            ctx = await contexts.get_context(lead.tenant, lead.contact)
        samples.append(time.perf_counter() - start)
        assert ctx is not None
    return samples


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _hits() -> float:
    return REGISTRY.get_sample_value("leadmem_context_cache_requests_total",
                                     {"result": "hit"}) or 0.0


async def replay(env: BenchEnv, contexts: ContextStore, leads: list[data.Lead],
                 cfg: ContextBench, *, fill_profile: bool = False) -> dict[str, Any]:
    """The cache hit rate of the pipeline's reads under a Zipf-like stream.

    Model: messages arrive as a Poisson stream (`events_per_lead_day` x leads per day), each
    for a lead drawn by its traffic share. Per message, as the workers do: the memory worker
    stores it in Postgres and writes the memory part through to Redis; the learning worker
    reads the context and writes the profile part through; for an inbound message
    (`inbound_share`) the responder reads the context too. Only these reads count. The cache
    starts in the state the stream's own past leaves: contexts of leads active within the TTL
    (`cache warm --since-days TTL`). TTL expiry runs on the simulated clock (a key whose last
    write is older than the TTL is deleted before the read); eviction is Redis's own, as
    configured (maxmemory / policy are reported). With `fill_profile` the memory worker's
    write also fills a missing profile part (`ContextStore.fill_profile`), so a lead returning
    after the TTL is no longer a miss for the learning worker.
    """
    rng = random.Random(cfg.seed + 2)
    ttl = contexts.cache.ttl_s
    await env.redis.flushdb()
    memory = tools.Memory(env.db, env.redis, contexts)
    tenants = sorted({lead.tenant for lead in leads})
    active = await tools.active_leads(env.db, tenants, limit=len(leads), since_days=ttl / 86400)
    warmed = await tools.warm(memory, active)
    start_clock = datetime.now(UTC).timestamp()
    expiry: dict[str, float] = {}  # Redis key -> simulated expiry time
    for lead in leads:
        if lead.last_inbound_at and lead.last_inbound_at.timestamp() > start_clock - ttl:
            for key in (memory_key(lead.tenant, lead.contact),
                        profile_key(lead.tenant, lead.contact)):
                expiry[key] = lead.last_inbound_at.timestamp() + ttl
    cumulative = list(itertools.accumulate(lead.share for lead in leads))
    rate_s = cfg.events_per_lead_day * len(leads) / 86400
    clock, reads, events, hits0, started = start_clock, 0, 0, _hits(), time.perf_counter()

    async def read(lead: data.Lead) -> Any:
        keys = [memory_key(lead.tenant, lead.contact), profile_key(lead.tenant, lead.contact)]
        gone = [k for k in keys if expiry.get(k, clock) < clock]
        if gone:
            await env.redis.delete(*gone)
        before = _hits()
        ctx = await contexts.get_context(lead.tenant, lead.contact)
        if _hits() == before:  # a miss rewrote both parts
            expiry.update({k: clock + ttl for k in keys})
        return ctx

    while reads < cfg.reads:
        lead = rng.choices(leads, cum_weights=cumulative)[0]
        clock += rng.expovariate(rate_s)
        inbound = rng.random() < cfg.inbound_share
        events += 1
        async with env.db.transaction(lead.tenant) as conn:
            await store.insert_message(
                conn, tenant=lead.tenant, event_id=f"stream-{fill_profile}-{events}",
                contact=lead.contact,
                direction="inbound" if inbound else "outbound", channel="sms",
                sender="lead" if inbound else "ai",
                body=rng.choice(data.INBOUND if inbound else data.OUTBOUND).format(
                    first="Sam", area="Round Rock", beds=3, baths=2, budget=450, offer=440,
                    price=440, street="Elm St", day="Saturday", month="June"),
                at=datetime.fromtimestamp(clock, UTC))
            part = await store.load_memory(conn, lead.tenant, lead.contact)
            profile = await store.load_profile(conn, lead.tenant, lead.contact) \
                if fill_profile else None
        assert part is not None
        await contexts.put(part)
        expiry[memory_key(lead.tenant, lead.contact)] = clock + ttl
        pkey = profile_key(lead.tenant, lead.contact)
        if profile is not None and expiry.get(pkey, clock) < clock:
            await env.redis.delete(pkey)  # the simulated TTL ran out before this write
        if profile is not None and await contexts.fill_profile(profile):
            expiry[pkey] = clock + ttl
        ctx = await read(lead)
        await contexts.put(ctx.profile)
        expiry[profile_key(lead.tenant, lead.contact)] = clock + ttl
        reads += 1
        if inbound:
            await read(lead)
            reads += 1
    config = {_text(k): _text(v) for k, v in (await env.redis.config_get("maxmemory*")).items()}
    if fill_profile:
        return {"hit_rate": round((_hits() - hits0) / reads, 4)}
    return {
        "hit_rate_without_profile_fill": round((_hits() - hits0) / reads, 4),
        "stream_reads": reads,
        "stream_events": events, "stream_warmed": warmed,
        "stream_simulated_hours": round((clock - start_clock) / 3600, 2),
        "stream_s": round(time.perf_counter() - started, 2), "ttl_s": ttl,
        "redis_maxmemory": config.get("maxmemory"),
        "redis_maxmemory_policy": config.get("maxmemory-policy"),
    }


async def run(settings: Settings, cfg: ContextBench, out: Out) -> dict[str, Any]:
    async with bench_env(settings, cfg.database, cfg.redis_db) as env:
        started = time.perf_counter()
        leads = await build(env, cfg, settings.admin_database_url)
        build_s = time.perf_counter() - started
        messages = sum(len(lead.messages) for lead in leads)
        out(f"built {len(leads)} leads, {messages} messages in {cfg.tenants} tenants "
            f"in {build_s:.1f}s ({env.database}, {env.redis_url})")
        contexts = ContextStore.over(env.db, env.redis, settings.context_ttl_s)
        memory = tools.Memory(env.db, env.redis, contexts)
        await tools.warm(memory, [(lead.tenant, lead.contact) for lead in leads])
        result: dict[str, Any] = {"leads": len(leads), "tenants": cfg.tenants,
                                  "messages": messages, "build_s": round(build_s, 2),
                                  "reads": cfg.reads}
        for mode in ("warm", "cold", "load"):
            stats = percentiles(await latency(contexts, leads, cfg, mode),
                                "cold_load" if mode == "load" else mode)
            result |= stats
            out(f"{mode}: " + ", ".join(f"{k} {v}" for k, v in stats.items()))
        result |= await replay(env, contexts, leads, cfg)
        out(f"stream, memory path without the profile fill: hit rate "
            f"{result['hit_rate_without_profile_fill']} over {result['stream_reads']} reads "
            f"({result['stream_events']} messages, {result['stream_simulated_hours']} "
            "simulated hours)")
        result |= await replay(env, contexts, leads, cfg, fill_profile=True)
        out(f"stream, as the memory worker does it (fills a missing profile part): hit rate "
            f"{result['hit_rate']}")
        result["config"] = asdict(cfg)
        return result
