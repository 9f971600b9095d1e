"""Versioned lead facts in Postgres: every change of a profile field is a new version.

The current value of a field is its version with `valid_to IS NULL`; a change closes it and
opens the next, so "what did this lead want last month" is a range query. A field the lead
withdraws (a cleared opt-out, a dropped must-have) gets a version whose value is NULL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def current_facts(conn: asyncpg.Connection, tenant: str, contact: str) -> dict[str, Any]:
    rows = await conn.fetch(
        """SELECT field, value FROM lead_facts
           WHERE tenant_id = $1 AND contact_id = $2 AND valid_to IS NULL""",
        tenant, contact,
    )
    return {r["field"]: r["value"] for r in rows if r["value"] is not None}


def diff(current: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Fields whose value changed (None for a field no longer stated)."""
    changed = {k: v for k, v in new.items() if current.get(k) != v}
    changed.update({k: None for k in current if k not in new})
    return changed


async def write_versions(
    conn: asyncpg.Connection, tenant: str, contact: str, changed: dict[str, Any], *,
    at: datetime, sources: dict[str, str | None], event_id: str, confidence: dict[str, float],
) -> None:
    if not changed:
        return
    # Two pipelined round trips, whatever the number of fields: close, then open.
    await conn.executemany(
        """UPDATE lead_facts SET valid_to = $4
           WHERE tenant_id = $1 AND contact_id = $2 AND field = $3 AND valid_to IS NULL""",
        [(tenant, contact, field, at) for field in changed],
    )
    await conn.executemany(
        """INSERT INTO lead_facts (tenant_id, contact_id, field, value, confidence,
                                   source_message_id, source_event_id, valid_from)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)""",
        [(tenant, contact, field, value, confidence.get(field, 0.9), sources.get(field),
          event_id, at) for field, value in changed.items()],
    )


async def facts_at(conn: asyncpg.Connection, tenant: str, contact: str,
                   when: datetime) -> dict[str, Any]:
    """The profile as it stood at `when`."""
    rows = await conn.fetch(
        """SELECT field, value FROM lead_facts
           WHERE tenant_id = $1 AND contact_id = $2 AND valid_from <= $3
             AND (valid_to IS NULL OR valid_to > $3)""",
        tenant, contact, when,
    )
    return {r["field"]: r["value"] for r in rows if r["value"] is not None}
