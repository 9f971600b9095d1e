"""The `timers` table's one writer (migrations/0016). Every function but `due` runs in the
caller's tenant transaction (`TenantDatabase.transaction(tenant)`), so a timer is scheduled,
cancelled or moved in the same transaction as the event that changes it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from workers.timers import core, follow_ups
from workers.timers.core import Change, LeadEvent, Timer

SCAN_SCOPE = "~timers-scan"  # the scan's transaction sees no tenant's rows itself
_COLUMNS = ("tenant_id, timer_id, contact_id, kind, due_at, state, attempt, claimed_at, "
            "payload, causation_id")


def _timer(row: Mapping[str, Any]) -> Timer:
    payload = row["payload"]
    return Timer(row["tenant_id"], row["timer_id"], row["contact_id"], row["kind"],
                 row["due_at"], row["state"], row["attempt"], row["claimed_at"],
                 json.loads(payload) if isinstance(payload, str) else dict(payload or {}),
                 row["causation_id"])


def follow_up_columns(tenant: str, contact: str) -> str:
    """SELECT columns a reader embeds for the lead's follow-ups (the CRM's living note):
    `follow_up_due`, `follow_up_step`, `follow_up_steps` of the pending one, and
    `follow_up_stopped`, why the last one stopped for good (`follow_up_stopped:<why>`)."""
    pending = (f"FROM timers WHERE tenant_id = {tenant} AND contact_id = {contact} "
               "AND kind = 'follow_up' AND state = 'pending' ORDER BY due_at LIMIT 1")
    return (f"(SELECT due_at {pending}) AS follow_up_due, "
            f"(SELECT (payload->>'step')::int {pending}) AS follow_up_step, "
            f"(SELECT (payload->>'steps')::int {pending}) AS follow_up_steps, "
            f"(SELECT suppressed_reason FROM replies WHERE tenant_id = {tenant} "
            f"AND contact_id = {contact} AND mode = 'none' "
            "AND idempotency_key LIKE 'timer:follow_up:%' "
            "AND suppressed_reason LIKE 'follow_up_stopped:%' "
            "ORDER BY created_at DESC LIMIT 1) AS follow_up_stopped")


async def schedule(conn: asyncpg.Connection, timer: Timer) -> bool:
    """Store a new timer; False when it exists already (a redelivered event, or a second
    first touch of one contact)."""
    inserted = await conn.fetchval(
        """INSERT INTO timers (tenant_id, timer_id, contact_id, kind, due_at, payload,
                               causation_id)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
           ON CONFLICT DO NOTHING RETURNING timer_id""",
        timer.tenant_id, timer.timer_id, timer.contact_id, timer.kind, timer.due_at,
        json.dumps(dict(timer.payload)), timer.causation_id)
    return inserted is not None


async def schedule_first_touch(conn: asyncpg.Connection, tenant: str, contact: str,
                               due_at: datetime, causation_id: str | None) -> bool:
    """The contact's first-touch timer, unless it has one, or the lead wrote already (the
    normal reply answers it)."""
    wrote = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM messages WHERE tenant_id = $1 AND contact_id = $2 "
        "AND direction = 'inbound' AND sender = 'lead')", tenant, contact)
    if wrote:
        return False
    return await schedule(conn, Timer(tenant, core.first_touch_id(contact), contact,
                                      "first_touch", due_at, causation_id=causation_id))


async def schedule_follow_up(conn: asyncpg.Connection, tenant: str, contact: str,
                             after_key: str, step: int, steps: int, due_at: datetime,
                             causation_id: str | None) -> bool:
    """The lead's next follow-up (`follow_ups.after_delivery`), unless it has an open one
    (at most one: the unique index) or this one exists (a redelivered event)."""
    timer_id = follow_ups.follow_up_id(contact, step, after_key)
    return await schedule(conn, Timer(tenant, timer_id, contact, "follow_up", due_at,
                                      payload={"step": step, "steps": steps},
                                      causation_id=causation_id))


async def delivered(conn: asyncpg.Connection, tenant: str, idempotency_key: str) -> None:
    """A text a timer fired reached the lead: that timer is done, if its loop has not marked
    it yet (the delivery may overtake it), so that the next follow-up can be scheduled."""
    if idempotency_key.startswith(core.REPLY_PREFIX):
        await conn.execute(
            "UPDATE timers SET state = 'done', reason = coalesce(reason, 'delivered'), "
            "updated_at = now() WHERE tenant_id = $1 AND timer_id = $2 AND state = 'firing'",
            tenant, idempotency_key[len(core.REPLY_PREFIX):])


async def open_timers(conn: asyncpg.Connection, tenant: str, contact: str) -> list[Timer]:
    """The lead's pending and firing timers, locked until the transaction ends."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM timers WHERE tenant_id = $1 AND contact_id = $2 "
        "AND state IN ('pending', 'firing') ORDER BY due_at FOR UPDATE", tenant, contact)
    return [_timer(r) for r in rows]


