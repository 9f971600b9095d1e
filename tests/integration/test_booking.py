"""Booking (issue #26 item 4) over the real Postgres and Redis and the strict fake GHL: the
responder's handler, fed the lead's messages through the memory handler, offers free slots
when the lead asks to see a home, books the one the lead chooses in words (English or
Spanish), confirms it, ends the follow-ups; a slot taken meanwhile gets the next ones; a
crash between GHL's booking and our commit, or a lost answer, never books twice.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio as aioredis
from pydantic import BaseModel

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import FakeGHLAPI
from schemas import topics
from schemas.events import ContactChanged, ContactSnapshot, MessageIngested, ProfileUpdated
from tests.conftest import new_tenant
from workers.consent_ledger.addresses import hasher_for
from workers.db.tenant import TenantDatabase
from workers.ghl.calendars import BOOK_PATH, CalendarsClient
from workers.ghl.client import GHLClient
from workers.ghl.ratelimit import LocationLimiter
from workers.ghl.sender import Sender
from workers.ghl.tokens import StaticTokenProvider
from workers.memory.context import ContextStore
from workers.memory.worker import MemoryHandler, PostgresMemory
from workers.responder.booking import Booker, GhlCalendar
from workers.responder.compose import Composer
from workers.responder.worker import PostgresResponder, ResponderHandler
from workers.runtime.clients import open_claude
from workers.runtime.ports import Bound
from workers.runtime.record import Record
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.timers import store as timers

pytestmark = pytest.mark.integration
TZ = "America/Chicago"
PHONE = "+447700900123"


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        self.events.append(event.model_dump(mode="json"))


def saturday_slots() -> list[datetime]:
    """Next week's Saturday 10:00 and 14:00 and Sunday 11:00 in Chicago (never tonight)."""
    local = datetime.now(ZoneInfo(TZ)) + timedelta(days=2)
    sat = (local + timedelta(days=(5 - local.weekday()) % 7)).date()
    at = [(sat, 10), (sat, 14), (sat + timedelta(days=1), 11)]
    return [datetime(d.year, d.month, d.day, h, tzinfo=ZoneInfo(TZ)).astimezone(UTC)
            for d, h in at]


