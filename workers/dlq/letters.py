"""Reading `pipeline.dlq` back: every dead letter up to the topic's current end (or those at
given positions), one at a time, never the whole topic in memory; which of them were replayed
(the `dlq_replays` ledger, admin connection); the latest few and the counts per tenant."""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.events import DeadLetter
from schemas.topics import ALL_TOPICS, PIPELINE_DLQ
from workers.runtime.boundary import read_dead_letter
from workers.runtime.kafka import topic_partitions
from workers.runtime.kafka_access import Kafka, as_access, start_client
from workers.runtime.record import Record

log = logging.getLogger(__name__)

Letter = tuple[Record, DeadLetter]
Identity = tuple[str, str, int, int]
Position = tuple[int, int]


class DlqStalled(TimeoutError):
    """Reading `pipeline.dlq` made no progress within the timeout."""


def _log_skip(message: str) -> None:
    log.warning("%s", message)


def newest_ranges(begins: dict[TopicPartition, int], ends: dict[TopicPartition, int],
                  newest: int | None) -> dict[TopicPartition, tuple[int, int]]:
    """Each partition's offsets to read: all of them, or with `newest` only the latest
    records, shared evenly among the partitions (what one partition leaves unused goes to
    the others, so a tenant's letters, all in its partition, get the most of it)."""
    ranges = {tp: (begins[tp], ends[tp]) for tp in ends if begins[tp] < ends[tp]}
    if newest is None:
        return ranges
    left, out = max(0, newest), {}
    smallest_first = sorted(ranges.items(), key=lambda item: item[1][1] - item[1][0])
    for i, (tp, (start, end)) in enumerate(smallest_first):
        share = left // (len(ranges) - i)
        take = min(end - start, share)
        if take:
            out[tp] = (end - take, end)
        left -= take
    return out


def position_ranges(begins: dict[TopicPartition, int], ends: dict[TopicPartition, int],
                    only: set[Position]) -> dict[TopicPartition, tuple[int, int]]:
    """Each partition's offsets to read for the positions `only` (those still on the topic):
    from the first of them to the last."""
    ranges = {}
    for tp in ends:
        offsets = [o for p, o in only if p == tp.partition and begins[tp] <= o < ends[tp]]
        if offsets:
            ranges[tp] = (min(offsets), max(offsets) + 1)
    return ranges


async def iter_dlq(kafka: Kafka, only: set[Position] | None = None,
                   timeout_s: float = 60.0,
                   on_skip: Callable[[str], None] = _log_skip,
                   newest: int | None = None, sizes: dict[str, int] | None = None,
                   ) -> AsyncIterator[Letter]:
    """Every dead letter on `pipeline.dlq` up to its current end (or at the positions `only`,
    or among the `newest` records: `newest_ranges`), one at a time: the DLQ may be large, and
    no reader holds it in memory. Records whose `dlq-*` headers do not parse are reported to
    `on_skip` and left out. `sizes`, when given, gets the records on the topic (`on_topic`)
    and those this reads (`read`)."""
    access = as_access(kafka)
    consumer = AIOKafkaConsumer(**access.client_kwargs(), group_id=None,
                                enable_auto_commit=False, max_partition_fetch_bytes=1 << 20)
    try:
        await start_client(consumer, access)
        parts = await topic_partitions(access, [PIPELINE_DLQ])
        begins = await consumer.beginning_offsets(parts) if parts else {}
        ends = await consumer.end_offsets(parts)
        ranges = newest_ranges(begins, ends, newest) if only is None \
            else position_ranges(begins, ends, only)
        if sizes is not None:
            sizes["on_topic"] = sum(ends[tp] - begins[tp] for tp in parts)
            sizes["read"] = sum(end - start for start, end in ranges.values())
        if not ranges:
            return
        consumer.assign(list(ranges))
        for tp, (start, _) in ranges.items():
            consumer.seek(tp, start)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while any([await consumer.position(tp) < end for tp, (_, end) in ranges.items()]):
            if loop.time() > deadline:
                raise DlqStalled(f"timed out reading {PIPELINE_DLQ}")
            for tp, recs in (await consumer.getmany(timeout_ms=500, max_records=500)).items():
                deadline = loop.time() + timeout_s  # progress: the timeout is for a stall
                for r in recs:
                    if r.offset < ranges[tp][1] and (only is None
                                                     or (tp.partition, r.offset) in only):
                        record = Record.from_consumer(r)
                        try:
                            letter = read_dead_letter(record)
                        except ValueError as exc:
                            on_skip(f"skipping {tp.partition}:{r.offset}: not a dead letter "
                                    f"({exc})")
                            continue
                        yield record, letter
    finally:
        await consumer.stop()


