"""`leadmem bench pipeline`: the whole pipeline's throughput and latency, and the machine's.

Every worker runs as its own process (ProcessGroup) on the real broker, Postgres and Redis,
with Claude and GHL as zero-delay fakes in this process. Phases, one run:

1. warm-up: a small mix, drained (consumer groups joined, connections and caches warm);
2. throughput: a backlog of `events` GHL deliveries for `tenants` agencies produced at once;
   events/s = events / (first record produced -> newest effect record or GHL delivery);
3. latency at fractions of that rate (10, 25 and 50 % by default): `latency_events` produced
   by a paced producer at each; each reply's latency is its inbound webhook's record
   timestamp -> the fake GHL's delivery time;
4. the machine's limits for the same work (see `pipeline_raw`) and the pipeline as ratios;
   at every pace and in the backlog, `cpu_ms_per_event`: the CPU the pipeline's processes
   (broker, workers, Postgres, Redis; not the bench) spent per event;
5. replica scaling: a second replica of the busiest worker (most CPU seconds in 2.), a
   fresh warm-up (rebalance), and the throughput phase again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.bench import machine_cpu
from devtools.bench.context import nearest_rank, percentiles
from devtools.bench.pipeline_events import Renderer, Sent, message_rows, plan, tenant_ids
from devtools.bench.pipeline_hops import TRACE_TOPICS, Stamps, hop_samples, read_stamps
from devtools.bench.pipeline_kafka import EFFECT_TOPICS, LagProbe, feed, last_effect_ms
from devtools.bench.pipeline_raw import broker_rate, postgres_rate
from devtools.bench.pipeline_setup import (
    PIPELINE,
    Stage,
    cpu_seconds,
    scrape_busy,
    stage,
    wait_healthy,
)
from workers.settings import Settings

Out = Callable[[str], None]


def hop_stats(hops: dict[str, list[float]]) -> dict[str, dict[str, float | None]]:
    """P50 and P95 of each hop's samples (ms), picked as `percentiles` does."""
    out: dict[str, dict[str, float | None]] = {}
    for name, values in hops.items():
        ordered = sorted(values)
        out[name] = {f"p{int(q * 100)}": round(nearest_rank(ordered, q), 1) if ordered else None
                     for q in (0.5, 0.95)}
    return out


def ratio(pipeline: float, machine: float) -> float | None:
    """The pipeline's rate as a share of the machine's raw one; None when there is no raw
    rate (a backlog of a few events may hold no message row for Postgres to insert)."""
    return round(pipeline / machine, 4) if machine > 0 else None


@dataclass(frozen=True)
class PipelineBench:
    events: int = 4000
    tenants: int = 20
    leads: int = 10  # per tenant and phase
    latency_events: int = 2000
    warmup_events: int = 100
    seed: int = 11
    database: str = "leadmem_bench_pipeline"
    redis_db: int = 13
    log_dir: str = "var/bench/pipeline"  # /var/ is git-ignored
    scaling: bool = True
    latency_load: float = 0.25  # the headline latency phase's pace, a fraction of throughput
    latency_loads: tuple[float, ...] = (0.1, 0.25, 0.5)  # every pace measured (the curve)
    # the throughput the paces are fractions of; None: this run's measured one. Set it to
    # compare two builds at the same paces (the measured throughput moves +-20 % here).
    pace_of: float | None = None
    idle_s: float = 5.0  # CPU measured with no traffic after the latency phase (0: skip)
    drain_timeout_s: float = 600.0


