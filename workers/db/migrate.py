"""Ordered SQL migrations (`leadmem migrate`): idempotent, recorded, safe to run concurrently.

Runs as an administrative connection: creates the database and the two roles if missing,
then applies each `migrations/NNNN_*.sql` not yet recorded, as the owner role, one
transaction per file, under an advisory lock so concurrent runs apply each file once.
The workers' role gets DML rights only: it owns nothing, so row-level security binds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg

from workers.errors import ConfigurationError

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_LOCK_KEY = 0x1EAD_3E30  # advisory lock id shared by every migrate run
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    files = sorted(p for p in directory.glob("*.sql") if re.match(r"^\d{4}_", p.name))
    return [Migration(p.stem, p) for p in files]


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ConfigurationError(f"unsafe SQL identifier: {name!r}")
    return name


async def ensure_database(admin_dsn: str) -> None:
    """Create the target database when it does not exist (CREATE DATABASE cannot run in a
    transaction, and a concurrent creator is fine)."""
    dbname = database_name(admin_dsn)
    try:
        conn = await asyncpg.connect(admin_dsn)
        await conn.close()
        return
    except asyncpg.InvalidCatalogNameError:
        pass
    maintenance = await asyncpg.connect(admin_dsn, database="postgres")
    try:
        await maintenance.execute(f'CREATE DATABASE "{_ident(dbname)}"')
    except asyncpg.DuplicateDatabaseError:
        pass
    finally:
        await maintenance.close()


async def ensure_roles(
    conn: asyncpg.Connection, owner: str, app: str, app_password: str | None
) -> None:
    owner, app = _ident(owner), _ident(app)
    for role, options in ((owner, "NOLOGIN"), (app, "LOGIN")):
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        if not exists:
            with contextlib.suppress(asyncpg.DuplicateObjectError):
                await conn.execute(f"CREATE ROLE {role} {options}")
    # The workers' role must never escape row-level security.
    await conn.execute(f"ALTER ROLE {app} NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB")
    if app_password:
        await conn.execute(f"ALTER ROLE {app} PASSWORD {quote_literal(app_password)}")
    await conn.execute(f"ALTER ROLE {owner} NOSUPERUSER NOBYPASSRLS")
    dbname = await conn.fetchval("SELECT current_database()")
    await conn.execute(f'GRANT CONNECT ON DATABASE "{_ident(dbname)}" TO {app}')
    await conn.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {owner}")
    await conn.execute(f"GRANT USAGE ON SCHEMA public TO {app}")


def database_name(dsn: str) -> str:
    """The database a postgres:// URL names (libpq's default: the user name)."""
    parts = urlsplit(dsn)
    name = unquote(parts.path.lstrip("/")) or unquote(parts.username or "") or "postgres"
    return name


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def migrate(
    admin_dsn: str,
    *,
    owner: str = "leadmem_owner",
    app: str = "leadmem_app",
    app_password: str | None = None,
    directory: Path = MIGRATIONS_DIR,
) -> list[str]:
    """Apply pending migrations; returns the versions applied by this run."""
    await ensure_database(admin_dsn)
    conn = await asyncpg.connect(admin_dsn)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await ensure_roles(conn, owner, app, app_password)
            await conn.execute(
                f"""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version text PRIMARY KEY, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now());
                ALTER TABLE schema_migrations OWNER TO {_ident(owner)};
                """
            )
            done = {
                r["version"]: r["checksum"]
                for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")
            }
            for mig in discover(directory):
                if mig.version in done:
                    if done[mig.version] != mig.checksum:
                        raise ConfigurationError(
                            f"migration {mig.version} changed after it was applied"
                        )
                    continue
                async with conn.transaction():
                    await conn.execute(f"SET LOCAL ROLE {_ident(owner)}")
                    await conn.execute(mig.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                        mig.version, mig.checksum,
                    )
                applied_now.append(mig.version)
            await grant_app(conn, owner, app)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()
    return applied_now


async def grant_app(conn: asyncpg.Connection, owner: str, app: str) -> None:
    """DML on every tenant table, nothing on the migrations ledger; the consent ledger is
    append-only (no DELETE; its trigger allows one kind of UPDATE: forgetting)."""
    owner, app = _ident(owner), _ident(app)
    await conn.execute(
        f"""
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app};
        REVOKE ALL ON schema_migrations FROM {app};
        """
    )
    if await conn.fetchval("SELECT to_regclass('consent_events') IS NOT NULL"):
        await conn.execute(f"REVOKE DELETE, TRUNCATE ON consent_events FROM {app}")
