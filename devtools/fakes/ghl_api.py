"""Fake GoHighLevel (LeadConnector) API on loopback: send-message, CRM write-backs (tasks,
notes, tags, custom fields, DND), calendars (free slots, booking, a contact's appointments),
OAuth refresh, rate limits.

Enforces what the real API enforces and a client must cope with (Bearer token per location,
`Version` header, body validation, the 100-per-10s per-location burst limit and the daily
budget (`rate_limit_daily`, small in tests; the fake's day never ends) with GHL's
`X-RateLimit-*` headers on every answer to a known location, token expiry/refresh), and
records each delivered message. Faults (`devtools.fakes.faults`) include answers that hide
what happened: a 504 or a connection reset after the message was delivered (`after=True`).
Run standalone with `python -m devtools.fakes.ghl_api --port N`.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import string
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from devtools.fakes.base import FakeServer, run_cli
from devtools.fakes.faults import Fault
from devtools.fakes.ghl_oauth import FakeGHLOAuth

API_VERSION = "2021-04-15"
CRM_API_VERSION = "2021-07-28"  # contacts endpoints: tasks, notes, tags, fields
TASK_FIELDS = frozenset({"title", "body", "dueDate", "completed", "assignedTo"})
NOTE_FIELDS = frozenset({"body", "userId"})
MESSAGE_TYPES = ("SMS", "Email", "WhatsApp", "GMB", "IG", "FB", "Custom", "Live_Chat")
DND_CHANNELS = ("Call", "Email", "SMS", "WhatsApp", "GMB", "FB")  # `dndSettings` keys
DND_STATUSES = ("active", "inactive", "permanent")
DND_FIELDS = frozenset({"status", "message", "code"})
TOKEN_TTL_SECONDS = 86399
# Calendars (`Version: 2021-04-15`, HighLevel's `apps/calendars.json`): the body of a booking
# (`AppointmentCreateSchema`), the free-slots query, and what GHL answers a slot not free.
APPOINTMENT_FIELDS = frozenset({
    "calendarId", "locationId", "contactId", "startTime", "endTime", "title",
    "meetingLocationType", "meetingLocationId", "overrideLocationConfig", "appointmentStatus",
    "assignedUserId", "description", "address", "ignoreDateRange", "toNotify",
    "ignoreFreeSlotValidation", "rrule"})
APPOINTMENT_STATUSES = ("new", "confirmed", "cancelled", "showed", "noshow", "invalid")
MEETING_LOCATION_TYPES = ("custom", "zoom", "gmeet", "phone", "address", "ms_teams", "google")
FREE_SLOTS_PARAMS = frozenset({"startDate", "endDate", "timezone", "userId", "userIds"})
FREE_SLOTS_MAX_DAYS = 31
SLOT_TAKEN_MESSAGE = "The slot you have selected is no longer available."
NO_ACCESS_MESSAGE = "The token does not have access to this location."
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ALPHABET = string.ascii_letters + string.digits
_GATEWAY_HTML = "<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>"


@dataclass
class DeliveredMessage:
    """A message the fake accepted, with the location resolved from the caller's token."""

    location_id: str
    contact_id: str
    type: str
    message: str
    message_id: str
    conversation_id: str
    at: float
    body: dict[str, Any]


class RateLimiter:
    """GHL-style per-location sliding-window burst limit plus a daily counter."""

    def __init__(self, burst: int, interval: float, daily: int, clock: Callable[[], float]) -> None:
        self.burst, self.interval, self.daily, self.clock = burst, interval, daily, clock
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        self._daily_used: dict[str, int] = defaultdict(int)

    def clear(self) -> None:
        self._windows.clear()
        self._daily_used.clear()

    def hit(self, location_id: str) -> tuple[bool, dict[str, str]]:
        """Count one request; returns (allowed, X-RateLimit-* headers)."""
        now, window = self.clock(), self._windows[location_id]
        while window and window[0] <= now - self.interval:
            window.popleft()
        allowed = len(window) < self.burst and self._daily_used[location_id] < self.daily
        if allowed:
            window.append(now)
            self._daily_used[location_id] += 1
        return allowed, self.headers(location_id)

    def headers(self, location_id: str | None) -> dict[str, str]:
        used = len(self._windows.get(location_id or "", ()))
        daily_used = self._daily_used.get(location_id or "", 0)
        return {
            "X-RateLimit-Remaining": str(max(0, self.burst - used)),
            "X-RateLimit-Max": str(self.burst),
            "X-RateLimit-Interval-Milliseconds": str(int(self.interval * 1000)),
            "X-RateLimit-Daily-Remaining": str(max(0, self.daily - daily_used)),
            "X-RateLimit-Limit-Daily": str(self.daily),
        }


