"""The faults: SIGKILLed workers, a SIGKILLed Kafka broker restarted on its data, cut Postgres
connections, a Redis restart, and bursts of errors from the fake Claude and GHL APIs, all at
seeded random moments while the stream flows.

Actions run as their own tasks on a schedule fixed up front (so a slow action never shifts
the others), and every one is counted: the figures are part of the suite's report.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from devtools.bench.processes import ProcessGroup, WorkerProcess
from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from devtools.kafka import KafkaServer
from tests.support.redis_process import RedisProcess
from workers.runtime.kafka import topic_partitions

CUT_SQL = """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE usename = 'leadmem_app' AND datname = current_database()"""


@dataclass
class ChaosCounts:
    kills: Counter[str] = field(default_factory=Counter)
    busy_kills: Counter[str] = field(default_factory=Counter)  # with work pending
    longest_down: dict[str, float] = field(default_factory=dict)  # seconds, per worker
    crashes: list[str] = field(default_factory=list)  # exits nobody asked for
    pg_cuts: int = 0
    broker_kills: int = 0
    broker_down_s: float = 0.0  # from the kill until the restarted broker answered
    pg_backends_cut: int = 0
    redis_restarts: int = 0
    claude_bursts: int = 0
    ghl_bursts: int = 0
    # (wall time, what, target): "kill"/"restart" of a worker's replica (its label),
    # "broker kill"/"broker back" (the node's address), for figures read against them
    timeline: list[tuple[float, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Action:
    at: float
    kind: str
    target: str = ""
    duration: float = 0.0


CLAUDE_FAULTS = (
    Fault(status=529),
    Fault(status=429, retry_after=0.1),
    Fault(delay=1.6),  # longer than the suite's claude_timeout_s: a timeout
)
GHL_FAULTS = (Fault(status=429, retry_after=0.2), Fault(status=500))
BUSY_WAIT_POLLS = 30
BURST_MIN_FAULTS = 10
BURST_EXTENSION_S = 20.0


async def group_offsets(bootstrap: str, group_id: str, topics: tuple[str, ...]
                        ) -> dict[TopicPartition, tuple[int, int]]:
    """(committed offset, end offset) per partition of `topics` for a consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id,
                                enable_auto_commit=False)
    try:
        await consumer.start()
        parts = await topic_partitions(bootstrap, topics)
        ends = await consumer.end_offsets(parts)
        return {tp: ((await consumer.committed(tp)) or 0, ends[tp]) for tp in parts}
    finally:
        await consumer.stop()


def _slots(rng: random.Random, n: int, start: float, end: float) -> list[float]:
    """n random moments, one in each of n equal slots of [start, end): spread, not clumped."""
    width = (end - start) / n
    return [start + width * (i + rng.random() * 0.8) for i in range(n)]


def plan_chaos(rng: random.Random, workers: list[str], *, start: float, end: float,
               kills_per_worker: int, pg_cuts: int, redis_restarts: int,
               bursts: int, broker_kills: int = 0,
               outage: tuple[str, float] | None = None) -> list[Action]:
    """Workers are killed in turn, one at a time, downstream first in each round (outbound,
    responder, ... ingestion): a killed worker needs ~20 s to rejoin its group on the dev
    broker, and killing upstream first would leave everything below it idle, so the later
    kills of the round would hit idle workers. Each kill also waits (bounded) until its
    worker is consuming, see `Chaos.kill`. An `outage` (worker, seconds) makes that worker's
    kill nearest the middle of the stream a long one: down that long under load."""
    order = [name for _ in range(kills_per_worker) for name in reversed(workers)]
    actions = [Action(at, "kill", name, rng.uniform(0.0, 1.5))
               for name, at in zip(order, _slots(rng, len(order), start, end), strict=True)]
    if outage is not None:
        name, seconds = outage
        middle = (start + end) / 2
        i = min((i for i, a in enumerate(actions) if a.target == name),
                key=lambda i: abs(actions[i].at - middle))
        actions[i] = Action(actions[i].at, "kill", name, seconds)
    actions += [Action(at, "pg_cut") for at in _slots(rng, pg_cuts, start, end)]
    actions += [Action(at, "broker", duration=rng.uniform(0.5, 2.0))
                for at in _slots(rng, broker_kills, start, end)]
    actions += [Action(at, "redis", duration=rng.uniform(1.0, 4.0))
                for at in _slots(rng, redis_restarts, start, end)]
    for kind in ("claude", "ghl"):
        actions += [Action(at, kind, str(rng.randrange(100)), rng.uniform(3.0, 8.0))
                    for at in _slots(rng, bursts, start, end)]
    return sorted(actions, key=lambda a: a.at)


