"""Everything the pipeline benchmark runs against: broker, database, Redis, fakes, workers.

A fresh Apache Kafka is started unless `LEADMEM_KAFKA_BOOTSTRAP` names a broker; the database is the
bench's own (dropped, created, migrated: `bench_env`), the Redis db its own (flushed). Claude
and GHL are the loopback fakes in this process with no delay and no effective rate limit, so
the figures are the pipeline's, not the fakes'. Tenants are onboarded as an operator would:
a tenant row, settings with service areas, a GHL token.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from devtools import signing
from devtools.bench.env import BenchEnv, bench_env, with_database
from devtools.bench.machine_cpu import process_cpu
from devtools.bench.processes import ProcessGroup, WorkerProcess, fresh_dir
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from devtools.kafka import KafkaServer
from workers.runtime.kafka import ensure_topics
from workers.runtime.kafka_access import KafkaAccess, kafka_access
from workers.settings import Settings

PIPELINE = ("ingestion", "memory", "learning", "responder", "outbound")
AREAS = [{"name": a, "aliases": [a.lower()]} for a in ("Round Rock", "Cedar Park", "Leander")]


@dataclass
class Stage:
    """A running bench: the workers' settings, their processes and the fakes."""

    settings: Settings
    env: BenchEnv
    group: ProcessGroup
    ghl: FakeGHLAPI
    claude: FakeMessagesAPI
    kafka: KafkaAccess
    tag: str


async def onboard(env: BenchEnv, tenants: list[str]) -> None:
    for tenant in tenants:
        async with env.db.transaction(tenant) as conn:
            await conn.execute("INSERT INTO tenants (id, name) VALUES ($1, $2)",
                               tenant, f"Agency {tenant}")
            await conn.execute(
                "INSERT INTO tenant_settings (tenant_id, service_areas, persona) "
                "VALUES ($1, $2::jsonb, 'Friendly Austin agent')", tenant, AREAS)


async def wait_healthy(workers: list[WorkerProcess], timeout_s: float = 60.0) -> None:
    """Until every process answers /health 200 (broker, Postgres and Redis connected)."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2) as http:
        for w in workers:
            while True:
                if not w.alive:
                    raise RuntimeError(f"{w.label} exited; see {w.log}")
                try:
                    if (await http.get(f"http://127.0.0.1:{w.port}/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{w.label} not healthy; see {w.log}")
                await asyncio.sleep(0.2)


async def scrape_busy(workers: list[WorkerProcess]) -> dict[str, float]:
    """Seconds each process spent in handlers so far (sum of its handle-duration histogram)."""
    out: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=5) as http:
        for w in workers:
            if not w.alive:
                continue
            text = (await http.get(f"http://127.0.0.1:{w.port}/metrics")).text
            out[w.label] = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                               if line.startswith("leadmem_handle_duration_seconds_sum"))
    return out


def cpu_seconds(workers: list[WorkerProcess]) -> dict[str, float]:
    """User+system CPU seconds of each live process (Linux /proc)."""
    out: dict[str, float] = {}
    for w in workers:
        if w.alive and w.proc is not None and (got := process_cpu(w.proc.pid)) is not None:
            out[w.label] = got[1]
    return out


async def bench_broker(stack: AsyncExitStack, base: Settings, kafka_dir: Path
                       ) -> tuple[KafkaAccess, Settings]:
    """The broker `LEADMEM_KAFKA_BOOTSTRAP` names (with its security), else a fresh Apache
    Kafka in `kafka_dir`, stopped with `stack`; and the settings that reach it."""
    if base.kafka_bootstrap is not None:
        return kafka_access(base), base
    shutil.rmtree(kafka_dir, ignore_errors=True)  # each run on an empty broker
    broker = KafkaServer(kafka_dir, heap="1g")
    broker.start()
    stack.callback(broker.stop)
    await broker.wait_ready()
    return broker.access, base.model_copy(update=broker.client_settings())


@asynccontextmanager
async def stage(base: Settings, tenants: list[str], *, tag: str, database: str,
                redis_db: int, partitions: int, log_dir: Path) -> AsyncIterator[Stage]:
    """Start broker (unless configured), fakes, bench database and the worker processes."""
    fresh_dir(log_dir)  # one run's logs only
    async with AsyncExitStack() as stack:
        kafka, base = await bench_broker(stack, base, log_dir / "kafka")
        await ensure_topics(kafka, partitions, base.topic_replication)
        env = await stack.enter_async_context(bench_env(base, database, redis_db))
        await onboard(env, tenants)
        ghl = FakeGHLAPI(rate_limit_burst=10**9, rate_limit_daily=10**12)
        claude = FakeMessagesAPI()
        for fake in (ghl, claude):
            await fake.start()
            stack.push_async_callback(fake.stop)
        tokens: dict[str, Any] = {}
        for tenant in tenants:
            ghl.add_token(f"tok-{tenant}", tenant)
            tokens[tenant] = SecretStr(f"tok-{tenant}")
        settings = base.model_copy(update={
            "kafka_bootstrap": kafka.bootstrap, "topic_partitions": partitions,
            "database_url": with_database(base.database_url, database),
            "admin_database_url": with_database(base.admin_database_url, database),
            "redis_url": env.redis_url, "consumer_group_prefix": f"bench{tag}",
            "anthropic_api_key": SecretStr("bench-key"), "anthropic_base_url": claude.base_url,
            "ghl_base_url": ghl.base_url, "ghl_tokens": tokens, "ghl_token": None,
            "ghl_oauth_client_id": None, "outbound_rate_limit": 10**9,
            "ghl_ed25519_public_key": signing.PUBLIC_PEM,  # the bench signs as GHL would
            "log_level": "WARNING"})
        group = ProcessGroup(settings, log_dir)
        stack.callback(group.stop_all)
        for name in PIPELINE:
            group.start(name)
        await wait_healthy(group.workers)
        yield Stage(settings, env, group, ghl, claude, kafka, tag)
