"""Offsets committed on an interval, not after every batch (issue #29).

At the pace a deployment spends most of its life, a batch holds one record, so committing
after each batch made every record pay an OffsetCommit round trip of its own (and the broker
a write to `__consumer_offsets`). The host instead records what each batch *handled in full*
(every record handled or dead-lettered, every publish acknowledged) and commits that:

- `commit_interval_ms` after the oldest uncommitted record was handled, or at once when
  `commit_max_records` are waiting;
- for the partitions being revoked, before a rebalance hands them to another member;
- when the worker stops.

Only handled offsets are ever committed (never the consumer's position, which runs ahead of
a batch in progress), so a crash loses no record: what was handled after the last commit is
delivered again and every consumer's effects are idempotent per event (`processed_events`,
the replies' edges, the outbound claim). The cost of the interval is that redelivery after a
crash, at most an interval's worth of records per partition.

`Uncommitted` is the pure ledger; `OffsetCommitter` reads it and talks to the consumer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from prometheus_client import Counter

log = logging.getLogger(__name__)

Partition = tuple[str, int]

COMMITS = Counter(
    "leadmem_offset_commits_total",
    "Offset commits by why they were made (interval, records, revoke, stop) and outcome.",
    ["worker", "reason", "outcome"],
)


@dataclass
class Uncommitted:
    """What was handled in full since the last commit: the next offset to commit per
    partition, how many records that covers, and when the oldest of them was handled."""

    offsets: dict[Partition, int] = field(default_factory=dict)
    records: int = 0
    since: float | None = None

    def handled(self, positions: Iterable[tuple[str, int, int]], now: float) -> None:
        """A batch's `(topic, partition, offset)`s, all handled: each partition's next offset
        becomes the highest offset + 1 (it never moves back)."""
        count = 0
        for topic, partition, offset in positions:
            key = (topic, partition)
            if offset + 1 > self.offsets.get(key, -1):
                self.offsets[key] = offset + 1
            count += 1
        if count and self.since is None:
            self.since = now
        self.records += count

    def due(self, now: float, interval_s: float, max_records: int) -> bool:
        """Whether the interval ran out since the oldest uncommitted record, or the records
        waiting reached `max_records`."""
        if not self.offsets:
            return False
        if self.records >= max_records:
            return True
        return self.since is not None and now - self.since >= interval_s

    def take(self, only: Collection[Partition] | None = None) -> dict[Partition, int]:
        """Remove and return the offsets to commit (of `only` those partitions, if given)."""
        if only is None:
            taken, self.offsets = self.offsets, {}
        else:
            taken = {p: o for p, o in self.offsets.items() if p in only}
            for p in taken:
                del self.offsets[p]
        if not self.offsets:
            self.records, self.since = 0, None
        return taken

    def restore(self, offsets: dict[Partition, int], now: float) -> None:
        """Put back offsets whose commit failed, to be committed with the next ones (a
        newer offset handled meanwhile wins)."""
        for key, offset in offsets.items():
            if offset > self.offsets.get(key, -1):
                self.offsets[key] = offset
        if self.offsets and self.since is None:
            self.since = now

    def drop(self, partitions: Collection[Partition]) -> None:
        """Forget partitions this member no longer owns."""
        for p in partitions:
            self.offsets.pop(p, None)
        if not self.offsets:
            self.records, self.since = 0, None


class CommittingConsumer(Protocol):
    def assignment(self) -> set[TopicPartition]: ...

    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...


class OffsetCommitter:
    """Commits a worker's handled offsets on an interval, on a record count, before a
    rebalance takes partitions away, and at stop (see the module docstring)."""

    def __init__(self, worker: str, *, interval_s: float, max_records: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.worker = worker
        self.interval_s = interval_s
        self.max_records = max_records
        self._clock = clock
        self._pending = Uncommitted()
        self._consumer: CommittingConsumer | None = None
        self._lock = asyncio.Lock()
        self._waiting = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def pending(self) -> Uncommitted:
        return self._pending

    async def handled(self, consumer: CommittingConsumer,
                      positions: Iterable[tuple[str, int, int]]) -> None:
        """A batch handled in full by `consumer`: commit now if `max_records` are waiting,
        else within the interval."""
        self._consumer = consumer
        self._pending.handled(positions, self._clock())
        if self._stopping:  # a batch that ended while the worker stops: no timer any more
            await self.commit("stop")
        elif self._pending.records >= self.max_records:
            await self.commit("records")
        elif self._pending.offsets:
            self._waiting.set()
            self._ensure_timer()

    async def commit(self, reason: str, only: Collection[Partition] | None = None) -> None:
        """Commit what is handled (of `only` those partitions). A commit the group refuses
        because it moved on (a rebalance) is dropped: the partitions' new owner reads from
        the last commit, and handles those records again, idempotently. Any other failure
        keeps the offsets for the next commit."""
        async with self._lock:
            consumer = self._consumer
            if consumer is None:
                return
            offsets = self._pending.take(only)
            if not offsets:
                return
            owned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
            offsets = {p: o for p, o in offsets.items() if p in owned}
            if not offsets:
                return
            try:
                await consumer.commit({TopicPartition(t, p): o for (t, p), o in offsets.items()})
            except (CommitFailedError, IllegalStateError) as exc:
                COMMITS.labels(self.worker, reason, "group_moved_on").inc()
                log.info("%s: offsets not committed, the group moved on (%s): %r",
                         self.worker, reason, exc)
            except KafkaError as exc:
                self._pending.restore(offsets, self._clock())
                COMMITS.labels(self.worker, reason, "failed").inc()
                log.warning("%s: offset commit failed (%s), kept for the next: %r",
                            self.worker, reason, exc)
            else:
                COMMITS.labels(self.worker, reason, "ok").inc()
            if not self._pending.offsets:
                self._waiting.clear()

    def listener(self) -> ConsumerRebalanceListener:
        """The rebalance listener that commits the handled offsets of revoked partitions
        before another member takes them over."""
        return _CommitOnRevoke(self)

    async def stop(self) -> None:
        """Stop the interval timer and commit what is handled (and, from now on, what each
        batch still finishing handles)."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.commit("stop")

    def _ensure_timer(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"{self.worker}-offset-commits")

    async def _run(self) -> None:
        while True:
            await self._waiting.wait()
            since = self._pending.since
            if since is not None:
                delay = since + self.interval_s - self._clock()
                if delay > 0:
                    await asyncio.sleep(delay)
            if self._pending.due(self._clock(), self.interval_s, self.max_records):
                await self.commit("interval")
            elif not self._pending.offsets:
                self._waiting.clear()


class _CommitOnRevoke(ConsumerRebalanceListener):
    def __init__(self, committer: OffsetCommitter) -> None:
        self._committer = committer

    async def on_partitions_revoked(self, revoked: Collection[Any]) -> None:
        parts = {(tp.topic, tp.partition) for tp in revoked}
        if parts:
            await self._committer.commit("revoke", only=parts)
            self._committer.pending.drop(parts)

    async def on_partitions_assigned(self, assigned: Collection[Any]) -> None:
        return None
