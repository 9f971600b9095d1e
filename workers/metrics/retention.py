"""The periodic retention run, inside the metrics worker.

The metrics worker is the deployment's one operations process: a single consumer group that
is not scaled with traffic and sits on no reply's path, so a prune competes with no
handler for a pooled connection and delays no reply. It opens its own one-connection pool
as the workers' role (`runtime.clients.open_database`) when a run first needs it (the metrics
worker needs no Postgres otherwise, and a Postgres outage only fails that run: the next one
retries). Another replica pruning at the same time is harmless: the batches lock with SKIP
LOCKED and split the rows.
"""

from __future__ import annotations

import logging
import time
from contextlib import AsyncExitStack

from prometheus_client import Counter, Gauge

from workers.db import retention
from workers.db.tenant import TenantDatabase
from workers.runtime.background import periodically
from workers.runtime.clients import open_database
from workers.settings import Settings

log = logging.getLogger(__name__)

FIRST_RUN_AFTER_S = 60.0

PRUNED_ROWS = Counter(
    "leadmem_retention_pruned_rows_total",
    "Rows deleted by the metrics worker's retention runs, by table.",
    ["table"],
)
RUNS = Counter(
    "leadmem_retention_runs_total",
    "Retention runs of the metrics worker, by outcome (ok, failed).",
    ["outcome"],
)
LAST_SUCCESS = Gauge(
    "leadmem_retention_last_success_timestamp_seconds",
    "When the metrics worker's last complete retention run ended (Unix time; 0: none yet).",
)


class RetentionJob:
    def __init__(self, settings: Settings, *, first_run_after_s: float = FIRST_RUN_AFTER_S,
                 ) -> None:
        self.settings = settings
        self.first_run_after_s = min(first_run_after_s, settings.retention_interval_s)
        self._stack = AsyncExitStack()
        self._db: TenantDatabase | None = None

    async def run_once(self) -> list[retention.Pruned]:
        if self._db is None:
            self._db = await open_database(self.settings, self._stack, min_size=0, max_size=1)
        results = await retention.prune_all(self._db, self.settings)
        for p in results:
            PRUNED_ROWS.labels(p.table).inc(p.rows)
            if p.rows:
                log.info("retention: %s", retention.describe(p))
        return results

    async def run(self) -> None:
        """Prune `first_run_after_s` after the start, then every `retention_interval_s`."""

        async def timed() -> None:
            started = time.perf_counter()
            await self.run_once()
            LAST_SUCCESS.set_to_current_time()
            log.debug("retention: run took %.2f s", time.perf_counter() - started)

        await periodically("retention", timed, interval_s=self.settings.retention_interval_s,
                           first_after_s=self.first_run_after_s,
                           outcome=lambda o: RUNS.labels(o).inc())

    async def close(self) -> None:
        self._db = None
        await self._stack.aclose()
