"""Retention against the real Postgres, as the workers' role: the ledgers lose exactly their
rows older than the window, of every tenant; messages only where a tenant set a retention;
and the SECURITY DEFINER functions give the workers' role no view of any tenant's rows."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import redirect_stdout
from typing import Any

import asyncpg
import pytest

import workers.cli
from tests.conftest import new_tenant
from tests.support.services import ServiceUrls
from workers.db import retention
from workers.db.tenant import TenantDatabase
from workers.settings import Settings

pytestmark = pytest.mark.integration

# Ages in days: older than the 14-day windows, just inside them, and fresh.
OLD, INSIDE, FRESH = 20.0, 13.0, 0.01


@pytest.fixture
def settings(migrated: ServiceUrls) -> Settings:
    return Settings(database_url=migrated.database_url,
                    admin_database_url=migrated.admin_database_url,
                    retention_batch_rows=2)  # several batches, ties across a batch's edge


@pytest.fixture
async def admin(migrated: ServiceUrls) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(migrated.admin_database_url)
    yield conn
    await conn.close()


async def seed(admin: asyncpg.Connection, tenant: str) -> None:
    """Ledger rows of one tenant at each age (as a superuser: backdated on purpose). Five
    old processed_events share one timestamp, so batches of 2 split the tie."""
    await admin.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
    tie = await admin.fetchval("SELECT now() - interval '21 days'")
    for i in range(5):
        await admin.execute(
            "INSERT INTO processed_events (tenant_id, consumer, event_id, processed_at) "
            "VALUES ($1, 'memory', $2, $3)", tenant, f"tie{i}", tie)
    for age in (OLD, INSIDE, FRESH):
        at = f"now() - make_interval(secs => {age * 86400})"
        await admin.execute(
            "INSERT INTO processed_events (tenant_id, consumer, event_id, processed_at) "
            f"VALUES ($1, 'learning', $2, {at})", tenant, f"e{age}")
        await admin.execute(
            "INSERT INTO webhook_receipts (tenant_id, dedupe_key, event_id, event_type, "
            f"source_partition, source_offset, received_at) VALUES ($1, $2, 'e', 'T', 0, 0, "
            f"{at})", tenant, f"k{age}")
        await admin.execute(
            "INSERT INTO dlq_replays (worker, source_topic, source_partition, source_offset, "
            f"tenant, dlq_partition, dlq_offset, error_type, replayed_at) VALUES ('memory', "
            f"'conversation.events', 0, $2, $1, 0, 0, 'E', {at} - interval '20 days')",
            tenant, int(uuid.uuid4().int % 1_000_000_000))


async def ledger(admin: asyncpg.Connection, tenant: str) -> dict[str, int]:
    return {
        "processed_events": await admin.fetchval(
            "SELECT count(*) FROM processed_events WHERE tenant_id = $1", tenant),
        "webhook_receipts": await admin.fetchval(
            "SELECT count(*) FROM webhook_receipts WHERE tenant_id = $1", tenant),
        "dlq_replays": await admin.fetchval(
            "SELECT count(*) FROM dlq_replays WHERE tenant = $1", tenant),
    }


async def test_prune_deletes_only_rows_older_than_the_window_of_every_tenant(
    db: TenantDatabase, admin: asyncpg.Connection, settings: Settings,
) -> None:
    a, b = new_tenant(), new_tenant()
    for tenant in (a, b):
        await seed(admin, tenant)
        assert await ledger(admin, tenant) == {
            "processed_events": 8, "webhook_receipts": 3, "dlq_replays": 3}
    counted = {p.table: p.rows for p in await retention.expired(db, settings)}
    assert counted["processed_events"] >= 2 * 6 and counted["webhook_receipts"] >= 2
    # dlq_replays: 30-day window; the rows are 20 days older than their age, so the OLD
    # (40 days) and INSIDE (33 days) ones go, the fresh (20 days) one stays.
    done = {p.table: p for p in await retention.prune_all(db, settings)}
    assert done["processed_events"].rows >= 2 * 6 and done["processed_events"].batches >= 6
    for tenant in (a, b):
        assert await ledger(admin, tenant) == {
            "processed_events": 2, "webhook_receipts": 2, "dlq_replays": 1}
        kept = {r["event_id"] for r in await admin.fetch(
            "SELECT event_id FROM processed_events WHERE tenant_id = $1", tenant)}
        assert kept == {f"e{INSIDE}", f"e{FRESH}"}
    again = await retention.prune_all(db, settings)
    assert all(p.rows == 0 for p in again if p.table != "messages")


async def test_messages_are_pruned_only_for_a_tenant_with_a_retention(
    db: TenantDatabase, admin: asyncpg.Connection, settings: Settings,
) -> None:
    kept_for_ever, pruned = new_tenant(), new_tenant()
    for tenant, days in ((kept_for_ever, None), (pruned, 30)):
        await admin.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await admin.execute("INSERT INTO tenant_settings (tenant_id, message_retention_days) "
                            "VALUES ($1, $2)", tenant, days)
        for c in range(3):
            await admin.execute(
                "INSERT INTO contacts (tenant_id, contact_id, message_count, summary) "
                "VALUES ($1, $2, 7, 'a summary')", tenant, f"c{c}")
            for m, age in enumerate((400, 200, 45, 31, 29, 1, 0)):
                await admin.execute(
                    "INSERT INTO messages (tenant_id, event_id, contact_id, direction, "
                    "channel, sender, occurred_at) VALUES ($1, $2, $3, 'inbound', 'sms', "
                    "'lead', now() - make_interval(days => $4))",
                    tenant, f"m{c}-{m}", f"c{c}", age)
    tenants = dict(await retention.message_retention(db))
    assert tenants.get(pruned) == 30 and kept_for_ever not in tenants
    counted = {p.tenant: p.rows for p in await retention.expired(db, settings)
               if p.table == "messages"}
    assert counted[pruned] == 3 * 4
    done = [p for p in await retention.prune_all(db, settings) if p.tenant == pruned]
    assert len(done) == 1 and done[0].rows == 3 * 4
    left = dict(await admin.fetch(
        "SELECT tenant_id, count(*) FROM messages WHERE tenant_id = ANY($1::text[]) "
        "GROUP BY tenant_id", [kept_for_ever, pruned]))
    assert left == {kept_for_ever: 3 * 7, pruned: 3 * 3}
    # The contact's bookkeeping is left as it was (a lifetime counter, a rolling digest).
    rows = await admin.fetch("SELECT DISTINCT message_count, summary FROM contacts "
                             "WHERE tenant_id = $1", pruned)
    assert [tuple(r) for r in rows] == [(7, "a summary")]


async def test_the_workers_role_sees_no_tenants_rows_through_retention(
    db: TenantDatabase, admin: asyncpg.Connection,
) -> None:
    a, b = new_tenant(), new_tenant()
    for tenant in (a, b):
        await seed(admin, tenant)
    async with db.pool.acquire() as conn:
        # Outside a tenant transaction: no row of any ledger, old or new.
        for table in ("processed_events", "webhook_receipts", "dlq_replays"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
        # The functions answer counts and a time, never rows; and refuse what is not theirs.
        assert isinstance(await conn.fetchval(
            "SELECT retention_expired('processed_events', interval '14 days')"), int)
        for bad in ("SELECT retention_expired('contacts', interval '14 days')",
                    "SELECT retention_expired('processed_events', interval '23 hours')",
                    "SELECT * FROM retention_prune('processed_events', interval '1 hour', "
                    "NULL, 10)",
                    "SELECT * FROM retention_prune('messages', interval '30 days', NULL, 10)",
                    "SELECT * FROM retention_prune('processed_events', interval '2 days', "
                    "NULL, 1000000)"):
            with pytest.raises(asyncpg.InvalidParameterValueError):
                await conn.execute(bad)
        # The owner's policies are the owner's: as itself, the role still deletes nothing
        # of another tenant's, however old.
        before = await ledger(admin, b)
        assert await conn.execute(
            "DELETE FROM processed_events WHERE processed_at < now() - interval '2 days'"
        ) == "DELETE 0"
    async with db.transaction(a) as conn:
        owners = {r["tenant_id"] for r in await conn.fetch(
            "SELECT tenant_id FROM processed_events")}
        assert owners == {a}
        assert await conn.execute(
            "DELETE FROM webhook_receipts WHERE tenant_id = $1", b) == "DELETE 0"
        assert await conn.fetchval("SELECT count(*) FROM dlq_replays") == 0
    assert await ledger(admin, b) == before
    # And the one cross-tenant read it gains is the list of tenants with a message retention.
    async with db.pool.acquire() as conn:
        cols = [a.name for a in (await conn.prepare(
            "SELECT * FROM retention_message_tenants()")).get_attributes()]
        assert cols == ["tenant_id", "retention_days"]
        assert await conn.fetchval("SELECT count(*) FROM tenant_settings") == 0


async def test_leadmem_prune_dry_run_counts_then_prune_deletes(
    admin: asyncpg.Connection, migrated: ServiceUrls, monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = new_tenant()
    await seed(admin, tenant)
    monkeypatch.setenv("LEADMEM_DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("LEADMEM_ADMIN_DATABASE_URL", migrated.admin_database_url)

    def leadmem(*argv: str) -> tuple[Any, str]:
        out = io.StringIO()
        with redirect_stdout(out), pytest.raises(SystemExit) as done:
            workers.cli.main(list(argv))
        return done.value.code, out.getvalue()

    code, text = await asyncio.to_thread(leadmem, "prune", "--dry-run")
    assert code == 0 and "would be deleted" in text and "processed_events" in text
    assert (await ledger(admin, tenant))["processed_events"] == 8
    code, text = await asyncio.to_thread(leadmem, "prune")
    assert code == 0 and "LONGEST STATEMENT" in text, text
    assert (await ledger(admin, tenant))["processed_events"] == 2
    assert os.environ["LEADMEM_DATABASE_URL"] == migrated.database_url
    # A tenant's message retention, set and cleared by the operator.
    code, text = await asyncio.to_thread(leadmem, "retention", "messages", tenant, "90")
    assert code == 0 and "kept 90 days" in text
    code, text = await asyncio.to_thread(leadmem, "retention", "show")
    assert code == 0 and any(line.split() == ["messages", tenant, "90", "days"]
                             for line in text.splitlines()), text
    assert await admin.fetchval("SELECT message_retention_days FROM tenant_settings "
                                "WHERE tenant_id = $1", tenant) == 90
    code, _ = await asyncio.to_thread(leadmem, "retention", "messages", tenant, "off")
    assert code == 0 and await admin.fetchval(
        "SELECT message_retention_days FROM tenant_settings WHERE tenant_id = $1",
        tenant) is None

