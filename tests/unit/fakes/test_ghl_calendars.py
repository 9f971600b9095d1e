"""The fake GHL's calendars over real HTTP (httpx): free slots in a timezone, strict booking
bodies and queries, a slot taken, tokens bound to their location, answers lost after a
booking, and the contact's appointments."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import (
    API_VERSION,
    CRM_API_VERSION,
    NO_ACCESS_MESSAGE,
    SLOT_TAKEN_MESSAGE,
    FakeGHLAPI,
)

CAL = {"Authorization": "Bearer tok-a", "Version": API_VERSION}
CRM = {"Authorization": "Bearer tok-a", "Version": CRM_API_VERSION}
SLOTS = ["2026-03-14T15:00:00Z", "2026-03-14T15:30:00Z", "2026-03-14T16:00:00Z",
         "2026-03-15T03:30:00Z", "2026-03-16T15:00:00Z"]
BOOK = "/calendars/events/appointments"


def ms(text: str) -> str:
    return str(int(datetime.fromisoformat(text).timestamp() * 1000))


FROM, TO = ms("2026-03-14T00:00:00Z"), ms("2026-03-16T00:00:00Z")


def booking(start: str = "2026-03-14T10:00:00-05:00", **extra: Any) -> dict[str, Any]:
    return {"calendarId": "cal-1", "locationId": "loc-A", "contactId": "c1",
            "startTime": start, "appointmentStatus": "confirmed", **extra}


@pytest.fixture
async def server() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI(valid_tokens={"tok-a": "loc-A", "tok-b": "loc-B"}) as fake:
        fake.set_calendar("cal-1", "loc-A", SLOTS, slot_minutes=30, timezone="America/Chicago")
        fake.set_calendar("cal-b", "loc-B", ["2026-03-14T15:00:00Z"])
        yield fake


@pytest.fixture
async def http(server: FakeGHLAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        yield client


async def free(http: httpx.AsyncClient, calendar: str = "cal-1",
               headers: dict[str, str] = CAL, params: dict[str, str] | None = None
               ) -> httpx.Response:
    """Free slots of `calendar` over [FROM, TO) in New York; `params` override ("-": left
    out)."""
    query = {"startDate": FROM, "endDate": TO, "timezone": "America/New_York", **(params or {})}
    return await http.get(f"/calendars/{calendar}/free-slots",
                          params={k: v for k, v in query.items() if v != "-"}, headers=headers)


async def test_free_slots_are_grouped_by_day_in_the_timezone_asked(
    http: httpx.AsyncClient,
) -> None:
    answer = await free(http)
    assert answer.status_code == 200 and answer.headers["X-RateLimit-Remaining"] == "99"
    data = answer.json()
    assert isinstance(data.pop("traceId"), str)
    assert data == {  # 03:30Z on the 15th is still the 14th in New York; the 16th is past TO
        "2026-03-14": {"slots": ["2026-03-14T11:00:00-04:00", "2026-03-14T11:30:00-04:00",
                                 "2026-03-14T12:00:00-04:00", "2026-03-14T23:30:00-04:00"]},
    }
    tokyo = (await free(http, params={"timezone": "Asia/Tokyo"})).json()
    assert tokyo["2026-03-15"]["slots"][0] == "2026-03-15T00:00:00+09:00"
    assert tokyo["2026-03-15"]["slots"][-1] == "2026-03-15T12:30:00+09:00"


async def test_without_a_timezone_slots_are_in_the_calendars(http: httpx.AsyncClient) -> None:
    data = (await free(http, params={"timezone": "-"})).json()
    assert data["2026-03-14"]["slots"][0] == "2026-03-14T10:00:00-05:00"  # America/Chicago


@pytest.mark.parametrize(("params", "problem"), [
    ({"startDate": "-"}, "startDate must be a number"),
    ({"endDate": "soon"}, "endDate must be a number"),
    ({"startDate": "1.5e12"}, "startDate must be a number"),
    ({"startDate": TO, "endDate": FROM}, "endDate must be after startDate"),
    ({"endDate": ms("2026-04-15T00:00:00Z")}, "cannot be more than 31 days"),
    ({"timezone": "Mars/Olympus"}, "timezone must be a valid IANA timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone must be a valid IANA timezone"),
    ({"locationId": "loc-A"}, "property locationId should not exist"),
])
async def test_a_bad_free_slots_query_is_422(
    http: httpx.AsyncClient, params: dict[str, str], problem: str
) -> None:
    answer = await free(http, params=params)
    assert answer.status_code == 422 and answer.json()["error"] == "Unprocessable Entity"
    assert any(problem in m for m in answer.json()["message"])


async def test_calendars_are_their_locations(http: httpx.AsyncClient) -> None:
    other = await free(http, calendar="cal-b")
    assert other.status_code == 403 and other.json()["message"] == NO_ACCESS_MESSAGE
    assert (await free(http, calendar="cal-none")).status_code == 404
    assert (await free(http, headers={**CAL, "Authorization": "Bearer nope"})).status_code == 401
    assert (await free(http, headers=CRM)).status_code == 400  # calendars are 2021-04-15
    own = await free(http, calendar="cal-b", headers={**CAL, "Authorization": "Bearer tok-b"})
    assert own.status_code == 200 and list(own.json()) == ["2026-03-14", "traceId"]


async def test_a_booking_takes_its_slot_and_is_listed_for_the_contact(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    answer = await http.post(BOOK, json=booking(assignedUserId="agent-7", title="Showing"),
                             headers=CAL)
    assert answer.status_code == 200
    made = answer.json()
    assert made["id"] and made["appointmentStatus"] == "confirmed"
    assert (made["startTime"], made["endTime"]) == ("2026-03-14T10:00:00-05:00",
                                                    "2026-03-14T10:30:00-05:00")
    assert (made["calendarId"], made["contactId"], made["assignedUserId"], made["title"]) == (
        "cal-1", "c1", "agent-7", "Showing")
    assert server.appointments == [made]
    assert datetime(2026, 3, 14, 15, tzinfo=UTC) not in server.calendars["cal-1"].slots
    slots = (await free(http)).json()["2026-03-14"]["slots"]
    assert "2026-03-14T11:00:00-04:00" not in slots and len(slots) == 3

    again = await http.post(BOOK, json=booking("2026-03-14T15:00:00Z"), headers=CAL)
    assert again.status_code == 400  # the same instant, another offset: taken
    assert again.json() == {"statusCode": 400, "message": SLOT_TAKEN_MESSAGE}

    listed = await http.get("/contacts/c1/appointments", headers=CRM)
    assert listed.status_code == 200 and listed.json()["events"] == [made]
    assert (await http.get("/contacts/c2/appointments", headers=CRM)).json()["events"] == []
    other = await http.get("/contacts/c1/appointments",
                           headers={**CRM, "Authorization": "Bearer tok-b"})
    assert other.json()["events"] == []  # loc-B's contact c1 is another contact
    assert (await http.get("/contacts/c1/appointments", headers=CAL)).status_code == 400
    unknown = await http.get("/contacts/c1/appointments", params={"x": "1"}, headers=CRM)
    assert unknown.status_code == 422


async def test_a_longer_booking_takes_every_slot_it_overlaps(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    answer = await http.post(BOOK, json=booking(endTime="2026-03-14T11:00:00-05:00"),
                             headers=CAL)
    assert answer.status_code == 200
    left = [s.isoformat() for s in server.calendars["cal-1"].slots]
    assert left == ["2026-03-14T16:00:00+00:00", "2026-03-15T03:30:00+00:00",
                    "2026-03-16T15:00:00+00:00"]


async def test_a_time_that_was_never_a_slot_is_refused_unless_told_to_ignore(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    refused = await http.post(BOOK, json=booking("2026-03-14T10:10:00-05:00"), headers=CAL)
    assert refused.status_code == 400 and refused.json()["message"] == SLOT_TAKEN_MESSAGE
    forced = await http.post(BOOK, json=booking("2026-03-14T10:10:00-05:00",
                                                ignoreFreeSlotValidation=True), headers=CAL)
    assert forced.status_code == 200 and len(server.appointments) == 1


@pytest.mark.parametrize(("body", "problem"), [
    (booking(notes="bring keys"), "property notes should not exist"),
    ({k: v for k, v in booking().items() if k != "contactId"}, "contactId must be a string"),
    ({k: v for k, v in booking().items() if k != "startTime"}, "startTime must be a valid"),
    (booking("2026-03-14T10:00:00"), "startTime must be a valid ISO 8601 date string"),
    (booking(endTime="half past ten"), "endTime must be a valid"),
    (booking(appointmentStatus="booked"), "appointmentStatus must be one of"),
    (booking(meetingLocationType="skype"), "meetingLocationType must be one of"),
    (booking(toNotify="yes"), "toNotify must be a boolean value"),
    (booking(assignedUserId=7), "assignedUserId must be a string"),
    (["not", "an", "object"], "body must be a JSON object"),
])
async def test_a_bad_booking_is_422(
    server: FakeGHLAPI, http: httpx.AsyncClient, body: Any, problem: str
) -> None:
    answer = await http.post(BOOK, json=body, headers=CAL)
    assert answer.status_code == 422
    assert any(problem in m for m in answer.json()["message"]), answer.json()
    assert server.appointments == [] and len(server.calendars["cal-1"].slots) == len(SLOTS)


async def test_an_end_before_the_start_is_422(http: httpx.AsyncClient) -> None:
    answer = await http.post(BOOK, json=booking(endTime="2026-03-14T09:00:00-05:00"),
                             headers=CAL)
    assert answer.status_code == 422 and answer.json()["message"] == [
        "endTime must be after startTime"]


async def test_a_booking_is_for_the_tokens_location_only(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    elsewhere = await http.post(BOOK, json=booking(locationId="loc-B"), headers=CAL)
    assert elsewhere.status_code == 403 and elsewhere.json()["message"] == NO_ACCESS_MESSAGE
    their_calendar = await http.post(
        BOOK, json=booking("2026-03-14T15:00:00Z", calendarId="cal-b"), headers=CAL)
    assert their_calendar.status_code == 403
    with_their_token = await http.post(
        BOOK, json=booking(locationId="loc-B"), headers={**CAL, "Authorization": "Bearer tok-b"})
    assert with_their_token.status_code == 403  # cal-1 is loc-A's
    assert server.appointments == []


async def test_two_bookings_racing_for_one_slot_make_one(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    answers = await asyncio.gather(*(http.post(BOOK, json=booking(contactId=f"c{i}"),
                                               headers=CAL) for i in range(4)))
    assert sorted(a.status_code for a in answers) == [200, 400, 400, 400]
    assert len(server.appointments) == 1


@pytest.mark.parametrize("fault", [Fault(status=500, after=True, path=BOOK),
                                   Fault(status=504, after=True, path=BOOK),
                                   Fault(reset=True, after=True, path=BOOK)],
                         ids=["500-that-booked", "504-that-booked", "reset-after-booking"])
async def test_a_booking_whose_answer_is_lost_is_made(
    server: FakeGHLAPI, http: httpx.AsyncClient, fault: Fault
) -> None:
    server.inject(fault)
    if fault.reset:
        with pytest.raises(httpx.ReadError):
            await http.post(BOOK, json=booking(), headers=CAL)
    else:
        assert (await http.post(BOOK, json=booking(), headers=CAL)).status_code == fault.status
    listed = (await http.get("/contacts/c1/appointments", headers=CRM)).json()["events"]
    assert [e["startTime"] for e in listed] == ["2026-03-14T10:00:00-05:00"]
    again = await http.post(BOOK, json=booking(), headers=CAL)
    assert again.status_code == 400 and len(server.appointments) == 1


async def test_calendars_over_the_control_endpoint(
    server: FakeGHLAPI, http: httpx.AsyncClient
) -> None:
    control = {"calendars": {"cal-2": {"location_id": "loc-A", "slot_minutes": 60,
                                       "slots": ["2026-03-14T17:00:00+00:00"]}}}
    assert (await http.post("/_control", json=control)).status_code == 200
    assert server.calendars["cal-2"].slot_minutes == 60
    made = (await http.post(BOOK, json=booking("2026-03-14T17:00:00Z", calendarId="cal-2"),
                            headers=CAL)).json()
    assert made["endTime"] == "2026-03-14T18:00:00+00:00"
    state = (await http.get("/_control")).json()
    assert [a["id"] for a in state["appointments"]] == [made["id"]]
    naive = {"calendars": {"cal-3": {"location_id": "loc-A", "slots": ["2026-03-14T17:00"]}}}
    assert (await http.post("/_control", json=naive)).status_code == 400
    no_location: dict[str, Any] = {"calendars": {"cal-3": {"slots": []}}}
    assert (await http.post("/_control", json=no_location)).status_code == 400
    server.reset()
    assert server.calendars == {} and server.appointments == []
