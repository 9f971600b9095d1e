"""Migration 0007 keeps the meaning `leadmem tenant config --quiet-hours` documented: the
stored `{"start", "end"}` is the quiet window, now in columns that cannot be misread."""

from __future__ import annotations

import shutil
import uuid
from datetime import time
from pathlib import Path

import asyncpg
import pytest

from tests.support.services import ServiceUrls, drop_database
from workers.db.migrate import MIGRATIONS_DIR, migrate

pytestmark = pytest.mark.integration


async def test_existing_quiet_hours_become_quiet_windows(migrated: ServiceUrls,
                                                        tmp_path: Path) -> None:
    name = f"leadmem_mig_{uuid.uuid4().hex[:8]}"
    admin = migrated.admin_database_url.rsplit("/", 1)[0] + f"/{name}"
    before = [p for p in sorted(MIGRATIONS_DIR.glob("*.sql")) if p.name < "0007"]
    for path in before:
        shutil.copy(path, tmp_path / path.name)
    try:
        await migrate(admin, directory=tmp_path)
        conn = await asyncpg.connect(admin)
        try:
            for tenant, quiet in (("t-night", '{"start": "21:00", "end": "08:00"}'),
                                  ("t-noon", '{"start": "12:00", "end": "14:00"}'),
                                  ("t-bad", '{"start": "7pm", "end": "08:00"}'),
                                  ("t-none", None)):
                await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
                await conn.execute("INSERT INTO tenant_settings (tenant_id, quiet_hours) "
                                   "VALUES ($1, $2::jsonb)", tenant, quiet)
        finally:
            await conn.close()
        shutil.copy(MIGRATIONS_DIR / "0007_consent.sql", tmp_path / "0007_consent.sql")
        assert await migrate(admin, directory=tmp_path) == ["0007_consent"]
        conn = await asyncpg.connect(admin)
        try:
            got = {}
            for tenant in ("t-night", "t-noon", "t-bad", "t-none"):
                got[tenant] = tuple(await conn.fetchrow(
                    "SELECT no_texts_from, no_texts_until FROM tenant_settings "
                    "WHERE tenant_id = $1", tenant))
            columns = await conn.fetchval(
                "SELECT count(*) FROM information_schema.columns "
                "WHERE table_name = 'tenant_settings' AND column_name = 'quiet_hours'")
        finally:
            await conn.close()
        assert got == {"t-night": (time(21), time(8)), "t-noon": (time(12), time(14)),
                       "t-bad": (None, None), "t-none": (None, None)}
        assert columns == 0  # nothing is left to misread
    finally:
        await drop_database(migrated.admin_database_url, name)


async def test_opt_outs_and_dnd_held_before_the_ledger_are_recorded_in_it(
        migrated: ServiceUrls, tmp_path: Path) -> None:
    """Migration 0012: every contact the old code took as opted out (the CRM flag or the
    learned profile) and every DND GHL had set becomes a ledger entry, so that retention or a
    re-learned profile cannot lift them once the ledger is the only source."""
    name = f"leadmem_mig_{uuid.uuid4().hex[:8]}"
    admin = migrated.admin_database_url.rsplit("/", 1)[0] + f"/{name}"
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "0012":
            shutil.copy(path, tmp_path / path.name)
    try:
        await migrate(admin, directory=tmp_path)
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute("ALTER TABLE contacts NO FORCE ROW LEVEL SECURITY")
            await conn.execute("ALTER TABLE lead_profiles NO FORCE ROW LEVEL SECURITY")
            await conn.execute("INSERT INTO tenants (id) VALUES ('t1')")
            await conn.execute(
                """INSERT INTO contacts (tenant_id, contact_id, opted_out, dnd, dnd_channels)
                   VALUES ('t1', 'crm', true, false, '{}'), ('t1', 'learned', false, false,
                   '{}'), ('t1', 'dnd', false, true, '{"sms": "active", "email": "inactive",
                   "Call": "permanent"}'), ('t1', 'clear', false, false, '{}')""")
            await conn.execute("""INSERT INTO lead_profiles (tenant_id, contact_id, profile)
                                  VALUES ('t1', 'learned', '{"opted_out": true}')""")
            await conn.execute("ALTER TABLE contacts FORCE ROW LEVEL SECURITY")
            await conn.execute("ALTER TABLE lead_profiles FORCE ROW LEVEL SECURITY")
        finally:
            await conn.close()
        for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
            shutil.copy(path, tmp_path / path.name)
        await migrate(admin, directory=tmp_path)
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute("SELECT set_config('app.tenant_id', 't1', false)")
            rows = await conn.fetch("SELECT contact_id, channel, kind, source FROM "
                                    "consent_events ORDER BY contact_id, channel")
        finally:
            await conn.close()
        assert [tuple(r) for r in rows] == [
            ("crm", "all", "opted_out", "operator"),
            ("dnd", "all", "dnd_on", "ghl"), ("dnd", "call", "dnd_on", "ghl"),
            ("dnd", "sms", "dnd_on", "ghl"),
            ("learned", "all", "opted_out", "operator")]
    finally:
        await drop_database(migrated.admin_database_url, name)
