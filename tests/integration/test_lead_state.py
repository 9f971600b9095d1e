"""A lead's state read one way (`workers.leads`): the responder's facts, the outbound's claim
and the CRM's state each embed the same columns and see the same lead (issue #24)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from schemas.envelope import utcnow
from schemas.events import ReplyDrafted
from tests.conftest import new_tenant
from workers.consent_ledger import Entry, Kind, Source
from workers.consent_ledger import store as ledger
from workers.crm import store as crm_store
from workers.db.tenant import TenantDatabase
from workers.leads import Lead
from workers.leads.state import from_row as lead_of
from workers.outbound import delivery
from workers.replies import store as replies
from workers.responder import store as responder_store
from workers.tenants import store as tenants


async def test_every_decider_reads_the_same_lead(db: TenantDatabase) -> None:
    tenant, at = new_tenant(), datetime(2026, 11, 10, 18, tzinfo=UTC)
    ev = ReplyDrafted(event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id="c1",
                      occurred_at=utcnow(), received_at=utcnow(), idempotency_key="m1",
                      channel="sms", body="hi", mode="buyer")
    async with db.transaction(tenant) as conn:
        await tenants.add(conn, tenant, "Acme")
        await conn.execute(
            """INSERT INTO contacts (tenant_id, contact_id, first_name, last_name, name, email,
                   phone, timezone, state, postal_code, source, assigned_to, human_takeover,
                   tags, custom_fields)
               VALUES ($1, 'c1', 'Ana', 'Ruiz', 'Ana Ruiz', 'ana@example.com',
                       '+19155550100', 'America/Denver', 'TX', '79901', 'Zillow', 'u7', true,
                       '{Spanish}', '{"f1": "12 Oak St"}')""",
            tenant)
        await ledger.append(conn, tenant, "c1", [
            Entry("m0:o", Kind.OPTED_OUT, "sms", Source.LEAD_MESSAGE, at, "m0")])
        _, facts = await responder_store.published_or_facts(conn, tenant, "c1", "k1",
                                                            date(2026, 11, 10))
        await replies.upsert_drafted(conn, ev)
        locked = await conn.fetchrow(delivery._LOCK, tenant, "m1", delivery.HISTORY,
                                     datetime.now(UTC))
        _, crm = await crm_store.load(conn, tenant, "c1")
        _, nobody = await responder_store.published_or_facts(conn, tenant, "c404", "k2",
                                                             date(2026, 11, 10))
    assert facts is not None and locked is not None and nobody is not None
    lead = facts.lead
    assert lead == lead_of(tenant, "c1", locked)  # the outbound's claim reads the same lead
    assert (lead.known, lead.first_name, lead.phone, lead.postal_code, lead.source,
            lead.assigned_to, lead.human_takeover) == (
        True, "Ana", "+19155550100", "79901", "Zillow", "u7", True)
    assert (lead.tags, lead.custom_fields) == (("Spanish",), {"f1": "12 Oak St"})
    assert lead.consent.opted_out_of("sms") and not lead.consent.opted_out_of("email")
    assert (crm.first_name, crm.assigned_to, crm.opted_out, crm.opt_out_scope) == (
        "Ana", "u7", True, "sms")
    assert nobody.lead == Lead(tenant, "c404") and nobody.consent.entries == ()
