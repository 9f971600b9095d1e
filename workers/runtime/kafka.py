"""Kafka plumbing: the broker factory every worker uses, topic creation and consumer lag.

Every client here is opened with the deployment's `KafkaAccess` (`runtime.kafka_access`: the
address and the TLS/SASL settings); the helpers also take a bare address, a PLAINTEXT broker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from schemas.topics import ALL_TOPICS
from workers.runtime.kafka_access import (
    Kafka,
    as_access,
    broker_security,
    kafka_access,
    start_client,
)
from workers.settings import Settings

log = logging.getLogger(__name__)


# Big enough to forward anything the broker accepted (dead letters keep the bytes).
MAX_REQUEST_SIZE = 16 * 1024 * 1024


def producer_settings(settings: Settings) -> dict[str, Any]:
    """The durability settings of every producer of this deployment (the workers' broker,
    the receiver, the DLQ replay): idempotent with acks=all, so a retried send after a broker
    fault is written once; the same linger and request size."""
    return {"enable_idempotence": True, "acks": "all",
            "linger_ms": settings.producer_linger_ms, "max_request_size": MAX_REQUEST_SIZE}


def make_producer(settings: Settings, *, client_id: str) -> AIOKafkaProducer:
    """A bare aiokafka producer with `producer_settings`, for those that set each record's
    timestamp and headers themselves (the receiver, the DLQ replay); they open it through
    `runtime.clients` (`open_producer`, `connect_producer`)."""
    return AIOKafkaProducer(**kafka_access(settings).client_kwargs(), client_id=client_id,
                            **producer_settings(settings))


def make_broker(settings: Settings, *, client_id: str = "leadmem") -> KafkaBroker:
    """A FastStream Kafka broker with `producer_settings` and the deployment's security (its
    consumers, producer and admin client all get it)."""
    logger = logging.getLogger(f"faststream.{client_id}")
    logger.setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
    access = kafka_access(settings)
    return KafkaBroker(
        access.servers,
        security=broker_security(access),
        client_id=client_id,
        **producer_settings(settings),
        logger=logger,
        log_level=logging.DEBUG,
    )


async def probe_broker(kafka: Kafka) -> None:
    """One metadata request; raises the client's KafkaError when the broker does not answer,
    `KafkaAccessRefused` when it refuses this client (credentials, TLS)."""
    access = as_access(kafka)
    admin = AIOKafkaAdminClient(**access.client_kwargs(), request_timeout_ms=5_000)
    try:
        await start_client(admin, access)
        await admin.describe_cluster()
    finally:
        await admin.close()


async def wait_for_broker(kafka: Kafka, timeout_s: float) -> None:
    """Until the broker answers a metadata request, or `timeout_s` passed (then the last
    error). A worker started while the broker restarts waits for it instead of exiting at
    once and crash-looping under its supervisor; a broker that refuses this client's
    credentials or TLS is not waited for (`KafkaAccessRefused` at once)."""
    access = as_access(kafka)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    warned = False
    while True:
        try:
            await probe_broker(access)
            return
        except KafkaError:
            if loop.time() > deadline:
                raise
            if not warned:
                log.warning("broker %s not answering; waiting up to %.0f s", access,
                            timeout_s)
                warned = True
        await asyncio.sleep(0.5)


async def ensure_topics(
    kafka: Kafka,
    partitions: int,
    replication: int = 1,
    topics: tuple[str, ...] = ALL_TOPICS,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create missing topics; returns those created. Waits for the broker to answer (not for
    one that refuses this client: `KafkaAccessRefused`)."""
    access = as_access(kafka)
    admin = AIOKafkaAdminClient(**access.client_kwargs(), request_timeout_ms=10_000)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            await start_client(admin, access)
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


async def topic_partitions(kafka: Kafka, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of `topics` as the broker lists them now (missing topics: none).

    A consumer's own metadata only holds what it subscribed to or was assigned (Apache Kafka
    answers a client's first metadata request, for no topic, with no topic), so readers that
    assign partitions by hand ask here first."""
    if not topics:
        return []
    access = as_access(kafka)
    admin = AIOKafkaAdminClient(**access.client_kwargs(), request_timeout_ms=10_000)
    try:
        await start_client(admin, access)
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return sorted(TopicPartition(t["topic"], p["partition"])
                  for t in described if t["error_code"] == 0 for p in t["partitions"])


async def log_end_offsets(kafka: Kafka, parts: Sequence[TopicPartition],
                          ) -> dict[TopicPartition, int]:
    """Each partition's end offset (the high watermark: the offset the next record gets)."""
    if not parts:
        return {}
    access = as_access(kafka)
    consumer = AIOKafkaConsumer(**access.client_kwargs(), group_id=None,
                                enable_auto_commit=False)
    try:
        await start_client(consumer, access)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(list(parts))
        return ends
    finally:
        await consumer.stop()


async def consumer_lag(kafka: Kafka, group_id: str, topics: tuple[str, ...]) -> dict[str, int]:
    """Lag per `topic:partition` for a group: high watermark minus committed offset."""
    access = as_access(kafka)
    consumer = AIOKafkaConsumer(**access.client_kwargs(), group_id=group_id,
                                enable_auto_commit=False)
    try:
        await start_client(consumer, access)
        parts = await topic_partitions(access, topics)
        if not parts:
            return {}
        ends = await consumer.end_offsets(parts)
        lag: dict[str, int] = {}
        for tp in parts:
            committed = await consumer.committed(tp)
            lag[f"{tp.topic}:{tp.partition}"] = max(0, ends[tp] - (committed or 0))
        return lag
    finally:
        await consumer.stop()
