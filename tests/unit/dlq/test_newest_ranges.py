"""Which offsets a read of the DLQ takes: the newest records, shared evenly among the
partitions, what a small partition leaves going to the others; or given positions."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from workers.dlq.letters import newest_ranges, position_ranges


def tp(p: int) -> TopicPartition:
    return TopicPartition("pipeline.dlq", p)


@pytest.mark.parametrize(("begins", "ends", "newest", "expected"), [
    # everything, when no bound is given; empty partitions are left out
    ([0, 5, 7], [10, 5, 9], None, {0: (0, 10), 2: (7, 9)}),
    # an even share of the newest records
    ([0, 0, 0], [100, 100, 100], 30, {0: (90, 100), 1: (90, 100), 2: (90, 100)}),
    # a small partition's unused share goes to the others
    ([0, 0, 0], [2, 100, 100], 30, {0: (0, 2), 1: (86, 100), 2: (86, 100)}),
    # the bound exceeds the topic: all of it
    ([3, 0], [10, 4], 1000, {0: (3, 10), 1: (0, 4)}),
    # a bound smaller than the partitions: the largest get it
    ([0, 0, 0], [5, 50, 20], 1, {1: (49, 50)}),
    ([0, 0], [5, 5], 0, {}),
])
def test_newest_ranges(begins: list[int], ends: list[int], newest: int | None,
                       expected: dict[int, tuple[int, int]]) -> None:
    got = newest_ranges({tp(p): b for p, b in enumerate(begins)},
                        {tp(p): e for p, e in enumerate(ends)}, newest)
    assert {k.partition: v for k, v in got.items()} == expected
    if newest is not None:
        assert sum(end - start for start, end in got.values()) <= newest


@pytest.mark.parametrize(("only", "expected"), [
    ({(0, 3), (0, 7), (2, 8)}, {0: (3, 8), 2: (8, 9)}),
    ({(0, 10), (1, 2)}, {}),  # past partition 0's end; partition 1 empty
    ({(2, 6)}, {}),  # before partition 2's beginning (retention took it)
])
def test_position_ranges(only: set[tuple[int, int]], expected: dict[int, tuple[int, int]]
                         ) -> None:
    got = position_ranges({tp(0): 0, tp(1): 5, tp(2): 7}, {tp(0): 10, tp(1): 5, tp(2): 9}, only)
    assert {k.partition: v for k, v in got.items()} == expected
