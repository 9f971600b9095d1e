"""`leadmem bench retention`: the prune of a 10-million-row `processed_events`, measured
while writers keep inserting.

On a scratch database of its own (dropped, created and migrated with the project's
migrations, dropped again at the end unless `--keep`):

1. `generate_series` fills `processed_events` with `rows` rows over `tenants` tenants, in
   time order as the workers write them, a fraction `expired` older than the window;
   VACUUM ANALYZE (as autovacuum would have).
2. The 0008 migration's index on `processed_at` is dropped and built again, timed: how long
   `leadmem migrate` holds writes to the table on a deployment that already has this many.
3. Two writers, each in a thread of its own (its own event loop), as the workers' role, one
   tenant transaction per row like `processed.record`, insert for `baseline_s` seconds
   alone, then during the prune, which is the production code
   (`workers.db.retention.prune_ledger`, `batch_rows` per statement). The second commits
   without waiting for the WAL flush and with `lock_timeout = 5ms`: what it waits for is
   not the disk, and any wait for a lock longer than 5 ms fails it and is counted.
   Reported: the prune's time, rows/s, statements and longest statement; each writer's
   latency alone and during the prune (max, P99, P50); lock waits over 5 ms.
4. The next run (nothing left to delete: it walks the dead index entries once), then again
   after a VACUUM (what autovacuum does); the table is checked: exactly the rows inside the
   window remain.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from workers.db import retention
from workers.db.migrate import database_name, migrate
from workers.db.tenant import TenantDatabase
from workers.errors import ConfigurationError
from workers.settings import Settings

Out = Callable[[str], None]
CONSUMERS = ("memory", "learning", "responder", "outbound", "ingestion")


@dataclass(frozen=True)
class RetentionBench:
    rows: int = 10_000_000
    expired: float = 0.5  # fraction of the rows older than the window
    tenants: int = 1_000
    window_days: int = Settings.model_fields["retention_processed_events_days"].default
    batch_rows: int = Settings.model_fields["retention_batch_rows"].default
    pause_s: float = Settings.model_fields["retention_batch_pause_s"].default
    baseline_s: float = 10.0
    insert_interval_ms: float = 2.0  # the writer's pause between two inserts
    database: str = "leadmem_bench_retention"
    keep: bool = False


def with_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


def ms_stats(samples: list[float], prefix: str) -> dict[str, float]:
    """max / P99 / P50 in ms of latencies in seconds."""
    if not samples:
        return {f"{prefix}_n": 0}
    ordered = sorted(samples)

    def q(f: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(f * len(ordered)))] * 1000, 2)

    return {f"{prefix}_n": len(ordered), f"{prefix}_max_ms": round(ordered[-1] * 1000, 2),
            f"{prefix}_p999_ms": q(0.999), f"{prefix}_p99_ms": q(0.99),
            f"{prefix}_p50_ms": round(statistics.median(ordered) * 1000, 2),
            f"{prefix}_over_10ms": sum(x > 0.010 for x in ordered)}


async def scratch(settings: Settings, name: str) -> str:
    """A fresh migrated database; returns its admin URL."""
    if name == database_name(settings.database_url) or not name.replace("_", "").isalnum():
        raise ConfigurationError(f"refusing to use {name!r} as the bench database")
    await drop(settings, name)
    admin = with_database(settings.admin_database_url, name)
    password = settings.app_role_password.get_secret_value() if settings.app_role_password \
        else None
    await migrate(admin, owner=settings.owner_role, app=settings.app_role, app_password=password)
    return admin


async def drop(settings: Settings, name: str) -> None:
    conn = await asyncpg.connect(settings.admin_database_url, database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def generate(admin_url: str, cfg: RetentionBench, out: Out) -> dict[str, Any]:
    """The rows, in time order: the expired ones spread over the 30 days before the window,
    the kept ones over the window's first `window_days - 1` days (none at its edge)."""
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(
            "INSERT INTO tenants (id) SELECT 'loc' || t FROM generate_series(0, $1 - 1) t",
            cfg.tenants)
        expired = int(cfg.rows * cfg.expired)
        # A loader's shortcut: no foreign-key trigger per row (every tenant exists).
        await conn.execute("SET session_replication_role = replica")
        started = time.perf_counter()
        chunk = 1_000_000
        for first in range(0, cfg.rows, chunk):
            last = min(cfg.rows, first + chunk) - 1
            await conn.execute(
                """
                INSERT INTO processed_events (tenant_id, consumer, event_id, processed_at,
                                              result)
                SELECT 'loc' || ((i * 7919) % $3), ($5::text[])[1 + (i % 5)::int], 'evt-' || i,
                       CASE WHEN i < $4
                            THEN now() - make_interval(days => $6 + 31)
                                 + (i::float8 / greatest($4, 1)) * interval '30 days'
                            ELSE now() - make_interval(days => $6 - 1)
                                 + ((i - $4)::float8 / greatest($7 - $4, 1))
                                   * make_interval(days => $6 - 2) END,
                       jsonb_build_object('type', 'memory.updated', 'event_id', md5(i::text),
                                          'contact_id', 'c' || (i % 100000))
                  FROM generate_series($1::bigint, $2::bigint) i
                """, first, last, cfg.tenants, expired, list(CONSUMERS), cfg.window_days,
                cfg.rows)
            out(f"  generated {last + 1:,} rows ({time.perf_counter() - started:.0f} s)")
        generate_s = time.perf_counter() - started
        t0 = time.perf_counter()
        await conn.execute("VACUUM ANALYZE processed_events")
        vacuum_s = time.perf_counter() - t0
        size = await conn.fetchval(
            "SELECT pg_size_pretty(pg_total_relation_size('processed_events'))")
        # The 0008 index, built again on the full table: what `leadmem migrate` costs here.
        await conn.execute("DROP INDEX processed_events_processed_at")
        t0 = time.perf_counter()
        await conn.execute(
            "CREATE INDEX processed_events_processed_at ON processed_events (processed_at)")
        index_s = time.perf_counter() - t0
    finally:
        await conn.close()
    return {"rows": cfg.rows, "expired_rows": expired, "generate_s": round(generate_s, 1),
            "vacuum_analyze_s": round(vacuum_s, 1), "table_size": size,
            "index_build_s": round(index_s, 2)}


