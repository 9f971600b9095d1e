"""`leadmem bench hop`: what the cheapest possible hop costs at a low pace, on this machine.

The pipeline's CPU per event at a low pace is mostly what each hop pays per record before
doing any work of its own (docs/performance.md, rounds 8 and 9). This measures that floor:
records paced at `rate` go through a relay process (`hop_relay`) that republishes each one,
in turn on aiokafka alone, on librdkafka alone, on FastStream over librdkafka, on our worker
runtime, and on our runtime with one tenant transaction per record. A `direct` phase, with
no relay, reads the records straight from the topic they were produced to: what the bench's
own producing and reading cost the broker, so `broker_per_hop_ms` is what a relay adds to
the broker.

Per mode: CPU milliseconds per record of the relay, the broker and Postgres, and the hop's
latency (send -> read back by the bench) P50/P95.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from devtools.bench import machine_cpu
from devtools.bench.context import percentiles
from devtools.bench.env import bench_env, with_database
from devtools.bench.hop_relay import MODES
from devtools.bench.pipeline_setup import bench_broker, onboard
from devtools.bench.processes import fresh_dir, settings_env
from workers.runtime.kafka import ensure_topics, producer_settings
from workers.runtime.kafka_access import KafkaAccess
from workers.settings import Settings

Out = Callable[[str], None]
DIRECT = "direct"


@dataclass(frozen=True)
class HopBench:
    rate: float = 20.0  # records per second (the pipeline's 10 % pace is ~20 events/s)
    records: int = 600
    warmup: int = 40  # records through each relay before measuring
    broker_warmup_rounds: int = 15  # of 200 records, before the first mode
    tenants: int = 20
    value_bytes: int = 700  # about a `conversation.events` record
    modes: tuple[str, ...] = (DIRECT, *MODES)
    rounds: int = 2  # every mode in turn, `rounds` times: the broker's figures settle late
    database: str = "leadmem_bench_hop"
    redis_db: int = 12
    log_dir: str = "var/bench/hop"


class Reader:
    """Reads a fresh topic from its start and stamps when each record id arrived."""

    def __init__(self, kafka: KafkaAccess, topic: str, partitions: int) -> None:
        self.consumer = AIOKafkaConsumer(**kafka.client_kwargs(), enable_auto_commit=False,
                                         fetch_max_wait_ms=500)
        self.parts = [TopicPartition(topic, p) for p in range(partitions)]
        self.arrived: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        self.consumer.assign(self.parts)
        await self.consumer.seek_to_beginning(*self.parts)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=500)
            now = time.time()
            for records in batches.values():
                for r in records:
                    self.arrived[r.value[:32].decode()] = now

    async def wait_for(self, ids: list[str], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while any(i not in self.arrived for i in ids):
            if time.monotonic() > deadline:
                missing = sum(i not in self.arrived for i in ids)
                raise TimeoutError(f"{missing} of {len(ids)} records never came through")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.consumer.stop()


async def send_paced(producer: AIOKafkaProducer, topic: str, tenants: list[str], n: int,
                     rate: float | None, size: int) -> dict[str, float]:
    """`n` records round-robin over the tenants' keys, paced at `rate`/s; id -> send time."""
    sent: dict[str, float] = {}
    start = time.monotonic()
    pending = []
    for i in range(n):
        if rate:
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        rid = uuid.uuid4().hex  # 32 characters: the reader's id
        sent[rid] = time.time()
        value = (rid + "x" * max(0, size - len(rid))).encode()
        pending.append(await producer.send(topic, value, key=tenants[i % len(tenants)].encode()))
    await asyncio.gather(*pending)
    return sent


@asynccontextmanager
async def traffic(kafka: KafkaAccess, settings: Settings, write: str, read: str
                  ) -> AsyncIterator[tuple[AIOKafkaProducer, Reader]]:
    """A producer to the `write` topic (the workers' producer settings) and a `Reader` of the
    fresh `read` topic, both started, both stopped after."""
    reader = Reader(kafka, read, settings.topic_partitions)
    producer = AIOKafkaProducer(**kafka.client_kwargs(), **producer_settings(settings))
    await reader.start()
    await producer.start()
    try:
        yield producer, reader
    finally:
        await producer.stop()
        await reader.stop()


