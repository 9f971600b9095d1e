"""CRM write-back against real Postgres and the fake GHL API (strict as GHL): what an agent
sees on the contact after hand-offs, coaching and score changes; at most once per intent,
through redeliveries and a crash between the call and its commit."""

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
from workers.crm import store
from workers.crm.client import ContactsClient
from workers.crm.writer import CrmHandler
from workers.db.tenant import TenantDatabase
from workers.outbound.ghl_client import GHLClient
from workers.outbound.ratelimit import LocationLimiter
from workers.outbound.sender import Sender
from workers.outbound.tokens import StaticTokenProvider
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
                           "assigned_to, opted_out) VALUES ($1, 'c1', 'Ana', 'user-ana', $2)",
                           tenant, opted_out)
        await conn.execute("INSERT INTO lead_profiles (tenant_id, contact_id, summary, score, "
                           "score_reasons, next_questions) VALUES ($1, 'c1', 'Buyer, 3 beds "
                           "in Austin', 'hot', $2, $3)", tenant, ["pre-approved"],
                           ["What is your timeline?"])
    # One sender for messages and CRM calls, as the outbound worker wires it.
    sender = Sender(GHLClient(http, ghl.base_url),
                    StaticTokenProvider({tenant: f"tok-{tenant}"}), LocationLimiter(100, 10),
                    backoff_s=0.01, max_attempts=3)
    return tenant, CrmHandler(db, sender, ContactsClient(http, ghl.base_url), interval)


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
    calls = [(r.method, r.path.split("/")[3] if r.path.count("/") > 2 else "contact")
             for r in ghl.requests if r.path.startswith("/contacts/")]
    assert calls == [
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
    assert seen.tags == ["cold-lead"]
    assert "OPTED OUT" in next(iter(seen.notes.values()))["body"]


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
    ghl.inject(Fault(status=503, path="/contacts/c1/tasks"), Fault(status=429, path="/contacts",
                                                                  retry_after=0.01))
    await crm(assist(tenant, "handoff", "Lead asked to talk to a person."))
    seen = ghl.contact(tenant, "c1")
    assert len(seen.tasks) == 1
    statuses = [r.status for r in ghl.requests if r.path == "/contacts/c1/tasks"]
    assert statuses[-1] == 201 and len(statuses) >= 2


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


def test_the_tenant_configures_its_write_backs() -> None:
    from workers.cli.errors import CliError
    from workers.cli.tenant_cmds import crm_switches, custom_fields, score_tags

    assert crm_switches("tasks=off, fields=on") == {"crm_tasks": False, "crm_fields": True}
    assert custom_fields('{"budget_max": "fld1", "timeline": " fld2 "}') == {
        "budget_max": "fld1", "timeline": "fld2"}
    assert score_tags('{"hot": "A", "warm": "B", "cold": "C"}')["hot"] == "A"
    for bad in (lambda: crm_switches("task=on"), lambda: crm_switches("tags=maybe"),
                lambda: custom_fields('{"shoe_size": "f"}'), lambda: custom_fields("[1]"),
                lambda: score_tags('{"hot": "A", "warm": "A", "cold": "C"}')):
        with pytest.raises(CliError):
            bad()


async def test_a_note_an_agent_deleted_is_created_again(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    tenant, crm = await setup(db, ghl, http)
    await crm(assist(tenant, "coaching", "first"))
    seen = ghl.contact(tenant, "c1")
    seen.notes.clear()  # an agent deleted it in GHL
    await crm(assist(tenant, "coaching", "second"))
    assert len(seen.notes) == 1 and "second" in next(iter(seen.notes.values()))["body"]
