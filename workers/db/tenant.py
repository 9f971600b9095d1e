"""The only way workers talk to Postgres: a transaction scoped to one tenant.

Workers log in as a role that is not the owner, not superuser and not BYPASSRLS, so row-level
security applies to every statement. `set_config(..., true)` is transaction-local: the setting
ends with the transaction and can never leak to the next user of a pooled connection.

Round trips are what a worker's latency is made of on a busy machine, so a transaction costs
two besides its own statements: `BEGIN` and the tenant setting travel together, then `COMMIT`.
Since workers keep no session state (the setting is transaction-local; no LISTEN, cursors or
advisory locks on pooled connections), a released connection is only rolled back if it is
still in a transaction, instead of asyncpg's default reset query (a third round trip).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg

from schemas.ids import is_safe_id
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


TENANT_SETTING = "app.tenant_id"
COMPANY_SETTING = "app.company_id"  # a GHL agency's own rows (ghl_company_tokens)


def begin_statement(tenant_id: str, setting: str = TENANT_SETTING) -> str | None:
    """`BEGIN` plus the tenant setting as one simple-protocol round trip, when the id follows
    the safe-id rule (GHL location ids do) and can be inlined; None otherwise (the
    parameterised path, one more round trip)."""
    if not is_safe_id(tenant_id) or setting not in (TENANT_SETTING, COMPANY_SETTING):
        return None
    return f"BEGIN; SELECT set_config('{setting}', '{tenant_id}', true)"


def json_value(value: Any) -> Any:
    """A json/jsonb column's value: decoded by the pool's codec (`_init_connection`), text
    only on a bare connection (an admin or test connection without the codec)."""
    return json.loads(value) if isinstance(value, str) else value


async def _release(conn: asyncpg.Connection) -> None:
    """Pool reset: end a transaction left open; there is no session state to reset."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


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
            dsn, min_size=min_size, max_size=max_size, command_timeout=30,
            init=_init_connection, reset=_release,
        )
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    def transaction(self, tenant_id: str) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A transaction in which only `tenant_id`'s rows exist; transient errors retry.

        The transaction is begun by hand (to save a round trip), so asyncpg does not know of
        it: inside, use explicit SAVEPOINTs, never `conn.transaction()`."""
        if not tenant_id:
            raise ValueError("a tenant-scoped transaction needs a tenant id")
        return self._scoped(TENANT_SETTING, tenant_id)

    def company_transaction(self, company_id: str
                            ) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A transaction in which only GHL agency `company_id`'s own rows exist (its OAuth
        tokens) and no tenant's; otherwise as `transaction`."""
        if not company_id:
            raise ValueError("a company-scoped transaction needs a company id")
        return self._scoped(COMPANY_SETTING, company_id)

    @asynccontextmanager
    async def _scoped(self, setting: str, value: str) -> AsyncIterator[asyncpg.Connection]:
        begin = begin_statement(value, setting)
        try:
            async with self.pool.acquire() as conn:
                if begin is None:
                    await conn.execute("BEGIN")
                    await conn.execute("SELECT set_config($1, $2, true)", setting, value)
                else:
                    await conn.execute(begin)
                try:
                    yield conn
                except BaseException:
                    # A broken or busy connection cannot roll back; the pool discards it.
                    with contextlib.suppress(Exception):
                        if not conn.is_closed() and conn.is_in_transaction():
                            await conn.execute("ROLLBACK")
                    raise
                await conn.execute("COMMIT")
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
