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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg

from workers.booking import appointment
from workers.consent_ledger import Consent
from workers.leads import Lead
from workers.leads import store as leads
from workers.leads.state import from_row as lead_of
from workers.responder.listings import (
    COMPS_WINDOW_DAYS,
    PRICE_LIMIT,
    Comparable,
    Listing,
    Search,
)
from workers.responder.tenant import TenantProfile, tenant_profile
from workers.tenants import store as tenants
from workers.tenants.model import from_row

MAX_LISTINGS = 200  # the candidates loaded for a lead, the likeliest first (`_search`)
NO_LEAD = Lead("", "")  # nothing known (tests; a real read always names the lead)
MAX_COMPS = 500  # the latest sales of the window in the seller's area(s)


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


# The lead's search (`listings.Search`) as the parameters of a statement, in this order from
# `$at` (`_search_args`): how many candidates (0: none), the area names, the price bounds
# (the budget and its tolerances), bedrooms, bathrooms, type, must-haves, the budget as said.
_SEARCH = ("limit", "names", "price_min", "price_max", "beds", "baths", "kind", "must",
           "budget_min", "budget_max")


def _search_args(search: Search, limit: int) -> tuple[Any, ...]:
    low, high = -PRICE_LIMIT - 1, PRICE_LIMIT
    return (limit, list(search.locations),
            low if search.price_min is None else search.price_min,
            high if search.price_max is None else search.price_max,
            search.bedrooms_min, search.bathrooms_min, search.property_type,
            list(search.must_haves),
            low if search.budget_min is None else search.budget_min,
            high if search.budget_max is None else search.budget_max)


def _search(in_areas: bool, at: int) -> tuple[str, str]:
    """(the CTE of the lead's area terms, the candidates' JSON array) for a statement whose
    tenant is `$1` and whose search parameters start at `$at`.

    The candidates are `Search.admits` in SQL: active, priced within the bounds, in the
    areas' names and aliases (`tenants.store.area_terms`), bedrooms, bathrooms and type
    met or not given. With areas, each term is looked up on its own (a lateral subquery the
    planner does not flatten: it plans one area's rows, where an array known only at run
    time would hide how few they are) in the index `listings_active_area` (tenant,
    area_key, price) WHERE active (`area_key`: lower(area), stored; migrations/0018);
    without, in `listings_active` (tenant, status, price).
    When more than `limit` pass, the ones kept are those the score is likeliest to put
    first: most must-haves, within the budget as said, fewest unknowns, then cheapest (the
    score's own tie-break); the score itself stays in Python (`listings.best_match`)."""
    p = {name: f"${at + i}" for i, name in enumerate(_SEARCH)}
    terms = f"terms AS (SELECT unnest({tenants.area_terms('$1', p['names'])}) AS term)"
    admitted = f"""SELECT listing_id, price, address, area, bedrooms, bathrooms, property_type,
                   features, url, photo_url
              FROM listings
             WHERE tenant_id = $1 AND status = 'active'
               {"AND area_key = terms.term" if in_areas else ""}
               AND price BETWEEN {p['price_min']}::int AND {p['price_max']}::int
               AND ({p['beds']}::int IS NULL OR bedrooms IS NULL OR bedrooms >= {p['beds']})
               AND ({p['baths']}::float8 IS NULL OR bathrooms IS NULL
                    OR bathrooms >= {p['baths']})
               AND ({p['kind']}::text IS NULL OR property_type IS NULL
                    OR property_type = {p['kind']})"""
    source = (f"terms CROSS JOIN LATERAL ({admitted} OFFSET 0) x" if in_areas
              else f"({admitted}) x")
    candidates = f"""(SELECT coalesce(jsonb_agg(l), '[]'::jsonb) FROM (
          SELECT x.* FROM {source}
           ORDER BY (SELECT count(*) FROM unnest(x.features) f
                      WHERE f = ANY({p['must']}::text[])) DESC,
                    (x.price BETWEEN {p['budget_min']}::int AND {p['budget_max']}::int) DESC,
                    num_nulls(x.bedrooms, x.bathrooms, x.property_type), x.price, x.listing_id
           LIMIT {p['limit']}::int) l)"""
    return terms, candidates


