"""The benchmarks' own database and Redis db, so a bench never touches real data.

The database (default `leadmem_bench`) is dropped, created and migrated with the project's
own migrations on the server of `admin_database_url`; the workers' role reads and writes it
under row-level security as in production. The Redis db number (default 14) is flushed.
Rows are loaded with COPY into a temporary table and moved with INSERT ... SELECT inside the
tenant's transaction, because Postgres refuses COPY FROM into tables under row-level security.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import redis.asyncio as aioredis

from workers.db.migrate import database_name, migrate
from workers.db.tenant import TenantDatabase
from workers.errors import ConfigurationError
from workers.settings import Settings


def with_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


def with_redis_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


@dataclass
class BenchEnv:
    db: TenantDatabase
    redis: aioredis.Redis
    database: str
    redis_url: str


@asynccontextmanager
async def bench_env(settings: Settings, database: str, redis_db: int, *,
                    pool_size: int = 4) -> AsyncIterator[BenchEnv]:
    """A fresh, migrated bench database and an empty Redis db."""
    if not re.match(r"^[a-z_][a-z0-9_]*$", database) or database == database_name(
            settings.database_url):
        raise ConfigurationError(f"refusing to use {database!r} as the bench database")
    admin = with_database(settings.admin_database_url, database)
    maintenance = await asyncpg.connect(settings.admin_database_url, database="postgres")
    try:
        await maintenance.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await maintenance.close()
    password = settings.app_role_password.get_secret_value() if settings.app_role_password \
        else None
    await migrate(admin, owner=settings.owner_role, app=settings.app_role,
                  app_password=password)
    db = await TenantDatabase.connect(with_database(settings.database_url, database),
                                      min_size=pool_size, max_size=pool_size)
    redis_url = with_redis_db(settings.redis_url, redis_db)
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.flushdb()
        yield BenchEnv(db, client, database, redis_url)
    finally:
        await client.aclose()
        await db.close()


async def copy_rows(conn: asyncpg.Connection, table: str, columns: Sequence[str],
                    records: Sequence[tuple[Any, ...]], *, jsonb: Sequence[str] = ()) -> None:
    """COPY `records` into `table` within the current (tenant) transaction. `jsonb` columns
    travel as text (the pool's json codec is text-only, COPY is binary)."""
    if not records:
        return
    cols = ", ".join(columns)
    temp = f"bench_load_{table}"
    await conn.execute(
        f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT "
        + ", ".join(f"{c}::text AS {c}" if c in jsonb else c for c in columns)
        + f" FROM {table} WITH NO DATA")
    encode = [i for i, c in enumerate(columns) if c in jsonb]
    if encode:
        records = [tuple(json.dumps(v) if i in encode else v for i, v in enumerate(r))
                   for r in records]
    await conn.copy_records_to_table(temp, records=records, columns=list(columns))
    await conn.execute(
        f"INSERT INTO {table} ({cols}) SELECT "
        + ", ".join(f"{c}::jsonb" if c in jsonb else c for c in columns) + f" FROM {temp}")
    await conn.execute(f"DROP TABLE {temp}")
