"""How long the pipeline took to consume (and accept webhooks) again after each fault of the
cluster run: figures for its report, never asserted (timings are the benchmarks' business).

`GroupSampler` reads, a few times a second while the run goes on, each worker group's state
and members as its coordinator sees them, its committed offsets and its partitions' end
offsets. Read off those samples:

- `settled_after`: how long after a fault the group was `Stable` again with the members it
  should have (a killed replica's group waits for its session to expire, then rebalances);
- `resumed_after`: how long after a fault the group had consumed again: every partition that
  had records waiting before the group settled has committed past where it was waiting
  (those of the killed replica are taken over by the other);
- `longest_stall`: the longest any partition with records waiting went without a commit, for
  waits that began in a span (a killed broker's partitions wait for new leaders, and a group
  whose coordinator it was for a new coordinator);
- `longest_wait`: the producer's side, the longest a record sent in a span waited for its
  acknowledgement.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from workers.runtime.kafka import topic_partitions

SAMPLE_EVERY_S = 0.25
POLL_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Sample:
    at: float  # wall time the read began
    state: str  # the group's state at its coordinator: Stable, PreparingRebalance, ...
    members: int
    offsets: dict[str, tuple[int, int]]  # "topic:partition" -> (committed, end)


@dataclass(frozen=True)
class Recovery:
    seconds: float | None  # from the fault until every waiting partition moved; None: never
    waiting: int  # partitions with records waiting before the group settled
    partitions: int
    peak_lag: int  # the group's highest lag from the fault until it had recovered

    def __str__(self) -> str:
        if not self.partitions:
            return "no sample after the fault"
        if not self.waiting:
            return f"nothing waiting (0/{self.partitions} partitions)"
        took = "not within the run" if self.seconds is None else f"{self.seconds:.1f} s"
        return (f"{took} ({self.waiting}/{self.partitions} partitions waiting, "
                f"peak lag {self.peak_lag})")


def settled_after(samples: Sequence[Sample], fault_at: float, members: int) -> float | None:
    """Seconds from the fault until the group was Stable with `members` members (None: not
    within the samples)."""
    return next((s.at - fault_at for s in samples
                 if s.at >= fault_at and s.state == "Stable" and s.members == members), None)


def resumed_after(samples: Sequence[Sample], fault_at: float, horizon_s: float) -> Recovery:
    """When every partition that had records waiting in the `horizon_s` after the fault had
    committed past the offset it was waiting at (see the module)."""
    after = [s for s in samples if s.at >= fault_at]
    if not after:
        return Recovery(None, 0, 0, 0)
    waiting: dict[str, int] = {}
    for i, s in enumerate(after):
        if i and s.at > fault_at + horizon_s:  # the first sample after the fault counts
            break
        for p, (committed, end) in s.offsets.items():
            if end > committed:
                waiting.setdefault(p, committed)
    partitions = len(after[0].offsets)
    peak = 0
    for s in after:
        peak = max(peak, sum(max(0, end - committed) for committed, end in s.offsets.values()))
        if all(s.offsets.get(p, (c, c))[0] > c for p, c in waiting.items()):
            return Recovery(s.at - fault_at, len(waiting), partitions, peak)
    return Recovery(None, len(waiting), partitions, peak)


def longest_stall(samples: Sequence[Sample], start: float, end: float) -> float | None:
    """The longest a partition with records waiting went without its group committing, over
    the waits that began in [start, end) (one still open at the last sample counts until
    then); None when no wait began then."""
    began: dict[str, tuple[float, int]] = {}  # partition -> (wait began, committed then)
    longest: float | None = None

    def close(at: float, since: float) -> None:
        nonlocal longest
        if start <= since < end:
            longest = max(longest or 0.0, at - since)

    for s in samples:
        for p, (committed, last) in s.offsets.items():
            if p in began and committed > began[p][1]:
                close(s.at, began.pop(p)[0])
            if last > committed and p not in began:
                began[p] = (s.at, committed)
    if samples:
        for since, _ in began.values():
            close(samples[-1].at, since)
    return longest


def longest_wait(acks: Sequence[tuple[float, float]], start: float, end: float) -> float | None:
    """The longest acknowledgement wait of a record sent in [start, end): (sent, acked) wall
    times; None when none was sent then."""
    waits = [acked - sent for sent, acked in acks if start <= sent < end]
    return max(waits) if waits else None


@dataclass
class GroupSampler:
    """Samples of each group (`groups`: worker -> (group id, topics)) until closed; a group
    whose read failed (its coordinator or a partition's leader just died) has no sample of
    that round."""

    bootstrap: str
    groups: dict[str, tuple[str, tuple[str, ...]]]
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    failed_reads: int = 0
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> GroupSampler:
        self.samples = {name: [] for name in self.groups}
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        parts = {name: await topic_partitions(self.bootstrap, topics)
                 for name, (_, topics) in self.groups.items()}
        every = sorted({tp for ps in parts.values() for tp in ps})
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap,
                                    request_timeout_ms=int(POLL_TIMEOUT_S * 1000))
        ends_reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                       enable_auto_commit=False,
                                       request_timeout_ms=int(POLL_TIMEOUT_S * 1000))
        await admin.start()
        await ends_reader.start()
        try:
            while True:
                at = time.time()
                try:
                    ends = await asyncio.wait_for(ends_reader.end_offsets(every),
                                                 POLL_TIMEOUT_S)
                except (KafkaError, TimeoutError):
                    self.failed_reads += 1
                else:
                    await asyncio.gather(*(self._sample(admin, name, at, parts[name], ends)
                                           for name in self.groups))
                await asyncio.sleep(max(0.0, at + SAMPLE_EVERY_S - time.time()))
        finally:
            await ends_reader.stop()
            await admin.close()

    async def _sample(self, admin: AIOKafkaAdminClient, name: str, at: float,
                      parts: list[TopicPartition], ends: dict[TopicPartition, int]) -> None:
        group_id, _ = self.groups[name]
        try:
            described, committed = await asyncio.wait_for(asyncio.gather(
                admin.describe_consumer_groups([group_id]),
                admin.list_consumer_group_offsets(group_id, partitions=parts)), POLL_TIMEOUT_S)
        except (KafkaError, TimeoutError):
            self.failed_reads += 1
            return
        group = described[0].to_object()["groups"][0]
        if group["error_code"]:
            self.failed_reads += 1
            return
        self.samples[name].append(Sample(at, group["state"], len(group["members"]), {
            f"{tp.topic}:{tp.partition}": (max(0, committed[tp].offset) if tp in committed
                                           else 0, ends[tp])
            for tp in parts}))
