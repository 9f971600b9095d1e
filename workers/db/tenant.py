"""The only way workers talk to Postgres: a transaction scoped to one tenant.

Workers log in as a role that is not the owner, not superuser and not BYPASSRLS, so row-level
security applies to every statement. `set_config(..., true)` is transaction-local: the setting
ends with the transaction and can never leak to the next user of a pooled connection.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from workers.errors import RetryableError

# Errors that mean "the database went away or is restarting": worth a retry.
TRANSIENT_DB_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
    ConnectionError,
    OSError,
    TimeoutError,
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    """json/jsonb columns read and write as Python values."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=_dumps, decoder=json.loads, schema="pg_catalog"
        )


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


class TenantDatabase:
    """A pool of connections as the workers' role, handing out tenant-scoped transactions."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def connect(cls, dsn: str, *, min_size: int = 1, max_size: int = 10) -> TenantDatabase:
        pool = await asyncpg.create_pool(
            dsn, min_size=min_size, max_size=max_size, command_timeout=30, init=_init_connection
        )
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def transaction(self, tenant_id: str) -> AsyncIterator[asyncpg.Connection]:
        """A transaction in which only `tenant_id`'s rows exist; transient errors retry."""
        if not tenant_id:
            raise ValueError("a tenant-scoped transaction needs a tenant id")
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
                yield conn
        except TRANSIENT_DB_ERRORS as exc:
            raise RetryableError(f"postgres unavailable: {type(exc).__name__}: {exc}") from exc

    async def ping(self) -> bool:
        """True when a connection answers (for /health)."""
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return bool(await conn.fetchval("SELECT true"))
        except Exception:
            return False


async def fetch_all(conn: asyncpg.Connection, query: str, *args: Any) -> list[dict[str, Any]]:
    """Rows as plain dicts, for code that should not depend on asyncpg's Record."""
    return [dict(row) for row in await conn.fetch(query, *args)]
