"""One sync of one tenant's feed, and the periodic loop that runs them (the listings worker's
background loop; `leadmem listings sync ID` runs one with a progress bar).

A sync:
1. claims the feed in the tenant's transaction (a lease renewed by every page: one sync per
   tenant at a time, whoever runs it; a claim older than the lease is a dead sync's);
2. pages from the watermark (`replication.query_filter`) through every `@odata.nextLink`;
   each page's records are classified (`reso.classify`), those of the watermark's instant
   already applied are skipped, and the rest are written with the new watermark in ONE
   transaction (`store.commit_page` then `store.apply`): a crash, a failed page or a lost
   claim leaves the last committed page and its watermark, and the next sync resumes there —
   nothing is lost, and what is re-read is re-applied to the same rows;
3. when the key reconciliation is due (`reconcile_every` since the last one; always after the
   feed's URL or filter changed), reads every key the feed has now and deletes the feed's
   rows the feed dropped (there is no delete flag in RESO). A feed listing no key at all
   while we hold its rows is taken as the vendor's failure, not as an empty MLS: nothing is
   deleted. The same pass updates first photos: a vendor may change a listing's photos
   without bumping its ModificationTimestamp, so replication alone would keep a stale photo
   until the listing's next change — the reconciliation bounds that to `reconcile_every`;
4. records its outcome (`ok`, or why it stopped), counts per outcome, pages, requests and
   seconds in `listing_feeds`, and releases the claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx

from schemas.envelope import utcnow
from workers.errors import ConfigurationError, PipelineError
from workers.listings import metrics, odata, replication, reso, store
from workers.listings.feed import BEARER, Feed
from workers.listings.odata import ClientCredentials, FeedError, Pacer, ResoClient, StaticToken
from workers.listings.replication import UnorderedError, Watermark
from workers.runtime.ports import Transactions
from workers.secrets import MasterKey, SecretDecryptionError
from workers.tenants import store as tenants

log = logging.getLogger(__name__)

OK = "ok"
BUSY = "busy"  # another sync holds the feed
NO_FEED = "no_feed"
UNINSTALLED = "uninstalled"
CONFIG_ERROR = "config_error"
UNORDERED = "unordered"
CLAIM_LOST = "claim_lost"
RECONCILE_REFUSED = "reconcile_refused"
INTERRUPTED = "interrupted"  # cancelled, or the database went away mid-sync
INVALID_EXAMPLES = 5
COUNTED = ("listed", "sold", "removed", "invalid", "skipped")


@dataclass
class Progress:
    """Where a sync is, for a progress bar: `phase` replicating or reconciling."""

    tenant: str
    phase: str = "replicating"
    pages: int = 0
    records: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    watermark: datetime | None = None
    keys: int = 0


@dataclass
class SyncResult:
    tenant: str
    outcome: str
    error: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    pages: int = 0
    requests: int = 0
    seconds: float = 0.0
    rate_limited: int = 0
    reconciled: bool = False
    reconcile_removed: int = 0
    photos_changed: int = 0
    invalid: list[str] = field(default_factory=list)
    watermark: datetime | None = None

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    def detail(self) -> dict[str, Any]:
        """`listing_feeds.last_sync_detail`."""
        out: dict[str, Any] = {"counts": self.counts, "pages": self.pages,
                               "requests": self.requests, "seconds": round(self.seconds, 3),
                               "rate_limited": self.rate_limited}
        if self.reconciled:
            out["reconciled"] = {"removed": self.reconcile_removed,
                                 "photos": self.photos_changed}
        if self.invalid:
            out["invalid"] = self.invalid
        return out


OnProgress = Callable[[Progress], None]


def first_photos(records: list[dict[str, Any]]) -> dict[str, str | None]:
    """Each record's first photo (by key), for those whose Media came expanded and reads."""
    photos: dict[str, str | None] = {}
    for r in records:
        key, items = r.get("ListingKey"), r.get("Media")
        if not isinstance(key, str) or items is None:
            continue
        try:
            photos[key] = reso.media("Media", items)
        except reso.FieldError:
            continue
    return photos