class Lead:
    def __init__(self, db: TenantDatabase, ghl: FakeGHLAPI, memory: MemoryHandler,
                 responder: ResponderHandler, booker: Booker, tenant: str) -> None:
        self.db, self.ghl, self.memory, self.responder = db, ghl, memory, responder
        self.booker, self.tenant, self.contact = booker, tenant, "c1"

    def _base(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {"event_id": str(uuid.uuid4()), "tenant_id": self.tenant,
                "contact_id": self.contact, "occurred_at": now, "received_at": now}

    async def feed(self, event: BaseModel) -> None:
        await self.memory(Record(topics.CONVERSATION_EVENTS, 0, 0,
                                 event.model_dump_json().encode()))

    async def says(self, text: str) -> ProfileUpdated:
        """The lead's message, stored by memory; the responder's event for it."""
        message = f"m-{uuid.uuid4().hex[:8]}"
        await self.feed(MessageIngested(**self._base(), direction="inbound", channel="sms",
                                        sender="lead", body=text, message_id=message))
        return ProfileUpdated(**self._base(), profile={"intent": "buy"}, message_id=message,
                              channel="sms", reply_needed=True)

    async def answered(self, event: ProfileUpdated) -> dict[str, Any]:
        await self.responder(Record(topics.LEAD_PROFILE_UPDATED, 0, 0,
                                    event.model_dump_json().encode()))
        async with self.db.transaction(self.tenant) as conn:
            row = await conn.fetchrow("SELECT body, mode, status FROM replies WHERE "
                                      "tenant_id = $1 AND idempotency_key = $2",
                                      self.tenant, event.message_id)
        assert row is not None
        return dict(row)

    async def offers(self) -> list[dict[str, Any]]:
        async with self.db.transaction(self.tenant) as conn:
            return [dict(r) for r in await conn.fetch(
                "SELECT offer_id, state, chosen_start, appointment_id FROM booking_offers "
                "WHERE tenant_id = $1 ORDER BY offered_at", self.tenant)]

    async def appointments(self) -> list[dict[str, Any]]:
        async with self.db.transaction(self.tenant) as conn:
            return [dict(r) for r in await conn.fetch(
                "SELECT appointment_id, start_time, status, booked_by FROM appointments "
                "WHERE tenant_id = $1", self.tenant)]


@pytest.fixture
async def ghl() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI() as fake:
        yield fake


@pytest.fixture
async def lead(db: TenantDatabase, redis: aioredis.Redis, ghl: FakeGHLAPI,
               make_settings: Callable[..., Settings]) -> AsyncIterator[Callable[..., Any]]:
    settings = make_settings()
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient())
        composer = Composer(open_claude(settings, stack), settings)

        async def make(calendar: str | None = "cal-1", follow_ups: tuple[int, ...] = ()
                       ) -> Lead:
            tenant = new_tenant()
            ghl.add_token(f"tok-{tenant}", tenant)
            ghl.set_calendar("cal-1", tenant, saturday_slots(), timezone=TZ)
            async with db.transaction(tenant) as conn:
                await conn.execute("INSERT INTO tenants (id, name, ai_enabled) VALUES "
                                   "($1, 'Acme Realty', true)", tenant)
                await tenants.update(conn, tenant, {"calendar_id": calendar,
                                                    "follow_ups": follow_ups})
            sender = Sender(GHLClient(http, ghl.base_url),
                            StaticTokenProvider({tenant: f"tok-{tenant}"}),
                            LocationLimiter(100, 10.0), backoff_s=0.01)
            booker = Booker(db, GhlCalendar(sender, CalendarsClient(http, ghl.base_url)))
            contexts = ContextStore.over(db, redis, 3600)
            memory = MemoryHandler(Bound(db, PostgresMemory), contexts, Recorder(),
                                   hasher_for(None))
            responder = ResponderHandler(Bound(db, PostgresResponder), contexts, Recorder(),
                                         composer, booker=booker)
            made = Lead(db, ghl, memory, responder, booker, tenant)
            await made.feed(ContactChanged(**made._base(), change="create",
                                           contact=ContactSnapshot(
                                               first_name="Ana", phone=PHONE, timezone=TZ,
                                               assigned_to="u-sam")))
            return made

        yield make


async def test_a_lead_asks_to_see_a_home_is_offered_slots_chooses_one_and_is_booked(
        lead: Callable[..., Any]) -> None:
    ana: Lead = await lead(follow_ups=(86400,))
    offer = await ana.answered(await ana.says("Can I see the house on Oak St this weekend?"))
    assert offer["mode"] == "booking_offer" and offer["status"] == "drafted"
    assert "Sat" in offer["body"] and "10 AM" in offer["body"] and "2 PM" in offer["body"]
    [o] = await ana.offers()
    assert o["state"] == "offered"
    choice = await ana.says("the second one works for us")
    confirmed = await ana.answered(choice)
    assert confirmed["mode"] == "booking_confirmed"
    assert confirmed["body"].startswith("You're booked for a showing on Sat")
    assert "2 PM" in confirmed["body"]
    [appt] = ana.ghl.appointments_of(ana.tenant, "c1")
    assert appt["assignedUserId"] == "u-sam" and appt["calendarId"] == "cal-1"
    assert datetime.fromisoformat(appt["startTime"]) == saturday_slots()[1]
    [stored] = await ana.appointments()
    assert stored["booked_by"] == "assistant" and stored["status"] == "confirmed"
    assert stored["start_time"] == saturday_slots()[1]
    assert [x["state"] for x in await ana.offers()] == ["booked"]
    # the same choice redelivered: nothing booked again
    await ana.answered(choice)
    assert len(ana.ghl.appointments_of(ana.tenant, "c1")) == 1


