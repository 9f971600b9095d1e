"""Postgres reads of the responder; every function runs inside
`TenantDatabase.transaction(tenant)`, so row-level security scopes it to one tenant.

A reply is claimed by inserting its row keyed by `(tenant_id, idempotency_key)` (the inbound
message id) after the reply was drafted (`workers.replies.store.claim`, the table's one
owner): whoever inserts first owns the reply; anyone else — a redelivery, or a second
`ProfileUpdated` for the same message — re-publishes the stored `published` events instead
of its own draft. Claiming after the Claude call (not before) means a crash mid-call leaves
no half-claimed row that would block the reply forever.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg

from workers.booking import appointment
from workers.consent_ledger import Consent
from workers.leads import Lead
from workers.leads import store as leads
from workers.leads.state import from_row as lead_of
from workers.responder.listings import COMPS_WINDOW_DAYS, Comparable, Listing
from workers.responder.tenant import TenantProfile, tenant_profile
from workers.tenants import store as tenants
from workers.tenants.model import from_row

MAX_LISTINGS = 500
NO_LEAD = Lead("", "")  # nothing known (tests; a real read always names the lead)
MAX_COMPS = 200


@dataclass(frozen=True)
class LeadFacts:
    tenant: TenantProfile
    tenant_known: bool = True
    lead: Lead = NO_LEAD  # the contact's flags and recorded consent (`workers.leads`)
    opt_out_confirmed: bool = False
    listings: list[Listing] = field(default_factory=list)
    comps: list[Comparable] = field(default_factory=list)

    @property
    def consent(self) -> Consent:
        """The lead's recorded consent (the consent ledger's fold)."""
        return self.lead.consent


_LEAD = f"""
SELECT EXISTS (SELECT 1 FROM replies WHERE tenant_id = $1 AND idempotency_key = $3) AS claimed,
       (SELECT published FROM replies WHERE tenant_id = $1 AND idempotency_key = $3)
           AS published,
       {tenants.COLUMNS},
       {leads.columns("$1", "$2")},
       (SELECT mode FROM replies WHERE tenant_id = $1 AND contact_id = $2
          AND status <> 'suppressed' ORDER BY created_at DESC LIMIT 1) AS last_mode,
       (SELECT coalesce(jsonb_agg(l ORDER BY l.updated_at DESC), '[]'::jsonb)
          FROM (SELECT listing_id, price, address, area, bedrooms, bathrooms, property_type,
                       features, url, updated_at
                  FROM listings WHERE tenant_id = $1 AND status = 'active'
                 ORDER BY updated_at DESC LIMIT $4) l) AS listings,
       (SELECT coalesce(jsonb_agg(c ORDER BY c.sold_at DESC), '[]'::jsonb)
          FROM (SELECT sold_price, sold_at, area, bedrooms FROM comparable_sales
                 WHERE tenant_id = $1 AND sold_at >= $5
                 ORDER BY sold_at DESC LIMIT $6) c) AS comps
FROM (SELECT 1) one {tenants.joins("$1")} {leads.joins("$1", "$2")}
"""


async def published_or_facts(conn: asyncpg.Connection, tenant: str, contact: str, key: str,
                             today: date) -> tuple[list[dict[str, Any]] | None,
                                                   LeadFacts | None]:
    """The events already published for `key` if its message has a reply; else the tenant's
    and the lead's facts (settings, opt-out, last mode, active listings, recent sales). One
    round trip either way: listings and sales come back as JSON arrays."""
    row = await conn.fetchrow(_LEAD, tenant, contact, key, MAX_LISTINGS,
                              today - timedelta(days=COMPS_WINDOW_DAYS), MAX_COMPS)
    assert row is not None
    if row["claimed"]:
        return list(row["published"]), None
    settings = from_row(tenant, row)
    return None, LeadFacts(
        tenant=tenant_profile(settings),
        tenant_known=settings.known,
        lead=lead_of(tenant, contact, row),
        opt_out_confirmed=row["last_mode"] == "opt_out_confirmation",
        listings=[Listing(r["listing_id"], r["price"], r["address"], r["area"], r["bedrooms"],
                          float(r["bathrooms"]) if r["bathrooms"] is not None else None,
                          r["property_type"], tuple(r["features"] or ()), r["url"])
                  for r in row["listings"]],
        comps=[Comparable(r["sold_price"], date.fromisoformat(r["sold_at"]), r["area"],
                          r["bedrooms"]) for r in row["comps"]],
    )


@dataclass(frozen=True)
class FollowUpEnd:
    """What a quiet lead's follow-ups stop on, beside its consent and memory: an appointment
    booked and not cancelled (`appointments`, workers/booking), or its GHL opportunity
    marked lost (the latest opportunity event's status)."""

    booked: bool
    lost: bool




async def follow_up_ended(conn: asyncpg.Connection, tenant: str, contact: str) -> FollowUpEnd:
    row = await conn.fetchrow(
        """SELECT EXISTS (SELECT 1 FROM appointments WHERE tenant_id = $1 AND contact_id = $2
                            AND lower(status) <> ALL($3::text[])) AS booked,
                  (SELECT lower(status) FROM lead_events WHERE tenant_id = $1
                      AND contact_id = $2 AND kind = 'opportunity' AND status IS NOT NULL
                    ORDER BY occurred_at DESC LIMIT 1) = 'lost' AS lost""",
        tenant, contact, sorted(appointment.CANCELLED))
    assert row is not None
    return FollowUpEnd(bool(row["booked"]), bool(row["lost"]))


async def contacts_named(conn: asyncpg.Connection, tenant: str, contact: str,
                         candidates: list[str]) -> list[str]:
    """Full names of the tenant's contacts other than `contact` that are among `candidates`
    (lower-case word sequences of a draft; `reply_check.name_candidates`). Indexed by
    migration 0009."""
    if not candidates:
        return []
    rows = await conn.fetch(
        """SELECT DISTINCT full_name FROM (
               SELECT btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))
                          AS full_name
                 FROM contacts
                WHERE tenant_id = $1 AND contact_id <> $2
                  AND lower(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')))
                      = ANY($3::text[])
               UNION ALL
               SELECT btrim(name) FROM contacts
                WHERE tenant_id = $1 AND contact_id <> $2
                  AND lower(btrim(name)) = ANY($3::text[])) named""",
        tenant, contact, candidates)
    return [r["full_name"] for r in rows]
