"""Retention's logic without Postgres: the batch loop, the message walk, the periodic job, the
settings' windows, and what migrations/0008_retention.sql grants."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from pydantic import ValidationError

from workers.db import retention
from workers.db.migrate import MIGRATIONS_DIR
from workers.db.tenant import TenantDatabase
from workers.metrics import retention as job_module
from workers.settings import Settings

T0 = datetime(2026, 11, 1, tzinfo=UTC)
SQL = (MIGRATIONS_DIR / "0008_retention.sql").read_text()


class FakeConn:
    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    async def _answer(self, query: str, args: tuple[Any, ...]) -> Any:
        self.calls.append((query, args))
        answer = self.answers.pop(0)
        return answer(args) if callable(answer) else answer

    async def fetchrow(self, query: str, *args: Any) -> Any:
        return await self._answer(query, args)

    async def fetch(self, query: str, *args: Any) -> Any:
        return await self._answer(query, args)

    async def execute(self, query: str, *args: Any) -> Any:
        return await self._answer(query, args)


class FakePool:
    def __init__(self, conn: FakeConn) -> None:
        self.conn = conn

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[FakeConn]:
        yield self.conn


class FakeDB:
    def __init__(self, conn: FakeConn) -> None:
        self.pool = FakePool(conn)
        self.tenants: list[str] = []

    @asynccontextmanager
    async def transaction(self, tenant: str) -> AsyncIterator[FakeConn]:
        self.tenants.append(tenant)
        yield self.pool.conn


def db_of(conn: FakeConn) -> TenantDatabase:
    return cast(TenantDatabase, FakeDB(conn))


async def test_batches_go_on_from_where_the_last_stopped_until_one_is_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(retention.asyncio, "sleep", sleep)
    t1, t2 = T0, T0 + timedelta(hours=1)
    conn = FakeConn([{"deleted": 5, "last_at": t1}, {"deleted": 5, "last_at": t2},
                     {"deleted": 3, "last_at": t2 + timedelta(hours=1)}])
    out = await retention.prune_ledger(db_of(conn), "processed_events", timedelta(days=14),
                                       batch_rows=5, pause_s=0.25)
    assert [args for _, args in conn.calls] == [
        ("processed_events", timedelta(days=14), None, 5),
        ("processed_events", timedelta(days=14), t1, 5),
        ("processed_events", timedelta(days=14), t2, 5)]
    assert all("retention_prune" in q for q, _ in conn.calls)
    assert (out.rows, out.batches, pauses) == (13, 3, [0.25, 0.25])
    assert out.longest_s >= 0 and out.seconds >= out.longest_s


async def test_a_full_last_batch_costs_one_empty_statement() -> None:
    conn = FakeConn([{"deleted": 2, "last_at": T0}, {"deleted": 0, "last_at": None}])
    out = await retention.prune_ledger(db_of(conn), "webhook_receipts", timedelta(days=14),
                                       batch_rows=2)
    assert (out.rows, out.batches) == (2, 2)


async def test_messages_are_walked_lead_by_lead_in_the_tenants_own_transactions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retention, "CONTACTS_PER_CHUNK", 2)
    conn = FakeConn([
        [{"contact_id": "a"}, {"contact_id": "b"}],
        "DELETE 3", "DELETE 1",  # a full batch of 3, then a short one: the next chunk
        [{"contact_id": "c"}],
        "DELETE 0",
        [],
    ])
    fake = FakeDB(conn)
    out = await retention.prune_messages(cast(TenantDatabase, fake), "locA", 30,
                                         batch_rows=3)
    assert (out.rows, out.batches, out.tenant, out.window) == (4, 3, "locA", timedelta(30))
    assert set(fake.tenants) == {"locA"}
    walks = [args for q, args in conn.calls if "FROM contacts" in q]
    assert walks == [("locA", "", 2), ("locA", "b", 2), ("locA", "c", 2)]
    deletes = [args for q, args in conn.calls if q.lstrip().startswith("DELETE")]
    assert deletes == [("locA", ["a", "b"], 30, 3)] * 2 + [("locA", ["c"], 30, 3)]


def test_the_windows_and_their_guard() -> None:
    s = Settings()
    assert retention.ledger_windows(s) == {
        "webhook_receipts": timedelta(days=14), "processed_events": timedelta(days=14),
        "dlq_replays": timedelta(days=30)}
    assert set(retention.ledger_windows(s)) == set(retention.LEDGERS)
    with pytest.raises(ValidationError, match="must outlast max_event_age_s"):
        Settings(retention_webhook_receipts_days=1, max_event_age_s=86_400)
    with pytest.raises(ValidationError):
        Settings(retention_processed_events_days=0)


def test_the_migration_prunes_the_tables_the_code_names() -> None:
    mapping = dict(re.findall(r"WHEN '(\w+)' THEN '(\w+)'", SQL))
    assert set(mapping) == set(retention.LEDGERS)
    policies = re.findall(r"CREATE POLICY (\w+) ON (%I|\w+) FOR (\w+) TO (\w+)", SQL)
    assert {name for name, *_ in policies} == {
        "retention_read", "retention_lock", "retention_delete", "retention_tenants"}
    assert all(to == "CURRENT_USER" for *_, to in policies)  # the owner's alone
    assert "WITH CHECK (false)" in SQL  # the owner may lock old rows, never change them
    # Every SECURITY DEFINER function pins its search_path.
    for body in re.split(r"CREATE FUNCTION", SQL)[1:]:
        head = body.split("AS $$")[0]
        if "SECURITY DEFINER" in head:
            assert "SET search_path = public, pg_temp" in head, head


async def test_the_periodic_job_survives_a_failed_run(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    closed: list[bool] = []
    third = asyncio.Event()

    class DB:
        async def close(self) -> None:
            closed.append(True)

    async def connect(*_: Any, **__: Any) -> DB:
        return DB()

    async def prune_all(db: Any, settings: Settings) -> list[retention.Pruned]:
        runs.append("run")
        if len(runs) == 3:
            third.set()
        if len(runs) == 1:
            raise OSError("postgres away")
        return [retention.Pruned("processed_events", timedelta(days=14), rows=7)]

    monkeypatch.setattr(job_module.TenantDatabase, "connect", connect)
    monkeypatch.setattr(job_module.retention, "prune_all", prune_all)
    failed = job_module.RUNS.labels("failed")._value.get()
    pruned = job_module.PRUNED_ROWS.labels("processed_events")._value.get()
    job = job_module.RetentionJob(Settings(retention_interval_s=0.01))
    assert job.first_run_after_s == 0.01
    task = asyncio.get_running_loop().create_task(job.run())
    await asyncio.wait_for(third.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await job.close()
    assert job_module.RUNS.labels("failed")._value.get() == failed + 1
    assert job_module.PRUNED_ROWS.labels("processed_events")._value.get() >= pruned + 14
    assert job_module.LAST_SUCCESS._value.get() > 0 and closed == [True]
