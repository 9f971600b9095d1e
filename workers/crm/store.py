"""Postgres side of the CRM write-back; every function runs inside
`TenantDatabase.transaction(tenant)` (row-level security scopes it to one tenant).

`crm_writes` is the at-most-once ledger of the calls GHL cannot dedupe (a task, a note's
creation): `claim` inserts the intent as 'sending' and commits before the call; `finish`
records GHL's id after. A crash in between leaves 'sending': never repeated, counted. An
opt-out's write-back (DND, the opted-out tag) is claimed the same way, once per ledger entry,
but its calls are idempotent, so one left 'sending' is made again (`writer`).

A lead's consent is read from the consent ledger (`workers.consent_ledger`) in the same
statement as the rest of the state, never from `contacts.opted_out` or the learned profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from schemas.envelope import utcnow
from workers.consent_ledger import ALL
from workers.crm.plan import (
    ContactState,
    CrmSettings,
    lead_opt_out,
    opt_out_key,
)
from workers.db.tenant import json_value
from workers.leads import store as leads
from workers.leads.state import from_row as lead_of
from workers.tenants import store as tenants
from workers.tenants.model import from_row
from workers.timers import store as timers
from workers.timers.follow_ups import describe

_STATE = f"""
SELECT {tenants.COLUMNS},
       k.note_id, k.note_updated_at, k.score_tag, k.fields,
       (SELECT status FROM crm_writes w WHERE w.tenant_id = $1 AND w.intent_key = $3)
           AS note_claim,
       {leads.columns("$1", "$2")},
       p.summary, p.score, p.score_reasons, p.next_questions,
       (SELECT m.body FROM messages m WHERE m.tenant_id = $1 AND m.contact_id = $2
           AND m.direction = 'inbound' AND m.sender = 'lead'
         ORDER BY m.occurred_at DESC, m.created_at DESC LIMIT 1) AS last_said,
       {timers.follow_up_columns("$1", "$2")}
  FROM (SELECT 1) one
  {tenants.joins("$1")}
  LEFT JOIN crm_contacts k ON k.tenant_id = $1 AND k.contact_id = $2
  {leads.joins("$1", "$2")}
  LEFT JOIN lead_profiles p ON p.tenant_id = $1 AND p.contact_id = $2
"""


async def load(conn: asyncpg.Connection, tenant: str,
               contact: str) -> tuple[CrmSettings, ContactState]:
    row = await conn.fetchrow(_STATE, tenant, contact, f"note:{contact}")
    assert row is not None
    settings = CrmSettings.of(from_row(tenant, row))
    lead = lead_of(tenant, contact, row)
    consent = lead.consent
    entry = lead_opt_out(consent.entries) if consent.any_opt_out else None
    written = entry is not None and await conn.fetchval(
        "SELECT status = 'done' FROM crm_writes WHERE tenant_id = $1 AND intent_key = $2",
        tenant, opt_out_key(contact, entry.entry_id))  # a second round trip: opted out only
    state = ContactState(
        note_id=row["note_id"], note_in_doubt=row["note_id"] is None
        and row["note_claim"] == "sending",
        note_updated_at=row["note_updated_at"], score_tag=row["score_tag"],
        fields=json_value(row["fields"]) or {}, assigned_to=lead.assigned_to,
        opted_out=consent.any_opt_out,
        opt_out_entry=entry.entry_id if entry else None,
        opt_out_at=entry.occurred_at if entry else None,
        opt_out_scope=entry.channel if entry else ALL, opt_out_written=bool(written),
        dnd_on=consent.dnd,
        first_name=lead.first_name, summary=row["summary"] or "", score=row["score"],
        score_reasons=tuple(json_value(row["score_reasons"]) or ()),
        next_questions=tuple(json_value(row["next_questions"]) or ()),
        last_said=row["last_said"] or "",
        follow_up=follow_up_line(row), paused_until=consent.paused_until(utcnow()),
        own_hours=consent.hours)
    return settings, state


def follow_up_line(row: asyncpg.Record) -> str | None:
    """The living note's follow-up line, when the tenant follows leads up at all."""
    stopped = row["follow_up_stopped"]
    if row["follow_up_due"] is not None:
        return describe(row["follow_up_due"], row["follow_up_step"] or 0,
                        row["follow_up_steps"] or 0)
    if stopped:
        return describe(None, 0, 0, [stopped.removeprefix("follow_up_stopped:")])
    return None


