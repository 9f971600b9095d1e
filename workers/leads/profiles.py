"""The one writer of `lead_profiles`: the learned profile with its score and qualification
(learning, after each assessment) and what an import of another system's leads adds.

Every function takes a connection inside `TenantDatabase.transaction(tenant)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

_SAVE = """
WITH previous AS (SELECT score FROM lead_profiles WHERE tenant_id = $1 AND contact_id = $2)
INSERT INTO lead_profiles (tenant_id, contact_id, profile, score, score_reasons,
                           qualification, next_questions, signals, version, updated_at)
VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb, 1, now())
ON CONFLICT (tenant_id, contact_id) DO UPDATE SET
    profile = EXCLUDED.profile, score = EXCLUDED.score,
    score_reasons = EXCLUDED.score_reasons, qualification = EXCLUDED.qualification,
    next_questions = EXCLUDED.next_questions, signals = EXCLUDED.signals,
    version = lead_profiles.version + 1, updated_at = now()
RETURNING version, (SELECT score FROM previous) AS previous
"""


async def save(conn: asyncpg.Connection, tenant: str, contact: str, *,
               profile: Mapping[str, Any], score: str, score_reasons: Sequence[str],
               qualification: Mapping[str, Any], next_questions: Sequence[str],
               signals: Mapping[str, Any]) -> tuple[int, str | None]:
    """Replace the lead's profile, bumping its version; returns the new version and the
    score it had before (None for a new row), in the same round trip."""
    stored = await conn.fetchrow(_SAVE, tenant, contact, profile, score, score_reasons,
                                 qualification, next_questions, signals)
    assert stored is not None
    return stored["version"], stored["previous"]


_IMPORT = """
INSERT INTO lead_profiles (tenant_id, contact_id, profile, score, score_reasons,
                           qualification, version)
VALUES ($1, $2, $3::jsonb, COALESCE($4, 'cold'), $5::jsonb, $6::jsonb, 1)
ON CONFLICT (tenant_id, contact_id) DO UPDATE SET
    profile = lead_profiles.profile || EXCLUDED.profile,
    qualification = EXCLUDED.qualification || lead_profiles.qualification,
    version = lead_profiles.version + 1, updated_at = now()
WHERE lead_profiles.profile <> lead_profiles.profile || EXCLUDED.profile
   OR lead_profiles.qualification <> EXCLUDED.qualification || lead_profiles.qualification
"""


async def merge_imported(conn: asyncpg.Connection, tenant: str, contact: str, *,
                         profile: Mapping[str, Any], score: str | None,
                         score_reasons: Sequence[str] | None, stage: str | None) -> None:
    """An imported lead's fields where its value is current (over the stored profile) and
    its stage (under what the pipeline qualified); the version moves only on a change, so an
    import run twice writes nothing the second time."""
    await conn.execute(_IMPORT, tenant, contact, profile, score, score_reasons,
                       {"stage": stage} if stage else {})
