"""What the operator commands share: running a command with one-line service errors,
tenant-scoped and admin connections, and plain tables."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

import asyncpg
from aiokafka.errors import KafkaError

from schemas.ids import SAFE_ID_RULE, is_safe_id
from workers.cli.errors import CliError
from workers.errors import RetryableError
from workers.runtime.clients import open_admin_connection, open_database
from workers.settings import Settings

Sub = Any  # argparse's private _SubParsersAction
T = TypeVar("T")
_POSITION = re.compile(r"^(\d+):(\d+)$")
# Postgres away: raised by asyncpg directly, or as RetryableError by TenantDatabase.
SERVICE_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
                  RetryableError)


def run(coro: Awaitable[int], settings: Settings) -> int:
    """Run a command; a service that does not answer is a one-line error, not a traceback."""
    async def guarded() -> int:
        try:
            return await coro
        except KafkaError as exc:
            raise CliError(f"Kafka at {settings.bootstrap} did not answer: {exc}") from exc
        except SERVICE_ERRORS as exc:
            raise CliError(f"Postgres did not answer: {type(exc).__name__}: {exc}") from exc

    return asyncio.run(guarded())


def tenant_id(value: str) -> str:
    if not is_safe_id(value):
        raise CliError(f"invalid tenant id {value!r}: use {SAFE_ID_RULE}")
    return value


@asynccontextmanager
async def tenant_tx(settings: Settings, tenant: str) -> AsyncIterator[asyncpg.Connection]:
    """A transaction as the workers' role in which only `tenant`'s rows exist."""
    tenant = tenant_id(tenant)
    async with AsyncExitStack() as stack:
        db = await open_database(settings, stack, min_size=1, max_size=1)
        async with db.transaction(tenant) as conn:
            yield conn


@asynccontextmanager
async def admin_conn(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """The admin connection: sees every tenant; the only one that may touch `dlq_replays`."""
    async with AsyncExitStack() as stack:
        yield await open_admin_connection(settings, stack)


def table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
