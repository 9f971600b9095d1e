"""Offsets committed on an interval (runtime/offsets.py): the ledger as a table, the
committer against a consumer that records what it was asked to commit."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError

from workers.runtime.offsets import OffsetCommitter, Uncommitted

A0, A1, B0 = ("a", 0), ("a", 1), ("b", 0)


@pytest.mark.parametrize(
    ("batches", "offsets", "records"),
    [
        ([[("a", 0, 5)]], {A0: 6}, 1),
        ([[("a", 0, 5), ("a", 0, 6), ("a", 1, 0)]], {A0: 7, A1: 1}, 3),
        # a later batch moves a partition on; records add up
        ([[("a", 0, 5)], [("a", 0, 9), ("b", 0, 2)]], {A0: 10, B0: 3}, 3),
        # a redelivered (older) record never moves a partition back
        ([[("a", 0, 9)], [("a", 0, 4)]], {A0: 10}, 2),
        ([[]], {}, 0),
    ],
)
def test_handled_keeps_the_next_offset_of_each_partition(
    batches: list[list[tuple[str, int, int]]], offsets: dict[tuple[str, int], int], records: int,
) -> None:
    ledger = Uncommitted()
    for i, batch in enumerate(batches):
        ledger.handled(batch, now=float(i))
    assert ledger.offsets == offsets
    assert ledger.records == records
    assert ledger.since == (0.0 if records else None)


@pytest.mark.parametrize(
    ("records", "handled_at", "now", "due"),
    [
        (0, None, 100.0, False),   # nothing handled: never due
        (1, 0.0, 0.5, False),      # inside the interval
        (1, 0.0, 1.0, True),       # the interval ran out
        (5, 0.0, 0.1, True),       # max_records waiting
        (4, 0.0, 0.9, False),
    ],
)
def test_due_on_interval_or_record_count(records: int, handled_at: float | None, now: float,
                                         due: bool) -> None:
    ledger = Uncommitted()
    if handled_at is not None:
        ledger.handled([("a", 0, i) for i in range(records)], now=handled_at)
    assert ledger.due(now, interval_s=1.0, max_records=5) is due


def test_take_restore_and_drop() -> None:
    ledger = Uncommitted()
    ledger.handled([("a", 0, 1), ("a", 1, 1), ("b", 0, 1)], now=0.0)
    assert ledger.take(only={A1}) == {A1: 2}
    assert ledger.offsets == {A0: 2, B0: 2}
    taken = ledger.take()
    assert taken == {A0: 2, B0: 2}
    assert (ledger.offsets, ledger.records, ledger.since) == ({}, 0, None)
    ledger.handled([("a", 0, 7)], now=3.0)
    ledger.restore(taken, now=4.0)  # the failed commit comes back; the newer offset wins
    assert ledger.offsets == {A0: 8, B0: 2}
    assert ledger.since == 3.0
    ledger.drop({A0, B0})
    assert (ledger.offsets, ledger.records, ledger.since) == ({}, 0, None)


class Consumer:
    def __init__(self, assigned: set[tuple[str, int]], fail: list[Exception] | None = None
                 ) -> None:
        self.assigned = {TopicPartition(t, p) for t, p in assigned}
        self.commits: list[dict[tuple[str, int], int]] = []
        self.fail = fail or []

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.fail:
            raise self.fail.pop(0)
        self.commits.append({(tp.topic, tp.partition): o for tp, o in offsets.items()})


async def test_a_lone_record_is_committed_once_the_interval_ran_out() -> None:
    consumer = Consumer({A0})
    committer = OffsetCommitter("w", interval_s=0.05, max_records=100)
    await committer.handled(consumer, [("a", 0, 3)])
    await committer.handled(consumer, [("a", 0, 4)])
    assert consumer.commits == []  # no round trip per batch
    for _ in range(100):
        if consumer.commits:
            break
        await asyncio.sleep(0.01)
    assert consumer.commits == [{A0: 5}]  # both batches in one commit
    await committer.stop()
    assert consumer.commits == [{A0: 5}]  # nothing left to commit at stop


async def test_max_records_commit_at_once_and_stop_commits_the_rest() -> None:
    consumer = Consumer({A0, B0})
    committer = OffsetCommitter("w", interval_s=3600, max_records=3)
    await committer.handled(consumer, [("a", 0, 0), ("a", 0, 1), ("b", 0, 0)])
    assert consumer.commits == [{A0: 2, B0: 1}]
    await committer.handled(consumer, [("b", 0, 1)])
    await committer.stop()
    assert consumer.commits[-1] == {B0: 2}
    # a batch finishing while the worker stops is committed at once
    await committer.handled(consumer, [("a", 0, 2)])
    assert consumer.commits[-1] == {A0: 3}


async def test_a_revoke_commits_those_partitions_and_forgets_them() -> None:
    consumer = Consumer({A0, A1})
    committer = OffsetCommitter("w", interval_s=3600, max_records=100)
    await committer.handled(consumer, [("a", 0, 4), ("a", 1, 9)])
    await committer.listener().on_partitions_revoked({TopicPartition("a", 1)})
    assert consumer.commits == [{A1: 10}]
    assert committer.pending.offsets == {A0: 5}
    await committer.stop()
    assert consumer.commits[-1] == {A0: 5}


async def test_partitions_no_longer_owned_are_not_committed() -> None:
    consumer = Consumer({A0})
    committer = OffsetCommitter("w", interval_s=3600, max_records=100)
    await committer.handled(consumer, [("a", 0, 1), ("a", 1, 1)])  # a:1 went to another member
    await committer.stop()
    assert consumer.commits == [{A0: 2}]


async def test_a_refused_commit_is_dropped_and_a_failed_one_kept() -> None:
    consumer = Consumer({A0}, fail=[CommitFailedError("rebalanced"),
                                    KafkaConnectionError("broker away")])
    committer = OffsetCommitter("w", interval_s=3600, max_records=1)
    await committer.handled(consumer, [("a", 0, 1)])  # the group moved on: dropped
    assert committer.pending.offsets == {}
    await committer.handled(consumer, [("a", 0, 2)])  # the broker away: kept
    assert committer.pending.offsets == {A0: 3}
    await committer.handled(consumer, [("a", 0, 3)])
    assert consumer.commits == [{A0: 4}]
    await committer.stop()
