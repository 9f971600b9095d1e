"""Kafka side of the pipeline benchmark: feeding `ghl.events`, knowing when the pipeline is
drained, and when its last effect happened.

Drained means every worker group has committed up to the end of every topic it reads, two
probes in a row. Committed offsets are read before end offsets: a worker publishes (and waits
for the acks) before it commits, so whatever an upstream commit caused is already counted in
the end offsets read afterwards, and a zero can never hide work in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from devtools import signing
from devtools.bench.pipeline_events import Planned, Renderer, Sent
from schemas.topics import GHL_EVENTS
from workers.registry import load_spec
from workers.runtime.kafka import topic_partitions
from workers.runtime.kafka_access import KafkaAccess

# Topics whose records are effects of a GHL event (the pipeline's outputs and hand-offs).
EFFECT_TOPICS = ("memory.updated", "lead.profile.updated", "replies.outbound",
                 "replies.delivered", "agent.assist")


def producer(kafka: KafkaAccess) -> AIOKafkaProducer:
    """Producer settings as the workers' (acks=all, short linger)."""
    return AIOKafkaProducer(**kafka.client_kwargs(), acks="all", linger_ms=2,
                            max_request_size=16 * 1024 * 1024)


async def feed(kafka: KafkaAccess, planned: Sequence[Planned], renderer: Renderer,
               rate: float | None = None) -> list[Sent]:
    """Produce every planned delivery, as fast as possible or paced at `rate` per second,
    signed as GHL signs it (`devtools.signing`, whose public key the workers are given).
    Each record's timestamp is its send time (what ingestion takes as 'webhook received')."""
    prod = producer(kafka)
    await prod.start()
    sent: list[Sent] = []
    futures = []
    try:
        start = time.monotonic()
        for i, p in enumerate(planned):
            if rate is not None:
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            s = renderer.render(p)
            s.sent_ms = int(time.time() * 1000)
            signed = [(k, v.encode()) for k, v in signing.signed(s.value).items()]
            futures.append(await prod.send(GHL_EVENTS, s.value, key=p.tenant.encode(),
                                           timestamp_ms=s.sent_ms, headers=signed))
            sent.append(s)
        await asyncio.gather(*futures)
    finally:
        await prod.stop()
    return sent


class LagProbe:
    """Consumer lag of every pipeline group, and end offsets of any topic."""

    def __init__(self, kafka: KafkaAccess, prefix: str, workers: Sequence[str]) -> None:
        self.kafka = kafka
        self.groups = {f"{prefix}.{w}": load_spec(w).topics for w in workers}
        self._consumers: dict[str, AIOKafkaConsumer] = {}
        self._ends: AIOKafkaConsumer | None = None
        self._partitions: dict[str, list[TopicPartition]] = {}  # topics do not change

    async def start(self) -> None:
        for group in self.groups:
            c = AIOKafkaConsumer(**self.kafka.client_kwargs(), group_id=group,
                                 enable_auto_commit=False)
            await c.start()
            self._consumers[group] = c
        self._ends = AIOKafkaConsumer(**self.kafka.client_kwargs())
        await self._ends.start()

    async def stop(self) -> None:
        for c in [*self._consumers.values(), self._ends]:
            if c is not None:
                await c.stop()

    async def partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        missing = [t for t in topics if t not in self._partitions]
        for tp in await topic_partitions(self.kafka, missing):
            self._partitions.setdefault(tp.topic, []).append(tp)
        return [tp for t in topics for tp in self._partitions.get(t, [])]

    async def end_offsets(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        """From one long-lived client: the probe runs every quarter second while the
        pipeline drains, and a new client per probe cost the broker a connection each."""
        assert self._ends is not None
        parts = await self.partitions(topics)
        ends: dict[TopicPartition, int] = await self._ends.end_offsets(parts) if parts else {}
        return ends

    async def lag(self) -> int:
        committed: dict[TopicPartition, int] = {}
        for group, topics in self.groups.items():
            c = self._consumers[group]
            for tp in await self.partitions(topics):
                committed[TopicPartition(f"{group}|{tp.topic}", tp.partition)] = \
                    await c.committed(tp) or 0
        ends = await self.end_offsets(sorted({t for ts in self.groups.values() for t in ts}))
        total = 0
        for key, done in committed.items():
            total += max(0, ends[TopicPartition(key.topic.split("|", 1)[1], key.partition)]
                         - done)
        return total

    async def drained(self, timeout_s: float, tick: Callable[[], None] = lambda: None,
                      interval_s: float = 0.25) -> None:
        """Wait until all groups have no lag on two probes in a row."""
        deadline = time.monotonic() + timeout_s
        zeros = 0
        while zeros < 2:
            tick()
            if time.monotonic() > deadline:
                raise TimeoutError("the pipeline did not drain in time")
            zeros = zeros + 1 if await self.lag() == 0 else 0
            await asyncio.sleep(interval_s)


async def last_effect_ms(probe: LagProbe, since: dict[TopicPartition, int]) -> int:
    """Timestamp of the newest effect record produced after the `since` end offsets."""
    ends = await probe.end_offsets(EFFECT_TOPICS)
    wanted = {tp: end for tp, end in ends.items() if end > since.get(tp, 0)}
    if not wanted:
        return 0
    c = AIOKafkaConsumer(**probe.kafka.client_kwargs(), enable_auto_commit=False)
    await c.start()
    newest = 0
    try:
        c.assign(list(wanted))
        for tp, end in wanted.items():
            c.seek(tp, end - 1)
        left = set(wanted)
        deadline = time.monotonic() + 30
        while left and time.monotonic() < deadline:
            for tp, recs in (await c.getmany(timeout_ms=500)).items():
                for r in recs:
                    if r.offset >= wanted[tp] - 1:
                        newest = max(newest, r.timestamp)
                        left.discard(tp)
    finally:
        await c.stop()
    return newest
