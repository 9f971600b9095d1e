"""Postgres side of `tenants` and `tenant_settings`: the read every worker embeds, and the one
writer (used by the workers on first sight of a tenant, by the CLI, and later the console).

Readers put `COLUMNS` in their select list and `joins(tenant_expr)` after their FROM, so the
settings come back in the statement a worker already makes (no extra round trip), and hand
the row to `model.from_row`. Every function takes a connection inside
`TenantDatabase.transaction(tenant)` (row-level security scopes it to the tenant).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from workers.tenants.model import PREFIX, SETTINGS_FIELDS, TenantSettings, from_row, to_column

_T, _S = "tenant__t", "tenant__s"  # aliases no reader uses
COLUMNS = ", ".join(
    [f"{_T}.id IS NOT NULL AS {PREFIX}known", f"{_T}.name AS {PREFIX}name",
     f"{_T}.ai_enabled AS {PREFIX}ai_enabled", f"{_T}.created_at AS {PREFIX}created_at"]
    + [f"{_S}.{name} AS {PREFIX}{name}" for name in SETTINGS_FIELDS])


def joins(tenant_expr: str) -> str:
    """The LEFT JOINs `COLUMNS` reads, for the tenant named by the SQL expression."""
    return (f"LEFT JOIN tenants {_T} ON {_T}.id = {tenant_expr} "
            f"LEFT JOIN tenant_settings {_S} ON {_S}.tenant_id = {tenant_expr}")


_READ = f"SELECT {COLUMNS} FROM (SELECT 1) one {joins('$1')}"


async def read(conn: asyncpg.Connection, tenant_id: str) -> TenantSettings:
    row = await conn.fetchrow(_READ, tenant_id)
    assert row is not None
    return from_row(tenant_id, row)


# -- the one writer -------------------------------------------------------------------------

async def ensure(conn: asyncpg.Connection, tenant_id: str, name: str | None = None) -> None:
    """The tenant's row, created on first sight (every table's rows reference it); an
    existing row is left as it is (its name is the operator's, `leadmem tenant add`)."""
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
    await conn.execute("UPDATE tenants SET ai_enabled = $2 WHERE id = $1", tenant_id, enabled)


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
