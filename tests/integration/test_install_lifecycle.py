"""The Marketplace app's install lifecycle against the real broker, Postgres and Redis, with
the loopback fakes of Claude and GHL (issue #25, item 2):

- INSTALL makes an installed tenant with AI off: its deliveries are remembered, nothing is
  sent until an operator makes it live (`leadmem tenant config ID ... --ai on`);
- UNINSTALL stops every send and write-back for the location at once (a reply held or
  drafted before it is refused at the claim; no CRM call reaches GHL), deletes its GHL
  tokens and keeps its consent ledger; later deliveries are kept out;
- a location that never installed (and was not added) is counted and kept out of the
  pipeline: nothing downstream, no tenant;
- after the purge window retention deletes an uninstalled tenant's data but its consent
  ledger, so a reinstall still suppresses an opted-out phone.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

import workers.cli
from devtools.demo.ghl_events import app_event, contact_event, inbound_message
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from devtools.signing import signed
from schemas import topics
from schemas.envelope import utcnow
from schemas.events import AgentAssistRequested, ReplyDrafted
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer, body, keyed, publish_events, read_until
from tests.support.pipeline import fake_api_settings
from tests.support.services import ServiceUrls
from tests.support.workers import eventually, running
from tests.support.zones import midday_zone
from workers.consent_ledger import NONE
from workers.consent_ledger import entries as ledger_entries
from workers.consent_ledger import store as ledger
from workers.consent_ledger.addresses import hasher_for
from workers.db import retention
from workers.db.tenant import TenantDatabase
from workers.ghl.token_store import put_company_grant, put_refresh_token
from workers.secrets import generate_key
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.tenants import validate
from workers.tenants.lifecycle import LifecycleError

pytestmark = pytest.mark.integration
AREAS = '[{"name": "Round Rock", "aliases": ["round rock"]}]'


def model(request: dict[str, Any]) -> str:
    return "Thanks Dana! When are you hoping to move?"


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeMessagesAPI, FakeGHLAPI]]:
    async with FakeMessagesAPI(responder=model) as claude, FakeGHLAPI() as ghl:
        yield claude, ghl


async def deliver(kafka: str, *bodies: dict[str, Any]) -> None:
    """Webhooks as the receiver writes them: GHL's bytes, signed, keyed by location (the
    app's INSTALL / UNINSTALL of an agency: by company)."""
    async with RawProducer(kafka) as producer:
        for event in bodies:
            raw = json.dumps(event).encode()
            await producer.send(topics.GHL_EVENTS, raw, headers=signed(raw),
                                key=event.get("locationId") or event["companyId"])


async def reply_of(db: TenantDatabase, tenant: str, message_id: str) -> dict[str, Any] | None:
    async with db.transaction(tenant) as conn:
        row = await conn.fetchrow("SELECT * FROM replies WHERE tenant_id = $1 "
                                  "AND reply_to_message_id = $2", tenant, message_id)
    return dict(row) if row is not None else None


def kept_out(reason: str) -> float:
    return REGISTRY.get_sample_value("leadmem_ingestion_kept_out_total",
                                     {"reason": reason}) or 0.0


async def test_an_install_is_remembered_but_not_answered_until_it_goes_live(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
    fakes: tuple[FakeMessagesAPI, FakeGHLAPI],
) -> None:
    claude, ghl = fakes
    tenant, zone = new_tenant(), midday_zone()
    settings = fake_api_settings(make_settings, claude, ghl, tenant)
    first = inbound_message(tenant, "dana", "Hi! 3 beds in round rock, up to 450k?")
    second = inbound_message(tenant, "dana", "Still looking, any news?")
    async with running(settings, "ingestion", "memory", "learning", "responder", "outbound"):
        await deliver(kafka, app_event("INSTALL", location=tenant, company="co-int"),
                      {**contact_event(tenant, "dana", first="Dana", phone="+447700900123"),
                       "timezone": zone}, first)
        # Remembered (the installed tenant's deliveries go in), not answered: AI is off.
        await eventually(lambda: reply_of(db, tenant, first["messageId"]), timeout_s=60)
        installed = await reply_of(db, tenant, first["messageId"])
        async with db.transaction(tenant) as conn:
            state = await tenants.read(conn, tenant)
        # An operator cannot turn the AI on before the settings are done...
        with pytest.raises(LifecycleError, match="--timezone, --persona, --service-areas"):
            async with db.transaction(tenant) as conn:
                await tenants.set_ai(conn, tenant, True)
        # ...and with them it goes live (`leadmem tenant config ID --timezone ... --ai on`).
        async with db.transaction(tenant) as conn:
            await tenants.update(conn, tenant, {**validate.timezone(zone),
                                                **validate.persona("Friendly agent"),
                                                **validate.service_areas(AREAS)})
            await tenants.set_ai(conn, tenant, True)
            live = await tenants.read(conn, tenant)
        await deliver(kafka, second)

        async def sent() -> bool:
            row = await reply_of(db, tenant, second["messageId"])
            return row is not None and row["status"] == "sent"
        await eventually(sent, timeout_s=60)
    assert (state.status, state.ai_enabled, state.company_id) == ("installed", False, "co-int")
    assert installed is not None and installed["status"] == "suppressed"
    assert installed["suppressed_reason"] == "ai_disabled"
    assert (live.status, live.ai_enabled) == ("live", True)
    (delivered,) = ghl.delivered  # the reply to the message after going live, only
    assert (delivered.location_id, delivered.contact_id) == (tenant, "dana")


