"""`leadmem bench receiver`: the webhook receiver's HTTP throughput and latency on Kafka.

One run, on a fresh Apache Kafka node (unless `LEADMEM_KAFKA_BOOTSTRAP` names one):

1. the receiver as its own process (`leadmem run receiver`, as in production), healthy;
2. warm-up: a short closed-loop wrk run (connections, producer metadata, caches);
3. **saturation**: wrk in a closed loop with `connections` connections for `duration_s`;
   `requests_per_s` counts only the 200 answers (each one acknowledged by the broker) that
   wrk read in its window; the records that reached `ghl.events` are counted to check the
   receiver's own count of 200s (which includes the requests answered after wrk stopped);
4. **latency at `load` of that rate** (50 % by default): wrk paced at that rate for
   `latency_s`; P50/P90/P99/P99.9 from writing each request to its full answer;
5. **the raw produce rate of the same records**: the saturation phase's bodies and keys
   produced by a plain `AIOKafkaProducer` in this process with the receiver's settings
   (idempotent, acks=all, same linger), to a fresh topic with `ghl.events`' partitions: all
   sends queued then awaited (`raw_produce_per_s`, the client's and broker's ceiling), and with
   `connections` concurrent send-and-wait loops as the receiver's requests do
   (`raw_produce_window_per_s`); `ratio` = requests_per_s / raw_produce_per_s.

Also: CPU seconds of the receiver process (from /proc) per phase and per request, of wrk
(rusage), and where the machine's CPU went (`machine_cpu`: this run's receiver and broker by
pid, other JVMs as `broker`, everything else, other people's work included, as `other`), with
the machine's load before the run. The receiver is one Python process (one event loop): its
ceiling is one core; wrk's C threads, the broker and the receiver share the machine's cores.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from devtools import signing
from devtools.bench import machine_cpu
from devtools.bench.machine_cpu import process_cpu
from devtools.bench.pipeline_setup import wait_healthy
from devtools.bench.processes import ProcessGroup, WorkerProcess, fresh_dir
from devtools.bench.receiver_load import Bodies, WrkRun, lua_script, run_wrk, wrk_version
from devtools.kafka import KafkaServer
from schemas.topics import GHL_EVENTS
from workers.ingestion.signatures import ED25519_HEADER
from workers.receiver.app import WEBHOOK_PATH
from workers.receiver.service import NAME as RECEIVER
from workers.runtime.clients import open_producer
from workers.runtime.kafka import ensure_topics, log_end_offsets, topic_partitions
from workers.runtime.kafka_access import KafkaAccess, kafka_access
from workers.settings import Settings

Out = Callable[[str], None]
TARGET_RPS = 3000.0
TARGET_P99_MS = 20.0


@dataclass(frozen=True)
class ReceiverBench:
    duration_s: float = 10.0  # the saturation phase
    latency_s: float = 15.0  # the paced phase
    warmup_s: float = 3.0
    connections: int = 128  # closed loop
    latency_connections: int = 128  # paced: enough that one is free at every slot
    threads: int = 1  # wrk threads (each is one event loop on one core)
    load: float = 0.5  # the paced phase's rate, a fraction of the saturation rate
    tenants: int = 50  # distinct locationIds, round-robin
    log_dir: str = "var/bench/receiver"  # /var/ is git-ignored


def _ms(us: int) -> float:
    return round(us / 1000, 2)


async def _counters(port: int) -> dict[str, float]:
    """From the receiver's /metrics: `leadmem_receiver_requests_total` by outcome (tenants
    summed), and the sum and count of its acknowledged produces (`produce_s`, `produced`)."""
    async with httpx.AsyncClient(timeout=5) as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        value = line.rsplit(" ", 1)[-1]
        if line.startswith("leadmem_receiver_requests_total{"):
            outcome = line.split('outcome="', 1)[1].split('"', 1)[0]
            out[outcome] = out.get(outcome, 0.0) + float(value)
        elif line.startswith('leadmem_receiver_produce_seconds_sum{result="ok"}'):
            out["produce_s"] = float(value)
        elif line.startswith('leadmem_receiver_produce_seconds_count{result="ok"}'):
            out["produced"] = float(value)
        elif line.startswith("leadmem_receiver_in_flight "):
            out["in_flight"] = float(value)
    return out


async def _settled(port: int, timeout_s: float = 10.0) -> dict[str, float]:
    """The counters once the requests still in flight when wrk stopped (at most one per
    connection) are answered, so they agree with what reached the topic."""
    deadline = time.monotonic() + timeout_s
    while True:
        counters = await _counters(port)
        if counters.pop("in_flight", 0.0) == 0 or time.monotonic() > deadline:
            return counters
        await asyncio.sleep(0.05)


async def _records(kafka: KafkaAccess, topic: str) -> int:
    parts = await topic_partitions(kafka, (topic,))
    return sum((await log_end_offsets(kafka, parts)).values())


@dataclass
class Phase:
    """One wrk run with what the receiver and the machine did meanwhile."""

    wrk: WrkRun
    outcomes: dict[str, int]
    produce_mean_ms: float  # handing the record to the producer -> the broker's ack
    receiver_cpu_s: float
    machine: dict[str, object]

    @property
    def accepted(self) -> int:
        return self.outcomes.get("accepted", 0)

    def summary(self) -> dict[str, Any]:
        w = self.wrk
        return {
            "requests": w.requests, "seconds": round(w.duration_s, 2),
            "requests_per_s": round(w.rate, 1),
            # 200s inside wrk's window: the receiver's count can include requests answered
            # after wrk stopped reading, wrk's cannot tell a 429 from a 200 (both are 2xx/4xx)
            "accepted_per_s": round(min(self.accepted, w.requests - w.non_2xx)
                                    / max(w.duration_s, 1e-9), 1),
            "outcomes": self.outcomes, "non_2xx": w.non_2xx, "socket_errors": w.socket_errors,
            "p50_ms": _ms(w.p50_us), "p90_ms": _ms(w.p90_us), "p99_ms": _ms(w.p99_us),
            "p999_ms": _ms(w.p999_us), "max_ms": _ms(w.max_us),
            "late": w.late, "late_max_ms": _ms(w.late_max_us),
            "produce_mean_ms": self.produce_mean_ms,
            "receiver_cpu_s": round(self.receiver_cpu_s, 2),
            "receiver_cpu_ms_per_request": round(
                self.receiver_cpu_s * 1000 / max(w.requests, 1), 3),
            "wrk_cpu_s": w.cpu_s, "machine": self.machine,
        }


class Runner:
    def __init__(self, cfg: ReceiverBench, out: Out, settings: Settings,
                 receiver: WorkerProcess, work_dir: Path, broker_pid: int | None) -> None:
        self.cfg, self.out, self.settings = cfg, out, settings
        self.kafka = kafka_access(settings)
        self.receiver = receiver
        self.broker_pid = broker_pid
        self.work_dir = work_dir
        bodies = Bodies(uuid.uuid4().hex[:6], cfg.tenants)
        self.pool = bodies.signed(bodies.template())
        self.url = f"http://127.0.0.1:{receiver.port}{WEBHOOK_PATH}"

    @property
    def pid(self) -> int:
        assert self.receiver.proc is not None
        return self.receiver.proc.pid

    def _labels(self) -> dict[int, str]:
        """This run's processes by pid: the machine's other JVMs (another broker) and
        Pythons stay under `broker`/`other`, not counted as this run's."""
        labels = {self.pid: "receiver"}
        if self.broker_pid is not None:
            labels[self.broker_pid] = "this_broker"
        return labels

    def _receiver_cpu(self) -> float:
        got = process_cpu(self.pid)
        if got is None:
            raise RuntimeError(f"the receiver exited; see {self.receiver.log}")
        return got[1]

    async def phase(self, name: str, *, connections: int, seconds: float,
                    rate: float | None = None) -> Phase:
        per_thread = None if rate is None else rate / self.cfg.threads
        script = self.work_dir / f"{name}.lua"
        script.write_text(lua_script(self.pool, rate_per_thread=per_thread))
        count0 = await _settled(self.receiver.port)
        cpu0, snap0, began = (self._receiver_cpu(), machine_cpu.snapshot(self._labels()),
                              time.time())
        wrk = await run_wrk(self.url, script, threads=self.cfg.threads,
                            connections=connections, duration_s=seconds)
        machine = machine_cpu.usage(snap0, machine_cpu.snapshot(self._labels()),
                                    time.time() - began)
        cpu = self._receiver_cpu() - cpu0
        count1 = await _settled(self.receiver.port)
        delta = {k: v - count0.get(k, 0.0) for k, v in count1.items()}
        produce_s, produced = delta.pop("produce_s", 0.0), delta.pop("produced", 0.0)
        outcomes = {k: round(v) for k, v in delta.items() if v > 0}
        produce_ms = round(produce_s * 1000 / produced, 2) if produced else 0.0
        # wrk's own CPU is in `wrk_cpu_s`; under "other" it is with whatever else ran
        return Phase(wrk, outcomes, produce_ms, cpu, machine)

    async def raw_produce(self, records: int, window: int) -> dict[str, float]:
        """The same bodies and keys through a plain producer with the receiver's settings."""
        topic = f"bench.receiver.raw.{uuid.uuid4().hex[:8]}"
        partitions = len(await topic_partitions(self.kafka, (GHL_EVENTS,)))
        await ensure_topics(self.kafka, partitions, topics=(topic,))
        # the records the receiver writes: body, key and signature header
        rendered = [(item.body, item.location.encode(),
                     [(ED25519_HEADER, item.signature.encode())])
                    for item in (self.pool[n % len(self.pool)] for n in range(records))]
        async with AsyncExitStack() as stack:
            prod: AIOKafkaProducer = await open_producer(self.settings, stack,
                                                         client_id=RECEIVER)
            started = time.perf_counter()
            futures = [await prod.send(topic, body, key=key, headers=headers)
                       for body, key, headers in rendered]
            await asyncio.gather(*futures)
            pipelined_s = time.perf_counter() - started

            queue = iter(rendered)

            async def sender() -> None:
                for body, key, headers in queue:
                    await (await prod.send(topic, body, key=key, headers=headers))

            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(window)))
            window_s = time.perf_counter() - started
        return {"raw_records": records,
                "raw_produce_per_s": round(records / pipelined_s, 1),
                "raw_produce_window_per_s": round(records / window_s, 1),
                "raw_window": window}

    async def run(self) -> dict[str, Any]:
        cfg, out = self.cfg, self.out
        out(f"load generator: {await wrk_version()} ({cfg.threads} thread(s)), "
            f"{cfg.tenants} locationIds, {len(self.pool)} distinct signed bodies cycled")
        await self.phase("warmup", connections=cfg.connections, seconds=cfg.warmup_s)
        on_topic0 = await _records(self.kafka, GHL_EVENTS)
        sat = await self.phase("saturation", connections=cfg.connections,
                               seconds=cfg.duration_s)
        on_topic = await _records(self.kafka, GHL_EVENTS) - on_topic0
        s = sat.summary()
        out(f"saturation ({cfg.connections} connections, closed loop, {s['seconds']} s): "
            f"{s['accepted_per_s']} accepted/s of {s['requests_per_s']} requests/s "
            f"{s['outcomes']}; P50 {s['p50_ms']} ms P99 {s['p99_ms']} ms (produce to ack "
            f"{s['produce_mean_ms']} ms on average); {on_topic} records on {GHL_EVENTS}")
        out(f"  receiver CPU {s['receiver_cpu_s']} s = {s['receiver_cpu_ms_per_request']} ms "
            f"per request; wrk CPU {s['wrk_cpu_s']} s; machine {s['machine']}")
        rate = cfg.load * s["accepted_per_s"]
        lat = await self.phase("paced", connections=cfg.latency_connections,
                               seconds=cfg.latency_s, rate=rate)
        p = lat.summary()
        out(f"paced at {rate:.0f}/s ({cfg.load:g} of saturation, {cfg.latency_connections} "
            f"connections): {p['requests_per_s']} requests/s {p['outcomes']}; P50 "
            f"{p['p50_ms']} ms, P90 {p['p90_ms']} ms, P99 {p['p99_ms']} ms, P99.9 "
            f"{p['p999_ms']} ms, max {p['max_ms']} ms (produce to ack {p['produce_mean_ms']} ms "
            f"on average); sent late {p['late']} (max {p['late_max_ms']} ms)")
        out(f"  receiver CPU {p['receiver_cpu_s']} s = {p['receiver_cpu_ms_per_request']} ms "
            f"per request; wrk CPU {p['wrk_cpu_s']} s; machine {p['machine']}")
        raw = await self.raw_produce(max(sat.accepted, 1), cfg.connections)
        ratio = round(s["accepted_per_s"] / raw["raw_produce_per_s"], 3)
        out(f"raw produce of the same {raw['raw_records']} records (AIOKafkaProducer, "
            f"idempotent, acks=all): {raw['raw_produce_per_s']}/s all queued, "
            f"{raw['raw_produce_window_per_s']}/s with {cfg.connections} send-and-wait loops; "
            f"receiver / raw = {ratio}")
        met_rps = s["accepted_per_s"] >= TARGET_RPS
        met_p99 = p["p99_ms"] <= TARGET_P99_MS
        if p["late"]:
            out(f"  caveat: {p['late']} of {p['requests']} paced requests could not be sent on "
                f"their slot (every connection busy), up to {p['late_max_ms']} ms late: those "
                f"waits are not in the latencies; raise --latency-connections")
        out(f"targets: >= {TARGET_RPS:.0f} requests/s: {'met' if met_rps else 'NOT met'}; "
            f"P99 <= {TARGET_P99_MS:.0f} ms at half load: {'met' if met_p99 else 'NOT met'}")
        return {
            "requests_per_s": s["accepted_per_s"],
            "p50_ms": p["p50_ms"], "p99_ms": p["p99_ms"], "latency_rate_per_s": round(rate, 1),
            "latency_load": cfg.load, **raw, "ratio": ratio,
            "receiver_cpu_ms_per_request": s["receiver_cpu_ms_per_request"],
            "records_on_topic": on_topic,
            "targets": {"requests_per_s": TARGET_RPS, "p99_ms": TARGET_P99_MS,
                        "requests_per_s_met": met_rps, "p99_met": met_p99},
            "saturation": s, "latency": p,
            "generator": {"name": "wrk", "version": await wrk_version(),
                          "threads": cfg.threads, "connections": cfg.connections,
                          "latency_connections": cfg.latency_connections,
                          "note": "wrk is C (one epoll loop per thread) and runs on the same "
                                  "2 cores as the receiver and the broker"},
        }


