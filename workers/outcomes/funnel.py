"""A tenant's lead funnel over a window, from plain rows (pure, stdlib only).

The funnel is a cohort: the leads that arrived in the window, and what has become of each of
them by the time of reading. So every stage is a subset of the new leads (opted out is a
loss beside the others), and the bars of a report compare like with like.

    stage          a lead that arrived in the window counts when...
    new            it arrived: the earlier of the contact's row (`contacts.created_at`, when
                   we first saw it: a ContactCreate or its first message) and its first
                   stored message (an imported lead's history is older than its row)
    texted         a text of ours was sent: a `replies` row GHL took (status `sent`, its
                   `sent_at`: `workers.replies.store.mark_sent`)
    first_touched  one of those was a first touch (reply mode `first_touch`,
                   `workers.responder.first_touch.MODE`): we wrote before the lead did
    replied        it wrote after our first text (its newest inbound message, the memory
                   worker's `contacts.last_inbound_at`, is later than that text)
    qualified      its qualification state (`workers.learning.qualification`, stored in
                   `lead_profiles.qualification`) has no open question left: the agency
                   knows enough to act
    booked         it has an appointment that is not cancelled (`appointments.status`, GHL's
                   appointmentStatus, read by `workers.booking.appointment`: withdrawn
                   ones — cancelled, invalid, deleted — do not count; a no-show does)
    opted_out      its consent, folded from the ledger (`workers.consent_ledger.fold`), is
                   opted out of some channel now

Time to first touch: from the lead's arrival to our first text actually sent, over the texted
leads (P50 and P95, nearest rank). Reply rate: replied / texted. The other rates are of the
new leads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workers.booking.appointment import WITHDRAWN

STAGES: tuple[str, ...] = (
    "new", "texted", "first_touched", "replied", "qualified", "booked", "opted_out")
# GHL appointment statuses that are not a booking (compared in lower case).
NOT_BOOKED = WITHDRAWN  # the booking owner's reading of GHL's statuses
QUANTILES: tuple[float, ...] = (0.5, 0.95)


@dataclass(frozen=True)
class Lead:
    """One lead's rows, as the store reads them."""

    contact_id: str
    arrived_at: datetime
    first_text_at: datetime | None = None  # our first text GHL took (replies.sent_at)
    first_touch: bool = False  # a first-touch text (reply mode first_touch) was sent
    last_inbound_at: datetime | None = None  # its newest message to us
    open_questions: Sequence[str] | None = None  # the qualification's open ones; None: none
    appointment_statuses: Sequence[str] = ()
    opted_out: bool = False  # the ledger's fold: opted out of some channel now


def texted(lead: Lead) -> bool:
    return lead.first_text_at is not None


def replied(lead: Lead) -> bool:
    return (lead.first_text_at is not None and lead.last_inbound_at is not None
            and lead.last_inbound_at > lead.first_text_at)


def qualified(lead: Lead) -> bool:
    """No qualification question left open (a lead never assessed has none answered)."""
    return lead.open_questions is not None and len(lead.open_questions) == 0


def booked(lead: Lead) -> bool:
    return any(s.lower() not in NOT_BOOKED for s in lead.appointment_statuses)


def time_to_first_text(lead: Lead) -> float | None:
    """Seconds from arrival to our first text (never negative: the clocks of GHL's message
    times and of our database may differ by a little)."""
    if lead.first_text_at is None:
        return None
    return max(0.0, (lead.first_text_at - lead.arrived_at).total_seconds())


def percentile(values: Iterable[float], q: float) -> float | None:
    """The nearest-rank percentile (`q` in (0, 1]): the smallest value with at least q of
    the values at or below it; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 < q <= 1:
        raise ValueError(f"a percentile in (0, 1], not {q}")
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Funnel:
    since: datetime
    until: datetime
    new_leads: int = 0
    leads_texted: int = 0
    first_touched: int = 0
    leads_replied: int = 0
    qualified: int = 0
    appointments_booked: int = 0  # leads with a booked appointment (not appointments)
    opted_out: int = 0
    time_to_first_touch_p50_s: float | None = None
    time_to_first_touch_p95_s: float | None = None

    @property
    def texted_rate(self) -> float | None:
        return _rate(self.leads_texted, self.new_leads)

    @property
    def first_touch_rate(self) -> float | None:
        return _rate(self.first_touched, self.new_leads)

    @property
    def reply_rate(self) -> float | None:
        """Of the leads we texted, the share that wrote back."""
        return _rate(self.leads_replied, self.leads_texted)

    @property
    def qualified_rate(self) -> float | None:
        return _rate(self.qualified, self.new_leads)

    @property
    def booked_rate(self) -> float | None:
        return _rate(self.appointments_booked, self.new_leads)

    @property
    def opted_out_rate(self) -> float | None:
        return _rate(self.opted_out, self.new_leads)

    def stages(self) -> dict[str, int]:
        """Leads per stage, in the order of `STAGES`."""
        return dict(zip(STAGES, (
            self.new_leads, self.leads_texted, self.first_touched, self.leads_replied,
            self.qualified, self.appointments_booked, self.opted_out), strict=True))

    def quantiles(self) -> dict[float, float | None]:
        """Time to first touch in seconds by quantile (None: no lead texted)."""
        return {0.5: self.time_to_first_touch_p50_s, 0.95: self.time_to_first_touch_p95_s}

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(), "until": self.until.isoformat(),
            "new_leads": self.new_leads, "leads_texted": self.leads_texted,
            "first_touched": self.first_touched, "leads_replied": self.leads_replied,
            "qualified": self.qualified, "appointments_booked": self.appointments_booked,
            "opted_out": self.opted_out,
            "time_to_first_touch_s": {"p50": self.time_to_first_touch_p50_s,
                                      "p95": self.time_to_first_touch_p95_s},
            "rates": {"texted": self.texted_rate, "first_touch": self.first_touch_rate,
                      "reply": self.reply_rate, "qualified": self.qualified_rate,
                      "booked": self.booked_rate, "opted_out": self.opted_out_rate},
        }


def funnel(leads: Iterable[Lead], since: datetime, until: datetime) -> Funnel:
    """The funnel of the leads that arrived in [since, until); others are left out."""
    if until <= since:
        raise ValueError(f"an empty window: {since.isoformat()} to {until.isoformat()}")
    cohort = [lead for lead in leads if since <= lead.arrived_at < until]
    waits = [w for w in map(time_to_first_text, cohort) if w is not None]
    p50, p95 = (percentile(waits, q) for q in QUANTILES)
    return Funnel(
        since=since, until=until, new_leads=len(cohort),
        leads_texted=sum(map(texted, cohort)),
        first_touched=sum(1 for lead in cohort if texted(lead) and lead.first_touch),
        leads_replied=sum(map(replied, cohort)), qualified=sum(map(qualified, cohort)),
        appointments_booked=sum(map(booked, cohort)),
        opted_out=sum(1 for lead in cohort if lead.opted_out),
        time_to_first_touch_p50_s=p50, time_to_first_touch_p95_s=p95,
    )
