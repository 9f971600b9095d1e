"""The fault suite across machines: the pipeline on a cluster of three Kafka nodes (every
topic replicated to all three, `min.insync.replicas=2`) with two replicas (processes) of
every worker, each given every node's address (as `leadmem dev --brokers 3` prints them),
under a steady stream of signed GHL webhooks for many tenants. One at a time,
one replica of each worker is SIGKILLed and one broker is SIGKILLed, each left down longer
than the session that notices it, then started again (the broker on its own data). Once
everything has drained, the same checks as the single-broker run (`test_faults.py`): nothing
lost, nothing duplicated (every reply sent once at GHL), no tenant sees another's data,
every poison record in `pipeline.dlq`.

The report (the terminal summary) measures what the faults cost, never asserted
(`recovery.py`): for each killed replica, how long until its group had rebalanced onto the
other replica and consumed again, and the same once it was restarted and rejoined; for the
broker, the longest a partition with records waiting went without a commit in each group, and
the longest a webhook waited for the brokers' acknowledgement (and before the kill, for
comparison), in the 20 s after the kill.

The seed is random per run and printed; `LEADMEM_RELIABILITY_SEED=N` replays a run's plan.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.bench.processes import ProcessGroup
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from devtools.kafka import KafkaCluster
from schemas import topics
from tests.reliability.chaos import Chaos, RedisProcess, plan_cluster_faults
from tests.reliability.checks import evaluate, read_topic, snapshot, table, wait_drained
from tests.reliability.conftest import publish_report
from tests.reliability.pipeline import (
    in_doubt_bound,
    onboard,
    produce,
    suite_settings,
    wait_healthy,
)
from tests.reliability.recovery import (
    GroupSampler,
    longest_stall,
    longest_wait,
    resumed_after,
    settled_after,
)
from tests.reliability.stream import midday_zone, plan_stream, plan_tenants
from tests.support.services import ServiceUrls
from workers.registry import load_spec
from workers.runtime.kafka import ensure_topics
from workers.settings import Settings

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(480)]

WORKERS = ["ingestion", "memory", "learning", "responder", "outbound"]
REPLICAS = 2
NODES = 3
PARTITIONS = 6  # the production default (LEADMEM_TOPIC_PARTITIONS): 3 per replica
TENANTS = 16
LEADS_PER_TENANT = 12
WINDOW_S = 105.0  # the stream is produced over this long
START_SHARE = 0.85  # leads' first contacts spread over this share of it: a steady stream
# The faults' planned moments, in [5 s, this): one at a time, each ~15 s (the broker ~25 s),
# so the last begins near 90 s, while the stream still flows
FAULTS_END_S = 85.0
WORKER_DOWN_S = 12.0  # well beyond the consumer session (6 s): the other replica takes over
BROKER_DOWN_S = 8.0  # beyond the broker session (2 s): its partitions get new leaders
BROKER_SPAN_S = 20.0  # the broker kill's figures: waits that began this long after it
DRAIN_TIMEOUT_S = 150.0
REPLAY_WINDOW_S = 12  # LEADMEM_MAX_EVENT_AGE_S, as in test_faults.py


@pytest.fixture(scope="module")
async def kafka_cluster(tmp_path_factory: pytest.TempPathFactory,
                        ) -> AsyncIterator[KafkaCluster]:
    if os.environ.get("LEADMEM_TEST_KAFKA_BOOTSTRAP"):
        pytest.skip("the tests use the broker of LEADMEM_TEST_KAFKA_BOOTSTRAP: no cluster "
                    "of their own")
    cluster = KafkaCluster(tmp_path_factory.mktemp("kafka-cluster"), NODES)
    cluster.start()
    try:
        await cluster.wait_ready()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
async def kafka(kafka_cluster: KafkaCluster) -> str:
    """This module's Kafka is the cluster (so `make_settings`, and every worker, use it),
    its topics on every node."""
    await ensure_topics(kafka_cluster.bootstrap, PARTITIONS, kafka_cluster.replication)
    return kafka_cluster.bootstrap


async def under_replicated(bootstrap: str) -> int:
    """Partitions of the project's topics with a replica out of sync (a restarted broker
    that has not caught up)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics.ALL_TOPICS))
    finally:
        await admin.close()
    return sum(1 for t in described for p in t["partitions"]
               if len(p["isr"]) < len(p["replicas"]))


