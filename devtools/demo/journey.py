"""A lead's whole journey through an agency that takes the initiative (issue #26): texted
first, silent, followed up, answers, offered free slots, books a showing.

The journey's agency lists "Website Form" as a source whose leads may be texted first, has
a cadence of follow-ups in seconds and a calendar on the fake GHL with free slots in the
coming days. Everything reaches the pipeline as GHL sends it: signed webhooks POSTed to the
receiver (ContactCreate, the lead's InboundMessages, and GHL's OutboundMessage echo of each
text of ours). Each step waits for its effect with a timeout (never a fixed sleep): the text
the fake GHL took, then memory's record of it (which schedules the next follow-up), or the
appointment on the calendar. The lead's timezone is one where it is daytime now, and its
number has no US area code, so no quiet hours hold its texts whenever the demo runs.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from devtools.demo.ghl_events import contact_event, inbound_message, number_of, outbound_message
from devtools.demo.receiver import post_stream
from devtools.demo.services import PERSONAS
from devtools.demo.stream import Delivery
from devtools.fakes.ghl_api import DeliveredMessage, FakeGHLAPI
from workers.booking.slots import describe
from workers.cli.report_cmds import render, zone_of
from workers.db.tenant import TenantDatabase
from workers.outcomes import Funnel
from workers.outcomes import store as outcomes
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.tenants import validate
from workers.timers import store as timers
from workers.timers.follow_ups import iso, parse_cadence

AGENCY = "loc-denver-peak"
AREAS: dict[str, list[dict[str, Any]]] = {AGENCY: [
    {"name": "Highlands", "aliases": ["highlands"]},
    {"name": "Washington Park", "aliases": ["wash park", "washington park"]},
]}
NAME = PERSONAS[AGENCY][0]
SOURCE = "Website Form"  # the source whose leads may be texted first
CADENCE = "PT4S,PT8S"  # seconds, for the demo (an agency: PT1H,P1D,P3D,P7D,P14D)
CALENDAR = "cal-demo"
CONTACT, FIRST, LAST = "ct-maya", "Maya", "Chen"
AGENT = "user-jen"  # the contact's agent in GHL: the showing is booked on their calendar
PROPERTY = "418 Oak St"  # the property the form asked about (a custom field)
ANSWER = "Yes! Could I come see the one on Oak St?"
CHOICE = "the second one works"
STEP_TIMEOUT_S = 20.0  # each step's effect, on top of a follow-up's own wait
DAYTIME = (11, 17)  # the lead's local hours that no quiet-hours rule holds
# Zones tried for the lead, in order (the first where it is daytime now); else an Etc zone.
ZONES = ("America/Denver", "America/Chicago", "America/New_York", "America/Los_Angeles",
         "Pacific/Honolulu", "Europe/London", "Europe/Berlin", "Asia/Dubai", "Asia/Kolkata",
         "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland")
WHAT = {"first_touch": "first touch", "follow_up": "follow-up", "booking_offer": "slots offered",
        "booking_confirmed": "booking confirmed"}


def daytime_zone(now: datetime) -> str:
    """A zone where the local hour is now within `DAYTIME`."""
    lo, hi = DAYTIME
    names = list(ZONES) + [f"Etc/GMT{-h:+d}" if h else "Etc/GMT" for h in range(-12, 15)]
    for name in names:
        if lo <= now.astimezone(ZoneInfo(name)).hour < hi:
            return name
    raise ValueError(f"no zone has a local hour in [{lo}, {hi}) at {now.isoformat()}")


def free_slots(zone: str, now: datetime) -> list[datetime]:
    """The calendar's free slots: tomorrow at 10:00 and 14:00 and the day after at 11:00,
    in the lead's zone (offered in that order: the second is tomorrow at 14:00)."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    at = [(today + timedelta(days=1), 10), (today + timedelta(days=1), 14),
          (today + timedelta(days=2), 11)]
    return [datetime(d.year, d.month, d.day, h, tzinfo=tz) for d, h in at]


