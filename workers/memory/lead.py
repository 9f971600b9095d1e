"""The working context of a group's leads from Postgres in one round trip.

`store.load_memory` + `store.load_profile` cost three statements per lead; the memory worker
reloads every lead it touched in a transaction, so this does the same for all of them in one:
each contact row, its profile (LEFT JOIN) and its recent window as a JSON array, rebuilt into
the same models.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from schemas.context import RECENT_MESSAGES, ContextMessage, MemoryPart, ProfilePart
from workers.memory.rows import memory_part

_LEADS = """
SELECT c.contact_id, c.first_name, c.name, c.phone, c.email, c.timezone, c.state, c.tags,
       c.assigned_to, c.summary, c.message_count, c.dnd, c.dnd_channels, c.human_takeover,
       c.last_inbound_at,
       p.contact_id IS NOT NULL AS has_profile, p.profile, p.score, p.score_reasons,
       p.qualification, p.next_questions, p.version,
       (SELECT coalesce(json_agg(json_build_object(
                   'direction', m.direction, 'sender', m.sender, 'channel', m.channel,
                   'body', m.body, 'at', m.occurred_at, 'message_id', m.message_id)
                   ORDER BY m.occurred_at DESC, m.created_at DESC), '[]')
          FROM (SELECT * FROM messages
                WHERE tenant_id = c.tenant_id AND contact_id = c.contact_id
                ORDER BY occurred_at DESC, created_at DESC LIMIT $3) m) AS recent
FROM contacts c
LEFT JOIN lead_profiles p ON p.tenant_id = c.tenant_id AND p.contact_id = c.contact_id
WHERE c.tenant_id = $1 AND c.contact_id = ANY($2::text[])
"""
_PROFILE_FIELDS = ("profile", "score", "score_reasons", "qualification", "next_questions",
                   "version")


def _message(m: dict[str, Any]) -> ContextMessage:
    at = datetime.fromisoformat(m["at"]).astimezone(UTC)
    return ContextMessage(direction=m["direction"], sender=m["sender"], channel=m["channel"],
                          body=m["body"], at=at, message_id=m["message_id"])


async def load_leads(conn: asyncpg.Connection, tenant: str, contacts: Sequence[str]
                     ) -> dict[str, tuple[MemoryPart | None, ProfilePart]]:
    """Each contact's (memory, profile) as `store.load_memory` and `store.load_profile`
    return them (memory None: no such contact), in the order of `contacts`."""
    if not contacts:
        return {}
    rows = {r["contact_id"]: r
            for r in await conn.fetch(_LEADS, tenant, list(contacts), RECENT_MESSAGES)}
    return {contact: _lead(tenant, contact, rows.get(contact)) for contact in contacts}


def _lead(tenant: str, contact: str,
          c: asyncpg.Record | None) -> tuple[MemoryPart | None, ProfilePart]:
    if c is None:
        return None, ProfilePart(tenant_id=tenant, contact_id=contact)
    profile = ProfilePart(tenant_id=tenant, contact_id=contact,
                          **({f: c[f] for f in _PROFILE_FIELDS} if c["has_profile"] else {}))
    return memory_part(tenant, contact, c, [_message(m) for m in reversed(c["recent"])]), profile
