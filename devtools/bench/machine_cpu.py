"""Where the machine's CPU went during a bench phase: workers, broker, Postgres, Redis, bench.

Latency on a small machine is decided by whether the CPUs have room: once they are busy,
every round trip waits for a process to be scheduled. This reads Linux `/proc` before and
after a phase and splits the CPU seconds by process kind, with the machine's busy share.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_HZ = os.sysconf("SC_CLK_TCK")
# Process name (`comm`, first 15 characters) prefix -> kind. Apache Kafka is the only JVM the
# pipeline runs (another JVM on the machine would be counted as broker too).
KINDS: tuple[tuple[str, str], ...] = (
    ("postgres", "postgres"), ("redis-server", "redis"), ("java", "broker"),
)


@dataclass(frozen=True)
class CpuSnapshot:
    by_kind: Mapping[str, float]  # CPU seconds so far of live processes, by kind
    busy_s: float  # the machine's non-idle CPU seconds since boot
    total_s: float  # all CPU seconds since boot (busy + idle)
    # each live process's (kind, CPU seconds so far): what a phase used is counted per
    # process, so one that ends meanwhile takes no CPU away from its kind
    by_pid: Mapping[int, tuple[str, float]] = field(default_factory=dict)


def process_cpu(pid: int | str) -> tuple[str, float] | None:
    """A live process's name (`comm`) and user+system CPU seconds; None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1: raw.rindex(")")]
    fields = raw.rsplit(")", 1)[1].split()
    return comm, (int(fields[11]) + int(fields[12])) / _HZ


def snapshot(workers: Mapping[int, str], bench_pid: int | None = None) -> CpuSnapshot:
    """CPU seconds by kind: each worker pid under its label, the bench process as `bench`,
    Postgres/Redis/broker processes by name, everything else as `other`."""
    bench_pid = os.getpid() if bench_pid is None else bench_pid
    by_kind: dict[str, float] = {}
    by_pid: dict[int, tuple[str, float]] = {}
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        got = process_cpu(pid)
        if got is None:
            continue
        comm, seconds = got
        if int(pid) in workers:
            kind = workers[int(pid)]
        elif int(pid) == bench_pid:
            kind = "bench"
        else:
            kind = next((k for prefix, k in KINDS if comm.startswith(prefix)), "other")
        by_kind[kind] = by_kind.get(kind, 0.0) + seconds
        by_pid[int(pid)] = (kind, seconds)
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in cpu]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return CpuSnapshot(by_kind, (sum(ticks) - idle) / _HZ, sum(ticks) / _HZ, by_pid)


def seconds_by_kind(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """CPU seconds each kind used between two snapshots, process by process, as
    `pipeline_cpu_s` counts them."""
    used: dict[str, float] = {}
    for pid, (kind, cpu) in after.by_pid.items():
        used[kind] = used.get(kind, 0.0) + cpu - before.by_pid.get(pid, (kind, 0.0))[1]
    return used


def usage(before: CpuSnapshot, after: CpuSnapshot, seconds: float) -> dict[str, object]:
    """Per kind, the share of one CPU used over the phase (1.0 = one core busy); and the
    machine's busy share of all its CPUs. Counted process by process: one started meanwhile
    counts whole, one that ended meanwhile is left out."""
    used = seconds_by_kind(before, after)
    cores = {k: round(v / max(seconds, 1e-6), 2) for k, v in sorted(used.items())}
    total = after.total_s - before.total_s
    busy = (after.busy_s - before.busy_s) / total if total > 0 else 0.0
    return {"cores_by_process": {k: v for k, v in cores.items() if v > 0},
            "machine_busy": round(busy, 3), "cpus": os.cpu_count()}


NOT_PIPELINE = frozenset({"bench", "other"})  # the load generator and the rest of the machine


def pipeline_cpu_s(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """CPU seconds the pipeline's processes (workers, broker, Postgres, Redis) used between
    two snapshots, process by process: one started meanwhile counts whole, one that ended
    meanwhile is left out (its last moments are lost, not subtracted from its kind)."""
    return sum(seconds - before.by_pid.get(pid, (kind, 0.0))[1]
               for pid, (kind, seconds) in after.by_pid.items() if kind not in NOT_PIPELINE)


def cpu_ms_per_event(before: CpuSnapshot, after: CpuSnapshot, events: int) -> float | None:
    """What one event cost the pipeline's processes, in CPU milliseconds (None: no events)."""
    if events <= 0:
        return None
    return round(pipeline_cpu_s(before, after) * 1000 / events, 2)