async def test_uninstall_stops_sends_and_write_backs_deletes_tokens_keeps_the_ledger(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
    fakes: tuple[FakeMessagesAPI, FakeGHLAPI],
) -> None:
    claude, ghl = fakes
    tenant, key = new_tenant(), generate_key()
    settings = fake_api_settings(make_settings, claude, ghl, tenant, master_key=key)
    stop = ledger_entries.from_message(signal="opt_out", reengages=False, current=NONE,
                                       message_ref="m-stop", channel="sms", at=utcnow())
    async with db.transaction(tenant) as conn:
        await tenants.add(conn, tenant, "Acme")  # an operator's tenant: live
        await tenants.update(conn, tenant, validate.timezone(midday_zone()))
        for contact in ("c1", "c2"):
            await conn.execute("INSERT INTO contacts (tenant_id, contact_id, first_name, "
                               "timezone) VALUES ($1, $2, 'Ana', $3)", tenant, contact,
                               midday_zone())
        await ledger.append(conn, tenant, "c2", stop)
        await put_refresh_token(conn, tenant, "rt-stored", key)
        # Held for quiet hours before the UNINSTALL, due a few seconds after it.
        await conn.execute(
            "INSERT INTO replies (tenant_id, idempotency_key, event_id, contact_id, "
            "reply_to_message_id, channel, body, mode, status, send_after) VALUES ($1, 'held', "
            "$2, 'c1', 'held', 'sms', 'held reply', 'buyer', 'held', "
            "now() + interval '4 seconds')", tenant, str(uuid.uuid4()))

    def reply(key: str) -> ReplyDrafted:
        now = utcnow()
        return ReplyDrafted(event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id="c1",
                            occurred_at=now, received_at=now, idempotency_key=key,
                            reply_to_message_id=key, channel="sms", body=f"reply {key}",
                            mode="buyer")

    def handoff() -> AgentAssistRequested:
        now = utcnow()
        return AgentAssistRequested(event_id=str(uuid.uuid4()), tenant_id=tenant,
                                    contact_id="c1", occurred_at=now, received_at=now,
                                    reason="handoff", note="Lead asked for a person")

    async def reason(key: str) -> str | None:
        row = await reply_of(db, tenant, key)
        return row["suppressed_reason"] if row else None

    before = kept_out("uninstalled")
    async with running(settings, "ingestion", "outbound"):
        # Live: a reply goes out and a hand-off becomes a task (the wiring works).
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [reply("r0")])
        await publish_events(kafka, topics.AGENT_ASSIST, [handoff()])
        await eventually(lambda: ghl.delivered and ghl.contact(tenant, "c1").tasks)
        calls = len(ghl.requests)
        await deliver(kafka, app_event("UNINSTALL", location=tenant))

        async def uninstalled() -> bool:
            async with db.transaction(tenant) as conn:
                return (await tenants.read(conn, tenant)).uninstalled
        await eventually(uninstalled)
        # A reply drafted before the UNINSTALL arriving now, a hand-off, the held reply
        # coming due, and a lead's message: nothing reaches GHL.
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [reply("r1")])
        await publish_events(kafka, topics.AGENT_ASSIST, [handoff()])
        await deliver(kafka, inbound_message(tenant, "c1", "are you there?"))
        await eventually(lambda: reason("r1"), timeout_s=30)
        await eventually(lambda: reason("held"), timeout_s=30)
        await eventually(lambda: kept_out("uninstalled") > before, timeout_s=30)
        await asyncio.sleep(1.0)  # the hand-off's turn, whatever the order of the topics
    assert [m.message for m in ghl.delivered] == ["reply r0"]
    assert len(ghl.requests) == calls  # no send, no task, no note: no call at all
    assert await reason("r1") == "uninstalled" and await reason("held") == "uninstalled"
    async with db.transaction(tenant) as conn:
        tokens = await conn.fetchval("SELECT count(*) FROM ghl_oauth_tokens")
        consent = await ledger.read(conn, tenant, "c2")
        messages = await conn.fetchval("SELECT count(*) FROM messages")
    assert tokens == 0 and consent.opted_out_of("sms") and messages == 0


