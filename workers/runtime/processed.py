"""`processed_events`: the per-consumer record of what an event produced, read and written
for a whole tenant group at once (one round trip each instead of two per event).

A consumer stores, in the same transaction as its writes, the event it published for each
input (or NULL); a redelivered input finds its row and re-publishes that result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg


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
