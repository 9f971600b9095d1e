"""What an event cost the pipeline's processes, from two /proc snapshots (pure)."""

from __future__ import annotations

import pytest

from devtools.bench.machine_cpu import CpuSnapshot, cpu_ms_per_event, pipeline_cpu_s, usage

BEFORE = CpuSnapshot({}, 100.0, 200.0, {
    1: ("memory#0", 1.0), 2: ("broker", 10.0), 3: ("postgres", 4.0), 4: ("postgres", 1.0),
    5: ("redis", 0.5), 6: ("bench", 3.0), 7: ("other", 40.0), 8: ("postgres", 30.0)})
AFTER = CpuSnapshot({}, 120.0, 240.0, {
    1: ("memory#0", 1.5), 2: ("broker", 10.7), 3: ("postgres", 4.5), 4: ("postgres", 1.1),
    5: ("redis", 0.7), 6: ("bench", 9.0), 7: ("other", 90.0), 9: ("postgres", 0.3)})


def test_only_the_pipelines_processes_count_process_by_process() -> None:
    # workers 0.5 + broker 0.7 + postgres 0.5 + 0.1 + a backend started meanwhile 0.3 +
    # redis 0.2; not the bench or the rest of the machine; a backend that ended meanwhile
    # (pid 8, 30 s) takes nothing away from its kind
    assert pipeline_cpu_s(BEFORE, AFTER) == pytest.approx(2.3)


@pytest.mark.parametrize(("events", "ms"), [(1000, 2.3), (230, 10.0), (0, None)])
def test_per_event(events: int, ms: float | None) -> None:
    assert cpu_ms_per_event(BEFORE, AFTER, events) == ms


def test_usage_by_kind_is_counted_process_by_process() -> None:
    cores = usage(BEFORE, AFTER, 2.0)["cores_by_process"]
    assert cores == {"bench": 3.0, "broker": 0.35, "memory#0": 0.25, "other": 25.0,
                     "postgres": 0.45, "redis": 0.1}
