"""Nothing accepted is lost to a backlog or to a replay (issue #15, items 1-2), on the real
broker and Postgres:

- a webhook received in time but processed after the replay window (ingestion was down or
  behind) is judged by when it reached us, and accepted;
- a delivery dead-lettered after its dedupe claim committed (its publish failed every
  attempt) is published once when an operator replays it with `leadmem dlq replay`, while a
  GHL retry of it stays a duplicate.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import BaseModel

from devtools.demo.ghl_events import inbound_message
from devtools.signing import signed
from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer, body, keyed, read_until
from tests.support.tenants import add_tenants
from tests.support.workers import running
from workers.cli.dlq_cmds import dlq_replay
from workers.db.tenant import TenantDatabase
from workers.errors import RetryableError
from workers.ingestion.signatures import SignatureVerifier
from workers.ingestion.worker import IngestionHandler, PostgresReceipts
from workers.runtime.boundary import DeadLetterBoundary, RetryPolicy, read_dead_letter
from workers.runtime.ports import Bound
from workers.runtime.publisher import EventPublisher
from workers.runtime.record import Record
from workers.settings import Settings

pytestmark = pytest.mark.integration


async def test_a_backlog_older_than_the_replay_window_is_accepted(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    """17 minutes of webhooks reached us while ingestion was down (window: 10 minutes)."""
    tenant = new_tenant()
    await add_tenants(make_settings().database_url, tenant)
    then = datetime.now(UTC) - timedelta(minutes=17)
    texts = [f"backlog {i}" for i in range(5)]
    async with RawProducer(kafka) as producer:
        for i, text in enumerate(texts):
            sent = then + timedelta(seconds=i)
            value = json.dumps(inbound_message(tenant, "c1", text, when=sent)).encode()
            await producer.send(topics.GHL_EVENTS, value, key=tenant, headers=signed(value),
                                timestamp_ms=int((sent.timestamp() + 0.2) * 1000))
        # A replayed old webhook received *now* is still refused.
        old = then - timedelta(hours=1)
        forged = json.dumps(inbound_message(tenant, "c1", "replayed", when=old)).encode()
        await producer.send(topics.GHL_EVENTS, forged, key=tenant, headers=signed(forged))
    async with running(make_settings(max_event_age_s=600), "ingestion"):
        out = await read_until(kafka, topics.CONVERSATION_EVENTS, lambda s: len(s) >= 5,
                               where=keyed({tenant}), settle_s=0.5)
        dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 1,
                               where=keyed({tenant}))
    assert [body(r)["body"] for r in out] == texts
    assert read_dead_letter(Record.from_consumer(dlq[0])).error_type == "StaleEventError"


class FailingConversationEvents:
    """A publisher that cannot reach `conversation.events` (the broker is away for it)."""

    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        raise RetryableError("publish to conversation.events failed: broker away")


class KafkaRaw:
    """aiokafka as `EventPublisher`'s raw producer, for the dead-letter write."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def publish(self, message: Any, topic: str = "", *, key: Any = None,
                      headers: dict[str, str] | None = None, no_confirm: bool = False) -> Any:
        return await self.producer.send(topic, message, key=key,
                                        headers=[(k, v.encode()) for k, v in
                                                 (headers or {}).items()])


async def test_a_dead_lettered_claimed_delivery_is_published_once_on_replay(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase
) -> None:
    settings = make_settings()
    tenant = new_tenant()
    await add_tenants(db, tenant)
    delivery = inbound_message(tenant, "c1", "please call me about the Elm St house",
                               webhook_id=f"wh-{tenant}")
    value = json.dumps(delivery).encode()
    # Where the delivery sat on ghl.events (a position no test record reaches), received now.
    record = Record(topics.GHL_EVENTS, 0, 10**9, value, key=tenant.encode(),
                    headers=signed(value), timestamp_ms=int(time.time() * 1000))
    handler = IngestionHandler(Bound(db, PostgresReceipts), FailingConversationEvents(), settings,
                               SignatureVerifier.of(settings))
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True)
    await producer.start()
    try:
        boundary = DeadLetterBoundary("ingestion", EventPublisher(KafkaRaw(producer),
                                                                  "ingestion"),
                                      RetryPolicy(max_attempts=4, backoff_s=0))
        assert await boundary.process(record, handler) == "dead_lettered"
    finally:
        await producer.stop()
    async with db.transaction(tenant) as conn:  # the claim committed before the publishes
        assert await conn.fetchval("SELECT count(*) FROM webhook_receipts") == 1

    dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 1,
                           where=keyed({tenant}))
    letter = read_dead_letter(Record.from_consumer(dlq[0]))
    assert letter.source_timestamp_ms == record.timestamp_ms
    async with RawProducer(kafka) as raw:  # GHL retries the same delivery meanwhile
        await raw.send(topics.GHL_EVENTS, value, key=tenant, headers=signed(value))
    await dlq_replay(argparse.Namespace(all=False, tenant=tenant, settings=settings,
                                        positions=[f"{dlq[0].partition}:{dlq[0].offset}"]))
    await dlq_replay(argparse.Namespace(all=True, tenant=tenant, settings=settings,
                                        positions=[]))  # again: the ledger sends nothing
    async with running(settings, "ingestion"):
        out = await read_until(kafka, topics.CONVERSATION_EVENTS, lambda s: len(s) >= 1,
                               where=keyed({tenant}), settle_s=2.0)
    assert [body(r)["body"] for r in out] == [delivery["body"]]
