"""Tenant isolation, tested adversarially as the workers' role (never as the owner)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.conftest import new_tenant
from tests.support.services import ServiceUrls
from workers.db.tenant import TenantDatabase

pytestmark = pytest.mark.integration

# One minimal row per tenant table: (columns, values) with $1 = tenant id.
ROWS: dict[str, tuple[str, str]] = {
    "tenant_settings": ("tenant_id", "$1"),
    "processed_events": ("tenant_id, consumer, event_id", "$1, 'c', 'e1'"),
    "webhook_receipts": (
        "tenant_id, dedupe_key, event_id, event_type, source_partition, source_offset",
        "$1, 'k', 'e', 'InboundMessage', 0, 0",
    ),
    "contacts": ("tenant_id, contact_id", "$1, 'c1'"),
    "contact_tag_changes": (
        "tenant_id, contact_id, event_id, added, removed, changed_at",
        "$1, 'c1', 'e', '{a}', '{}', now()",
    ),
    "conversations": ("tenant_id, conversation_id, contact_id", "$1, 'v1', 'c1'"),
    "messages": (
        "tenant_id, event_id, contact_id, direction, channel, sender, occurred_at",
        "$1, 'e1', 'c1', 'inbound', 'sms', 'lead', now()",
    ),
    "lead_events": (
        "tenant_id, event_id, contact_id, kind, ghl_type, occurred_at",
        "$1, 'e1', 'c1', 'note', 'NoteCreate', now()",
    ),
    "lead_facts": (
        "tenant_id, contact_id, field, value, valid_from", "$1, 'c1', 'budget_max', '1', now()"
    ),
    "lead_profiles": ("tenant_id, contact_id", "$1, 'c1'"),
    "replies": (
        "tenant_id, idempotency_key, event_id, contact_id, channel, body, mode",
        "$1, 'k1', 'e1', 'c1', 'sms', 'hi', 'buyer'",
    ),
    "listings": ("tenant_id, listing_id, price", "$1, 'L1', 400000"),
    "comparable_sales": ("tenant_id, sale_id, sold_price, sold_at", "$1, 's1', 400000, now()"),
    "ghl_oauth_tokens": ("tenant_id, refresh_token_enc", "$1, '\\xdead'::bytea"),
    "ghl_company_locations": ("tenant_id, company_id", "$1, 'co1'"),
    "crm_contacts": ("tenant_id, contact_id", "$1, 'c1'"),
    "crm_writes": ("tenant_id, intent_key, contact_id, kind, status",
                   "$1, 'task:e1', 'c1', 'task', 'done'"),
    "consent_events": ("tenant_id, entry_id, contact_id, channel, kind, source, occurred_at",
                       "$1, 'x1', 'c1', 'all', 'opted_out', 'lead_message', now()"),
    "inbound_marks": ("tenant_id, contact_id, event_id, occurred_at", "$1, 'c1', 'e1', now()"),
    "timers": ("tenant_id, timer_id, contact_id, kind, due_at",
               "$1, 't1', 'c1', 'first_touch', now()"),
    "booking_offers": ("tenant_id, offer_id, contact_id, calendar_id, timezone, slots",
                       "$1, 'o1', 'c1', 'cal1', 'America/Chicago', '[]'::jsonb"),
    "appointments": ("tenant_id, appointment_id, contact_id, status",
                     "$1, 'a1', 'c1', 'confirmed'"),
    "listing_feeds": ("tenant_id, base_url, auth", "$1, 'https://api.example.com', 'bearer'"),
}


async def tenant_tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'tenant_id'"
    )
    return {r["table_name"] for r in rows}


@pytest.fixture
async def app_db(migrated: ServiceUrls) -> AsyncIterator[TenantDatabase]:
    db = await TenantDatabase.connect(migrated.database_url, min_size=1, max_size=1)
    yield db
    await db.close()


async def seed(db: TenantDatabase, tenant: str) -> None:
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        for table, (cols, vals) in ROWS.items():
            await conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({vals})", tenant)


async def test_every_tenant_table_is_covered_and_forced(migrated: ServiceUrls) -> None:
    conn = await asyncpg.connect(migrated.admin_database_url)
    try:
        tables = await tenant_tables(conn)
        rls = await conn.fetch(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY($1::text[])", [*tables, "tenants"],
        )
        for row in rls:
            assert row["relrowsecurity"] and row["relforcerowsecurity"], row["relname"]
        role = await conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'leadmem_app'"
        )
        assert role is not None and not role["rolsuper"] and not role["rolbypassrls"]
        owned = await conn.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tableowner = 'leadmem_app'"
        )
        assert owned == 0
    finally:
        await conn.close()
    missing = tables - set(ROWS)
    assert not missing, f"add rows for new tenant tables to this test: {missing}"


async def test_tenant_sees_only_its_rows_and_cannot_write_for_another(
    app_db: TenantDatabase,
) -> None:
    a, b = new_tenant(), new_tenant()
    await seed(app_db, a)
    await seed(app_db, b)
    async with app_db.transaction(a) as conn:
        assert [r["id"] for r in await conn.fetch("SELECT id FROM tenants")] == [a]
        for table in ROWS:
            owners = {r["tenant_id"] for r in await conn.fetch(f"SELECT tenant_id FROM {table}")}
            assert owners == {a}, table
    for table, (cols, vals) in ROWS.items():
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            async with app_db.transaction(a) as conn:
                await conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({vals})", b)
    async with app_db.transaction(a) as conn:
        # Updates and deletes of another tenant's rows silently touch nothing.
        assert await conn.execute("UPDATE contacts SET name = 'x' WHERE tenant_id = $1", b) \
            == "UPDATE 0"
        assert await conn.execute("DELETE FROM messages WHERE tenant_id = $1", b) == "DELETE 0"


async def test_nothing_is_visible_without_a_tenant_and_settings_never_leak(
    app_db: TenantDatabase,
) -> None:
    a = new_tenant()
    await seed(app_db, a)
    async with app_db.pool.acquire() as conn:
        for table in [*ROWS, "tenants"]:
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    # The pool has one connection: the next user gets the same one, with no tenant set.
    async with app_db.transaction(a) as conn:
        assert await conn.fetchval("SELECT count(*) FROM contacts") == 1
    async with app_db.pool.acquire() as conn:
        assert await conn.fetchval("SELECT current_setting('app.tenant_id', true)") in (None, "")
        assert await conn.fetchval("SELECT count(*) FROM contacts") == 0
    # A failed transaction does not leave its tenant behind either.
    with pytest.raises(asyncpg.UndefinedTableError):
        async with app_db.transaction(a) as conn:
            await conn.execute("SELECT * FROM no_such_table")
    async with app_db.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM contacts") == 0


async def test_workers_role_cannot_escape(app_db: TenantDatabase) -> None:
    async with app_db.pool.acquire() as conn:
        for statement in (
            "ALTER TABLE contacts DISABLE ROW LEVEL SECURITY",
            "ALTER TABLE contacts NO FORCE ROW LEVEL SECURITY",
            "DROP POLICY tenant_isolation ON contacts",
            "SET ROLE leadmem_owner",
            "SELECT * FROM schema_migrations",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)


async def test_the_consent_ledger_is_append_only_for_the_workers(
        app_db: TenantDatabase) -> None:
    """The workers' role cannot delete a ledger row or change what it says; forgetting may
    only detach a row from its contact while keeping (or adding) its address hashes."""
    tenant = new_tenant()
    async with app_db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await conn.execute(
            "INSERT INTO consent_events (tenant_id, entry_id, contact_id, addresses, channel, "
            "kind, source, occurred_at) VALUES ($1, 'x1', 'c1', '{h1}', 'all', 'opted_out', "
            "'lead_message', now())", tenant)
    await refused(app_db, tenant, "DELETE FROM consent_events",
                  "UPDATE consent_events SET kind = 'resubscribed'",
                  "UPDATE consent_events SET addresses = '{}', contact_id = NULL",
                  "UPDATE consent_events SET contact_id = 'c2'",
                  "TRUNCATE consent_events")
    async with app_db.transaction(tenant) as conn:
        assert await conn.execute(
            "UPDATE consent_events SET contact_id = NULL, addresses = '{h1,h2}'") == "UPDATE 1"
        row = await conn.fetchrow("SELECT kind, contact_id, addresses FROM consent_events")
    assert (row["kind"], row["contact_id"], row["addresses"]) == ("opted_out", None,
                                                                  ["h1", "h2"])


async def test_a_leads_pause_and_hours_cannot_be_cut_short(app_db: TenantDatabase) -> None:
    """What the lead asked of when (migration 0020) is as append-only as an opt-out: no
    pause ends early and no hours go, not even while forgetting detaches the row; a pause
    needs its end, and only a pause has one."""
    tenant = new_tenant()
    async with app_db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await conn.execute(
            "INSERT INTO consent_events (tenant_id, entry_id, contact_id, addresses, channel, "
            "kind, source, occurred_at, until) VALUES ($1, 'p1', 'c1', '{h1}', 'all', "
            "'paused', 'lead_message', now(), now() + interval '14 days')", tenant)
        await conn.execute(
            "INSERT INTO consent_events (tenant_id, entry_id, contact_id, channel, kind, "
            "source, occurred_at, hours) VALUES ($1, 'h1', 'c1', 'all', 'hours', "
            "'lead_message', now(), '20:00-00:00')", tenant)
    await refused(
        app_db, tenant,
        "UPDATE consent_events SET until = now() WHERE entry_id = 'p1'",
        "UPDATE consent_events SET until = now(), contact_id = NULL WHERE entry_id = 'p1'",
        "UPDATE consent_events SET hours = '' WHERE entry_id = 'h1'",
        "INSERT INTO consent_events (tenant_id, entry_id, channel, kind, source, occurred_at) "
        "VALUES (current_setting('app.tenant_id'), 'p2', 'all', 'paused', 'lead_message', "
        "now())",
        "INSERT INTO consent_events (tenant_id, entry_id, channel, kind, source, occurred_at, "
        "until) VALUES (current_setting('app.tenant_id'), 'o2', 'all', 'opted_out', "
        "'lead_message', now(), now())")


async def refused(app_db: TenantDatabase, tenant: str, *statements: str) -> None:
    """Each statement, run alone as the workers' role in the tenant's transaction, fails."""
    for statement in statements:
        with pytest.raises(asyncpg.PostgresError):
            async with app_db.transaction(tenant) as conn:
                await conn.execute(statement)


async def test_an_id_unsafe_to_inline_takes_the_parameterised_path(
    app_db: TenantDatabase,
) -> None:
    """`BEGIN` and the tenant setting travel as one inlined statement only for plain ids; an id
    with a quote is sent as a parameter, so it can neither break nor escape the setting."""
    from workers.db.tenant import begin_statement

    a = new_tenant()
    crafted = f"{a}', true); SELECT set_config('app.tenant_id', '{new_tenant()}"
    assert begin_statement(a) is not None
    assert begin_statement(crafted) is None
    await seed(app_db, a)
    async with app_db.transaction(crafted) as conn:
        assert await conn.fetchval("SELECT current_setting('app.tenant_id')") == crafted
        assert await conn.fetchval("SELECT count(*) FROM contacts") == 0
    async with app_db.transaction(a) as conn:
        assert await conn.fetchval("SELECT current_setting('app.tenant_id')") == a
        assert await conn.fetchval("SELECT count(*) FROM contacts") == 1