async def test_an_unknown_location_is_counted_and_produces_nothing_downstream(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
) -> None:
    stranger, known = new_tenant(), new_tenant()
    async with db.transaction(known) as conn:
        await tenants.add(conn, known, None)
    before = kept_out("unknown_location")
    async with running(make_settings(), "ingestion"):
        await deliver(kafka, inbound_message(stranger, "c1", "forged STOP"),
                      contact_event(stranger, "c1"),
                      app_event("UNINSTALL", location=stranger),  # creates nothing either
                      inbound_message(known, "c1", "marker"))
        out = await read_until(kafka, topics.CONVERSATION_EVENTS,
                               lambda seen: any(body(r).get("body") == "marker" for r in seen),
                               where=keyed({stranger, known}), settle_s=1.0)
        await eventually(lambda: kept_out("unknown_location") >= before + 2)
    assert [body(r)["tenant_id"] for r in out] == [known]
    async with db.transaction(stranger) as conn:
        assert not (await tenants.read(conn, stranger)).known
        assert await conn.fetchval("SELECT count(*) FROM webhook_receipts") == 0


async def test_an_agency_installs_several_locations_and_uninstalls_them_all(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
) -> None:
    """Agency-level bodies name no `locationId`: keyed by `companyId` (as the receiver must
    key them). The bulk INSTALL lists its locations; the agency's UNINSTALL finds them by the
    company the INSTALL recorded (`tenant_company_locations`, migrations/0014), and another
    agency's location is untouched."""
    company, other_company = f"co-{new_tenant()}", f"co-{new_tenant()}"
    l1, l2, theirs = new_tenant(), new_tenant(), new_tenant()
    key = generate_key()

    async def statuses() -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for loc in (l1, l2, theirs):
            async with db.transaction(loc) as conn:
                out[loc] = await tenants.status(conn, loc)
        return out

    async with running(make_settings(), "ingestion"):
        await deliver(kafka, app_event("INSTALL", company=company, locations=[l1, l2]),
                      app_event("INSTALL", location=theirs, company=other_company))
        await eventually(lambda: _all(statuses, "installed"))
        for loc in (l1, l2, theirs):
            async with db.transaction(loc) as conn:
                await put_refresh_token(conn, loc, "rt", key)
        for agency in (company, other_company):  # the agencies' own tokens
            async with db.company_transaction(agency) as conn:
                await put_company_grant(conn, agency, "rt-co", "at-co", None, key)
        await deliver(kafka, {"type": "UNINSTALL", "appId": "app-leadmem", "companyId": company,
                              "webhookId": str(uuid.uuid4()),
                              "timestamp": datetime.now(UTC).isoformat()})

        async def agency_gone() -> bool:
            return await statuses() == {l1: "uninstalled", l2: "uninstalled",
                                        theirs: "installed"}
        await eventually(agency_gone)
    for loc, tokens in ((l1, 0), (l2, 0), (theirs, 1)):
        async with db.transaction(loc) as conn:
            assert await conn.fetchval("SELECT count(*) FROM ghl_oauth_tokens") == tokens
            assert (await tenants.read(conn, loc)).company_id == (
                other_company if loc == theirs else company)
    for agency, tokens in ((company, 0), (other_company, 1)):
        async with db.company_transaction(agency) as conn:
            assert await conn.fetchval("SELECT count(*) FROM ghl_company_tokens") == tokens


