"""`leadmem consent show|set` on the real Postgres: what an operator sees of a lead's consent
and what recording a change does; and forgetting a contact keeps its suppression."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.events import MessageIngested
from tests.conftest import new_tenant
from tests.support.cli import run_in_thread
from tests.support.events import contact_changed
from tests.support.services import ServiceUrls
from workers.cli import consent_cmds
from workers.consent_ledger import store as ledger
from workers.consent_ledger.addresses import hasher_for
from workers.db.tenant import TenantDatabase
from workers.memory import store

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def env(migrated: ServiceUrls, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADMEM_DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("LEADMEM_ADMIN_DATABASE_URL", migrated.admin_database_url)


async def cli(*argv: str) -> tuple[int, str]:
    return await run_in_thread([consent_cmds.register], *argv)


async def lead(db: TenantDatabase, tenant: str, contact: str, phone: str) -> None:
    async with db.transaction(tenant) as conn:
        await store.ensure_lead(conn, tenant, contact)
        await store.upsert_contact(conn, contact_changed(tenant, contact, phone=phone),
                                   hasher_for(None))


async def says(db: TenantDatabase, tenant: str, contact: str, text: str, mid: str) -> None:
    async with db.transaction(tenant) as conn:
        await store.record_message(conn, MessageIngested(
            event_id=f"e-{mid}", tenant_id=tenant, contact_id=contact,
            occurred_at=datetime.now(UTC), received_at=datetime.now(UTC),
            direction="inbound", channel="sms", sender="lead", body=text, message_id=mid),
            hasher=hasher_for(None))


async def test_show_and_set(db: TenantDatabase) -> None:
    tenant = new_tenant()
    await lead(db, tenant, "c1", "+15125550101")
    await says(db, tenant, "c1", "who is this? wrong number", "m1")
    code, out = await cli("consent", "show", tenant, "c1")
    assert code == 0 and "unsure: yes" in out and "opted out: no" in out
    assert "lead_message" in out and "m1" in out
    # A person read it and clears it; then records an opt-out the lead gave by phone.
    code, out = await cli("consent", "set", tenant, "c1", "cleared", "--by", "ana",
                          "--note", "called: right person, still looking")
    assert code == 0 and "unsure: no" in out
    code, out = await cli("consent", "set", tenant, "c1", "opted-out", "--channel", "sms",
                          "--by", "ana")
    assert code == 0 and "opted out: sms" in out
    code, out = await cli("consent", "show", tenant, "c1")
    assert "3 ledger entries" in out and "operator" in out and "ana" in out
    assert await cli("consent", "set", tenant, "nobody", "cleared") == (
        2, f"no lead 'nobody' in tenant {tenant!r}")
    assert (await cli("consent", "set", tenant, "c1", "cleared", "--channel", "s m s"))[0] == 2


async def test_forgetting_keeps_the_suppression_for_the_same_phone(db: TenantDatabase) -> None:
    tenant = new_tenant()
    await lead(db, tenant, "c1", "(512) 555-0102")
    await says(db, tenant, "c1", "STOP", "m1")
    async with db.transaction(tenant) as conn:
        await store.forget_contact(conn, tenant, "c1")
        kept = await conn.fetch("SELECT contact_id, addresses FROM consent_events")
        assert [r["contact_id"] for r in kept] == [None]
        assert "5550102" not in str(kept)  # only keyed hashes remain
        assert all(a[:2] in ("p:", "e:") for a in kept[0]["addresses"])
        await store.ensure_lead(conn, tenant, "c2")
    await lead(db, tenant, "c2", "+1 512 555 0102")  # the same number, written another way
    async with db.transaction(tenant) as conn:
        back = await ledger.read(conn, tenant, "c2")
    # The STOP came from that number: texts and calls to it stay stopped; c2's own email
    # (not the forgotten contact's) is another address.
    assert back.opted_out_of("sms") and back.opted_out_of("call")
    assert not back.opted_out_of("email")
    await lead(db, tenant, "c3", "+15125550103")
    async with db.transaction(tenant) as conn:
        assert not (await ledger.read(conn, tenant, "c3")).any_opt_out
