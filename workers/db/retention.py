"""Retention: delete what the windows no longer keep, in batches that never hold writers up.

What is pruned (windows in `Settings.retention_*`, reasons in docs/operations.md "Retention"):

- the ledgers that gain a row per event, across tenants: `webhook_receipts` (ingestion's
  dedupe claims), `processed_events` (every consumer's idempotency record) and `dlq_replays`
  (what `leadmem dlq replay` re-published). Each batch is one call of the SECURITY DEFINER
  function `retention_prune` (migrations/0008_retention.sql), made on the workers'
  connection outside any transaction: one short statement that deletes up to
  `retention_batch_rows` rows older than the window, oldest first, and commits. It returns
  the time of the newest row it deleted, where the next batch starts, so a run never walks
  the index entries of rows it already deleted. The function returns counts, never rows, and
  refuses a window under one day, so the workers' role gains no visibility of any tenant's
  rows and cannot empty a ledger through it.
- messages, only of tenants whose `tenant_settings.message_retention_days` is set: inside
  that tenant's own transactions (row-level security as for any worker), lead by lead in
  chunks of contacts, each delete limited to a batch, through the existing
  `messages_contact_time` index (no new index on the largest tenant table).

- the data of tenants that uninstalled the app more than `uninstall_purge_days` ago
  (`purge_uninstalled`): the SECURITY DEFINER function `retention_uninstalled_tenants`
  (migrations/0014_install.sql) names them (keys only); then, inside each one's own
  transactions, its consent ledger rows are detached from its contacts keeping the keyed
  hashes of their addresses (`consent_ledger.store.forget_tenant`: a reinstall still
  suppresses an opted-out phone), every other row of every table with a `tenant_id` is
  deleted in batches (found, not listed: a new table is purged too; `contacts` last), then
  its settings (`tenants.store.purged`). Its `tenants` row and `consent_events` stay. Each
  batch re-checks, under a share lock on the tenant's row, that it is still uninstalled and
  due, so a reinstall stops a purge at once.

Pruning messages leaves each contact's `message_count` (the number of messages ever stored:
a counter the memory worker increments, never a count of rows) and `summary` (the bounded
digest of older history, which by design outlives the verbatim messages) as they are.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from workers.consent_ledger import store as ledger
from workers.db.tenant import TenantDatabase
from workers.settings import Settings
from workers.tenants import store as tenants

LEDGERS: tuple[str, ...] = ("webhook_receipts", "processed_events", "dlq_replays")
CONTACTS_PER_CHUNK = 500  # leads whose old messages one message batch may take

_PRUNE = "SELECT deleted, last_at FROM retention_prune($1, $2, $3, $4)"
_EXPIRED = "SELECT retention_expired($1, $2)"
_MESSAGE_TENANTS = "SELECT tenant_id, retention_days FROM retention_message_tenants()"
_CONTACTS = """SELECT contact_id FROM contacts WHERE tenant_id = $1 AND contact_id > $2
               ORDER BY contact_id LIMIT $3"""
_PRUNE_MESSAGES = """
    DELETE FROM messages WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM messages
         WHERE tenant_id = $1 AND contact_id = ANY ($2::text[])
           AND occurred_at < now() - make_interval(days => $3)
         LIMIT $4 FOR UPDATE SKIP LOCKED))
