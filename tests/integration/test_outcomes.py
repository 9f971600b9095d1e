"""The lead funnel on the real Postgres: rows written by their owners' writers (memory's
contacts and messages, the replies' claim and sends, learning's profile, the consent ledger)
and appointments as migration 0017 holds them, read back as one tenant's funnel under
row-level security; `leadmem report` over the same rows; the metrics worker's gauges."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.conftest import new_tenant
from tests.support.cli import run_in_thread
from tests.support.events import contact_changed
from tests.support.services import ServiceUrls
from tests.support.tenants import add_tenants
from workers.cli import report_cmds
from workers.consent_ledger.addresses import hasher_for
from workers.db.tenant import TenantDatabase
from workers.leads import profiles
from workers.learning.qualification import qualification
from workers.memory import store as memory
from workers.metrics.families import TenantSeries
from workers.metrics.funnel import FunnelJob
from workers.outcomes import STAGES
from workers.outcomes import store as outcomes
from workers.replies import store as replies
from workers.replies.row import Reply
from workers.responder.first_touch import MODE as FIRST_TOUCH
from workers.settings import Settings

pytestmark = pytest.mark.integration

S = timedelta(seconds=1)
QUALIFIED = {"intent": "buy", "timeline": "1_3_months", "financing": "preapproved",
             "budget_max": 450000, "locations": ["Round Rock"], "bedrooms_min": 3,
             "motivation": "relocation"}
HALFWAY = {"intent": "buy", "timeline": "1_3_months", "locations": ["Round Rock"]}


@pytest.fixture(autouse=True)
def env(migrated: ServiceUrls, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADMEM_DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("LEADMEM_ADMIN_DATABASE_URL", migrated.admin_database_url)


class Seed:
    """One tenant's leads, each written as its owner writes it, at chosen times."""

    def __init__(self, db: TenantDatabase, tenant: str) -> None:
        self.db, self.tenant = db, tenant

    async def arrives(self, contact: str, at: datetime) -> None:
        async with self.db.transaction(self.tenant) as conn:
            await memory.ensure_lead(conn, self.tenant, contact)
            await memory.upsert_contact(conn, contact_changed(self.tenant, contact),
                                        hasher_for(None))
            # when we first saw it (the column's default is the insert's now())
            await conn.execute("UPDATE contacts SET created_at = $2 WHERE contact_id = $1",
                               contact, at)

    async def writes(self, contact: str, body: str, at: datetime) -> None:
        ref = f"m-{uuid.uuid4().hex[:10]}"
        async with self.db.transaction(self.tenant) as conn:
            await memory.insert_message(conn, tenant=self.tenant, event_id=ref, contact=contact,
                                        direction="inbound", channel="sms", sender="lead",
                                        body=body, at=at, message_id=ref)
            await memory.record_words(conn, self.tenant, contact, ref, body, "sms", at)

    async def texted(self, contact: str, mode: str, at: datetime | None,
                     key: str | None = None) -> None:
        """A reply claimed, then sent at `at` (None: drafted, never sent)."""
        key = key or f"r-{uuid.uuid4().hex[:10]}"
        async with self.db.transaction(self.tenant) as conn:
            await replies.claim(conn, Reply(self.tenant, key, f"e-{key}", contact, None, "sms",
                                            "Hi Ana, this is Acme Realty.", mode))
            if at is None:
                return
            await replies.mark_sending(conn, self.tenant, key)
            await replies.mark_sent(conn, self.tenant, key, f"g-{key}", None)
            await conn.execute("UPDATE replies SET sent_at = $2 WHERE idempotency_key = $1",
                               key, at)

    async def profile(self, contact: str, spec: dict[str, Any]) -> None:
        async with self.db.transaction(self.tenant) as conn:
            await profiles.save(conn, self.tenant, contact, profile=spec, score="warm",
                                score_reasons=[], qualification=qualification(spec, None),
                                next_questions=[], signals={})

    async def appointment(self, contact: str, status: str) -> None:
        async with self.db.transaction(self.tenant) as conn:
            await conn.execute(
                """INSERT INTO appointments (tenant_id, appointment_id, contact_id, calendar_id,
                                            start_time, status, booked_by)
                   VALUES ($1, $2, $3, 'cal1', now() + interval '2 days', $4, 'assistant')""",
                self.tenant, f"a-{uuid.uuid4().hex[:8]}", contact, status)


