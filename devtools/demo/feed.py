"""The demo agencies' listings and recent sales, the way a real agency gets them: from its MLS
over the RESO Web API (a fake one here, `devtools.fakes.reso_api`), replicated by the
listings sync (`workers.listings`) into `listings` and `comparable_sales`.

Each agency's feed is configured as `leadmem tenant config ID --reso-url URL
--reso-token-env VAR` stores it (the token encrypted with the master key), then one sync
replicates it; `services.LISTINGS`/`COMPS` are what its MLS holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import httpx

from devtools.fakes.reso_api import FakeResoAPI
from workers.db.tenant import TenantDatabase
from workers.listings import store
from workers.listings.feed import Changes
from workers.listings.sync import Syncer, SyncResult
from workers.secrets import MasterKey

# Our property types -> RESO PropertySubType (the feed's words for them).
SUB_TYPES = {"single_family": "SingleFamilyResidence", "condo": "Condominium",
             "townhouse": "Townhouse", "multi_family": "Duplex", "land": "UnimprovedLand",
             "mobile_home": "ManufacturedHome"}
Listing = tuple[str, str, str, int, int, float, str, Sequence[str]]
Sale = tuple[str, str, int, int]


def token_of(tenant: str) -> str:
    return f"demo-reso-{tenant}"


def listing_record(listing: Listing) -> dict[str, Any]:
    """An Active MLS record of a demo listing, with the RESO flags of its features."""
    key, address, area, price, beds, baths, kind, features = listing
    return {"ListingKey": key, "ListingId": key.upper(), "StandardStatus": "Active",
            "ListPrice": price, "UnparsedAddress": address, "City": area,
            "BedroomsTotal": beds, "BathroomsTotalDecimal": baths,
            "PropertyType": "Residential", "PropertySubType": SUB_TYPES[kind],
            "PoolPrivateYN": "pool" in features, "GarageYN": "garage" in features}


def sale_record(sale: Sale, today: date) -> dict[str, Any]:
    """A Closed MLS record of a demo sale, closed 20 days ago."""
    key, area, price, beds = sale
    return {"ListingKey": key, "ListingId": key.upper(), "StandardStatus": "Closed",
            "ListPrice": price, "ClosePrice": price,
            "CloseDate": (today - timedelta(days=20)).isoformat(), "City": area,
            "BedroomsTotal": beds, "PropertyType": "Residential",
            "PropertySubType": SUB_TYPES["single_family"]}


def records(listings: Iterable[Listing], sales: Iterable[Sale], today: date
            ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    return ([(listing_record(x), []) for x in listings]
            + [(sale_record(s, today), []) for s in sales])


async def replicate(db: TenantDatabase, master_key: MasterKey,
                    listings: Mapping[str, Sequence[Listing]],
                    sales: Mapping[str, Sequence[Sale]], tenants: Sequence[str]
                    ) -> dict[str, SyncResult]:
    """One fake MLS per agency with listings or sales, each agency's feed pointed at it, and
    one sync each; the syncs' results."""
    out: dict[str, SyncResult] = {}
    today = date.today()
    async with httpx.AsyncClient(timeout=10) as http:
        syncer = Syncer(db, http, master_key, lease=timedelta(minutes=5),
                        reconcile_every=timedelta(days=1), backoff_s=0.05)
        for tenant in tenants:
            mine = records(listings.get(tenant, ()), sales.get(tenant, ()), today)
            if not mine:
                continue
            async with FakeResoAPI(tokens={token_of(tenant): tenant}) as mls:
                mls.load(mine)
                async with db.transaction(tenant) as conn:
                    await store.put_feed(conn, tenant, Changes(
                        base_url=mls.base_url, token=token_of(tenant), page_size=200,
                        rate_per_s=50.0, daily_limit=40_000), master_key)
                out[tenant] = await syncer.sync(tenant)
    return out
