"""`processed_events`: the per-consumer record of what an event produced, read and written
for a whole tenant group at once (one round trip each instead of two per event).

A consumer stores, in the same transaction as its writes, the event it published for each
input (or NULL); a redelivered input finds its row and re-publishes that result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import asyncpg

from schemas.envelope import Envelope


async def results(conn: asyncpg.Connection, tenant: str, consumer: str,
                  event_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
    """The stored result of every already-processed event among `event_ids`."""
    rows = await conn.fetch(
        """SELECT event_id, result FROM processed_events
           WHERE tenant_id = $1 AND consumer = $2 AND event_id = ANY($3::text[])""",
        tenant, consumer, list(set(event_ids)),
    )
    return {r["event_id"]: r["result"] for r in rows}


async def record(conn: asyncpg.Connection, tenant: str, consumer: str,
                 done: Sequence[tuple[str, dict[str, Any] | None]]) -> None:
    """Mark events processed with their results (pipelined: one round trip)."""
    if done:
        await conn.executemany(
            """INSERT INTO processed_events (tenant_id, consumer, event_id, result)
               VALUES ($1, $2, $3, $4::jsonb)""",
            [(tenant, consumer, event_id, result) for event_id, result in done],
        )


E = TypeVar("E", bound=Envelope)
Result = dict[str, Any] | None


class Ledger(Protocol):
    """The ledger's two statements in an open tenant transaction, as `once` runs them; a
    worker's statements Protocol extends it (so its tests fake the ledger with the rest)."""

    async def processed(self, tenant: str, consumer: str,
                        event_ids: Sequence[str]) -> dict[str, Result]: ...

    async def record_processed(self, tenant: str, consumer: str,
                               done: Sequence[tuple[str, Result]]) -> None: ...


class PostgresLedger:
    """`Ledger` over a connection: `results` and `record`."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def processed(self, tenant: str, consumer: str,
                        event_ids: Sequence[str]) -> dict[str, Result]:
        return await results(self.conn, tenant, consumer, event_ids)

    async def record_processed(self, tenant: str, consumer: str,
                               done: Sequence[tuple[str, Result]]) -> None:
        await record(self.conn, tenant, consumer, done)


@dataclass(frozen=True)
class Once:
    """What `once` did with a tenant group's events."""

    results: list[Result]  # each event's result, in order (stored, or just produced)
    redelivered: list[Envelope]  # the events processed before (their results re-published)


async def once(ledger: Ledger, tenant: str, consumer: str, events: Sequence[E],
               apply: Callable[[E], Awaitable[Result]]) -> Once:
    """The idempotency ledger's loop, the one every consumer runs: read which events were
    processed (one round trip), `apply` each of the others in order, record their results
    (one round trip), in the caller's transaction. An event processed before, or earlier in
    the same group, is not applied again: its stored result stands."""
    done = await ledger.processed(tenant, consumer, [e.event_id for e in events])
    fresh: list[tuple[str, Result]] = []
    out: list[Result] = []
    again: list[Envelope] = []
    for event in events:
        if event.event_id in done:
            again.append(event)
        else:
            done[event.event_id] = await apply(event)
            fresh.append((event.event_id, done[event.event_id]))
        out.append(done[event.event_id])
    await ledger.record_processed(tenant, consumer, fresh)
    return Once(out, again)