async def _all(statuses: Callable[[], Any], status: str) -> bool:
    return set((await statuses()).values()) == {status}


# --- purge after the window ------------------------------------------------------------------

DATA_TABLES = ("contacts", "messages", "lead_profiles", "lead_facts", "replies",
               "crm_contacts", "crm_writes", "listings", "processed_events",
               "webhook_receipts", "inbound_marks", "ghl_oauth_tokens", "tenant_settings")
PHONE = "+15125550143"


async def counts(db: TenantDatabase, tenant: str) -> dict[str, int]:
    async with db.transaction(tenant) as conn:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # RLS: this tenant
                for t in (*DATA_TABLES, "consent_events")}


async def seed(db: TenantDatabase, tenant: str, uninstalled_days_ago: float | None) -> None:
    """A tenant with a row in every kind of table, a lead who opted out (phone hashed), and
    uninstalled that many days ago (None: live)."""
    hashes = hasher_for(None).of(phones=[PHONE])
    stop = ledger_entries.from_message(signal="opt_out", reengages=False, current=NONE,
                                       message_ref="m-stop", channel="sms", at=utcnow())
    async with db.transaction(tenant) as conn:
        await tenants.add(conn, tenant, "Acme")
        await tenants.update(conn, tenant, validate.persona("Warm"))
        await conn.execute("INSERT INTO contacts (tenant_id, contact_id, phone, "
                           "address_hashes) VALUES ($1, 'c1', $2, $3)", tenant, PHONE, hashes)
        await ledger.append(conn, tenant, "c1", stop)
        await conn.execute("INSERT INTO messages (tenant_id, event_id, contact_id, direction, "
                           "channel, sender, body, occurred_at) VALUES ($1, 'e1', 'c1', "
                           "'inbound', 'sms', 'lead', 'STOP', now())", tenant)
        await conn.execute("INSERT INTO lead_profiles (tenant_id, contact_id) "
                           "VALUES ($1, 'c1')", tenant)
        await conn.execute("INSERT INTO lead_facts (tenant_id, contact_id, field, value, "
                           "source_event_id, valid_from) VALUES ($1, 'c1', 'budget_max', "
                           "'450000'::jsonb, 'e1', now())", tenant)
        await conn.execute("INSERT INTO replies (tenant_id, idempotency_key, event_id, "
                           "contact_id, channel, body, mode, status) VALUES ($1, 'k1', 'r1', "
                           "'c1', 'sms', 'hi', 'buyer', 'sent')", tenant)
        await conn.execute("INSERT INTO crm_contacts (tenant_id, contact_id) VALUES ($1, 'c1')",
                           tenant)
        await conn.execute("INSERT INTO crm_writes (tenant_id, intent_key, contact_id, kind, "
                           "status) VALUES ($1, 'task:1', 'c1', 'task', 'done')", tenant)
        await conn.execute("INSERT INTO listings (tenant_id, listing_id, price) "
                           "VALUES ($1, 'l1', 500000)", tenant)
        await conn.execute("INSERT INTO processed_events (tenant_id, consumer, event_id) "
                           "VALUES ($1, 'memory', 'e1')", tenant)
        await conn.execute("INSERT INTO webhook_receipts (tenant_id, dedupe_key, event_id, "
                           "event_type, source_partition, source_offset) VALUES ($1, 'wh:1', "
                           "'e1', 'InboundMessage', 0, 1)", tenant)
        await conn.execute("INSERT INTO inbound_marks (tenant_id, contact_id, event_id, "
                           "occurred_at) VALUES ($1, 'c1', 'e1', now())", tenant)
        await put_refresh_token(conn, tenant, "rt", generate_key())
        if uninstalled_days_ago is not None:
            at = datetime.now(UTC) - timedelta(days=uninstalled_days_ago)
            await tenants.uninstall(conn, tenant, at)
            await conn.execute("INSERT INTO ghl_oauth_tokens (tenant_id, refresh_token_enc) "
                               "VALUES ($1, 'x') ON CONFLICT DO NOTHING", tenant)


