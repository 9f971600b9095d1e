"""The composition root of a worker: open clients, subscribe, handle batches, commit, close.

A worker is a `WorkerSpec`: its name, the topics it consumes, and `build(resources)` that
returns the per-record handler. `WorkerHost` runs it on a FastStream Kafka subscriber with
the delivery rules of DESIGN.md:

- batches are consumed with auto-commit off: a batch's offsets count as handled only after
  every record of it was handled (or dead-lettered) and every publish was acknowledged, and
  only handled offsets are committed, on an interval (`runtime.offsets`: not a round trip
  per batch); any other failure rewinds the batch for redelivery;
- each record goes through the dead-letter boundary; handlers that can take a tenant's
  records of a batch together (`groups`) get them in one transaction, and fall back to the
  boundary record by record when that fails.

A worker that consumes nothing (no `topics`: the webhook receiver, the HTTP edge) gets no
subscriber and waits for no broker: the host opens its clients, serves the routes it adds
(`Resources.serve`) beside `/health` and `/metrics` at once, and runs its background loops;
it produces through a producer of its own (`clients.connect_producer`).

`run_worker` runs the same host as a FastStream application (`leadmem run NAME`), or, for a
worker that consumes nothing, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Protocol

import redis.asyncio as aioredis
from aiokafka.errors import KafkaConnectionError
from faststream import FastStream
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy

from workers.db.tenant import TenantDatabase
from workers.runtime.boundary import DeadLetterBoundary, Handler, RetryPolicy
from workers.runtime.clients import open_database, open_redis
from workers.runtime.groups import process_batch
from workers.runtime.http import Check, HealthServer, Routes
from workers.runtime.kafka import make_broker, wait_for_broker
from workers.runtime.kafka_access import kafka_access
from workers.runtime.offsets import OffsetCommitter
from workers.runtime.publisher import EventPublisher, RawProducer
from workers.runtime.record import Record
from workers.settings import Settings

log = logging.getLogger(__name__)

RESTART_PAUSE_S = 1.0  # between two starts of a worker whose broker went away while starting


def return_on_arrival(subscriber: Any, wait_ms: int, max_records: int) -> None:
    """Poll without FastStream's pause: its batch subscriber (0.7) sleeps `batch_timeout_ms`
    after every empty poll, so a record arriving then waits out the sleep on each hop, and
    an idle worker wakes twice per timeout (5 ms: 0.05 cores per idle worker on Apache
    Kafka, measured). aiokafka's `getmany` already returns as soon as records arrive and
    waits up to `wait_ms` when none do, so the poll alone paces the loop."""

    async def get_msg(consumer: Any) -> tuple[Any, ...]:
        batches = await consumer.getmany(timeout_ms=wait_ms, max_records=max_records)
        return tuple(chain.from_iterable(batches.values()))

    subscriber.get_msg = get_msg


class Background(Protocol):
    """A loop a worker runs beside its consumer (e.g. the outbound's held-reply scheduler)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Resources:
    """Clients a worker's handler may use, opened by the host and closed in reverse order."""

    worker: str
    settings: Settings
    publisher: EventPublisher
    db: TenantDatabase | None = None
    redis: aioredis.Redis | None = None
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    producer: RawProducer | None = None  # the host's broker: background loops publish too
    background: list[Background] = field(default_factory=list)
    checks: dict[str, Check] = field(default_factory=dict)  # more dependencies for /health
    routes: Routes | None = None  # served beside /health and /metrics

    def serve(self, routes: Routes) -> None:
        """Serve `routes` on the worker's port beside `/health` and `/metrics` from the
        moment the host opened it (the receiver's `POST /webhooks/ghl`); each call adds its
        routes to those of the calls before (the receiver's `GET /oauth/callback`)."""
        self.routes = routes if self.routes is None else self.routes.plus(routes)

    def add_check(self, name: str, check: Check) -> None:
        """One more dependency in `/health` (the receiver's producer: `broker`)."""
        self.checks[name] = check

    def run_in_background(self, loop: Background) -> None:
        """Start `loop` once the broker is started (so it may publish) and stop it before
        the broker stops (so its last publish is not cut off); the host does both."""
        self.background.append(loop)

    def own_publisher(self) -> EventPublisher:
        """A publisher over the host's broker with its own pending sends: what a background
        loop publishes is neither flushed with a batch nor fails one."""
        if self.producer is None:
            raise RuntimeError(f"{self.worker}: no producer (not opened by a WorkerHost, or "
                               "it consumes nothing and has no broker)")
        return EventPublisher(self.producer, self.worker)

    @property
    def database(self) -> TenantDatabase:
        """The Postgres pool, opened for workers whose spec says `needs_db`."""
        if self.db is None:
            raise RuntimeError(f"{self.worker}: no database (its WorkerSpec has needs_db=False)")
        return self.db

    @property
    def cache(self) -> aioredis.Redis:
        """The Redis client, opened for workers whose spec says `needs_redis`."""
        if self.redis is None:
            raise RuntimeError(f"{self.worker}: no Redis (its WorkerSpec has needs_redis=False)")
        return self.redis


@dataclass(frozen=True)
class WorkerSpec:
    """A worker: `build` returns its per-record handler, or None when it consumes nothing
    (`topics=()`; it serves HTTP and produces, like the receiver)."""

    name: str
    topics: tuple[str, ...]
    build: Callable[[Resources], Handler | None]
    needs_db: bool = True
    needs_redis: bool = True

    @property
    def consumes(self) -> bool:
        return bool(self.topics)


class WorkerHost:
    def __init__(
        self, spec: WorkerSpec, settings: Settings, *, http_port: int | None = None,
        group_id: str | None = None,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.broker = make_broker(settings, client_id=spec.name)  # started if it consumes
        self.publisher = EventPublisher(self.broker, spec.name)
        self.boundary = DeadLetterBoundary(
            spec.name,
            self.publisher,
            RetryPolicy(settings.max_attempts, settings.retry_backoff_s,
                        settings.retry_backoff_max_s),
        )
        self.committer = OffsetCommitter(
            spec.name, interval_s=settings.commit_interval_ms / 1000,
            max_records=settings.commit_max_records)
        self.resources: Resources | None = None
        self._handler: Handler | None = None
        self._http_port = settings.port_for(spec.name) if http_port is None else http_port
        self.http: HealthServer | None = None
        self._subscriber: Any = None  # FastStream's; its `consumer` is the aiokafka one
        if spec.consumes:
            self._subscribe(group_id or settings.group_id(spec.name))

    def _subscribe(self, group_id: str) -> None:
        settings = self.settings
        subscriber = self.broker.subscriber(
            *self.spec.topics,
            group_id=group_id,
            batch=True,
            max_records=settings.batch_max_records,
            batch_timeout_ms=settings.batch_timeout_ms,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,  # on_batch rewinds; self.committer commits
            listener=self.committer.listener(),
            max_poll_interval_ms=900_000,
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=settings.heartbeat_interval_ms,
        )
        return_on_arrival(subscriber, settings.batch_timeout_ms, settings.batch_max_records)
        subscriber(self.on_batch)
        self._subscriber = subscriber

    async def on_batch(self, body: Any) -> None:
        """Handle every record of a batch (per tenant group where the handler can, see
        `groups`), then wait for its publishes; the batch's offsets are then handled, and
        `committer` commits them. Anything else rewinds the batch (`nack`: each partition
        back to its first record of the batch) for redelivery.

        The message is read from FastStream's context rather than injected as a `KafkaMessage`
        parameter: fast_depends resolves such a context parameter in a worker thread, a
        thread hop per batch that cost more CPU than handling a small batch."""
        assert self._handler is not None, "worker not opened"
        msg: KafkaMessage = self.broker.context.get_local("message")
        raw = msg.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        try:
            await process_batch(self.spec.name, [Record.from_consumer(r) for r in records],
                                self._handler, self.boundary,
                                concurrency=self.settings.group_concurrency)
            await self.publisher.flush()
        except Exception:
            await msg.nack()
            raise
        await self.committer.handled(self._subscriber.consumer,
                                     ((r.topic, r.partition, r.offset) for r in records))

    async def open(self) -> None:
        """Open clients and the HTTP server (the broker is started by its owner, once the
        broker answers; a worker that consumes nothing waits for no broker: it serves at
        once)."""
        spec = self.spec
        if spec.consumes:
            await wait_for_broker(kafka_access(self.settings), self.settings.broker_wait_s)
        res = Resources(spec.name, self.settings, self.publisher,
                        producer=self.broker if spec.consumes else None)
        await res.stack.__aenter__()
        if spec.needs_db:
            res.db = await open_database(self.settings, res.stack)
        if spec.needs_redis:
            res.redis = open_redis(self.settings, res.stack)
        self.resources = res
        self._handler = spec.build(res)
        if spec.consumes and self._handler is None:
            raise TypeError(f"{spec.name}: a worker that consumes topics must build a handler")
        self.http = HealthServer(
            spec.name, self.settings.http_host, self._http_port, self._checks(res), res.routes
        )
        await self.http.start()
        res.stack.push_async_callback(self.http.stop)
        if res.routes is not None:
            log.info("%s: %s on %s:%d, broker %s", spec.name, res.routes.summary,
                     self.settings.http_host, self.http.port, self.settings.bootstrap)

    def _checks(self, res: Resources) -> dict[str, Check]:
        checks: dict[str, Check] = {"broker": self._broker_ok} if self.spec.consumes else {}
        if res.db is not None:
            checks["postgres"] = res.db.ping
        if res.redis is not None:
            checks["redis"] = self._redis_ping
        checks.update(res.checks)
        return checks

    async def _broker_ok(self) -> bool:
        return bool(await self.broker.ping(timeout=2))

    async def _redis_ping(self) -> bool:
        assert self.resources is not None and self.resources.redis is not None
        try:
            return bool(await self.resources.redis.ping())
        except Exception:
            return False

    async def start_background(self) -> None:
        """Start the worker's background loops (the broker is started)."""
        if self.resources is not None:
            for loop in self.resources.background:
                loop.start()

    async def stop_background(self) -> None:
        """Stop the background loops, latest first, and commit the handled offsets, while
        the broker still runs."""
        if self.resources is not None:
            for loop in reversed(self.resources.background):
                await loop.stop()
        if self.spec.consumes:
            await self.committer.stop()

    async def close(self) -> None:
        if self.resources is not None:
            await self.resources.stack.aclose()
            self.resources = None

    async def start(self) -> None:
        """Open clients and start consuming (tests and the demo run workers this way)."""
        await self.open()
        if self.spec.consumes:
            await self.broker.start()
        await self.start_background()

    async def stop(self) -> None:
        await self.stop_background()
        if self.spec.consumes:
            await self.broker.stop()
        await self.close()


def _app(host: WorkerHost) -> FastStream:
    """The FastStream application of one worker's host."""
    return FastStream(
        host.broker,
        on_startup=[host.open],
        after_startup=[host.start_background],
        on_shutdown=[host.stop_background],
        after_shutdown=[host.close],
        logger=logging.getLogger(f"leadmem.{host.spec.name}"),
    )


async def run_worker(spec: WorkerSpec, settings: Settings) -> None:
    """Run one worker until it is stopped (`leadmem run NAME`). The broker going away while
    the worker starts (after `open` found it answering, before the consumer connected) is
    waited out like a broker that is not up yet, within `broker_wait_s`, not a crash."""
    if not spec.consumes:
        await _serve(WorkerHost(spec, settings))
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.broker_wait_s
    while True:
        host = WorkerHost(spec, settings)
        try:
            await _app(host).run()
            return
        except KafkaConnectionError:
            # FastStream runs no shutdown hook when its start fails: close what opened.
            with contextlib.suppress(Exception):
                await host.broker.stop()
            await host.close()
            if loop.time() > deadline:
                raise
            log.warning("%s: the broker went away while starting; waiting for it", spec.name)
            await wait_for_broker(kafka_access(settings), max(1.0, deadline - loop.time()))
            # A broker that answers the probe yet refuses the consumer (a node of a cluster
            # still starting) would otherwise be retried in a tight loop until the deadline.
            await _pause()


async def _pause() -> None:
    await asyncio.sleep(RESTART_PAUSE_S)


async def _serve(host: WorkerHost) -> None:
    """A worker that consumes nothing, until SIGTERM or SIGINT: the host's own start and stop
    (a FastStream application would start a broker this worker does not use)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    try:
        await host.start()
        await stopping.wait()
    finally:
        await host.stop()
