"""Opening the shared clients from the settings, in one place: the worker host, the workers'
`build`, the operator commands and the development tools open Postgres, Redis, Claude and
bare Kafka producers through these, so a pool size, a timeout or a DSN rule is changed once
(the producers' settings are `runtime.kafka.producer_settings`). Each opener registers the
client's close on the caller's `AsyncExitStack`, so clients close in reverse order of
opening."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import AsyncExitStack

import asyncpg
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from workers.claude import ClaudeClient
from workers.claude.breaker import BreakerRegistry
from workers.db.tenant import TenantDatabase
from workers.runtime.kafka import make_producer
from workers.runtime.kafka_access import kafka_access, refusal, start_client
from workers.settings import Settings

log = logging.getLogger(__name__)

# A worker's Redis calls fail fast (the cache is optional: a read falls back to Postgres).
WORKER_REDIS_TIMEOUT_S = 2.0


async def open_database(settings: Settings, stack: AsyncExitStack, *,
                        min_size: int | None = None,
                        max_size: int | None = None) -> TenantDatabase:
    """The workers' role pool (tenant-scoped transactions); sizes default to the settings."""
    db = await TenantDatabase.connect(
        settings.database_url,
        min_size=settings.db_pool_min if min_size is None else min_size,
        max_size=settings.db_pool_max if max_size is None else max_size,
    )
    stack.push_async_callback(db.close)
    return db


async def open_admin_connection(settings: Settings, stack: AsyncExitStack) -> asyncpg.Connection:
    """One connection as the admin role (sees every tenant; the only one that may touch
    `dlq_replays`), for operator commands."""
    conn = await asyncpg.connect(settings.admin_database_url)
    stack.push_async_callback(conn.close)
    return conn


async def open_admin_pool(settings: Settings, stack: AsyncExitStack, *, min_size: int = 1,
                          max_size: int = 3) -> asyncpg.Pool:
    """A small pool as the admin role, for a server that needs it on every request (the
    console's own tables, its cross-tenant pages and the DLQ replay ledger)."""
    pool = await asyncpg.create_pool(settings.admin_database_url, min_size=min_size,
                                     max_size=max_size, command_timeout=30)
    stack.push_async_callback(pool.close)
    return pool


def open_redis(settings: Settings, stack: AsyncExitStack, *,
               timeout_s: float | None = WORKER_REDIS_TIMEOUT_S) -> aioredis.Redis:
    """The Redis client (connections open lazily); `timeout_s=None` waits as long as a
    command takes, for operator tools that pipeline large rebuilds."""
    client = aioredis.Redis.from_url(settings.redis_url, socket_timeout=timeout_s,
                                     socket_connect_timeout=timeout_s)
    stack.push_async_callback(client.aclose)
    return client


def open_claude(settings: Settings, stack: AsyncExitStack) -> ClaudeClient:
    """The Claude client (the official SDK per API key, with the per-tenant circuit breaker
    the settings describe); the responder and learning get theirs here."""
    client = ClaudeClient(BreakerRegistry(
        failure_threshold=int(settings.claude_breaker_failures),
        reset_after_s=float(settings.claude_breaker_reset_s)))
    stack.push_async_callback(client.aclose)
    return client


async def open_producer(settings: Settings, stack: AsyncExitStack, *,
                        client_id: str) -> AIOKafkaProducer:
    """A started bare producer (`runtime.kafka.make_producer`), for a command that sets each
    record's timestamp and headers itself (`leadmem dlq replay`); a broker that does not
    answer raises the client's KafkaError, one that refuses this client's credentials or TLS
    `KafkaAccessRefused`."""
    producer = make_producer(settings, client_id=client_id)
    stack.push_async_callback(producer.stop)  # also after a failed start: it closes what opened
    await start_client(producer, kafka_access(settings))
    return producer


class ProducerLink:
    """A bare producer for a worker that must run while the broker is away (the webhook
    receiver answers 429 meanwhile): it connects in the background, a new producer
    (`runtime.kafka.make_producer`) per attempt with a growing pause, and `current` is None
    until one is connected. Once connected, aiokafka reconnects by itself."""

    def __init__(self, settings: Settings, *, client_id: str, close_timeout_s: float) -> None:
        self.settings = settings
        self.client_id = client_id
        self.close_timeout_s = close_timeout_s
        self.current: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._connect(), name=f"{self.client_id}-connect")

    async def _connect(self) -> None:
        """Start a producer, retrying while the broker does not answer."""
        delay, warned = 0.2, False
        while True:
            producer = make_producer(self.settings, client_id=self.client_id)
            try:
                await producer.start()
            except asyncio.CancelledError:  # closed while connecting: close what opened
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            except KafkaError as exc:
                with contextlib.suppress(Exception):
                    await producer.stop()
                if not warned:
                    log.warning("%s: broker %s not answering (%r); connecting until it does",
                                self.client_id, self.settings.bootstrap, exc)
                    warned = True
                    if (refused := await refusal(kafka_access(self.settings))) is not None:
                        log.error("%s: %s", self.client_id, refused)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.current = producer
            log.info("%s: producer connected to %s", self.client_id, self.settings.bootstrap)
            return

    async def ping(self) -> bool:
        """The producer is connected and the broker answers a metadata request."""
        producer = self.current
        if producer is None:
            return False
        try:
            await producer.client.fetch_all_metadata()
        except KafkaError:
            return False
        return True

    async def close(self) -> None:
        """Stop connecting, then flush and close the producer within `close_timeout_s` (the
        broker away: what was not acknowledged by then is dropped)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        producer, self.current = self.current, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), self.close_timeout_s)
            except TimeoutError:
                log.warning("%s: producer did not close in time", self.client_id)


def connect_producer(settings: Settings, stack: AsyncExitStack, *, client_id: str,
                     close_timeout_s: float) -> ProducerLink:
    """A `ProducerLink`, connecting from now on (call it with the event loop running)."""
    link = ProducerLink(settings, client_id=client_id, close_timeout_s=close_timeout_s)
    link.start()
    stack.push_async_callback(link.close)
    return link
