"""The listings worker (`leadmem run listings`): the periodic sync of every tenant's RESO feed,
a `runtime.background.Loop` on a `WorkerHost` of its own.

It consumes nothing (a `WorkerSpec` with no topics, like the receiver): the host opens its
Postgres pool, serves `/health` and `/metrics` (the sync's metrics) and runs the loop. Any
number of replicas may run: each feed is claimed by one sync at a time (`store.claim`). Without
LEADMEM_MASTER_KEY no feed can have been stored (the CLI refuses to store a secret in clear);
a feed whose secrets do not decrypt is recorded as `config_error` and retried after the
interval.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from workers.listings.sync import Syncer, SyncLoop
from workers.runtime.background import Loop
from workers.runtime.boundary import Handler
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.ports import Transactions
from workers.settings import Settings

NAME = "listings"
CHECK_S = 60.0  # how often the loop looks for feeds due (at most: the interval)


def syncer(settings: Settings, db: Transactions, http: httpx.AsyncClient) -> Syncer:
    """A `Syncer` as the settings configure it (the worker's and `leadmem listings sync`'s)."""
    return Syncer(db, http, settings.master_key,
                  lease=timedelta(seconds=settings.listings_sync_lease_s),
                  reconcile_every=timedelta(seconds=settings.listings_reconcile_interval_s),
                  max_wait_s=settings.listings_max_retry_after_s)


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The RESO Web API's HTTP client: no redirects followed (a token is never sent on)."""
    return httpx.AsyncClient(timeout=settings.listings_http_timeout_s, follow_redirects=False)


def build(resources: Resources) -> Handler | None:
    settings = resources.settings
    interval = settings.listings_sync_interval_s
    if interval <= 0:
        return None  # the periodic sync is off: the worker only serves /health and /metrics
    http = http_client(settings)
    resources.stack.push_async_callback(http.aclose)
    loop = SyncLoop(syncer(settings, resources.database, http), resources.database,
                    interval=timedelta(seconds=interval), check_s=min(CHECK_S, interval),
                    concurrency=settings.listings_sync_concurrency)
    resources.run_in_background(Loop("listings-sync", loop.run))
    return None


SPEC = WorkerSpec(NAME, (), build, needs_db=True, needs_redis=False)
