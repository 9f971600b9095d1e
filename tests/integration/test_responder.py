"""The responder against the real broker, Postgres, Redis and the fake Messages API.

Leads are seeded directly in Postgres as the workers' role; each contact's time zone is
chosen so that its local time is midday (or night, for the quiet-hours test) whenever the
suite runs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from devtools.fakes.faults import Fault
from devtools.fakes.messages_api import FakeMessagesAPI
from schemas import topics
from schemas.events import ProfileUpdated
from tests.conftest import new_tenant
from tests.support.events import BASE
from tests.support.kafka import body, keyed, publish_events, read_until
from tests.support.workers import eventually, running
from workers.consent_ledger import ALL, Entry, Kind, Source
from workers.consent_ledger import store as ledger
from workers.db.tenant import TenantDatabase
from workers.secrets import encrypt
from workers.settings import Settings

pytestmark = pytest.mark.integration
QUESTION = "When are you hoping to move?"


class ResponderSettings(Settings):
    """The Claude settings the responder reads with getattr until Settings has them."""

    claude_max_attempts: int = 3
    claude_backoff_s: float = 0.05
    claude_backoff_max_s: float = 2.0
    claude_deadline_s: float = 20.0
    claude_breaker_failures: int = 5
    claude_breaker_reset_s: float = 300.0


@pytest.fixture
async def fake() -> AsyncIterator[FakeMessagesAPI]:
    async with FakeMessagesAPI() as server:
        yield server


@pytest.fixture
def settings(make_settings: Callable[..., Settings],
             fake: FakeMessagesAPI) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values = {"anthropic_api_key": SecretStr("sk-test"), "anthropic_base_url": fake.base_url,
                  "claude_model": "claude-sonnet-4-6", "claude_timeout_s": 5.0, **overrides}
        return ResponderSettings(**{**make_settings().model_dump(), **values})
    return make


def zone_at(local_hour: int) -> str:
    """An Etc/GMT zone whose local hour is `local_hour` now."""
    offset = (local_hour - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


async def seed(db: TenantDatabase, tenant: str, contact: str = "c1", *,
               profile: dict[str, Any] | None = None, tz: str | None = None,
               ai_enabled: bool = True, api_key_enc: bytes | None = None,
               **contact_fields: Any) -> None:
    # A UK number: no US area code's zone beside the one chosen for the hour.
    fields = {"first_name": "Ana", "phone": "+447700900100", "timezone": tz or zone_at(12),
              **contact_fields}
    async with db.transaction(tenant) as conn:
        await conn.execute(
            "INSERT INTO tenants (id, name, ai_enabled) VALUES ($1, 'Lone Star Realty', $2) "
            "ON CONFLICT DO NOTHING", tenant, ai_enabled)
        await conn.execute(
            "INSERT INTO tenant_settings (tenant_id, persona, instructions, claude_api_key_enc) "
            "VALUES ($1, 'Warm and concise.', 'Offer a free consultation.', $2) "
            "ON CONFLICT DO NOTHING", tenant, api_key_enc)
        cols = ", ".join(fields)
        vals = ", ".join(f"${i + 3}" for i in range(len(fields)))
        await conn.execute(f"INSERT INTO contacts (tenant_id, contact_id, {cols}) "
                           f"VALUES ($1, $2, {vals})", tenant, contact, *fields.values())
        await conn.execute(
            "INSERT INTO messages (tenant_id, event_id, message_id, contact_id, direction, "
            "channel, sender, body, occurred_at) VALUES ($1, $2, $3, $4, 'inbound', 'sms', "
            "'lead', 'Looking for 3 beds in Round Rock', $5)",
            tenant, str(uuid.uuid4()), f"m-{uuid.uuid4().hex[:8]}", contact, BASE)
        await conn.execute(
            "INSERT INTO lead_profiles (tenant_id, contact_id, profile, next_questions) "
            "VALUES ($1, $2, $3, $4)", tenant, contact, profile or {}, [QUESTION])


async def record(db: TenantDatabase, tenant: str, *entries: Entry,
                 contact: str = "c1") -> None:
    """Ledger entries as memory records them (the lead's words, GHL's DND)."""
    async with db.transaction(tenant) as conn:
        await ledger.append(conn, tenant, contact, entries)


def updated(tenant: str, message_id: str, contact: str = "c1", *, score: str = "warm",
            event_id: str | None = None, at: datetime = BASE, **profile: Any) -> ProfileUpdated:
    return ProfileUpdated(
        event_id=event_id or str(uuid.uuid4()), tenant_id=tenant, contact_id=contact,
        occurred_at=at, received_at=at, profile={"intent": "buy", **profile}, score=score,
        next_questions=[QUESTION], message_id=message_id, channel="sms", reply_needed=True,
    )


async def replies(db: TenantDatabase, tenant: str) -> list[dict[str, Any]]:
    async with db.transaction(tenant) as conn:
        rows = await conn.fetch("SELECT * FROM replies ORDER BY created_at")
    return [dict(r) for r in rows]


async def settled(db: TenantDatabase, tenant: str, n: int) -> list[dict[str, Any]]:
    """Wait until `n` inbound messages of the tenant were decided (replied or suppressed)."""
    await eventually(lambda: _count(db, tenant, n), timeout_s=40)
    return await replies(db, tenant)


async def _count(db: TenantDatabase, tenant: str, n: int) -> bool:
    return len(await replies(db, tenant)) >= n


async def outbound(kafka: str, tenant: str, n: int, topic: str = topics.REPLIES_OUTBOUND,
                   settle_s: float = 1.0) -> list[dict[str, Any]]:
    out = await read_until(kafka, topic, lambda s: len(s) >= n, where=keyed({tenant}),
                           settle_s=settle_s)
    return [body(r) for r in out]


async def test_one_reply_per_inbound_message_even_when_redelivered(
    settings: Callable[..., Settings], kafka: str, db: TenantDatabase, fake: FakeMessagesAPI
) -> None:
    tenant = new_tenant()
    await seed(db, tenant)
    first = updated(tenant, "m-1", bedrooms_min=3)
    again = updated(tenant, "m-1", bedrooms_min=3, event_id=str(uuid.uuid4()))
    second = updated(tenant, "m-2", bedrooms_min=3)
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED, [first, first, again, second])
    async with running(settings(), "responder"):
        rows = await settled(db, tenant, 2)
        out = await outbound(kafka, tenant, 4, settle_s=1.5)
    assert len(out) == 4 and out[0] == out[1] == out[2]  # re-published, never redrafted
    assert {o["idempotency_key"] for o in out} == {"m-1", "m-2"}
    assert len(fake.requests) == 2 and len(rows) == 2
    reply = out[0]
    assert reply["mode"] == "buyer_qualification" and reply["model"] == "claude-sonnet-4-6"
    assert reply["send_after"] is None and reply["body"].startswith("You said:")
    assert reply["input_tokens"] > 0 and reply["cache_write_tokens"] > 1000
    assert reply["cost_usd"] > 0 and reply["latency_ms"] > 0
    # The second turn reads the cached prefix written by the first.
    assert out[3]["cache_read_tokens"] == reply["cache_write_tokens"]
    row = rows[0]
    assert row["claude_outcome"] == "ok" and row["cache_write_tokens"] > 1000
    assert float(row["cost_usd"]) == pytest.approx(reply["cost_usd"], abs=1e-6)
    sent = fake.requests[0].body
    assert sent["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "Offer a free consultation." in sent["system"][0]["text"]


async def test_opted_out_gets_one_confirmation_and_dnd_gets_nothing(
    settings: Callable[..., Settings], kafka: str, db: TenantDatabase, fake: FakeMessagesAPI
) -> None:
    stop, dnd, late = new_tenant(), new_tenant(), new_tenant()
    await seed(db, stop, tz=zone_at(2))  # even at night: the confirmation is not held
    await seed(db, dnd, dnd_channels={"sms": "active"})
    await seed(db, late)
    now = datetime.now(UTC)
    # What memory recorded: m-0 was the lead's STOP (late's, 6 minutes ago); GHL's SMS DND.
    await record(db, stop, Entry("s", Kind.OPTED_OUT, ALL, Source.LEAD_MESSAGE, now, "m-0"))
    await record(db, late, Entry("s", Kind.OPTED_OUT, ALL, Source.LEAD_MESSAGE,
                                 now - timedelta(minutes=6), "m-0"))
    await record(db, dnd, Entry("d", Kind.DND_ON, "sms", Source.GHL, now, "w1"))
    events = [updated(stop, f"m-{i}", opted_out=True, at=now) for i in range(3)]
    # A STOP answered more than 5 minutes after it was written gets no confirmation.
    stale_stop = updated(late, "m-0", opted_out=True, at=now - timedelta(minutes=6))
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED,
                         [*events, updated(dnd, "m-0"), events[0], stale_stop])
    async with running(settings(), "responder"):
        stop_rows = await settled(db, stop, 3)
        dnd_rows = await settled(db, dnd, 1)
        late_rows = await settled(db, late, 1)
        out = await outbound(kafka, stop, 2, settle_s=1.5)
    assert late_rows[0]["suppressed_reason"] == "confirmation_late"
    assert [o["body"] for o in out] == [out[0]["body"]] * 2  # the confirmation, re-published
    assert out[0]["body"].startswith("You're unsubscribed") and out[0]["send_after"] is None
    assert [r["suppressed_reason"] for r in stop_rows] == [None, "opted_out", "opted_out"]
    assert dnd_rows[0]["suppressed_reason"] == "dnd" and dnd_rows[0]["status"] == "suppressed"
    assert fake.requests == []
    with pytest.raises(AssertionError, match="timed out"):
        await read_until(kafka, topics.REPLIES_OUTBOUND, lambda s: len(s) > 0,
                         where=keyed({dnd}), timeout_s=1.5)


async def test_human_takeover_ai_disabled_and_no_reply_needed_stay_silent(
    settings: Callable[..., Settings], kafka: str, db: TenantDatabase, fake: FakeMessagesAPI
) -> None:
    taken, off, quiet = new_tenant(), new_tenant(), new_tenant()
    await seed(db, taken, human_takeover=True)
    await seed(db, off, ai_enabled=False)
    await seed(db, quiet)
    not_needed = updated(quiet, "m-0").model_copy(update={"reply_needed": False})
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED,
                         [not_needed, updated(taken, "m-0", score="hot"), updated(off, "m-0")])
    async with running(settings(), "responder"):
        assert (await settled(db, taken, 1))[0]["suppressed_reason"] == "human_takeover"
        assert (await settled(db, off, 1))[0]["suppressed_reason"] == "ai_disabled"
        notes = await outbound(kafka, taken, 1, topics.AGENT_ASSIST)
    assert notes[0]["reason"] == "human_takeover" and "Next best action" in notes[0]["note"]
    assert await replies(db, quiet) == [] and fake.requests == []
    with pytest.raises(AssertionError, match="timed out"):
        await read_until(kafka, topics.REPLIES_OUTBOUND, lambda s: len(s) > 0,
                         where=keyed({taken, off, quiet}), timeout_s=1.5)


async def test_handoff_sends_a_holding_reply_and_tells_the_agent(
    settings: Callable[..., Settings], kafka: str, db: TenantDatabase, fake: FakeMessagesAPI
) -> None:
    tenant = new_tenant()
    await seed(db, tenant)
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED,
                         [updated(tenant, "m-0", wants_human=True)])
    async with running(settings(), "responder"):
        reply = (await outbound(kafka, tenant, 1))[0]
        note = (await outbound(kafka, tenant, 1, topics.AGENT_ASSIST))[0]
    assert reply["mode"] == "handoff" and reply["body"].startswith("Of course, Ana")
    assert note["reason"] == "handoff" and note["contact_id"] == "c1"
    assert fake.requests == []


async def test_overload_and_rate_limit_are_retried_then_usage_stored(
    settings: Callable[..., Settings], kafka: str, db: TenantDatabase, fake: FakeMessagesAPI
) -> None:
    tenant = new_tenant()
    await seed(db, tenant)
    fake.inject(Fault(status=529), Fault(status=429, retry_after=0.1))
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED, [updated(tenant, "m-0")])
    async with running(settings(), "responder"):
        row = (await settled(db, tenant, 1))[0]
        reply = (await outbound(kafka, tenant, 1))[0]
    assert [r.status for r in fake.requests] == [529, 429, 200]
    assert row["claude_outcome"] == "ok" and row["model"] == "claude-sonnet-4-6"
    assert row["input_tokens"] + row["cache_write_tokens"] > 1000 and row["output_tokens"] > 0
    assert row["latency_ms"] > 0 and float(row["cost_usd"]) > 0
    assert reply["body"] == row["body"] and reply["body"].startswith("You said:")


async def test_breaker_open_answers_with_the_deterministic_fallback(
    settings: Callable[..., Settings], kafka: str, db: TenantDatabase, fake: FakeMessagesAPI
) -> None:
    tenant = new_tenant()
    await seed(db, tenant)
    fake.inject(Fault(status=500, times=2))
    events = [updated(tenant, f"m-{i}") for i in range(3)]
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED, events)
    tuned = settings(claude_breaker_failures=1, claude_max_attempts=2)
    async with running(tuned, "responder"):
        rows = await settled(db, tenant, 3)
        out = await outbound(kafka, tenant, 3)
    assert len(fake.requests) == 2  # one failed call (two attempts), then the breaker is open
    assert [r["claude_outcome"] for r in rows] == ["retries_exhausted", "breaker_open",
                                                   "breaker_open"]
    assert {o["body"] for o in out} == {f"Thanks, Ana! {QUESTION}"}
    assert all(o["model"] is None and o["input_tokens"] == 0 for o in out)


async def test_no_key_configured_never_calls_claude(
    settings: Callable[..., Settings], kafka: str, db: TenantDatabase, fake: FakeMessagesAPI
) -> None:
    tenant = new_tenant()
    await seed(db, tenant)
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED, [updated(tenant, "m-0")])
    async with running(settings(anthropic_api_key=None), "responder"):
        row = (await settled(db, tenant, 1))[0]
        reply = (await outbound(kafka, tenant, 1))[0]
    assert fake.requests == [] and row["claude_outcome"] == "not_configured"
    assert reply["body"] == f"Thanks, Ana! {QUESTION}" and reply["model"] is None


async def test_tenant_key_recommendation_and_coaching_for_a_hot_lead(
    settings: Callable[..., Settings], kafka: str, db: TenantDatabase, fake: FakeMessagesAPI
) -> None:
    master = Fernet.generate_key().decode()
    tenant = new_tenant()
    await seed(db, tenant, api_key_enc=encrypt("sk-tenant-own", master))
    async with db.transaction(tenant) as conn:
        await conn.execute(
            "INSERT INTO listings (tenant_id, listing_id, address, area, price, bedrooms, "
            "property_type, features) VALUES ($1, 'L1', '12 Oak St', 'Round Rock', 435000, 3, "
            "'single_family', '{pool,garage}')", tenant)
    event = updated(tenant, "m-0", score="hot", budget_max=450_000, bedrooms_min=3,
                    locations=["Round Rock"], timeline="asap", financing="preapproved")
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED, [event])
    async with running(settings(master_key=SecretStr(master)), "responder"):
        reply = (await outbound(kafka, tenant, 1))[0]
        note = (await outbound(kafka, tenant, 1, topics.AGENT_ASSIST))[0]
    assert fake.requests[-1].headers["authorization"] == "Bearer sk-tenant-own"
    assert reply["mode"] == "recommendation"
    assert "$435,000" in fake.requests[-1].body["system"][1]["text"]
    assert note["reason"] == "coaching" and note["note"].startswith("HOT lead")


async def test_quiet_hours_hold_the_reply_until_the_window_opens(
    settings: Callable[..., Settings], kafka: str, db: TenantDatabase
) -> None:
    tenant, zone = new_tenant(), zone_at(2)
    await seed(db, tenant, tz=zone)
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED, [updated(tenant, "m-0")])
    async with running(settings(), "responder"):
        reply = (await outbound(kafka, tenant, 1))[0]
    held = datetime.fromisoformat(reply["send_after"]).astimezone(ZoneInfo(zone))
    # Nothing tells the lead's state (a UK number): the stricter 9:00 start of some states.
    assert (held.hour, held.minute) == (9, 0)
    assert timedelta(hours=6) < held - datetime.now(UTC) < timedelta(hours=8)


async def test_a_draft_the_reply_check_stops_goes_to_the_agent_not_the_lead(
    settings: Callable[..., Settings], kafka: str, db: TenantDatabase, fake: FakeMessagesAPI
) -> None:
    """Issue #19: Claude's draft is checked before it is claimed; a held one is recorded
    suppressed (`reply_check:<rule>`, draft and cost kept), handed to the agent, and a
    redelivery re-publishes the same note without calling Claude again."""
    tenant = new_tenant()
    await seed(db, tenant)
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO contacts (tenant_id, contact_id, first_name, last_name) "
                           "VALUES ($1, 'c2', 'Maria', 'Lopez')", tenant)
        await conn.execute("UPDATE tenant_settings SET allowed_link_domains = '{lonestar.com}', "
                           "own_phones = '{+1 512 555 0111}' WHERE tenant_id = $1", tenant)
    drafts = iter([
        "As agreed, we waive the commission. When are you hoping to move?",
        "Maria Lopez next door just sold! When are you hoping to move?",
        "See https://lonestar.com/homes or call 512-555-0111. When are you hoping to move?",
    ])
    fake.responder = lambda body: next(drafts)
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED,
                         [updated(tenant, f"m-{i}") for i in range(3)])
    async with running(settings(), "responder"):
        rows = await settled(db, tenant, 3)
        sent = await outbound(kafka, tenant, 1)
        notes = await outbound(kafka, tenant, 2, topics.AGENT_ASSIST)
        await publish_events(kafka, topics.LEAD_PROFILE_UPDATED, [updated(tenant, "m-0")])
        again = await outbound(kafka, tenant, 3, topics.AGENT_ASSIST)
    by_key = {r["idempotency_key"]: r for r in rows}
    assert [by_key[k]["suppressed_reason"] for k in ("m-0", "m-1", "m-2")] == [
        "reply_check:commitment", "reply_check:other_contact", None]
    held = by_key["m-0"]
    assert held["status"] == "suppressed" and held["body"].startswith("As agreed, we waive")
    assert held["claude_outcome"] == "ok" and float(held["cost_usd"]) > 0
    assert [s["idempotency_key"] for s in sent] == ["m-2"]
    assert sent[0]["body"].startswith("See https://lonestar.com/homes")
    assert [n["reason"] for n in notes] == ["reply_held", "reply_held"]
    assert "commitment" in notes[0]["note"] and "we waive the commission" in notes[0]["note"]
    assert "another contact" in notes[1]["note"] and "'Maria Lopez'" in notes[1]["note"]
    assert again[2] == notes[0] and len(fake.requests) == 3  # re-published, never redrafted