class Relay:
    """A `hop_relay` process of one mode, and its log."""

    def __init__(self, mode: str, settings: Settings, source: str, target: str, group: str,
                 log: Path) -> None:
        env = {**os.environ, **settings_env(settings), "HOP_IN": source, "HOP_OUT": target,
               "HOP_GROUP": group, "LEADMEM_HTTP_PORT": "0", "PYTHONUNBUFFERED": "1"}
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "devtools.bench.hop_relay", mode], env=env,
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def measure(mode: str, cfg: HopBench, settings: Settings, kafka: KafkaAccess,
                  tenants: list[str], log_dir: Path, out: Out) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    source, target = f"bench.hop.{tag}.in", f"bench.hop.{tag}.out"
    await ensure_topics(kafka, settings.topic_partitions, topics=(source, target))
    relay = None if mode == DIRECT else Relay(mode, settings, source, target, f"hop{tag}",
                                              log_dir / f"{mode}.log")
    try:
        async with traffic(kafka, settings, source, source if relay is None else target
                           ) as (producer, reader):
            warm = await send_paced(producer, source, tenants, cfg.warmup, None,
                                    cfg.value_bytes)
            await reader.wait_for(list(warm), 120)  # the relay joined its group and relays
            await asyncio.sleep(2)  # its first commit and any rebalance settle
            pids = {} if relay is None else {relay.proc.pid: "relay"}
            before = machine_cpu.snapshot(pids)
            sent = await send_paced(producer, source, tenants, cfg.records, cfg.rate,
                                    cfg.value_bytes)
            await reader.wait_for(list(sent), 120)
            after = machine_cpu.snapshot(pids)
    finally:
        if relay is not None:
            relay.stop()
    used = machine_cpu.seconds_by_kind(before, after)
    per_record = {kind: round(used[kind] * 1000 / cfg.records, 2)
                  for kind in ("relay", "broker", "postgres") if used.get(kind, 0.0) > 0}
    lat = percentiles([reader.arrived[i] - t for i, t in sent.items()], "hop")
    row = {"mode": mode, "cpu_ms_per_record": per_record,
           **{k: round(v, 1) for k, v in lat.items()}}
    out(f"{mode}: CPU ms per record {per_record}; hop P50/P95 "
        f"{row['hop_p50_ms']}/{row['hop_p95_ms']} ms")
    return row


async def warm_broker(kafka: KafkaAccess, settings: Settings, tenants: list[str],
                      cfg: HopBench) -> None:
    """A fresh broker's JVM compiles its request paths in its first minute: before it does,
    the first mode measured would pay for it. Records through a topic of their own, unpaced,
    read back."""
    topic = f"bench.hop.warm.{uuid.uuid4().hex[:6]}"
    await ensure_topics(kafka, settings.topic_partitions, topics=(topic,))
    async with traffic(kafka, settings, topic, topic) as (producer, reader):
        for _ in range(cfg.broker_warmup_rounds):
            sent = await send_paced(producer, topic, tenants, 200, None, cfg.value_bytes)
            await reader.wait_for(list(sent), 120)


async def run(base: Settings, cfg: HopBench, out: Out) -> dict[str, Any]:
    log_dir = Path(cfg.log_dir)
    fresh_dir(log_dir)
    tenants = [f"hop{i:03d}" for i in range(cfg.tenants)]
    async with AsyncExitStack() as stack:
        kafka, base = await bench_broker(stack, base, log_dir / "kafka")
        env = await stack.enter_async_context(bench_env(base, cfg.database, cfg.redis_db))
        await onboard(env, tenants)
        settings = base.model_copy(update={
            "kafka_bootstrap": kafka.bootstrap,
            "database_url": with_database(base.database_url, cfg.database),
            "log_level": "WARNING"})
        out(f"broker {kafka.bootstrap}; {cfg.records} records at {cfg.rate:g}/s per mode")
        await warm_broker(kafka, settings, tenants, cfg)
        rounds = []
        for n in range(cfg.rounds):
            out(f"round {n + 1} of {cfg.rounds}")
            rounds.append(with_broker_per_hop(
                [await measure(mode, cfg, settings, kafka, tenants, log_dir, out)
                 for mode in cfg.modes]))
    return {"rate_per_s": cfg.rate, "records": cfg.records, "cpus": os.cpu_count(),
            "rounds": rounds}


def with_broker_per_hop(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each relay mode's broker CPU per record beyond the `direct` phase of its round."""
    direct = next((r for r in rows if r["mode"] == DIRECT), None)
    if direct is None:
        return rows
    base = direct["cpu_ms_per_record"].get("broker", 0.0)
    return [r if r is direct else
            {**r, "broker_per_hop_ms": round(r["cpu_ms_per_record"].get("broker", 0.0) - base, 2)}
            for r in rows]
