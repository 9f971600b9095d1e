"""The fault suite: thousands of GHL webhooks for many tenants flow through the five workers,
each its own process, while workers are SIGKILLed at random moments and restarted, the Kafka
broker is SIGKILLed and restarted on the same data, Postgres
connections are cut, Redis restarts empty, Claude and GHL answer errors in bursts and poison
records are interleaved. Once, ingestion stays down under load for longer than the replay
window (the webhooks' age is judged by when they reached us, so nothing in that backlog may
turn stale). Once everything has drained, nothing may be lost or duplicated, no tenant may
see another's data, and every poison record must be in `pipeline.dlq`.

The only loss the design allows is a reply "in doubt": the outbound connector is at most
once, so a crash between claiming a reply and recording that GHL took it leaves the reply
`sending`, never resent. Outbound handles up to `group_concurrency` tenants' replies at once,
so each outbound kill can leave that many; a cut connection is retried before the status
write gives up, and counts one. The suite fails beyond that bound.

The seed is random per run and printed; `LEADMEM_RELIABILITY_SEED=N` replays a run's plan
(the timing of processes stays real, so a replay is close, not identical).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.bench.processes import ProcessGroup
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from devtools.kafka import KafkaServer
from schemas import topics
from tests.reliability.chaos import Chaos, RedisProcess, plan_chaos
from tests.reliability.checks import evaluate, read_topic, snapshot, table, wait_drained
from tests.reliability.conftest import publish_report
from tests.reliability.pipeline import (
    in_doubt_bound,
    onboard,
    produce,
    suite_settings,
    wait_healthy,
)
from tests.reliability.stream import midday_zone, plan_stream, plan_tenants
from tests.support.services import ServiceUrls
from workers.registry import load_spec
from workers.settings import Settings

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(420)]

WORKERS = ["ingestion", "memory", "learning", "responder", "outbound"]
TENANTS = 20
LEADS_PER_TENANT = 22
WINDOW_S = 80.0  # the stream is produced over this long
KILLS_PER_WORKER = 3
PG_CUTS = 4
BROKER_KILLS = 2
REDIS_RESTARTS = 2
BURSTS = 3  # per fake server
DRAIN_TIMEOUT_S = 150.0
REPLAY_WINDOW_S = 12  # LEADMEM_MAX_EVENT_AGE_S here (GHL retries come within 8 s)
OUTAGE_S = 18.0  # ingestion down this long once, mid-stream: longer than the window


async def test_pipeline_under_faults_loses_and_duplicates_nothing(
    make_settings: Callable[..., Settings], kafka: str, kafka_server: KafkaServer | None,
    migrated: ServiceUrls,
    own_redis: RedisProcess, fakes: tuple[FakeMessagesAPI, FakeGHLAPI], tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    seed = int(os.environ.get("LEADMEM_RELIABILITY_SEED")
               or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    claude, ghl = fakes
    tenants = plan_tenants(rng, TENANTS)
    signing_key = Ed25519PrivateKey.generate()
    await onboard(migrated.database_url, tenants, ghl)
    settings = suite_settings(make_settings, redis_url=own_redis.url, claude=claude, ghl=ghl,
                              tenants=tenants, signing_key=signing_key,
                              max_event_age_s=REPLAY_WINDOW_S)
    group = ProcessGroup(settings, tmp_path / "logs")
    groups = {name: (settings.group_id(name), load_spec(name).topics) for name in WORKERS}
    chaos = Chaos(rng, group, own_redis, migrated.admin_database_url, claude, ghl, groups,
                  broker=kafka_server)
    stop_watch = asyncio.Event()
    try:
        for name in WORKERS:
            group.start(name)
        await wait_healthy(group)
        base = datetime.now(UTC)
        stream = plan_stream(rng, tenants, signing_key, base,
                             leads_per_tenant=LEADS_PER_TENANT, window_s=WINDOW_S,
                             zone=midday_zone())
        actions = plan_chaos(rng, WORKERS, start=3.0, end=WINDOW_S + 5.0,
                             kills_per_worker=KILLS_PER_WORKER, pg_cuts=PG_CUTS,
                             redis_restarts=REDIS_RESTARTS, bursts=BURSTS,
                             # a broker given by LEADMEM_TEST_KAFKA_BOOTSTRAP is not ours to kill
                             broker_kills=BROKER_KILLS if kafka_server is not None else 0,
                             outage=("ingestion", OUTAGE_S))
        watch = asyncio.create_task(chaos.watch(stop_watch))
        await asyncio.gather(produce(kafka, stream.records, base), chaos.run(actions))
        chaos.calm()
        lag = await wait_drained(kafka, groups, timeout_s=DRAIN_TIMEOUT_S)
        stop_watch.set()
        await watch
    finally:
        stop_watch.set()
        group.stop_all()
        chaos.write_log(group.log_dir / "chaos.log")

    dlq = await read_topic(kafka, topics.PIPELINE_DLQ)
    snap = await snapshot(migrated.admin_database_url, [t.id for t in tenants])
    outcome = evaluate(stream, snap, ghl.delivered, claude, dlq)
    counts = chaos.counts
    in_doubt = outcome.figures.pop("_in_doubt")
    bound = in_doubt_bound(counts, settings, ghl)
    rows: list[tuple[str, Any]] = [
        ("seed", seed),
        ("tenants / leads", f"{len(tenants)} / {len(stream.leads)}"),
        ("events sent", len(stream.records)),
        ("valid", len(stream.valid)),
        ("webhook retries (duplicates)", len(stream.duplicates)),
        ("poison", len(stream.poison)),
        *((f"kills: {name} (mid-stream)",
           f"{counts.kills[name]} ({counts.busy_kills[name]})") for name in WORKERS),
        ("crashes (unrequested exits)", len(counts.crashes)),
        ("ingestion down at once (s) / replay window (s)",
         f"{counts.longest_down.get('ingestion', 0.0):.1f} / {REPLAY_WINDOW_S}"),
        ("Kafka broker kills (seconds down)",
         f"{counts.broker_kills} ({counts.broker_down_s:.1f})"),
        ("Postgres cuts (backends)", f"{counts.pg_cuts} ({counts.pg_backends_cut})"),
        ("Redis restarts", counts.redis_restarts),
        ("Claude faults injected (bursts)", f"{claude.faults.injected} "
                                            f"({counts.claude_bursts})"),
        ("GHL faults injected (bursts)", f"{ghl.faults.injected} ({counts.ghl_bursts})"),
        *outcome.figures.items(),
        ("in-doubt bound (outbound kills x concurrency + cuts + GHL 5xx to sends)",
         bound),
        ("lag after drain", sum(lag.values())),
    ]
    report = table(rows)
    publish_report(request.config, report)
    problems = list(outcome.problems)
    problems += [f"crash: {c}" for c in counts.crashes]
    if any(lag.values()):
        problems.append(f"the pipeline did not drain: lag {lag}")
    if counts.longest_down.get("ingestion", 0.0) <= REPLAY_WINDOW_S:
        problems.append("ingestion was never down longer than the replay window")
    if not (claude.faults.injected and ghl.faults.injected):
        problems.append("a fake answered no fault: the run did not test what it claims")
    if in_doubt > bound:
        problems.append(f"{in_doubt} replies in doubt, more than the {bound} "
                        "outbound kills (each up to group_concurrency), Postgres cuts and "
                        "GHL's 5xx answers to sends can explain")
    assert not problems, f"seed {seed}; logs in {group.log_dir}\n{report}\n" + "\n".join(
        problems[:60])