async def test_a_spanish_choice_books_the_slot_it_names(lead: Callable[..., Any]) -> None:
    ana: Lead = await lead()
    offer = await ana.answered(await ana.says("Hola, ¿podemos visitar la casa el sábado?"))
    assert offer["mode"] == "booking_offer" and "sábado" in offer["body"]
    confirmed = await ana.answered(await ana.says("el sábado a las 10 está perfecto"))
    assert confirmed["mode"] == "booking_confirmed" and confirmed["body"].startswith("¡Listo!")
    [appt] = ana.ghl.appointments_of(ana.tenant, "c1")
    assert datetime.fromisoformat(appt["startTime"]) == saturday_slots()[0]


async def test_a_slot_taken_meanwhile_gets_the_next_ones_offered(
        lead: Callable[..., Any]) -> None:
    ana: Lead = await lead()
    await ana.answered(await ana.says("I'd like to schedule a showing"))
    first = saturday_slots()[0]
    async with httpx.AsyncClient(base_url=ana.ghl.base_url) as other:  # someone else books
        taken = await other.post(BOOK_PATH, headers={
            "Authorization": f"Bearer tok-{ana.tenant}", "Version": "2021-04-15"},
            json={"calendarId": "cal-1", "locationId": ana.tenant, "contactId": "c9",
                  "startTime": first.isoformat()})
        assert taken.status_code == 200, taken.text
    again = await ana.answered(await ana.says("The first one please"))
    assert again["mode"] == "booking_offer"
    assert again["body"].startswith("That time was just taken — would")
    states = [x["state"] for x in await ana.offers()]
    assert states == ["taken", "offered"]
    assert ana.ghl.appointments_of(ana.tenant, "c1") == []


@pytest.mark.parametrize("fault", [Fault(status=500, after=True, path=BOOK_PATH),
                                   Fault(reset=True, after=True, path=BOOK_PATH)],
                         ids=["500-after-booking", "reset-after-booking"])
async def test_a_lost_answer_is_found_on_the_contact_not_booked_again(
        lead: Callable[..., Any], fault: Fault) -> None:
    ana: Lead = await lead()
    await ana.answered(await ana.says("can we tour it?"))
    ana.ghl.inject(fault)
    confirmed = await ana.answered(await ana.says("Sunday works"))
    assert confirmed["mode"] == "booking_confirmed"
    assert len(ana.ghl.appointments_of(ana.tenant, "c1")) == 1
    assert [x["state"] for x in await ana.offers()] == ["booked"]


async def test_a_crash_between_the_booking_and_its_commit_never_books_twice(
        lead: Callable[..., Any]) -> None:
    ana: Lead = await lead()
    await ana.answered(await ana.says("When could I view the house?"))
    choice = await ana.says("2nd one")
    booked = ana.booker._booked

    async def crash(*args: Any) -> Any:
        raise ConnectionResetError("the responder died after GHL booked")

    ana.booker._booked = crash  # type: ignore[method-assign,assignment]
    with pytest.raises(ConnectionResetError):
        await ana.answered(choice)
    assert len(ana.ghl.appointments_of(ana.tenant, "c1")) == 1
    assert [x["state"] for x in await ana.offers()] == ["booking"]
    ana.booker._booked = booked  # type: ignore[method-assign]
    confirmed = await ana.answered(choice)  # the record redelivered after the restart
    assert confirmed["mode"] == "booking_confirmed"
    assert len(ana.ghl.appointments_of(ana.tenant, "c1")) == 1


async def test_booking_ends_the_follow_ups_and_without_a_calendar_nothing_is_offered(
        db: TenantDatabase, lead: Callable[..., Any]) -> None:
    ana: Lead = await lead(follow_ups=(3600,))
    await ana.answered(await ana.says("can I see it saturday?"))
    async with db.transaction(ana.tenant) as conn:  # a follow-up was due for the offer
        await timers.schedule_follow_up(conn, ana.tenant, "c1", "reply-x", 0, 1,
                                        datetime.now(UTC) + timedelta(hours=1), None)
    await ana.answered(await ana.says("first one"))
    async with db.transaction(ana.tenant) as conn:
        assert await timers.open_timers(conn, ana.tenant, "c1") == []
    bob: Lead = await lead(calendar=None)
    reply = await bob.answered(await bob.says("Can I see the house on Oak St this weekend?"))
    assert not reply["mode"].startswith("booking")
    assert await bob.offers() == []
