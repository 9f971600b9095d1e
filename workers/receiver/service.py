"""The webhook receiver on the worker host (`leadmem run receiver`): how a delivery becomes a
record, and the receiver's `WorkerSpec`.

Stateless: every replica writes straight to Kafka and keeps nothing, so more replicas behind a
load balancer scale it. A delivery is answered 200 only once the broker acknowledged its record
(idempotent producer, acks=all); otherwise 429, which GHL retries. The record is the body's
bytes unchanged, keyed by `locationId`, with the signature headers and the receive time as its
timestamp (ingestion judges freshness and dedupes on `webhookId`, so a delivery retried after
a 429 whose record did land after all is processed once).

It consumes nothing, so its spec has no topics: `WorkerHost` waits for no broker, serves
`POST /webhooks/ghl` beside its `/health` and `/metrics` at once, and its producer
(`runtime.clients.connect_producer`) connects in the background: while it connects (the broker
down at start) deliveries get 429, not a refused connection, which GHL would not retry;
`/health` says `broker: false` meanwhile. The host also stops it: requests under way finish,
then the producer is flushed and closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

from aiokafka.errors import KafkaError

from schemas.topics import GHL_EVENTS, PIPELINE_DLQ
from workers.errors import InvalidEventError
from workers.ingestion.signatures import SignatureVerifier
from workers.receiver import install
from workers.receiver.accept import Accept, Reject
from workers.receiver.app import RETRY_AFTER_S, Limits, WebhookHandler, routes
from workers.receiver.metrics import PRODUCE_SECONDS, RequestCounter
from workers.runtime.background import Loop
from workers.runtime.boundary import dead_letter_headers
from workers.runtime.clients import ProducerLink, connect_producer
from workers.runtime.connections import ConnectionLimits
from workers.runtime.host import Resources, WorkerHost, WorkerSpec
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


class Receiver:
    """The HTTP handler's sink, producing on the producer the host opened for it (`attach`).
    `start` and `stop` run it in this process on a `WorkerHost` of its own (tests, the demo),
    wired as `leadmem run receiver` wires it."""

    def __init__(self, settings: Settings, *, port: int | None = None) -> None:
        self.settings = settings
        self.port = settings.port_for(NAME) if port is None else port
        self.counter = RequestCounter(settings.metrics_tenant_labels)
        verifier = SignatureVerifier.of(settings)
        connections = ConnectionLimits(settings.receiver_max_connections,
                                       settings.receiver_header_timeout_s,
                                       settings.receiver_idle_timeout_s, RETRY_AFTER_S)
        limits = Limits(settings.max_body_bytes, settings.receiver_read_timeout_s,
                        settings.receiver_max_in_flight, connections)
        self.handler = WebhookHandler(self, verifier, limits, self.counter)
        # The deployment's producer (`runtime.kafka.make_producer`: idempotent, acks=all): the
        # receiver sets each record's timestamp and headers itself, no FastStream publisher.
        self.producer: ProducerLink | None = None
        self.installs: install.InstallHandler | None = None  # the Marketplace app's callback
        self._host: WorkerHost | None = None
        self._failed = 0
        self._last_letter_us = 0
        self._warned_at = -WARN_EVERY_S

    # --- on the host -----------------------------------------------------------------------

    def attach(self, resources: Resources) -> None:
        """Wire the receiver into its host: the producer (connecting in the background, closed
        after the HTTP server), the webhook route, `broker` in `/health`, and the tenant
        labels' re-ranking. The receiver's `WorkerSpec.build`."""
        s = resources.settings
        # On close, a broker away: what was not acknowledged by then was answered 429.
        self.producer = connect_producer(s, resources.stack, client_id=NAME,
                                         close_timeout_s=s.receiver_produce_timeout_s)
        # Let requests under way finish (read + produce) when stopping, then close.
        grace = s.receiver_read_timeout_s + s.receiver_produce_timeout_s + 1
        resources.serve(routes(self.handler, shutdown_timeout=grace))
        self.installs = install.attach(resources)  # GET /oauth/callback (its own lazy pool)
        resources.add_check("broker", self.broker_ok)
        resources.run_in_background(Loop("receiver-rerank", self._rerank))

    async def start(self) -> None:
        """Serve in this process (the port 0: any free one, then `port`) until `stop`."""
        host = WorkerHost(replace(SPEC, build=self.attach), self.settings, http_port=self.port)
        try:
            await host.start()
        except BaseException:
            await host.stop()
            raise
        self._host = host
        assert host.http is not None
        self.port = host.http.port

    async def stop(self) -> None:
        """Stop accepting, finish the requests under way, then flush and close the producer."""
        host, self._host = self._host, None
        if host is not None:
            await host.stop()

    async def _rerank(self) -> None:
        while True:
            await asyncio.sleep(self.settings.metrics_rerank_s)
            self.counter.rerank()

    async def broker_ok(self) -> bool:
        """The producer is connected and the broker answers a metadata request."""
        return self.producer is not None and await self.producer.ping()

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
        producer = self.producer.current if self.producer is not None else None
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


def build(resources: Resources) -> None:
    Receiver(resources.settings).attach(resources)


SPEC = WorkerSpec(name=NAME, topics=(), build=build, needs_db=False, needs_redis=False)
