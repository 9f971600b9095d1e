"""What a lead's message does to booking (pure): nothing, ask GHL for free slots and offer
them, book the slot the lead chose, or find out whether a booking that was under way when
something crashed went through. No I/O; the shell is `responder.booking`.

| open offer                 | the message                       | step                         |
|----------------------------|-----------------------------------|------------------------------|
| `booking` (crash mid-way)  | anything                          | Reconcile (never book twice) |
| live `offered`             | picks one (`choice.choose`)       | Book that slot               |
| live `offered`             | none of them works                | Ask again, after the last    |
| live `offered`, or none    | asks to see a home, meet or talk  | Ask (offer 2-3 free slots)   |
| anything else              |                                   | None: the usual reply        |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workers.booking.choice import choose
from workers.booking.offers import Offer
from workers.booking.wants import Kind, wants_appointment


@dataclass(frozen=True)
class Ask:
    """Offer free slots (of `kind`), from `after` on when the lead turned the last ones down."""

    kind: Kind
    after: datetime | None = None


@dataclass(frozen=True)
class Book:
    offer: Offer
    start: datetime


@dataclass(frozen=True)
class Reconcile:
    """The offer's slot was chosen and GHL asked, but nothing recorded its answer."""

    offer: Offer


Step = Ask | Book | Reconcile | None


def step(text: str, offer: Offer | None, now: datetime) -> Step:
    """The booking step of the lead's message `text`, given its open offer."""
    if offer is not None and offer.state == "booking":
        return Reconcile(offer)
    if offer is not None and offer.live(now):
        choice = choose(text, offer.slots, offer.timezone, now)
        if choice.kind == "picked" and choice.index is not None:
            return Book(offer, offer.slots[choice.index])
        if choice.kind == "none":
            return Ask(offer.kind, after=max(offer.slots))
    kind = wants_appointment(text)
    return None if kind is None else Ask(kind)
