"""A librdkafka client (confluent-kafka) feeds and reads the pipeline like any other client.

The Tansu dev broker failed every librdkafka client at its first request; Apache Kafka serves
them, so GHL webhooks may come from kcat, confluent-kafka, the Go or .NET clients or a
connector. One thing is not the same by default: librdkafka's partitioner (CRC32,
`consistent_random`) is not the Java/aiokafka one (murmur2), so a producer that leaves it
puts a tenant's records on another partition than the workers' own publishes, and a tenant's
order across the two producers is lost. With `partitioner=murmur2_random` they agree; the
first test pins that, and docs/operations.md tells operators to set it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.demo.ghl_events import contact_event, inbound_message
from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer, body, keyed, read_until
from tests.support.tenants import add_tenants
from tests.support.workers import running
from workers.db.tenant import TenantDatabase
from workers.settings import Settings

pytestmark = pytest.mark.integration


def librdkafka_producer(bootstrap: str) -> Producer:
    return Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,  # acks=all with it
        "partitioner": "murmur2_random",  # the Java/aiokafka partition for a key
        "linger.ms": 0,
    })


def produce_all(producer: Producer, topic: str,
                records: list[tuple[str, bytes, dict[str, str]]]) -> list[tuple[str, int]]:
    """Produce and wait for every delivery report: (key, partition) of each record, in the
    order the reports came (per partition, not across partitions)."""
    reports: list[Any] = []

    def on_delivery(err: Any, msg: Any) -> None:
        reports.append(err or (msg.key().decode(), msg.partition()))

    for key, value, headers in records:
        producer.produce(topic, value=value, key=key.encode(),
                         headers=list(headers.items()), on_delivery=on_delivery)
    assert producer.flush(30) == 0, "records left unsent"
    errors = [r for r in reports if not isinstance(r, tuple)]
    assert not errors, errors
    return reports


def librdkafka_read(bootstrap: str, topic: str, tenants: set[str], per_tenant: int,
                    settle_s: float = 1.5, timeout_s: float = 60.0) -> list[dict[str, Any]]:
    """Records of `tenants` from the start of `topic`, read with librdkafka: at least
    `per_tenant` of each, then whatever else arrives within `settle_s`."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"rdk-{new_tenant()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    out: list[dict[str, Any]] = []
    settled_at: float | None = None
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.25)
            if msg is not None and not msg.error() and (key := msg.key()) is not None \
                    and key.decode() in tenants:
                value = msg.value()
                assert value is not None  # every record the suite produced has a value
                out.append({"key": key.decode(), "value": json.loads(value)})
            if settled_at is None and all(
                    sum(r["key"] == t for r in out) >= per_tenant for t in tenants):
                settled_at = time.monotonic() + settle_s
            if settled_at is not None and time.monotonic() > settled_at:
                return out
        raise AssertionError(f"librdkafka read {len(out)} records of {topic} in {timeout_s} s")
    finally:
        consumer.close()


async def test_librdkafka_puts_a_tenant_on_the_partition_aiokafka_does(kafka: str) -> None:
    tenants = [new_tenant() for _ in range(12)]
    rdk = await asyncio.to_thread(
        produce_all, librdkafka_producer(kafka), topics.AGENT_ASSIST,
        [(t, b"{}", {}) for t in tenants])
    async with RawProducer(kafka) as producer:
        aio = {t: (await producer.send(topics.AGENT_ASSIST, b"{}", key=t)).partition
               for t in tenants}
    assert dict(rdk) == aio
    assert len(set(aio.values())) > 1  # the keys do spread over partitions


async def test_webhooks_from_librdkafka_flow_through_the_pipeline_like_aiokafkas(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
) -> None:
    signing = Ed25519PrivateKey.generate()
    public_pem = signing.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def webhooks(tenant: str) -> list[tuple[str, bytes, dict[str, str]]]:
        events = [contact_event(tenant, "c1"),
                  inbound_message(tenant, "c1", "Hi, looking for a 3 bed in Austin under 450k"),
                  inbound_message(tenant, "c1", "We need to move by June")]
        out = []
        for e in events:
            raw = json.dumps(e).encode()
            out.append((tenant, raw,
                        {"X-GHL-Signature": base64.b64encode(signing.sign(raw)).decode()}))
        return out

    by_rdk, by_aio = new_tenant(), new_tenant()
    await add_tenants(db, by_rdk, by_aio)
    await asyncio.to_thread(produce_all, librdkafka_producer(kafka), topics.GHL_EVENTS,
                            webhooks(by_rdk))
    async with RawProducer(kafka) as producer:
        for key, value, headers in webhooks(by_aio):
            await producer.send(topics.GHL_EVENTS, value, key=key, headers=headers)

    settings = make_settings(ghl_ed25519_public_key=public_pem)
    async with running(settings, "ingestion", "memory", "learning"):
        # The results, read back by librdkafka too.
        profiles = await asyncio.to_thread(
            librdkafka_read, kafka, topics.LEAD_PROFILE_UPDATED, {by_rdk, by_aio}, 2)
        conv = await read_until(kafka, topics.CONVERSATION_EVENTS, lambda s: len(s) >= 6,
                                where=keyed({by_rdk, by_aio}), settle_s=0.5)
    dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: True,
                           where=keyed({by_rdk, by_aio}), timeout_s=2)
    assert dlq == []

    def shape(tenant: str) -> list[tuple[str, str | None]]:
        return [(body(r)["type"], body(r).get("body")) for r in conv
                if r.key == tenant.encode()]

    assert shape(by_rdk) == shape(by_aio) and len(shape(by_rdk)) == 3
    def learned(tenant: str) -> list[dict[str, Any]]:
        return [p["value"]["profile"] for p in profiles if p["key"] == tenant]

    assert learned(by_rdk) == learned(by_aio)  # the same profiles, in the same order
    assert learned(by_rdk)[-1]["bedrooms_min"] == 3
    for tenant in (by_rdk, by_aio):
        async with db.transaction(tenant) as conn:
            stored = await conn.fetchval("SELECT count(*) FROM messages WHERE contact_id = 'c1'")
        assert stored == 2
