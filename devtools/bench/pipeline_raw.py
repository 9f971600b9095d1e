"""The machine's own limits for the pipeline's work, measured in the same run.

- broker: the same records (bytes and keys) produced to a fresh topic with the workers'
  producer settings, then consumed back from the start, no processing;
- Postgres: the same number of `messages` rows the pipeline writes, inserted with
  `executemany` as the workers' role under row-level security, one transaction per tenant.
The pipeline's figures are then reported as ratios of these.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from devtools.bench.pipeline_events import MESSAGE_KINDS, Sent
from devtools.bench.pipeline_kafka import producer
from workers.db.tenant import TenantDatabase
from workers.runtime.kafka import ensure_topics
from workers.runtime.kafka_access import KafkaAccess


async def broker_rate(kafka: KafkaAccess, sent: list[Sent], partitions: int,
                      ) -> dict[str, float]:
    """Records/s to produce then consume `sent` (and each half alone)."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka, partitions, topics=(topic,))
    prod = producer(kafka)
    await prod.start()
    try:
        started = time.perf_counter()
        futures = [await prod.send(topic, s.value, key=s.tenant.encode()) for s in sent]
        await asyncio.gather(*futures)
        produce_s = time.perf_counter() - started
    finally:
        await prod.stop()
    cons = AIOKafkaConsumer(**kafka.client_kwargs(), enable_auto_commit=False,
                            max_poll_records=500, fetch_max_bytes=16 * 1024 * 1024)
    await cons.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        cons.assign(tps)
        await cons.seek_to_beginning(*tps)
        got, started = 0, time.perf_counter()
        deadline = started + 120
        while got < len(sent) and time.perf_counter() < deadline:
            batch = await cons.getmany(timeout_ms=500, max_records=500)
            got += sum(len(recs) for recs in batch.values())
        consume_s = time.perf_counter() - started
    finally:
        await cons.stop()
    n = len(sent)
    return {
        "broker_produce_per_s": round(n / produce_s, 1),
        "broker_consume_per_s": round(got / consume_s, 1),
        "broker_events_per_s": round(n / (produce_s + consume_s), 1),
    }


def message_row(s: Sent, i: int, at: datetime) -> tuple[Any, ...]:
    contact = f"raw-c{i % 97}"
    return (s.tenant, f"raw-{i}", f"raw-m{i}", contact, f"conv-{contact}",
            "inbound" if s.kind == "inbound" else "outbound", "sms",
            "lead" if s.kind == "inbound" else "workflow", s.value[:160].decode(errors="replace"),
            None, None, None, at)


async def postgres_rate(db: TenantDatabase, sent: list[Sent]) -> dict[str, float]:
    """Rows/s for the pipeline's `messages` rows, inserted in one transaction per tenant."""
    now = datetime.now(UTC)
    per_tenant: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for i, s in enumerate(sent):
        if s.kind in MESSAGE_KINDS:
            per_tenant[s.tenant].append(message_row(s, i, now))
    rows = sum(len(v) for v in per_tenant.values())
    started = time.perf_counter()
    for tenant, batch in per_tenant.items():
        async with db.transaction(tenant) as conn:
            await conn.executemany(
                """INSERT INTO messages (tenant_id, event_id, message_id, contact_id,
                       conversation_id, direction, channel, sender, body, user_id, source,
                       reply_key, occurred_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""", batch)
    elapsed = time.perf_counter() - started
    return {"postgres_rows": rows, "postgres_rows_per_s": round(rows / max(elapsed, 1e-9), 1)}
