"""The pipeline of a fault run, shared by the single-broker and the cluster runs: tenants
onboarded, the workers' settings, the stream written as the webhook receiver writes it, the
worker processes waited for, and the bound on replies in doubt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from devtools.bench.processes import ProcessGroup
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from schemas import topics
from tests.reliability.chaos import ChaosCounts
from tests.reliability.stream import Planned, Tenant, public_pem
from workers.db.tenant import TenantDatabase
from workers.settings import Settings


async def onboard(database_url: str, tenants: list[Tenant], ghl: FakeGHLAPI) -> None:
    """Each tenant as an operator would add it (the persona carries the tenant's secret),
    its GHL token known to the fake GHL."""
    for t in tenants:
        ghl.add_token(t.token, t.id)
    db = await TenantDatabase.connect(database_url)
    try:
        for t in tenants:
            async with db.transaction(t.id) as conn:
                await conn.execute("INSERT INTO tenants (id, name) VALUES ($1, $2)", t.id, t.name)
                await conn.execute(
                    "INSERT INTO tenant_settings (tenant_id, persona) VALUES ($1, $2)",
                    t.id, f"Friendly agent of {t.name} (house word {t.secret})")
    finally:
        await db.close()


def suite_settings(make_settings: Callable[..., Settings], *, redis_url: str,
                   claude: FakeMessagesAPI, ghl: FakeGHLAPI, tenants: list[Tenant],
                   signing_key: Ed25519PrivateKey, max_event_age_s: int,
                   **overrides: Any) -> Settings:
    """The workers' settings: the fakes, each tenant's token, the key the stream is signed
    with; production's retry policy for the workers, with upstream timeouts and backoffs
    short enough that bursts of errors cost seconds, not minutes."""
    return make_settings(
        redis_url=redis_url,
        anthropic_api_key=SecretStr("test-key"), anthropic_base_url=claude.base_url,
        ghl_base_url=ghl.base_url, ghl_tokens={t.id: SecretStr(t.token) for t in tenants},
        ghl_ed25519_public_key=public_pem(signing_key),
        max_event_age_s=max_event_age_s,
        retry_backoff_s=0.2, claude_timeout_s=1.0, claude_backoff_s=0.05,
        claude_backoff_max_s=0.5, claude_deadline_s=5.0, claude_breaker_reset_s=3.0,
        outbound_backoff_s=0.05, outbound_backoff_max_s=0.5, outbound_max_wait_s=1.0,
        outbound_timeout_s=5.0,
        **overrides,
    )


async def produce(bootstrap: str, records: list[Planned], base: datetime,
                  acks: list[tuple[float, float]] | None = None) -> None:
    """Each record at its planned moment, keyed by its tenant and stamped with the moment it
    was received, as the webhook receiver does (a broker outage delays the write, not that).
    `acks` gets (wall time sent, wall time acknowledged) of each record: how long the
    receiver would have waited for the brokers."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True,
                                linger_ms=5, max_request_size=8_000_000)
    await producer.start()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    try:
        sent = []
        for r in records:
            await asyncio.sleep(max(0.0, t0 + r.at - loop.time()))
            at = time.time()
            future = await producer.send(
                topics.GHL_EVENTS, r.value, key=r.tenant.encode(),
                timestamp_ms=int(base.timestamp() * 1000 + r.at * 1000),
                headers=[(k, v.encode()) for k, v in r.headers.items()])
            if acks is not None:
                future.add_done_callback(lambda _, at=at: acks.append((at, time.time())))
            sent.append(future)
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def wait_healthy(group: ProcessGroup, timeout_s: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        for worker in group.workers:
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{worker.port}/health") as resp:
                        if resp.status == 200:
                            break
                except (aiohttp.ClientError, TimeoutError):
                    pass
                if not worker.alive or loop.time() > deadline:
                    raise AssertionError(f"{worker.label} never became healthy: {worker.log}")
                await asyncio.sleep(0.2)


def in_doubt_bound(counts: ChaosCounts, settings: Settings, ghl: FakeGHLAPI) -> int:
    """How many replies a run may leave in doubt (`sending`: the outbound connector is at
    most once): each outbound kill up to `group_concurrency` (the tenants it handles at
    once), each Postgres cut one, and each 5xx answer of GHL to a send one (it proves nothing
    either way: in doubt, never resent, `workers/ghl/outcome.py`)."""
    ghl_5xx = sum(1 for r in ghl.requests
                  if r.path == "/conversations/messages" and (r.status or 0) >= 500)
    return counts.kills["outbound"] * settings.group_concurrency + counts.pg_cuts + ghl_5xx
