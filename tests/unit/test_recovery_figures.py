"""The cluster fault run's figures, read off samples of a consumer group
(`tests/reliability/recovery.py`), as tables."""

from __future__ import annotations

import pytest

from tests.reliability.recovery import (
    Recovery,
    Sample,
    longest_stall,
    longest_wait,
    resumed_after,
    settled_after,
)


def sample(at: float, offsets: dict[str, tuple[int, int]], state: str = "Stable",
           members: int = 2) -> Sample:
    return Sample(at, state, members, offsets)


# Two partitions: t:0 keeps moving (the surviving replica's), t:1 is stuck from 9 s (the
# killed replica's) until the group has rebalanced (16 s) and the survivor commits it (17 s);
# the killed replica rejoins by 30 s.
KILL = [
    sample(9.0, {"t:0": (5, 6), "t:1": (5, 6)}),
    sample(10.5, {"t:0": (6, 8), "t:1": (5, 7)}),
    sample(12.0, {"t:0": (8, 9), "t:1": (5, 8)}, "PreparingRebalance", 2),
    sample(16.0, {"t:0": (9, 9), "t:1": (5, 9)}, "Stable", 1),
    sample(17.0, {"t:0": (9, 10), "t:1": (9, 9)}, "Stable", 1),
    sample(18.0, {"t:0": (10, 10), "t:1": (9, 9)}, "Stable", 1),
    sample(30.0, {"t:0": (10, 10), "t:1": (9, 9)}, "Stable", 2),
]


@pytest.mark.parametrize(("fault", "members", "settled"), [
    (10.0, 1, 6.0),  # Stable with one member from 16 s
    (10.0, 2, 0.5),  # the first Stable sample with two members after the fault
    (20.0, 2, 10.0),  # rejoined
    (20.0, 3, None),  # never three members
    (40.0, 1, None),  # no sample after the fault
])
def test_a_group_settles_when_stable_with_its_members(
        fault: float, members: int, settled: float | None) -> None:
    assert settled_after(KILL, fault, members) == settled


@pytest.mark.parametrize(("fault", "horizon", "expected"), [
    # both partitions waiting before the group settled; t:1 moves at 17 s
    (10.0, 6.0, Recovery(7.0, 2, 2, 4)),
    # the first sample after the fault counts even with no horizon
    (10.0, 0.0, Recovery(7.0, 2, 2, 4)),
    # after 16.5 s only t:0 has a record waiting, committed by 18 s
    (16.5, 0.0, Recovery(1.5, 1, 2, 1)),
    # nothing waiting after the drain
    (20.0, 5.0, Recovery(10.0, 0, 2, 0)),
    (40.0, 5.0, Recovery(None, 0, 0, 0)),
])
def test_a_group_resumes_when_every_waiting_partition_moved(
        fault: float, horizon: float, expected: Recovery) -> None:
    assert resumed_after(KILL, fault, horizon) == expected


def test_a_partition_that_never_moves_never_resumes() -> None:
    stuck = [sample(1.0, {"t:0": (0, 3)}), sample(2.0, {"t:0": (0, 4)})]
    assert resumed_after(stuck, 0.5, 1.0) == Recovery(None, 1, 1, 4)
    assert str(resumed_after(stuck, 0.5, 1.0)) == ("not within the run (1/1 partitions "
                                                    "waiting, peak lag 4)")
    assert str(resumed_after(KILL, 20.0, 5.0)) == "nothing waiting (0/2 partitions)"
    assert str(Recovery(7.0, 2, 2, 4)) == "7.0 s (2/2 partitions waiting, peak lag 4)"


@pytest.mark.parametrize(("start", "end", "stall"), [
    (0.0, 100.0, 8.0),  # t:1 waited from 9 s until 17 s
    (9.5, 100.0, 4.0),  # of the waits that began from 9.5 s, t:0's from 12 s to 16 s
    (17.5, 100.0, None),  # no wait began after 17 s
    (0.0, 9.0, None),  # [start, end) leaves out a wait that began at 9 s
])
def test_the_longest_stall_is_the_longest_wait_for_a_commit(
        start: float, end: float, stall: float | None) -> None:
    assert longest_stall(KILL, start, end) == stall


def test_a_stall_still_open_counts_until_the_last_sample() -> None:
    assert longest_stall([sample(1.0, {"t:0": (0, 1)}), sample(4.0, {"t:0": (0, 2)})],
                         0.0, 10.0) == 3.0
    assert longest_stall([], 0.0, 10.0) is None


@pytest.mark.parametrize(("start", "end", "wait"), [
    (0.0, 100.0, 3.0),
    (0.0, 10.0, 0.5),
    (10.0, 20.0, 3.0),
    (20.0, 30.0, None),
])
def test_the_longest_ack_wait_of_records_sent_in_a_span(
        start: float, end: float, wait: float | None) -> None:
    acks = [(1.0, 1.5), (5.0, 5.25), (10.0, 13.0), (11.0, 12.0)]
    assert longest_wait(acks, start, end) == wait
