"""Writing legacy leads (`leadmem import legacy`): one tenant transaction per lead file.

Idempotent, so an interrupted or repeated import is safe: messages are keyed by stable event
ids (ON CONFLICT DO NOTHING) and go through the memory worker's own bookkeeping; a fact
version is written only when the value changes; the profile is filled in, never overriding
what the live pipeline learned later. Files are only read, never written or moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from workers.db.tenant import TenantDatabase
from workers.leads import profiles
from workers.memory import core, store
from workers.memory.context import ContextStore
from workers.memory.legacy import (
    FACT_CONFIDENCE,
    LegacyFileError,
    LegacyLead,
    legacy_files,
    parse_lead,
    summary_prefix,
)


@dataclass
class ImportReport:
    files: int = 0
    leads: int = 0
    messages_imported: int = 0
    messages_skipped: int = 0
    preferences: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"files": self.files, "leads": self.leads,
                "messages_imported": self.messages_imported,
                "messages_skipped": self.messages_skipped, "preferences": self.preferences,
                "errors": len(self.errors)}


class _DryRun(Exception):
    """Rolls a dry run's transaction back, carrying what it would have written."""

    def __init__(self, counts: tuple[int, int, int]) -> None:
        self.counts = counts


async def import_legacy(directory: Path, db: TenantDatabase, contexts: ContextStore, *,
                        dry_run: bool = False) -> ImportReport:
    """Import every lead file under `directory`. A dry run does the same work in
    transactions it rolls back, so its counts are exact and nothing is written."""
    report = ImportReport()
    imported: list[tuple[str, str]] = []
    for path, location, contact in legacy_files(directory):
        report.files += 1
        try:
            raw = path.read_bytes()
            fallback = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            lead = parse_lead(raw, location, contact, fallback_at=fallback)
            try:
                async with db.transaction(location) as conn:
                    counts = await write_lead(conn, lead)
                    if dry_run:
                        raise _DryRun(counts)
            except _DryRun as done:
                counts = done.counts
        except OSError as exc:
            report.errors.append((str(path), f"unreadable: {exc.strerror or exc}"))
            continue
        except LegacyFileError as exc:
            report.errors.append((str(path), str(exc)))
            continue
        except asyncpg.DataError as exc:  # e.g. a NUL byte Postgres text cannot hold
            report.errors.append((str(path), f"rejected by Postgres: {exc}"))
            continue
        report.leads += 1
        report.messages_imported += counts[0]
        report.messages_skipped += counts[1]
        report.preferences += counts[2]
        imported.append((location, contact))
    if not dry_run:
        for tenant, contact in imported:
            ctx = await contexts.load(tenant, contact)
            if ctx is not None:
                await contexts.put(ctx.memory)
                await contexts.put(ctx.profile)
    return report


async def write_lead(conn: asyncpg.Connection, lead: LegacyLead) -> tuple[int, int, int]:
    """Messages imported, skipped (already stored), fact versions written."""
    tenant, contact = lead.tenant_id, lead.contact_id
    await store.ensure_lead(conn, tenant, contact)
    imported = 0
    for m in lead.messages:
        new = await store.insert_message(
            conn, tenant=tenant, event_id=m.event_id, contact=contact, direction=m.direction,
            channel=m.channel, sender=m.sender, body=m.body, at=m.at, source="legacy")
        imported += new
        if new and core.reply_needed(m.direction, m.sender):  # read as when they arrived
            await store.record_words(conn, tenant, contact, m.event_id, m.body, m.channel,
                                     m.at)
    if lead.summary:
        # The old summary becomes the oldest line of the rolling summary (once).
        await conn.execute(
            """UPDATE contacts SET summary = $3 || CASE WHEN summary = '' THEN ''
                                                   ELSE E'\\n' || summary END
               WHERE tenant_id = $1 AND contact_id = $2 AND strpos(summary, $3) = 0""",
            tenant, contact, summary_prefix(lead.summary))
    current, written = await _write_facts(conn, lead)
    if current or lead.score or lead.stage:
        await profiles.merge_imported(conn, tenant, contact, profile=current,
                                      score=lead.score, score_reasons=lead.score_reasons,
                                      stage=lead.stage)
    return imported, len(lead.messages) - imported, written


async def _write_facts(conn: asyncpg.Connection,
                       lead: LegacyLead) -> tuple[dict[str, Any], int]:
    """Fact versions as history, latest `valid_from` winning: a value the live pipeline
    learned later stays current and the legacy one goes into history before it. Returns the
    fields where the legacy value is current, and how many versions were written."""
    current_fields: dict[str, Any] = {}
    written = 0
    at = lead.facts_at
    for name, value in lead.facts.items():
        rows = await conn.fetch(
            """SELECT id, value, valid_from, valid_to, source_event_id FROM lead_facts
               WHERE tenant_id = $1 AND contact_id = $2 AND field = $3
               AND (valid_to IS NULL OR (source_event_id = 'legacy' AND valid_from = $4))""",
            lead.tenant_id, lead.contact_id, name, at)
        now = next((r for r in rows if r["valid_to"] is None), None)
        if now is not None and now["value"] == value:
            current_fields[name] = value
            continue
        if any(r["source_event_id"] == "legacy" and r["value"] == value for r in rows):
            continue  # imported before, since superseded
        later = now is not None and now["valid_from"] > at
        if now is not None and not later:
            await conn.execute("UPDATE lead_facts SET valid_to = $2 WHERE id = $1",
                               now["id"], at)
        await conn.execute(
            """INSERT INTO lead_facts (tenant_id, contact_id, field, value, confidence,
                                       source_event_id, valid_from, valid_to)
               VALUES ($1, $2, $3, $4::jsonb, $5, 'legacy', $6, $7)""",
            lead.tenant_id, lead.contact_id, name, value, FACT_CONFIDENCE, at,
            now["valid_from"] if later and now is not None else None)
        written += 1
        if not later:
            current_fields[name] = value
    return current_fields, written
