"""The tenant settings' one model held to the table and to every reader (issue #24): a column
the model lacks, a default that differs, or a reader that projects its own subset fails here.

Every setting is written through the one writer (`workers.tenants.store.update`, with the
values the CLI's validators produce) and read back by each worker's own statement."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from schemas.envelope import utcnow
from schemas.events import ReplyDrafted
from tests.conftest import new_tenant
from workers.crm import store as crm_store
from workers.crm.plan import CrmSettings
from workers.db.tenant import TenantDatabase
from workers.learning.store import Reads
from workers.outbound import delivery
from workers.replies import store as replies
from workers.responder import store as responder_store
from workers.responder.tenant import tenant_profile
from workers.tenants import TenantSettings, validate
from workers.tenants import store as tenants
from workers.tenants.lifecycle import LifecycleError
from workers.tenants.model import SETTINGS_FIELDS, TENANT_FIELDS, from_row

EVERY_SETTING = {
    **validate.model("claude-test"), **validate.persona("Warm"),
    "instructions": "Be brief", "claude_max_tokens": 321, "claude_api_key_enc": b"\x00key",
    **validate.service_areas('["Austin", {"name": "Round Rock", "aliases": ["RR"]}]'),
    **validate.quiet_hours("21:30-08:15"), **validate.channels("sms,email"),
    **validate.timezone("America/Chicago"), **validate.message_retention_days("45"),
    **validate.allowed_domains("acme.com"), **validate.own_phones("+1 512 555 0111"),
    **validate.own_emails("desk@acme.com"), **validate.allowed_phrases('["free consult"]'),
    **validate.crm_switches("tasks=off,notes=off,tags=off,fields=off"),
    **validate.custom_fields('{"budget_max": "f1"}'),
    **validate.score_tags('{"hot": "H", "warm": "W", "cold": "C"}'),
    **validate.crm_default_user("u1"), **validate.crm_opted_out_tag("DNC"),
    **validate.first_touch_sources("Website Form,Zillow"),
    **validate.follow_ups("PT1H,P1D,P3D"),
    **validate.calendar("cal-showings"),
}


async def test_the_model_has_exactly_the_tables_columns(db: TenantDatabase) -> None:
    assert set(EVERY_SETTING) == set(SETTINGS_FIELDS)  # this test sets every one
    async with db.pool.acquire() as conn:
        columns = {r["column_name"] for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'tenant_settings'")}
    assert columns - {"tenant_id", "updated_at"} == set(SETTINGS_FIELDS)


async def test_the_models_defaults_are_the_columns_defaults(db: TenantDatabase) -> None:
    tenant = new_tenant()
    async with db.transaction(tenant) as conn:
        assert await tenants.read(conn, tenant) == TenantSettings(tenant)  # no row: AI off
        assert await tenants.add(conn, tenant, "Acme") is True
        assert await tenants.add(conn, tenant, None) is False  # the name stays
        read = await tenants.read(conn, tenant)
    assert read.created_at is not None
    assert read == TenantSettings(tenant, known=True, name="Acme", ai_enabled=True,
                                  created_at=read.created_at)


async def test_every_reader_sees_every_setting_the_writer_stored(db: TenantDatabase) -> None:
    tenant = new_tenant()
    ev = ReplyDrafted(event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id="c1",
                      occurred_at=utcnow(), received_at=utcnow(), idempotency_key="m1",
                      channel="sms", body="hi", mode="buyer")
    async with db.transaction(tenant) as conn:
        await tenants.add(conn, tenant, "Acme")
        await tenants.set_ai(conn, tenant, False)
        await tenants.update(conn, tenant, EVERY_SETTING)
        stored = await tenants.read(conn, tenant)
        # The responder's facts, the CRM's state, learning's reads, the outbound's claim.
        _, facts = await responder_store.published_or_facts(conn, tenant, "c1", "k1",
                                                            date(2026, 1, 1))
        crm, _ = await crm_store.load(conn, tenant, "c1")
        learned = await Reads(conn, tenant).settings()
        await replies.upsert_drafted(conn, ev)
        locked = await conn.fetchrow(delivery._LOCK, tenant, "m1", delivery.HISTORY,
                                     datetime.now(UTC))
    assert stored == TenantSettings(tenant, known=True, name="Acme", ai_enabled=False,
                                    created_at=stored.created_at, **EVERY_SETTING)
    assert facts is not None and facts.tenant == tenant_profile(stored)
    assert crm == CrmSettings.of(stored) and crm.tasks is False and crm.opted_out_tag == "DNC"
    assert learned == stored
    assert locked is not None and from_row(tenant, locked) == stored


async def test_an_update_changes_only_what_it_names(db: TenantDatabase) -> None:
    tenant = new_tenant()
    async with db.transaction(tenant) as conn:
        await tenants.ensure(conn, tenant)  # no settings row yet: the update creates it
        await tenants.update(conn, tenant, validate.timezone("Europe/London"))
        await tenants.update(conn, tenant, validate.quiet_hours("22:00-07:00"))
        await tenants.update(conn, tenant, validate.quiet_hours("off"))
        read = await tenants.read(conn, tenant)
    assert read.timezone == "Europe/London" and read.quiet is None
    assert read.reply_channels == TenantSettings(tenant).reply_channels


async def test_the_lifecycle_fields_are_the_tenants_columns(db: TenantDatabase) -> None:
    async with db.pool.acquire() as conn:
        columns = {r["column_name"] for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'tenants'")}
    assert columns == {"id"} | set(TENANT_FIELDS) - {"known"}


async def test_install_go_live_uninstall_and_reinstall_through_the_one_writer(
        db: TenantDatabase) -> None:
    """INSTALL makes an installed tenant with AI off; going live needs its settings (and
    writes nothing when refused); UNINSTALL turns it off; a reinstall is not live again."""
    tenant, t0 = new_tenant(), datetime(2026, 3, 1, 12, tzinfo=UTC)
    async with db.transaction(tenant) as conn:
        assert await tenants.uninstall(conn, tenant, t0) is None  # no tenant: none created
        assert not (await tenants.read(conn, tenant)).known
        assert await tenants.install(conn, tenant, "co-1", "Agency", t0) == "installed"
        read = await tenants.read(conn, tenant)
    assert (read.known, read.status, read.ai_enabled, read.company_id, read.name,
            read.installed_at) == (True, "installed", False, "co-1", "Agency", t0)
    with pytest.raises(LifecycleError, match="--timezone, --persona, --service-areas"):
        async with db.transaction(tenant) as conn:
            await tenants.set_ai(conn, tenant, True)
    async with db.transaction(tenant) as conn:
        assert (await tenants.read(conn, tenant)).status == "installed"  # rolled back
        await tenants.update(conn, tenant, {**validate.timezone("America/Chicago"),
                                            **validate.persona("Warm"),
                                            **validate.service_areas('["Austin"]')})
        await tenants.set_ai(conn, tenant, True)
        live = await tenants.read(conn, tenant)
        assert await tenants.install(conn, tenant, "co-1", None, t0) == "live"  # a retry
        assert await tenants.uninstall(conn, tenant, t0 + timedelta(days=1)) == "uninstalled"
        gone = await tenants.read(conn, tenant)
        assert await tenants.install(conn, tenant, "co-1", None, t0) == "uninstalled"  # late
        assert await tenants.install(conn, tenant, "co-1", None,
                                     t0 + timedelta(days=2)) == "installed"
        back = await tenants.read(conn, tenant)
    assert (live.status, live.ai_enabled, live.live) == ("live", True, True)
    assert (gone.status, gone.ai_enabled, gone.uninstalled) == ("uninstalled", False, True)
    assert gone.uninstalled_at == t0 + timedelta(days=1)
    assert (back.status, back.ai_enabled, back.timezone) == ("installed", False,
                                                             "America/Chicago")
    with pytest.raises(LifecycleError, match="installs the app again"):
        async with db.transaction(tenant) as conn:
            await tenants.uninstall(conn, tenant, t0 + timedelta(days=3))
            await tenants.set_ai(conn, tenant, True)


async def test_every_reader_sees_an_uninstalled_tenant(db: TenantDatabase) -> None:
    tenant = new_tenant()
    ev = ReplyDrafted(event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id="c1",
                      occurred_at=utcnow(), received_at=utcnow(), idempotency_key="m1",
                      channel="sms", body="hi", mode="buyer")
    async with db.transaction(tenant) as conn:
        await tenants.add(conn, tenant, "Acme")  # an operator's: live, AI on
        await tenants.uninstall(conn, tenant, datetime.now(UTC))
        stored = await tenants.read(conn, tenant)
        _, facts = await responder_store.published_or_facts(conn, tenant, "c1", "k1",
                                                            date(2026, 1, 1))
        crm, _ = await crm_store.load(conn, tenant, "c1")
        await replies.upsert_drafted(conn, ev)
        locked = await conn.fetchrow(delivery._LOCK, tenant, "m1", delivery.HISTORY,
                                     datetime.now(UTC))
    assert stored.uninstalled and stored.status == "uninstalled" and not stored.ai_enabled
    assert facts is not None and facts.tenant.uninstalled
    assert crm.active is False
    assert locked is not None and from_row(tenant, locked) == stored
    _, state = delivery.consent_of(locked, "sms", "buyer")
    assert state.uninstalled
