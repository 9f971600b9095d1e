"""The agency's own listings replicated from the fake RESO Web API into the real Postgres (as
the workers' role, under row-level security): 2,500 listings; changes, a move to Closed, a
withdrawal and a removal found only by reconciliation, each reflected exactly once; a page
failing mid-sync and a crash inside a page resume from the committed watermark with nothing
lost, duplicated or half-written; 429 honoured; both StandardStatus forms; OAuth2 client
credentials; one sync per feed at a time; another tenant's sync never touches this tenant's
rows; the periodic loop and the listings worker."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import httpx
import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.reso_api import FakeResoAPI, first_photo, sample_listings
from tests.conftest import new_tenant
from tests.support.services import ServiceUrls
from tests.support.tenants import add_tenants
from workers.db.tenant import TenantDatabase
from workers.errors import RetryableError
from workers.listings import store
from workers.listings.feed import Changes
from workers.listings.service import SPEC
from workers.listings.sync import BUSY, OK, Progress, Syncer, SyncLoop
from workers.runtime.background import Loop
from workers.runtime.host import WorkerHost
from workers.secrets import generate_key
from workers.settings import Settings
from workers.tenants import store as tenants

pytestmark = pytest.mark.integration
MASTER_KEY = generate_key()
TOKEN = "mls-grid-token"
LISTED = {"active": "active", "comingsoon": "coming_soon",
          "activeundercontract": "active_under_contract", "pending": "pending"}


class VirtualTime:
    """A clock the fake's rate limit and the sync's pacer share; sleeping moves it."""

    def __init__(self) -> None:
        self.now = 50_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
async def api() -> AsyncIterator[FakeResoAPI]:
    fake = FakeResoAPI(tokens={TOKEN: "agency"}, clients={"cid": "csecret"})
    async with fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def tenant(db: TenantDatabase) -> str:
    t = new_tenant()
    await add_tenants(db, t)
    return t


async def configure(db: TenantDatabase, tenant: str, api: FakeResoAPI, *,
                    page_size: int = 200, rate: float = 100.0, filter_text: str | None = None,
                    **changes: Any) -> None:
    values: dict[str, Any] = {"base_url": api.base_url, "token": TOKEN,
                              "page_size": page_size, "rate_per_s": rate,
                              "daily_limit": 40_000, "filter": filter_text, **changes}
    async with db.transaction(tenant) as conn:
        await store.put_feed(conn, tenant, Changes(**values), MASTER_KEY)


def syncer(db: TenantDatabase, http: httpx.AsyncClient, **kwargs: Any) -> Syncer:
    options: dict[str, Any] = {"lease": timedelta(minutes=10),
                               "reconcile_every": timedelta(days=1), "backoff_s": 0.01}
    return Syncer(db, http, MASTER_KEY, **{**options, **kwargs})


def expected(api: FakeResoAPI) -> dict[str, int]:
    """What the fake's records should become, read from them independently of reso.py: listing
    statuses, `sold` (Closed), `gone` (everything else and MlgCanView false)."""
    out: Counter[str] = Counter()
    for r in api.records.values():
        status = re.sub(r"[^a-z]", "", str(r["StandardStatus"]).lower())
        out["gone" if r.get("MlgCanView") is False else
            LISTED.get(status, "sold" if status == "closed" else "gone")] += 1
    return dict(out)


async def state(db: TenantDatabase, tenant: str) -> dict[str, Any]:
    async with db.transaction(tenant) as conn:
        by_status = {r["status"]: r["n"] for r in await conn.fetch(
            "SELECT status, count(*) AS n FROM listings GROUP BY status")}
        sales = await conn.fetchval("SELECT count(*) FROM comparable_sales")
        feed = await conn.fetchrow("SELECT * FROM listing_feeds")
    return {"by_status": by_status, "sales": sales, "feed": feed}


def held(s: dict[str, Any]) -> dict[str, int]:
    """The rows as `expected` counts them."""
    return {**s["by_status"], "sold": s["sales"]}


def without_gone(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k != "gone" and v}


async def rows(db: TenantDatabase, tenant: str, table: str, key: str) -> dict[str, Any]:
    async with db.transaction(tenant) as conn:
        return {r[key]: dict(r) for r in await conn.fetch(f"SELECT * FROM {table}")}


async def test_2500_listings_replicated_by_status_and_as_comparable_sales(
        db: TenantDatabase, http: httpx.AsyncClient, api: FakeResoAPI, tenant: str) -> None:
    api.load(sample_listings(2500, seed=11))
    statuses = {r["StandardStatus"] for r in api.records.values()}
    assert {"ActiveUnderContract", "Active Under Contract", "ComingSoon", "Coming Soon"} \
        <= statuses  # both StandardStatus forms
    await configure(db, tenant, api)
    seen: list[Progress] = []
    started = time.monotonic()
    result = await syncer(db, http).sync(tenant, progress=lambda p: seen.append(
        Progress(p.tenant, p.phase, p.pages, p.records, dict(p.counts), p.watermark, p.keys)))
    seconds = time.monotonic() - started
    want = expected(api)
    assert result.outcome == OK, result.error
    assert result.pages == 13 and result.counts["invalid"] == 0
    assert result.counts["listed"] == sum(want[s] for s in LISTED.values())
    assert result.counts["sold"] == want["sold"]
    assert result.counts["removed"] == want["gone"]
    s = await state(db, tenant)
    assert held(s) == without_gone(want)
    assert seconds < 30, f"2,500 listings took {seconds:.1f} s"
    # the progress callback saw every page, then the reconciliation (the first one is due)
    assert [p.pages for p in seen if p.phase == "replicating"] == list(range(1, 14))
    assert seen[-1].phase == "reconciling" and seen[-1].keys == 2500
    assert result.reconciled and result.reconcile_removed == 0
    # what a listing holds: the first photo by Order, its URL, its type, its features
    listings = await rows(db, tenant, "listings", "listing_id")
    for key, row in list(listings.items())[:50]:
        raw = api.records[key]
        assert row["photo_url"] == first_photo(api.media[key])
        assert row["url"] == raw["ListingURL"] and row["price"] == raw["ListPrice"]
        assert row["area"] == raw["City"] and row["postal_code"] == raw["PostalCode"]
        assert row["mls_number"] == raw["ListingId"] and row["source"] == "feed"
        assert row["property_type"] in ("single_family", "condo", "townhouse",
                                        "multi_family", "mobile_home")
        assert ("pool" in row["features"]) is raw["PoolPrivateYN"]
    sales = await rows(db, tenant, "comparable_sales", "sale_id")
    for key, row in list(sales.items())[:20]:
        raw = api.records[key]
        assert row["sold_price"] == raw["ClosePrice"]
        assert row["sold_at"].isoformat() == raw["CloseDate"]
        assert row["sqft"] == raw["LivingArea"] and row["source"] == "feed"
    # the feed records the sync
    feed = s["feed"]
    last = max(r["ModificationTimestamp"] for r in api.records.values())
    assert feed["watermark"] == datetime.fromisoformat(last.replace("Z", "+00:00"))
    assert (feed["last_sync_outcome"], feed["last_sync_records"]) == ("ok", 2500)
    assert feed["sync_claim"] is None and feed["last_reconciled_at"] is not None
    assert feed["requests_today"] == result.requests == 13 + 13  # pages + key pages
    # nothing changed: the next sync re-reads only the watermark's instant and skips it
    again = await syncer(db, http).sync(tenant)
    assert again.outcome == OK and not again.reconciled
    assert again.counts == {"listed": 0, "sold": 0, "removed": 0, "invalid": 0,
                            "skipped": len(feed["watermark_keys"])}
    assert 1 <= again.counts["skipped"] <= api.per_instant
    assert held(await state(db, tenant)) == without_gone(want)


async def test_changes_a_close_a_withdrawal_and_a_removal_each_reflected_once(
        db: TenantDatabase, http: httpx.AsyncClient, api: FakeResoAPI, tenant: str) -> None:
    api.load(sample_listings(300, seed=12))
    await configure(db, tenant, api, page_size=50)
    first = await syncer(db, http).sync(tenant)
    assert first.outcome == OK
    listings = await rows(db, tenant, "listings", "listing_id")
    active = sorted(k for k, r in listings.items() if r["status"] == "active")
    repriced, closed, withdrawn, dropped, photo, pending = active[:6]
    api.modify(repriced, ListPrice=399_000)
    api.modify(closed, StandardStatus="Closed", ClosePrice=405_000, CloseDate="2026-01-04")
    api.modify(withdrawn, StandardStatus="Withdrawn")
    api.modify(pending, StandardStatus="Active Under Contract")  # the display form
    api.remove(dropped)  # no trace in the feed: only a reconciliation finds it
    api.set_photos(photo, ["https://photos.example-mls.com/new-front.jpg"])  # no bump

    changed = await syncer(db, http).sync(tenant)
    assert changed.outcome == OK and not changed.reconciled
    assert (changed.counts["listed"], changed.counts["sold"], changed.counts["removed"]) == \
        (2, 1, 1)
    after = await rows(db, tenant, "listings", "listing_id")
    sales = await rows(db, tenant, "comparable_sales", "sale_id")
    assert after[repriced]["price"] == 399_000
    assert after[pending]["status"] == "active_under_contract"
    assert closed not in after and sales[closed]["sold_price"] == 405_000
    assert withdrawn not in after and withdrawn not in sales
    assert dropped in after  # replication cannot see a removal
    assert after[photo]["photo_url"] != "https://photos.example-mls.com/new-front.jpg"

    reconciled = await syncer(db, http).sync(tenant, reconcile=True)
    assert reconciled.outcome == OK and reconciled.reconciled
    assert (reconciled.reconcile_removed, reconciled.photos_changed) == (1, 1)
    final = await rows(db, tenant, "listings", "listing_id")
    assert dropped not in final and len(final) == len(after) - 1
    assert final[photo]["photo_url"] == "https://photos.example-mls.com/new-front.jpg"
    assert held(await state(db, tenant)) == without_gone(expected(api))
    # a reconciliation only removes the feed's own rows: manual and CSV rows stay
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO listings (tenant_id, listing_id, price, source) "
                           "VALUES ($1, 'manual-1', 1, 'manual'), ($1, 'csv-1', 1, 'csv')",
                           tenant)
    await syncer(db, http).sync(tenant, reconcile=True)
    assert {"manual-1", "csv-1"} <= set(await rows(db, tenant, "listings", "listing_id"))


async def test_a_page_failing_mid_sync_resumes_from_the_committed_watermark(
        db: TenantDatabase, http: httpx.AsyncClient, api: FakeResoAPI, tenant: str) -> None:
    api.load(sample_listings(1000, seed=13))
    await configure(db, tenant, api, page_size=100)
    api.fail_page(4, Fault(status=500, times=20))  # the 5th page fails, retries too
    failed = await syncer(db, http).sync(tenant)
    assert failed.outcome == "http_error" and failed.pages == 4
    assert "500" in (failed.error or "")
    s = await state(db, tenant)
    ordered = sorted(api.records.values(),
                     key=lambda r: (r["ModificationTimestamp"], r["ListingKey"]))
    fourth = ordered[399]  # the last record of the 4th page
    assert s["feed"]["watermark"] == datetime.fromisoformat(
        fourth["ModificationTimestamp"].replace("Z", "+00:00"))
    assert fourth["ListingKey"] in s["feed"]["watermark_keys"]
    assert (s["feed"]["last_sync_outcome"], s["feed"]["sync_claim"]) == ("http_error", None)
    assert sum(held(s).values()) == sum(1 for r in ordered[:400]
                                        if expected_one(r) != "gone")
    api.clear_faults()
    resumed = await syncer(db, http).sync(tenant)
    assert resumed.outcome == OK and resumed.pages == 7  # from the 4th page's last instant
    # nothing lost, nothing twice: every record is in exactly one place
    assert held(await state(db, tenant)) == without_gone(expected(api))
    applied = sum(resumed.counts[k] for k in ("listed", "sold", "removed"))
    assert applied == 600  # the rest; the 4th page's last instant only skipped
    assert resumed.counts["skipped"] == len(s["feed"]["watermark_keys"])


def expected_one(record: dict[str, Any]) -> str:
    status = re.sub(r"[^a-z]", "", str(record["StandardStatus"]).lower())
    if record.get("MlgCanView") is False:
        return "gone"
    return LISTED.get(status, "sold" if status == "closed" else "gone")


async def test_a_crash_inside_a_page_writes_nothing_of_it(
        db: TenantDatabase, http: httpx.AsyncClient, api: FakeResoAPI, tenant: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    api.load(sample_listings(500, seed=14))
    await configure(db, tenant, api, page_size=100)
    real_apply = store.apply
    calls = 0

    async def crashing(conn: Any, t: str, outcomes: Any, source: str) -> store.Applied:
        nonlocal calls
        calls += 1
        applied = await real_apply(conn, t, outcomes, source)  # written, then...
        if calls == 3:
            raise ConnectionResetError("the database went away mid-page")
        return applied

    monkeypatch.setattr(store, "apply", crashing)
    with pytest.raises(RetryableError, match="the database went away mid-page"):
        await syncer(db, http).sync(tenant)
    monkeypatch.setattr(store, "apply", real_apply)
    s = await state(db, tenant)
    ordered = sorted(api.records.values(),
                     key=lambda r: (r["ModificationTimestamp"], r["ListingKey"]))
    # the 3rd page's rows and watermark rolled back together: 2 pages are there, no more
    assert sum(held(s).values()) == sum(1 for r in ordered[:200] if expected_one(r) != "gone")
    assert s["feed"]["watermark"] == datetime.fromisoformat(
        ordered[199]["ModificationTimestamp"].replace("Z", "+00:00"))
    assert s["feed"]["last_sync_outcome"] == "interrupted" and s["feed"]["sync_claim"] is None
    resumed = await syncer(db, http).sync(tenant)
    assert resumed.outcome == OK
    assert held(await state(db, tenant)) == without_gone(expected(api))


async def test_one_sync_per_feed_at_a_time_and_a_dead_claim_is_taken_over(
        db: TenantDatabase, http: httpx.AsyncClient, api: FakeResoAPI, tenant: str) -> None:
    api.load(sample_listings(50, seed=15))
    await configure(db, tenant, api)
    now = datetime.now(UTC)
    async with db.transaction(tenant) as conn:  # a replica claimed it, then died
        assert await store.claim(conn, tenant, "dead-replica", now, timedelta(minutes=10),
                                 MASTER_KEY) is not None
    busy = await syncer(db, http).sync(tenant)
    assert busy.outcome == BUSY and "another sync holds the feed" in (busy.error or "")
    assert held(await state(db, tenant)) == {"sold": 0}
    later = syncer(db, http, now=lambda: now + timedelta(minutes=11))  # the lease ran out
    taken = await later.sync(tenant)
    assert taken.outcome == OK and sum(held(await state(db, tenant)).values()) > 0
    # the dead replica, back, cannot write: its claim is gone
    async with db.transaction(tenant) as conn:
        with pytest.raises(store.ClaimLost):
            await store.commit_page(conn, tenant, "dead-replica", store.Watermark(),
                                    now.date(), 1, now)


async def test_an_uninstalled_tenants_feed_is_not_synced(
        db: TenantDatabase, http: httpx.AsyncClient, api: FakeResoAPI, tenant: str) -> None:
    api.load(sample_listings(20, seed=21))
    await configure(db, tenant, api)
    async with db.transaction(tenant) as conn:
        await tenants.uninstall(conn, tenant)
    result = await syncer(db, http).sync(tenant)
    assert result.outcome == "uninstalled" and not api.requests
    s = await state(db, tenant)
    assert s["feed"]["last_sync_outcome"] == "uninstalled" and s["feed"]["last_sync_at"]


async def test_429_is_honoured_and_nothing_is_lost(
        db: TenantDatabase, http: httpx.AsyncClient, tenant: str) -> None:
    clock = VirtualTime()
    async with FakeResoAPI(tokens={TOKEN: "agency"}, clock=clock, rate_per_s=3) as api:
        api.load(sample_listings(600, seed=16))
        await configure(db, tenant, api, page_size=50, rate=50.0)  # faster than the vendor
        result = await syncer(db, http, clock=clock, sleep=clock.sleep).sync(tenant)
        assert result.outcome == OK and result.rate_limited >= 3
        answered = [r.status for r in api.requests if r.path == "/Property"]
        assert answered.count(429) == result.rate_limited
        assert 1.0 in clock.slept  # each 429's Retry-After: 1, waited out
        assert held(await state(db, tenant)) == without_gone(expected(api))
        # with the vendor's own rate, no 429 at all (a second after the last sync's last
        # request: a new sync's pacer knows nothing of the requests before it)
        await configure(db, tenant, api, rate=3.0)
        clock.now += 1.0
        again = await syncer(db, http, clock=clock, sleep=clock.sleep).sync(
            tenant, reconcile=True)
        assert again.outcome == OK and again.rate_limited == 0


async def test_the_daily_limit_stops_the_sync_until_tomorrow(
        db: TenantDatabase, http: httpx.AsyncClient, api: FakeResoAPI, tenant: str) -> None:
    api.load(sample_listings(500, seed=17))
    await configure(db, tenant, api, page_size=100, daily_limit=3)
    result = await syncer(db, http).sync(tenant)
    assert (result.outcome, result.pages, result.requests) == ("daily_limit", 3, 3)
    s = await state(db, tenant)
    assert (s["feed"]["requests_today"], s["feed"]["last_sync_outcome"]) == (3, "daily_limit")
    again = await syncer(db, http).sync(tenant)  # the count survives the process
    assert (again.outcome, again.requests) == ("daily_limit", 0)
    tomorrow = syncer(db, http, now=lambda: datetime.now(UTC) + timedelta(days=1))
    assert (await tomorrow.sync(tenant)).pages == 3  # a new day's budget


async def test_client_credentials_and_a_tenant_filter(
        db: TenantDatabase, http: httpx.AsyncClient, api: FakeResoAPI, tenant: str) -> None:
    items = sample_listings(200, seed=18)
    for i, (record, _) in enumerate(items):
        record["OriginatingSystemName"] = "actris" if i % 2 else "other-mls"
    api.load(items)
    await configure(db, tenant, api, token=None, client_id="cid", client_secret="csecret",
                    token_url=f"{api.base_url}/oauth2/token",
                    filter_text="OriginatingSystemName eq 'actris'")
    result = await syncer(db, http).sync(tenant)
    assert result.outcome == OK
    assert result.records == 100  # only the filter's records
    sent = [r for r in api.requests if r.path == "/Property"]
    assert all(r.headers["authorization"] != f"Bearer {TOKEN}" for r in sent)
    assert sum(1 for r in api.requests if r.path == "/oauth2/token") == 1


async def test_another_tenants_sync_never_touches_this_tenants_rows(
        db: TenantDatabase, http: httpx.AsyncClient, api: FakeResoAPI) -> None:
    a, b = new_tenant(), new_tenant()
    await add_tenants(db, a, b)
    items = sample_listings(120, seed=19)
    api.load(items)
    async with FakeResoAPI(tokens={TOKEN: "agency-b"}) as api_b:
        api_b.load(items[:60])  # the same keys, another agency's feed
        await configure(db, a, api)
        await configure(db, b, api_b)
        assert (await syncer(db, http).sync(b)).outcome == OK
        before_b = (await rows(db, b, "listings", "listing_id"),
                    await rows(db, b, "comparable_sales", "sale_id"))
        # a's feed drops some keys b still has, changes others, closes one: a's sync and
        # reconciliation run, b's rows stay exactly as they were
        for key in list(api.records)[:30]:
            api.remove(key)
        for key in list(api.records)[:10]:
            api.modify(key, ListPrice=111_111, StandardStatus="Closed", ClosePrice=111_000,
                       CloseDate="2026-01-03")
        assert (await syncer(db, http).sync(a, reconcile=True)).outcome == OK
        assert (await rows(db, b, "listings", "listing_id"),
                await rows(db, b, "comparable_sales", "sale_id")) == before_b
        assert held(await state(db, a)) == without_gone(expected(api))
        assert held(await state(db, b)) == without_gone(expected(api_b))


async def test_the_periodic_loop_syncs_what_is_due(
        db: TenantDatabase, http: httpx.AsyncClient, api: FakeResoAPI) -> None:
    a, b, quiet = new_tenant(), new_tenant(), new_tenant()
    await add_tenants(db, a, b, quiet)
    api.load(sample_listings(80, seed=20))
    await configure(db, a, api)
    await configure(db, b, api)
    now = [datetime.now(UTC)]
    loop = SyncLoop(syncer(db, http, now=lambda: now[0]), db,
                    interval=timedelta(minutes=15), check_s=60)
    first = await loop.tick()
    assert {r.tenant for r in first} >= {a, b} and all(r.outcome == OK for r in first
                                                       if r.tenant in (a, b))
    assert quiet not in {r.tenant for r in first}  # no feed, never scanned
    assert {r.tenant for r in await loop.tick()} & {a, b} == set()  # not due yet
    now[0] += timedelta(minutes=16)
    assert {r.tenant for r in await loop.tick()} >= {a, b}


async def test_the_listings_worker_runs_the_loop(migrated: ServiceUrls) -> None:
    settings = Settings(database_url=migrated.database_url, http_port=0,
                        master_key=MASTER_KEY, listings_sync_interval_s=3600)
    host = WorkerHost(SPEC, settings, http_port=0)
    await asyncio.wait_for(host.start(), 10)
    try:
        res = host.resources
        assert res is not None and res.db is not None and res.redis is None
        (loop,) = res.background
        assert isinstance(loop, Loop) and loop.name == "listings-sync"
        assert host.http is not None
        async with aiohttp.ClientSession() as session, session.get(
                f"http://127.0.0.1:{host.http.port}/metrics") as resp:
            assert resp.status == 200 and "leadmem_listings_sync_seconds" in await resp.text()
    finally:
        await host.stop()
    off = WorkerHost(SPEC, Settings(database_url=migrated.database_url, http_port=0,
                                    listings_sync_interval_s=0), http_port=0)
    await off.start()
    try:
        assert off.resources is not None and off.resources.background == []
    finally:
        await off.stop()