"""
_EXPIRED_MESSAGES = """SELECT count(*) FROM messages
                       WHERE tenant_id = $1 AND occurred_at < now() - make_interval(days => $2)"""

PURGE = "uninstalled_tenant"  # `Pruned.table` of a purged tenant's data
_UNINSTALLED = "SELECT tenant_id FROM retention_uninstalled_tenants($1)"
# Every table of tenant rows but the ledger (kept) and the settings (`tenants.store.purged`).
_PURGED_TABLES = """SELECT DISTINCT table_name FROM information_schema.columns
                     WHERE table_schema = 'public' AND column_name = 'tenant_id'
                       AND table_name NOT IN ('consent_events', 'tenant_settings')"""
_STILL_DUE = """SELECT true FROM tenants WHERE id = $1 AND status = 'uninstalled'
                   AND purged_at IS NULL AND uninstalled_at < now() - $2::interval
                   FOR SHARE"""
_PURGE_BATCH = """DELETE FROM "{table}" WHERE ctid = ANY (ARRAY(
                      SELECT ctid FROM "{table}" WHERE tenant_id = $1 LIMIT $2))"""
_COUNT = 'SELECT count(*) FROM "{table}" WHERE tenant_id = $1'

Report = Callable[[str], None]


@dataclass
class Pruned:
    """What one table (or one tenant's messages) lost in a run, or would lose (dry run)."""

    table: str
    window: timedelta
    rows: int = 0
    batches: int = 0
    seconds: float = 0.0  # the whole run, pauses included
    statements_s: float = 0.0  # the statements alone
    longest_s: float = 0.0  # the longest single statement
    tenant: str | None = None

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def _batch(self, rows: int, seconds: float) -> None:
        self.rows += rows
        self.batches += 1
        self.statements_s += seconds
        self.longest_s = max(self.longest_s, seconds)


def ledger_windows(settings: Settings) -> dict[str, timedelta]:
    """Each ledger's window, from the settings."""
    return {
        "webhook_receipts": timedelta(days=settings.retention_webhook_receipts_days),
        "processed_events": timedelta(days=settings.retention_processed_events_days),
        "dlq_replays": timedelta(days=settings.retention_dlq_replays_days),
    }


async def prune_ledger(db: TenantDatabase, table: str, window: timedelta, *, batch_rows: int,
                       pause_s: float = 0.0) -> Pruned:
    """Delete `table`'s rows older than `window`, batch after batch, until none is left."""
    out = Pruned(table, window)
    started = time.perf_counter()
    after = None
    while True:
        t0 = time.perf_counter()
        async with db.pool.acquire() as conn:
            row = await conn.fetchrow(_PRUNE, table, window, after, batch_rows)
        out._batch(row["deleted"], time.perf_counter() - t0)
        # Fewer than a batch: nothing older is left (or another pruner holds the rest).
        if row["deleted"] < batch_rows:
            break
        after = row["last_at"]
        if pause_s:
            await asyncio.sleep(pause_s)
    out.seconds = time.perf_counter() - started
    return out


async def message_retention(db: TenantDatabase) -> list[tuple[str, int]]:
    """(tenant, days) of every tenant whose messages have a retention (keys only)."""
    async with db.pool.acquire() as conn:
        return [(r["tenant_id"], r["retention_days"]) for r in await conn.fetch(_MESSAGE_TENANTS)]


async def prune_messages(db: TenantDatabase, tenant: str, days: int, *, batch_rows: int,
                         pause_s: float = 0.0) -> Pruned:
    """Delete one tenant's messages older than `days`, in its own short transactions."""
    out = Pruned("messages", timedelta(days=days), tenant=tenant)
    started = time.perf_counter()
    last = ""
    while True:
        async with db.transaction(tenant) as conn:
            contacts = [r["contact_id"]
                        for r in await conn.fetch(_CONTACTS, tenant, last, CONTACTS_PER_CHUNK)]
        if not contacts:
            break
        while True:
            t0 = time.perf_counter()
            async with db.transaction(tenant) as conn:
                status = await conn.execute(_PRUNE_MESSAGES, tenant, contacts, days, batch_rows)
            deleted = int(status.rsplit(" ", 1)[-1])
            out._batch(deleted, time.perf_counter() - t0)
            if deleted < batch_rows:
                break
            if pause_s:
                await asyncio.sleep(pause_s)
        last = contacts[-1]
    out.seconds = time.perf_counter() - started
    return out


def purge_window(settings: Settings) -> timedelta:
    return timedelta(days=settings.uninstall_purge_days)


async def uninstalled_due(db: TenantDatabase, window: timedelta) -> list[str]:
    """The tenants uninstalled longer ago than `window` and not purged yet (keys only)."""
    async with db.pool.acquire() as conn:
        return [r["tenant_id"] for r in await conn.fetch(_UNINSTALLED, window)]


async def _purged_tables(conn: asyncpg.Connection) -> list[str]:
    names = sorted(r["table_name"] for r in await conn.fetch(_PURGED_TABLES))
    return [t for t in names if t != "contacts"] + (["contacts"] if "contacts" in names else [])


async def purge_tenant(db: TenantDatabase, tenant: str, window: timedelta, *,
                       batch_rows: int, pause_s: float = 0.0) -> Pruned:
    """Delete an uninstalled tenant's data but its consent ledger and its `tenants` row, in
    its own short transactions; stops (the rows left as they are) as soon as the tenant is
    no longer uninstalled and due (a reinstall)."""
    out = Pruned(PURGE, window, tenant=tenant)
    started = time.perf_counter()
    async with db.transaction(tenant) as conn:
        if not await conn.fetchval(_STILL_DUE, tenant, window):
            return out
        await ledger.forget_tenant(conn, tenant)  # before its contacts (and hashes) go
        tables = await _purged_tables(conn)
    for table in tables:
        while True:
            t0 = time.perf_counter()
            async with db.transaction(tenant) as conn:
                if not await conn.fetchval(_STILL_DUE, tenant, window):
                    out.seconds = time.perf_counter() - started
                    return out
                status = await conn.execute(_PURGE_BATCH.format(table=table), tenant,
                                            batch_rows)
            deleted = int(status.rsplit(" ", 1)[-1])
            out._batch(deleted, time.perf_counter() - t0)
            if deleted < batch_rows:
                break
            if pause_s:
                await asyncio.sleep(pause_s)
    async with db.transaction(tenant) as conn:
        if await conn.fetchval(_STILL_DUE, tenant, window):
            await tenants.purged(conn, tenant)
    out.seconds = time.perf_counter() - started
    return out


async def purge_uninstalled(db: TenantDatabase, settings: Settings,
                            report: Report | None = None) -> list[Pruned]:
    """Purge every tenant uninstalled longer ago than `uninstall_purge_days`."""
    window, out = purge_window(settings), []
    for tenant in await uninstalled_due(db, window):
        out.append(await purge_tenant(db, tenant, window,
                                      batch_rows=settings.retention_batch_rows,
                                      pause_s=settings.retention_batch_pause_s))
        if report is not None:
            report(describe(out[-1]))
    return out


async def expired(db: TenantDatabase, settings: Settings) -> list[Pruned]:
    """What a run would delete now, counted (`leadmem prune --dry-run`)."""
    out = []
    for table, window in ledger_windows(settings).items():
        async with db.pool.acquire() as conn:
            out.append(Pruned(table, window, rows=await conn.fetchval(_EXPIRED, table, window)))
    for tenant, days in await message_retention(db):
        async with db.transaction(tenant) as conn:
            count = await conn.fetchval(_EXPIRED_MESSAGES, tenant, days)
        out.append(Pruned("messages", timedelta(days=days), rows=count, tenant=tenant))
    window = purge_window(settings)
    for tenant in await uninstalled_due(db, window):
        async with db.transaction(tenant) as conn:
            count = sum([await conn.fetchval(_COUNT.format(table=t), tenant)
                         for t in await _purged_tables(conn)])
        out.append(Pruned(PURGE, window, rows=count, tenant=tenant))
    return out


async def prune_all(db: TenantDatabase, settings: Settings,
                    report: Report | None = None) -> list[Pruned]:
    """One retention run: every ledger, the messages of every tenant with a retention, then
    the data of every tenant uninstalled longer ago than the purge window."""
    batch, pause = settings.retention_batch_rows, settings.retention_batch_pause_s
    out = []
    for table, window in ledger_windows(settings).items():
        out.append(await prune_ledger(db, table, window, batch_rows=batch, pause_s=pause))
        if report is not None:
            report(describe(out[-1]))
    for tenant, days in await message_retention(db):
        out.append(await prune_messages(db, tenant, days, batch_rows=batch, pause_s=pause))
        if report is not None:
            report(describe(out[-1]))
    out += await purge_uninstalled(db, settings, report)
    return out


def describe(p: Pruned) -> str:
    if p.table == PURGE:
        what = (f"data of {p.tenant}, uninstalled more than {p.window.days} days ago: "
                f"{p.rows} row(s)")
    else:
        where = f"messages of {p.tenant}" if p.tenant else p.table
        what = f"{where}: {p.rows} row(s) older than {p.window.days} days"
    return (f"{what} deleted in "
            f"{p.batches} batch(es), {p.seconds:.2f} s, longest statement "
            f"{p.longest_s * 1000:.1f} ms")
