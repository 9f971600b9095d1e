"""End offsets and lag as every reader of the pipeline's topics needs them (lag checks, the
demo's tail, the DLQ reader, the bench's drain): the end offset is the offset the next record
will get, so a group that read part of the last batch still lags by the rest."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from workers.runtime.kafka import consumer_lag, ensure_topics, log_end_offsets

pytestmark = pytest.mark.integration


async def produce_one_batch(bootstrap: str, topic: str, n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=200)
    await producer.start()
    try:
        sent = [await producer.send(topic, f"r{i}".encode(), partition=0) for i in range(n)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def test_end_offsets_count_the_last_batch(kafka: str) -> None:
    topic = f"offsets-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka, 1, topics=(topic,))
    tp = TopicPartition(topic, 0)
    assert await log_end_offsets(kafka, [tp]) == {tp: 0}
    await produce_one_batch(kafka, topic, 3)
    await produce_one_batch(kafka, topic, 2)

    assert await log_end_offsets(kafka, [tp]) == {tp: 5}
    assert await consumer_lag(kafka, f"g-{topic}", (topic,)) == {f"{topic}:0": 5}

    # A group that read the first batch only still lags by the whole second one.
    reader = AIOKafkaConsumer(topic, bootstrap_servers=kafka, group_id=f"g-{topic}",
                              enable_auto_commit=False, auto_offset_reset="earliest")
    await reader.start()
    try:
        await reader.commit({tp: 3})
    finally:
        await reader.stop()
    assert await consumer_lag(kafka, f"g-{topic}", (topic,)) == {f"{topic}:0": 2}