def plan_cluster_faults(rng: random.Random, workers: list[str], *, start: float, end: float,
                        worker_down_s: float, broker_down_s: float) -> list[Action]:
    """The cluster run's faults, meant to run one at a time (`Chaos.run(one_lane=True)`) so
    each one's effect is measured alone: one replica of each worker killed, downstream first
    (as in `plan_chaos`), and the broker at a random place in that order (never first: the
    stream is still thin then), each down that long. Before the broker's kill, every group
    settles (the replica restarted last has rejoined), as the broker's touches them all."""
    order = list(reversed(workers))
    order.insert(rng.randrange(1, len(order) + 1), "")
    actions: list[Action] = []
    for name, at in zip(order, _slots(rng, len(order), start, end), strict=True):
        if name:
            actions.append(Action(at, "kill", name, worker_down_s))
        else:
            actions += [Action(at, "settle", duration=30.0),
                        Action(at, "broker", duration=broker_down_s)]
    return actions


class Chaos:
    def __init__(self, rng: random.Random, group: ProcessGroup, redis: RedisProcess,
                 admin_url: str, claude: FakeMessagesAPI, ghl: FakeGHLAPI,
                 groups: dict[str, tuple[str, tuple[str, ...]]],
                 broker: KafkaServer | None = None) -> None:
        self.rng = rng
        self.broker = broker
        self.groups = groups
        self.group = group
        self.redis = redis
        self.admin_url = admin_url
        self.claude = claude
        self.ghl = ghl
        self.counts = ChaosCounts()
        self.log: list[tuple[float, str]] = []  # (wall time, what happened)
        self._killing: set[str] = set()  # workers down on purpose right now
        self._busy_deadline = float("inf")

    def worker(self, name: str) -> WorkerProcess:
        return next(w for w in self.group.workers if w.name == name)

    async def run(self, actions: list[Action], *, one_lane: bool = False) -> None:
        """One lane per kind (kills, Postgres, Redis, each fake), or one for all with
        `one_lane`: a lane's actions run in order, each not before its moment, and never
        overlap; lanes run side by side."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        # Waiting for a busy moment stops here, so the chaos ends on time whatever happens.
        self._busy_deadline = t0 + max((a.at for a in actions), default=0.0) + 10.0
        lanes: dict[str, list[Action]] = defaultdict(list)
        for action in actions:
            lanes["all" if one_lane else action.kind].append(action)

        async def lane(todo: list[Action]) -> None:
            for action in todo:
                await asyncio.sleep(max(0.0, t0 + action.at - loop.time()))
                await self.apply(action)

        await asyncio.gather(*(lane(todo) for todo in lanes.values()))

    async def apply(self, action: Action) -> None:
        if action.kind == "kill":
            await self.kill(action.target, action.duration)
        elif action.kind == "pg_cut":
            await self.cut_postgres()
        elif action.kind == "broker":
            await self.kill_broker(action.duration)
        elif action.kind == "settle":
            await self.until_settled(action.duration)
        elif action.kind == "redis":
            await self.restart_redis(action.duration)
        elif action.kind == "claude":
            await self.burst(self.claude, CLAUDE_FAULTS, action)
            self.counts.claude_bursts += 1
        elif action.kind == "ghl":
            await self.burst(self.ghl, GHL_FAULTS, action)
            self.counts.ghl_bursts += 1

    async def burst(self, server: FakeMessagesAPI | FakeGHLAPI, faults: tuple[Fault, ...],
                    action: Action) -> None:
        """Errors at random for the planned time, and longer (up to a cap) until some were
        actually answered: a burst while the calling worker was down would test nothing."""
        choice = int(action.target)
        before = server.faults.injected
        self.note(f"{type(server).__name__} burst on")
        server.burst(self.rng.uniform(0.3, 0.6), faults[choice % len(faults)], seed=choice)
        await asyncio.sleep(action.duration)
        for _ in range(int(BURST_EXTENSION_S / 0.2)):
            if server.faults.injected - before >= BURST_MIN_FAULTS:
                break
            await asyncio.sleep(0.2)
        server.clear_faults()
        self.note(f"{type(server).__name__} burst off")

    async def kill(self, name: str, downtime: float) -> None:
        """SIGKILL (no cleanup, no commit), stay down a moment, start again. The moment is
        delayed a little (bounded) until the worker is consuming with records still to go,
        so the kill lands mid-stream rather than on an idle or rejoining worker."""
        worker = self.worker(name)
        busy = await self.until_working(name)
        if busy:
            self.counts.busy_kills[name] += 1
        self.note(f"kill {name}{' mid-stream' if busy else ''}")
        self._killing.add(name)
        try:
            self.group.kill(worker)
            self.counts.timeline.append((time.time(), "kill", worker.label))
            self.counts.kills[name] += 1
            down = time.monotonic()
            await asyncio.sleep(downtime)
            self.group.start(name, worker.index)
            self.counts.timeline.append((time.time(), "restart", worker.label))
            self.counts.longest_down[name] = max(self.counts.longest_down.get(name, 0.0),
                                                 time.monotonic() - down)
        finally:
            self._killing.discard(name)

    async def until_working(self, name: str) -> bool:
        """Wait (bounded) until the worker is mid-stream: records still to commit, and its
        committed offsets moved since the last look. False if that never happened."""
        group_id, topics = self.groups[name]
        before: dict[TopicPartition, tuple[int, int]] | None = None
        loop = asyncio.get_running_loop()
        for _ in range(BUSY_WAIT_POLLS):
            if loop.time() > self._busy_deadline:
                return False
            try:
                now = await asyncio.wait_for(
                    group_offsets(self.group.settings.bootstrap, group_id, topics), 3.0)
            except (TimeoutError, KafkaError):
                now = None
            if now and before:
                behind = any(end > done for done, end in now.values())
                moved = any(now[tp][0] > before[tp][0] for tp in now if tp in before)
                if behind and moved:
                    return True
            before = now
            await asyncio.sleep(0.3)
        return False

    async def until_settled(self, timeout_s: float) -> bool:
        """Wait (bounded) until every worker's group is Stable with all its processes as
        members. False if that did not happen in time."""
        expected = {name: sum(1 for w in self.group.workers if w.name == name)
                    for name in self.groups}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        admin = AIOKafkaAdminClient(bootstrap_servers=self.group.settings.bootstrap)
        await admin.start()
        try:
            while loop.time() < deadline:
                try:
                    # one group a request: aiokafka 0.14 cannot decode Kafka 4's answer
                    # describing several at once (its connection closes)
                    described = await asyncio.wait_for(asyncio.gather(*(
                        admin.describe_consumer_groups([group_id])
                        for group_id, _ in self.groups.values())), 3.0)
                except (TimeoutError, KafkaError):
                    described = []
                states = {g["group"]: (g["state"], len(g["members"]))
                          for responses in described for response in responses
                          for g in response.to_object()["groups"]}
                if all(states.get(self.groups[name][0]) == ("Stable", n)
                       for name, n in expected.items()):
                    self.note("every group settled")
                    return True
                await asyncio.sleep(0.3)
        finally:
            await admin.close()
        return False

    async def kill_broker(self, downtime: float) -> None:
        """SIGKILL the Kafka process (no controlled shutdown) while records flow, keep it down
        a moment, start it again on the same data and ports. Every client sees its
        connections drop and must retry: the producer of webhooks, the workers' consumers,
        their publishes and commits."""
        assert self.broker is not None, "no broker of the suite's own to kill"
        loop = asyncio.get_running_loop()
        began = loop.time()
        self.note(f"kafka killed ({self.broker.bootstrap})")
        self.broker.kill()
        self.counts.timeline.append((time.time(), "broker kill", self.broker.bootstrap))
        self.counts.broker_kills += 1
        await asyncio.sleep(downtime)
        self.broker.start()
        await self.broker.wait_ready(timeout_s=120)
        self.counts.timeline.append((time.time(), "broker back", self.broker.bootstrap))
        self.counts.broker_down_s += loop.time() - began
        self.note("kafka answering again")

    async def cut_postgres(self) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            self.counts.pg_backends_cut += int(await conn.fetchval(CUT_SQL))
            self.note("postgres cut")
            self.counts.pg_cuts += 1
        finally:
            await conn.close()

    async def restart_redis(self, downtime: float) -> None:
        self.redis.stop()
        self.note("redis down")
        await asyncio.sleep(downtime)
        self.redis.start()
        self.counts.redis_restarts += 1
        await self.redis.ready()

    def note(self, text: str) -> None:
        self.log.append((time.time(), text))

    def write_log(self, path: Path) -> None:
        """What happened when, beside the workers' logs (to read a failed run against)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{datetime.fromtimestamp(at, UTC):%H:%M:%S.%f} {text}\n"
                                for at, text in self.log))

    def calm(self) -> None:
        self.claude.clear_faults()
        self.ghl.clear_faults()

    def revive_crashed(self) -> None:
        """A worker that exited without being killed crashed: note it, and start it again
        so the run can finish (the suite fails on any crash)."""
        for worker in self.group.workers:
            if worker.name in self._killing or worker.alive or worker.proc is None:
                continue
            code = worker.proc.returncode
            self.counts.crashes.append(f"{worker.label} exited with {code} ({worker.log})")
            self.group.start(worker.name, worker.index)

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.revive_crashed()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