async def configure(db: TenantDatabase, ghl: FakeGHLAPI, tenant: str, zone: str,
                    now: datetime) -> list[datetime]:
    """Name the agency and switch its initiative on (first touch, follow-ups, booking: as
    `leadmem tenant add/config` do), and give it a calendar with free slots; returns the
    slots."""
    async with db.transaction(tenant) as conn:
        await tenants.add(conn, tenant, NAME)
        await tenants.update(conn, tenant, {**validate.first_touch_sources(SOURCE),
                                            **validate.follow_ups(CADENCE),
                                            **validate.calendar(CALENDAR)})
    slots = free_slots(zone, now)
    ghl.set_calendar(CALENDAR, tenant, slots, slot_minutes=30, timezone=zone)
    return slots


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: seconds since the lead came in, who, what."""

    at: float
    who: str
    text: str


class Stalled(Exception):
    """A step's effect did not come in time, or came otherwise than the journey expects."""


@dataclass
class Journey:
    db: TenantDatabase
    ghl: FakeGHLAPI
    url: str  # the receiver's webhook URL
    zone: str
    slots: list[datetime]
    tenant: str = AGENCY
    contact: str = CONTACT
    timeline: list[Entry] = field(default_factory=list)
    echoes: list[int] = field(default_factory=list)  # the receiver's answers to the echoes
    appointment: dict[str, Any] | None = None
    funnel: Funnel | None = None
    run_id: str = ""  # makes this run's GHL message ids new
    _start: float = 0.0

    @property
    def phone(self) -> str:
        return number_of(self.contact, "+447700")  # no US area code: the contact's zone rules

    async def run(self) -> bool:
        """The journey, printed as it goes; False when a step did not happen."""
        loop = asyncio.get_running_loop()
        self._start = loop.time()
        self.run_id = uuid.uuid4().hex[:8]
        try:
            await self._steps()
            self.funnel = await self._funnel()
        except Stalled as exc:
            print(f"    the journey stopped: {exc}", flush=True)
            await self._explain()
            return False
        return True

    async def _steps(self) -> None:
        cadence = parse_cadence(CADENCE)
        contact = contact_event(self.tenant, self.contact, first=FIRST, last=LAST,
                                phone=self.phone, tags=["buyer-lead"])
        contact.update(source=SOURCE, timezone=self.zone, assignedTo=AGENT,
                       customFields=[{"id": "cf_property", "value": PROPERTY}])
        await self._post(contact, "lead", f"fills in the {SOURCE} about {PROPERTY} "
                                          f"(ContactCreate)")
        await self._ours(1, "first_touch", STEP_TIMEOUT_S)
        await self._next_follow_up()
        await self._ours(2, "follow_up", cadence[0] + STEP_TIMEOUT_S)
        await self._next_follow_up()
        await self._says(ANSWER)
        await self._ours(3, "booking_offer", STEP_TIMEOUT_S)
        await self._says(CHOICE)
        self.appointment = await self._until(
            lambda: next(iter(self.ghl.appointments_of(self.tenant, self.contact)), None),
            "the appointment on the GHL calendar", STEP_TIMEOUT_S)
        start = datetime.fromisoformat(self.appointment["startTime"])
        self._entry("GHL", f"appointment booked on {self.appointment['calendarId']}: "
                           f"{self.appointment.get('title')!r}, "
                           f"{describe(start, self.zone, 'en')} ({self.zone}), assigned to "
                           f"{self.appointment.get('assignedUserId') or 'nobody'}")
        if start != self.slots[1]:
            raise Stalled(f"{CHOICE!r} booked {start.isoformat()}, not the second slot "
                          f"offered ({self.slots[1].isoformat()})")
        await self._ours(4, "booking_confirmed", STEP_TIMEOUT_S)
        async with self.db.transaction(self.tenant) as conn:
            left = await timers.open_timers(conn, self.tenant, self.contact)
        if left:
            raise Stalled(f"timers left open after the booking: "
                          f"{[(t.kind, t.due_at.isoformat()) for t in left]}")

    # --- the lead's side: signed webhooks to the receiver ------------------------------
    async def _says(self, text: str) -> None:
        message = inbound_message(self.tenant, self.contact, text, from_=self.phone,
                                  conversation=self._conversation(),
                                  message_id=f"m-{self.contact}-{self.run_id}-"
                                             f"{len(self.timeline)}")
        await self._post(message, "lead", repr(text))

    async def _post(self, event: dict[str, Any], who: str | None, text: str = "") -> None:
        raw = json.dumps(event, separators=(",", ":")).encode()
        [posted] = await post_stream(self.url, [Delivery(self.tenant, raw, event["type"])])
        if who is None:
            self.echoes.append(posted.status)
        else:
            self._entry(who, f"{text} → {posted.status}")
        if posted.status != 200:
            raise Stalled(f"the receiver answered {posted.status} {posted.outcome} to "
                          f"{event['type']}: {posted.error}")

    def _conversation(self) -> str | None:
        ours = self._texts()
        return ours[0].conversation_id if ours else None

    # --- the agency's side: what the fake GHL took, and memory's record of it ------------
    def _texts(self) -> list[DeliveredMessage]:
        return [m for m in self.ghl.delivered
                if m.location_id == self.tenant and m.contact_id == self.contact]

    async def _ours(self, n: int, mode: str, timeout_s: float) -> None:
        """Our `n`th text to the lead, of reply mode `mode`: taken by the fake GHL, then
        recorded by memory (which schedules what follows it); then GHL's echo of it."""
        what = f"our {WHAT[mode]} (text {n})"
        sent = await self._until(lambda: (t[n - 1] if len(t := self._texts()) >= n else None),
                                 what, timeout_s)
        got = await self._until(lambda: self._recorded(sent.message_id),
                                f"memory's record of {what}", STEP_TIMEOUT_S)
        self._entry("agency", f"{WHAT.get(got, got)}: {sent.message!r}")
        if got != mode:
            raise Stalled(f"expected {what}, the text was a {got!r} reply")
        echo = outbound_message(self.tenant, self.contact, sent.message, source="api",
                                message_id=sent.message_id)
        echo["conversationId"] = sent.conversation_id
        await self._post(echo, None)

    async def _recorded(self, message_id: str) -> str | None:
        """The mode of our reply memory stored under GHL's message id (None: not yet)."""
        async with self.db.transaction(self.tenant) as conn:
            mode: str | None = await conn.fetchval(
                """SELECT r.mode FROM messages m JOIN replies r
                     ON r.tenant_id = m.tenant_id AND r.idempotency_key = m.reply_key
                    WHERE m.tenant_id = $1 AND m.message_id = $2""", self.tenant, message_id)
        return mode

    async def _next_follow_up(self) -> None:
        async with self.db.transaction(self.tenant) as conn:
            follow = [t for t in await timers.open_timers(conn, self.tenant, self.contact)
                      if t.kind == "follow_up"]
        if not follow:
            raise Stalled("no follow-up was scheduled after our text")
        t = follow[0]
        step, steps = int(t.payload.get("step", 0)), int(t.payload.get("steps", 0))
        due = self._offset(t.due_at)
        self._entry("", f"  (follow-up {step + 1} of {steps} due at +{due:.1f} s unless "
                        f"{FIRST} writes)")

    # --- waiting, the timeline, the funnel ------------------------------------------------
    async def _until(self, check: Callable[[], Any], what: str, timeout_s: float) -> Any:
        """Poll `check` (sync or async) until it returns something; Stalled after
        `timeout_s`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            found = check()
            if asyncio.iscoroutine(found):
                found = await found
            if found is not None:
                return found
            if loop.time() > deadline:
                raise Stalled(f"waited {timeout_s:g} s for {what}")
            await asyncio.sleep(0.05)

    def _offset(self, at: datetime) -> float:
        """A wall-clock time as seconds since the journey began."""
        loop = asyncio.get_running_loop()
        return (at - datetime.now(UTC)).total_seconds() + loop.time() - self._start

    def _entry(self, who: str, text: str) -> None:
        entry = Entry(asyncio.get_running_loop().time() - self._start, who, text)
        self.timeline.append(entry)
        when = f"+{entry.at:.1f} s" if who else ""
        print(f"    {when:>8}  {who:6}  {text}", flush=True)

    async def _funnel(self) -> Funnel:
        until = datetime.now(UTC) + timedelta(seconds=1)
        async with self.db.transaction(self.tenant) as conn:
            result = await outcomes.read(conn, self.tenant, until - timedelta(days=7), until)
        wanted = {"new": 1, "texted": 1, "first_touched": 1, "replied": 1, "booked": 1}
        stages = result.stages()
        wrong = {k: stages[k] for k, n in wanted.items() if stages[k] != n}
        if wrong:
            raise Stalled(f"the funnel counts {wrong}, expected one lead at each of "
                          f"{', '.join(wanted)}")
        return result

    async def _explain(self) -> None:
        """What the pipeline did with the lead's texts, to see where it stopped."""
        async with self.db.transaction(self.tenant) as conn:
            rows = await conn.fetch(
                "SELECT mode, status, suppressed_reason, send_after FROM replies "
                "WHERE tenant_id = $1 AND contact_id = $2 ORDER BY created_at",
                self.tenant, self.contact)
            left = await timers.open_timers(conn, self.tenant, self.contact)
        for r in rows:
            print(f"      reply {r['mode']}: {r['status']}"
                  + (f" ({r['suppressed_reason']})" if r["suppressed_reason"] else "")
                  + (f", held until {r['send_after']}" if r["send_after"] else ""))
        for t in left:
            print(f"      open timer {t.kind} {t.state}, due {t.due_at.isoformat()}")


