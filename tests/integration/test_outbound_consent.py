"""Consent is decided again immediately before every send (issue #14, defect 1).

A reply held for quiet hours, retried, replayed from the DLQ days later or delivered by a
lagging worker goes out only if the lead still may be texted at that moment: opt-out (the
profile's, the contact's, or a later message), DND, a human takeover, the draft's age.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools.fakes.ghl_api import FakeGHLAPI
from schemas import topics
from schemas.envelope import utcnow
from schemas.events import ContactChanged, ContactSnapshot, MessageIngested, ReplyDrafted
from tests.conftest import new_tenant
from tests.support.kafka import body, keyed, publish_events, read_until
from tests.support.zones import midday_zone, zone_at
from workers.consent_ledger import ALL, Kind, Source
from workers.consent_ledger import store as ledger
from workers.consent_ledger.addresses import hasher_for
from workers.consent_ledger.entries import manual
from workers.db.tenant import TenantDatabase
from workers.memory import store as memory
from workers.outbound.config import OutboundConfig
from workers.outbound.worker import SPEC, build
from workers.runtime.host import WorkerHost
from workers.settings import Settings

pytestmark = pytest.mark.integration
Conn = Any


@pytest.fixture
async def ghl() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI() as fake:
        yield fake


@asynccontextmanager
async def outbound(settings: Settings, ghl: FakeGHLAPI,
                   tokens: dict[str, str]) -> AsyncIterator[None]:
    cfg = OutboundConfig(base_url=ghl.base_url, tokens=tokens, backoff_s=0.05,
                         scheduler_interval_s=0.2)
    host = WorkerHost(replace(SPEC, build=partial(build, config=cfg)), settings)
    await host.start()
    try:
        yield
    finally:
        await host.stop()


async def lead(db: TenantDatabase, ghl: FakeGHLAPI, zone: str) -> tuple[str, dict[str, str]]:
    """A tenant with one lead, `c1`, living in `zone`, who wrote message `m1`."""
    tenant = new_tenant()
    ghl.add_token(f"tok-{tenant}", tenant)
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await conn.execute("INSERT INTO contacts (tenant_id, contact_id, timezone) "
                           "VALUES ($1, 'c1', $2)", tenant, zone)
        await say(conn, tenant, "m1", "Looking for a 3 bed in Austin", utcnow())
    return tenant, {tenant: f"tok-{tenant}"}


async def say(conn: Conn, tenant: str, message: str, text: str, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO messages (tenant_id, event_id, message_id, contact_id, direction,
           channel, sender, body, occurred_at) VALUES ($1, $2, $2, 'c1', 'inbound', 'sms',
           'lead', $3, $4)""", tenant, message, text, at)


def draft(tenant: str, text: str, *, send_after: datetime | None = None,
          at: datetime | None = None) -> ReplyDrafted:
    at = at or utcnow()
    return ReplyDrafted(
        event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id="c1", occurred_at=at,
        received_at=at, idempotency_key="m1", reply_to_message_id="m1", channel="sms",
        body=text, mode="buyer", send_after=send_after)


async def row(db: TenantDatabase, tenant: str) -> dict[str, Any]:
    async with db.transaction(tenant) as conn:
        found = await conn.fetchrow("SELECT * FROM replies WHERE idempotency_key = 'm1'")
    return dict(found) if found is not None else {}


async def until_status(db: TenantDatabase, tenant: str, *status: str,
                       timeout_s: float = 20) -> dict[str, Any]:
    end = asyncio.get_running_loop().time() + timeout_s
    while True:
        got = await row(db, tenant)
        if got.get("status") in status:
            return got
        assert asyncio.get_running_loop().time() < end, f"reply stayed {got.get('status')}"
        await asyncio.sleep(0.1)


Change = Callable[[Conn, str], Awaitable[None]]


async def recorded_opt_out(conn: Conn, tenant: str) -> None:
    """An operator records the lead's opt-out (by phone, say) in the ledger."""
    await ledger.append(conn, tenant, "c1", [manual(
        kind=Kind.OPTED_OUT, channel=ALL, source=Source.OPERATOR, who="ops", at=utcnow())])


async def contact_flags(conn: Conn, tenant: str) -> None:
    """GHL's SMS DND, as memory applies a ContactDndUpdate."""
    ev = ContactChanged(event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id="c1",
                        occurred_at=utcnow(), received_at=utcnow(), change="dnd",
                        contact=ContactSnapshot(dnd_channels={"sms": "active"}),
                        changed_at=utcnow())
    await memory.upsert_contact(conn, ev, hasher_for(None))


async def takeover(conn: Conn, tenant: str) -> None:
    await conn.execute("UPDATE contacts SET human_takeover = true")


async def stop_in_own_words(conn: Conn, tenant: str) -> None:
    """Stored by the memory worker (which records it in the ledger), not yet learned."""
    await memory.record_message(conn, MessageIngested(
        event_id="e-m2", tenant_id=tenant, contact_id="c1", occurred_at=utcnow(),
        received_at=utcnow(), direction="inbound", channel="sms", sender="lead",
        body="ya no me escriban por favor", message_id="m2"))


@pytest.mark.parametrize(("change", "reason"), [
    (recorded_opt_out, "opted_out"),
    (contact_flags, "dnd"),
    (takeover, "human_takeover"),
    (stop_in_own_words, "opted_out"),
])
async def test_a_held_reply_is_not_sent_once_consent_is_gone(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase,
    change: Change, reason: str,
) -> None:
    tenant, tokens = await lead(db, ghl, midday_zone())
    due = utcnow() + timedelta(seconds=1.5)
    async with outbound(make_settings(), ghl, tokens):
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft(tenant, "Hi!", send_after=due)])
        await until_status(db, tenant, "held")
        async with db.transaction(tenant) as conn:
            await change(conn, tenant)
        blocked = await until_status(db, tenant, "suppressed", "sent")
        await asyncio.sleep(0.5)  # any (wrong) send would have happened by now
    assert ghl.delivered == []
    assert (blocked["status"], blocked["suppressed_reason"]) == ("suppressed", reason)
    assert blocked["blocked_at"] is not None


