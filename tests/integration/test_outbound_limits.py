"""GHL's limits as GHL counts them, with several outbound replicas, and answers that leave a
send in doubt; against the strict fake GHL, real Postgres and Redis.

The replicas are three `OutboundHandler`s built as `outbound.worker.build` builds one (each
its own Postgres pool, Redis client, HTTP client, `Sender` and `SharedLimiter`), sharing
only Postgres, Redis and GHL, each handling its share of one location's replies as a
consumer handles its partition. (On Kafka one location's records share a partition; the
replicas here stand for everything that calls GHL for one location at once: a rebalance,
the CRM write-back, more than one consumer group.) The in-doubt test runs the worker itself.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY
from pydantic import BaseModel

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import FakeGHLAPI
from schemas import topics
from schemas.envelope import utcnow
from schemas.events import ReplyDrafted
from tests.conftest import new_tenant
from tests.support.kafka import body, keyed, publish_events, read_until
from tests.support.services import ServiceUrls
from tests.support.zones import midday_zone
from workers.db.tenant import TenantDatabase
from workers.errors import RetryableError
from workers.ghl.client import GHLClient
from workers.ghl.limits import Limits
from workers.ghl.ratelimit import Limiter, LocationLimiter
from workers.ghl.sender import Sender
from workers.ghl.shared_limit import RedisWindows, SharedLimiter
from workers.ghl.tokens import StaticTokenProvider
from workers.outbound.config import OutboundConfig
from workers.outbound.delivery import ReplyStore
from workers.outbound.worker import IN_DOUBT, SPEC, OutboundHandler, build
from workers.runtime.boundary import read_dead_letter
from workers.runtime.host import WorkerHost
from workers.runtime.record import Record
from workers.settings import Settings

pytestmark = pytest.mark.integration
SEND_PATH = "/conversations/messages"


async def tenant_with_token(ghl: FakeGHLAPI, db: TenantDatabase) -> tuple[str, str]:
    """A tenant whose leads live where it is midday now: no quiet hours hold their texts."""
    tenant = new_tenant()
    token = f"tok-{tenant}"
    ghl.add_token(token, tenant)
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await conn.execute("INSERT INTO tenant_settings (tenant_id, timezone) VALUES ($1, $2)",
                           tenant, midday_zone())
    return tenant, token


def reply(tenant: str, text: str, contact: str = "c1") -> ReplyDrafted:
    now = utcnow()
    return ReplyDrafted(
        event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id=contact, occurred_at=now,
        received_at=now, idempotency_key=f"m-{uuid.uuid4().hex[:12]}", channel="sms",
        body=text, mode="buyer")


async def reply_rows(db: TenantDatabase, tenant: str) -> dict[str, dict[str, Any]]:
    async with db.transaction(tenant) as conn:
        rows = await conn.fetch("SELECT * FROM replies WHERE tenant_id = $1", tenant)
    return {r["idempotency_key"]: dict(r) for r in rows}


def sends(ghl: FakeGHLAPI) -> list[int | None]:
    return [r.status for r in ghl.requests if r.path == SEND_PATH]


@dataclass
class Published:
    """A replica's publisher: what it published."""

    events: list[BaseModel] = field(default_factory=list)

    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        self.events.append(event)


@dataclass
class Replica:
    handler: OutboundHandler
    published: Published


LimiterFactory = Callable[[aioredis.Redis], Limiter]


def shared(limits: Limits) -> LimiterFactory:
    return lambda redis: SharedLimiter(RedisWindows(redis, limits))


def each_alone(limits: Limits) -> LimiterFactory:
    """Each replica counting only its own requests (the limiter before Redis)."""
    return lambda _: LocationLimiter(limits.burst, limits.interval_s)


@asynccontextmanager
async def replicas(n: int, ghl: FakeGHLAPI, tenant: str, token: str, urls: ServiceUrls,
                   limiter: LimiterFactory) -> AsyncIterator[list[Replica]]:
    async with AsyncExitStack() as stack:
        built = []
        for _ in range(n):
            db = await TenantDatabase.connect(urls.database_url, min_size=1, max_size=2)
            stack.push_async_callback(db.close)
            redis = aioredis.Redis.from_url(urls.redis_url)
            stack.push_async_callback(redis.aclose)
            http = httpx.AsyncClient(timeout=5.0, follow_redirects=False)
            stack.push_async_callback(http.aclose)
            sender = Sender(GHLClient(http, ghl.base_url), StaticTokenProvider({tenant: token}),
                            limiter(redis), max_attempts=5, backoff_s=0.05)
            published = Published()
            built.append(Replica(OutboundHandler(ReplyStore(db), sender, published),
                                 published))
        yield built


async def drive(reps: list[Replica], drafts: list[ReplyDrafted]) -> None:
    """Each replica handles its share in order, as a consumer its partition; a record that
    fails retryably is handled again (the dead-letter boundary's retries)."""

    async def consume(replica: Replica, share: list[ReplyDrafted]) -> None:
        for offset, draft in enumerate(share):
            record = Record(topics.REPLIES_OUTBOUND, reps.index(replica), offset,
                            draft.model_dump_json().encode(), key=draft.tenant_id.encode())
            for attempt in range(20):
                try:
                    await replica.handler(record)
                    break
                except RetryableError:
                    await asyncio.sleep(0.05 * (attempt + 1))

    await asyncio.gather(*(consume(r, drafts[i::len(reps)]) for i, r in enumerate(reps)))


