"""`leadmem bench listings`: listings replicated per second from a RESO Web API, and the
responder's recommendation read over them (issue #27).

In the bench's own database (`bench_env`), one tenant:
1. The fake RESO Web API (`devtools.fakes.reso_api`) serves `listings` records of
   `sample_listings`, whose `City` the bench spreads over `areas` cities of a metro with a
   Zipf-like share (the fake's own five cities would put a fifth of an MLS in each; a metro
   feed has a few large cities and many small ones). The tenant's feed points at it through
   `leadmem tenant config`'s path (`feed.changes`, `store.put_feed`: the fake's bearer
   token, the feed's page size, a rate limit of `rate_per_s` — at most 100/s — so the
   vendor's 2/s is not what is measured; what 2/s would mean is computed).
2. One full `Syncer.sync` (its first: the key reconciliation is due and runs too, timed
   apart through the progress callback): listings/s, pages, wall and CPU seconds. The fake
   runs in this process and answers each page by filtering and sorting every record it holds
   (about a second a page at 50,000 records), so its handler's own wall and CPU time are
   measured (`TimedFake`) and reported beside the figures without it; the sync is serial
   (one page at a time), so wall time without the fake's is the replicator's own.
3. `modify_share` of the records modified in the MLS (ListPrice), then an incremental sync:
   records/s, and the keys the fake served, which must be the modified ones and the
   watermark's instant that replication re-reads (`ge`) and skips.
4. After ANALYZE (as autovacuum does after a bulk load), `reads` timed calls of the
   responder's one read (`responder.store.published_or_facts`) per lead profile kind
   (`KINDS`, each read's profile drawn at random within its kind), inside an open tenant
   transaction (`txn_*`: with BEGIN, the tenant setting and COMMIT), and of the follow-up's
   `store.candidates` for the kinds that load candidates. Per kind: P50/P95/P99, candidate
   rows loaded, and for a sample of reads how many listings the lead's hard filters admit
   (`Search.admits` over every replicated row: what the statement's LIMIT chooses from).
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
from aiohttp import web

from devtools.bench.context import percentiles
from devtools.bench.env import BenchEnv, bench_env, with_database
from devtools.bench.machine_cpu import process_cpu, snapshot, usage
from devtools.fakes.reso_api import FakeResoAPI, sample_listings
from workers.learning.extract.model import Area
from workers.listings import feed as feeds
from workers.listings import store as listings
from workers.listings.sync import OK, Progress, Syncer, SyncResult
from workers.responder import store as responder
from workers.responder.listings import ACTIVE, Listing, Search
from workers.secrets import generate_key
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.tenants.model import area_terms

Out = Callable[[str], None]
Profile = dict[str, Any] | None

TENANT = "locbenchlistings"
TOKEN = "bench-reso-token"
TODAY = date(2026, 1, 5)  # the fake MLS's first day: its closings fall in the last 6 months
VENDOR_RATE_PER_S = 2.0  # MLS Grid's, the feed's default (`feed.Feed.rate_per_s`)
VENDOR_DAILY_LIMIT = 40_000
MAX_EXPAND_PAGE = 1000  # the largest $top with $expand=Media (the fake's, MLS Grid's)
ADMITTED_SAMPLE = 50  # reads per kind whose admitted listings are counted in Python
# A metro's cities, largest first; the tenant serves the first `SERVED`, some under aliases.
METRO = ("Austin", "Round Rock", "Cedar Park", "Pflugerville", "Georgetown", "Leander",
         "Hutto", "Kyle", "Buda", "Lakeway", "Manor", "Dripping Springs", "Bee Cave",
         "Liberty Hill", "Taylor", "Bastrop", "Elgin", "San Marcos", "Lago Vista", "Jarrell",
         "Spicewood", "West Lake Hills", "Sunset Valley", "Wimberley", "Lockhart",
         "Smithville", "Florence", "Granite Shoals", "Marble Falls", "Burnet")
ALIASES = {"Austin": ("ATX",), "Round Rock": ("RR", "Round Rock TX"), "Cedar Park": ("CP",),
           "Pflugerville": ("Pflugerville TX",), "Dripping Springs": ("Drippin",),
           "West Lake Hills": ("Westlake",)}
SERVED = 10
TYPES = ("single_family", "condo", "townhouse", "multi_family", "mobile_home")
# The lead profiles timed: areas (with their aliases) and a budget, a budget alone, bedrooms
# and a type alone, none at all (a first touch), a budget with bedrooms and a type (the
# search without areas), a seller in an area (recent sales instead of listings).
KINDS = ("areas", "budget_only", "beds_type", "none", "budget_beds_type", "seller")


@dataclass(frozen=True)
class ListingsBench:
    listings: int = 50_000
    page_size: int = 200  # the feed's default $top (`listing_feeds.page_size`)
    rate_per_s: float = 100.0  # the most `--reso-rate` allows
    areas: int = 25
    modify_share: float = 0.01
    reads: int = 500
    seed: int = 7
    database: str = "leadmem_bench"
    redis_db: int = 14


@dataclass
class Spent:
    requests: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def add(self, wall_s: float, cpu_s: float) -> None:
        self.requests += 1
        self.wall_s += wall_s
        self.cpu_s += cpu_s


class TimedFake(FakeResoAPI):
    """The fake, timing its own `/Property` handler (its time is not the replicator's), by
    kind of page (replication or key reconciliation), and noting the keys of the replication
    pages it served while `served` is a list."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.spent: dict[str, Spent] = {"replication": Spent(), "keys": Spent()}
        self.served: list[str] | None = None

    def reset_spent(self) -> None:
        self.spent = {"replication": Spent(), "keys": Spent()}

    async def _property(self, request: web.Request) -> web.Response:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return await super()._property(request)
        finally:
            kind = "keys" if "$select" in request.query else "replication"
            self.spent[kind].add(time.perf_counter() - wall, time.process_time() - cpu)

    def query(self, request: web.Request) -> dict[str, Any]:
        body = super().query(request)
        if self.served is not None and "$select" not in request.query:
            self.served.extend(r["ListingKey"] for r in body["value"])
        return body


@dataclass
class Pauses:
    """The syncer's sleeps (the pacer's turns, backoffs): time not spent replicating."""

    seconds: float = 0.0
    count: int = 0

    async def sleep(self, seconds: float) -> None:
        self.seconds += max(0.0, seconds)
        self.count += 1
        await asyncio.sleep(seconds)


async def backends(admin_url: str, database: str) -> list[int]:
    """The pids of the Postgres backends serving the bench database now (the pool's)."""
    conn = await asyncpg.connect(with_database(admin_url, database))
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = "
                                "current_database() AND pid <> pg_backend_pid()")
    finally:
        await conn.close()
    return [int(r["pid"]) for r in rows]


