"""Smoke test of `leadmem bench hop` with tiny sizes: every relay mode, as its own process,
carries every record through (the bench waits for each one and fails otherwise), the JSON holds
each round's modes with their percentiles, and the runtime relay with a transaction wrote one
ledger row per record it carried. No timing or CPU figure is asserted: machines are noisy."""

from __future__ import annotations

import os

import asyncpg
import pytest

from devtools import bench_cmds
from devtools.bench.env import with_database
from tests.support.cli import json_result, run_in_thread
from tests.support.services import ServiceUrls, drop_database

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def env(migrated: ServiceUrls, kafka: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADMEM_DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("LEADMEM_ADMIN_DATABASE_URL", migrated.admin_database_url)
    monkeypatch.setenv("LEADMEM_REDIS_URL", migrated.redis_url)
    monkeypatch.setenv("LEADMEM_KAFKA_BOOTSTRAP", kafka)  # the suite's broker, not a new one


async def test_hop_bench_carries_every_record_in_every_mode(migrated: ServiceUrls) -> None:
    database = f"leadmem_bench_smoke_hop_{os.getpid()}"
    try:
        code, out = await run_in_thread(
            [bench_cmds.register], "bench", "hop", "--json", "--records", "30", "--rate",
            "100", "--rounds", "1", "--database", database, "--redis-db", "10")
        ledger = await asyncpg.connect(with_database(migrated.admin_database_url, database))
        try:
            carried = await ledger.fetchval(
                "SELECT count(*) FROM processed_events WHERE consumer = 'hop'")
        finally:
            await ledger.close()
    finally:
        await drop_database(migrated.admin_database_url, database)
    result = json_result(code, out)
    assert (result["rate_per_s"], result["records"]) == (100, 30)
    [rows] = result["rounds"]
    assert [r["mode"] for r in rows] == ["direct", "aiokafka", "confluent", "fs-confluent", "host",
                                       "host-pg"]
    for row in rows:
        assert 0 < row["hop_p50_ms"] <= row["hop_p95_ms"] <= row["hop_p99_ms"]
        assert set(row["cpu_ms_per_record"]) <= {"relay", "broker", "postgres"}
        assert ("broker_per_hop_ms" in row) == (row["mode"] != "direct")
    assert carried == 30 + 40  # the measured records and the relay's warm-up, once each