def midday_zone() -> str:
    """A zone where it is midday now, so quiet hours hold no reply (as the e2e test does)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    for offset in range(-12, 13):
        name = f"Etc/GMT{offset:+d}" if offset else "Etc/GMT"
        if 10 <= datetime.now(UTC).astimezone(ZoneInfo(name)).hour < 16:
            return name
    return "Etc/GMT"


class Runner:
    def __init__(self, st: Stage, cfg: PipelineBench, out: Out) -> None:
        self.st, self.cfg, self.out = st, cfg, out
        self.tenants = tenant_ids(st.tag, cfg.tenants)
        self.renderer = Renderer(midday_zone(), cfg.seed, st.tag)
        self.probe = LagProbe(st.kafka, st.settings.consumer_group_prefix, PIPELINE)

    async def drain(self, phase: str, events: int, rate: float | None = None
                    ) -> tuple[list[Sent], float, float]:
        """Feed one phase and wait until drained; returns (sent, start s, last effect s)."""
        planned = plan(self.tenants, self.cfg.leads, events, phase, self.cfg.seed)
        since = await self.probe.end_offsets(EFFECT_TOPICS)
        delivered_before = len(self.st.ghl.delivered)
        start = time.time()
        sent = await feed(self.st.kafka, planned, self.renderer, rate)
        await self.probe.drained(self.cfg.drain_timeout_s, self.st.group.sample_memory)
        last = max([await last_effect_ms(self.probe, since) / 1000] +
                   [d.at for d in self.st.ghl.delivered[delivered_before:]])
        return sent, start, last

    def worker_pids(self) -> dict[int, str]:
        return {w.proc.pid: w.label for w in self.st.group.workers
                if w.alive and w.proc is not None}

    async def latencies(self, sent: list[Sent], stamps: Stamps
                        ) -> tuple[list[float], dict[str, list[float]]]:
        """Seconds from each inbound webhook's record timestamp to its reply's delivery, and
        the same split into hops (milliseconds, see `pipeline_hops`)."""
        received = {s.message_id: s.sent_ms / 1000 for s in sent if s.message_id}
        delivered_at = {d.message_id: d.at for d in self.st.ghl.delivered}
        samples = []
        answered: dict[str, float] = {}
        for tenant in self.tenants:
            async with self.st.env.db.transaction(tenant) as conn:
                rows = await conn.fetch(
                    "SELECT reply_to_message_id, ghl_message_id FROM replies "
                    "WHERE status = 'sent'")
            for r in rows:
                if r["reply_to_message_id"] in received and r["ghl_message_id"] in delivered_at:
                    samples.append(delivered_at[r["ghl_message_id"]]
                                   - received[r["reply_to_message_id"]])
                    answered[r["reply_to_message_id"]] = delivered_at[r["ghl_message_id"]] * 1000
        received_ms = {k: int(v * 1000) for k, v in received.items()}
        return samples, hop_samples(received_ms, answered, stamps, answered)

    async def throughput(self, phase: str) -> tuple[list[Sent], float, dict[str, float]]:
        workers = self.st.group.workers
        busy0 = await scrape_busy(workers)
        sent, start, last = await self.drain(phase, self.cfg.events)
        busy1 = await scrape_busy(workers)
        eps = len(sent) / max(last - start, 1e-6)
        busy = {k: round(v - busy0.get(k, 0.0), 2) for k, v in busy1.items()}
        self.out(f"{phase}: {len(sent)} events in {last - start:.1f}s = {eps:.1f}/s; "
                 f"handler seconds {busy}")
        return sent, eps, busy

    async def run(self) -> dict[str, Any]:
        cfg, st = self.cfg, self.st
        await self.probe.start()
        try:
            self.out(f"warm-up: {cfg.warmup_events} events")
            await self.drain("w", cfg.warmup_events)
            cpu0 = cpu_seconds(st.group.workers)
            replies0 = len(st.ghl.delivered)
            machine0 = machine_cpu.snapshot(self.worker_pids())
            sent, eps, busy = await self.throughput("d")
            backlog_ms = machine_cpu.cpu_ms_per_event(
                machine0, machine_cpu.snapshot(self.worker_pids()), len(sent))
            self.out(f"backlog: {backlog_ms} CPU ms per event (broker, workers, Postgres, "
                     "Redis)")
            cpu = {k: round(v - cpu0.get(k, 0.0), 2)
                   for k, v in cpu_seconds(st.group.workers).items()}
            replies = len(st.ghl.delivered) - replies0
            curve = [await self.latency_phase(load, cfg.pace_of or eps)
                     for load in sorted({*cfg.latency_loads, cfg.latency_load})]
            head = next(c for c in curve if c["load"] == cfg.latency_load)
            idle_cpu = await self.idle() if cfg.idle_s > 0 else {}
            raw_broker = await broker_rate(st.kafka, sent, st.settings.topic_partitions)
            raw_pg = await postgres_rate(st.env.db, sent)
            self.out(f"machine: {raw_broker} {raw_pg}")
            scaling = await self.scale(cpu, eps) if cfg.scaling else {}
        finally:
            await self.probe.stop()
        st.group.sample_memory()
        rows_per_s = eps * message_rows(sent) / max(len(sent), 1)
        return {
            "events_per_s": round(eps, 1), "cpu_ms_per_event": backlog_ms,
            **{k: head[k] for k in ("e2e_p50_ms", "e2e_p95_ms", "e2e_p99_ms")},
            "latency_rate_per_s": head["rate_per_s"], "latency_load": cfg.latency_load,
            "latency_samples": head["samples"], "latency_cpu": head["cpu"],
            "hops_ms": head["hops_ms"], "latency_curve": curve,
            "idle_cpu": idle_cpu,
            "broker_ratio": ratio(eps, raw_broker["broker_events_per_s"]),
            "postgres_ratio": ratio(rows_per_s, raw_pg["postgres_rows_per_s"]),
            **raw_broker, **raw_pg, "pipeline_message_rows_per_s": round(rows_per_s, 1),
            "events": cfg.events, "tenants": cfg.tenants, "leads": cfg.tenants * cfg.leads,
            "replies_delivered": replies, "handler_s": busy, "cpu_s": cpu,
            "peak_rss_mb": st.group.peaks(), "scaling": scaling,
            "partitions": st.settings.topic_partitions,
        }

    async def latency_phase(self, load: float, eps: float) -> dict[str, Any]:
        """`latency_events` paced at `load` x the throughput: e2e percentiles, hops and where
        the CPU went while they ran."""
        rate = max(eps * load, 1.0)
        self.out(f"latency at {load:.0%}: {self.cfg.latency_events} events paced at "
                 f"{rate:.1f}/s")
        trace_since = await self.probe.end_offsets(TRACE_TOPICS)
        cpu_before, began = machine_cpu.snapshot(self.worker_pids()), time.time()
        paced, _, _ = await self.drain(f"l{round(load * 100)}", self.cfg.latency_events, rate)
        cpu_after = machine_cpu.snapshot(self.worker_pids())
        cpu = machine_cpu.usage(cpu_before, cpu_after, time.time() - began)
        per_event = machine_cpu.cpu_ms_per_event(cpu_before, cpu_after, len(paced))
        stamps = await read_stamps(self.st.kafka, trace_since,
                                   await self.probe.end_offsets(TRACE_TOPICS))
        samples, hops = await self.latencies(paced, stamps)
        hops_ms = hop_stats(hops)
        lat = percentiles(samples, "e2e") if samples else {
            "e2e_p50_ms": None, "e2e_p95_ms": None, "e2e_p99_ms": None}
        self.out(f"  e2e {lat}; CPU {cpu}; {per_event} CPU ms per event")
        self.out("  by hop (ms, p50/p95): " + ", ".join(
            f"{name} {v['p50']}/{v['p95']}" for name, v in hops_ms.items()))
        return {"load": load, "rate_per_s": round(rate, 1), **lat, "samples": len(samples),
                "hops_ms": hops_ms, "cpu": cpu, "cpu_ms_per_event": per_event}

    async def idle(self) -> dict[str, Any]:
        """Cores used with no traffic at all: what waiting for records costs (the consumers'
        idle polls and the broker answering them), gone before the first event arrives."""
        before, began = machine_cpu.snapshot(self.worker_pids()), time.time()
        await asyncio.sleep(self.cfg.idle_s)
        idle_cpu = machine_cpu.usage(before, machine_cpu.snapshot(self.worker_pids()),
                                     time.time() - began)
        self.out(f"idle CPU ({self.cfg.idle_s:g} s, no traffic): {idle_cpu}")
        return idle_cpu

    async def scale(self, cpu: dict[str, float], eps: float) -> dict[str, Any]:
        """Throughput again with a second replica of the busiest worker (most CPU seconds in
        the throughput phase; handler seconds overlap now that tenant groups run at once)."""
        slowest = max(cpu, key=lambda k: cpu[k]).split("#")[0] if cpu else "memory"
        self.out(f"scaling: 2 replicas of {slowest}")
        replica = self.st.group.start(slowest, 1)
        await wait_healthy([replica])
        for attempt in range(5):  # until the rebalance gave the new replica partitions
            await self.drain(f"w{attempt + 2}", self.cfg.warmup_events)
            if (await scrape_busy([replica])).get(replica.label, 0.0) > 0:
                break
        _, eps2, busy2 = await self.throughput("s")
        return {"worker": slowest, "events_per_s_1": round(eps, 1),
                "events_per_s_2": round(eps2, 1), "speedup": round(eps2 / eps, 2),
                "handler_s_2": busy2}


async def run(settings: Settings, cfg: PipelineBench, out: Out) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]  # names this run's tenants, ids and consumer groups
    async with stage(settings, tenant_ids(tag, cfg.tenants), tag=tag, database=cfg.database,
                     redis_db=cfg.redis_db, partitions=settings.topic_partitions,
                     log_dir=Path(cfg.log_dir)) as st:
        out(f"workers up ({', '.join(w.label for w in st.group.workers)}), "
            f"broker {st.kafka.bootstrap}, database {cfg.database}")
        return await Runner(st, cfg, out).run()
