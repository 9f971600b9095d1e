"""Every statement that writes `replies`. Each takes a connection inside the tenant's
transaction (`TenantDatabase.transaction(tenant)`: row-level security scopes it), so the
caller decides what else commits with it: the outbound's claim locks the row, decides, and
moves it in one transaction.

Each status write declares the edges it moves (`@moves`); the unit tests hold every one of
them to `status.EDGES`. The SQL is the one each worker ran before this module owned it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import asyncpg

from schemas.events import ReplyDrafted
from workers.replies.row import Reply
from workers.replies.status import HELD_FOR_REVIEW, RELEASED, Status

P = ParamSpec("P")
R = TypeVar("R")
Edge = tuple[Status, Status]

# Each status write -> the (from, to) edges it may move a row along.
TRANSITIONS: dict[str, frozenset[Edge]] = {}


def moves(*edges: Edge) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Declare the edges a write moves (the declaration the tests check against `EDGES`)."""
    def declare(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        TRANSITIONS[fn.__name__] = frozenset(edges)
        return fn
    return declare


_KEY = "WHERE tenant_id = $1 AND idempotency_key = $2"


# --- Inserts: how a row comes to exist ------------------------------------------------------

async def claim(conn: asyncpg.Connection, row: Reply) -> list[dict[str, Any]]:
    """The responder's claim: store the reply if the message has none yet; returns the
    events to publish (ours, or those of the reply that claimed the message first)."""
    inserted = await conn.fetchval(
        """INSERT INTO replies (tenant_id, idempotency_key, event_id, contact_id,
               reply_to_message_id, channel, body, mode, status, model, input_tokens,
               output_tokens, cache_read_tokens, cache_write_tokens, latency_ms, cost_usd,
               send_after, published, suppressed_reason, claude_outcome, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                   $17, $18::jsonb, $19, $20, coalesce($21, now()))
           ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
           RETURNING idempotency_key""",
        row.tenant_id, row.idempotency_key, row.event_id, row.contact_id,
        row.reply_to_message_id, row.channel, row.body, row.mode, row.status, row.model,
        row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_write_tokens,
        row.latency_ms, row.cost_usd, row.send_after, row.published, row.suppressed_reason,
        row.claude_outcome, row.created_at,
    )
    if inserted is not None:
        return row.published
    existing = await published_for(conn, row.tenant_id, row.idempotency_key)
    return existing or []


async def published_for(conn: asyncpg.Connection, tenant: str,
                        key: str) -> list[dict[str, Any]] | None:
    """The events a claimed reply produced; None when the message has no reply yet."""
    row = await conn.fetchrow(
        "SELECT published FROM replies WHERE tenant_id = $1 AND idempotency_key = $2",
        tenant, key,
    )
    return None if row is None else list(row["published"])


_UPSERT = """
INSERT INTO replies (tenant_id, idempotency_key, event_id, contact_id, reply_to_message_id,
                     channel, body, mode, model, send_after, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
"""


async def upsert_drafted(conn: asyncpg.Connection, ev: ReplyDrafted) -> None:
    """The outbound's copy of a reply from its event, when no row holds it yet (a stored
    row, whatever its status, is left as it is: the claim decides from it)."""
    await conn.execute(
        _UPSERT, ev.tenant_id, ev.idempotency_key, ev.event_id, ev.contact_id,
        ev.reply_to_message_id, ev.channel, ev.body, ev.mode, ev.model, ev.send_after,
        ev.occurred_at,  # when it was drafted: its age counts from there
    )


# --- The outbound's claim (the row is locked by the caller's `FOR UPDATE`) -----------------

@moves((Status.DRAFTED, Status.SENDING), (Status.HELD, Status.SENDING))
async def mark_sending(conn: asyncpg.Connection, tenant: str, key: str) -> None:
    """Claimed for sending, committed before the POST: a crash after it leaves the reply in
    doubt, never resent blindly."""
    await conn.execute(
        "UPDATE replies SET status = 'sending', claimed_at = now(), "
        f"send_attempts = send_attempts + 1 {_KEY}", tenant, key,
    )


@moves((Status.DRAFTED, Status.HELD), (Status.HELD, Status.HELD))
async def mark_held(conn: asyncpg.Connection, tenant: str, key: str,
                    send_after: datetime | None) -> None:
    """Held until `send_after`; the scheduler re-queues it then."""
    await conn.execute(
        f"UPDATE replies SET status = 'held', send_after = $3 {_KEY}", tenant, key, send_after,
    )


@moves((Status.DRAFTED, Status.SUPPRESSED), (Status.HELD, Status.SUPPRESSED))
async def mark_suppressed(conn: asyncpg.Connection, tenant: str, key: str, reason: str,
                          at: datetime) -> None:
    """Blocked at the moment of sending (`blocked_at`: a redelivery re-publishes the
    notice instead of deciding again)."""
    await conn.execute(
        "UPDATE replies SET status = 'suppressed', suppressed_reason = $3, "
        f"blocked_at = $4 {_KEY}", tenant, key, reason, at,
    )


# --- After the POST ----------------------------------------------------------------------

@moves((Status.SENDING, Status.SENT), (Status.SENT, Status.SENT))
async def mark_sent(conn: asyncpg.Connection, tenant: str, key: str, message_id: str,
                    conversation_id: str | None) -> datetime | None:
    """GHL took the reply: its ids, and when it was first recorded sent (returned; None
    when no row holds the key). Idempotent: a retried write keeps the first `sent_at`.

    Written by the outbound (after the POST, with GHL's conversation id) and by memory
    (recording the `ReplyDelivered` it was told of; conversation_id None). Memory's own
    statement used to set neither `ghl_conversation_id` nor `send_error`; this one leaves the
    row exactly as that did:
    - `COALESCE($4, ghl_conversation_id)`: memory's None keeps the stored id. The outbound's
      None would keep it too, where it used to write NULL; but the outbound writes here
      only right after its claim moved the row to 'sending', and only this statement ever
      sets the column (with 'sent', which no edge leaves), so the stored id is NULL then.
    - `send_error = NULL`: `ReplyDelivered` is published only by the outbound, after this
      statement committed 'sent' with `send_error = NULL`; a sent row is final and the only
      other write of `send_error` is guarded by `status = 'sending'`, so memory finds it NULL
      (or finds no row: nothing changes either way).
    """
    sent_at: datetime | None = await conn.fetchval(
        "UPDATE replies SET status = 'sent', ghl_message_id = $3, "
        "ghl_conversation_id = COALESCE($4, ghl_conversation_id), "
        f"sent_at = COALESCE(sent_at, now()), send_error = NULL {_KEY} RETURNING sent_at",
        tenant, key, message_id, conversation_id,
    )
    return sent_at


@moves((Status.SENDING, Status.FAILED))
async def mark_failed(conn: asyncpg.Connection, tenant: str, key: str, error: str) -> None:
    """GHL refused it for good."""
    await _after_sending(conn, tenant, key, Status.FAILED, error)


@moves((Status.SENDING, Status.DRAFTED))
async def release(conn: asyncpg.Connection, tenant: str, key: str, error: str) -> None:
    """GHL did not take the message: let a later attempt claim it again."""
    await _after_sending(conn, tenant, key, Status.DRAFTED, error)


@moves((Status.SENDING, Status.SENDING))
async def note_in_doubt(conn: asyncpg.Connection, tenant: str, key: str, error: str) -> None:
    """Keep the claim ("sending"): never resent, the error says why."""
    await _after_sending(conn, tenant, key, Status.SENDING, error)


async def _after_sending(conn: asyncpg.Connection, tenant: str, key: str, status: Status,
                         error: str) -> None:
    """The outcome of a claim that is still ours: only a 'sending' row moves."""
    await conn.execute(
        f"UPDATE replies SET status = $3, send_error = $4 {_KEY} AND status = 'sending'",
        tenant, key, status.value, error[:2000],
    )


# --- The scheduler -----------------------------------------------------------------------

@moves((Status.HELD, Status.DRAFTED))
async def mark_drafted(conn: asyncpg.Connection, tenant: str, key: str) -> None:
    """A due held reply was re-queued: its claim starts again (the caller holds the row
    locked, read `AND status = 'held'`)."""
    await conn.execute(f"UPDATE replies SET status = 'drafted' {_KEY}", tenant, key)


# --- A person's review of a draft the reply check held (the console) -----------------------

_AWAITING_REVIEW = (f"AND status = 'suppressed' AND suppressed_reason LIKE "
                    f"'{HELD_FOR_REVIEW}%' AND review IS NULL")


@moves(RELEASED)
async def release_held(conn: asyncpg.Connection, tenant: str, key: str, by: str,
                       at: datetime) -> Reply | None:
    """A person releases a draft the reply check held: it is drafted again, due at `at`
    (`send_after`, so its age counts from the release), for the caller to publish as a
    `ReplyDrafted`; the outbound's claim then decides consent as for any draft. Returns the
    row as released; None when the key names no draft awaiting review (released or cancelled
    before, or never held)."""
    row = await conn.fetchrow(
        "UPDATE replies SET status = 'drafted', send_after = $4, review = 'released', "
        f"reviewed_by = $3, reviewed_at = $4 {_KEY} {_AWAITING_REVIEW} RETURNING *",
        tenant, key, by, at,
    )
    return None if row is None else Reply.from_row(row)


async def cancel_held(conn: asyncpg.Connection, tenant: str, key: str, by: str,
                      at: datetime) -> bool:
    """A person cancels a draft the reply check held: it stays suppressed (not a status
    move), the decision recorded. False when the key names no draft awaiting review."""
    done = await conn.fetchval(
        "UPDATE replies SET review = 'cancelled', reviewed_by = $3, reviewed_at = $4 "
        f"{_KEY} {_AWAITING_REVIEW} RETURNING true", tenant, key, by, at,
    )
    return bool(done)
