"""The reply's claim in Postgres: what makes each reply go out at most once.

Status moves drafted -> sending -> sent | failed (or -> held while its `send_after` is in the
future). "sending" is committed before the POST, so a crash between the POST and the status
write leaves the reply "sending": a redelivery finds it and does not resend blindly (it
may have been delivered); it is counted and left for reconciliation. The claim goes back to
"drafted" only when GHL provably did not take the message, so a retry may send it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from schemas.events import ReplyDrafted
from workers.db.tenant import TenantDatabase, ensure_tenant
from workers.outbound.ghl_client import Delivered

# A tenant id no GHL location has: the due scan needs a transaction but reads no tenant's
# rows itself (the SECURITY DEFINER function of 0005 returns only (tenant, key) pairs).
SCAN_SCOPE = "~outbound-scheduler"


class Action(StrEnum):
    SEND = "send"
    HOLD = "hold"
    WAIT = "wait"
    REPUBLISH = "republish"
    IN_DOUBT = "in_doubt"
    FAILED = "failed"
    SKIP = "skip"


def decide(status: str, send_after: datetime | None, now: datetime) -> Action:
    """What to do with a reply found in `status` (pure: the heart of at-most-once)."""
    if status in ("drafted", "held"):
        if send_after is not None and send_after > now:
            return Action.HOLD if status == "drafted" else Action.WAIT
        return Action.SEND
    return {
        "sending": Action.IN_DOUBT,  # claimed before: maybe sent, never resend blindly
        "sent": Action.REPUBLISH,  # re-publish what it produced, as every stage does
        "failed": Action.FAILED,
    }.get(status, Action.SKIP)  # a status another stage owns (e.g. cancelled by a human)


@dataclass(frozen=True)
class StoredReply:
    tenant_id: str
    idempotency_key: str
    event_id: str
    contact_id: str
    channel: str
    body: str
    mode: str
    status: str
    reply_to_message_id: str | None
    send_after: datetime | None
    model: str | None
    ghl_message_id: str | None
    ghl_conversation_id: str | None
    sent_at: datetime | None
    send_error: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> StoredReply:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Claim:
    action: Action
    reply: StoredReply


_COLUMNS = ", ".join(StoredReply.__dataclass_fields__)
_UPSERT = """
INSERT INTO replies (tenant_id, idempotency_key, event_id, contact_id, reply_to_message_id,
                     channel, body, mode, model, send_after)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
"""
_LOCK = f"SELECT {_COLUMNS} FROM replies WHERE tenant_id = $1 AND idempotency_key = $2 FOR UPDATE"
_KEY = "WHERE tenant_id = $1 AND idempotency_key = $2"


class ReplyStore:
    def __init__(self, db: TenantDatabase) -> None:
        self.db = db
        self._known_tenants: set[str] = set()

    async def claim(self, ev: ReplyDrafted, now: datetime) -> Claim:
        """Upsert the reply from its event, then decide and record the transition atomically
        (the row is locked, so two consumers of one reply cannot both claim it)."""
        tenant = ev.tenant_id
        async with self.db.transaction(tenant) as conn:
            if tenant not in self._known_tenants:
                await ensure_tenant(conn, tenant)
            await conn.execute(
                _UPSERT, tenant, ev.idempotency_key, ev.event_id, ev.contact_id,
                ev.reply_to_message_id, ev.channel, ev.body, ev.mode, ev.model, ev.send_after,
            )
            row = StoredReply.from_row(await conn.fetchrow(_LOCK, tenant, ev.idempotency_key))
            send_after = row.send_after or ev.send_after
            action = decide(row.status, send_after, now)
            if action is Action.SEND:
                await conn.execute(
                    "UPDATE replies SET status = 'sending', claimed_at = now(), "
                    f"send_attempts = send_attempts + 1 {_KEY}", tenant, ev.idempotency_key,
                )
            elif action is Action.HOLD:
                await conn.execute(
                    f"UPDATE replies SET status = 'held', send_after = $3 {_KEY}",
                    tenant, ev.idempotency_key, send_after,
                )
        self._known_tenants.add(tenant)
        return Claim(action, row)

    async def mark_sent(self, tenant: str, key: str, delivered: Delivered) -> datetime:
        async with self.db.transaction(tenant) as conn:
            sent_at: datetime = await conn.fetchval(
                "UPDATE replies SET status = 'sent', ghl_message_id = $3, "
                "ghl_conversation_id = $4, sent_at = COALESCE(sent_at, now()), "
                f"send_error = NULL {_KEY} RETURNING sent_at",
                tenant, key, delivered.message_id, delivered.conversation_id,
            )
        return sent_at

    async def mark_failed(self, tenant: str, key: str, error: str) -> None:
        await self._set(tenant, key, "failed", error)

    async def release(self, tenant: str, key: str, error: str) -> None:
        """GHL did not take the message: let a later attempt claim it again."""
        await self._set(tenant, key, "drafted", error)

    async def note_in_doubt(self, tenant: str, key: str, error: str) -> None:
        """Keep the claim ("sending"): never resent, the error says why."""
        await self._set(tenant, key, "sending", error)

    async def _set(self, tenant: str, key: str, status: str, error: str) -> None:
        async with self.db.transaction(tenant) as conn:
            await conn.execute(
                f"UPDATE replies SET status = $3, send_error = $4 {_KEY} AND status = 'sending'",
                tenant, key, status, error[:2000],
            )

    async def due_keys(self, limit: int) -> list[tuple[str, str]]:
        """(tenant, key) of held replies whose time has come, across tenants."""
        async with self.db.transaction(SCAN_SCOPE) as conn:
            rows = await conn.fetch(
                "SELECT tenant_id, idempotency_key FROM outbound_due_replies($1)", limit
            )
        return [(r["tenant_id"], r["idempotency_key"]) for r in rows]

    async def release_due(
        self, tenant: str, key: str, relay: Callable[[StoredReply], Awaitable[None]]
    ) -> bool:
        """Hand a due held reply to `relay` (which re-queues it), then mark it drafted; the
        row stays locked meanwhile, so another replica's scheduler skips it."""
        async with self.db.transaction(tenant) as conn:
            row = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM replies {_KEY} AND status = 'held' "
                "AND send_after <= now() FOR UPDATE SKIP LOCKED", tenant, key,
            )
            if row is None:
                return False
            await relay(StoredReply.from_row(row))
            await conn.execute(f"UPDATE replies SET status = 'drafted' {_KEY}", tenant, key)
        return True
