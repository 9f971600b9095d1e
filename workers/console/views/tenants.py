"""The tenants (operators: every tenant's lifecycle, today's replies and Claude spend, its dead
letters waiting), one tenant's overview (its status, replies per day and funnel as charts,
what waits for a person), and the pipeline's status (`leadmem status`'s data)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from aiokafka.errors import KafkaError

from schemas.topics import PIPELINE_DLQ
from workers.console.charts import daily_bars, funnel_bars
from workers.console.outcomes import CHARTED, SQL_OUTCOME, per_day
from workers.console.web import Console, NotFound, Visit, scope
from workers.dlq import letters
from workers.metrics import status as pipeline_status
from workers.outcomes import store as funnel_store
from workers.outcomes.funnel import STAGES
from workers.tenants import store as tenants

CHART_DAYS = 14
FUNNEL_DAYS = 7
DLQ_TIMEOUT_S = 10.0

_TENANTS = f"""
WITH today AS (SELECT r.tenant_id, {SQL_OUTCOME} AS outcome, r.cost_usd
                 FROM replies r WHERE r.created_at >= $1)
SELECT t.id, coalesce(t.name, '') AS name, t.status, t.ai_enabled,
       count(d.outcome) FILTER (WHERE d.outcome = 'sent') AS sent,
       count(d.outcome) FILTER (WHERE d.outcome = 'held') AS held,
       count(d.outcome) FILTER (WHERE d.outcome = 'blocked') AS blocked,
       coalesce(sum(d.cost_usd), 0) AS spend
  FROM tenants t LEFT JOIN today d ON d.tenant_id = t.id
 GROUP BY t.id ORDER BY t.id"""


def midnight(now: datetime) -> datetime:
    """The start of `now`'s day (UTC): what "today" counts from."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def dead_letters_waiting(console: Console) -> Counter[str | None] | None:
    """Dead letters not replayed yet, per tenant; None when Kafka did not answer in time."""
    pool = await console.admin.get()
    async with pool.acquire() as conn:
        done = await letters.replayed(conn)
    try:
        return await asyncio.wait_for(
            letters.waiting_by_tenant(console.kafka, done), DLQ_TIMEOUT_S)
    except (OSError, TimeoutError, KafkaError):  # DlqStalled is a TimeoutError
        return None


async def index(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/tenants` (operators)."""
    pool = await console.admin.get()
    now = console.clock()
    rows = [dict(r) for r in await pool.fetch(_TENANTS, midnight(now))]
    waiting = await dead_letters_waiting(console)
    return console.render("tenants.html", visit=visit, tenants=rows, waiting=waiting,
                          unattributed=waiting[None] if waiting is not None else 0, now=now)


_PER_DAY = f"""
SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, {SQL_OUTCOME} AS outcome,
       count(*) AS n
  FROM replies r WHERE r.tenant_id = $1 AND r.created_at >= $2
 GROUP BY 1, 2"""
_TODAY = f"""
SELECT {SQL_OUTCOME} AS outcome, count(*) AS n, coalesce(sum(r.cost_usd), 0) AS spend
  FROM replies r WHERE r.tenant_id = $1 AND r.created_at >= $2 GROUP BY 1"""
_COUNTS = """
SELECT (SELECT count(*) FROM contacts WHERE tenant_id = $1) AS contacts,
       (SELECT count(*) FROM replies WHERE tenant_id = $1 AND status = 'suppressed'
           AND suppressed_reason LIKE 'reply_check:%' AND review IS NULL) AS awaiting_review"""


async def overview(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/t/{tenant}`: the tenant at a glance, with its charts."""
    tenant = scope(request, visit)
    now = console.clock()
    today = midnight(now)
    since = today - timedelta(days=CHART_DAYS - 1)
    async with console.db.transaction(tenant) as conn:
        conf = await tenants.read(conn, tenant)
        if not conf.known:
            raise NotFound()
        days = per_day([(r["day"], r["outcome"], r["n"])
                        for r in await conn.fetch(_PER_DAY, tenant, since)],
                       today.date(), CHART_DAYS)
        todays = {r["outcome"]: (r["n"], r["spend"])
                  for r in await conn.fetch(_TODAY, tenant, today)}
        counts = dict(await conn.fetchrow(_COUNTS, tenant))
        funnel = await funnel_store.read(conn, tenant, now - timedelta(days=FUNNEL_DAYS), now)
    stages = list(funnel.stages().items())
    return console.render(
        "tenant.html", visit=visit, tenant=conf, counts=counts,
        today={o: todays.get(o, (0, 0))[0] for o in (*CHARTED, "cancelled", "failed",
                                                    "pending")},
        spend=sum((s for _, s in todays.values()), start=0),
        replies_chart=daily_bars(days, CHARTED, title=f"Replies per day, last {CHART_DAYS} "
                                 "days (UTC)", chart_id="replies-per-day"),
        days=days, series=CHARTED,
        funnel_chart=funnel_bars([(name.replace("_", " "), n) for name, n in stages],
                                 title=f"Lead funnel, leads of the last {FUNNEL_DAYS} days",
                                 chart_id="funnel"),
        funnel=funnel, stages=stages, stage_names=STAGES, funnel_days=FUNNEL_DAYS)


async def status(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/status` (operators): what `leadmem status` prints."""
    workers, dlq, cache = await pipeline_status.gather(console.settings, None, {})
    reads = sum(cache.values()) if cache else 0
    rate: Any = (100 * cache.get("hit", 0) / reads) if cache and reads else None
    return console.render("status.html", visit=visit, workers=workers, dlq=dlq, cache=cache,
                          hit_rate=rate, dlq_topic=PIPELINE_DLQ)