def postgres_cpu(pids: list[int]) -> float | None:
    """CPU seconds so far of those backends (None: not readable here, e.g. in a container).
    Other databases' backends on a shared server are not counted."""
    seconds = [got[1] for got in map(process_cpu, pids) if got is not None]
    return sum(seconds) if seconds else None


def spent_by(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else round(after - before, 2)


def metro(n: int) -> list[tuple[str, str]]:
    """`n` (city, postal code) of `METRO`, named further as `Town N` beyond it."""
    names = [*METRO, *(f"Town {i}" for i in range(len(METRO) + 1, n + 1))][:n]
    return [(name, f"78{600 + i:03d}") for i, name in enumerate(names)]


def spread(items: list[tuple[dict[str, Any], list[dict[str, Any]]]], n_areas: int,
           seed: int) -> dict[str, int]:
    """Give each record a city of the metro, the i-th largest with weight 1/i; the count per
    city."""
    rng = random.Random(seed)
    cities = metro(n_areas)
    weights = [1 / (i + 1) for i in range(len(cities))]
    counts: dict[str, int] = {}
    for record, _ in items:
        city, postal = rng.choices(cities, weights)[0]
        record["City"], record["PostalCode"] = city, postal
        counts[city] = counts.get(city, 0) + 1
    return counts


def service_areas(n_areas: int) -> tuple[Area, ...]:
    return tuple(Area(name=name, aliases=ALIASES.get(name, ()))
                 for name, _ in metro(n_areas)[:SERVED])


def profile(kind: str, rng: random.Random, areas: tuple[Area, ...]) -> Profile:
    """A lead's profile of `kind` (`KINDS`), its values drawn at random."""
    high = rng.randrange(250, 1100) * 1000
    low = high - rng.choice((50_000, 100_000, 200_000))
    names = [a.name for a in areas]
    if kind == "areas":
        p: dict[str, Any] = {"intent": "buy", "budget_max": high,
                             "locations": rng.sample(names, rng.choice((1, 1, 2))),
                             "bedrooms_min": rng.randint(2, 4)}
        if rng.random() < 0.5:
            p["budget_min"] = low
        if rng.random() < 0.3:
            p["must_haves"] = ["pool"]
        return p
    if kind == "budget_only":
        return {"intent": "buy", "budget_max": high}
    if kind == "beds_type":
        return {"intent": "buy", "bedrooms_min": rng.randint(1, 4),
                "property_type": rng.choice(TYPES)}
    if kind == "none":
        return None
    if kind == "budget_beds_type":
        return {"intent": "buy", "budget_min": low, "budget_max": high,
                "bedrooms_min": rng.randint(1, 4), "property_type": rng.choice(TYPES)}
    if kind == "seller":
        return {"intent": "sell", "locations": [rng.choice(names)]}
    raise ValueError(f"unknown profile kind {kind!r}")


async def setup_tenant(env: BenchEnv, api: FakeResoAPI, cfg: ListingsBench,
                       master_key: str) -> None:
    """The tenant, its service areas, and its feed as `tenant config --reso-*` sets it."""
    changes = feeds.changes(url=api.base_url, token=TOKEN,
                            page_size_text=str(cfg.page_size),
                            rate_text=f"{cfg.rate_per_s:g}/10000000")
    async with env.db.transaction(TENANT) as conn:
        await tenants.add(conn, TENANT, "Bench Realty")
        await tenants.update(conn, TENANT, {"service_areas": service_areas(cfg.areas)})
        await listings.put_feed(conn, TENANT, changes, master_key)


def per_s(count: int, seconds: float) -> float | None:
    return round(count / seconds, 1) if seconds > 0 else None


async def full_sync(syncer: Syncer, api: TimedFake, cfg: ListingsBench, pauses: Pauses,
                    pids: list[int], out: Out) -> dict[str, Any]:
    """The first sync of the feed: replication, then the key reconciliation (due)."""
    api.reset_spent()
    step = max(1, math.ceil(cfg.listings / cfg.page_size / 10))
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def on_progress(p: Progress) -> None:
        now = time.perf_counter()
        if p.phase == "replicating":
            marks["replicated"] = now
            if p.pages % step == 0:
                out(f"  page {p.pages}: {p.records} records, "
                    f"{p.records / (now - started):.0f}/s (fake's share "
                    f"{api.spent['replication'].wall_s / (now - started):.0%})")
        elif "reconciling" not in marks:
            marks["reconciling"] = now

    cpu0, machine0, pg0 = time.process_time(), snapshot({}), postgres_cpu(pids)
    result = await syncer.sync(TENANT, progress=on_progress)
    wall = time.perf_counter() - started
    cpu, machine = time.process_time() - cpu0, usage(machine0, snapshot({}), wall)
    pg = spent_by(pg0, postgres_cpu(pids))
    if result.outcome != OK:
        raise RuntimeError(f"the full sync stopped: {result.outcome}: {result.error}")
    replication_s = marks.get("replicated", started) - started
    reconcile_s = wall - replication_s
    rep, keys = api.spent["replication"], api.spent["keys"]
    records = result.records
    own_s = replication_s - rep.wall_s
    return {
        "outcome": result.outcome, "records": records, "counts": result.counts,
        "pages": result.pages, "requests": result.requests, "wall_s": round(wall, 2),
        "listings_per_s": per_s(records, wall),
        "replication_s": round(replication_s, 2),
        "replication_listings_per_s": per_s(records, replication_s),
        "fake_s": round(rep.wall_s, 2), "fake_cpu_s": round(rep.cpu_s, 2),
        "replication_without_fake_s": round(own_s, 2),
        "listings_per_s_without_fake": per_s(records, own_s),
        "reconcile_s": round(reconcile_s, 2), "reconcile_pages": keys.requests,
        "reconcile_fake_s": round(keys.wall_s, 2),
        "reconcile_without_fake_s": round(reconcile_s - keys.wall_s, 2),
        "reconcile_removed": result.reconcile_removed,
        "paced_s": round(pauses.seconds, 2), "rate_limited": result.rate_limited,
        "bench_cpu_s": round(cpu, 2),
        "bench_cpu_without_fake_s": round(cpu - rep.cpu_s - keys.cpu_s, 2),
        "postgres_cpu_s": pg, "machine_busy": machine["machine_busy"],
    }


async def incremental_sync(env: BenchEnv, syncer: Syncer, api: TimedFake, cfg: ListingsBench,
                           pids: list[int], out: Out) -> dict[str, Any]:
    """Modify `modify_share` of the MLS's records, sync again: only they are fetched (and
    the watermark's instant, re-read and skipped)."""
    rng = random.Random(cfg.seed + 1)
    count = max(1, round(len(api.records) * cfg.modify_share))
    modified = rng.sample(sorted(api.records), count)
    for key in modified:
        price = api.records[key]["ListPrice"]
        api.modify(key, ListPrice=int(round(price * rng.uniform(0.95, 1.03), -3)))
    async with env.db.transaction(TENANT) as conn:
        instant_keys = set(await conn.fetchval(
            "SELECT watermark_keys FROM listing_feeds WHERE tenant_id = $1", TENANT))
    api.reset_spent()
    api.served = []
    started, cpu0, pg0 = time.perf_counter(), time.process_time(), postgres_cpu(pids)
    result: SyncResult = await syncer.sync(TENANT, reconcile=False)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    pg = spent_by(pg0, postgres_cpu(pids))
    served, api.served = api.served, None
    if result.outcome != OK:
        raise RuntimeError(f"the incremental sync stopped: {result.outcome}: {result.error}")
    applied = sum(v for k, v in result.counts.items() if k != "skipped")
    only = (len(served) == len(set(served))
            and set(served) == set(modified) | instant_keys and applied == count)
    out(f"incremental: {count} modified, {len(served)} fetched in {result.pages} pages, "
        f"{applied} applied, {result.counts['skipped']} skipped in {wall:.2f}s")
    rep = api.spent["replication"]
    return {
        "modified": count, "fetched": len(served), "applied": applied,
        "skipped": result.counts["skipped"], "only_modified_fetched": only,
        "pages": result.pages, "wall_s": round(wall, 3),
        "records_per_s": per_s(len(served), wall),
        "fake_s": round(rep.wall_s, 3),
        "records_per_s_without_fake": per_s(len(served), wall - rep.wall_s),
        "bench_cpu_s": round(cpu, 3), "bench_cpu_without_fake_s": round(cpu - rep.cpu_s, 3),
        "postgres_cpu_s": pg,
        "vendor_2_per_s_s": round(result.pages / VENDOR_RATE_PER_S, 1),
    }


async def held(env: BenchEnv, admin_url: str) -> dict[str, Any]:
    """The tenant's rows in Postgres, and the tables' size with their indexes."""
    async with env.db.transaction(TENANT) as conn:
        by_status = {r["status"]: int(r["n"]) for r in await conn.fetch(
            "SELECT status, count(*) AS n FROM listings GROUP BY status ORDER BY status")}
        sales = int(await conn.fetchval("SELECT count(*) FROM comparable_sales"))
    admin = await asyncpg.connect(with_database(admin_url, env.database))
    try:
        size = await admin.fetchval(
            "SELECT pg_total_relation_size('listings') + pg_total_relation_size("
            "'comparable_sales')")
        await admin.execute("ANALYZE listings; ANALYZE comparable_sales")
    finally:
        await admin.close()
    return {"listings": sum(by_status.values()), "listings_by_status": by_status,
            "comparable_sales": sales, "tables_mb": round(size / 2**20, 1)}


async def active_listings(env: BenchEnv) -> list[Listing]:
    async with env.db.transaction(TENANT) as conn:
        rows = await conn.fetch(
            "SELECT listing_id, price, area, bedrooms, bathrooms, property_type, status "
            "FROM listings WHERE status = $1", ACTIVE)
    return [Listing(r["listing_id"], r["price"], "", r["area"], r["bedrooms"],
                    float(r["bathrooms"]) if r["bathrooms"] is not None else None,
                    r["property_type"], status=r["status"]) for r in rows]


def admitted(p: Profile, everything: list[Listing], areas: tuple[Area, ...]) -> int | None:
    """How many of the tenant's listings the lead's hard filters admit (None: the read loads
    none for this profile)."""
    search = Search.of(p or {})
    if not search.wants_listings:
        return None
    terms = area_terms(areas, search.locations)
    return sum(1 for x in everything if search.admits(x, terms))


def summary(samples: list[float], txn: list[float], loaded: list[int],
            extra: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"reads": len(samples)}
    out.update({k.removeprefix("read_"): v for k, v in percentiles(samples, "read").items()})
    if txn:
        out.update(percentiles(txn, "txn"))
    out["candidates_mean"] = round(statistics.fmean(loaded), 1) if loaded else 0
    out["candidates_max"] = max(loaded, default=0)
    out.update(extra)
    return out


async def time_reads(env: BenchEnv, cfg: ListingsBench, everything: list[Listing],
                     out: Out) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per kind, the responder's one read; and the follow-up's candidates read."""
    areas = service_areas(cfg.areas)
    warmup = min(20, cfg.reads)
    reads: dict[str, Any] = {}
    follow_ups: dict[str, Any] = {}
    for kind in KINDS:
        rng = random.Random(f"{cfg.seed}-{kind}")
        samples: list[float] = []
        txn: list[float] = []
        loaded: list[int] = []
        comps: list[int] = []
        counted: list[int] = []
        for i in range(warmup + cfg.reads):
            p = profile(kind, rng, areas)
            t0 = time.perf_counter()
            async with env.db.transaction(TENANT) as conn:
                t1 = time.perf_counter()
                published, facts = await responder.published_or_facts(
                    conn, TENANT, "bench-lead", f"bench-{kind}-{i}", TODAY, p)
                t2 = time.perf_counter()
            t3 = time.perf_counter()
            assert published is None and facts is not None
            if i < warmup:
                continue
            samples.append(t2 - t1)
            txn.append(t3 - t0)
            loaded.append(len(facts.listings))
            comps.append(len(facts.comps))
            if len(counted) < ADMITTED_SAMPLE:
                n = admitted(p, everything, areas)
                if n is not None:
                    counted.append(n)
        extra: dict[str, Any] = {}
        if counted:
            extra["admitted_p50"] = int(statistics.median(counted))
            extra["admitted_max"] = max(counted)
        if any(comps):
            extra["comps_mean"] = round(statistics.fmean(comps), 1)
        reads[kind] = summary(samples, txn, loaded, extra)
        r = reads[kind]
        out(f"{'read ' + kind:<28} P50 {r['p50_ms']:7.2f}  P95 {r['p95_ms']:7.2f}  "
            f"P99 {r['p99_ms']:7.2f} ms; candidates {r['candidates_mean']} "
            f"(admitted P50 {r.get('admitted_p50', '-')})")
        if not any(loaded):
            continue
        # The follow-up's read: the candidates alone, for a profile known after the facts.
        rng = random.Random(f"{cfg.seed}-{kind}-follow-up")
        samples, loaded = [], []
        for i in range(warmup + cfg.reads):
            p = profile(kind, rng, areas)
            assert p is not None
            async with env.db.transaction(TENANT) as conn:
                t1 = time.perf_counter()
                found = await responder.candidates(conn, TENANT, p)
                t2 = time.perf_counter()
            if i >= warmup:
                samples.append(t2 - t1)
                loaded.append(len(found))
        follow_ups[kind] = summary(samples, [], loaded, {})
        r = follow_ups[kind]
        out(f"{'candidates ' + kind:<28} P50 {r['p50_ms']:7.2f}  P95 {r['p95_ms']:7.2f}  "
            f"P99 {r['p99_ms']:7.2f} ms; candidates {r['candidates_mean']}")
    return reads, follow_ups


def vendor_rate(cfg: ListingsBench, full: dict[str, Any]) -> dict[str, Any]:
    """What the vendor's 2 requests/s would make of the full sync: N / page size / 2 s."""
    pages = math.ceil(cfg.listings / cfg.page_size)
    keys = full["reconcile_pages"]
    return {"rate_per_s": VENDOR_RATE_PER_S, "daily_limit": VENDOR_DAILY_LIMIT,
            "replication_s": round(cfg.listings / cfg.page_size / VENDOR_RATE_PER_S, 1),
            "replication_requests": pages,
            "listings_per_s_cap": cfg.page_size * VENDOR_RATE_PER_S,
            "with_reconciliation_s": round((pages + keys) / VENDOR_RATE_PER_S, 1),
            "full_syncs_per_day": VENDOR_DAILY_LIMIT // max(1, pages + keys)}


async def run(settings: Settings, cfg: ListingsBench, out: Out) -> dict[str, Any]:
    load_before = os.getloadavg()
    master_key = generate_key()
    items = sample_listings(cfg.listings, seed=cfg.seed)
    by_city = spread(items, cfg.areas, cfg.seed)
    api = TimedFake(tokens={TOKEN: "bench"})
    api.load(items)
    del items
    async with bench_env(settings, cfg.database, cfg.redis_db) as env, api, \
            httpx.AsyncClient(timeout=300) as http:
        await setup_tenant(env, api, cfg, master_key)
        largest = max(by_city.values())
        out(f"fake RESO API {api.base_url}: {len(api.records)} records in {len(by_city)} "
            f"cities (largest {largest}, smallest {min(by_city.values())}); page size "
            f"{cfg.page_size}, rate {cfg.rate_per_s:g}/s; load average "
            f"{', '.join(f'{x:.2f}' for x in load_before)} ({os.cpu_count()} CPUs)")
        pauses = Pauses()
        syncer = Syncer(env.db, http, master_key, lease=timedelta(minutes=30),
                        reconcile_every=timedelta(days=1), sleep=pauses.sleep)
        pids = await backends(settings.admin_database_url, env.database)
        full = await full_sync(syncer, api, cfg, pauses, pids, out)
        out(f"full sync: {full['records']} records in {full['pages']} pages, "
            f"{full['replication_s']}s replicating ({full['replication_listings_per_s']}/s; "
            f"{full['listings_per_s_without_fake']}/s without the fake's "
            f"{full['fake_s']}s), {full['reconcile_s']}s reconciling; bench CPU "
            f"{full['bench_cpu_s']}s ({full['bench_cpu_without_fake_s']}s without the fake), "
            f"Postgres CPU {full['postgres_cpu_s']}s, machine {full['machine_busy']:.0%} busy")
        rows = await held(env, settings.admin_database_url)
        out(f"postgres: {rows['listings']} listings {rows['listings_by_status']}, "
            f"{rows['comparable_sales']} comparable sales, {rows['tables_mb']} MB")
        vendor = vendor_rate(cfg, full)
        out(f"at the vendor's 2 requests/s: {vendor['replication_s']}s to replicate "
            f"({vendor['listings_per_s_cap']:g} listings/s at most), "
            f"{vendor['with_reconciliation_s']}s with the reconciliation")
        incremental = await incremental_sync(env, syncer, api, cfg, pids, out)
        everything = await active_listings(env)
        reads, follow_ups = await time_reads(env, cfg, everything, out)
    return {
        "listings": cfg.listings, "page_size": cfg.page_size, "rate_per_s": cfg.rate_per_s,
        "areas": len(by_city), "served_areas": min(SERVED, len(by_city)),
        "largest_area": largest, "active": len(everything),
        "listings_per_s": full["replication_listings_per_s"],
        "listings_per_s_without_fake": full["listings_per_s_without_fake"],
        "recommendation_p95_ms": reads["areas"]["p95_ms"],
        "full_sync": full, "rows": rows, "vendor": vendor, "incremental": incremental,
        "reads": reads, "candidates_reads": follow_ups,
        "load_average": {"before": [round(x, 2) for x in load_before],
                         "after": [round(x, 2) for x in os.getloadavg()]},
        "cpus": os.cpu_count(),
    }
