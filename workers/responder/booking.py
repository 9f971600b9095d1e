"""Booking, the responder's shell: when a lead who may be texted asks to see a home (or to
meet, or to talk) and its tenant mapped a calendar (`tenant config --calendar`), the reply
offers 2-3 free slots from GHL in the lead's timezone; the lead's choice, in words, books it
on the agent's calendar and the reply confirms it. What a message does is decided by
`workers.booking.flow`; the texts by `workers.booking.slots`.

Never twice: the chosen slot is committed (`booking`) before GHL is asked. When GHL's answer
is lost (a crash, a 5xx, a reset after the request went out), the next attempt looks for the
appointment on the lead's GHL record before it books again (`Reconcile`). A slot taken
meanwhile (GHL's 400) gets the next free ones offered. A booked appointment is recorded
(`appointments`, booked by the assistant) and ends the lead's follow-ups in the same
transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from prometheus_client import Counter

from schemas.context import LeadContext
from schemas.envelope import utcnow
from workers.booking import flow, offers, slots
from workers.booking import store as appointments
from workers.booking.offers import Offer
from workers.booking.wants import Kind
from workers.errors import PipelineError, RetryableError
from workers.ghl.calendars import (
    BookingInDoubtError,
    CalendarsClient,
    SlotTakenError,
    find_appointment,
)
from workers.ghl.client import ReplyRejectedError
from workers.ghl.sender import Sender
from workers.replies.row import Reply
from workers.responder import draft, guards
from workers.responder.first_touch import text_language
from workers.responder.store import LeadFacts
from workers.runtime.ports import Transactions
from workers.timers import store as timers
from workers.timers.core import LeadEvent

log = logging.getLogger(__name__)
BOOKINGS = Counter("leadmem_bookings_total",
                   "Booking steps by outcome: offered, no_slots, booked, taken, reconciled, "
                   "failed (GHL refused: the agent is asked), unavailable (GHL could not be "
                   "asked: the usual reply instead).",
                   ["outcome"])
WINDOW = timedelta(days=7)  # free slots are looked for this far ahead
DEFAULT_TZ = "America/New_York"
TITLES = {"showing": "Showing", "call": "Call"}
BOOKING_FAILED = ("The lead chose a time and GHL refused the booking ({error}). Please reach "
                  "out to set a time.")
NO_SLOTS_NOTE = ("The lead asked for a {kind} and the calendar shows no free time in the next "
                 "7 days. Please reach out to set a time.")


class Calendar(Protocol):
    """GHL's calendar calls for one location (the tenant), through its `Sender`."""

    async def free_slots(self, location: str, calendar: str, start: datetime,
                         end: datetime, tz: str) -> dict[str, Any]: ...

    async def book(self, location: str, *, calendar: str, contact: str, start: datetime,
                   title: str, assigned_to: str | None) -> dict[str, Any]: ...

    async def appointments(self, location: str, contact: str) -> list[dict[str, Any]]: ...


class GhlCalendar:
    """`Calendar` over `workers.ghl.calendars`: reads repeated when in doubt, a booking
    never (its doubt is the caller's to reconcile)."""

    def __init__(self, sender: Sender, client: CalendarsClient) -> None:
        self.sender, self.client = sender, client

    async def free_slots(self, location: str, calendar: str, start: datetime,
                         end: datetime, tz: str) -> dict[str, Any]:
        client = self.client
        return await self.sender.call(
            location, lambda token: client.free_slots(token, calendar, start, end, tz),
            idempotent=True)

    async def book(self, location: str, *, calendar: str, contact: str, start: datetime,
                   title: str, assigned_to: str | None) -> dict[str, Any]:
        client = self.client
        return await self.sender.call(location, lambda token: client.book(
            token, calendar_id=calendar, location_id=location, contact_id=contact,
            start=start, title=title, assigned_user_id=assigned_to))

    async def appointments(self, location: str, contact: str) -> list[dict[str, Any]]:
        client = self.client
        return await self.sender.call(
            location, lambda token: client.contact_appointments(token, contact),
            idempotent=True)