Claim = Literal["claimed", "done", "in_doubt"]


async def claim(conn: asyncpg.Connection, tenant: str, contact: str, key: str,
                kind: str) -> tuple[Claim, str | None]:
    """Claim an intent before its call: 'claimed' (make the call), 'done' (made before: GHL's
    id), or 'in_doubt' (claimed before and never finished: it may have been made)."""
    inserted = await conn.fetchval(
        "INSERT INTO crm_writes (tenant_id, intent_key, contact_id, kind, status) "
        "VALUES ($1, $2, $3, $4, 'sending') ON CONFLICT DO NOTHING RETURNING true",
        tenant, key, contact, kind)
    if inserted:
        return "claimed", None
    row = await conn.fetchrow("SELECT status, ghl_id FROM crm_writes WHERE tenant_id = $1 "
                              "AND intent_key = $2 FOR UPDATE", tenant, key)
    assert row is not None
    if row["status"] == "done":
        return "done", row["ghl_id"]
    if row["status"] == "failed":  # GHL refused it before: try again (the cause may be fixed)
        await conn.execute("UPDATE crm_writes SET status = 'sending', updated_at = now() "
                           "WHERE tenant_id = $1 AND intent_key = $2", tenant, key)
        return "claimed", None
    return "in_doubt", None


async def release(conn: asyncpg.Connection, tenant: str, key: str, error: str) -> None:
    """GHL provably did not apply it (429, 5xx, refused): a later attempt may claim again."""
    await conn.execute("UPDATE crm_writes SET status = 'failed', error = $3, updated_at = now() "
                       "WHERE tenant_id = $1 AND intent_key = $2 AND status = 'sending'",
                       tenant, key, error[:1000])


async def finish(conn: asyncpg.Connection, tenant: str, key: str, ghl_id: str | None) -> None:
    await conn.execute("UPDATE crm_writes SET status = 'done', ghl_id = $3, error = NULL, "
                       "updated_at = now() WHERE tenant_id = $1 AND intent_key = $2",
                       tenant, key, ghl_id)


async def forget_note(conn: asyncpg.Connection, tenant: str, contact: str, key: str) -> None:
    """The note is gone from GHL (deleted by an agent): the next write creates a new one."""
    await conn.execute("UPDATE crm_contacts SET note_id = NULL, note_updated_at = NULL "
                       "WHERE tenant_id = $1 AND contact_id = $2", tenant, contact)
    await conn.execute("DELETE FROM crm_writes WHERE tenant_id = $1 AND intent_key = $2",
                       tenant, key)


@dataclass(frozen=True)
class Written:
    """What to remember of a contact after a write (None: unchanged)."""

    note_id: str | None = None
    note_updated_at: datetime | None = None
    score_tag: str | None = None
    fields: dict[str, Any] | None = None
    score_tag_removed: bool = False  # our score tag is gone (an opted-out lead): forget it


async def remember(conn: asyncpg.Connection, tenant: str, contact: str,
                   written: Written) -> None:
    await conn.execute(
        """INSERT INTO crm_contacts (tenant_id, contact_id, note_id, note_updated_at,
               score_tag, fields)
           VALUES ($1, $2, $3, $4, $5, coalesce($6::jsonb, '{}'))
           ON CONFLICT (tenant_id, contact_id) DO UPDATE SET
               note_id = coalesce(excluded.note_id, crm_contacts.note_id),
               note_updated_at = coalesce(excluded.note_updated_at,
                                          crm_contacts.note_updated_at),
               score_tag = CASE WHEN $7 THEN NULL
                                ELSE coalesce(excluded.score_tag, crm_contacts.score_tag) END,
               fields = crm_contacts.fields || coalesce($6::jsonb, '{}'),
               updated_at = now()""",
        tenant, contact, written.note_id, written.note_updated_at, written.score_tag,
        written.fields, written.score_tag_removed)  # jsonb: the pool's codec encodes values
