"""The metrics worker's funnel gauges without Postgres: what a refresh sets for each named
tenant, the window it asks for, a time to first touch that is absent until a lead was texted,
eviction with the tenant's other series, and a failed run that does not end the loop."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from workers.metrics.families import TenantSeries
from workers.metrics.funnel import DAYS, FunnelJob
from workers.metrics.tenants import OTHER, TenantLabels
from workers.outcomes import STAGES, Funnel
from workers.settings import Settings

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def leads(tenant: str, stage: str) -> float | None:
    return REGISTRY.get_sample_value("leadmem_funnel_leads", {"tenant": tenant, "stage": stage})


def wait(tenant: str, quantile: str) -> float | None:
    return REGISTRY.get_sample_value("leadmem_time_to_first_touch_seconds",
                                     {"tenant": tenant, "quantile": quantile})


class FakeReads:
    def __init__(self, funnels: dict[str, Funnel]) -> None:
        self.funnels = funnels
        self.asked: list[tuple[str, datetime, datetime]] = []

    async def __call__(self, tenant: str, since: datetime, until: datetime) -> Funnel:
        self.asked.append((tenant, since, until))
        return self.funnels[tenant]


def job(tenants: list[str], reads: FakeReads, series: TenantSeries,
        interval_s: float = 300.0) -> FunnelJob:
    return FunnelJob(Settings(metrics_funnel_interval_s=interval_s), lambda: tenants, series,
                     read=reads, clock=lambda: NOW, first_run_after_s=0)


async def test_a_refresh_sets_each_named_tenants_stages_and_quantiles() -> None:
    a, b = f"fa{uuid.uuid4().hex[:8]}", f"fb{uuid.uuid4().hex[:8]}"
    since = NOW - timedelta(days=DAYS)
    reads = FakeReads({
        a: Funnel(since, NOW, new_leads=10, leads_texted=8, first_touched=5, leads_replied=4,
                  qualified=2, appointments_booked=1, opted_out=1,
                  time_to_first_touch_p50_s=12.0, time_to_first_touch_p95_s=95.0),
        b: Funnel(since, NOW, new_leads=3),
    })
    done = await job([b, a, OTHER], reads, TenantSeries()).run_once()
    assert done == 2
    assert reads.asked == [(a, since, NOW), (b, since, NOW)]  # `other` is no tenant
    assert {s: leads(a, s) for s in STAGES} == {
        "new": 10, "texted": 8, "first_touched": 5, "replied": 4, "qualified": 2,
        "booked": 1, "opted_out": 1}
    assert (wait(a, "0.5"), wait(a, "0.95")) == (12.0, 95.0)
    assert leads(b, "new") == 3 and leads(b, "booked") == 0
    assert (wait(b, "0.5"), wait(b, "0.95")) == (None, None)  # nobody texted: no series


async def test_a_quantile_goes_away_when_its_window_has_no_texted_lead() -> None:
    tenant = f"fq{uuid.uuid4().hex[:8]}"
    since = NOW - timedelta(days=DAYS)
    reads = FakeReads({tenant: Funnel(since, NOW, new_leads=1, leads_texted=1,
                                      time_to_first_touch_p50_s=4.0,
                                      time_to_first_touch_p95_s=4.0)})
    refresh = job([tenant], reads, TenantSeries())
    await refresh.run_once()
    assert wait(tenant, "0.95") == 4.0
    reads.funnels[tenant] = Funnel(since, NOW, new_leads=1)
    await refresh.run_once()
    assert wait(tenant, "0.95") is None and leads(tenant, "texted") == 0


async def test_an_evicted_tenant_loses_its_funnel_series() -> None:
    series = TenantSeries()
    labels = TenantLabels(1, on_evict=series.evict)
    quiet, busy = f"fe{uuid.uuid4().hex[:8]}", f"ff{uuid.uuid4().hex[:8]}"
    labels.label(quiet)
    since = NOW - timedelta(days=DAYS)
    reads = FakeReads({quiet: Funnel(since, NOW, new_leads=2, leads_texted=1,
                                     time_to_first_touch_p50_s=1.0,
                                     time_to_first_touch_p95_s=1.0),
                       busy: Funnel(since, NOW, new_leads=5)})
    refresh = job([], reads, series)
    refresh.tenants = lambda: labels.labelled
    await refresh.run_once()
    assert leads(quiet, "new") == 2
    for _ in range(10):
        labels.label(busy)
    assert labels.rerank() == [quiet]
    assert leads(quiet, "new") is None and wait(quiet, "0.5") is None
    await refresh.run_once()
    assert leads(busy, "new") == 5 and leads(quiet, "new") is None


async def test_a_failed_refresh_is_counted_and_the_loop_goes_on() -> None:
    tenant = f"fx{uuid.uuid4().hex[:8]}"
    since = NOW - timedelta(days=DAYS)
    calls = 0

    async def flaky(t: str, s: datetime, u: datetime) -> Funnel:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("postgres away")
        return Funnel(since, NOW, new_leads=7)

    failed = REGISTRY.get_sample_value("leadmem_funnel_refreshes_total",
                                       {"outcome": "failed"}) or 0.0
    refresh = FunnelJob(Settings(metrics_funnel_interval_s=0.01), lambda: [tenant],
                        TenantSeries(), read=flaky, clock=lambda: NOW, first_run_after_s=0)
    task = asyncio.create_task(refresh.run())
    try:
        for _ in range(200):
            if leads(tenant, "new") == 7:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert leads(tenant, "new") == 7
    assert REGISTRY.get_sample_value("leadmem_funnel_refreshes_total",
                                      {"outcome": "failed"}) == failed + 1
