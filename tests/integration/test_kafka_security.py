"""Every Kafka client of the deployment against a broker reached as a managed Kafka is: TLS
(a CA of its own) and SASL/SCRAM-SHA-512 (`leadmem dev --secure`'s broker, beside the suite's
PLAINTEXT one). Topics created, records published by the receiver's producer, a worker host
consuming and publishing through FastStream, lag and the DLQ size read as `leadmem status`
reads them; a wrong password or an untrusted certificate is a clear error at once, and a
PLAINTEXT client does not get through the TLS port."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from devtools.kafka import KafkaServer
from tests.support.kafka import read_until
from tests.support.workers import eventually
from workers.cli import main as leadmem
from workers.metrics.status import dlq_size, lag_by_group
from workers.runtime.clients import open_producer
from workers.runtime.host import Resources, WorkerHost, WorkerSpec
from workers.runtime.kafka import (
    consumer_lag,
    ensure_topics,
    log_end_offsets,
    probe_broker,
    wait_for_broker,
)
from workers.runtime.kafka_access import KafkaAccessRefused, kafka_access
from workers.runtime.record import Record
from workers.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[KafkaServer]:
    server = KafkaServer(tmp_path_factory.mktemp("kafka-secure"), secure=True)
    server.start()
    try:
        await server.wait_ready()
        yield server
    finally:
        server.stop()


def settings_for(server: KafkaServer, **overrides: Any) -> Settings:
    return Settings(**{**server.client_settings(), "http_port": 0, "batch_timeout_ms": 20,
                       "consumer_group_prefix": f"sec{uuid.uuid4().hex[:8]}", **overrides})


def echo_spec(source: str, sink: str) -> WorkerSpec:
    """A worker that publishes each record's value, upper-cased, to `sink`."""
    def build(res: Resources) -> Any:
        async def handle(record: Record) -> None:
            await res.publisher.publish_raw(sink, record.value.upper(), key=record.key,
                                            headers={"echo-of": f"{record.offset}"})
        return handle
    return WorkerSpec("echo", (source,), build, needs_db=False, needs_redis=False)


async def test_every_client_works_over_sasl_ssl_with_scram(secure_kafka: KafkaServer) -> None:
    settings = settings_for(secure_kafka)
    assert (settings.kafka_security_protocol, settings.kafka_sasl_mechanism) == (
        "SASL_SSL", "SCRAM-SHA-512")
    assert settings.kafka_ssl_cafile and settings.kafka_ssl_check_hostname
    kafka = kafka_access(settings)
    await wait_for_broker(kafka, 10)
    await ensure_topics(kafka, 2)  # the pipeline's topics, as `leadmem topics` creates them
    source, sink = f"sec-in-{uuid.uuid4().hex[:6]}", f"sec-out-{uuid.uuid4().hex[:6]}"
    assert await ensure_topics(kafka, 1, topics=(source, sink)) == [source, sink]

    async with AsyncExitStack() as stack:  # the receiver's and the DLQ replay's producer
        producer = await open_producer(settings, stack, client_id="sec-receiver")
        for i in range(3):
            await producer.send_and_wait(source, f"hello {i}".encode(), key=b"loc1")
    assert await log_end_offsets(kafka, [TopicPartition(source, 0)]) == {
        TopicPartition(source, 0): 3}

    host = WorkerHost(echo_spec(source, sink), settings)  # make_broker: FastStream's clients
    await host.start()
    try:
        echoed = await read_until(kafka, sink, lambda seen: len(seen) >= 3, timeout_s=30)
        assert sorted(r.value for r in echoed) == [b"HELLO 0", b"HELLO 1", b"HELLO 2"]

        async def committed() -> bool:
            lag = await consumer_lag(kafka, settings.group_id("echo"), (source,))
            return lag == {f"{source}:0": 0}
        await eventually(committed, timeout_s=20)
    finally:
        await host.stop()

    lags = await lag_by_group(settings)  # `leadmem status`: every group's lag, the DLQ's size
    assert lags and set(lags.values()) == {0}
    assert await dlq_size(kafka) == 0


async def test_a_wrong_password_is_an_authentication_error_at_once(
        secure_kafka: KafkaServer) -> None:
    settings = settings_for(secure_kafka, kafka_sasl_password="not-the-password")
    kafka = kafka_access(settings)
    started = time.monotonic()
    with pytest.raises(KafkaAccessRefused, match=r"refused the SCRAM-SHA-512 authentication "
                       r"of user 'leadmem'.*Authentication failed"):
        await wait_for_broker(kafka, 60)  # a worker's start: not waited out as a broker away
    assert time.monotonic() - started < 15
    with pytest.raises(KafkaAccessRefused, match="authentication"):
        async with AsyncExitStack() as stack:
            await open_producer(settings, stack, client_id="sec-receiver")
    with pytest.raises(KafkaAccessRefused, match="authentication"):
        await consumer_lag(kafka, "g", ("ghl.events",))


async def test_the_cli_says_so_in_one_line(secure_kafka: KafkaServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in secure_kafka.client_settings().items():
        if value is not None:
            monkeypatch.setenv(f"LEADMEM_{name.upper()}", str(value))
    monkeypatch.setenv("LEADMEM_KAFKA_SASL_PASSWORD", "not-the-password")

    def topics() -> tuple[object, str]:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
            leadmem(["topics"])
        return exit_.value.code, err.getvalue()

    code, err = await asyncio.to_thread(topics)
    assert code == 2
    assert err.startswith("leadmem topics: error: Kafka at 127.0.0.1:")
    assert "refused the SCRAM-SHA-512 authentication of user 'leadmem'" in err
    assert "Traceback" not in err and err.count("\n") == 1


async def test_a_certificate_signed_by_an_unknown_ca_is_refused(secure_kafka: KafkaServer) -> None:
    settings = settings_for(secure_kafka, kafka_ssl_cafile=None)  # the system's CAs
    with pytest.raises(KafkaAccessRefused, match=r"TLS certificate is not trusted: "
                                                 r"self.signed certificate in certificate chain"):
        await probe_broker(kafka_access(settings))


async def test_plaintext_does_not_get_through_the_tls_port(secure_kafka: KafkaServer) -> None:
    started = time.monotonic()
    with pytest.raises(KafkaError):
        await probe_broker(secure_kafka.bootstrap)  # a bare address: PLAINTEXT
    assert time.monotonic() - started < 15