async def test_an_uninstalled_tenant_is_purged_after_the_window_but_its_consent_stays(
    db: TenantDatabase, migrated: ServiceUrls,
) -> None:
    due, recent, live = new_tenant(), new_tenant(), new_tenant()
    await seed(db, due, uninstalled_days_ago=31)
    await seed(db, recent, uninstalled_days_ago=29)
    await seed(db, live, uninstalled_days_ago=None)
    full = await counts(db, live)
    assert all(full[t] >= 1 for t in DATA_TABLES)  # every kind of row is there to purge
    settings = Settings(database_url=migrated.database_url, retention_batch_rows=1,
                        uninstall_purge_days=30)
    dry = [p for p in await retention.expired(db, settings) if p.table == retention.PURGE]
    assert [(p.tenant, p.rows) for p in dry if p.tenant in (due, recent, live)] == [
        (due, sum(full[t] for t in DATA_TABLES if t != "tenant_settings"))]
    pruned = await retention.prune_all(db, settings)
    purged = [p for p in pruned if p.table == retention.PURGE and p.tenant == due]
    assert len(purged) == 1 and purged[0].rows >= len(DATA_TABLES) - 1

    after = await counts(db, due)
    assert {t: after[t] for t in DATA_TABLES} == dict.fromkeys(DATA_TABLES, 0)
    assert after["consent_events"] == full["consent_events"] == 1
    assert await counts(db, recent) == full and await counts(db, live) == full
    async with db.transaction(due) as conn:
        gone = await tenants.read(conn, due)
        row = await conn.fetchrow("SELECT contact_id, addresses FROM consent_events")
    assert gone.known and gone.uninstalled and gone.purged_at is not None
    assert row["contact_id"] is None and set(hasher_for(None).of(phones=[PHONE])) <= set(
        row["addresses"])
    # Run again: nothing more to do for it.
    again = await retention.prune_all(db, settings)
    assert not [p for p in again if p.table == retention.PURGE and p.tenant == due]

    # The agency installs the app again; the same phone comes back as a new contact: the
    # opt-out still holds (matched by the keyed hash the purge kept).
    async with db.transaction(due) as conn:
        assert await tenants.install(conn, due, "co-1", None) == "installed"
        await conn.execute("INSERT INTO contacts (tenant_id, contact_id, phone, "
                           "address_hashes) VALUES ($1, 'c9', $2, $3)", due, PHONE,
                           hasher_for(None).of(phones=[PHONE]))
        consent = await ledger.read(conn, due, "c9")
    assert consent.opted_out_of("sms")


async def test_a_reinstall_within_the_window_keeps_everything(
    db: TenantDatabase, migrated: ServiceUrls,
) -> None:
    tenant = new_tenant()
    await seed(db, tenant, uninstalled_days_ago=31)
    async with db.transaction(tenant) as conn:
        await tenants.install(conn, tenant, "co-1", None)
    kept = await counts(db, tenant)
    settings = Settings(database_url=migrated.database_url, uninstall_purge_days=30)
    await retention.prune_all(db, settings)
    assert await counts(db, tenant) == kept and kept["contacts"] == 1


def leadmem(*argv: str) -> tuple[int, str, str]:
    """`leadmem ARGV...` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            workers.cli.main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


async def test_the_cli_makes_an_installed_tenant_live_once_its_settings_are_done(
    db: TenantDatabase, migrated: ServiceUrls, monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = new_tenant()
    async with db.transaction(tenant) as conn:
        await tenants.install(conn, tenant, "co-cli", "Acme")
    monkeypatch.setenv("LEADMEM_DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("LEADMEM_ADMIN_DATABASE_URL", migrated.admin_database_url)
    refused = await asyncio.to_thread(leadmem, "tenant", "config", tenant, "--persona", "Sam",
                                      "--ai", "on")
    assert refused[0] == 2 and "set --timezone, --service-areas first" in refused[2]
    async with db.transaction(tenant) as conn:
        unchanged = await tenants.read(conn, tenant)
    assert (unchanged.status, unchanged.persona) == ("installed", None)  # nothing written
    done = await asyncio.to_thread(leadmem, "tenant", "config", tenant, "--persona", "Sam",
                                   "--timezone", "America/Chicago",
                                   "--service-areas", '["Austin"]', "--ai", "on")
    assert done[0] == 0, done[2]
    shown = await asyncio.to_thread(leadmem, "tenant", "show", tenant)
    data = json.loads(shown[1])
    assert (data["status"], data["ai_enabled"], data["company_id"]) == ("live", True, "co-cli")
    listed = await asyncio.to_thread(leadmem, "tenant", "list")
    assert any(line.split()[:3] == [tenant, "Acme", "live"] for line in listed[1].splitlines())
