"""The calendars client against the fake GHL API: free slots in the lead's timezone, booking,
a slot taken, GHL's refusals made clear, tokens bound to their location, a booking whose
answer is lost (in doubt, then found among the contact's appointments), and what each
answer means (a table)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import FakeGHLAPI
from tests.unit.outbound.conftest import ManualClock
from workers.ghl.calendars import (
    BOOK_PATH,
    CALENDARS_API_VERSION,
    BookingInDoubtError,
    CalendarsClient,
    SlotTakenError,
    classify_booking,
    epoch_ms,
    find_appointment,
)
from workers.ghl.client import (
    DeliveryInDoubtError,
    GHLClient,
    GHLUnavailableError,
    RateLimitedError,
    ReplyRejectedError,
    TokenRejectedError,
    request,
)
from workers.ghl.ratelimit import LocationLimiter
from workers.ghl.sender import Sender
from workers.ghl.tokens import StaticTokenProvider

LOC, OTHER = "loc-a", "loc-b"
CHICAGO = ZoneInfo("America/Chicago")
SLOTS = ["2026-03-14T15:00:00Z", "2026-03-14T15:30:00Z", "2026-03-14T16:00:00Z",
         "2026-03-15T15:00:00Z"]
TEN = datetime(2026, 3, 14, 10, tzinfo=CHICAGO)  # 15:00Z, as the lead reads it
FROM, TO = datetime(2026, 3, 14, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)


@pytest.fixture
async def server() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI(valid_tokens={"tok": LOC, "tok-b": OTHER}) as fake:
        fake.set_calendar("cal-1", LOC, SLOTS)
        fake.set_calendar("cal-b", OTHER, SLOTS)
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def calendars(server: FakeGHLAPI, http: httpx.AsyncClient) -> CalendarsClient:
    return CalendarsClient(http, server.base_url)


def make_sender(server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock) -> Sender:
    """The one sender every call to GHL goes through (its client sends messages; calendar
    calls go through `Sender.call`)."""
    return Sender(GHLClient(http, server.base_url), StaticTokenProvider({LOC: "tok"}),
                  LocationLimiter(100, 10.0, clock=clock, sleep=clock.sleep),
                  backoff_s=0.5, sleep=clock.sleep)


async def book(calendars: CalendarsClient, start: datetime = TEN, *, token: str = "tok",
               location_id: str = LOC, calendar_id: str = "cal-1",
               **extra: Any) -> dict[str, Any]:
    return await calendars.book(token, calendar_id=calendar_id, location_id=location_id,
                                contact_id="c1", start=start, **extra)


async def test_free_slots_in_the_leads_timezone(
    server: FakeGHLAPI, calendars: CalendarsClient
) -> None:
    answer = await calendars.free_slots("tok", "cal-1", FROM, TO, "America/Chicago")
    assert answer["2026-03-14"] == {"slots": ["2026-03-14T10:00:00-05:00",
                                              "2026-03-14T10:30:00-05:00",
                                              "2026-03-14T11:00:00-05:00"]}
    assert answer["2026-03-15"] == {"slots": ["2026-03-15T10:00:00-05:00"]}
    assert "traceId" in answer
    sent = server.requests[-1]
    assert sent.method == "GET" and sent.headers["version"] == CALENDARS_API_VERSION
    assert sent.body is None  # a read carries no body
    assert epoch_ms(FROM) == 1773446400000


async def test_a_booking_is_confirmed_in_the_slots_own_offset(
    server: FakeGHLAPI, calendars: CalendarsClient
) -> None:
    made = await book(calendars, title="Showing: 12 Elm St", assigned_user_id="agent-7")
    assert made["id"] and server.appointments == [made]
    assert server.requests[-1].body == {
        "calendarId": "cal-1", "locationId": LOC, "contactId": "c1",
        "startTime": "2026-03-14T10:00:00-05:00", "appointmentStatus": "confirmed",
        "title": "Showing: 12 Elm St", "assignedUserId": "agent-7"}
    assert made["endTime"] == "2026-03-14T10:30:00-05:00"  # the calendar's slot length
    with_end = await book(calendars, TEN + timedelta(minutes=60),
                          end=TEN + timedelta(minutes=90))
    assert with_end["endTime"] == "2026-03-14T11:30:00-05:00"


async def test_a_slot_taken_meanwhile_is_slot_taken(
    server: FakeGHLAPI, calendars: CalendarsClient
) -> None:
    await book(calendars)
    with pytest.raises(SlotTakenError, match="no longer available") as taken:
        await book(calendars, TEN.astimezone(UTC))  # the same instant, written otherwise
    assert isinstance(taken.value, ReplyRejectedError) and taken.value.status == 400
    assert len(server.appointments) == 1
    slots = await calendars.free_slots("tok", "cal-1", FROM, TO, "America/Chicago")
    assert "2026-03-14T10:00:00-05:00" not in slots["2026-03-14"]["slots"]  # offer the next


async def test_an_unknown_field_is_a_clear_refusal_not_a_taken_slot(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    body = {"calendarId": "cal-1", "locationId": LOC, "contactId": "c1",
            "startTime": "2026-03-14T10:00:00-05:00", "notes": "bring the keys"}
    answer = await request(http, "POST", server.base_url + BOOK_PATH, token="tok",
                           version=CALENDARS_API_VERSION, body=body, what="after booking",
                           effect="booked")
    assert answer.status_code == 422
    with pytest.raises(ReplyRejectedError, match="property notes should not exist") as err:
        classify_booking(answer, calendar_id="cal-1", contact_id="c1", start=TEN)
    assert not isinstance(err.value, SlotTakenError) and err.value.status == 422
    assert server.appointments == []


async def test_another_locations_calendar_is_refused(
    server: FakeGHLAPI, calendars: CalendarsClient
) -> None:
    with pytest.raises(ReplyRejectedError, match="403 The token does not have access") as err:
        await calendars.free_slots("tok", "cal-b", FROM, TO, "America/Chicago")
    assert err.value.status == 403
    with pytest.raises(ReplyRejectedError, match="403") as refused:
        await book(calendars, calendar_id="cal-b")
    assert not isinstance(refused.value, SlotTakenError)
    with pytest.raises(ReplyRejectedError, match="404 Calendar not found"):
        await book(calendars, calendar_id="cal-gone")
    assert server.appointments == []


async def test_a_token_of_another_location_is_refused(
    server: FakeGHLAPI, calendars: CalendarsClient
) -> None:
    with pytest.raises(ReplyRejectedError, match="403"):
        await book(calendars, token="tok-b")  # loc-b's token, loc-a's booking
    with pytest.raises(ReplyRejectedError, match="403"):
        await book(calendars, token="tok-b", location_id=OTHER)  # ... of loc-a's calendar
    with pytest.raises(TokenRejectedError):
        await book(calendars, token="nope")
    assert server.appointments == []
    assert await calendars.contact_appointments("tok-b", "c1") == []


@pytest.mark.parametrize("fault", [Fault(status=500, after=True, path=BOOK_PATH),
                                   Fault(status=502, after=True, path=BOOK_PATH),
                                   Fault(reset=True, after=True, path=BOOK_PATH)],
                         ids=["500-that-booked", "502-that-booked", "reset-after-booking"])
async def test_a_lost_answer_is_in_doubt_then_found_among_the_contacts_appointments(
    server: FakeGHLAPI, http: httpx.AsyncClient, calendars: CalendarsClient,
    clock: ManualClock, fault: Fault
) -> None:
    server.inject(fault)
    sender = make_sender(server, http, clock)
    with pytest.raises(BookingInDoubtError, match="may have been") as doubt:
        await sender.call(LOC, lambda token: book(calendars, token=token))
    assert isinstance(doubt.value, DeliveryInDoubtError)  # the sender never repeats it
    assert (doubt.value.calendar_id, doubt.value.contact_id, doubt.value.start) == (
        "cal-1", "c1", TEN)
    posts = [r for r in server.requests if r.path == BOOK_PATH]
    assert len(posts) == 1 and clock.sleeps == []

    events = await sender.call(
        LOC, lambda token: calendars.contact_appointments(token, "c1"), idempotent=True)
    found = find_appointment(events, calendar_id=doubt.value.calendar_id,
                             start=doubt.value.start)
    assert found is not None and found == server.appointments[0]  # booked once: no rebooking


async def test_a_booking_not_made_is_not_found(
    server: FakeGHLAPI, calendars: CalendarsClient
) -> None:
    server.inject(Fault(reset=True, path=BOOK_PATH))  # cut before GHL handled it
    with pytest.raises(BookingInDoubtError):
        await book(calendars)
    assert find_appointment(await calendars.contact_appointments("tok", "c1"),
                            calendar_id="cal-1", start=TEN) is None
    assert (await book(calendars))["startTime"] == "2026-03-14T10:00:00-05:00"


async def test_the_reads_are_asked_again_after_a_lost_answer(
    server: FakeGHLAPI, http: httpx.AsyncClient, calendars: CalendarsClient,
    clock: ManualClock
) -> None:
    server.inject(Fault(status=502, path="/calendars/cal-1"), Fault(reset=True, after=True))
    sender = make_sender(server, http, clock)
    answer = await sender.call(
        LOC, lambda token: calendars.free_slots(token, "cal-1", FROM, TO, "UTC"),
        idempotent=True)
    assert answer["2026-03-14"]["slots"][0] == "2026-03-14T15:00:00+00:00"
    assert [r.status for r in server.requests] == [502, None, 200]


@pytest.mark.parametrize(("call", "problem"), [
    (lambda c: c.free_slots("tok", "cal-1", FROM.replace(tzinfo=None), TO, "UTC"),
     "start must carry a timezone"),
    (lambda c: c.free_slots("tok", "cal-1", TO, FROM, "UTC"), "must come after the start"),
    (lambda c: c.free_slots("tok", "cal-1", FROM, FROM + timedelta(days=32), "UTC"),
     "more than 31 days"),
    (lambda c: c.free_slots("tok", "cal-1", FROM, TO, "Central"), "not an IANA timezone"),
    (lambda c: c.free_slots("tok", "../oauth", FROM, TO, "UTC"), "not a usable GHL id"),
    (lambda c: c.book("tok", calendar_id="cal-1", location_id=LOC, contact_id="c1",
                      start=datetime(2026, 3, 14, 10)), "start must carry a timezone"),
    (lambda c: c.book("tok", calendar_id="cal-1", location_id=LOC, contact_id="c1",
                      start=TEN, end=TEN), "must end after its start"),
    (lambda c: c.contact_appointments("tok", "c1/notes"), "not a usable GHL id"),
])
async def test_a_call_that_cannot_be_made_is_refused_before_it_leaves(
    server: FakeGHLAPI, calendars: CalendarsClient, call: Any, problem: str
) -> None:
    with pytest.raises(ReplyRejectedError, match=problem) as err:
        await call(calendars)
    assert err.value.status is None and server.requests == []


def answer(status: int, json: object = None, text: str | None = None) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers={"content-type": "text/html"})
    return httpx.Response(status, json=json)


TAKEN = "The slot you have selected is no longer available."


@pytest.mark.parametrize(("resp", "error"), [
    (answer(400, {"statusCode": 400, "message": TAKEN}), SlotTakenError),
    (answer(409, {"statusCode": 409, "message": "Slot is already booked"}), SlotTakenError),
    (answer(422, {"statusCode": 422, "message": ["slot not available"]}), SlotTakenError),
    (answer(400, {"statusCode": 400, "message": "calendarId is invalid"}), ReplyRejectedError),
    (answer(403, {"statusCode": 403, "message": TAKEN}), ReplyRejectedError),
    (answer(401, {"statusCode": 401, "message": "Invalid JWT"}), TokenRejectedError),
    (answer(429, {"statusCode": 429, "message": "Too many"}), RateLimitedError),
    (answer(408, text="<html>Request Timeout</html>"), GHLUnavailableError),
    (answer(500, {"statusCode": 500, "message": "Internal server error"}), BookingInDoubtError),
    (answer(504, text="<html>504 Gateway Time-out</html>"), BookingInDoubtError),
    (answer(200, {"calendarId": "cal-1"}), BookingInDoubtError),  # no id: find it
    (answer(200, text="<html>ok</html>"), BookingInDoubtError),
])
def test_what_a_bookings_answer_means(resp: httpx.Response, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        classify_booking(resp, calendar_id="cal-1", contact_id="c1", start=TEN)
    assert type(raised.value) is error  # not a subclass standing in for another


def test_an_appointment_with_its_id_is_the_answer() -> None:
    made = {"id": "ap-1", "calendarId": "cal-1", "startTime": "2026-03-14T10:00:00-05:00"}
    assert classify_booking(answer(200, made), calendar_id="cal-1", contact_id="c1",
                            start=TEN) == made


@pytest.mark.parametrize(("events", "found"), [
    ([{"id": "a", "calendarId": "cal-1", "startTime": "2026-03-14T15:00:00Z"}], "a"),
    ([{"id": "a", "calendarId": "cal-1", "startTime": "2026-03-14T16:00:00+01:00"}], "a"),
    ([{"id": "a", "calendarId": "cal-2", "startTime": "2026-03-14T10:00:00-05:00"}], None),
    ([{"id": "a", "calendarId": "cal-1", "startTime": "2026-03-14T10:30:00-05:00"}], None),
    ([{"id": "a", "calendarId": "cal-1", "startTime": "2026-03-14 10:00:00"}], None),
    ([{"id": "a", "calendarId": "cal-1", "startTime": "soon"}, {"id": "b"},
      {"id": "c", "calendarId": "cal-1", "startTime": "2026-03-14T10:00:00-05:00"}], "c"),
    ([], None),
])
def test_finding_a_booking_in_doubt(events: list[dict[str, Any]], found: str | None) -> None:
    match = find_appointment(events, calendar_id="cal-1", start=TEN)
    assert (match["id"] if match else None) == found