class Writer:
    """Inserts one processed_events row per tenant transaction, in a thread of its own (its
    own event loop), recording each transaction's latency by phase. With `sync=False` its
    commits do not wait for the WAL flush (`synchronous_commit = off`): what is left of its
    latency is then waiting for locks and CPU, not for the disk."""

    def __init__(self, dsn: str, tenants: int, interval_s: float, *, sync: bool = True) -> None:
        self.dsn, self.tenants, self.interval_s, self.sync = dsn, tenants, interval_s, sync
        self.phase = "baseline"
        self.samples: dict[str, list[float]] = {"baseline": [], "prune": [], "after": []}
        self.errors = 0
        self.lock_timeouts = 0  # waits for a lock over lock_timeout (the second writer's)
        self.pid: int | None = None  # its Postgres backend
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    async def _run(self) -> None:
        db = await TenantDatabase.connect(self.dsn, min_size=1, max_size=1)
        try:
            async with db.pool.acquire() as conn:
                self.pid = await conn.fetchval("SELECT pg_backend_pid()")
            i = 0
            while not self._stop.is_set():
                tenant = f"loc{i % self.tenants}"
                phase = self.phase
                t0 = time.perf_counter()
                try:
                    async with db.transaction(tenant) as conn:
                        if not self.sync:  # and a lock wait over 5 ms would fail it
                            await conn.execute("SET LOCAL synchronous_commit = off; "
                                               "SET LOCAL lock_timeout = '5ms'")
                        await conn.execute(
                            "INSERT INTO processed_events (tenant_id, consumer, event_id, "
                            "result) VALUES ($1, 'bench', $2, $3::jsonb)",
                            tenant, f"live-{uuid.uuid4().hex}", {"type": "memory.updated"})
                except asyncpg.LockNotAvailableError:
                    self.lock_timeouts += 1
                except Exception:
                    self.errors += 1
                else:
                    if phase == self.phase:  # a sample that straddles two phases is dropped
                        self.samples[phase].append(time.perf_counter() - t0)
                i += 1
                await asyncio.sleep(self.interval_s)
        finally:
            await db.close()


async def sample_waits(admin_url: str, writers: dict[str, Writer], phase: str,
                       interval_s: float = 0.01) -> dict[str, dict[str, int]]:
    """What each writer's backend is waiting for while it runs a statement, sampled from
    pg_stat_activity every `interval_s` during `phase` (until cancelled): a wait a sample
    catches is at least as long as the interval, on average."""
    seen: dict[str, dict[str, int]] = {name: {} for name in writers}
    by_pid = {w.pid: name for name, w in writers.items() if w.pid is not None}
    conn = await asyncpg.connect(admin_url)
    try:
        while True:
            rows = await conn.fetch(
                "SELECT pid, coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w "
                "FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND state = 'active'",
                list(by_pid))
            for r in rows:
                name = by_pid[r["pid"]]
                if writers[name].phase == phase:
                    seen[name][r["w"]] = seen[name].get(r["w"], 0) + 1
            await asyncio.sleep(interval_s)
    except asyncio.CancelledError:
        return seen
    finally:
        await conn.close()


