"""The webhook receiver as a service (`leadmem run receiver`): the producer's lifecycle, the
HTTP server, and how a delivery becomes a record.

Stateless: every replica writes straight to Kafka and keeps nothing, so more replicas behind a
load balancer scale it. A delivery is answered 200 only once the broker acknowledged its record
(idempotent producer, acks=all); otherwise 429, which GHL retries. The record is the body's
bytes unchanged, keyed by `locationId`, with the signature headers and the receive time as its
timestamp (ingestion judges freshness and dedupes on `webhookId`, so a delivery retried after
a 429 whose record did land after all is processed once).

The HTTP server starts at once, before the broker answers: while the producer connects (the
broker down at start) deliveries get 429, not a refused connection, which GHL would not retry;
`/health` says `broker: false` meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time

from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas.topics import GHL_EVENTS, PIPELINE_DLQ
from workers.errors import InvalidEventError
from workers.ingestion.signatures import SignatureVerifier
from workers.receiver.accept import Accept, Reject
from workers.receiver.app import Limits, WebhookHandler, build_app
from workers.receiver.metrics import PRODUCE_SECONDS, RequestCounter
from workers.runtime import kafka
from workers.runtime.boundary import dead_letter_headers
from workers.runtime.http import HealthServer
from workers.runtime.service import ServiceSpec
from workers.settings import Settings

log = logging.getLogger(__name__)
NAME = "receiver"
# A dead letter of the receiver never was on a partition: it says so with partition -1, and
# its receive time in microseconds stands in for the offset, so each one has its own identity
# in the replay ledger (`leadmem dlq replay` sends it to ghl.events, where ingestion judges it).
NO_PARTITION = -1
WARN_EVERY_S = 10.0


def _retrieve(future: asyncio.Future[object]) -> None:
    """Read a send's outcome when nobody awaits it any more (after a deadline), so asyncio
    does not log it as never retrieved."""
    if not future.cancelled():
        future.exception()


def make_producer(settings: Settings) -> AIOKafkaProducer:
    """The deployment's producer (`runtime.kafka.make_producer`: idempotent, acks=all, the
    workers' linger and request size): the receiver sets each record's timestamp and headers
    itself and needs no FastStream publisher around it."""
    return kafka.make_producer(settings, client_id=NAME)


class Receiver:
    def __init__(self, settings: Settings, *, port: int | None = None) -> None:
        self.settings = settings
        self.port = settings.port_for(NAME) if port is None else port
        self.counter = RequestCounter(settings.metrics_tenant_labels)
        verifier = SignatureVerifier.from_settings(
            settings.ghl_ed25519_public_key, settings.ghl_rsa_public_key,
            settings.unsigned_policy,
        )
        limits = Limits(settings.max_body_bytes, settings.receiver_read_timeout_s,
                        settings.receiver_max_in_flight)
        self.handler = WebhookHandler(self, verifier, limits, self.counter)
        self.health = HealthServer(NAME, settings.http_host, self.port,
                                   {"broker": self.broker_ok})
        self._producer: AIOKafkaProducer | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._failed = 0
        self._last_letter_us = 0
        self._warned_at = -WARN_EVERY_S

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve at once; connect the producer in the background (see the module docstring)."""
        s = self.settings
        # Let requests under way finish (read + produce) when stopping, then close.
        grace = s.receiver_read_timeout_s + s.receiver_produce_timeout_s + 1
        self._runner = web.AppRunner(build_app(self.handler, self.health), access_log=None,
                                     shutdown_timeout=grace)
        await self._runner.setup()
        site = web.TCPSite(self._runner, s.http_host, self.port)
        await site.start()
        if self.port == 0:  # tests ask for any free port
            self.port = int(self._runner.addresses[0][1])
        self._tasks = [
            asyncio.create_task(self._connect(), name="receiver-connect"),
            asyncio.create_task(self._rerank(), name="receiver-rerank"),
        ]
        log.info("receiver: POST /webhooks/ghl on %s:%d, broker %s", s.http_host, self.port,
                 s.bootstrap)

    async def stop(self) -> None:
        """Stop accepting, finish the requests under way, then flush and close the producer."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), self.settings.receiver_produce_timeout_s)
            except TimeoutError:  # the broker is away: the unacknowledged were answered 429
                log.warning("receiver: producer did not close in time")

    async def _connect(self) -> None:
        """Start a producer, retrying while the broker does not answer."""
        delay, warned = 0.2, False
        while True:
            producer = make_producer(self.settings)
            try:
                await producer.start()
            except asyncio.CancelledError:  # stopped while connecting: close what opened
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            except KafkaError as exc:
                with contextlib.suppress(Exception):
                    await producer.stop()
                if not warned:
                    log.warning("receiver: broker %s not answering (%r); answering 429 until "
                                "it does", self.settings.bootstrap, exc)
                    warned = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._producer = producer
            log.info("receiver: producer connected to %s", self.settings.bootstrap)
            return

    async def _rerank(self) -> None:
        while True:
            await asyncio.sleep(self.settings.metrics_rerank_s)
            self.counter.rerank()

    async def broker_ok(self) -> bool:
        """The producer is connected and the broker answers a metadata request."""
        producer = self._producer
        if producer is None:
            return False
        try:
            await producer.client.fetch_all_metadata()
        except KafkaError:
            return False
        return True

    # --- the sink of the HTTP handler ------------------------------------------------------

    async def forward(self, body: bytes, accept: Accept, received_ms: int) -> bool:
        return await self._send(GHL_EVENTS, body, accept.location.encode(), accept.headers,
                                received_ms)

    async def dead_letter(self, body: bytes, reject: Reject, received_ms: int) -> bool:
        # strictly increasing in this process, so two dead letters never share an identity
        self._last_letter_us = max(time.time_ns() // 1000, self._last_letter_us + 1)
        headers = dead_letter_headers(
            reject.headers, worker=NAME, source_topic=GHL_EVENTS, partition=NO_PARTITION,
            offset=self._last_letter_us, exc=InvalidEventError(reject.reason), attempts=1,
            tenant=None,
        )
        sent = await self._send(PIPELINE_DLQ, body, None, headers, received_ms)
        if sent:
            log.info("receiver: dead-lettered a delivery: %s", reject.reason)
        return sent

    async def _send(self, topic: str, value: bytes, key: bytes | None,
                    headers: dict[str, str], timestamp_ms: int) -> bool:
        """True once the broker acknowledged the record within the deadline. A send still
        queued at the deadline is cancelled; one already in flight may still land (the
        delivery is then answered 429, retried, and deduplicated by ingestion)."""
        producer = self._producer
        if producer is None:
            return False
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.receiver_produce_timeout_s):
                acked = await producer.send(
                    topic, value, key=key, timestamp_ms=timestamp_ms,
                    headers=[(k, v.encode()) for k, v in headers.items()],
                )
                acked.add_done_callback(_retrieve)
                await asyncio.shield(acked)  # the deadline leaves the producer's future be
        except (KafkaError, TimeoutError) as exc:
            PRODUCE_SECONDS.labels("failed").observe(time.perf_counter() - started)
            self._failed += 1
            if time.monotonic() - self._warned_at > WARN_EVERY_S:  # an outage: not per request
                log.warning("receiver: %d record(s) not acknowledged in time (answered 429), "
                            "last to %s: %r", self._failed, topic, exc)
                self._warned_at, self._failed = time.monotonic(), 0
            return False
        PRODUCE_SECONDS.labels("ok").observe(time.perf_counter() - started)
        return True


async def run(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT (`leadmem run receiver`)."""
    receiver = Receiver(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await receiver.start()
    try:
        await stopping.wait()
    finally:
        await receiver.stop()


SPEC = ServiceSpec(name=NAME, run=run)