class Syncer:
    """Runs syncs of tenants' feeds over one HTTP client and the tenant database."""

    def __init__(self, db: Transactions, http: httpx.AsyncClient, master_key: MasterKey, *,
                 lease: timedelta, reconcile_every: timedelta, max_wait_s: float = 120.0,
                 backoff_s: float = 0.5, now: Callable[[], datetime] = utcnow,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: odata.Sleep = asyncio.sleep) -> None:
        self.db, self.http, self.master_key = db, http, master_key
        self.lease, self.reconcile_every = lease, reconcile_every
        self.max_wait_s, self.backoff_s = max_wait_s, backoff_s
        self.now, self.clock, self.sleep = now, clock, sleep

    def client(self, feed: Feed) -> ResoClient:
        pacer = Pacer(feed.rate_per_s, feed.daily_limit, day=feed.requests_day,
                      used=feed.requests_today, today=lambda: self.now().date(),
                      clock=self.clock, sleep=self.sleep)
        tokens: odata.TokenSource
        if feed.auth == BEARER:
            assert feed.token is not None
            tokens = StaticToken(feed.token)
        else:
            assert feed.token_url and feed.client_id and feed.client_secret
            tokens = ClientCredentials(self.http, feed.token_url, feed.client_id,
                                       feed.client_secret, clock=self.clock)
        return ResoClient(self.http, feed.base_url, tokens, pacer, max_wait_s=self.max_wait_s,
                          backoff_s=self.backoff_s, sleep=self.sleep)

    async def _claim(self, tenant: str, token: str) -> Feed | SyncResult:
        now = self.now()
        try:
            async with self.db.transaction(tenant) as conn:
                if (await tenants.read(conn, tenant)).uninstalled:
                    await store.record_outcome(conn, tenant, UNINSTALLED,
                                               "the tenant uninstalled the app: not synced", now)
                    return SyncResult(tenant, UNINSTALLED, "the tenant uninstalled the app")
                feed = await store.claim(conn, tenant, token, now, self.lease, self.master_key)
                if feed is None:
                    since = await store.claimed_since(conn, tenant)
                    if since is None:
                        return SyncResult(tenant, NO_FEED, "the tenant has no RESO feed "
                                          "(leadmem tenant config ID --reso-url URL ...)")
                    return SyncResult(tenant, BUSY, f"another sync holds the feed since "
                                      f"{since.isoformat()}")
                return feed
        except (SecretDecryptionError, ConfigurationError) as exc:
            async with self.db.transaction(tenant) as conn:
                await store.record_outcome(conn, tenant, CONFIG_ERROR, str(exc), now)
            return SyncResult(tenant, CONFIG_ERROR, str(exc))

    def _reconcile_due(self, feed: Feed, reconcile: bool | None) -> bool:
        if reconcile is not None:
            return reconcile
        last = feed.last_reconciled_at
        return last is None or self.now() - last >= self.reconcile_every

    async def sync(self, tenant: str, *, reconcile: bool | None = None,
                   progress: OnProgress | None = None) -> SyncResult:
        """One sync of `tenant`'s feed (see the module). `reconcile`: force the key
        reconciliation (True) or leave it out (False); None: when it is due."""
        started = self.clock()
        token = uuid.uuid4().hex
        claimed = await self._claim(tenant, token)
        if isinstance(claimed, SyncResult):
            return claimed
        feed = claimed
        client = self.client(feed)
        result = SyncResult(tenant, OK, watermark=feed.watermark)
        state = Progress(tenant, watermark=feed.watermark)
        try:
            await self._replicate(feed, client, token, result, state, progress)
            if self._reconcile_due(feed, reconcile):
                await self._reconcile(feed, client, token, result, state, progress)
        except FeedError as exc:
            result.outcome, result.error = exc.outcome, str(exc)
        except UnorderedError as exc:
            result.outcome, result.error = UNORDERED, str(exc)
        except store.ClaimLost as exc:
            result.outcome, result.error = CLAIM_LOST, str(exc)
        except BaseException as exc:  # cancelled (shutdown, ^C), or the database went away
            result.outcome, result.error = INTERRUPTED, f"{type(exc).__name__}: {exc}"
            with contextlib.suppress(Exception):  # release the claim if the database answers
                await asyncio.shield(self._finish(result, token, client, started))
            raise
        await self._finish(result, token, client, started)
        return result

    async def _finish(self, result: SyncResult, token: str, client: ResoClient,
                      started: float) -> None:
        """Record the sync's outcome, release its claim, count it."""
        result.requests = client.pacer.made
        result.rate_limited = client.rate_limited
        result.seconds = self.clock() - started
        metrics.REQUESTS.inc(client.pacer.made)
        metrics.RATE_LIMITED.inc(client.rate_limited)
        if result.outcome != OK:
            log.warning("listings: sync of %s stopped (%s): %s", result.tenant, result.outcome,
                        result.error)
            metrics.SYNC_ERRORS.labels(result.outcome).inc()
        metrics.SYNC_SECONDS.labels(result.outcome).observe(result.seconds)
        async with self.db.transaction(result.tenant) as conn:
            await store.finish(conn, result.tenant, token, result.outcome, result.error,
                               result.records, result.detail(), client.pacer.day,
                               client.pacer.used, self.now())
        log.info("listings: synced %s: %s, %s in %.1f s", result.tenant, result.outcome,
                 result.counts, result.seconds)

    async def _replicate(self, feed: Feed, client: ResoClient, token: str, result: SyncResult,
                         state: Progress, progress: OnProgress | None) -> None:
        mark = Watermark(feed.watermark, feed.watermark_keys)
        url = odata.replication_url(feed.base_url,
                                    replication.query_filter(mark, feed.filter),
                                    feed.page_size)
        async for page in client.pages(url):
            outcomes = [reso.classify(r) for r in page.records]
            fresh = [o for o in outcomes if not replication.already_applied(o, mark)]
            new_mark = replication.advance(mark, outcomes)
            async with self.db.transaction(feed.tenant_id) as conn:
                await store.commit_page(conn, feed.tenant_id, token, new_mark,
                                        client.pacer.day, client.pacer.used, self.now())
                applied = await store.apply(conn, feed.tenant_id, fresh, store.FEED)
            mark = new_mark
            counts = {**applied.counts, "skipped": len(outcomes) - len(fresh)}
            for name, n in counts.items():
                result.counts[name] += n
                state.counts[name] += n
                if n:
                    metrics.RECORDS.labels(store.FEED, name).inc(n)
            for o in fresh:
                if isinstance(o, reso.Invalid) and len(result.invalid) < INVALID_EXAMPLES:
                    result.invalid.append(str(o))
                    log.warning("listings: %s: invalid record %s", feed.tenant_id, o)
            result.pages += 1
            result.watermark = mark.at
            state.pages, state.records = result.pages, state.records + len(outcomes)
            state.watermark = mark.at
            if progress is not None:
                progress(state)

    async def _reconcile(self, feed: Feed, client: ResoClient, token: str, result: SyncResult,
                         state: Progress, progress: OnProgress | None) -> None:
        keys: list[str] = []
        photos: dict[str, str | None] = {}
        state.phase = "reconciling"
        async for page in client.pages(odata.keys_url(feed.base_url, feed.filter,
                                                      feed.page_size)):
            for r in page.records:
                k = r.get("ListingKey")
                if isinstance(k, int) and not isinstance(k, bool):
                    k = str(k)
                if not isinstance(k, str) or not k:
                    raise FeedError(odata.MALFORMED, f"a key page has a record without a "
                                                     f"ListingKey ({page.url})")
                keys.append(k)
            photos.update(first_photos(page.records))
            state.keys = len(keys)
            if progress is not None:
                progress(state)
        async with self.db.transaction(feed.tenant_id) as conn:
            if not keys:
                held = await conn.fetchval(
                    "SELECT count(*) FROM listings WHERE tenant_id = $1 AND source = $2",
                    feed.tenant_id, store.FEED)
                if held:
                    raise FeedError(RECONCILE_REFUSED, f"the feed listed no keys while we hold "
                                    f"{held} of its listings: nothing removed")
            removed, changed = await store.reconcile(conn, feed.tenant_id, token, keys,
                                                     photos, self.now())
        result.reconciled = True
        result.reconcile_removed, result.photos_changed = removed, changed
        metrics.RECONCILED.labels("removed").inc(removed)
        metrics.RECONCILED.labels("photos").inc(changed)


