"""The funnel's rows for one tenant over a window: one statement, inside
`TenantDatabase.transaction(tenant)` (row-level security: the tenant's rows only).

Each column is read from its owner's table as that owner writes it (see `funnel` for what
each stage means): `contacts` and `messages` (memory), `replies` (`workers/replies`: status
`sent`), `lead_profiles.qualification` (learning), `appointments` (booking), and the consent
ledger through its own SQL expression (`consent_ledger.store.entries_sql`), folded by its own
`consent_of`. The leads are found by `contacts.created_at` (a lead arrives no later than its
row), so the scan is the tenant's contacts; the per-lead reads use each table's
(tenant, contact) index.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from workers.consent_ledger.store import consent_of, entries_sql
from workers.db.tenant import json_value
from workers.outcomes.funnel import Funnel, Lead, funnel
from workers.replies.status import Status
from workers.responder.first_touch import MODE as FIRST_TOUCH_MODE

_LEADS = f"""
WITH cohort AS (
    SELECT c.contact_id, c.last_inbound_at,
           least(c.created_at, (SELECT min(m.occurred_at) FROM messages m
                                 WHERE m.tenant_id = $1 AND m.contact_id = c.contact_id))
               AS arrived_at
      FROM contacts c
     WHERE c.tenant_id = $1 AND c.created_at >= $2
)
SELECT c.contact_id, c.arrived_at, c.last_inbound_at, s.first_text_at,
       coalesce(s.first_touch, false) AS first_touch,
       p.qualification -> 'open' AS open_questions,
       ARRAY(SELECT a.status FROM appointments a
              WHERE a.tenant_id = $1 AND a.contact_id = c.contact_id) AS appointment_statuses,
       {entries_sql('$1', 'c.contact_id')} AS consent
  FROM cohort c
  LEFT JOIN LATERAL (
        SELECT min(r.sent_at) AS first_text_at, bool_or(r.mode = $4) AS first_touch
          FROM replies r
         WHERE r.tenant_id = $1 AND r.contact_id = c.contact_id AND r.status = $5) s ON true
  LEFT JOIN lead_profiles p ON p.tenant_id = $1 AND p.contact_id = c.contact_id
 WHERE c.arrived_at >= $2 AND c.arrived_at < $3
 ORDER BY c.arrived_at, c.contact_id
"""


def _lead(row: asyncpg.Record) -> Lead:
    open_questions = json_value(row["open_questions"])
    return Lead(
        contact_id=row["contact_id"], arrived_at=row["arrived_at"],
        first_text_at=row["first_text_at"], first_touch=row["first_touch"],
        last_inbound_at=row["last_inbound_at"],
        open_questions=(tuple(str(q) for q in open_questions)
                        if isinstance(open_questions, list) else None),
        appointment_statuses=tuple(row["appointment_statuses"]),
        opted_out=consent_of(row["consent"]).any_opt_out,
    )


async def leads(conn: asyncpg.Connection, tenant: str, since: datetime,
                until: datetime) -> list[Lead]:
    """The leads that arrived in [since, until), oldest first, with what became of each."""
    rows = await conn.fetch(_LEADS, tenant, since, until, FIRST_TOUCH_MODE, Status.SENT.value)
    return [_lead(r) for r in rows]


async def read(conn: asyncpg.Connection, tenant: str, since: datetime,
               until: datetime) -> Funnel:
    """The tenant's funnel of the leads that arrived in [since, until), as of now."""
    return funnel(await leads(conn, tenant, since, until), since, until)
