"""Kafka plumbing: the broker factory every worker uses, topic creation and consumer lag."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from schemas.topics import ALL_TOPICS
from workers.settings import Settings


def make_broker(settings: Settings, *, client_id: str = "leadmem") -> KafkaBroker:
    """A FastStream Kafka broker with the producer settings this deployment needs.

    Idempotence is a setting: Apache Kafka wants it on; Tansu rejects InitProducerId.
    """
    logger = logging.getLogger(f"faststream.{client_id}")
    logger.setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
    return KafkaBroker(
        settings.bootstrap,
        client_id=client_id,
        enable_idempotence=settings.kafka_idempotence,
        acks="all",
        linger_ms=settings.producer_linger_ms,
        # Big enough to forward anything the broker accepted (dead letters keep the bytes).
        max_request_size=16 * 1024 * 1024,
        logger=logger,
        log_level=logging.DEBUG,
    )


async def ensure_topics(
    bootstrap: str,
    partitions: int,
    replication: int = 1,
    topics: tuple[str, ...] = ALL_TOPICS,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create missing topics; returns those created. Waits for the broker to answer."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            await admin.start()
            break
        except KafkaError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        for topic in missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(topic, partitions, replication)])
        return missing
    finally:
        await admin.close()


async def log_end_offsets(bootstrap: str, parts: Sequence[TopicPartition],
                          timeout_s: float = 5.0) -> dict[TopicPartition, int]:
    """Each partition's end offset: the offset the next record written will get.

    Apache Kafka answers `ListOffsets(latest)` with it. Tansu 0.6 answers with an offset
    inside the partition's last record batch (4 for a partition of 3 + 2 records), so a
    reader that trusts it re-reads part of that batch, and a lag check reads zero while the
    batch is still unconsumed. A fetch from the
    listed offset carries the true high watermark, so this fetches once per partition with
    its own consumer and takes the larger of the two (equal on Apache Kafka)."""
    if not parts:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, fetch_max_wait_ms=10)
    await consumer.start()
    try:
        listed = await consumer.end_offsets(list(parts))
        consumer.assign(list(parts))
        for tp in parts:
            consumer.seek(tp, listed[tp])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while (any(consumer.highwater(tp) is None for tp in parts)
               and loop.time() < deadline):
            await consumer.getmany(timeout_ms=20)
        return {tp: max(listed[tp], consumer.highwater(tp) or 0) for tp in parts}
    finally:
        await consumer.stop()


async def consumer_lag(bootstrap: str, group_id: str, topics: tuple[str, ...]) -> dict[str, int]:
    """Lag per `topic:partition` for a group: high watermark minus committed offset."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id,
                                enable_auto_commit=False)
    try:
        await consumer.start()
        await consumer.topics()  # a fresh client knows no partitions until it asks
        parts = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(consumer.partitions_for_topic(t) or ())
        ]
        if not parts:
            return {}
        ends = await log_end_offsets(bootstrap, parts)
        lag: dict[str, int] = {}
        for tp in parts:
            committed = await consumer.committed(tp)
            lag[f"{tp.topic}:{tp.partition}"] = max(0, ends[tp] - (committed or 0))
        return lag
    finally:
        await consumer.stop()
