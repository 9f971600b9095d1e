"""Replaying dead letters: each re-published to its source topic with its original bytes,
key, headers and timestamp (plus `replay-of`, the dead letter's position, and
`replay-source`, the original record's), and recorded in `dlq_replays` (owner-only, on the
admin connection) in a transaction that commits after Kafka acknowledged, so replaying again
re-sends nothing. The consumer judges a replayed record as it judged the original: its replay
window by the original timestamp, its dedupe claim as the original's own."""

from __future__ import annotations

from collections.abc import AsyncIterable, Collection, Sequence
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaProducer

from schemas.topics import PIPELINE_DLQ
from workers.dlq.letters import Letter, Position, identity, replayable


@dataclass
class Replayed:
    """Positions ("PARTITION:OFFSET") sent now, skipped (replayed before), and left out
    (their source topic is unknown)."""

    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def refusal(wanted: Collection[Position], chosen: Sequence[Letter],
            tenant: str | None) -> str | None:
    """Why named positions may not be replayed (checked before anything is): one is no dead
    letter, is another tenant's, or has an unknown source topic; None: they may."""
    missing = set(wanted) - {(r.partition, r.offset) for r, _ in chosen}
    if missing:
        return "no dead letter at " + ", ".join(f"{p}:{o}" for p, o in sorted(missing))
    others = [f"{r.partition}:{r.offset}" for r, x in chosen
              if tenant and x.tenant_id != tenant]
    if others:
        return f"not dead letters of tenant {tenant}: {', '.join(others)}"
    bad = [f"{r.partition}:{r.offset}" for r, x in chosen if not replayable(x)]
    if bad:
        return f"unknown source topic for {', '.join(bad)}; not replaying"
    return None


async def replay(producer: AIOKafkaProducer, conn: asyncpg.Connection,
                 letters: AsyncIterable[Letter], tenant: str | None = None) -> Replayed:
    """Replay `letters` (those of `tenant` only, when given) once each: the ledger row and
    the send in one transaction (`conn`: the admin connection), the send acknowledged before
    it commits."""
    out = Replayed()
    async for r, x in letters:
        if tenant and x.tenant_id != tenant:
            continue
        where = f"{r.partition}:{r.offset}"
        if not replayable(x):
            out.unknown.append(where)
            continue
        async with conn.transaction():
            fresh = await conn.fetchval(
                """INSERT INTO dlq_replays (worker, source_topic, source_partition,
                       source_offset, tenant, dlq_partition, dlq_offset, error_type)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                   ON CONFLICT DO NOTHING RETURNING true""",
                *identity(x), x.tenant_id, r.partition, r.offset, x.error_type)
            if not fresh:
                out.skipped.append(where)
                continue
            headers = {**x.headers,
                       "replay-of": f"{PIPELINE_DLQ}:{r.partition}:{r.offset}",
                       "replay-source": f"{x.source_topic}:{x.partition}:{x.offset}"}
            await producer.send_and_wait(  # acknowledged before the ledger commits
                x.source_topic, r.value, key=r.key, timestamp_ms=x.source_timestamp_ms,
                headers=[(k, v.encode()) for k, v in headers.items()])
            out.sent.append(where)
    return out