class Booker:
    def __init__(self, db: Transactions, calendar: Calendar,
                 now: Callable[[], datetime] = utcnow) -> None:
        self.db, self.calendar, self.now = db, calendar, now

    async def reply(self, turn: draft.Turn, verdict: guards.Verdict, facts: LeadFacts,
                    ctx: LeadContext) -> Reply | None:
        """The reply when the lead's message is a booking step; None: the usual reply."""
        calendar = facts.tenant.calendar_id
        if verdict.action != "reply" or not calendar:
            return None
        e = turn.event
        assert e.contact_id is not None
        text = next((m.body for m in reversed(ctx.memory.recent)
                     if m.message_id == e.message_id), None)
        if text is None:
            return None
        async with self.db.transaction(e.tenant_id) as conn:
            done = await offers.booked_for(conn, e.tenant_id, turn.key)
            offer = None if done else await offers.open_offer(conn, e.tenant_id, e.contact_id)
        lang = text_language(text)
        if done is not None:  # booked on this very message before a crash: confirm it
            return self._confirmed(turn, verdict, done, lang)
        tz = facts.lead.timezone or facts.tenant.timezone or DEFAULT_TZ
        step = flow.step(text, offer, turn.now)
        if isinstance(step, flow.Ask):
            return await self._offer(turn, verdict, facts, calendar, tz, step.kind, lang,
                                     after=step.after)
        if isinstance(step, flow.Book):
            async with self.db.transaction(e.tenant_id) as conn:  # before GHL is asked
                await offers.move(conn, step.offer, "booking", turn.now,
                                  chosen_start=step.start, message_id=turn.key)
            return await self._book(turn, verdict, facts, step.offer, step.start, lang)
        if isinstance(step, flow.Reconcile):
            start = step.offer.chosen_start
            assert start is not None
            found = await self._find(step.offer, start)
            if found is not None:
                BOOKINGS.labels("reconciled").inc()
                return await self._booked(turn, verdict, step.offer, start, found, lang)
            return await self._book(turn, verdict, facts, step.offer, start, lang)
        return None

    async def _free(self, tenant: str, calendar: str, tz: str, now: datetime,
                    after: datetime | None, exclude: datetime | None = None
                    ) -> list[datetime] | None:
        """2-3 free slots to offer (None: GHL could not be asked)."""
        start = max(now, after or now)
        try:
            body = await self.calendar.free_slots(tenant, calendar, start, start + WINDOW, tz)
            free = [s for s in slots.parse_free_slots(body) if s > start and s != exclude]
        except (PipelineError, ValueError) as exc:  # GHL down, refused, or an odd answer
            log.warning("booking: free slots of %s/%s unavailable: %r", tenant, calendar, exc)
            BOOKINGS.labels("unavailable").inc()
            return None
        return slots.pick(free, now, tz=tz)

    async def _offer(self, turn: draft.Turn, verdict: guards.Verdict, facts: LeadFacts,
                     calendar: str, tz: str, kind: Kind, lang: slots.Language, *,
                     after: datetime | None = None) -> Reply | None:
        e = turn.event
        assert e.contact_id is not None
        async with self.db.transaction(e.tenant_id) as conn:  # this message offered already
            made = await offers.get(conn, e.tenant_id, offers.offer_id(turn.key))
        if made is not None and made.state == "offered":
            chosen: list[datetime] | None = list(made.slots)
        else:
            chosen = await self._free(e.tenant_id, calendar, tz, turn.now, after)
        if chosen is None:
            return None
        if not chosen:
            BOOKINGS.labels("no_slots").inc()
            body = slots.no_slots_text(lang)
            return draft.deterministic(turn, body, "booking_no_slots", verdict.send_after,
                                       ("handoff", NO_SLOTS_NOTE.format(kind=kind)))
        await self._save_offer(turn, Offer(e.tenant_id, offers.offer_id(turn.key),
                                           e.contact_id, calendar, kind, tz, tuple(chosen),
                                           message_id=turn.key))
        BOOKINGS.labels("offered").inc()
        return draft.deterministic(turn, slots.offer_text(chosen, tz, lang), "booking_offer",
                                   verdict.send_after)

    async def _book(self, turn: draft.Turn, verdict: guards.Verdict, facts: LeadFacts,
                    offer: Offer, start: datetime, lang: slots.Language) -> Reply | None:
        try:
            appt = await self.calendar.book(
                offer.tenant_id, calendar=offer.calendar_id, contact=offer.contact_id,
                start=start, title=f"{TITLES[offer.kind]}: {facts.lead.first_name or 'lead'}",
                assigned_to=facts.lead.assigned_to)
        except SlotTakenError:
            BOOKINGS.labels("taken").inc()
            async with self.db.transaction(offer.tenant_id) as conn:
                await offers.move(conn, offer, "taken", turn.now)
            chosen = await self._free(offer.tenant_id, offer.calendar_id, offer.timezone,
                                      turn.now, None, exclude=start)
            if chosen:  # the next ones, offered by this message
                await self._save_offer(turn, Offer(
                    offer.tenant_id, offers.offer_id(turn.key), offer.contact_id,
                    offer.calendar_id, offer.kind, offer.timezone, tuple(chosen),
                    message_id=turn.key))
            return draft.deterministic(turn, slots.taken_text(chosen or [], offer.timezone, lang),
                                       "booking_offer", verdict.send_after)
        except BookingInDoubtError as exc:  # GHL may have booked it: look before anything
            found = await self._find(offer, start)
            if found is None:  # left `booking`: the retry reconciles again
                raise RetryableError(f"booking of {offer.contact_id} in doubt: {exc}") from exc
            appt = found
        except ReplyRejectedError as exc:  # refused otherwise: a person sets the time
            log.warning("booking: GHL refused %s/%s: %r", offer.tenant_id, offer.contact_id,
                        exc)
            BOOKINGS.labels("failed").inc()
            async with self.db.transaction(offer.tenant_id) as conn:
                await offers.move(conn, offer, "failed", turn.now)
            return draft.deterministic(turn, slots.no_slots_text(lang), "booking_no_slots",
                                       verdict.send_after,
                                       ("handoff", BOOKING_FAILED.format(error=exc)))
        return await self._booked(turn, verdict, offer, start, appt, lang)

    async def _find(self, offer: Offer, start: datetime) -> dict[str, Any] | None:
        events = await self.calendar.appointments(offer.tenant_id, offer.contact_id)
        return find_appointment(events, calendar_id=offer.calendar_id, start=start)

    async def _booked(self, turn: draft.Turn, verdict: guards.Verdict, offer: Offer,
                      start: datetime, appt: dict[str, Any], lang: slots.Language) -> Reply:
        """Record the appointment, end the follow-ups, and confirm it to the lead."""
        appointment_id = appt.get("id")
        if not isinstance(appointment_id, str) or not appointment_id:
            raise PipelineError(f"GHL booked {offer.contact_id} without an appointment id")
        async with self.db.transaction(offer.tenant_id) as conn:
            await offers.move(conn, offer, "booked", turn.now, appointment_id=appointment_id,
                              message_id=turn.key)
            await appointments.record_appointment(
                conn, offer.tenant_id, appointment_id, offer.contact_id, status="confirmed",
                at=turn.now, calendar_id=offer.calendar_id, start=start, booked_by="assistant")
            await timers.on_event(conn, offer.tenant_id, offer.contact_id,
                                  LeadEvent("booked", turn.now, appointment_id))
        BOOKINGS.labels("booked").inc()
        return self._confirmed(turn, verdict, replace(
            offer, state="booked", chosen_start=start, appointment_id=appointment_id,
            message_id=turn.key), lang)

    def _confirmed(self, turn: draft.Turn, verdict: guards.Verdict, offer: Offer,
                   lang: slots.Language) -> Reply:
        assert offer.chosen_start is not None
        body = slots.confirmation_text(offer.chosen_start, offer.timezone, lang, offer.kind)
        note = (f"Booked by the assistant: {TITLES[offer.kind].lower()} on "
                f"{slots.describe(offer.chosen_start, offer.timezone, 'en')} "
                f"(GHL appointment {offer.appointment_id}).")
        return draft.deterministic(turn, body, "booking_confirmed", verdict.send_after,
                                   ("coaching", note))

    async def _save_offer(self, turn: draft.Turn, offer: Offer) -> None:
        async with self.db.transaction(offer.tenant_id) as conn:
            await offers.save(conn, offer, turn.now)
