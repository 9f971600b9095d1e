"""Postgres side of `tenants` and `tenant_settings`: the read every worker embeds, and the one
writer (used by the CLI, ingestion's INSTALL / UNINSTALL, retention's purge, later the
console). Workers never create a tenant on first sight: a tenant is a location that installed
the app (`install`) or that an operator added (`add`); the lifecycle's rules are
`lifecycle.py`.

Readers put `COLUMNS` in their select list and `joins(tenant_expr)` after their FROM, so the
settings come back in the statement a worker already makes (no extra round trip), and hand
the row to `model.from_row`. Every function takes a connection inside
`TenantDatabase.transaction(tenant)` (row-level security scopes it to the tenant).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg

from workers.tenants import lifecycle
from workers.tenants.model import (
    PREFIX,
    SETTINGS_FIELDS,
    TENANT_FIELDS,
    Status,
    TenantSettings,
    from_row,
    to_column,
)

_T, _S = "tenant__t", "tenant__s"  # aliases no reader uses
COLUMNS = ", ".join(
    [f"{_T}.id IS NOT NULL AS {PREFIX}known"]
    + [f"{_T}.{name} AS {PREFIX}{name}" for name in TENANT_FIELDS if name != "known"]
    + [f"{_S}.{name} AS {PREFIX}{name}" for name in SETTINGS_FIELDS])


def joins(tenant_expr: str) -> str:
    """The LEFT JOINs `COLUMNS` reads, for the tenant named by the SQL expression."""
    return (f"LEFT JOIN tenants {_T} ON {_T}.id = {tenant_expr} "
            f"LEFT JOIN tenant_settings {_S} ON {_S}.tenant_id = {tenant_expr}")


_READ = f"SELECT {COLUMNS} FROM (SELECT 1) one {joins('$1')}"


def area_terms(tenant_expr: str, names_expr: str) -> str:
    """SQL: `model.area_terms` as a text[] for the tenant named by `tenant_expr` and the area
    names in the text[] `names_expr`: the names and the aliases of the service areas they
    name, lower-cased, blanks left out (`service_areas` holds names or
    `{"name": ..., "aliases": [...]}` objects; aliases that are not strings are skipped)."""
    wanted = f"SELECT lower(btrim(n, ' ')) FROM unnest({names_expr}::text[]) n"
    return f"""ARRAY(
        {wanted} WHERE btrim(n, ' ') <> ''
        UNION
        SELECT lower(btrim(alias #>> '{{}}', ' '))
          FROM tenant_settings s,
               jsonb_array_elements(CASE jsonb_typeof(s.service_areas)
                                    WHEN 'array' THEN s.service_areas ELSE '[]' END) area,
               jsonb_array_elements(CASE jsonb_typeof(area -> 'aliases')
                                    WHEN 'array' THEN area -> 'aliases' ELSE '[]' END) alias
         WHERE s.tenant_id = {tenant_expr} AND jsonb_typeof(alias) = 'string'
           AND btrim(alias #>> '{{}}', ' ') <> ''
           AND jsonb_typeof(area -> 'name') = 'string'
           AND lower(btrim(area ->> 'name', ' ')) IN ({wanted}))"""


async def read(conn: asyncpg.Connection, tenant_id: str) -> TenantSettings:
    row = await conn.fetchrow(_READ, tenant_id)
    assert row is not None
    return from_row(tenant_id, row)


# -- the one writer -------------------------------------------------------------------------

async def ensure(conn: asyncpg.Connection, tenant_id: str, name: str | None = None) -> None:
    """The tenant's row, created live if missing (operators' paths: a setting or token an
    operator gives for a location adds it); an existing row is left as it is. Workers never
    call it on first sight of a location: unknown locations stay out (issue #25)."""
    await conn.execute(
        "INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        tenant_id, name)


async def add(conn: asyncpg.Connection, tenant_id: str, name: str | None) -> bool:
    """Create the tenant and its settings row, or rename it; True when it was created."""
    created = await conn.fetchval(
        """INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE
           SET name = COALESCE(EXCLUDED.name, tenants.name) RETURNING xmax = 0""",
        tenant_id, name)
    await conn.execute("INSERT INTO tenant_settings (tenant_id) VALUES ($1) "
                       "ON CONFLICT (tenant_id) DO NOTHING", tenant_id)
    return bool(created)


async def exists(conn: asyncpg.Connection, tenant_id: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM tenants WHERE id = $1", tenant_id))


async def set_ai(conn: asyncpg.Connection, tenant_id: str, enabled: bool) -> None:
    """AI off, or on: on is `go_live` (an installed tenant goes live once its settings are
    done; `LifecycleError` says what is missing)."""
    if enabled:
        await go_live(conn, tenant_id)
        return
    await conn.execute("UPDATE tenants SET ai_enabled = false WHERE id = $1", tenant_id)


# -- the install lifecycle (`lifecycle` decides; these read the row, call it, write) ---------

_LIFECYCLE = ("SELECT status, ai_enabled, installed_at, uninstalled_at FROM tenants "
              "WHERE id = $1 FOR UPDATE")
_SET_LIFECYCLE = """UPDATE tenants SET status = $2, ai_enabled = $3, installed_at = $4,
                           uninstalled_at = $5 WHERE id = $1"""


async def _locked(conn: asyncpg.Connection, tenant_id: str) -> lifecycle.Lifecycle | None:
    row = await conn.fetchrow(_LIFECYCLE, tenant_id)
    return None if row is None else lifecycle.Lifecycle(**dict(row))


async def _write(conn: asyncpg.Connection, tenant_id: str, new: lifecycle.Lifecycle) -> None:
    await conn.execute(_SET_LIFECYCLE, tenant_id, new.status, new.ai_enabled,
                       new.installed_at, new.uninstalled_at)


async def status(conn: asyncpg.Connection, tenant_id: str) -> Status | None:
    """The tenant's lifecycle status; None: no such tenant (never installed, never added)."""
    found = await conn.fetchval("SELECT status FROM tenants WHERE id = $1", tenant_id)
    return cast(Status | None, found)


async def install(conn: asyncpg.Connection, location: str, company: str | None,
                  name: str | None, at: datetime | None = None) -> Status:
    """An INSTALL of the app for `location` at `at` (GHL's time; now by default): a new
    tenant is installed with AI off (and its settings row), an uninstalled one is installed
    again (AI off), a live one stays live; the company is recorded, the name kept if it has
    one. Returns the status after it."""
    when = at or datetime.now(UTC)
    current = await _locked(conn, location)
    new = lifecycle.install(current, when)
    if current is None:
        assert new is not None
        inserted = await conn.fetchval(
            """INSERT INTO tenants (id, name, company_id, status, ai_enabled, installed_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING true""",
            location, name, company, new.status, new.ai_enabled, new.installed_at)
        if not inserted:  # an operator added it meanwhile: install that one
            return await install(conn, location, company, name, when)
        await conn.execute("INSERT INTO tenant_settings (tenant_id) VALUES ($1) "
                           "ON CONFLICT (tenant_id) DO NOTHING", location)
        return new.status
    if new is not None:
        await _write(conn, location, new)
    await conn.execute(
        "UPDATE tenants SET company_id = coalesce($2, company_id), name = coalesce(name, $3) "
        "WHERE id = $1", location, company, name)
    return (new or current).status


async def uninstall(conn: asyncpg.Connection, location: str,
                    at: datetime | None = None) -> Status | None:
    """An UNINSTALL of the app for `location` at `at`: the tenant is uninstalled with AI off
    (the caller deletes its GHL tokens in the same transaction). Returns the status after it;
    None when there is no such tenant (none is created)."""
    current = await _locked(conn, location)
    new = lifecycle.uninstall(current, at or datetime.now(UTC))
    if new is not None:
        await _write(conn, location, new)
    return None if current is None else (new or current).status


async def go_live(conn: asyncpg.Connection, tenant_id: str) -> None:
    """An operator turns the AI on: an installed tenant goes live if its settings are done
    (`lifecycle.missing_for_live`), else `LifecycleError` names what is missing."""
    current = await _locked(conn, tenant_id)
    missing = lifecycle.missing_for_live(await read(conn, tenant_id)) if current else ()
    await _write(conn, tenant_id, lifecycle.go_live(tenant_id, current, missing))


async def purged(conn: asyncpg.Connection, tenant_id: str) -> None:
    """Retention deleted the data of the uninstalled tenant: its settings go too (a new
    install starts its onboarding afresh), the row stays (the consent ledger references it)
    with the time of the purge."""
    await conn.execute("DELETE FROM tenant_settings WHERE tenant_id = $1", tenant_id)
    await conn.execute("UPDATE tenants SET purged_at = now() WHERE id = $1", tenant_id)


async def update(conn: asyncpg.Connection, tenant_id: str, changes: Mapping[str, Any]) -> None:
    """Set settings (field name -> value of the model's type; see `validate` for input),
    creating the settings row if the tenant has none. The tenant's row must exist."""
    if not changes:
        return
    values = [to_column(name, value) for name, value in changes.items()]  # KeyError: unknown
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=2))
    cols = ", ".join(changes)
    params = ", ".join(f"${i}" for i in range(2, len(changes) + 2))
    await conn.execute(
        f"INSERT INTO tenant_settings (tenant_id, {cols}) VALUES ($1, {params}) "
        f"ON CONFLICT (tenant_id) DO UPDATE SET {sets}, updated_at = now()",
        tenant_id, *values)
