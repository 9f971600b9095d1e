"""Recommendations and seller insights over a tenant's replicated listings and sales (issue
#27): the responder's one read filters the listings in SQL as `listings.Search.admits` does
(the tenant's area aliases, budget and its tolerances, bedrooms, bathrooms, type, active
only), loads at most `MAX_LISTINGS` of thousands, the likeliest first, through the area index,
and the best match among them is the best of all the tenant's listings; sales of the last
six months in the seller's areas come back with their count and dates."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.conftest import new_tenant
from tests.support.services import ServiceUrls
from workers.db.tenant import TenantDatabase
from workers.learning.extract.model import Area
from workers.responder import modes, store
from workers.responder.listings import Listing, Search, best_match
from workers.tenants import store as tenants
from workers.tenants.model import area_terms

TODAY = date(2026, 11, 30)
AREAS = (Area(name="Round Rock", aliases=("RR", "Round Rock TX")),
         Area(name="Austin", aliases=("ATX",)), Area(name="Cedar Park"))
# An MLS feed spans many cities: the tenant's areas (under their names and aliases) are a
# few of them.
CITIES = ("Round Rock", "round rock", "RR", "Round Rock TX", "Austin", "ATX", "Cedar Park",
          "Georgetown", "Pflugerville", None,
          *(f"{town} {kind}" for town in ("Oak", "Elm", "Pine", "Cedar", "Maple", "Willow",
                                          "Birch", "Spring", "Mill", "Stone")
            for kind in ("Hills", "Creek", "Valley", "Springs")))
TYPES = ("single_family", "condo", "townhouse", "multi_family", "land", "mobile_home", None)
SUB_TYPES = {"single_family": "Single Family Residence", "condo": "Condominium",
             "townhouse": "Townhouse", "multi_family": "Duplex", "land": "Unimproved Land",
             "mobile_home": "Manufactured Home", None: None}
STATUSES = ("active", "active", "active", "coming_soon", "active_under_contract", "pending")
FEATURES = ("pool", "garage", "basement", "single_story", "waterfront", "no_hoa")
BUYER = {"intent": "buy", "budget_min": 400_000, "budget_max": 450_000, "bedrooms_min": 3,
         "bathrooms_min": 2, "locations": ["Round Rock"], "property_type": "single_family",
         "must_haves": ["pool", "garage"]}
COLUMNS = ("listing_id", "address", "area", "price", "bedrooms", "bathrooms", "property_type",
           "property_sub_type", "features", "url", "photo_url", "status", "living_area",
           "source", "modified_at", "synced_at")


def listing_row(i: int, rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(TYPES)
    features = sorted(rng.sample(FEATURES, rng.randint(0, 3)))
    # Nothing random has both a pool and a garage: the planted match is the one that does.
    if "pool" in features and "garage" in features:
        features.remove("garage")
    return {"listing_id": f"R{i:05d}", "address": f"{i} Random Rd", "area": rng.choice(CITIES),
            "price": rng.randrange(150_000, 900_000, 500),
            "bedrooms": rng.choice((1, 2, 3, 3, 4, 5, None)),
            "bathrooms": rng.choice((1.0, 1.5, 2.0, 2.5, 3.0, None)), "property_type": kind,
            "property_sub_type": SUB_TYPES[kind], "features": features,
            "url": f"https://homes.example/l/R{i:05d}",
            "photo_url": f"https://cdn.photos.example/R{i:05d}/1.jpg",
            "status": rng.choice(STATUSES), "living_area": rng.randrange(600, 4000),
            "source": "feed", "modified_at": datetime(2026, 11, 1, tzinfo=UTC),
            "synced_at": datetime(2026, 11, 29, tzinfo=UTC)}


def planted() -> list[dict[str, Any]]:
    """The right match (in Round Rock under an alias), and rows that beat it on one point
    but fail one hard filter each."""
    base: dict[str, Any] = {"address": "12 Oak St", "area": "rr", "price": 439_000, "bedrooms": 3,
            "bathrooms": 2.5, "property_type": "single_family",
            "property_sub_type": "Single Family Residence", "features": ["garage", "pool"],
            "url": "https://homes.example/l/MATCH",
            "photo_url": "https://cdn.photos.example/MATCH/1.jpg", "status": "active",
            "living_area": 2100, "source": "feed",
            "modified_at": datetime(2026, 11, 2, tzinfo=UTC),
            "synced_at": datetime(2026, 11, 29, tzinfo=UTC)}
    decoys: dict[str, dict[str, Any]] = {"PENDING": {"status": "pending", "price": 401_000},
              "UNDER_CONTRACT": {"status": "active_under_contract", "price": 401_000},
              "AUSTIN": {"area": "ATX", "price": 401_000},
              "OVER": {"price": 495_001},
              "CHEAP": {"price": 299_999},
              "BEDS": {"bedrooms": 2, "price": 401_000},
              "BATHS": {"bathrooms": 1.5, "price": 401_000},
              "CONDO": {"property_type": "condo", "property_sub_type": "Condominium",
                        "price": 401_000}}
    return [{**base, "listing_id": "MATCH"},
            *({**base, **change, "listing_id": key} for key, change in decoys.items())]


async def insert_listings(conn: asyncpg.Connection, tenant: str,
                          rows: list[dict[str, Any]]) -> None:
    await conn.execute(
        f"""INSERT INTO listings (tenant_id, {", ".join(COLUMNS)})
            SELECT $1, r.* FROM jsonb_to_recordset($2::text::jsonb) AS r(
                listing_id text, address text, area text, price integer, bedrooms integer,
                bathrooms numeric, property_type text, property_sub_type text,
                features text[], url text, photo_url text, status text,
                living_area integer, source text, modified_at timestamptz,
                synced_at timestamptz)""",
        tenant, json.dumps(rows, default=str))


def as_listing(r: dict[str, Any]) -> Listing:
    return Listing(r["listing_id"], r["price"], r["address"], r["area"], r["bedrooms"],
                   r["bathrooms"], r["property_type"], tuple(r["features"]), r["url"],
                   r["photo_url"], r["status"])


@pytest.fixture
async def seeded(db: TenantDatabase, migrated: ServiceUrls
                 ) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A tenant with 3,000 random listings and the planted ones (and another tenant whose
    identical rows must never be read), analysed so the planner sees their real size."""
    tenant, other = new_tenant(), new_tenant()
    rng = random.Random(27)
    rows = [listing_row(i, rng) for i in range(3_000)] + planted()
    # Many admitted listings that lack a must-have: more than MAX_LISTINGS pass the filters.
    rows += [{**planted()[0], "listing_id": f"NEAR{i:03d}", "features": ["garage"],
              "price": 400_000 + 100 * i} for i in range(300)]
    for t in (tenant, other):
        async with db.transaction(t) as conn:
            await tenants.add(conn, t, "Acme")
            await tenants.update(conn, t, {"service_areas": AREAS})
            await insert_listings(conn, t, rows if t == tenant else [
                {**r, "listing_id": "OTHER-" + r["listing_id"]} for r in rows])
    admin = await asyncpg.connect(migrated.admin_database_url)
    try:
        await admin.execute("ANALYZE listings; ANALYZE comparable_sales")
    finally:
        await admin.close()
    yield tenant, rows


