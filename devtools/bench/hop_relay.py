"""The cheapest hop there can be, run as its own process for `leadmem bench hop`.

It consumes one topic and publishes each record unchanged to another, in one of three ways:

- `aiokafka`: the Kafka client alone (`getmany`, `send`, wait for the acks, commit the
  handled offsets once a second): what any Python consumer on this client pays;
- `confluent`: the same loop on librdkafka (`confluent-kafka`, a C client with its own
  threads): what the client's share could be;
- `fs-confluent`: FastStream's broker over librdkafka (`faststream.confluent`), a batch
  subscriber that republishes (librdkafka commits the consumed offsets once a second): what
  of librdkafka's share is left under the framework;
- `host`: our worker runtime (`WorkerHost`: FastStream's batch subscriber, the dead-letter
  boundary, tenant groups, the publisher's flush, offsets on an interval) with a handler that
  only republishes: what every worker of the pipeline pays before its own work;
- `host-pg`: the same plus one tenant transaction per record as the workers open it
  (`BEGIN` with the tenant setting, one idempotency-ledger `INSERT`, `COMMIT`).

Configured by the `LEADMEM_*` environment (the workers' settings) and `HOP_IN`, `HOP_OUT`,
`HOP_GROUP`: `python -m devtools.bench.hop_relay MODE`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from workers.runtime.boundary import Handler
from workers.runtime.host import Resources, WorkerSpec, run_worker
from workers.runtime.kafka import producer_settings
from workers.runtime.kafka_access import kafka_access
from workers.runtime.record import Record
from workers.settings import Settings

MODES = ("aiokafka", "confluent", "fs-confluent", "host", "host-pg")
LEDGER = ("INSERT INTO processed_events (tenant_id, consumer, event_id) VALUES ($1, 'hop', $2) "
          "ON CONFLICT DO NOTHING")


def spec(mode: str, source: str, target: str) -> WorkerSpec:
    """The relay as a worker of our runtime: republish, after a ledger write with `host-pg`."""

    def build(res: Resources) -> Handler:
        db = res.database if mode == "host-pg" else None

        async def relay(record: Record) -> None:
            tenant = (record.key or b"").decode()
            if db is not None:
                async with db.transaction(tenant) as conn:
                    await conn.execute(LEDGER, tenant, f"{record.partition}:{record.offset}")
            await res.publisher.publish_raw(target, record.value, key=record.key,
                                            headers=record.headers)

        return relay

    return WorkerSpec(name="hop", topics=(source,), build=build,
                      needs_db=mode == "host-pg", needs_redis=False)


async def plain(settings: Settings, source: str, target: str, group: str) -> None:
    """The relay on aiokafka alone, with the workers' poll, fetch and producer settings."""
    access = kafka_access(settings)
    consumer = AIOKafkaConsumer(
        source, **access.client_kwargs(), group_id=group, enable_auto_commit=False,
        auto_offset_reset="earliest", fetch_max_wait_ms=settings.fetch_max_wait_ms,
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms)
    producer = AIOKafkaProducer(**access.client_kwargs(), **producer_settings(settings))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await consumer.start()
    await producer.start()
    handled: dict[TopicPartition, int] = {}
    committed_at = time.monotonic()
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=settings.batch_timeout_ms,
                                             max_records=settings.batch_max_records)
            sends = [await producer.send(target, r.value, key=r.key, headers=r.headers)
                     for records in batches.values() for r in records]
            await asyncio.gather(*sends)
            for tp, records in batches.items():
                handled[tp] = records[-1].offset + 1
            if handled and time.monotonic() - committed_at >= settings.commit_interval_ms / 1e3:
                await consumer.commit(handled)
                handled, committed_at = {}, time.monotonic()
    finally:
        if handled:
            await consumer.commit(handled)
        await producer.stop()
        await consumer.stop()


def librdkafka(settings: Settings, source: str, target: str, group: str) -> None:
    """The relay on librdkafka, with the workers' poll, fetch, producer and commit settings
    (plaintext: the bench's own broker)."""
    from confluent_kafka import Consumer, Producer

    bootstrap = settings.kafka_bootstrap or ""
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "fetch.wait.max.ms": settings.fetch_max_wait_ms,
        "session.timeout.ms": settings.session_timeout_ms,
        "heartbeat.interval.ms": settings.heartbeat_interval_ms})
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                         "acks": "all", "linger.ms": settings.producer_linger_ms})
    stopping: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _: stopping.append(signum))
    consumer.subscribe([source])
    pending, committed_at = False, time.monotonic()
    try:
        while not stopping:
            # `consume` waits until it has num_messages or the timeout ran out: a record
            # arriving alone would wait the timeout out. So wait for the first, then take
            # what else has arrived (as the workers' `return_on_arrival` does).
            first = consumer.poll(settings.batch_timeout_ms / 1000)
            records = [] if first is None else [first, *consumer.consume(
                num_messages=settings.batch_max_records - 1, timeout=0)]
            for r in records:
                if r.error() is None:
                    producer.produce(target, r.value(), key=r.key(), headers=r.headers())
            if records:
                producer.flush()  # every publish acknowledged before its offset counts
                pending = True
            if pending and time.monotonic() - committed_at >= settings.commit_interval_ms / 1e3:
                consumer.commit(asynchronous=False)
                pending, committed_at = False, time.monotonic()
    finally:
        if pending:
            consumer.commit(asynchronous=False)
        consumer.close()


async def faststream_librdkafka(settings: Settings, source: str, target: str, group: str
                               ) -> None:
    """The relay as a FastStream application on `faststream.confluent`. One record per
    poll: librdkafka's `consume` waits for a full batch or its timeout, so a batch of more
    would hold a lone record (at 20 records/s a poll finds one anyway)."""
    from faststream import FastStream
    from faststream.confluent import KafkaBroker as ConfluentBroker

    logger = logging.getLogger("faststream.hop")
    logger.setLevel(logging.WARNING)  # as the workers' `make_broker` sets it
    broker = ConfluentBroker(settings.kafka_bootstrap or "", logger=logger,
                             enable_idempotence=True, acks="all",
                             linger_ms=settings.producer_linger_ms)

    @broker.subscriber(source, group_id=group, batch=True, max_records=1,
                       auto_offset_reset="earliest",
                       auto_commit_interval_ms=settings.commit_interval_ms,
                       session_timeout_ms=settings.session_timeout_ms,
                       heartbeat_interval_ms=settings.heartbeat_interval_ms)
    async def relay(body: object) -> None:
        raw = broker.context.get_local("message").raw_message  # records carry no headers
        for r in raw if isinstance(raw, tuple) else (raw,):
            await broker.publish(r.value(), target, key=r.key())

    await FastStream(broker).run()


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MODES:
        print(f"usage: python -m devtools.bench.hop_relay {{{','.join(MODES)}}}",
              file=sys.stderr)
        return 2
    mode = argv[0]
    source, target, group = os.environ["HOP_IN"], os.environ["HOP_OUT"], os.environ["HOP_GROUP"]
    settings = Settings()
    if mode == "aiokafka":
        asyncio.run(plain(settings, source, target, group))
    elif mode == "confluent":
        librdkafka(settings, source, target, group)
    elif mode == "fs-confluent":
        asyncio.run(faststream_librdkafka(settings, source, target, group))
    else:
        settings = settings.model_copy(update={"consumer_group_prefix": group})
        asyncio.run(run_worker(spec(mode, source, target), settings))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
