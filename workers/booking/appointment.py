"""What a GHL appointment event means for a lead (pure): booked, or cancelled.

GHL reports appointments made or changed in GHL (AppointmentCreate / Update / Delete, with
`appointmentStatus` one of new, confirmed, cancelled, showed, noshow, invalid); the
assistant's own bookings are recorded the same way (`booked_by = 'assistant'`). A booked
appointment ends a lead's follow-ups; a cancelled one (or a deleted one) restarts them.
"""

from __future__ import annotations

from typing import Literal

Effect = Literal["booked", "cancelled"]
# Withdrawn: the appointment never happened (the funnel does not count it as booked).
WITHDRAWN = frozenset({"cancelled", "canceled", "invalid", "deleted"})
# No live appointment any more (withdrawn, or the lead did not show): follow-ups restart.
CANCELLED = WITHDRAWN | {"noshow"}
BOOKED = frozenset({"new", "confirmed", "booked", "showed"})


def status_of(ghl_type: str, status: str | None) -> str:
    """The status to store: a deleted appointment is `deleted`, else GHL's status in lower
    case (`new` when GHL sent none)."""
    if ghl_type == "AppointmentDelete":
        return "deleted"
    return (status or "new").strip().lower() or "new"


def effect(ghl_type: str, status: str | None) -> Effect | None:
    """booked, cancelled, or None (a status we do not know: nothing changes)."""
    s = status_of(ghl_type, status)
    if s in CANCELLED:
        return "cancelled"
    return "booked" if s in BOOKED else None