async def test_the_right_match_is_found_among_thousands(
        db: TenantDatabase, seeded: tuple[str, list[dict[str, Any]]]) -> None:
    tenant, rows = seeded
    async with db.transaction(tenant) as conn:
        _, facts = await store.published_or_facts(conn, tenant, "c1", "k1", TODAY, BUYER)
    assert facts is not None
    search, terms = Search.of(BUYER), area_terms(AREAS, ["Round Rock"])
    admitted = [as_listing(r) for r in rows if search.admits(as_listing(r), terms)]
    assert len(admitted) > store.MAX_LISTINGS  # the limit is exercised
    assert len(facts.listings) == store.MAX_LISTINGS
    assert all(search.admits(x, terms) for x in facts.listings)  # SQL's filters are the pure
    assert not any(x.listing_id.startswith("OTHER-") for x in facts.listings)
    loaded = best_match(BUYER, facts.listings, facts.tenant.areas)
    everything = best_match(BUYER, [as_listing(r) for r in rows], AREAS)
    assert loaded is not None and everything is not None
    assert loaded.listing.listing_id == everything.listing.listing_id == "MATCH"
    assert loaded.listing.photo_url == "https://cdn.photos.example/MATCH/1.jpg"
    plan = modes.plan_reply(BUYER, {}, [], facts.listings, facts.comps, TODAY,
                            facts.tenant.areas)
    assert plan.mode == "recommendation" and plan.match is not None
    assert modes.fallback_text(plan, "Ana").endswith(
        "Details: https://homes.example/l/MATCH Would you like to see it?")
    # A follow-up reads the same candidates with its own statement.
    async with db.transaction(tenant) as conn:
        again = await store.candidates(conn, tenant, BUYER)
    assert sorted(again, key=lambda x: x.listing_id) == sorted(
        facts.listings, key=lambda x: x.listing_id)


@pytest.mark.parametrize("profile", [
    {"budget_max": 500_000, "bedrooms_min": 4, "bathrooms_min": 3,
     "locations": ["Austin"], "property_type": "townhouse"},
    {"budget_min": 700_000, "locations": ["Cedar Park", "Round Rock"], "bedrooms_min": 5},
    {"budget_max": 250_000, "property_type": "condo", "bathrooms_min": 2.5},
    {"budget_min": 850_000, "budget_max": 860_000, "locations": ["Georgetown"]},
    {"locations": ["ATX"], "bedrooms_min": 2},  # an alias named as an area: its own name
])
async def test_the_statement_admits_exactly_what_the_pure_filter_admits(
        db: TenantDatabase, seeded: tuple[str, list[dict[str, Any]]],
        profile: dict[str, Any]) -> None:
    tenant, rows = seeded
    search = Search.of(profile)
    terms = area_terms(AREAS, search.locations)
    expected = sorted(r["listing_id"] for r in rows if search.admits(as_listing(r), terms))
    assert 0 < len(expected) < store.MAX_LISTINGS
    async with db.transaction(tenant) as conn:
        _, facts = await store.published_or_facts(conn, tenant, "c1", "k1", TODAY, profile)
    assert facts is not None
    assert sorted(x.listing_id for x in facts.listings) == expected


