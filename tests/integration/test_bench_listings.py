"""Smoke test of `leadmem bench listings` with tiny sizes (300 listings, 20 reads per profile
kind): it replicates from the fake RESO Web API into its own database, syncs again after
modifying 1 %, times the responder's reads, and its one line of `--json` output holds the
documented fields with consistent counts. No timing is asserted: machines are noisy."""

from __future__ import annotations

import os

import pytest

from devtools import bench_cmds
from devtools.bench.listings import KINDS
from tests.support.cli import json_result, run_in_thread
from tests.support.services import ServiceUrls, drop_database

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def env(migrated: ServiceUrls, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADMEM_DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("LEADMEM_ADMIN_DATABASE_URL", migrated.admin_database_url)
    monkeypatch.setenv("LEADMEM_REDIS_URL", migrated.redis_url)


def positive_percentiles(r: dict[str, float]) -> bool:
    return 0 < r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"]


async def test_listings_bench_prints_consistent_json(migrated: ServiceUrls) -> None:
    database = f"leadmem_bench_smoke_listings_{os.getpid()}"
    try:
        code, out = await run_in_thread(
            [bench_cmds.register], "bench", "listings", "--json", "--listings", "300",
            "--reads", "20", "--database", database, "--redis-db", "11")
    finally:
        await drop_database(migrated.admin_database_url, database)
    result = json_result(code, out)
    assert (result["listings"], result["page_size"], result["areas"]) == (300, 200, 25)

    full = result["full_sync"]
    assert full["outcome"] == "ok" and full["records"] == 300
    assert full["pages"] == 2 and full["reconcile_pages"] == 2  # 300 records, $top 200
    assert full["counts"]["invalid"] == 0 and full["counts"]["skipped"] == 0
    assert sum(full["counts"].values()) == 300
    assert full["listings_per_s"] > 0 and full["replication_listings_per_s"] > 0
    assert 0 <= full["fake_s"] <= full["replication_s"] <= full["wall_s"]
    assert full["bench_cpu_s"] > 0 and full["rate_limited"] == 0
    assert full["postgres_cpu_s"] is None or full["postgres_cpu_s"] >= 0
    assert 0 <= full["machine_busy"] <= 1
    assert result["listings_per_s"] == full["replication_listings_per_s"]

    rows = result["rows"]  # what Postgres holds is what the sync counted
    assert rows["listings"] == full["counts"]["listed"] == sum(
        rows["listings_by_status"].values())
    assert rows["comparable_sales"] == full["counts"]["sold"] > 0
    assert rows["listings_by_status"]["active"] == result["active"] > 0

    vendor = result["vendor"]  # 300 / 200 / 2 s; 2 pages + 2 key pages at 2/s
    assert vendor["replication_s"] == 0.8 and vendor["with_reconciliation_s"] == 2.0
    assert vendor["listings_per_s_cap"] == 400

    inc = result["incremental"]  # 1 % of 300: only they (and the watermark's instant) fetched
    assert inc["modified"] == 3 and inc["applied"] == 3 and inc["only_modified_fetched"]
    assert inc["fetched"] == inc["applied"] + inc["skipped"] and inc["pages"] == 1

    reads = result["reads"]
    assert set(reads) == set(KINDS)
    for kind, r in reads.items():
        assert r["reads"] == 20 and positive_percentiles(r), kind
        assert r["txn_p50_ms"] >= r["p50_ms"], kind
    for kind in ("budget_only", "beds_type", "none", "seller"):  # no recommendation follows
        assert reads[kind]["candidates_max"] == 0, kind
    for kind in ("areas", "budget_beds_type"):
        assert 0 < reads[kind]["candidates_max"] <= reads[kind]["admitted_max"], kind
        assert reads[kind]["candidates_max"] <= 200  # responder.store.MAX_LISTINGS
    assert reads["seller"]["comps_mean"] > 0
    assert result["recommendation_p95_ms"] == reads["areas"]["p95_ms"]
    assert set(result["candidates_reads"]) == {"areas", "budget_beds_type"}
    assert all(r["reads"] == 20 and positive_percentiles(r)
               for r in result["candidates_reads"].values())
    assert result["cpus"] >= 1 and len(result["load_average"]["before"]) == 3


async def test_listings_bench_refuses_a_page_the_vendor_refuses() -> None:
    code, out = await run_in_thread([bench_cmds.register], "bench", "listings",
                                    "--page-size", "2000")
    assert code == 2 and "--page-size" in out