async def assert_each_sent_once(ghl: FakeGHLAPI, db: TenantDatabase, tenant: str,
                                drafts: list[ReplyDrafted]) -> None:
    assert Counter(m.message for m in ghl.delivered) == Counter(d.body for d in drafts)
    rows = await reply_rows(db, tenant)
    ids = {m.message_id for m in ghl.delivered}
    assert {r["status"] for r in rows.values()} == {"sent"} and len(rows) == len(drafts)
    assert {r["ghl_message_id"] for r in rows.values()} == ids


async def test_three_replicas_together_stay_under_ghls_burst_limit(
    migrated: ServiceUrls, db: TenantDatabase,
) -> None:
    async with FakeGHLAPI(rate_limit_burst=10, rate_limit_interval=1.0) as ghl:
        tenant, token = await tenant_with_token(ghl, db)
        drafts = [reply(tenant, f"reply {i}", contact=f"c{i % 7}") for i in range(45)]
        # Our window is GHL's plus a margin: a turn is counted when it is taken, GHL counts
        # the request when it arrives, a claim (one Postgres statement) later.
        async with replicas(3, ghl, tenant, token, migrated,
                            shared(Limits(10, 1.5, 10_000))) as reps:
            await drive(reps, drafts)
    assert sends(ghl) == [201] * 45  # never a 429: the three kept to one count
    await assert_each_sent_once(ghl, db, tenant, drafts)
    assert all(r.published.events for r in reps)  # every replica sent its share
    at = [r.at for r in ghl.requests if r.path == SEND_PATH]
    assert all(at[i + 10] - at[i] >= 1.0 for i in range(len(at) - 10))
    assert at[-1] - at[0] >= 4.0  # 45 requests at 10 per window: the limit was what paced them


async def test_the_test_has_teeth_replicas_counting_alone_draw_429s(
    migrated: ServiceUrls, db: TenantDatabase,
) -> None:
    async with FakeGHLAPI(rate_limit_burst=10, rate_limit_interval=1.0) as ghl:
        tenant, token = await tenant_with_token(ghl, db)
        drafts = [reply(tenant, f"reply {i}") for i in range(30)]
        async with replicas(3, ghl, tenant, token, migrated,
                            each_alone(Limits(10, 1.5, 10_000))) as reps:
            await drive(reps, drafts)
    assert 429 in sends(ghl)  # three replicas, each 10 per window: GHL said no
    await assert_each_sent_once(ghl, db, tenant, drafts)  # a 429 proves it was not taken


async def test_replicas_back_off_when_ghl_counts_more_than_they_did(
    migrated: ServiceUrls, db: TenantDatabase,
) -> None:
    corrections = "leadmem_ghl_rate_limit_corrections_total"
    before = REGISTRY.get_sample_value(corrections) or 0.0
    async with FakeGHLAPI(rate_limit_burst=10, rate_limit_interval=2.0) as ghl:
        tenant, token = await tenant_with_token(ghl, db)
        drafts = [reply(tenant, f"reply {i}") for i in range(12)]
        async with replicas(3, ghl, tenant, token, migrated,
                            shared(Limits(10, 2.5, 10_000))) as reps:
            for _ in range(8):  # someone else spent most of the location's window at GHL
                ghl.limiter.hit(tenant)
            await drive(reps, drafts)
    statuses = sends(ghl)
    # At most the turns taken before GHL's first answer was heard can meet a full window.
    assert statuses.count(429) <= 3 and statuses.count(201) == 12
    assert (REGISTRY.get_sample_value(corrections) or 0.0) > before  # GHL's count was adopted
    await assert_each_sent_once(ghl, db, tenant, drafts)


async def test_a_504_that_did_send_is_in_doubt_never_resent_and_the_agent_told_once(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
) -> None:
    async with FakeGHLAPI() as ghl:
        tenant, token = await tenant_with_token(ghl, db)
        ghl.inject(Fault(status=504, after=True, path=SEND_PATH))  # delivered, then a 504
        draft, later = reply(tenant, "Still looking in Austin?"), reply(tenant, "Next one")
        cfg = OutboundConfig(base_url=ghl.base_url, tokens={tenant: token}, backoff_s=0.05,
                             timeout_s=5.0, scheduler_interval_s=0.2)
        host = WorkerHost(replace(SPEC, build=partial(build, config=cfg)), make_settings())
        await host.start()
        try:
            await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft])
            dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 1,
                                   where=keyed({tenant}))
            await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft, later])  # redelivery
            await read_until(kafka, topics.REPLIES_DELIVERED, lambda s: len(s) >= 1,
                             where=keyed({tenant}))
            notices = await read_until(kafka, topics.AGENT_ASSIST, lambda s: len(s) >= 2,
                                       where=keyed({tenant}), settle_s=1.0)
            for _ in range(100):  # the CRM write-back of the notice, by the same worker
                if ghl.contact(tenant, "c1").tasks:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # time for a second task, were one ever made
        finally:
            await host.stop()
    assert sends(ghl) == [504, 201]  # the first reply POSTed once, never again
    assert [m.message for m in ghl.delivered] == [draft.body, later.body]  # GHL did send it
    row = (await reply_rows(db, tenant))[draft.idempotency_key]
    assert row["status"] == "sending" and row["send_error"].startswith(IN_DOUBT)
    assert "504" in row["send_error"]
    assert read_dead_letter(Record.from_consumer(dlq[0])).error_type == "DeliveryInDoubtError"
    told = [body(n) for n in notices]
    assert {n["reason"] for n in told} == {"reply_in_doubt"}
    assert len({n["event_id"] for n in told}) == 1  # the same notice, told and re-told
    assert draft.body in told[0]["note"] and "504 to the message (Gateway Timeout)" in \
        told[0]["note"]  # the gateway's page summed up by its status, not quoted
    [task] = ghl.contact(tenant, "c1").tasks  # one task for the agent
    assert task["title"].startswith("Check that") and draft.body in task["body"]
