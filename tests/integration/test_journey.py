"""A lead's whole journey through the pipeline (issue #26): memory, learning, responder and
outbound workers on the real broker, Postgres and Redis, the strict fake GHL, a cadence of
seconds (`PT…S`) on the real clock.

A new contact from a listed source is texted first; it stays silent and is followed up; it
answers (the follow-ups stop: its message cancelled the open one) asking to see a home; it
is offered free slots, picks one in words, and the appointment is booked on the calendar,
confirmed, and no follow-up is left.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from devtools.fakes.ghl_api import FakeGHLAPI
from schemas import topics
from schemas.envelope import utcnow
from schemas.events import ContactChanged, ContactSnapshot, MessageIngested
from tests.conftest import new_tenant
from tests.support.kafka import publish_events
from tests.support.workers import eventually, running
from tests.support.zones import midday_zone
from workers.db.tenant import TenantDatabase
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.tenants import validate

pytestmark = pytest.mark.integration
PHONE = "+447700900123"


def event(tenant: str, cls: type[BaseModel], **fields: Any) -> BaseModel:
    now = utcnow()
    return cls(event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id="c1",
               occurred_at=now, received_at=now, **fields)


async def test_first_touch_silence_follow_up_reply_and_a_booked_showing(
        db: TenantDatabase, make_settings: Callable[..., Settings], kafka: str) -> None:
    tenant, zone = new_tenant(), midday_zone()
    async with FakeGHLAPI() as ghl:
        ghl.add_token(f"tok-{tenant}", tenant)
        day = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        slots = [day + timedelta(days=2, hours=h) for h in (0, 3)] + [day + timedelta(days=3)]
        ghl.set_calendar("cal-1", tenant, slots)
        async with db.transaction(tenant) as conn:
            await conn.execute("INSERT INTO tenants (id, name, ai_enabled) VALUES "
                               "($1, 'Acme Realty', true)", tenant)
            await tenants.update(conn, tenant, {
                **validate.first_touch_sources("Website Form"),
                **validate.follow_ups("PT4S,PT600S"), **validate.calendar("cal-1")})
        settings = make_settings(timer_interval_s=0.1, ghl_base_url=ghl.base_url,
                                 ghl_tokens={tenant: SecretStr(f"tok-{tenant}")},
                                 outbound_scheduler_interval_s=0.2)

        def texts() -> list[str]:
            return [m.message for m in ghl.delivered if m.location_id == tenant]

        async with running(settings, "memory", "learning", "responder", "outbound"):
            await publish_events(kafka, topics.CONVERSATION_EVENTS, [event(
                tenant, ContactChanged, change="create", contact=ContactSnapshot(
                    first_name="Ana", phone=PHONE, timezone=zone, source="Website Form"))])
            await eventually(lambda: len(texts()) >= 1, timeout_s=60)
            assert texts()[0].startswith("Hi Ana, this is Acme Realty.")
            await eventually(lambda: len(texts()) >= 2, timeout_s=60)  # silence: followed up
            assert texts()[1].startswith("Hi Ana")
            await publish_events(kafka, topics.CONVERSATION_EVENTS, [event(
                tenant, MessageIngested, direction="inbound", channel="sms", sender="lead",
                body="Yes! Can I see the house this weekend?", message_id="m-1")])
            await eventually(lambda: len(texts()) >= 3, timeout_s=60)
            assert texts()[2].startswith("I can set that up — would")  # the offer
            await publish_events(kafka, topics.CONVERSATION_EVENTS, [event(
                tenant, MessageIngested, direction="inbound", channel="sms", sender="lead",
                body="the second one works", message_id="m-2")])
            await eventually(lambda: ghl.appointments_of(tenant, "c1"), timeout_s=60)
            await eventually(lambda: len(texts()) >= 4, timeout_s=60)
            assert texts()[3].startswith("You're booked for a showing on")
            async with db.transaction(tenant) as conn:
                await eventually(lambda: conn.fetchval(  # the confirmation reached memory
                    "SELECT count(*) = 4 FROM messages WHERE tenant_id = $1 AND "
                    "sender = 'ai'", tenant))
                timers = await conn.fetch(
                    "SELECT kind, state, reason FROM timers WHERE tenant_id = $1 "
                    "ORDER BY created_at", tenant)
        [appt] = ghl.appointments_of(tenant, "c1")
        assert datetime.fromisoformat(appt["startTime"]) == slots[1]
        states = [(t["kind"], t["state"]) for t in timers]
        assert states[0] == ("first_touch", "done")
        assert ("follow_up", "done") in states  # the one that was sent
        assert not [s for s in states if s[1] in ("pending", "firing")]  # nothing left
        assert len(texts()) == 4  # and nothing else was texted