def ghl_error(status: int, message: str | list[str], **headers: str) -> web.Response:
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if status == 422:
        body["error"] = "Unprocessable Entity"
    return web.json_response(body, status=status, headers=headers)


@dataclass
class ContactRecord:
    """What an agent sees on a contact in GHL: tasks, notes, tags, custom fields and DND
    (`dnd_settings`: per channel, as the last update left it; `dnd_updates`: each
    `dndSettings` a contact update carried, in order)."""

    tasks: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    note_updates: int = 0
    dnd: bool = False
    dnd_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    dnd_updates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CalendarRecord:
    """A calendar of one location: its free slots (aware instants; a booking takes the ones
    it overlaps), each `slot_minutes` long, written in `timezone` when a caller names none.
    The fake has no per-user availability: every slot is every team member's."""

    location_id: str
    slots: list[datetime] = field(default_factory=list)
    slot_minutes: int = 30
    timezone: str = "UTC"


def parse_instant(text: Any) -> datetime | None:
    """An ISO 8601 time with an offset (or Z) as an aware datetime; None for anything else
    (the fake, stricter than GHL, takes no wall time without its offset)."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.utcoffset() is not None else None


def _unknown(body: dict[str, Any], allowed: frozenset[str]) -> list[str]:
    return [f"property {k} should not exist" for k in sorted(set(body) - allowed)]


def validate_task(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = _unknown(body, TASK_FIELDS)
    if not isinstance(body.get("title"), str) or not body["title"].strip():
        problems.append("title must be a string")
    if not isinstance(body.get("dueDate"), str) or not body["dueDate"]:
        problems.append("dueDate must be a valid ISO 8601 date string")
    if "completed" in body and not isinstance(body["completed"], bool):
        problems.append("completed must be a boolean value")
    for key in ("body", "assignedTo"):
        if key in body and not isinstance(body[key], str):
            problems.append(f"{key} must be a string")
    return problems


def validate_note(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = _unknown(body, NOTE_FIELDS)
    if not isinstance(body.get("body"), str) or not body["body"]:
        problems.append("body must be a string")
    if "userId" in body and not isinstance(body["userId"], str):
        problems.append("userId must be a string")
    return problems


def validate_tags(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = _unknown(body, frozenset({"tags"}))
    tags = body.get("tags")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t for t in tags):
        problems.append("tags must be a non-empty array of strings")
    return problems


def validate_custom_fields(fields: Any) -> list[str]:
    if not isinstance(fields, list) or not fields:
        return ["customFields must be a non-empty array"]
    problems = []
    for item in fields:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            problems.append("customFields.id must be a string")
        elif set(item) - {"id", "field_value"} or "field_value" not in item:
            problems.append("customFields items must be {id, field_value}")
    return problems


def validate_dnd_settings(settings: Any) -> list[str]:
    """`dndSettings`: {<channel>: {status: active|inactive|permanent, message?, code?}}."""
    if not isinstance(settings, dict) or not settings:
        return ["dndSettings must be a non-empty object"]
    problems = []
    for channel, value in settings.items():
        if channel not in DND_CHANNELS:
            problems.append(f"property dndSettings.{channel} should not exist")
            continue
        if not isinstance(value, dict):
            problems.append(f"dndSettings.{channel} must be an object")
            continue
        problems += [f"property dndSettings.{channel}.{k} should not exist"
                     for k in sorted(set(value) - DND_FIELDS)]
        if value.get("status") not in DND_STATUSES:
            problems.append(f"dndSettings.{channel}.status must be one of the following "
                            f"values: {', '.join(DND_STATUSES)}")
        for key in ("message", "code"):
            if key in value and not isinstance(value[key], str):
                problems.append(f"dndSettings.{channel}.{key} must be a string")
    return problems


def validate_contact_update(body: Any) -> list[str]:
    """What is written back here: `customFields` (each item exactly {id, field_value}),
    `dndSettings` (per channel) and `dnd` (the global flag); at least one of them."""
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = _unknown(body, frozenset({"customFields", "dndSettings", "dnd"}))
    if not {"customFields", "dndSettings", "dnd"} & set(body):
        return [*problems, "customFields, dndSettings or dnd must be given"]
    if "customFields" in body:
        problems += validate_custom_fields(body["customFields"])
    if "dndSettings" in body:
        problems += validate_dnd_settings(body["dndSettings"])
    if "dnd" in body and not isinstance(body["dnd"], bool):
        problems.append("dnd must be a boolean value")
    return problems


def validate_message(body: Any) -> list[str]:
    """class-validator style problems with a send-message body (empty list when valid)."""
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = []
    if body.get("type") not in MESSAGE_TYPES:
        problems.append(f"type must be one of the following values: {', '.join(MESSAGE_TYPES)}")
    if not isinstance(body.get("contactId"), str) or not body["contactId"]:
        problems.append("contactId must be a string")
    has_html = body.get("type") == "Email" and isinstance(body.get("html"), str)
    if not has_html and (not isinstance(body.get("message"), str) or not body["message"]):
        problems.append("message must be a string")
    return problems


def _zone_problem(name: str, value: Any) -> list[str]:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return [f"{name} must be a valid IANA timezone"]
    return []


def validate_free_slots_query(query: Mapping[str, str]) -> list[str]:
    """The free-slots query: startDate and endDate (epoch ms, start before end, at most 31
    days apart), timezone (IANA, optional), userId / userIds (taken, not used)."""
    problems = [f"property {k} should not exist" for k in sorted(set(query) - FREE_SLOTS_PARAMS)]
    bounds = []
    for key in ("startDate", "endDate"):
        value = query.get(key)
        if value is None or not (value.isascii() and value.isdigit()):
            problems.append(f"{key} must be a number (epoch milliseconds)")
        else:
            bounds.append(int(value))
    if len(bounds) == 2 and bounds[0] >= bounds[1]:
        problems.append("endDate must be after startDate")
    elif len(bounds) == 2 and bounds[1] - bounds[0] > FREE_SLOTS_MAX_DAYS * 86_400_000:
        problems.append(f"Date range cannot be more than {FREE_SLOTS_MAX_DAYS} days")
    if "timezone" in query:
        problems += _zone_problem("timezone", query["timezone"])
    return problems


def validate_appointment(body: Any) -> list[str]:
    """A booking (`AppointmentCreateSchema`): calendarId, locationId, contactId and startTime
    required; times ISO 8601 with an offset; the enums and types of HighLevel's schema."""
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = _unknown(body, APPOINTMENT_FIELDS)
    for key in ("calendarId", "locationId", "contactId"):
        if not isinstance(body.get(key), str) or not body[key]:
            problems.append(f"{key} must be a string")
    for key in ("startTime", "endTime"):
        if (key == "startTime" or key in body) and parse_instant(body.get(key)) is None:
            problems.append(f"{key} must be a valid ISO 8601 date string with an offset")
    for key in ("title", "meetingLocationId", "assignedUserId", "description", "address",
                "rrule"):
        if key in body and not isinstance(body[key], str):
            problems.append(f"{key} must be a string")
    for key in ("overrideLocationConfig", "ignoreDateRange", "toNotify",
                "ignoreFreeSlotValidation"):
        if key in body and not isinstance(body[key], bool):
            problems.append(f"{key} must be a boolean value")
    for key, allowed in (("appointmentStatus", APPOINTMENT_STATUSES),
                         ("meetingLocationType", MEETING_LOCATION_TYPES)):
        if key in body and body[key] not in allowed:
            problems.append(f"{key} must be one of the following values: {', '.join(allowed)}")
    return problems


