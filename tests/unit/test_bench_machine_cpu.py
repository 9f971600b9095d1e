"""What an event cost the pipeline's processes, from two /proc snapshots (pure)."""

from __future__ import annotations

import pytest

from devtools.bench.machine_cpu import CpuSnapshot, cpu_ms_per_event, pipeline_cpu_s

BEFORE = CpuSnapshot({"memory#0": 1.0, "broker": 10.0, "postgres": 5.0, "redis": 0.5,
                      "bench": 3.0, "other": 40.0, "gone": 1.0}, 100.0, 200.0)
AFTER = CpuSnapshot({"memory#0": 1.5, "broker": 10.7, "postgres": 5.6, "redis": 0.7,
                     "bench": 9.0, "other": 90.0, "new#1": 4.0}, 120.0, 240.0)


def test_only_the_pipelines_processes_count() -> None:
    # workers 0.5 + broker 0.7 + postgres 0.6 + redis 0.2; not the bench, the rest of the
    # machine, a process that ended or one that started meanwhile
    assert pipeline_cpu_s(BEFORE, AFTER) == pytest.approx(2.0)


@pytest.mark.parametrize(("events", "ms"), [(1000, 2.0), (200, 10.0), (0, None)])
def test_per_event(events: int, ms: float | None) -> None:
    assert cpu_ms_per_event(BEFORE, AFTER, events) == ms