async def run_journey(settings: Settings, ghl: FakeGHLAPI, url: str,
                      tenant: str = AGENCY) -> Journey | None:
    """Configure `tenant` (installed and live already), walk its lead through the journey,
    print the timeline and the agency's funnel; the journey, or None when it did not
    complete."""
    now = datetime.now(UTC)
    zone = daytime_zone(now)
    db = await TenantDatabase.connect(settings.database_url, min_size=1, max_size=2)
    try:
        slots = await configure(db, ghl, tenant, zone, now)
        async with db.transaction(tenant) as conn:
            conf = await tenants.read(conn, tenant)
        local = now.astimezone(ZoneInfo(zone))
        print(f"4. a lead's journey at {conf.name or tenant} ({tenant}), which takes the "
              f"initiative")
        print(f"  first touch for leads from {SOURCE!r}; follow-ups after "
              f"{', '.join(iso(s) for s in conf.follow_ups)} of silence (seconds, for the "
              f"demo); showings booked on GHL calendar {conf.calendar_id} "
              f"({len(slots)} free slots)")
        print(f"  the lead: {FIRST} {LAST} ({CONTACT}), {number_of(CONTACT, '+447700')}, "
              f"GHL timezone {zone}, where it is {local:%H:%M} now (daytime: no quiet hours "
              f"hold a text)")
        journey = Journey(db, ghl, url, zone, slots, tenant)
        ok = await journey.run()
        if ok:
            echoes = Counter(journey.echoes)
            print(f"  GHL's OutboundMessage echo of each of our {len(journey.echoes)} texts "
                  f"was POSTed back → {', '.join(f'{s} ×{n}' for s, n in sorted(echoes.items()))}"
                  f" (memory links an echo to our reply: the journey went on after each, as it "
                  f"would not after an agent's own message)")
            print(f"  {FIRST}'s follow-ups left after the booking: none")
            assert journey.funnel is not None
            print(f"  the agency's funnel (leadmem report {tenant} --days 7):")
            for line in render(tenant, journey.funnel, zone_of(conf.timezone), conf.name):
                print(f"    {line}" if line else "")
        return journey if ok else None
    finally:
        await db.close()
