"""The webhook receiver over real HTTP against the real broker: what GHL sees (status codes)
and what lands on Kafka (the bytes, key, headers and timestamp, or nothing at all)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiokafka import ConsumerRecord
from prometheus_client import REGISTRY

from devtools.demo.ghl_events import inbound_message
from devtools.kafka import KafkaServer
from devtools.signing import PUBLIC_PEM, signed
from devtools.signing import signature as sign
from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import body, keyed, read_until
from tests.support.tenants import add_tenants
from tests.support.workers import eventually, running
from workers.receiver.app import WEBHOOK_PATH
from workers.receiver.service import Receiver
from workers.runtime.boundary import read_dead_letter
from workers.runtime.kafka import log_end_offsets, topic_partitions
from workers.runtime.record import Record
from workers.settings import Settings

pytestmark = pytest.mark.integration

def delivery(tenant: str, text: str = "Is the 3 bed on Elm still available?",
             **kw: Any) -> bytes:
    """A GHL InboundMessage as GHL might format it: not as json.dumps would re-serialise it
    (spacing, key order, escapes), so a re-encoding anywhere would show."""
    event = inbound_message(tenant, "cI08i1Bls3iTB9bKgFJh", text, **kw)
    return json.dumps(event, indent=1, ensure_ascii=True, sort_keys=True).encode() + b"\n"


@asynccontextmanager
async def serving(settings: Settings, *, connected: bool = True) -> AsyncIterator[Receiver]:
    receiver = Receiver(settings)
    await receiver.start()
    try:
        if connected:
            await eventually(receiver.broker_ok, timeout_s=30)
        yield receiver
    finally:
        await receiver.stop()


def url(receiver: Receiver, path: str = WEBHOOK_PATH) -> str:
    return f"http://127.0.0.1:{receiver.port}{path}"


async def post(receiver: Receiver, data: Any, headers: dict[str, str] | None = None,
               ) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.post(
            url(receiver), data=data, headers=headers) as resp:
        return resp.status, await resp.json(), dict(resp.headers)


async def ends(bootstrap: str, *names: str) -> int:
    """Records ever written to `names` (the sum of their end offsets)."""
    return sum((await log_end_offsets(bootstrap, await topic_partitions(bootstrap, names)))
               .values())


def requests(outcome: str, tenant: str = "other") -> float:
    value = REGISTRY.get_sample_value("leadmem_receiver_requests_total",
                                      {"outcome": outcome, "tenant": tenant})
    return value or 0.0


def dlq_of(value: bytes) -> Callable[[ConsumerRecord[bytes, bytes]], bool]:
    return lambda r: r.value == value and (b"receiver" in dict(r.headers).get("dlq-worker", b""))


async def test_a_delivery_lands_bit_exact_keyed_signed_and_stamped_with_its_receive_time(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    raw = delivery(tenant, "¿Sigue disponible? \u2014 <b>3 bed</b> & \"garage\"")
    legacy = "bGVnYWN5LXNpZ25hdHVyZQ=="  # forwarded as is: ingestion has no RSA key here
    settings = make_settings(ghl_ed25519_public_key=PUBLIC_PEM)
    async with serving(settings) as receiver:
        written = await ends(kafka, topics.GHL_EVENTS)
        before = time.time() * 1000
        status, answer, _ = await post(receiver, raw, {
            "Content-Type": "application/json", "X-GHL-Signature": sign(raw),
            "x-wh-signature": legacy})
        after = time.time() * 1000
        assert (status, answer) == (200, {"outcome": "accepted"})
        # 200 came after the broker's ack (acks=all): the record is committed already
        assert await ends(kafka, topics.GHL_EVENTS) == written + 1
        (record,) = await read_until(kafka, topics.GHL_EVENTS, lambda seen: len(seen) >= 1,
                                     where=keyed({tenant}), timeout_s=10)
        health = await aiohttp_get(url(receiver, "/health"))
        metrics = await aiohttp_get(url(receiver, "/metrics"))
    assert record.value == raw
    assert record.key == tenant.encode()
    headers = dict(record.headers)
    assert headers["x-ghl-signature"] == sign(raw).encode()
    assert headers["x-wh-signature"] == legacy.encode()
    assert headers["tenant-id"] == tenant.encode()
    assert before - 1 <= record.timestamp <= after + 1
    assert health[0] == 200 and json.loads(health[1])["checks"] == {"broker": True}
    assert metrics[0] == 200
    assert f'leadmem_receiver_requests_total{{outcome="accepted",tenant="{tenant}"}}' \
        in metrics[1]
    assert "leadmem_receiver_produce_seconds_bucket" in metrics[1]


async def aiohttp_get(target: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(target) as resp:
        return resp.status, await resp.text()


@pytest.mark.parametrize(("raw", "reason"), [
    (b"[1, 2, 3]", "body is a JSON list, not an object"),
    (b'{"type": "InboundMessage", "body": "no location"}', "locationId is missing"),
    (b"{this is not json", "body is not JSON"),
])
async def test_an_unkeyable_body_is_400_and_dead_lettered_with_its_reason(
    make_settings: Callable[..., Settings], kafka: str, raw: bytes, reason: str
) -> None:
    signature = sign(raw)
    async with serving(make_settings()) as receiver:
        written = await ends(kafka, topics.GHL_EVENTS)
        status, answer, _ = await post(receiver, raw, {"X-GHL-Signature": signature})
        assert status == 400 and answer["outcome"] == "invalid" and reason in answer["error"]
        (dead,) = await read_until(kafka, topics.PIPELINE_DLQ, lambda seen: len(seen) >= 1,
                                   where=dlq_of(raw), timeout_s=10)
        assert await ends(kafka, topics.GHL_EVENTS) == written
    letter = read_dead_letter(Record.from_consumer(dead))
    assert (letter.worker, letter.source_topic, letter.partition) == ("receiver",
                                                                      topics.GHL_EVENTS, -1)
    assert letter.offset > 0 and letter.attempts == 1  # its own identity for the replay ledger
    assert letter.error_type == "InvalidEventError" and reason in letter.error
    assert letter.headers == {"x-ghl-signature": signature}
    assert base64.b64decode(letter.value_b64) == raw and dead.key is None


async def test_a_body_over_the_limit_is_413_declared_or_chunked_and_nothing_is_written(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    big = delivery(tenant, "x" * 3_000)
    assert len(big) > 2_000

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: read until the limit
        for i in range(0, len(big), 500):
            yield big[i:i + 500]

    async with serving(make_settings(max_body_bytes=2_000)) as receiver:
        written = await ends(kafka, topics.GHL_EVENTS, topics.PIPELINE_DLQ)
        declared = await post(receiver, big)
        streamed = await post(receiver, chunked())
        fits = delivery(tenant, "fits")
        small = await post(receiver, fits, signed(fits))
        assert await ends(kafka, topics.GHL_EVENTS, topics.PIPELINE_DLQ) == written + 1
    assert declared[:2] == (413, {"outcome": "too_large",
                                  "error": f"body of {len(big)} bytes or more is over the "
                                           "limit of 2000"})
    assert streamed[0] == 413 and "limit of 2000" in streamed[1]["error"]
    assert small[0] == 200


async def test_a_bad_or_missing_signature_is_401_counted_and_nothing_written(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    raw = delivery(tenant)
    settings = make_settings(ghl_ed25519_public_key=PUBLIC_PEM)
    async with serving(settings) as receiver:
        written = await ends(kafka, topics.GHL_EVENTS, topics.PIPELINE_DLQ)
        counted = requests("unauthorized")
        forged = await post(receiver, raw, {"X-GHL-Signature": sign(raw + b" ")})
        unsigned = await post(receiver, raw)
        garbage = await post(receiver, b"{junk", {"X-GHL-Signature": sign(b"other")})
        signed = await post(receiver, raw, {"X-GHL-Signature": sign(raw)})
        assert await ends(kafka, topics.GHL_EVENTS, topics.PIPELINE_DLQ) == written + 1
    assert forged[:2] == (401, {"outcome": "unauthorized",
                                "error": "webhook signature does not match the body"})
    assert unsigned[:2] == (401, {"outcome": "unauthorized",
                                  "error": "unsigned webhook (a workflow webhook goes to its "
                                           "tenant's own URL: leadmem tenant webhook-url)"})
    assert garbage[0] == 401  # a forgery does not even reach the DLQ
    assert signed[0] == 200
    assert requests("unauthorized") == counted + 3


async def forward(listen: socket.socket, target: tuple[str, int]) -> asyncio.Server:
    """A TCP forwarder on an already bound socket: the broker 'comes back' there."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*target)
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    return await asyncio.start_server(on_client, sock=listen)


