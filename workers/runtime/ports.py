"""What a worker's shell needs from the outside, as Protocols: the handlers take these, the
host hands them the real ones (`EventPublisher`, `TenantDatabase`), and tests hand them
fakes without a broker or a database and without `# type: ignore`.

A shell that runs statements in a tenant transaction takes `Scoped[S]`: `S` is a Protocol of
the worker's own (its `ports.py`: the store functions it calls, less the connection), which
a test fakes without SQL; the real one is `Bound(database, PostgresX)`, each transaction's
connection bound into the worker's Postgres statements."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Generic, Protocol, TypeVar

import asyncpg
from pydantic import BaseModel


class Publisher(Protocol):
    """Queues an internal event on its topic, keyed by its tenant; the host flushes (waits
    for the broker's acknowledgements) before it commits the batch's offsets."""

    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None: ...


class Transactions(Protocol):
    """Opens a transaction in which only `tenant_id`'s rows exist (row-level security)."""

    def transaction(
        self, tenant_id: str
    ) -> AbstractAsyncContextManager[asyncpg.Connection]: ...


S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


class Scoped(Protocol[S_co]):
    """A transaction in which only `tenant_id`'s rows exist, handing out `S`: the statements
    a worker's shell runs in it, instead of the connection."""

    def transaction(self, tenant_id: str) -> AbstractAsyncContextManager[S_co]: ...


class Bound(Generic[S]):
    """The real `Scoped[S]`: each transaction of `db` with its connection bound into `S`
    (`bind(conn)`, the worker's Postgres statements); no statement or round trip added."""

    def __init__(self, db: Transactions, bind: Callable[[asyncpg.Connection], S]) -> None:
        self.db, self.bind = db, bind

    @asynccontextmanager
    async def transaction(self, tenant_id: str) -> AsyncIterator[S]:
        async with self.db.transaction(tenant_id) as conn:
            yield self.bind(conn)


class RecordPublisher(Publisher, Protocol):
    """A publisher that also forwards raw records (dead letters keep the original bytes) and
    can be waited for: what the dead-letter boundary needs."""

    async def publish_raw(
        self, topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]
    ) -> None: ...

    async def flush(self) -> None: ...
