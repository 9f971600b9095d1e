"""Smoke test of `leadmem bench pipeline` with tiny sizes: it runs end to end (worker
processes, broker, bench database, fakes) and its last line is the JSON result with the
documented keys. No figure is asserted: timings depend on the machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.services import ServiceUrls, drop_database

pytestmark = pytest.mark.integration

KEYS = {"events_per_s", "e2e_p50_ms", "e2e_p95_ms", "e2e_p99_ms", "broker_ratio",
        "postgres_ratio", "broker_events_per_s", "postgres_rows_per_s", "peak_rss_mb",
        "scaling", "handler_s", "latency_cpu", "idle_cpu", "hops_ms", "latency_curve",
        "cpu_ms_per_event"}


async def test_bench_pipeline_prints_json(migrated: ServiceUrls, tmp_path: Path) -> None:
    database = f"leadmem_bench_smoke_{os.getpid()}"
    try:
        run(migrated, tmp_path, database)
    finally:
        await drop_database(migrated.admin_database_url, database)


def run(migrated: ServiceUrls, tmp_path: Path, database: str) -> None:
    env = {**os.environ, "LEADMEM_DATABASE_URL": migrated.database_url,
           "LEADMEM_ADMIN_DATABASE_URL": migrated.admin_database_url,
           "LEADMEM_REDIS_URL": migrated.redis_url, "LEADMEM_TOPIC_PARTITIONS": "2"}
    env.pop("LEADMEM_KAFKA_BOOTSTRAP", None)  # the bench starts its own broker
    out = subprocess.run(
        [sys.executable, "-m", "workers.cli", "bench", "pipeline", "--json", "--events", "40",
         "--tenants", "2", "--leads", "3", "--latency-events", "20", "--warmup-events", "10",
         "--idle-seconds", "1", "--latency-load", "1", "--latency-loads", "0.5",
         "--database", database, "--redis-db", "12",
         "--log-dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result.keys() >= KEYS
    assert result["events"] == 40 and result["tenants"] == 2
    assert set(result["scaling"]) >= {"worker", "events_per_s_1", "events_per_s_2"}
    assert any(k.startswith("memory#") for k in result["peak_rss_mb"])
    assert [c["load"] for c in result["latency_curve"]] == [0.5, 1.0]
    assert result["e2e_p95_ms"] == result["latency_curve"][1]["e2e_p95_ms"]
    # what an event cost the pipeline's processes, in the backlog and at every pace
    assert result["cpu_ms_per_event"] > 0
    assert all(c["cpu_ms_per_event"] > 0 for c in result["latency_curve"])
    idle = result["idle_cpu"]  # measured with no traffic: the broker answers idle polls
    assert idle["cpus"] >= 1 and 0 <= idle["machine_busy"] <= 1
    assert idle["cores_by_process"].get("broker", 0) > 0