async def test_broker_unreachable_is_429_until_it_answers_then_the_retry_is_accepted(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    raw = delivery(tenant)
    listen = socket.socket()
    listen.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    closed = listen.getsockname()[1]
    settings = make_settings(kafka_bootstrap=f"127.0.0.1:{closed}",
                             receiver_produce_timeout_s=0.5)
    async with serving(settings, connected=False) as receiver:
        status, answer, headers = await post(receiver, raw, signed(raw))
        assert (status, answer) == (429, {"outcome": "unavailable"})
        assert int(headers["Retry-After"]) > 0
        # its dead letter cannot be written either
        invalid = await post(receiver, b"[]", signed(b"[]"))
        assert invalid[:2] == (429, {"outcome": "unavailable"})
        health = await aiohttp_get(url(receiver, "/health"))
        assert health[0] == 503 and json.loads(health[1])["checks"] == {"broker": False}

        host, port = kafka.rsplit(":", 1)
        server = await forward(listen, (host, int(port)))  # the broker is back
        try:
            await eventually(receiver.broker_ok, timeout_s=30)
            retried = await post(receiver, raw, signed(raw))  # GHL's retry of the delivery
        finally:
            server.close()
    assert retried[:2] == (200, {"outcome": "accepted"})
    (record,) = await read_until(kafka, topics.GHL_EVENTS, lambda seen: len(seen) >= 1,
                                 where=keyed({tenant}), timeout_s=10, settle_s=0.5)
    assert record.value == raw


async def slow_upload(port: int, declared: int,
                      ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A request that sends its headers and one byte of a longer body, then stalls (the
    writer is kept: dropping it would close the connection)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                 f"\r\nContent-Length: {declared}\r\n\r\n{{".encode())
    await writer.drain()
    return reader, writer


async def test_the_in_flight_cap_answers_429_and_slow_uploads_time_out_freeing_their_slots(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    settings = make_settings(receiver_max_in_flight=2, receiver_read_timeout_s=1.0)
    async with serving(settings) as receiver:
        stalled = [await slow_upload(receiver.port, 500) for _ in range(2)]
        await eventually(lambda: receiver.handler.in_flight == 2, timeout_s=5)
        busy = await post(receiver, delivery(tenant))  # refused before its body is read
        assert busy[:2] == (429, {"outcome": "busy"}) and "Retry-After" in busy[2]
        for reader, writer in stalled:  # each answered when its read timeout passed
            head = await asyncio.wait_for(reader.read(4096), 5)
            assert head.startswith(b"HTTP/1.1 429") and b'"slow_upload"' in head
            writer.close()
        assert receiver.handler.in_flight == 0
        raw = delivery(tenant)
        after = await post(receiver, raw, signed(raw))
    assert after[:2] == (200, {"outcome": "accepted"})


async def test_end_to_end_a_posted_webhook_is_verified_ingested_and_published_once(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    raw = delivery(tenant, "Hi, is the 3 bed on Elm still available?")
    settings = make_settings(ghl_ed25519_public_key=PUBLIC_PEM)
    await add_tenants(settings.database_url, tenant)
    headers = {"X-GHL-Signature": sign(raw), "Content-Type": "application/json"}
    async with serving(settings) as receiver, running(settings, "ingestion"):
        first = await post(receiver, raw, headers)
        again = await post(receiver, raw, headers)  # GHL redelivers the same webhookId
        out = await read_until(kafka, topics.CONVERSATION_EVENTS, lambda seen: len(seen) >= 1,
                               where=keyed({tenant}), settle_s=1.5)
    assert first[0] == again[0] == 200
    (event,) = [body(r) for r in out]  # once, though delivered twice
    assert event["type"] == "message.ingested" and event["tenant_id"] == tenant
    assert event["body"] == "Hi, is the 3 bed on Elm still available?"
    assert event["direction"] == "inbound" and event["channel"] == "sms"
    # ingestion verified the forwarded bytes and signature itself (anything it could not
    # verify would be dead-lettered, keyed by the tenant)
    assert not await read_until(kafka, topics.PIPELINE_DLQ, lambda seen: True,
                                where=keyed({tenant}), settle_s=1.0)


async def test_leadmem_run_receiver_serves_until_sigterm(kafka: str) -> None:
    """The CLI path: `leadmem run receiver`, a worker that consumes nothing, hosted by
    `WorkerHost` until SIGTERM."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "LEADMEM_KAFKA_BOOTSTRAP": kafka, "LEADMEM_HTTP_PORT": str(port),
           "LEADMEM_HTTP_HOST": "127.0.0.1", "LEADMEM_GHL_ED25519_PUBLIC_KEY": PUBLIC_PEM}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "workers.cli", "run", "receiver", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    tenant = new_tenant()
    try:
        health = f"http://127.0.0.1:{port}/health"

        async def ready() -> bool:
            with contextlib.suppress(aiohttp.ClientError):
                return (await aiohttp_get(health))[0] == 200
            return False

        await eventually(ready, timeout_s=60)
        raw = delivery(tenant)
        async with aiohttp.ClientSession() as http, http.post(
                f"http://127.0.0.1:{port}{WEBHOOK_PATH}", data=raw, headers=signed(raw)) as resp:
            assert resp.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    await read_until(kafka, topics.GHL_EVENTS, lambda seen: len(seen) >= 1,
                     where=keyed({tenant}), timeout_s=10)


async def test_a_delivery_answered_429_while_the_broker_is_stopped_is_processed_once(
    make_settings: Callable[..., Settings], kafka: str, kafka_server: KafkaServer | None,
) -> None:
    """The outage GHL's retries are for: the broker stops under a connected receiver. The
    delivery is answered 429, but its record stays queued in the producer and lands when
    the broker is back; GHL's retry of the same delivery lands too. Ingestion writes one
    `conversation.events` record for it (dedupe on `webhookId`), not two."""
    if kafka_server is None:
        pytest.skip("the broker of LEADMEM_TEST_KAFKA_BOOTSTRAP is not ours to stop")
    tenant = new_tenant()
    before = delivery(tenant, "first, while the broker is up")
    during = delivery(tenant, "second, while the broker is stopped")
    settings = make_settings(receiver_produce_timeout_s=1.0)
    await add_tenants(settings.database_url, tenant)
    async with serving(settings) as receiver:
        assert (await post(receiver, before, signed(before)))[:2] == (200, {"outcome":
                                                                            "accepted"})
        await asyncio.to_thread(kafka_server.stop)
        try:
            refused = await post(receiver, during, signed(during))
        finally:
            await asyncio.to_thread(kafka_server.start)
            await kafka_server.wait_ready(timeout_s=120)
        assert refused[0] == 429 and refused[1] == {"outcome": "unavailable"}
        await eventually(receiver.broker_ok, timeout_s=60)
        retried = await post(receiver, during, signed(during))  # GHL retries the delivery
        assert retried[:2] == (200, {"outcome": "accepted"})
    on_topic = await read_until(kafka, topics.GHL_EVENTS, lambda seen: len(seen) >= 3,
                                where=keyed({tenant}), timeout_s=30, settle_s=0.5)
    # the 429'd send landed after all, and so did the retry
    assert [r.value for r in on_topic] == [before, during, during]
    async with running(settings, "ingestion"):
        out = await read_until(kafka, topics.CONVERSATION_EVENTS, lambda seen: len(seen) >= 2,
                               where=keyed({tenant}), settle_s=2.0)
    texts = sorted(body(r)["body"] for r in out)
    assert texts == ["first, while the broker is up", "second, while the broker is stopped"]
