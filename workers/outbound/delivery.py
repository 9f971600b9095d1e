"""The outbound's claim of a reply in Postgres: what makes each reply go out at most once,
and only with consent.

The status machine and every write of `replies` belong to `workers.replies` (its docstring
has the table of edges); this module decides which one the claim takes. Every claim decides
consent again (`workers.consent.decision`) on the lead's state read in the claim's own
statement: the lead (`workers.leads`: the contact's flags and its recorded consent), the
tenant's settings (`workers.tenants`) and whatever the lead wrote after the message
answered, so a held, retried or replayed reply goes out only if it still may.

"sending" is committed before the POST, so a crash between the POST and the status write
leaves the reply "sending": a redelivery finds it and does not resend blindly (it may have
been delivered); it is counted and left for reconciliation. The claim goes back to
"drafted" only when GHL provably did not take the message, so a retry may send it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, cast

import asyncpg

from schemas.events import ReplyDrafted
from workers.consent.decision import (
    DEFAULT_LIMITS,
    ConsentDecision,
    ConsentState,
    Limits,
    Outgoing,
)
from workers.consent.decision import decide as consent
from workers.errors import InvalidEventError
from workers.ghl.client import Delivered
from workers.leads import consent_state
from workers.leads import store as leads
from workers.leads.state import from_row as lead_of
from workers.replies import CLAIM_COLUMNS, Action, Reply
from workers.replies import store as replies
from workers.replies.claim import claim_action
from workers.runtime.ports import Transactions
from workers.tenants import store as tenants
from workers.tenants.model import from_row as tenant_of

# A tenant id no GHL location has: the due scan needs a transaction but reads no tenant's
# rows itself (the SECURITY DEFINER function of 0005 returns only (tenant, key) pairs).
SCAN_SCOPE = "~outbound-scheduler"


@dataclass(frozen=True)
class Claim:
    action: Action
    reply: Reply
    consent: ConsentDecision | None = None  # decided by this claim (None: not asked)


class ReplyClaims(Protocol):
    """What `OutboundHandler` uses of `ReplyStore`, so it is tested with an in-memory fake."""

    async def claim(self, ev: ReplyDrafted, now: datetime) -> Claim: ...

    async def release(self, tenant: str, key: str, error: str) -> None: ...

    async def mark_failed(self, tenant: str, key: str, error: str) -> None: ...

    async def note_in_doubt(self, tenant: str, key: str, error: str) -> None: ...

    async def mark_sent(self, tenant: str, key: str, delivered: Delivered) -> datetime: ...


def consent_of(row: Mapping[str, Any], channel: str,
               mode: str) -> tuple[Outgoing, ConsentState]:
    """The consent question of a locked reply row (see `_LOCK`): pure, for `decide`."""
    state = consent_state(
        tenant_of(row["tenant_id"], row), lead_of(row["tenant_id"], row["contact_id"], row),
        later_messages=list(row["later_messages"]), in_flight=bool(row["in_flight"]),
        texts_24h=int(row["texts_24h"] or 0))
    confirmation = mode == "opt_out_confirmation"
    return Outgoing(channel, due_at=row["due_at"], confirmation=confirmation,
                    answers=row["reply_to_message_id"]), state


_COLUMNS = ", ".join(CLAIM_COLUMNS)  # exactly what `Reply.from_row` reads here
# Due: the lead's message answered (staleness counts from it), or the end of a hold.
_LOCK = f"""
SELECT {", ".join("r." + c for c in CLAIM_COLUMNS)},
       GREATEST(coalesce(a.occurred_at, r.created_at),
                coalesce(r.send_after, a.occurred_at, r.created_at)) AS due_at,
       {tenants.COLUMNS},
       {leads.columns("r.tenant_id", "r.contact_id")},
       ARRAY(SELECT m.body FROM messages m
              WHERE m.tenant_id = r.tenant_id AND m.contact_id = r.contact_id
                AND m.direction = 'inbound' AND m.sender = 'lead'
                AND (m.occurred_at, m.created_at)
                    > (coalesce(a.occurred_at, r.created_at),  -- a first touch: its draft
                       coalesce(a.created_at, r.created_at))
              ORDER BY m.occurred_at, m.created_at LIMIT $3) AS later_messages,
       EXISTS (SELECT 1 FROM inbound_marks k
                WHERE k.tenant_id = r.tenant_id AND k.contact_id = r.contact_id
                  AND k.occurred_at > coalesce(a.occurred_at, r.created_at)
                  AND NOT EXISTS (SELECT 1 FROM messages m
                                   WHERE m.tenant_id = k.tenant_id
                                     AND (m.event_id = k.event_id
                                          OR m.message_id = k.message_id))) AS in_flight,
       (SELECT count(*) FROM replies x
         WHERE x.tenant_id = r.tenant_id AND x.contact_id = r.contact_id
           AND x.status IN ('sending', 'sent') AND x.channel IN ('sms', 'whatsapp')
           AND coalesce(x.sent_at, x.created_at) > $4::timestamptz - interval '24 hours')
           AS texts_24h
  FROM replies r
  {tenants.joins("r.tenant_id")}
  {leads.joins("r.tenant_id", "r.contact_id")}
  LEFT JOIN messages a ON a.tenant_id = r.tenant_id AND a.message_id = r.reply_to_message_id
 WHERE r.tenant_id = $1 AND r.idempotency_key = $2
   FOR UPDATE OF r"""
HISTORY = 20  # the lead's later messages read (any one of them supersedes the reply)
_KEY = "WHERE tenant_id = $1 AND idempotency_key = $2"


class ReplyStore:
    """The outbound's side of `replies`: the claim (lock, decide, move in one transaction),
    the outcome of a send, and the scheduler's scan; the writes are `workers.replies.store`."""

    def __init__(self, db: Transactions, limits: Limits = DEFAULT_LIMITS) -> None:
        self.db = db
        self.limits = limits

    async def claim(self, ev: ReplyDrafted, now: datetime) -> Claim:
        """Upsert the reply from its event, then decide and record the transition atomically
        (the row is locked, so two consumers of one reply cannot both claim it). A reply
        for a location that is no tenant (never installed, never added) is refused: no tenant
        is created on its behalf."""
        tenant = ev.tenant_id
        async with self.db.transaction(tenant) as conn:
            try:
                await replies.upsert_drafted(conn, ev)
            except asyncpg.ForeignKeyViolationError as exc:
                raise InvalidEventError(f"no tenant {tenant!r}: a reply for a location that "
                                        "never installed the app is not sent") from exc
            locked = await conn.fetchrow(_LOCK, tenant, ev.idempotency_key, HISTORY, now)
            row = Reply.from_row(locked)
            step = claim_action(
                row.status, row.send_after or ev.send_after, now,
                blocked_before=row.blocked_at is not None,
                consent=lambda: consent(*consent_of(locked, row.channel, row.mode), now,
                                        self.limits))
            action, send_after, verdict = step.action, step.send_after, step.verdict
            if action is Action.SEND:
                await replies.mark_sending(conn, tenant, ev.idempotency_key)
            elif action is Action.HOLD:
                await replies.mark_held(conn, tenant, ev.idempotency_key, send_after)
            elif action is Action.BLOCKED and verdict is not None:
                await replies.mark_suppressed(conn, tenant, ev.idempotency_key, verdict.reason,
                                              now)
                row = replace(row, status="suppressed", suppressed_reason=verdict.reason,
                              blocked_at=now)  # as a redelivery will read it
        return Claim(action, row, verdict)

    async def mark_sent(self, tenant: str, key: str, delivered: Delivered) -> datetime:
        async with self.db.transaction(tenant) as conn:
            sent_at = await replies.mark_sent(conn, tenant, key, delivered.message_id,
                                              delivered.conversation_id)
        # The row this claim moved to 'sending' holds the key, so it returned its sent_at.
        return cast(datetime, sent_at)

    async def mark_failed(self, tenant: str, key: str, error: str) -> None:
        async with self.db.transaction(tenant) as conn:
            await replies.mark_failed(conn, tenant, key, error)

    async def release(self, tenant: str, key: str, error: str) -> None:
        """GHL did not take the message: let a later attempt claim it again."""
        async with self.db.transaction(tenant) as conn:
            await replies.release(conn, tenant, key, error)

    async def note_in_doubt(self, tenant: str, key: str, error: str) -> None:
        """Keep the claim ("sending"): never resent, the error says why."""
        async with self.db.transaction(tenant) as conn:
            await replies.note_in_doubt(conn, tenant, key, error)

    async def due_keys(self, limit: int) -> list[tuple[str, str]]:
        """(tenant, key) of held replies whose time has come, across tenants."""
        async with self.db.transaction(SCAN_SCOPE) as conn:
            rows = await conn.fetch(
                "SELECT tenant_id, idempotency_key FROM outbound_due_replies($1)", limit
            )
        return [(r["tenant_id"], r["idempotency_key"]) for r in rows]

    async def release_due(
        self, tenant: str, key: str, relay: Callable[[Reply], Awaitable[None]]
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
            await relay(Reply.from_row(row))
            await replies.mark_drafted(conn, tenant, key)
        return True