@dataclass(kw_only=True, eq=False)
class FakeGHLAPI(FakeServer):
    """Fake LeadConnector API. `valid_tokens` maps access token -> locationId.

    `oauth_clients` (client_id -> secret), when given, is checked by every OAuth call;
    otherwise any non-empty client credentials are accepted. The OAuth endpoints (code
    exchange, refresh, agency tokens) are `oauth` (`devtools.fakes.ghl_oauth`).
    """

    valid_tokens: dict[str, str] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    expired_tokens: set[str] = field(default_factory=set)
    oauth_clients: dict[str, str] | None = None
    rate_limit_burst: int = 100
    rate_limit_interval: float = 10.0
    rate_limit_daily: int = 200_000
    clock: Callable[[], float] = time.monotonic
    delivered: list[DeliveredMessage] = field(default_factory=list, init=False)
    contacts: dict[tuple[str, str], ContactRecord] = field(default_factory=dict, init=False)
    calendars: dict[str, CalendarRecord] = field(default_factory=dict, init=False)
    appointments: list[dict[str, Any]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._ids = random.Random(self.seed)
        self.limiter = RateLimiter(
            self.rate_limit_burst, self.rate_limit_interval, self.rate_limit_daily, self.clock
        )
        self.oauth = FakeGHLOAuth(self, token_ttl=TOKEN_TTL_SECONDS)

    def new_id(self, prefix: str = "") -> str:
        return prefix + "".join(self._ids.choices(_ALPHABET, k=20))

    # --- token registry -------------------------------------------------------------------
    def add_token(self, token: str, location_id: str) -> None:
        self.valid_tokens[token] = location_id
        self.expired_tokens.discard(token)

    def issue_token(self, location_id: str) -> str:
        token = self.new_id("fake-at-")
        self.add_token(token, location_id)
        return token

    def add_refresh_token(self, refresh_token: str, location_id: str) -> None:
        self.refresh_tokens[refresh_token] = location_id

    def expire_token(self, token: str) -> None:
        """Make `token` answer 401 from now on (what a client sees after ~24 h)."""
        self.expired_tokens.add(token)

    def location_for(self, request: web.Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token in self.expired_tokens:
            return None
        return self.valid_tokens.get(token)

    # --- FakeServer hooks -----------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/conversations/messages", self._send_message)
        self.oauth.add_routes(app)  # /oauth/token, /oauth/locationToken, ...
        app.router.add_post("/contacts/{contact}/tasks", self._add_task)
        app.router.add_post("/contacts/{contact}/notes", self._add_note)
        app.router.add_put("/contacts/{contact}/notes/{note}", self._update_note)
        app.router.add_post("/contacts/{contact}/tags", self._add_tags)
        app.router.add_delete("/contacts/{contact}/tags", self._remove_tags)
        app.router.add_put("/contacts/{contact}", self._update_contact)
        app.router.add_get("/contacts/{contact}/appointments", self._contact_appointments)
        app.router.add_get("/calendars/{calendar}/free-slots", self._free_slots)
        app.router.add_post("/calendars/events/appointments", self._book)

    def contact(self, location_id: str, contact_id: str) -> ContactRecord:
        """What an agent of `location_id` sees on the contact (created on first write)."""
        return self.contacts.setdefault((location_id, contact_id), ContactRecord())

    def set_calendar(self, calendar_id: str, location_id: str, slots: Iterable[str | datetime],
                     *, slot_minutes: int = 30, timezone: str = "UTC") -> CalendarRecord:
        """Give `location_id` a calendar whose free slots are `slots` (ISO 8601 with an
        offset, or aware datetimes), replacing one of the same id."""
        instants = [s if isinstance(s, datetime) else parse_instant(s) for s in slots]
        if any(s is None or s.utcoffset() is None for s in instants):
            raise ValueError(f"calendar {calendar_id}: slots must be ISO 8601 times with an "
                             "offset")
        if slot_minutes < 1 or _zone_problem("timezone", timezone):
            raise ValueError(f"calendar {calendar_id}: slot_minutes >= 1 and an IANA timezone")
        calendar = CalendarRecord(location_id, sorted(s for s in instants if s is not None),
                                  slot_minutes, timezone)
        self.calendars[calendar_id] = calendar
        return calendar

    def appointments_of(self, location_id: str, contact_id: str) -> list[dict[str, Any]]:
        """The appointments booked for a contact of `location_id`, in order."""
        return [a for a in self.appointments
                if a["locationId"] == location_id and a["contactId"] == contact_id]

    def trace_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def reset(self) -> None:
        super().reset()
        self.delivered.clear()
        self.contacts.clear()
        self.calendars.clear()
        self.appointments.clear()
        self.limiter.clear()

    def apply_control(self, data: dict[str, Any]) -> None:
        super().apply_control(data)
        for token, location_id in (data.get("tokens") or {}).items():
            self.add_token(token, location_id)
        for refresh_token, location_id in (data.get("refresh_tokens") or {}).items():
            self.add_refresh_token(refresh_token, location_id)
        for token in data.get("expire") or []:
            self.expire_token(token)
        for calendar_id, spec in (data.get("calendars") or {}).items():
            self.set_calendar(calendar_id, spec["location_id"], spec.get("slots") or [],
                              slot_minutes=int(spec.get("slot_minutes", 30)),
                              timezone=spec.get("timezone", "UTC"))
        self.oauth.apply_control(data)
        limits = data.get("rate_limit") or {}
        self.limiter.burst = self.rate_limit_burst = int(limits.get("burst", self.limiter.burst))
        self.limiter.interval = self.rate_limit_interval = float(
            limits.get("interval_seconds", self.limiter.interval)
        )
        self.limiter.daily = self.rate_limit_daily = int(limits.get("daily", self.limiter.daily))

    def state(self) -> dict[str, Any]:
        return {**super().state(), "delivered": [asdict(m) for m in self.delivered],
                "appointments": self.appointments, **self.oauth.state()}

    def fault_response(self, fault: Fault, request: web.Request) -> web.StreamResponse:
        status = fault.status or 500
        headers = self.limiter.headers(self.location_for(request))
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        if status == 429:
            headers["X-RateLimit-Remaining"] = "0"
            return ghl_error(429, fault.message or "Too many requests", **headers)
        if status in (502, 503, 504):  # gateway errors come back as HTML, not JSON
            title = fault.message or f"{status} {HTTPStatus(status).phrase}"
            return web.Response(
                status=status,
                text=_GATEWAY_HTML.format(title),
                content_type="text/html",
                headers=headers,
            )
        return ghl_error(status, fault.message or "Internal server error", **headers)

    # --- handlers -------------------------------------------------------------------------
    async def _checked(self, request: web.Request, version: str,
                       validate: Callable[[Any], list[str]]
                       ) -> web.Response | tuple[str, dict[str, str], Any]:
        """What GHL checks of every call, in its order: token (401), `Version` header
        (400), the location's rate limit (429), the body (422). The error answer, or
        (location, rate-limit headers, body)."""
        location_id = self.location_for(request)
        if location_id is None:
            return ghl_error(401, "Invalid JWT")
        if request.headers.get("Version") != version:  # GHL's count on every answer it keys
            return ghl_error(400, "Version header is missing or invalid",
                             **self.limiter.headers(location_id))
        allowed, headers = self.limiter.hit(location_id)
        if not allowed:
            return ghl_error(429, "Too many requests", **headers)
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        problems = validate(body)
        if problems:
            return ghl_error(422, problems, **headers)
        return location_id, headers, body

    async def _send_message(self, request: web.Request) -> web.Response:
        checked = await self._checked(request, API_VERSION, validate_message)
        if isinstance(checked, web.Response):
            return checked
        location_id, headers, body = checked
        contact_id = body["contactId"]
        conv_key = f"{location_id}:{contact_id}".encode()
        conversation_id = hashlib.sha1(conv_key, usedforsecurity=False).hexdigest()[:20]
        message = DeliveredMessage(
            location_id=location_id,
            contact_id=contact_id,
            type=body["type"],
            message=body.get("message") or body.get("html", ""),
            message_id=self.new_id(),
            conversation_id=conversation_id,
            at=time.time(),
            body=body,
        )
        self.delivered.append(message)
        reply = {
            "conversationId": conversation_id,
            "messageId": message.message_id,
            "msg": "Message queued successfully.",
        }
        return web.json_response(reply, status=201, headers=headers)

    async def _crm_call(self, request: web.Request, validate: Callable[[Any], list[str]]
                        ) -> web.Response | tuple[str, str, dict[str, str], dict[str, Any]]:
        """A contacts call checked (`_checked`): the error answer, or (location, contact,
        rate-limit headers, body)."""
        checked = await self._checked(request, CRM_API_VERSION, validate)
        if isinstance(checked, web.Response):
            return checked
        location_id, headers, body = checked
        return location_id, request.match_info["contact"], headers, body

    async def _add_task(self, request: web.Request) -> web.Response:
        call = await self._crm_call(request, validate_task)
        if isinstance(call, web.Response):
            return call
        location_id, contact_id, headers, body = call
        task = {"id": self.new_id("task-"), "contactId": contact_id, "completed": False, **body}
        self.contact(location_id, contact_id).tasks.append(task)
        return web.json_response({"task": task}, status=201, headers=headers)

    async def _add_note(self, request: web.Request) -> web.Response:
        call = await self._crm_call(request, validate_note)
        if isinstance(call, web.Response):
            return call
        location_id, contact_id, headers, body = call
        note = {"id": self.new_id("note-"), "contactId": contact_id, "dateAdded": time.time(),
                **body}
        self.contact(location_id, contact_id).notes[note["id"]] = note
        return web.json_response({"note": note}, status=201, headers=headers)

    async def _update_note(self, request: web.Request) -> web.Response:
        call = await self._crm_call(request, validate_note)
        if isinstance(call, web.Response):
            return call
        location_id, contact_id, headers, body = call
        record = self.contact(location_id, contact_id)
        note = record.notes.get(request.match_info["note"])
        if note is None:
            return ghl_error(404, "Note not found", **headers)
        note.update(body)
        record.note_updates += 1
        return web.json_response({"note": note}, headers=headers)

    async def _add_tags(self, request: web.Request) -> web.Response:
        call = await self._crm_call(request, validate_tags)
        if isinstance(call, web.Response):
            return call
        location_id, contact_id, headers, body = call
        record = self.contact(location_id, contact_id)
        record.tags = list(dict.fromkeys([*record.tags, *body["tags"]]))
        return web.json_response({"tags": record.tags}, status=201, headers=headers)

    async def _remove_tags(self, request: web.Request) -> web.Response:
        call = await self._crm_call(request, validate_tags)
        if isinstance(call, web.Response):
            return call
        location_id, contact_id, headers, body = call
        record = self.contact(location_id, contact_id)
        record.tags = [t for t in record.tags if t not in body["tags"]]
        return web.json_response({"tags": record.tags}, headers=headers)

    async def _update_contact(self, request: web.Request) -> web.Response:
        call = await self._crm_call(request, validate_contact_update)
        if isinstance(call, web.Response):
            return call
        location_id, contact_id, headers, body = call
        record = self.contact(location_id, contact_id)
        for item in body.get("customFields") or []:
            record.custom_fields[item["id"]] = item["field_value"]
        if "dndSettings" in body:
            record.dnd_updates.append(body["dndSettings"])
            for channel, value in body["dndSettings"].items():
                record.dnd_settings[channel] = {**record.dnd_settings.get(channel, {}), **value}
        if "dnd" in body:
            record.dnd = body["dnd"]
        contact = {"id": contact_id, "locationId": location_id, "dnd": record.dnd,
                   "dndSettings": record.dnd_settings,
                   "customFields": [{"id": k, "value": v}
                                    for k, v in record.custom_fields.items()]}
        return web.json_response({"contact": contact, "succeded": True}, headers=headers)

    # --- calendars ------------------------------------------------------------------------
    def _calendar_of(self, calendar_id: str, location_id: str, headers: dict[str, str]
                     ) -> CalendarRecord | web.Response:
        """The calendar, when the token's location owns it: else GHL's 404 (no such
        calendar) or 403 (another location's)."""
        calendar = self.calendars.get(calendar_id)
        if calendar is None:
            return ghl_error(404, "Calendar not found", **headers)
        if calendar.location_id != location_id:
            return ghl_error(403, NO_ACCESS_MESSAGE, **headers)
        return calendar

    async def _free_slots(self, request: web.Request) -> web.Response:
        query = request.query
        checked = await self._checked(request, API_VERSION,
                                      lambda _body: validate_free_slots_query(query))
        if isinstance(checked, web.Response):
            return checked
        location_id, headers, _ = checked
        calendar = self._calendar_of(request.match_info["calendar"], location_id, headers)
        if isinstance(calendar, web.Response):
            return calendar
        start = _EPOCH + timedelta(milliseconds=int(query["startDate"]))
        end = _EPOCH + timedelta(milliseconds=int(query["endDate"]))
        zone = ZoneInfo(query.get("timezone") or calendar.timezone)
        days: dict[str, Any] = {}
        for slot in calendar.slots:
            if start <= slot < end:
                local = slot.astimezone(zone)
                days.setdefault(local.date().isoformat(), {"slots": []})["slots"].append(
                    local.isoformat(timespec="seconds"))
        return web.json_response({**days, "traceId": self.trace_id()}, headers=headers)

    async def _book(self, request: web.Request) -> web.Response:
        checked = await self._checked(request, API_VERSION, validate_appointment)
        if isinstance(checked, web.Response):
            return checked
        location_id, headers, body = checked
        if body["locationId"] != location_id:
            return ghl_error(403, NO_ACCESS_MESSAGE, **headers)
        calendar = self._calendar_of(body["calendarId"], location_id, headers)
        if isinstance(calendar, web.Response):
            return calendar
        start = parse_instant(body["startTime"])
        assert start is not None  # validated
        length = timedelta(minutes=calendar.slot_minutes)
        end = parse_instant(body["endTime"]) if "endTime" in body else start + length
        assert end is not None
        if end <= start:
            return ghl_error(422, ["endTime must be after startTime"], **headers)
        # GHL holds the start to its own free slots (unless told to ignore them)
        if start not in calendar.slots and not body.get("ignoreFreeSlotValidation"):
            return ghl_error(400, SLOT_TAKEN_MESSAGE, **headers)
        calendar.slots = [s for s in calendar.slots if not (s < end and s + length > start)]
        appointment: dict[str, Any] = {
            "id": self.new_id(), "calendarId": body["calendarId"], "locationId": location_id,
            "contactId": body["contactId"], "startTime": body["startTime"],
            "endTime": body.get("endTime") or end.isoformat(timespec="seconds"),
            "appointmentStatus": body.get("appointmentStatus", "new"), "isRecurring": False,
            **{k: body[k] for k in ("title", "assignedUserId", "address", "description",
                                    "meetingLocationType") if k in body},
        }
        self.appointments.append(appointment)
        return web.json_response(appointment, headers=headers)  # 200, as HighLevel documents

    async def _contact_appointments(self, request: web.Request) -> web.Response:
        query = request.query
        checked = await self._checked(request, CRM_API_VERSION,
                                      lambda _body: _unknown(dict(query), frozenset()))
        if isinstance(checked, web.Response):
            return checked
        location_id, headers, _ = checked
        events = self.appointments_of(location_id, request.match_info["contact"])
        return web.json_response({"events": events, "traceId": self.trace_id()},
                                 headers=headers)


def main(argv: Sequence[str] | None = None) -> None:
    def add_args(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--token",
            action="append",
            default=[],
            metavar="TOKEN=LOCATION",
            help="register an access token for a location (repeatable)",
        )
        parser.add_argument("--rate-limit-burst", type=int, default=100)
        parser.add_argument("--rate-limit-interval", type=float, default=10.0)
        parser.add_argument("--rate-limit-daily", type=int, default=200_000)

    def build(args: argparse.Namespace) -> FakeGHLAPI:
        tokens = dict(pair.split("=", 1) for pair in args.token)
        return FakeGHLAPI(
            host=args.host,
            port=args.port,
            seed=args.seed,
            valid_tokens=tokens,
            rate_limit_burst=args.rate_limit_burst,
            rate_limit_interval=args.rate_limit_interval,
            rate_limit_daily=args.rate_limit_daily,
        )

    run_cli(argv, "Fake GoHighLevel (LeadConnector) API", build, add_args)


if __name__ == "__main__":
    main()
