"""Every statement of `consent_events`: the one writer (`append`, `forget`, `forget_tenant`)
and the reads.

Each function takes a connection inside `TenantDatabase.transaction(tenant)`, so row-level
security scopes it to one tenant. The workers' role may not delete ledger rows, and a trigger
lets an update do one thing only: detach a forgotten contact's rows (`forget`).

`ENTRIES_SQL` is the ledger read as a SQL expression, for statements that must read a lead's
consent in the same round trip as other state (the outbound claim, the responder's facts,
the CRM write-back): a lead's entries are its own rows and every row that shares one of its
address hashes (a forgotten contact's, or another contact on the same phone or email), in
the order they happened, as a jsonb array that `consent_of` folds. A row that bears on the
lead only through a shared address says so (`own` false, `via` the kinds of address shared:
`p` phone, `e` email), and the fold narrows it to the channels that address reaches: another
contact's STOP on the same phone stops texts and calls, not email.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from workers.consent_ledger.entries import Consent, Entry, fold

# {tenant} and {contact}: SQL expressions (a parameter or a column) naming the lead.
_ENTRIES = """(SELECT coalesce(jsonb_agg(jsonb_build_object(
        'entry_id', e.entry_id, 'kind', e.kind, 'channel', e.channel, 'source', e.source,
        'source_ref', e.source_ref, 'note', e.note, 'occurred_at', e.occurred_at,
        'until', e.until, 'hours', e.hours,
        'own', e.contact_id IS NOT DISTINCT FROM {contact},
        'via', ARRAY(SELECT DISTINCT left(a, 1) FROM unnest(e.addresses) a
                      WHERE a = ANY(k.keys)))
        ORDER BY e.occurred_at, e.recorded_at, e.entry_id), '[]'::jsonb)
   FROM consent_events e,
        LATERAL (SELECT coalesce((SELECT h.address_hashes FROM contacts h
                                   WHERE h.tenant_id = {tenant}
                                     AND h.contact_id = {contact}), '{{}}'::text[]) AS keys) k
  WHERE e.tenant_id = {tenant}
    AND (e.contact_id = {contact} OR e.addresses && k.keys))"""


def entries_sql(tenant: str, contact: str) -> str:
    """The ledger read for one lead as a SQL expression (a jsonb array of its entries)."""
    return _ENTRIES.format(tenant=tenant, contact=contact)


def consent_of(value: Any) -> Consent:
    """The consent folded from `entries_sql`'s value (jsonb, decoded or as text)."""
    rows = json.loads(value) if isinstance(value, str) else (value or [])
    return fold(Entry.from_row(r) for r in rows)


async def read(conn: asyncpg.Connection, tenant: str, contact: str) -> Consent:
    return consent_of(await conn.fetchval(f"SELECT {entries_sql('$1', '$2')}", tenant, contact))


_APPEND = """
INSERT INTO consent_events (tenant_id, entry_id, contact_id, addresses, channel, kind, source,
                            source_ref, note, occurred_at, until, hours)
SELECT $1, e.entry_id, $2,
       coalesce((SELECT address_hashes FROM contacts WHERE tenant_id = $1 AND contact_id = $2),
                '{}'::text[]),
       e.channel, e.kind, e.source, e.source_ref, e.note, e.occurred_at, e.until, e.hours
  FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
              $9::timestamptz[], $10::timestamptz[], $11::text[])
       AS e(entry_id, channel, kind, source, source_ref, note, occurred_at, until, hours)
ON CONFLICT DO NOTHING"""


async def append(conn: asyncpg.Connection, tenant: str, contact: str,
                 entries: Sequence[Entry]) -> None:
    """Record entries for a lead (keyed by the lead's current address hashes too); an entry
    recorded before (same id) is left as it is. One round trip, none when empty."""
    if not entries:
        return
    await conn.execute(
        _APPEND, tenant, contact, [e.entry_id for e in entries], [e.channel for e in entries],
        [str(e.kind) for e in entries], [str(e.source) for e in entries],
        [e.source_ref for e in entries], [e.note for e in entries],
        [e.occurred_at for e in entries], [e.until for e in entries],
        [e.hours for e in entries])


async def forget(conn: asyncpg.Connection, tenant: str, contact: str) -> int:
    """Detach a forgotten contact's rows: the contact id goes, the keyed hashes of its
    addresses stay (added to each row), so its suppressions still match the same phone or
    email. Returns the rows kept. Call before the contact row is deleted."""
    status = await conn.execute(
        """UPDATE consent_events e
              SET contact_id = NULL,
                  addresses = ARRAY(SELECT DISTINCT a FROM unnest(
                      e.addresses || coalesce((SELECT address_hashes FROM contacts
                                               WHERE tenant_id = $1 AND contact_id = $2),
                                              '{}'::text[])) a ORDER BY a)
            WHERE e.tenant_id = $1 AND e.contact_id = $2""", tenant, contact)
    return int(status.rsplit(" ", 1)[-1])


async def forget_tenant(conn: asyncpg.Connection, tenant: str) -> int:
    """`forget` for every contact of a tenant at once (its data is purged after it
    uninstalled the app): each row keeps the keyed hashes of its contact's addresses, so a
    reinstall still suppresses the same phone or email. Returns the rows detached. Call
    before the contacts are deleted."""
    status = await conn.execute(
        """UPDATE consent_events e
              SET contact_id = NULL,
                  addresses = ARRAY(SELECT DISTINCT a FROM unnest(
                      e.addresses || coalesce((SELECT c.address_hashes FROM contacts c
                                               WHERE c.tenant_id = e.tenant_id
                                                 AND c.contact_id = e.contact_id),
                                              '{}'::text[])) a ORDER BY a)
            WHERE e.tenant_id = $1 AND e.contact_id IS NOT NULL""", tenant)
    return int(status.rsplit(" ", 1)[-1])


async def history(conn: asyncpg.Connection, tenant: str, contact: str) -> list[Entry]:
    """Every entry that bears on the lead, in the order they happened (for people: the CLI,
    the console)."""
    value = await conn.fetchval(f"SELECT {entries_sql('$1', '$2')}", tenant, contact)
    rows = json.loads(value) if isinstance(value, str) else (value or [])
    return [Entry.from_row(r) for r in rows]