async def test_cluster_under_faults_loses_and_duplicates_nothing(
    make_settings: Callable[..., Settings], kafka: str, kafka_cluster: KafkaCluster,
    migrated: ServiceUrls, own_redis: RedisProcess,
    fakes: tuple[FakeMessagesAPI, FakeGHLAPI], tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    began = time.monotonic()
    seed = int(os.environ.get("LEADMEM_RELIABILITY_SEED")
               or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    claude, ghl = fakes
    tenants = plan_tenants(rng, TENANTS)
    signing_key = Ed25519PrivateKey.generate()
    await onboard(migrated.database_url, tenants, ghl)
    settings = suite_settings(make_settings, redis_url=own_redis.url, claude=claude, ghl=ghl,
                              tenants=tenants, signing_key=signing_key,
                              max_event_age_s=REPLAY_WINDOW_S,
                              topic_replication=kafka_cluster.replication)
    group = ProcessGroup(settings, tmp_path / "logs")
    groups = {name: (settings.group_id(name), load_spec(name).topics) for name in WORKERS}
    victim = kafka_cluster.nodes[rng.randrange(NODES)]
    chaos = Chaos(rng, group, own_redis, migrated.admin_database_url, claude, ghl, groups,
                  broker=victim)
    acks: list[tuple[float, float]] = []
    stop_watch = asyncio.Event()
    try:
        for index in range(REPLICAS):
            for name in WORKERS:
                group.start(name, index)
        await wait_healthy(group, timeout_s=120.0)
        started = time.monotonic()
        base = datetime.now(UTC)
        stream = plan_stream(rng, tenants, signing_key, base,
                             leads_per_tenant=LEADS_PER_TENANT, window_s=WINDOW_S,
                             zone=midday_zone(), start_share=START_SHARE)
        actions = plan_cluster_faults(rng, WORKERS, start=5.0, end=FAULTS_END_S,
                                      worker_down_s=WORKER_DOWN_S, broker_down_s=BROKER_DOWN_S)
        watch = asyncio.create_task(chaos.watch(stop_watch))
        async with GroupSampler(kafka, groups) as sampler:
            await asyncio.gather(produce(kafka, stream.records, base, acks),
                                 chaos.run(actions, one_lane=True))
            streamed = time.monotonic()
            lag = await wait_drained(kafka, groups, timeout_s=DRAIN_TIMEOUT_S)
            drained = time.monotonic()
        stop_watch.set()
        await watch
    finally:
        stop_watch.set()
        group.stop_all()
        chaos.write_log(group.log_dir / "chaos.log")

    dlq = await read_topic(kafka, topics.PIPELINE_DLQ)
    snap = await snapshot(migrated.admin_database_url, [t.id for t in tenants])
    outcome = evaluate(stream, snap, ghl.delivered, claude, dlq)
    lagging_replicas = await under_replicated(kafka)
    counts = chaos.counts
    in_doubt = outcome.figures.pop("_in_doubt")
    bound = in_doubt_bound(counts, settings, ghl)

    when = {(what, target): at for at, what, target in counts.timeline}
    rebalances: list[tuple[str, Any]] = []
    for name in WORKERS:
        label, samples = f"{name}#0", sampler.samples[name]
        for event, members in (("kill", REPLICAS - 1), ("restart", REPLICAS)):
            if (event, label) not in when:
                continue
            at = when[(event, label)]
            settled = settled_after(samples, at, members)
            resumed = resumed_after(samples, at, settled or 0.0)
            what = "killed" if event == "kill" else "restarted (its start included)"
            rebalances.append((
                f"{label} {what}: {name} rebalanced ({members} member"
                f"{'s' if members > 1 else ''}) / consumed again after",
                f"{'-' if settled is None else f'{settled:.1f} s'} / {resumed}"))
    broker_rows: list[tuple[str, Any]] = []
    if ("broker kill", victim.bootstrap) in when:
        killed = when[("broker kill", victim.bootstrap)]
        back = when.get(("broker back", victim.bootstrap), killed)
        span = (killed, killed + BROKER_SPAN_S)

        def seconds(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f} s"

        broker_rows = [
            (f"broker node {victim.node_id} killed: answering again after",
             f"{back - killed:.1f} s"),
            *((f"  {name}: longest a partition waited for a commit, after the kill",
               seconds(longest_stall(sampler.samples[name], *span))) for name in WORKERS),
            ("  webhooks: longest wait for the ack, after the kill (before it)",
             f"{seconds(longest_wait(acks, *span))} "
             f"({seconds(longest_wait(acks, 0.0, killed))})"),
        ]
    rows: list[tuple[str, Any]] = [
        ("seed", seed),
        ("Kafka nodes / replication / min.insync.replicas",
         f"{NODES} / {kafka_cluster.replication} / {kafka_cluster.min_insync}"),
        ("replicas per worker / partitions per topic", f"{REPLICAS} / {PARTITIONS}"),
        ("tenants / leads", f"{len(tenants)} / {len(stream.leads)}"),
        ("events sent (over s)", f"{len(stream.records)} ({WINDOW_S:.0f})"),
        ("valid", len(stream.valid)),
        ("webhook retries (duplicates)", len(stream.duplicates)),
        ("poison", len(stream.poison)),
        *((f"kills: {name} (mid-stream)",
           f"{counts.kills[name]} ({counts.busy_kills[name]})") for name in WORKERS),
        ("crashes (unrequested exits)", len(counts.crashes)),
        *rebalances,
        *broker_rows,
        ("offset reads failed (a coordinator or leader down)", sampler.failed_reads),
        *outcome.figures.items(),
        ("in-doubt bound (outbound kills x concurrency + GHL 5xx to sends)", bound),
        ("lag after drain", sum(lag.values())),
        ("partitions under-replicated after drain", lagging_replicas),
        ("wall time: start / stream and faults / drain / whole test (s)",
         f"{started - began:.0f} / {streamed - started:.0f} / {drained - streamed:.0f} / "
         f"{time.monotonic() - began:.0f}"),
    ]
    report = table(rows)
    publish_report(request.config, report)
    problems = list(outcome.problems)
    problems += [f"crash: {c}" for c in counts.crashes]
    if any(lag.values()):
        problems.append(f"the pipeline did not drain: lag {lag}")
    if counts.broker_kills != 1 or any(counts.kills[name] != 1 for name in WORKERS):
        problems.append("a planned kill did not happen: the run did not test what it claims")
    if in_doubt > bound:
        problems.append(f"{in_doubt} replies in doubt, more than the {bound} outbound kills "
                        "(each up to group_concurrency) and GHL's 5xx answers can explain")
    assert not problems, f"seed {seed}; logs in {group.log_dir}\n{report}\n" + "\n".join(
        problems[:60])