def _sales(in_areas: bool) -> str:
    """The latest sales of the window ($4: its first day) in the lead's areas (the terms;
    each area's own latest through `comparable_sales_area`) or in all
    (`comparable_sales_recent`), at most $5, as a JSON array."""
    recent = f"""SELECT sale_id, sold_price, sold_at, area, bedrooms FROM comparable_sales
             WHERE tenant_id = $1 {"AND area_key = terms.term" if in_areas else ""}
               AND sold_at BETWEEN $4::date AND $4::date + {COMPS_WINDOW_DAYS}
             ORDER BY sold_at DESC, sale_id LIMIT $5::int"""
    source = f"terms CROSS JOIN LATERAL ({recent}) x" if in_areas else f"({recent}) x"
    return f"""(SELECT coalesce(jsonb_agg(c), '[]'::jsonb) FROM (
          SELECT x.sold_price, x.sold_at, x.area, x.bedrooms FROM {source}
           ORDER BY x.sold_at DESC, x.sale_id LIMIT $5::int) c)"""


def _lead(in_areas: bool) -> str:
    terms, listings = _search(in_areas, 6)
    return f"""
WITH {terms}
SELECT EXISTS (SELECT 1 FROM replies WHERE tenant_id = $1 AND idempotency_key = $3) AS claimed,
       (SELECT published FROM replies WHERE tenant_id = $1 AND idempotency_key = $3)
           AS published,
       {tenants.COLUMNS},
       {leads.columns("$1", "$2")},
       (SELECT mode FROM replies WHERE tenant_id = $1 AND contact_id = $2
          AND status <> 'suppressed' ORDER BY created_at DESC LIMIT 1) AS last_mode,
       {listings} AS listings,
       {_sales(in_areas)} AS comps
FROM (SELECT 1) one {tenants.joins("$1")} {leads.joins("$1", "$2")}
"""


# By whether the lead named areas: each shape has its own index (and prepared statement).
_LEAD = {in_areas: _lead(in_areas) for in_areas in (False, True)}


def _only_candidates(in_areas: bool) -> str:
    terms, listings = _search(in_areas, 2)
    return f"WITH {terms} SELECT {listings} AS listings"


_CANDIDATES = {in_areas: _only_candidates(in_areas) for in_areas in (False, True)}


def _listing(r: Mapping[str, Any]) -> Listing:
    return Listing(r["listing_id"], r["price"], r["address"], r["area"], r["bedrooms"],
                   float(r["bathrooms"]) if r["bathrooms"] is not None else None,
                   r["property_type"], tuple(r["features"] or ()), r["url"], r["photo_url"])


async def published_or_facts(conn: asyncpg.Connection, tenant: str, contact: str, key: str,
                             today: date, profile: Mapping[str, Any] | None = None
                             ) -> tuple[list[dict[str, Any]] | None, LeadFacts | None]:
    """The events already published for `key` if its message has a reply; else the tenant's
    and the lead's facts (settings, opt-out, last mode, and for the lead's `profile`: the
    active listings its search admits when a recommendation may follow, the recent sales
    in its areas when it sells). One round trip either way: listings and sales come back as
    JSON arrays. Without a profile (a first touch) neither is read."""
    search = Search.of(profile or {})
    row = await conn.fetchrow(
        _LEAD[bool(search.locations)], tenant, contact, key,
        today - timedelta(days=COMPS_WINDOW_DAYS), MAX_COMPS if search.wants_sales else 0,
        *_search_args(search, MAX_LISTINGS if search.wants_listings else 0))
    assert row is not None
    if row["claimed"]:
        return list(row["published"]), None
    settings = from_row(tenant, row)
    return None, LeadFacts(
        tenant=tenant_profile(settings),
        tenant_known=settings.known,
        lead=lead_of(tenant, contact, row),
        opt_out_confirmed=row["last_mode"] == "opt_out_confirmation",
        listings=[_listing(r) for r in row["listings"]],
        comps=[Comparable(r["sold_price"], date.fromisoformat(r["sold_at"]), r["area"],
                          r["bedrooms"]) for r in row["comps"]],
    )


async def candidates(conn: asyncpg.Connection, tenant: str,
                     profile: Mapping[str, Any]) -> list[Listing]:
    """The active listings the lead's search admits (as `published_or_facts` reads them),
    for a reply whose profile is known only after that read (a follow-up's, from the
    lead's context); none when the lead has not said enough for a recommendation."""
    search = Search.of(profile)
    if not search.enough:
        return []
    rows = await conn.fetchval(_CANDIDATES[bool(search.locations)], tenant,
                               *_search_args(search, MAX_LISTINGS))
    return [_listing(r) for r in rows]


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
