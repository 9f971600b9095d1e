"""The lead funnel as gauges, refreshed periodically inside the metrics worker.

Every `LEADMEM_METRICS_FUNNEL_INTERVAL_S` (first 60 s after the start) it reads the funnel of
the last `DAYS` days (`workers.outcomes`: the leads that arrived then and what became of
them) of each tenant the metrics worker names in its labels (the top-N by volume: the same
bounded set as every other per-tenant series; a tenant under `other` has no funnel here, use
`leadmem report`), one tenant transaction each, and sets:

- `leadmem_funnel_leads{tenant, stage}`: leads per stage (`outcomes.STAGES`, a fixed set);
- `leadmem_time_to_first_touch_seconds{tenant, quantile}`: P50 and P95 from a lead's arrival
  to our first text sent (absent while no lead of the window was texted).

Gauges rather than counters where each event happens: the stages are states of a cohort
(a lead that arrived this week and has since booked), which a counter in each worker could
not say. The series of a tenant that loses its label are removed with its other series
(`TenantSeries.evict`). Like retention, it opens its own one-connection pool as the workers'
role when a run first needs it; a failed run is counted and the next one retries.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter, Gauge

from workers.db.tenant import TenantDatabase
from workers.metrics.families import TenantSeries
from workers.metrics.tenants import OTHER
from workers.outcomes import Funnel
from workers.outcomes import store as outcomes
from workers.runtime.background import periodically
from workers.runtime.clients import open_database
from workers.settings import Settings

log = logging.getLogger(__name__)

DAYS = 7
FIRST_RUN_AFTER_S = 60.0

FUNNEL_LEADS = Gauge(
    "leadmem_funnel_leads",
    f"Leads that arrived in the last {DAYS} days, by tenant (top-N) and funnel stage (new, "
    "texted, first_touched, replied, qualified, booked, opted_out) as they stand now.",
    ["tenant", "stage"],
)
TIME_TO_FIRST_TOUCH = Gauge(
    "leadmem_time_to_first_touch_seconds",
    f"From a lead's arrival to our first text sent, over the leads of the last {DAYS} days "
    "that were texted, by tenant (top-N) and quantile (0.5, 0.95).",
    ["tenant", "quantile"],
)
REFRESHES = Counter(
    "leadmem_funnel_refreshes_total",
    "Funnel refreshes of the metrics worker, by outcome (ok, failed).",
    ["outcome"],
)

ReadFunnel = Callable[[str, datetime, datetime], Awaitable[Funnel]]


def publish(series: TenantSeries, tenant: str, funnel: Funnel) -> None:
    """Set one tenant's gauges from its funnel."""
    for stage, count in funnel.stages().items():
        series.child(FUNNEL_LEADS, tenant, stage).set(count)
    for q, seconds in funnel.quantiles().items():
        if seconds is None:
            TIME_TO_FIRST_TOUCH.remove(tenant, str(q))
        else:
            series.child(TIME_TO_FIRST_TOUCH, tenant, str(q)).set(seconds)


class FunnelJob:
    def __init__(self, settings: Settings, tenants: Callable[[], Iterable[str]],
                 series: TenantSeries, *, read: ReadFunnel | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 first_run_after_s: float = FIRST_RUN_AFTER_S) -> None:
        self.settings = settings
        self.tenants = tenants
        self.series = series
        self.read = read or self._read
        self.clock = clock
        self.first_run_after_s = min(first_run_after_s, settings.metrics_funnel_interval_s)
        self._stack = AsyncExitStack()
        self._db: TenantDatabase | None = None

    async def _read(self, tenant: str, since: datetime, until: datetime) -> Funnel:
        if self._db is None:
            self._db = await open_database(self.settings, self._stack, min_size=0, max_size=1)
        async with self._db.transaction(tenant) as conn:
            return await outcomes.read(conn, tenant, since, until)

    async def run_once(self) -> int:
        """Refresh every named tenant's gauges; returns how many were refreshed."""
        until = self.clock()
        since = until - timedelta(days=DAYS)
        done = 0
        for tenant in sorted(self.tenants()):
            if tenant == OTHER:
                continue
            publish(self.series, tenant, await self.read(tenant, since, until))
            done += 1
        return done

    async def run(self) -> None:
        await periodically("funnel", self.run_once,
                           interval_s=self.settings.metrics_funnel_interval_s,
                           first_after_s=self.first_run_after_s,
                           outcome=lambda o: REFRESHES.labels(o).inc())

    async def close(self) -> None:
        self._db = None
        await self._stack.aclose()