async def read_dlq(kafka: Kafka, only: set[Position] | None = None,
                   timeout_s: float = 60.0,
                   on_skip: Callable[[str], None] = _log_skip) -> list[Letter]:
    """`iter_dlq` as a list: for a handful of positions (and tests), never the whole DLQ."""
    return [letter async for letter in iter_dlq(kafka, only, timeout_s, on_skip)]


def identity(letter: DeadLetter) -> Identity:
    """A dead letter is the failure it records: the worker on one source record."""
    return letter.worker, letter.source_topic, letter.partition, letter.offset


def replayable(letter: DeadLetter) -> bool:
    return letter.source_topic in ALL_TOPICS and letter.source_topic != PIPELINE_DLQ


async def replayed(conn: asyncpg.Connection) -> set[Identity]:
    """The identities of every dead letter replayed (the ledger; admin connection)."""
    rows = await conn.fetch("SELECT worker, source_topic, source_partition, source_offset "
                            "FROM dlq_replays")
    return {(r[0], r[1], r[2], r[3]) for r in rows}


@dataclass
class Listing:
    """The latest dead letters (of a tenant, or all), oldest first, with the totals of the
    records read: all of the topic, or its newest `read` of `on_topic` (`complete` False)."""

    total: int = 0
    replays: int = 0  # of `total`, how many were replayed
    shown: list[Letter] = field(default_factory=list)
    on_topic: int = 0  # records on the topic
    read: int = 0  # of them, how many were read (the newest)

    @property
    def complete(self) -> bool:
        return self.read >= self.on_topic


async def latest(kafka: Kafka, limit: int, done: set[Identity],
                 tenant: str | None = None,
                 on_skip: Callable[[str], None] = _log_skip,
                 newest: int | None = None) -> Listing:
    """The `limit` latest dead letters (of `tenant`), in one pass holding only those; among
    the `newest` records of the topic only, when given (a page that must answer at once)."""
    if limit < 1:
        raise ValueError("the limit must be at least 1")
    out = Listing()
    heap: list[tuple[str, int, int, Letter]] = []
    sizes: dict[str, int] = {}
    async for r, x in iter_dlq(kafka, on_skip=on_skip, newest=newest, sizes=sizes):
        if tenant and x.tenant_id != tenant:
            continue
        out.total += 1
        out.replays += identity(x) in done
        item = (x.dead_lettered_at.isoformat(), r.partition, r.offset, (r, x))
        if len(heap) < limit:
            heapq.heappush(heap, item)
        else:
            heapq.heappushpop(heap, item)
    out.shown = [letter for *_, letter in sorted(heap)]
    out.on_topic, out.read = sizes.get("on_topic", 0), sizes.get("read", 0)
    return out


async def waiting_by_tenant(kafka: Kafka, done: set[Identity]) -> Counter[str | None]:
    """Dead letters not replayed yet, per tenant (None: no tenant known)."""
    counts: Counter[str | None] = Counter()
    async for _, x in iter_dlq(kafka):
        if identity(x) not in done:
            counts[x.tenant_id] += 1
    return counts


def shown(record: Record, letter: DeadLetter, done: set[Identity]) -> dict[str, Any]:
    """One dead letter in full, as `leadmem dlq show` prints it: the value as text where it
    is (else only `value_b64`), and whether it was replayed."""
    out = letter.model_dump(mode="json")
    try:
        out["value"] = record.value.decode("utf-8")
    except UnicodeDecodeError:
        out["value"] = None  # not text: value_b64 carries it
    else:
        del out["value_b64"]
    out["replayed"] = identity(letter) in done
    return out