async def test_nothing_is_loaded_when_no_recommendation_can_follow(
        db: TenantDatabase, seeded: tuple[str, list[dict[str, Any]]]) -> None:
    tenant, _ = seeded
    async with db.transaction(tenant) as conn:
        for profile in (None, {}, {"bedrooms_min": 3, "property_type": "condo"},
                        {**BUYER, "intent": "sell"}):
            _, facts = await store.published_or_facts(conn, tenant, "c1", "k1", TODAY,
                                                      profile)
            assert facts is not None and facts.listings == [] and facts.comps == []
        assert await store.candidates(conn, tenant, {"budget_max": 400_000}) == []


async def plan_of(conn: asyncpg.Connection, statement: str, *args: Any) -> dict[str, Any]:
    raw = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *args)
    plan: dict[str, Any] = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    return plan


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", ()) for n in nodes(child))]


async def test_one_statement_through_the_area_index(
        db: TenantDatabase, seeded: tuple[str, list[dict[str, Any]]]) -> None:
    """Each of the lead's areas is an index lookup (tenant, area_key, price): no scan of the
    tenant's listings, with or without areas."""
    tenant, _ = seeded
    search = Search.of(BUYER)
    args = (tenant, "c1", "k1", TODAY - timedelta(days=180), store.MAX_COMPS,
            *store._search_args(search, store.MAX_LISTINGS))
    async with db.transaction(tenant) as conn:
        plan = await plan_of(conn, store._LEAD[True], *args)
        anywhere = await plan_of(conn, store._LEAD[False], *args)
    for shape, index in ((plan, {"listings_active_area"}),
                         (anywhere, {"listings_active", "listings_active_area"})):
        listings = [n for n in nodes(shape) if n.get("Relation Name") == "listings"
                    or str(n.get("Index Name", "")).startswith("listings")]
        assert listings and not any(n["Node Type"] == "Seq Scan" for n in listings), listings
        assert {n["Index Name"] for n in listings if "Index Name" in n} <= index


async def test_seller_insights_from_the_areas_recent_sales(db: TenantDatabase) -> None:
    tenant = new_tenant()
    sales = [("s1", "Round Rock", 440_000, date(2026, 6, 3), "feed"),
             ("s2", "RR", 452_000, date(2026, 9, 14), "feed"),
             ("s3", "round rock tx", 470_000, date(2026, 11, 28), "manual"),
             ("s4", "Round Rock", 999_000, date(2026, 5, 1), "feed"),  # over six months
             ("s5", "Austin", 300_000, date(2026, 10, 1), "feed"),
             ("s6", "Round Rock", 455_000, date(2026, 10, 20), "csv")]
    async with db.transaction(tenant) as conn:
        await tenants.add(conn, tenant, "Acme")
        await tenants.update(conn, tenant, {"service_areas": AREAS})
        await conn.executemany(
            "INSERT INTO comparable_sales (tenant_id, sale_id, area, sold_price, sold_at, "
            "bedrooms, bathrooms, sqft, property_type, source, modified_at) "
            "VALUES ($1, $2, $3, $4, $5, 3, 2.5, 1900, 'single_family', $6, now())",
            [(tenant, *s) for s in sales])
        seller = {"intent": "sell", "locations": ["Round Rock"]}
        _, facts = await store.published_or_facts(conn, tenant, "c1", "k1", TODAY, seller)
        _, buyer = await store.published_or_facts(conn, tenant, "c1", "k1", TODAY, BUYER)
        _, anywhere = await store.published_or_facts(conn, tenant, "c1", "k1", TODAY,
                                                     {"intent": "sell"})
    assert facts is not None and buyer is not None and anywhere is not None
    assert sorted(c.sold_price for c in facts.comps) == [440_000, 452_000, 455_000, 470_000]
    assert buyer.comps == []  # a buyer's turn never says what homes sold for
    assert len(anywhere.comps) == 5
    plan = modes.plan_reply(seller, {"open": ["price"]}, [], facts.listings, facts.comps,
                            TODAY, facts.tenant.areas)
    assert plan.sales_note == ("Median of 4 closed sales in Round Rock, Jun 3 \u2013 Nov 28: "
                               "$453,500")
    assert plan.talking_point == ("Homes in Round Rock have sold for a median of $453,500 "
                                  "over the last 6 months (4 sales).")
    note = modes.coaching_note(seller, "hot", ["timeline asap"], plan)
    assert "Comparable sales: Median of 4 closed sales in Round Rock" in note