async def run(settings: Settings, cfg: RetentionBench, out: Out) -> dict[str, Any]:
    admin = await scratch(settings, cfg.database)
    app = with_database(settings.database_url, cfg.database)
    window = timedelta(days=cfg.window_days)
    result: dict[str, Any] = {}
    try:
        out(f"generating {cfg.rows:,} processed_events rows in {cfg.database} ...")
        result |= await generate(admin, cfg, out)
        out(f"generated in {result['generate_s']} s ({result['table_size']}); the 0008 index "
            f"on processed_at builds in {result['index_build_s']} s")
        writers = {"insert": Writer(app, cfg.tenants, cfg.insert_interval_ms / 1000),
                   "insert_nosync": Writer(app, cfg.tenants, cfg.insert_interval_ms / 1000,
                                           sync=False)}
        for w in writers.values():
            w.start()
        db = await TenantDatabase.connect(app, min_size=1, max_size=1)
        try:
            await asyncio.sleep(cfg.baseline_s)
            wal = await asyncpg.connect(admin)
            try:
                wal_before = await wal.fetchval("SELECT pg_current_wal_lsn()")
            finally:
                await wal.close()
            sampler = asyncio.create_task(sample_waits(admin, writers, "prune"))
            for w in writers.values():
                w.phase = "prune"
            pruned = await retention.prune_ledger(db, "processed_events", window,
                                                  batch_rows=cfg.batch_rows,
                                                  pause_s=cfg.pause_s)
            for w in writers.values():
                w.phase = "after"
            sampler.cancel()
            waits = await sampler
            wal = await asyncpg.connect(admin)
            try:
                wal_bytes = await wal.fetchval(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint",
                    wal_before)
            finally:
                await wal.close()
            again = await retention.prune_ledger(db, "processed_events", window,
                                                 batch_rows=cfg.batch_rows)
            conn = await asyncpg.connect(admin)
            try:
                await conn.execute("VACUUM processed_events")  # what autovacuum will do
            finally:
                await conn.close()
            vacuumed = await retention.prune_ledger(db, "processed_events", window,
                                                    batch_rows=cfg.batch_rows)
        finally:
            for w in writers.values():
                w.stop()
            await db.close()
        result |= {
            "pruned_rows": pruned.rows, "prune_s": round(pruned.seconds, 2),
            "prune_rows_per_s": round(pruned.rows_per_s), "batches": pruned.batches,
            "longest_statement_ms": round(pruned.longest_s * 1000, 1),
            "mean_statement_ms": round(pruned.statements_s / max(pruned.batches, 1) * 1000,
                                       1),
            "wal_mb": round(wal_bytes / 1e6), "wal_bytes_per_row": round(
                wal_bytes / max(pruned.rows, 1)),
            "next_run_ms": round(again.seconds * 1000, 1),
            "next_run_after_vacuum_ms": round(vacuumed.seconds * 1000, 1),
            "writer_errors": sum(w.errors for w in writers.values()),
            "lock_waits_over_5ms": writers["insert_nosync"].lock_timeouts,
            "writer_waits_sampled": waits,
        }
        for name, w in writers.items():
            result |= ms_stats(w.samples["baseline"], f"{name}_alone")
            result |= ms_stats(w.samples["prune"], f"{name}_during_prune")
        conn = await asyncpg.connect(admin)
        try:
            left = await conn.fetchrow(
                "SELECT count(*) AS n, count(*) FILTER "
                "(WHERE processed_at < now() - $1::interval) AS old "
                "FROM processed_events WHERE consumer <> 'bench'", window)
        finally:
            await conn.close()
        result |= {"kept_rows": left["n"], "kept_rows_older_than_window": left["old"]}
        out(f"pruned {pruned.rows:,} rows in {pruned.seconds:.1f} s "
            f"({pruned.rows_per_s:,.0f} rows/s), {pruned.batches} statements of "
            f"{result['mean_statement_ms']} ms on average, longest "
            f"{pruned.longest_s * 1000:.1f} ms, {result['wal_mb']} MB of WAL "
            f"({result['wal_bytes_per_row']} bytes/row); the next run: "
            f"{again.seconds * 1000:.1f} ms, after a VACUUM {vacuumed.seconds * 1000:.1f} ms")
        for name in writers:
            for phase in ("alone", "during_prune"):
                prefix = f"{name}_{phase}_"
                out(f"{name} {phase.replace('_', ' ')}: " + ", ".join(
                    f"{k.removeprefix(prefix).replace('_', ' ')} {v}"
                    for k, v in result.items() if k.startswith(prefix)))
        out(f"writers' backends during the prune, sampled every 10 ms: {waits}")
        out(f"lock waits over 5 ms: {result['lock_waits_over_5ms']}; kept {left['n']:,} rows, "
            f"{left['old']} of them older than the window")
    finally:
        if not cfg.keep:
            await drop(settings, cfg.database)
    result["config"] = asdict(cfg)
    return result