async def test_a_reply_replayed_days_later_is_stale_and_goes_to_the_agent(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase,
) -> None:
    """Dead-lettered after GHL 503s, replayed three days later: not sent, the agent gets the
    draft as a suggestion (once, however often it is redelivered)."""
    tenant, tokens = await lead(db, ghl, midday_zone())
    async with db.transaction(tenant) as conn:  # the lead wrote three days ago
        await conn.execute("UPDATE messages SET occurred_at = $1", utcnow() - timedelta(days=3))
    old = draft(tenant, "Still want to see the Elm St house?",
                at=utcnow() - timedelta(days=3))
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [old, old])
    async with outbound(make_settings(), ghl, tokens):
        notes = await read_until(kafka, topics.AGENT_ASSIST, lambda s: len(s) >= 2,
                                 where=keyed({tenant}), settle_s=0.5)
    got = await row(db, tenant)
    assert (got["status"], got["suppressed_reason"]) == ("suppressed", "stale")
    assert ghl.delivered == []
    events = [body(n) for n in notes]
    assert {e["event_id"] for e in events} == {events[0]["event_id"]}  # the same notice
    assert events[0]["reason"] == "reply_stale" and old.body in events[0]["note"]


async def test_a_reply_due_at_night_is_held_at_send_time(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase,
) -> None:
    """Drafted without a hold (a lagging responder, a replay): the send-time check holds it
    until 09:00 in the lead's zone (nothing tells its state: the stricter 9:00 start)."""
    tenant, tokens = await lead(db, ghl, zone_at(0, 6))
    async with outbound(make_settings(), ghl, tokens):
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft(tenant, "Hi!")])
        held = await until_status(db, tenant, "held", "sent")
    assert ghl.delivered == [] and held["status"] == "held"
    async with db.transaction(tenant) as conn:
        zone = await conn.fetchval("SELECT timezone FROM contacts")
    opens = held["send_after"].astimezone(ZoneInfo(zone))
    assert held["send_after"] > utcnow() and (opens.hour, opens.minute) == (9, 0)


async def test_a_later_message_supersedes_a_held_reply(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase,
) -> None:
    """Two quick messages, both replies held: only the reply to the latest goes out."""
    tenant, tokens = await lead(db, ghl, midday_zone())
    async with db.transaction(tenant) as conn:
        await say(conn, tenant, "m2", "also a pool would be great", utcnow())
    due = utcnow() + timedelta(seconds=1)
    async with outbound(make_settings(), ghl, tokens):
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft(tenant, "Hi!", send_after=due)])
        got = await until_status(db, tenant, "suppressed", "sent")
    assert (got["status"], got["suppressed_reason"]) == ("suppressed", "superseded")
    assert ghl.delivered == []


async def test_staleness_counts_from_the_lead_s_message(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase,
) -> None:
    """Drafted just now, but for a message the lead wrote over an hour ago (a backlog): too
    late to answer as if in conversation."""
    tenant, tokens = await lead(db, ghl, midday_zone())
    async with db.transaction(tenant) as conn:
        await conn.execute("UPDATE messages SET occurred_at = $1",
                           utcnow() - timedelta(minutes=61))
    async with outbound(make_settings(), ghl, tokens):
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft(tenant, "Hi!")])
        got = await until_status(db, tenant, "suppressed", "sent")
    assert (got["status"], got["suppressed_reason"]) == ("suppressed", "stale")
    assert ghl.delivered == []


async def test_a_message_still_in_flight_holds_back_the_reply(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase,
) -> None:
    """Ingestion accepted a newer message of the lead's (a STOP, perhaps) that memory has not
    stored yet: the reply to the older one does not go out. Once memory stored it, the mark
    no longer counts (a reply to the newer message is not held back by it)."""
    tenant, tokens = await lead(db, ghl, midday_zone())
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO inbound_marks (tenant_id, contact_id, event_id, "
                           "message_id, occurred_at) VALUES ($1, 'c1', 'e-m2', 'm2', $2)",
                           tenant, utcnow() + timedelta(seconds=1))
    async with outbound(make_settings(), ghl, tokens):
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft(tenant, "Hi!")])
        got = await until_status(db, tenant, "suppressed", "sent")
    assert (got["status"], got["suppressed_reason"]) == ("suppressed", "in_flight")
    assert ghl.delivered == []


async def test_a_held_text_of_our_own_is_not_sent_once_the_lead_asked_us_to_wait(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase,
) -> None:
    """A follow-up drafted and held, then the lead's pause recorded (from words the ledger
    read): the send-time claim blocks it (paused), as it would an opt-out."""
    tenant, tokens = await lead(db, ghl, midday_zone())
    due = utcnow() + timedelta(seconds=1.5)
    follow_up = draft(tenant, "Hi! Still looking?", send_after=due).model_copy(
        update={"reply_to_message_id": None, "mode": "follow_up"})
    async with outbound(make_settings(), ghl, tokens):
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [follow_up])
        await until_status(db, tenant, "held")
        async with db.transaction(tenant) as conn:
            await memory.record_words(conn, tenant, "c1", "m0",
                                      "pls don't text me until next month", "sms", utcnow())
        blocked = await until_status(db, tenant, "suppressed", "sent")
        await asyncio.sleep(0.5)
    assert ghl.delivered == []
    assert (blocked["status"], blocked["suppressed_reason"]) == ("suppressed", "paused")
