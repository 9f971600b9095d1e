"""The learning worker (with memory in front of it) on the real broker, Postgres and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import BaseModel, SecretStr

from devtools.fakes.messages_api import FakeMessagesAPI
from schemas import topics
from schemas.events import MemoryUpdated
from tests.conftest import new_tenant
from tests.support.events import BASE, message
from tests.support.kafka import RawProducer, body, keyed, publish_events, read_until
from tests.support.services import ServiceUrls
from tests.support.workers import running
from workers.db.tenant import TenantDatabase
from workers.learning import facts
from workers.learning.extract.model import Area, LeadProfile, Message
from workers.learning.worker import LearningHandler, PostgresLearning
from workers.memory import store as memory_store
from workers.memory.cache import ContextCache
from workers.memory.context import ContextStore
from workers.runtime.ports import Bound
from workers.runtime.record import Record
from workers.settings import Settings

pytestmark = pytest.mark.integration
AREAS = [{"name": "Round Rock", "aliases": ["round rock", "rr"]},
         {"name": "Cedar Park", "aliases": ["cedar park"]}]


async def onboard(db: TenantDatabase, tenant: str) -> None:
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await conn.execute("INSERT INTO tenant_settings (tenant_id, service_areas) "
                           "VALUES ($1, $2::jsonb)", tenant, AREAS)


async def test_profile_facts_history_score_and_reprocessing(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
    migrated: ServiceUrls,
) -> None:
    tenant = new_tenant()
    await onboard(db, tenant)
    first = [
        message(tenant, "c1", "Hi! Are you looking to buy or sell?", i=0,
                direction="outbound", sender="ai"),
        message(tenant, "c1", "Buying, need 3 beds in round rock, up to 450k", i=1),
    ]
    later = [
        message(tenant, "c1", "When are you hoping to move?", i=40 * 24 * 60,
                direction="outbound", sender="ai"),
        message(tenant, "c1", "asap. we're pre-approved and could stretch to 520k",
                i=40 * 24 * 60 + 5),
    ]
    settings = make_settings()
    async with running(settings, "memory", "learning"):
        await publish_events(kafka, topics.CONVERSATION_EVENTS, first)
        out = await read_until(kafka, topics.LEAD_PROFILE_UPDATED, lambda s: len(s) >= 1,
                               where=keyed({tenant}))
        await publish_events(kafka, topics.CONVERSATION_EVENTS, later)
        out = await read_until(kafka, topics.LEAD_PROFILE_UPDATED, lambda s: len(s) >= 2,
                               where=keyed({tenant}), settle_s=1.0)
    one, two = body(out[0]), body(out[1])
    assert one["profile"] == {"intent": "buy", "bedrooms_min": 3, "locations": ["Round Rock"],
                              "budget_max": 450000}
    assert one["reply_needed"] is True and one["message_id"] == first[1].message_id
    assert one["score"] == "cold" and "When are you hoping to move?" in one["next_questions"]
    assert two["changed"] == {"budget_max": 520000, "timeline": "asap",
                              "financing": "preapproved"}
    assert two["score"] == "hot"

    async with db.transaction(tenant) as conn:
        history = await conn.fetch(
            "SELECT value, valid_from, valid_to, source_message_id FROM lead_facts "
            "WHERE field = 'budget_max' ORDER BY valid_from")
        assert [h["value"] for h in history] == [450000, 520000]
        assert history[0]["valid_to"] == history[1]["valid_from"]
        assert history[0]["source_message_id"] == first[1].message_id
        last_month = BASE + timedelta(days=20)
        assert (await facts.facts_at(conn, tenant, "c1", last_month))["budget_max"] == 450000
        versions = await conn.fetchval("SELECT count(*) FROM lead_facts")

    # Redis carries the new profile for the responder.
    redis = aioredis.Redis.from_url(migrated.redis_url)
    try:
        ctx = await ContextStore(db, ContextCache(redis, 60)).get_context(tenant, "c1")
        assert ctx is not None and ctx.profile.profile["budget_max"] == 520000
        assert ctx.profile.score == "hot"
    finally:
        await redis.aclose()

    # Reprocessing the same memory.updated events changes nothing and re-publishes the same.
    updates = await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 4,
                               where=keyed({tenant}))
    async with RawProducer(kafka) as producer:
        for rec in updates:
            await producer.send(topics.MEMORY_UPDATED, rec.value, key=tenant)
    async with running(settings, "learning"):
        again = await read_until(kafka, topics.LEAD_PROFILE_UPDATED, lambda s: len(s) >= 4,
                                 where=keyed({tenant}), settle_s=1.0)
    assert [body(r) for r in again[2:]] == [one, two]
    async with db.transaction(tenant) as conn:
        assert await conn.fetchval("SELECT count(*) FROM lead_facts") == versions


async def test_a_withdrawn_field_is_a_version_too(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
) -> None:
    tenant = new_tenant()
    await onboard(db, tenant)
    events = [
        message(tenant, "c1", "3 bed house in cedar park with a pool please", i=0),
        message(tenant, "c1", "actually scratch the pool, too much upkeep", i=10),
    ]
    async with running(make_settings(), "memory", "learning"):
        await publish_events(kafka, topics.CONVERSATION_EVENTS, events)
        out = await read_until(kafka, topics.LEAD_PROFILE_UPDATED, lambda s: len(s) >= 2,
                               where=keyed({tenant}))
    assert body(out[0])["profile"]["must_haves"] == ["pool"]
    assert body(out[1])["changed"] == {"must_haves": None}
    async with db.transaction(tenant) as conn:
        history = await conn.fetch("SELECT value, valid_to FROM lead_facts "
                                   "WHERE field = 'must_haves' ORDER BY valid_from")
    assert [(h["value"], h["valid_to"] is None) for h in history] == [
        (["pool"], False), (None, True)]


async def test_claude_extraction_fills_gaps_only_when_configured(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
) -> None:
    tenant, keyless = new_tenant(), new_tenant()
    await onboard(db, tenant)
    await onboard(db, keyless)

    def model(request: dict[str, Any]) -> dict[str, Any]:
        return {"budget_max": 999000, "must_haves": ["yard"], "timeline": "3_6_months"}

    async with FakeMessagesAPI(responder=model) as fake:
        words = "up to 450k, somewhere quiet with a big lot for the dogs"
        with_claude = make_settings(learning_claude_extraction=True,
                                    anthropic_api_key=SecretStr("k"),
                                    anthropic_base_url=fake.base_url)
        async with running(with_claude, "memory", "learning"):
            await publish_events(kafka, topics.CONVERSATION_EVENTS,
                                 [message(tenant, "c1", words, i=0)])
            out = await read_until(kafka, topics.LEAD_PROFILE_UPDATED, lambda s: len(s) >= 1,
                                   where=keyed({tenant}))
        assert len(fake.requests) == 1
        no_key = make_settings(learning_claude_extraction=True,
                               anthropic_base_url=fake.base_url)
        async with running(no_key, "memory", "learning"):
            await publish_events(kafka, topics.CONVERSATION_EVENTS,
                                 [message(keyless, "c1", words, i=0)])
            plain = await read_until(kafka, topics.LEAD_PROFILE_UPDATED,
                                     lambda s: len(s) >= 1, where=keyed({keyless}))
        assert len(fake.requests) == 1  # no key, no call
    profile = body(out[0])["profile"]
    assert profile["budget_max"] == 450000  # the rules' value stands
    assert profile["must_haves"] == ["yard"] and profile["timeline"] == "3_6_months"
    assert "must_haves" not in body(plain[0])["profile"]
    async with db.transaction(tenant) as conn:
        confidence = {r["field"]: r["confidence"] for r in await conn.fetch(
            "SELECT field, confidence FROM lead_facts WHERE valid_to IS NULL")}
    assert confidence["must_haves"] == pytest.approx(0.6)
    assert confidence["budget_max"] == pytest.approx(0.9)


class CountingTransactions:
    """The database, counting the transactions open at each moment."""

    def __init__(self, db: TenantDatabase) -> None:
        self.db, self.open = db, 0

    @asynccontextmanager
    async def transaction(self, tenant: str) -> AsyncIterator[Any]:
        async with self.db.transaction(tenant) as conn:
            self.open += 1
            try:
                yield conn
            finally:
                self.open -= 1


class Collect:
    def __init__(self) -> None:
        self.events: list[BaseModel] = []

    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        self.events.append(event)


async def test_claude_is_asked_outside_any_transaction(
        db: TenantDatabase, redis: aioredis.Redis) -> None:
    """The deterministic reading commits before Claude is called; what Claude adds is written
    in a second transaction, and a redelivery asks Claude nothing again."""
    tenant = new_tenant()
    await onboard(db, tenant)
    ev = message(tenant, "c1", "3 beds please, somewhere with a yard", i=0)
    async with db.transaction(tenant) as conn:
        await memory_store.record_message(conn, ev, ensure_contact=True)
    counted = CountingTransactions(db)
    asked: list[int] = []

    async def refine(tenant_id: str, row: Any, messages: list[Message], areas: list[Area],
                     now: datetime, profile: LeadProfile) -> tuple[LeadProfile, set[str]]:
        asked.append(counted.open)
        return profile.model_copy(update={"timeline": "3_6_months"}), {"timeline"}

    out = Collect()
    handler = LearningHandler(Bound(counted, PostgresLearning),
                              ContextStore(db, ContextCache(redis, 600)), out, refine)
    updated = MemoryUpdated(
        event_id=f"mu-{ev.event_id}", tenant_id=tenant, contact_id="c1",
        occurred_at=ev.occurred_at, received_at=ev.received_at, changes=["message.inbound"],
        message_id=ev.message_id, channel="sms", reply_needed=True)
    record = Record(topic=topics.MEMORY_UPDATED, partition=0, offset=0,
                    value=updated.model_dump_json().encode(), key=tenant.encode())
    await handler(record)
    await handler(record)  # redelivered: the stored result, no second Claude call
    assert asked == [0]
    assert [getattr(e, "profile", {}).get("timeline") for e in out.events] == [
        "3_6_months", "3_6_months"]
