"""Postgres side of learning: the reads `learn` caches per transaction and the profile upsert.

Every function takes a connection inside `TenantDatabase.transaction(tenant)`, so row-level
security scopes each statement to the tenant even where a query names it too. The versioned
facts are `facts`' own.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from workers.leads import profiles
from workers.learning import facts
from workers.learning.assess import Assessment
from workers.tenants import TenantSettings
from workers.tenants import store as tenants


class Reads:
    """What `learn` reads that its own writes never change, read once per transaction: the
    tenant's settings, and per lead its messages and whether it has an appointment (written
    by the memory worker before it published the events being handled)."""

    def __init__(self, conn: asyncpg.Connection, tenant: str) -> None:
        self.conn, self.tenant = conn, tenant
        self._settings: TenantSettings | None = None
        self._messages: dict[str, list[asyncpg.Record]] = {}
        self._facts: dict[str, dict[str, Any]] = {}

    async def settings(self) -> TenantSettings:
        """The tenant's settings (`workers.tenants`): its service areas, its Claude."""
        if self._settings is None:
            self._settings = await tenants.read(self.conn, self.tenant)
        return self._settings

    async def messages(self, contact: str) -> list[asyncpg.Record]:
        """The lead's messages in order; each row also says whether it has an appointment."""
        if contact not in self._messages:
            self._messages[contact] = await self.conn.fetch(
                """SELECT m.direction, m.channel, m.body, m.message_id, m.occurred_at,
                          a.appointment
                   FROM (SELECT EXISTS (SELECT 1 FROM lead_events WHERE tenant_id = $1
                           AND contact_id = $2 AND kind = 'appointment') AS appointment) a
                   JOIN messages m ON m.tenant_id = $1 AND m.contact_id = $2
                   ORDER BY m.occurred_at, m.created_at""",
                self.tenant, contact,
            )
        return self._messages[contact]

    async def facts(self, contact: str) -> dict[str, Any]:
        """The lead's current facts (`facts.current_facts`), kept current by `stated`."""
        if contact not in self._facts:
            self._facts[contact] = await facts.current_facts(self.conn, self.tenant, contact)
        return self._facts[contact]

    def stated(self, contact: str, spec: dict[str, Any]) -> None:
        """After `facts.write_versions(diff(current, spec))` the current facts are `spec`'s
        stated fields: every changed field got a version, withdrawn ones a NULL one."""
        stored = json.loads(json.dumps(spec, default=str))  # as the jsonb codec reads it back
        self._facts[contact] = {k: v for k, v in stored.items() if v is not None}


async def save_profile(conn: asyncpg.Connection, tenant: str, contact: str,
                       spec: dict[str, Any], result: Assessment) -> tuple[int, str | None]:
    """The assessed profile through `lead_profiles`' one writer (`workers.leads.profiles`):
    the new version and the score it had before (None for a new row), one round trip."""
    return await profiles.save(
        conn, tenant, contact, profile=spec, score=result.score,
        score_reasons=result.score_reasons, qualification=result.qualification,
        next_questions=result.next_questions, signals=result.signals.to_dict())
