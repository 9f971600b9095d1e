"""Producing raw records and reading topics in tests, with the plain aiokafka client (opened
with a `KafkaAccess`, or the bare address of the session's PLAINTEXT broker)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from schemas.topics import ALL_TOPICS
from workers.runtime.kafka import ensure_topics
from workers.runtime.kafka_access import Kafka, as_access


async def reset_topics(kafka: Kafka, partitions: int, timeout_s: float = 30.0) -> None:
    """Delete the project's topics and create them empty: a test module's workers start
    from the earliest offset in fresh groups, so they must not find an earlier module's
    records. Deletion is asynchronous: wait until the broker no longer lists them."""
    admin = AIOKafkaAdminClient(**as_access(kafka).client_kwargs(), request_timeout_ms=10_000)
    await admin.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while existing := [t for t in await admin.list_topics() if t in ALL_TOPICS]:
            if loop.time() > deadline:
                raise TimeoutError(f"topics not deleted in {timeout_s} s: {existing}")
            await admin.delete_topics(existing)
            await asyncio.sleep(0.05)
    finally:
        await admin.close()
    await ensure_topics(kafka, partitions)


class RawProducer:
    def __init__(self, kafka: Kafka) -> None:
        self._producer = AIOKafkaProducer(**as_access(kafka).client_kwargs(),
                                          enable_idempotence=True, max_request_size=8_000_000)

    async def __aenter__(self) -> RawProducer:
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def send(
        self, topic: str, value: bytes, *, key: str | None, headers: dict[str, str] | None = None,
        timestamp_ms: int | None = None,
    ) -> Any:
        return await self._producer.send_and_wait(
            topic, value, key=key.encode() if key else None, timestamp_ms=timestamp_ms,
            headers=[(k, v.encode()) for k, v in (headers or {}).items()],
        )


async def read_until(
    kafka: Kafka,
    topic: str,
    done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    *,
    where: Callable[[ConsumerRecord[bytes, bytes]], bool] = lambda r: True,
    timeout_s: float = 60.0,
    settle_s: float = 0.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """All records of `topic` (from the start) matching `where`, once `done` holds; then
    keep reading `settle_s` more seconds so that extra (duplicate) records would show."""
    consumer = AIOKafkaConsumer(topic, **as_access(kafka).client_kwargs(), group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen: list[ConsumerRecord[bytes, bytes]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    try:
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                seen.extend(r for r in records if where(r))
            if done(seen):
                end = loop.time() + settle_s
                while loop.time() < end:
                    batch = await consumer.getmany(timeout_ms=200)
                    for records in batch.values():
                        seen.extend(r for r in records if where(r))
                return seen
        raise AssertionError(f"timed out on {topic}: {len(seen)} records seen")
    finally:
        await consumer.stop()


def body(record: ConsumerRecord[bytes, bytes]) -> dict[str, Any]:
    return json.loads(record.value)


def keyed(tenants: set[str]) -> Callable[[ConsumerRecord[bytes, bytes]], bool]:
    return lambda r: r.key is not None and r.key.decode() in tenants


async def publish_events(kafka: Kafka, topic: str, events: list[Any]) -> None:
    """Publish internal events keyed by tenant, as the workers do."""
    async with RawProducer(kafka) as producer:
        for event in events:
            await producer.send(topic, event.model_dump_json().encode(), key=event.tenant_id,
                                headers={"event-type": event.type})