@asynccontextmanager
async def broker(settings: Settings, work_dir: Path,
                 ) -> AsyncIterator[tuple[dict[str, Any], int | None]]:
    """A fresh Apache Kafka node (empty, 1 GB heap), or the configured one; the Kafka settings
    of its clients (address and security: none to change for the configured one) and its
    process id (None: not ours)."""
    if settings.kafka_bootstrap:
        await ensure_topics(kafka_access(settings), settings.topic_partitions,
                            settings.topic_replication)
        yield {}, None
        return
    kafka_dir = work_dir / "kafka"
    shutil.rmtree(kafka_dir, ignore_errors=True)
    server = KafkaServer(kafka_dir, heap="1g")
    server.start()
    try:
        await server.wait_ready()
        await ensure_topics(server.access, settings.topic_partitions)
        yield server.client_settings(), server.pid
    finally:
        server.stop()


async def run(settings: Settings, cfg: ReceiverBench, out: Out) -> dict[str, Any]:
    work_dir = Path(cfg.log_dir)
    fresh_dir(work_dir)
    before = machine_cpu.snapshot({})
    await asyncio.sleep(2.0)
    background = machine_cpu.usage(before, machine_cpu.snapshot({}), 2.0)
    load_avg = [round(x, 2) for x in os.getloadavg()]
    out(f"machine before the run: busy {background['machine_busy']} of {background['cpus']} "
        f"CPUs over 2 s, load average {load_avg}")
    async with AsyncExitStack() as stack:
        kafka, broker_pid = await stack.enter_async_context(broker(settings, work_dir))
        receiver_settings = settings.model_copy(update={
            **kafka, "log_level": "WARNING",
            "ghl_ed25519_public_key": signing.PUBLIC_PEM})  # the bench signs as GHL would
        group = ProcessGroup(receiver_settings, work_dir)
        stack.callback(group.stop_all)
        receiver = group.start("receiver")
        await wait_healthy([receiver])
        out(f"receiver pid {receiver.proc.pid if receiver.proc else '?'} on "
            f"127.0.0.1:{receiver.port}, broker {receiver_settings.bootstrap} "
            f"({settings.topic_partitions} partitions)")
        result = await Runner(cfg, out, receiver_settings, receiver, work_dir,
                              broker_pid).run()
        receiver.sample_memory()
        result["peak_rss_mb"] = round(receiver.peak_mb, 1)
    return {**result, "machine_before": {**background, "load_average": load_avg},
            "broker": "configured" if settings.kafka_bootstrap else "fresh Apache Kafka 4.4.0"}