async def on_event(conn: asyncpg.Connection, tenant: str, contact: str,
                   event: LeadEvent) -> list[Change]:
    """Apply what a lead's event does to its open timers (`core.changes_for`), in the
    caller's transaction; returns the changes."""
    changes = core.changes_for(await open_timers(conn, tenant, contact), event)
    for c in changes:
        if c.action == "cancel":
            await conn.execute(
                "UPDATE timers SET state = 'cancelled', reason = $3, updated_at = now() "
                "WHERE tenant_id = $1 AND timer_id = $2", tenant, c.timer_id, c.reason)
        else:
            await conn.execute(
                "UPDATE timers SET state = 'pending', due_at = $3, claimed_at = NULL, "
                "reason = $4, updated_at = now() WHERE tenant_id = $1 AND timer_id = $2",
                tenant, c.timer_id, c.due_at, c.reason)
    return changes


async def due(conn: asyncpg.Connection, now: datetime, lease: timedelta,
              limit: int) -> list[tuple[str, str]]:
    """(tenant, timer) pairs due at `now`, across tenants (`timers_due`, migrations/0016);
    run in a `SCAN_SCOPE` transaction. Each is then claimed in its tenant's transaction."""
    rows = await conn.fetch("SELECT tenant_id, timer_id FROM timers_due($1, $2, $3)",
                            now, lease.total_seconds(), limit)
    return [(r["tenant_id"], r["timer_id"]) for r in rows]


async def claim(conn: asyncpg.Connection, tenant: str, timer_id: str, now: datetime,
                lease: timedelta) -> Timer | None:
    """Claim a due timer for this replica (`pending -> firing`, or a lapsed claim taken
    over); None when another replica holds it (SKIP LOCKED), it is no longer due, or it
    failed now (claimed too often). Commit before firing it."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM timers WHERE tenant_id = $1 AND timer_id = $2 "
        "FOR UPDATE SKIP LOCKED", tenant, timer_id)
    if row is None:
        return None
    timer = _timer(row)
    if not core.claimable(timer, now, lease):
        return None
    state = core.after_claim(timer)
    await conn.execute(
        "UPDATE timers SET state = $3, attempt = attempt + 1, claimed_at = $4, "
        "reason = CASE WHEN $3 = 'failed' THEN 'attempts' ELSE reason END, "
        "updated_at = now() WHERE tenant_id = $1 AND timer_id = $2",
        tenant, timer_id, state, now)
    if state != "firing":
        return None
    return Timer(timer.tenant_id, timer.timer_id, timer.contact_id, timer.kind, timer.due_at,
                 "firing", timer.attempt + 1, now, timer.payload, timer.causation_id)


async def still_firing(conn: asyncpg.Connection, timer: Timer) -> bool:
    """Lock the timer and tell whether this claim still holds it (not cancelled by a lead's
    event, not taken over by another replica after the lease): its effect may be claimed."""
    row = await conn.fetchrow(
        "SELECT state, attempt FROM timers WHERE tenant_id = $1 AND timer_id = $2 FOR UPDATE",
        timer.tenant_id, timer.timer_id)
    return row is not None and row["state"] == "firing" and row["attempt"] == timer.attempt


async def finish(conn: asyncpg.Connection, timer: Timer, reason: str | None = None) -> None:
    """The timer fired (its effect is claimed and published): done."""
    await conn.execute(
        "UPDATE timers SET state = 'done', reason = coalesce($3, reason), updated_at = now() "
        "WHERE tenant_id = $1 AND timer_id = $2 AND state = 'firing'",
        timer.tenant_id, timer.timer_id, reason)


async def postpone(conn: asyncpg.Connection, timer: Timer, due_at: datetime,
                   reason: str) -> bool:
    """The lead asked us to wait (`Consent.paused_until`): the timer this claim holds is due
    again at `due_at`, pending, with this claim not counted as an attempt. False when the
    claim no longer holds it (cancelled by the lead's event, or taken over)."""
    status = await conn.execute(
        "UPDATE timers SET state = 'pending', due_at = $3, claimed_at = NULL, "
        "attempt = attempt - 1, reason = $5, updated_at = now() "
        "WHERE tenant_id = $1 AND timer_id = $2 AND state = 'firing' AND attempt = $4",
        timer.tenant_id, timer.timer_id, due_at, timer.attempt, reason)
    return status.endswith(" 1")


async def get(conn: asyncpg.Connection, tenant: str, timer_id: str) -> Timer | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM timers WHERE tenant_id = $1 "
                              "AND timer_id = $2", tenant, timer_id)
    return None if row is None else _timer(row)