class SyncLoop:
    """The periodic sync: every `check_s`, the feeds due (`interval` since their last sync,
    none under a live claim) of every tenant, at most `concurrency` at once."""

    def __init__(self, syncer: Syncer, db: Transactions, *, interval: timedelta,
                 check_s: float, batch: int = 100, concurrency: int = 4) -> None:
        self.syncer, self.db = syncer, db
        self.interval, self.check_s = interval, check_s
        self.batch = batch
        self._slots = asyncio.Semaphore(concurrency)

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except (PipelineError, OSError, asyncpg.PostgresError) as exc:
                log.warning("listings: feed scan failed, retrying: %r", exc)
            await asyncio.sleep(self.check_s)

    async def tick(self) -> list[SyncResult]:
        """Sync every feed due now; their results."""
        async with self.db.transaction(store.SCAN_SCOPE) as conn:
            due = await store.due(conn, self.syncer.now(), self.interval, self.syncer.lease,
                                  self.batch)
        results = await asyncio.gather(*(self._one(t) for t in due))
        return [r for r in results if r is not None]

    async def _one(self, tenant: str) -> SyncResult | None:
        async with self._slots:
            try:
                return await self.syncer.sync(tenant)
            except Exception:  # one tenant's failure (its database away) must not stop others
                log.exception("listings: sync of %s failed", tenant)
                return None