async def seed_week(db: TenantDatabase, tenant: str, now: datetime) -> None:
    """Four leads of the last 7 days and two that are not; see `test_the_funnel_of_a_week`."""
    s = Seed(db, tenant)
    # ft: a form fill touched first 30 s after it arrived; wrote back; qualified; booked.
    t = now - timedelta(days=2)
    await s.arrives("ft", t)
    await s.texted("ft", FIRST_TOUCH, t + 30 * S)
    await s.writes("ft", "Yes please, Saturday works", t + timedelta(minutes=10))
    await s.profile("ft", QUALIFIED)
    await s.appointment("ft", "confirmed")
    # wrote: wrote first (its message is 5 s older than its row), answered 60 s after it;
    # silent since; half qualified; its appointment was cancelled.
    t = now - timedelta(days=1)
    await s.arrives("wrote", t)
    await s.writes("wrote", "Is the house on Elm St still available?", t - 5 * S)
    await s.texted("wrote", "claude", t + 55 * S)
    await s.profile("wrote", HALFWAY)
    await s.appointment("wrote", "cancelled")
    # stop: touched first after 2 min, answered STOP an hour later.
    t = now - timedelta(days=3)
    await s.arrives("stop", t)
    await s.texted("stop", FIRST_TOUCH, t + 120 * S)
    await s.writes("stop", "STOP", t + timedelta(hours=1))
    # quiet: a draft that was never sent (held at night, say).
    await s.arrives("quiet", now - timedelta(days=6))
    await s.texted("quiet", FIRST_TOUCH, None)
    # old: arrived before the window, touched inside it.
    t = now - timedelta(days=10)
    await s.arrives("old", t)
    await s.texted("old", FIRST_TOUCH, now - timedelta(days=1))
    # imported: a row made an hour ago for a lead whose history is 200 days old.
    await s.arrives("imported", now - timedelta(hours=1))
    await s.writes("imported", "looking in Austin", now - timedelta(days=200))


EXPECTED = {"new": 4, "texted": 3, "first_touched": 2, "replied": 2, "qualified": 1,
            "booked": 1, "opted_out": 1}


async def test_the_funnel_of_a_week(db: TenantDatabase) -> None:
    tenant, other = new_tenant(), new_tenant()
    await add_tenants(db, tenant, other)
    now = datetime.now(UTC)
    await seed_week(db, tenant, now)
    await Seed(db, other).arrives("ft", now - timedelta(days=1))  # another tenant's lead
    since = now - timedelta(days=7)
    async with db.transaction(tenant) as conn:
        rows = await outcomes.leads(conn, tenant, since, now)
        f = await outcomes.read(conn, tenant, since, now)
    assert [r.contact_id for r in rows] == ["quiet", "stop", "ft", "wrote"]  # oldest first
    wrote = rows[-1]
    assert wrote.arrived_at == now - timedelta(days=1) - 5 * S  # its message, not its row
    assert f.stages() == EXPECTED
    # waits to the first text: 30 s, 60 s, 120 s
    assert (f.time_to_first_touch_p50_s, f.time_to_first_touch_p95_s) == (60.0, 120.0)
    assert f.reply_rate == pytest.approx(2 / 3)
    async with db.transaction(other) as conn:
        theirs = await outcomes.read(conn, other, since, now)
    assert theirs.stages()["new"] == 1 and theirs.leads_texted == 0
    # a window that ends before the week's leads arrived
    async with db.transaction(tenant) as conn:
        earlier = await outcomes.read(conn, tenant, since - timedelta(days=7), since)
    assert earlier.stages() == {**dict.fromkeys(STAGES, 0), "new": 1, "texted": 1,
                                "first_touched": 1}  # old: touched later, counted as of now


async def test_the_report_command(db: TenantDatabase) -> None:
    tenant = new_tenant()
    await add_tenants(db, tenant)
    await seed_week(db, tenant, datetime.now(UTC))
    code, out = await run_in_thread([report_cmds.register], "report", tenant, "--json")
    assert code == 0
    got = json.loads(out)
    assert (got["tenant"], got["days"]) == (tenant, 7)
    assert {s: got[k] for s, k in zip(STAGES, (
        "new_leads", "leads_texted", "first_touched", "leads_replied", "qualified",
        "appointments_booked", "opted_out"), strict=True)} == EXPECTED
    assert got["time_to_first_touch_s"] == {"p50": 60.0, "p95": 120.0}
    assert got["rates"]["reply"] == pytest.approx(2 / 3)

    # 3 days back: ft and wrote (stop arrived 3 days before the seed, just outside)
    code, out = await run_in_thread([report_cmds.register], "report", tenant, "--days", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"Lead funnel of {tenant}" and "(UTC, 3 days)" in lines[1]
    new = next(line for line in lines if line.startswith("  new leads"))
    assert new.split()[2] == "2" and new.endswith("100%")
    assert lines[-1] == "  time to first touch: P50 30 s, P95 1 min (2 leads texted)"

    assert await run_in_thread([report_cmds.register], "report", "locnobody") == (
        2, "no tenant 'locnobody' (add it with `tenant add`)")


async def test_the_metrics_worker_refresh_reads_postgres(
        db: TenantDatabase, migrated: ServiceUrls) -> None:
    tenant = new_tenant()
    await add_tenants(db, tenant)
    await seed_week(db, tenant, datetime.now(UTC))
    job = FunnelJob(Settings(database_url=migrated.database_url), lambda: [tenant],
                    TenantSeries())
    try:
        assert await job.run_once() == 1
    finally:
        await job.close()

    def gauge(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"tenant": tenant, **labels})

    assert {s: gauge("leadmem_funnel_leads", stage=s) for s in STAGES} == EXPECTED
    assert gauge("leadmem_time_to_first_touch_seconds", quantile="0.5") == 60.0
    assert gauge("leadmem_time_to_first_touch_seconds", quantile="0.95") == 120.0

