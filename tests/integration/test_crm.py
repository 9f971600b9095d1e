"""CRM write-back against real Postgres and the fake GHL API (strict as GHL): what an agent
sees on the contact after hand-offs, coaching, score changes and an opt-out; at most once per
intent, through redeliveries and a crash between the call and its commit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import FakeGHLAPI
from schemas import topics
from schemas.events import AgentAssistRequested, ProfileUpdated
from tests.conftest import new_tenant
from workers.consent_ledger import NONE, Entry, Kind, Source
from workers.consent_ledger import entries as ledger_entries
from workers.consent_ledger import store as ledger
from workers.crm import store
from workers.crm.writer import CrmHandler
from workers.db.tenant import TenantDatabase
from workers.ghl.client import GHLClient
from workers.ghl.contacts import ContactsClient
from workers.ghl.ratelimit import LocationLimiter
from workers.ghl.sender import Sender
from workers.ghl.tokens import StaticTokenProvider
from workers.runtime.record import Record

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


@pytest.fixture
async def ghl() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=2.0) as client:
        yield client


async def setup(db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient, *,
                fields: dict[str, str] | None = None, opted_out: bool = False,
                interval: timedelta = timedelta(0)) -> tuple[str, CrmHandler]:
    tenant = new_tenant()
    ghl.add_token(f"tok-{tenant}", tenant)
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await conn.execute("INSERT INTO tenant_settings (tenant_id, crm_custom_fields, "
                           "crm_default_user) VALUES ($1, $2, 'user-desk')", tenant,
                           fields or {})
        await conn.execute("INSERT INTO contacts (tenant_id, contact_id, first_name, "
                           "assigned_to) VALUES ($1, 'c1', 'Ana', 'user-ana')", tenant)
        await conn.execute("INSERT INTO lead_profiles (tenant_id, contact_id, summary, score, "
                           "score_reasons, next_questions) VALUES ($1, 'c1', 'Buyer, 3 beds "
                           "in Austin', 'hot', $2, $3)", tenant, ["pre-approved"],
                           ["What is your timeline?"])
    if opted_out:
        await opt_out(db, tenant)
    # One sender for messages and CRM calls, as the outbound worker wires it.
    sender = Sender(GHLClient(http, ghl.base_url),
                    StaticTokenProvider({tenant: f"tok-{tenant}"}), LocationLimiter(100, 10),
                    backoff_s=0.01, max_attempts=3)
    return tenant, CrmHandler(db, sender, ContactsClient(http, ghl.base_url), interval)


async def opt_out(db: TenantDatabase, tenant: str, *entries: Entry) -> None:
    """The lead's STOP in words recorded in the consent ledger (as memory records it), or
    the entries given."""
    stop = ledger_entries.from_message(signal="opt_out", reengages=False, current=NONE,
                                       message_ref="m-stop", channel="sms",
                                       at=datetime(2026, 12, 2, 23, 30, tzinfo=UTC))
    async with db.transaction(tenant) as conn:
        await ledger.append(conn, tenant, "c1", list(entries) or stop)


def contact_calls(ghl: FakeGHLAPI) -> list[tuple[str, str]]:
    return [(r.method, r.path.split("/")[3] if r.path.count("/") > 2 else "contact")
            for r in ghl.requests if r.path.startswith("/contacts/")]


def assist(tenant: str, reason: str, note: str, event_id: str | None = None) -> Record:
    ev = AgentAssistRequested(event_id=event_id or str(uuid.uuid4()), tenant_id=tenant,
                              contact_id="c1", occurred_at=NOW, received_at=NOW,
                              reason=reason, note=note)
    return Record(topics.AGENT_ASSIST, 0, 0, ev.model_dump_json().encode(),
                  key=tenant.encode())


def profile(tenant: str, score: str, **fields: Any) -> Record:
    ev = ProfileUpdated(event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id="c1",
                        occurred_at=NOW, received_at=NOW, score=score,
                        profile=fields)
    return Record(topics.LEAD_PROFILE_UPDATED, 0, 0, ev.model_dump_json().encode(),
                  key=tenant.encode())


async def test_what_the_agent_sees_after_a_conversation(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    tenant, crm = await setup(db, ghl, http, fields={"budget_max": "fld-budget"})
    handoff = assist(tenant, "handoff", "Lead asked to talk to a person: 'call me at 5'")
    for record in (profile(tenant, "warm", budget_max=400000), handoff, handoff,
                   assist(tenant, "coaching", "Ask about the down payment"),
                   profile(tenant, "hot", budget_max=450000),
                   profile(tenant, "hot", budget_max=450000)):
        await crm(record)
    seen = ghl.contact(tenant, "c1")
    assert len(seen.tasks) == 1  # one task per hand-off, redelivered or not
    task = seen.tasks[0]
    assert task["assignedTo"] == "user-ana" and "call me at 5" in task["body"]
    assert len(seen.notes) == 1  # one living note, updated in place
    note = next(iter(seen.notes.values()))["body"]
    assert "Ask about the down payment" in note and "Score: HOT" in note
    assert "What is your timeline?" in note and seen.note_updates >= 1
    assert seen.tags == ["hot-lead"]  # warm came and went with the score
    assert seen.custom_fields == {"fld-budget": 450000}
    assert contact_calls(ghl) == [
        ("DELETE", "tags"), ("POST", "tags"), ("PUT", "contact"),  # warm, budget 400k
        ("POST", "tasks"), ("POST", "notes"),  # the hand-off
        ("PUT", "notes"),  # its redelivery: the note again (idempotent), no second task
        ("PUT", "notes"),  # coaching
        ("DELETE", "tags"), ("POST", "tags"), ("PUT", "contact"),  # hot, budget 450k
    ]  # and the repeated hot profile: nothing
    assert all(r.status in (200, 201) for r in ghl.requests)


async def test_an_opted_out_lead_gets_no_task_and_no_fields(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    tenant, crm = await setup(db, ghl, http, fields={"budget_max": "fld-budget"},
                              opted_out=True)
    await crm(assist(tenant, "handoff", "Lead asked to talk to a person."))
    await crm(profile(tenant, "cold", budget_max=300000))
    seen = ghl.contact(tenant, "c1")
    assert seen.tasks == [] and seen.custom_fields == {}
    assert seen.tags == ["opted-out"]  # no cold-lead
    assert "OPTED OUT" in next(iter(seen.notes.values()))["body"]


ALL_DND = ["SMS", "Email", "WhatsApp", "GMB", "FB", "Call"]
BY_REPLY = {"status": "active", "message": "Opted out by reply: 2026-12-02"}


async def test_an_opt_out_in_words_reaches_ghl_once(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    tenant, crm = await setup(db, ghl, http, fields={"budget_max": "fld-budget"})
    await crm(profile(tenant, "cold", budget_max=300000))  # before: a nurture tag
    seen = ghl.contact(tenant, "c1")
    assert seen.tags == ["cold-lead"] and seen.dnd_updates == []
    await opt_out(db, tenant)  # the lead: "stop texting me"
    ghl.requests.clear()
    update = profile(tenant, "cold", budget_max=350000)
    await crm(update)
    assert seen.dnd_updates == [{c: BY_REPLY for c in ALL_DND}]  # every channel, once
    assert seen.tags == ["opted-out"]  # the score tag we set is gone, none new
    assert seen.custom_fields == {"fld-budget": 300000}  # no new fields
    assert contact_calls(ghl) == [("PUT", "contact"), ("POST", "tags"), ("DELETE", "tags")]
    async with db.transaction(tenant) as conn:
        claim = await conn.fetchrow("SELECT intent_key, status FROM crm_writes "
                                    "WHERE kind = 'opt_out'")
        score_tag = await conn.fetchval("SELECT score_tag FROM crm_contacts")
    assert dict(claim) == {"intent_key": "optout:c1:msg:m-stop:opted_out", "status": "done"}
    assert score_tag is None
    ghl.requests.clear()
    for record in (update, profile(tenant, "hot", budget_max=400000),
                   assist(tenant, "possible_opt_out", "said stop")):
        await crm(record)  # a redelivery, a new score, an assist: nothing repeated
    assert len(seen.dnd_updates) == 1 and seen.tags == ["opted-out"]
    assert contact_calls(ghl) == [("POST", "notes")]  # only the living note
    # Resubscribed (the lead's START): the score tags come back; the opt-out is not undone
    # in GHL by us (GHL's own START handling lifts its DND).
    await opt_out(db, tenant, Entry("msg:m-start:resubscribed", Kind.RESUBSCRIBED, "all",
                                    Source.LEAD_MESSAGE, NOW, "m-start"))
    await crm(profile(tenant, "warm"))
    assert seen.tags == ["opted-out", "warm-lead"] and len(seen.dnd_updates) == 1


async def test_dnd_already_on_is_skipped_and_an_operator_opt_out_stays_in_our_system(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    tenant, crm = await setup(db, ghl, http)
    at = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
    await opt_out(db, tenant, *ledger_entries.from_dnd(
        said={"sms": True, "call": True}, current=NONE, event_ref="wh-1", at=at))
    await opt_out(db, tenant)  # GHL's STOP handling already set SMS DND (and Call)
    await crm(profile(tenant, "hot"))
    seen = ghl.contact(tenant, "c1")
    assert seen.dnd_updates == [{c: BY_REPLY for c in ("Email", "WhatsApp", "GMB", "FB")}]

    other, crm2 = await setup(db, ghl, http)
    await crm2(profile(other, "hot"))
    await opt_out(db, other, ledger_entries.manual(
        kind=Kind.OPTED_OUT, channel="all", source=Source.OPERATOR, who="ops", at=at))
    await crm2(profile(other, "hot"))
    theirs = ghl.contact(other, "c1")
    assert theirs.dnd_updates == [] and theirs.tags == []  # hot-lead removed, no DND or tag


async def test_an_opt_out_write_back_left_unconfirmed_is_made_again(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant, crm = await setup(db, ghl, http, opted_out=True)
    async with db.transaction(tenant) as conn:
        await conn.execute("UPDATE tenant_settings SET crm_opted_out_tag = '' "
                           "WHERE tenant_id = $1", tenant)
    update = profile(tenant, "cold")

    async def killed(*_: Any) -> None:
        raise SystemExit("killed after GHL took the DND, before the commit")

    monkeypatch.setattr(store, "finish", killed)
    with pytest.raises(SystemExit):
        await crm(update)
    monkeypatch.undo()
    await crm(update)  # the claim left 'sending': idempotent, so made again, then done
    await crm(update)
    seen = ghl.contact(tenant, "c1")
    assert len(seen.dnd_updates) == 2 and seen.tags == []  # no tag configured
    assert [m for m, _ in contact_calls(ghl)] == ["PUT", "PUT"]


async def test_a_refused_opt_out_write_back_blocks_nothing_and_is_tried_again(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    tenant, crm = await setup(db, ghl, http, opted_out=True)
    ghl.inject(Fault(status=422, path="/contacts/c1"))  # the DND PUT, once
    await crm(assist(tenant, "coaching", "Ask about the down payment"))
    seen = ghl.contact(tenant, "c1")
    assert seen.dnd_updates == [] and len(seen.notes) == 1  # the note still written
    async with db.transaction(tenant) as conn:
        assert await conn.fetchval("SELECT status FROM crm_writes WHERE kind = 'opt_out'") \
            == "failed"
    await crm(profile(tenant, "cold"))  # the lead's next event
    assert len(seen.dnd_updates) == 1 and seen.tags == ["opted-out"]


async def test_a_crash_between_the_call_and_its_commit_never_doubles_a_task(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant, crm = await setup(db, ghl, http)
    handoff = assist(tenant, "handoff", "Lead asked to talk to a person.")

    async def killed(*_: Any) -> None:
        raise SystemExit("killed after GHL took the task, before the commit")

    monkeypatch.setattr(store, "finish", killed)
    with pytest.raises(SystemExit):
        await crm(handoff)
    monkeypatch.undo()
    await crm(handoff)  # the redelivery finds the claim: in doubt, not repeated
    seen = ghl.contact(tenant, "c1")
    assert len(seen.tasks) == 1
    async with db.transaction(tenant) as conn:
        status = await conn.fetchval("SELECT status FROM crm_writes WHERE kind = 'task'")
    assert status == "sending"


async def test_ghl_errors_before_it_took_the_task_are_retried_and_it_is_made_once(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    tenant, crm = await setup(db, ghl, http)
    ghl.inject(Fault(status=408, path="/contacts/c1/tasks"), Fault(status=429, path="/contacts",
                                                                  retry_after=0.01))
    await crm(assist(tenant, "handoff", "Lead asked to talk to a person."))
    seen = ghl.contact(tenant, "c1")
    assert len(seen.tasks) == 1
    statuses = [r.status for r in ghl.requests if r.path == "/contacts/c1/tasks"]
    assert statuses[-1] == 201 and len(statuses) >= 2


@pytest.mark.parametrize("fault", [Fault(status=502, after=True, path="/contacts/c1/tasks"),
                                   Fault(reset=True, after=True, path="/contacts/c1/tasks")],
                         ids=["502-that-made-it", "reset-after-making-it"])
async def test_a_task_in_doubt_is_never_made_twice(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient, fault: Fault
) -> None:
    tenant, crm = await setup(db, ghl, http)
    ghl.inject(fault)
    handoff = assist(tenant, "handoff", "Lead asked to talk to a person.")
    await crm(handoff)  # in doubt: the claim stays 'sending', nothing raised, not repeated
    await crm(handoff)  # a redelivery finds the claim in doubt
    assert len(ghl.contact(tenant, "c1").tasks) == 1  # GHL made it; we never made it again
    assert len([r for r in ghl.requests if r.path == "/contacts/c1/tasks"]) == 1
    async with db.transaction(tenant) as conn:
        assert await conn.fetchval("SELECT status FROM crm_writes WHERE kind = 'task'") \
            == "sending"


async def test_an_idempotent_write_in_doubt_is_made_again(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    tenant, crm = await setup(db, ghl, http)
    ghl.inject(Fault(status=504, after=True, path="/contacts/c1/tags"))
    await crm(profile(tenant, "warm"))
    assert ghl.contact(tenant, "c1").tags == ["warm-lead"]
    tag_calls = [(r.method, r.status) for r in ghl.requests if r.path == "/contacts/c1/tags"]
    assert tag_calls[0][1] == 504 and tag_calls[-1][1] in (200, 201)


async def test_ghl_rejects_unknown_fields_and_a_note_it_does_not_have(
    ghl: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    ghl.add_token("tok", "loc1")
    headers = {"Authorization": "Bearer tok", "Version": "2021-07-28"}
    bad = await http.post(f"{ghl.base_url}/contacts/c1/tasks", headers=headers,
                          json={"title": "x", "dueDate": "2026-12-03T15:00:00Z", "foo": 1})
    assert bad.status_code == 422 and "foo" in bad.text
    missing = await http.put(f"{ghl.base_url}/contacts/c1/notes/nope", headers=headers,
                             json={"body": "x"})
    assert missing.status_code == 404
    old = await http.post(f"{ghl.base_url}/contacts/c1/tags",
                          headers={**headers, "Version": "2021-04-15"}, json={"tags": ["a"]})
    assert old.status_code == 400


async def test_a_note_an_agent_deleted_is_created_again(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    tenant, crm = await setup(db, ghl, http)
    await crm(assist(tenant, "coaching", "first"))
    seen = ghl.contact(tenant, "c1")
    seen.notes.clear()  # an agent deleted it in GHL
    await crm(assist(tenant, "coaching", "second"))
    assert len(seen.notes) == 1 and "second" in next(iter(seen.notes.values()))["body"]
