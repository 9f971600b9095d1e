"""What a worker's shell needs from the outside, as Protocols: the handlers take these, the
host hands them the real ones (`EventPublisher`, `TenantDatabase`), and tests hand them
fakes without a broker or a database and without `# type: ignore`."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

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


class RecordPublisher(Publisher, Protocol):
    """A publisher that also forwards raw records (dead letters keep the original bytes) and
    can be waited for: what the dead-letter boundary needs."""

    async def publish_raw(
        self, topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]
    ) -> None: ...

    async def flush(self) -> None: ...
