"""One call to GHL's calendars API (free slots, booking an appointment) and the contact's
appointments, classified as every answer from GHL is (`ghl.client`, by `ghl.outcome`'s
table): retry after a wait (429, connection refused), refresh the token (401), give up
(other 4xx), or stop because GHL may already have it (a 5xx, no answer after the request
went out). No retries here: the caller goes through `Sender.call`, with `idempotent=True`
for the two reads (asked again, no harm) and never for `book`.

Two answers of a booking mean more than their status:
- `SlotTakenError`: GHL refused the slot (someone took it since it was offered, or it was
  never one of GHL's free slots): offer the next ones.
- `BookingInDoubtError`: the POST went out and no answer says what GHL did (a 5xx, a cut
  connection, a 2xx without the appointment's id). Never book again blindly: look for the
  appointment first (`contact_appointments`, then `find_appointment`).

GHL checks a booking's `startTime` against its own free slots; send the slot back in the
offset it was offered in (the aware datetime parsed from the free-slots answer keeps it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from schemas.ids import is_safe_id
from workers.ghl.client import (
    DeliveryInDoubtError,
    GHLUnavailableError,
    ReplyRejectedError,
    raise_for_status,
    request,
)
from workers.ghl.contacts import CRM_API_VERSION

CALENDARS_API_VERSION = "2021-04-15"
BOOK_PATH = "/calendars/events/appointments"
FREE_SLOTS_MAX_DAYS = 31  # GHL: "Date range cannot be more than 31 days"

# What GHL answers a booking whose slot is not free: 400 {"statusCode": 400, "message":
# "The slot you have selected is no longer available."} (reported by integrators who tested
# it against real sub-accounts, overlapping bookings and concurrent identical requests
# alike; HighLevel's API docs list only 400/401 for this endpoint and no message). 409 and
# 422 with a message of that kind are read the same way, in case GHL changes its status:
# any of them refuses the request, so reading one as a taken slot only ever offers other
# slots. Another 4xx (a bad field, another location's calendar) is `ReplyRejectedError`.
SLOT_TAKEN_STATUSES = frozenset({400, 409, 422})
_SLOT_TAKEN = re.compile(
    r"no longer available|slot\b.*\b(?:not available|unavailable|already booked)", re.I)


class SlotTakenError(ReplyRejectedError):
    """GHL refused the booking because the slot is no longer free: offer the next ones."""


class BookingInDoubtError(DeliveryInDoubtError):
    """The booking went out and no answer says whether GHL made it: never book again before
    looking for it among the contact's appointments (`contact_appointments`,
    `find_appointment` with this `calendar_id` and `start`)."""

    def __init__(self, message: str, *, calendar_id: str, contact_id: str, start: datetime,
                 status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status, retry_after=retry_after)
        self.calendar_id, self.contact_id, self.start = calendar_id, contact_id, start


def epoch_ms(when: datetime) -> int:
    """`when` (aware) as GHL's epoch milliseconds."""
    return (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def iso(when: datetime) -> str:
    """`when` (aware) as ISO 8601 with its own offset, to the second:
    2026-03-14T10:00:00-05:00, as GHL writes its slots."""
    return when.isoformat(timespec="seconds")


def _aware(name: str, when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ReplyRejectedError(f"{name} must carry a timezone (got {when.isoformat()})")


def _segment(name: str, value: str) -> str:
    """An id that becomes a path segment: one of GHL's, never a separator or a dot segment."""
    if not is_safe_id(value) or value in (".", ".."):
        raise ReplyRejectedError(f"{name} {value!r} is not a usable GHL id")
    return value


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ReplyRejectedError(f"timezone {timezone!r} is not an IANA timezone") from exc


def _message(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:500]
    message = data.get("message") if isinstance(data, dict) else data
    if isinstance(message, list):
        return "; ".join(str(m) for m in message)
    return str(message)[:500]


def classify_booking(resp: httpx.Response, *, calendar_id: str, contact_id: str,
                     start: datetime) -> dict[str, Any]:
    """The appointment GHL made (2xx with its `id`), or the error its answer means:
    `SlotTakenError`, `BookingInDoubtError` (a 5xx; a 2xx without an id), or what
    `raise_for_status` says of any other status."""
    status = resp.status_code
    if status in SLOT_TAKEN_STATUSES and _SLOT_TAKEN.search(_message(resp)):
        raise SlotTakenError(f"GHL refused the slot {iso(start)} of calendar {calendar_id}: "
                             f"{status} {_message(resp)}", status)
    try:
        raise_for_status(resp, "the booking")
    except DeliveryInDoubtError as exc:
        raise BookingInDoubtError(str(exc), calendar_id=calendar_id, contact_id=contact_id,
                                  start=start, status=exc.status,
                                  retry_after=exc.retry_after) from exc
    try:
        data = resp.json()
    except ValueError:
        data = None
    if not isinstance(data, dict) or not data.get("id"):
        raise BookingInDoubtError(
            f"GHL answered {status} to the booking without the appointment's id",
            calendar_id=calendar_id, contact_id=contact_id, start=start, status=status)
    return data


def _read(resp: httpx.Response, what: str) -> dict[str, Any]:
    """A read's answer as a JSON object (2xx), or the error its status means."""
    raise_for_status(resp, what)
    try:
        data = resp.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):  # a read is safe to ask again: not taken, not in doubt
        raise GHLUnavailableError(f"GHL answered {resp.status_code} to {what} "
                                  "without a JSON object")
    return data


def find_appointment(events: Iterable[dict[str, Any]], *, calendar_id: str,
                     start: datetime) -> dict[str, Any] | None:
    """The contact's appointment on `calendar_id` starting at the instant `start` (aware),
    whatever its status, or None (pure: how a booking in doubt is reconciled). A `startTime`
    without an offset (HighLevel's docs show "2021-07-16 11:00:00" for this list) names no
    instant and never matches: the caller then books again, and a calendar of one
    appointment per slot refuses the slot it already holds (`SlotTakenError`)."""
    _aware("start", start)
    for event in events:
        if event.get("calendarId") != calendar_id:
            continue
        text = event.get("startTime")
        try:
            when = datetime.fromisoformat(text) if isinstance(text, str) else None
        except ValueError:
            when = None
        if when is not None and when.utcoffset() is not None and when == start:
            return event
    return None


class CalendarsClient:
    """Makes one call per request; no retries here (the sender owns them)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def free_slots(self, token: str, calendar_id: str, start: datetime, end: datetime,
                         timezone: str) -> dict[str, Any]:
        """`GET /calendars/{id}/free-slots` over [start, end) (aware; at most 31 days), the
        slots written in `timezone` (IANA): GHL's answer as is, `{"2026-03-14": {"slots":
        ["2026-03-14T10:00:00-05:00", ...]}, ..., "traceId": ...}`. Idempotent."""
        _aware("start", start)
        _aware("end", end)
        if end <= start:
            raise ReplyRejectedError(f"free slots from {iso(start)} to {iso(end)}: "
                                     "the end must come after the start")
        if end - start > timedelta(days=FREE_SLOTS_MAX_DAYS):
            raise ReplyRejectedError(f"free slots over more than {FREE_SLOTS_MAX_DAYS} days "
                                     "(GHL refuses a longer range)")
        _zone(timezone)
        path = f"/calendars/{_segment('calendar id', calendar_id)}/free-slots"
        params = {"startDate": str(epoch_ms(start)), "endDate": str(epoch_ms(end)),
                  "timezone": timezone}
        return _read(await request(
            self._http, "GET", self._base + path, token=token, version=CALENDARS_API_VERSION,
            body=None, params=params, what="after asking for free slots", effect="answered"),
            "the free slots")

    async def book(self, token: str, *, calendar_id: str, location_id: str, contact_id: str,
                   start: datetime, end: datetime | None = None, title: str | None = None,
                   assigned_user_id: str | None = None) -> dict[str, Any]:
        """`POST /calendars/events/appointments`, confirmed: the appointment GHL made (with
        its `id`). `start` (aware) is sent in its own offset, as the slot was offered; `end`
        is the calendar's slot length when None. Raises `SlotTakenError` when the slot is
        gone, `BookingInDoubtError` when GHL may have booked it; never repeat it blindly."""
        _aware("start", start)
        body: dict[str, Any] = {
            "calendarId": _segment("calendar id", calendar_id),
            "locationId": location_id, "contactId": _segment("contact id", contact_id),
            "startTime": iso(start), "appointmentStatus": "confirmed",
        }
        if end is not None:
            _aware("end", end)
            if end <= start:
                raise ReplyRejectedError(f"an appointment ending at {iso(end)} must end "
                                         f"after its start {iso(start)}")
            body["endTime"] = iso(end)
        if title:
            body["title"] = title
        if assigned_user_id:
            body["assignedUserId"] = assigned_user_id
        try:
            resp = await request(
                self._http, "POST", self._base + BOOK_PATH, token=token,
                version=CALENDARS_API_VERSION, body=body, what="after booking",
                effect="booked")
        except DeliveryInDoubtError as exc:
            raise BookingInDoubtError(
                str(exc), calendar_id=calendar_id, contact_id=contact_id, start=start,
                status=exc.status, retry_after=exc.retry_after) from exc
        return classify_booking(resp, calendar_id=calendar_id, contact_id=contact_id,
                                start=start)

    async def contact_appointments(self, token: str, contact_id: str) -> list[dict[str, Any]]:
        """`GET /contacts/{id}/appointments` (a contacts endpoint: `Version: 2021-07-28`): the
        contact's appointments, GHL's `events` as they are. Idempotent."""
        path = f"/contacts/{_segment('contact id', contact_id)}/appointments"
        data = _read(await request(
            self._http, "GET", self._base + path, token=token, version=CRM_API_VERSION,
            body=None, what="after asking for the contact's appointments",
            effect="answered"),
            "the contact's appointments")
        events = data.get("events")
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise GHLUnavailableError("GHL answered the contact's appointments without a list "
                                      "of events")
        return events
