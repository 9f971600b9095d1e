"""The `booking_offers` table's one writer (migrations/0017), in the caller's tenant
transaction: the free slots offered to a lead, and what came of them.

An offer's id derives from the lead's message that asked (`offer_id`), so a redelivered
message finds the offer it made instead of asking GHL again. A lead has at most one open
offer (`offered` or `booking`, the unique index): a new one supersedes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import asyncpg

from workers.booking.wants import Kind

State = Literal["offered", "booking", "booked", "taken", "failed", "declined", "expired",
                "superseded"]
OPEN: tuple[State, ...] = ("offered", "booking")
LIFETIME = timedelta(days=3)  # an offer older than this is not what a lead's "Saturday" means
_COLUMNS = ("tenant_id, offer_id, contact_id, calendar_id, kind, timezone, slots, state, "
            "chosen_start, appointment_id, message_id, offered_at")


@dataclass(frozen=True)
class Offer:
    tenant_id: str
    offer_id: str
    contact_id: str
    calendar_id: str
    kind: Kind
    timezone: str
    slots: tuple[datetime, ...]
    state: State = "offered"
    chosen_start: datetime | None = None
    appointment_id: str | None = None
    message_id: str | None = None
    offered_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        """Still an answer's reference: open, recent, and with a slot not yet past."""
        recent = self.offered_at is None or now - self.offered_at <= LIFETIME
        return self.state in OPEN and recent and any(s > now for s in self.slots)


def offer_id(message_key: str) -> str:
    return f"offer:{message_key}"


def _offer(row: Mapping[str, Any]) -> Offer:
    raw = row["slots"]
    slots = json.loads(raw) if isinstance(raw, str) else list(raw)
    return Offer(row["tenant_id"], row["offer_id"], row["contact_id"], row["calendar_id"],
                 row["kind"], row["timezone"], tuple(datetime.fromisoformat(s) for s in slots),
                 row["state"], row["chosen_start"], row["appointment_id"], row["message_id"],
                 row["offered_at"])


async def open_offer(conn: asyncpg.Connection, tenant: str, contact: str) -> Offer | None:
    """The lead's open offer, locked until the transaction ends."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM booking_offers WHERE tenant_id = $1 AND contact_id = $2 "
        "AND state IN ('offered', 'booking') FOR UPDATE", tenant, contact)
    return None if row is None else _offer(row)


async def get(conn: asyncpg.Connection, tenant: str, offer: str) -> Offer | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM booking_offers WHERE tenant_id = $1 "
                              "AND offer_id = $2", tenant, offer)
    return None if row is None else _offer(row)


async def save(conn: asyncpg.Connection, offer: Offer, now: datetime) -> Offer:
    """Store a new offer, superseding the lead's open one; the stored offer when this one
    exists already (the same message again)."""
    existing = await get(conn, offer.tenant_id, offer.offer_id)
    if existing is not None:
        return existing
    await conn.execute(
        "UPDATE booking_offers SET state = 'superseded', updated_at = $3 WHERE tenant_id = $1 "
        "AND contact_id = $2 AND state IN ('offered', 'booking')",
        offer.tenant_id, offer.contact_id, now)
    await conn.execute(
        """INSERT INTO booking_offers (tenant_id, offer_id, contact_id, calendar_id, kind,
                                       timezone, slots, message_id, offered_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $9)""",
        offer.tenant_id, offer.offer_id, offer.contact_id, offer.calendar_id, offer.kind,
        offer.timezone, json.dumps([s.isoformat() for s in offer.slots]), offer.message_id,
        now)
    return Offer(offer.tenant_id, offer.offer_id, offer.contact_id, offer.calendar_id,
                 offer.kind, offer.timezone, offer.slots, "offered", None, None,
                 offer.message_id, now)


async def move(conn: asyncpg.Connection, offer: Offer, state: State, now: datetime, *,
               chosen_start: datetime | None = None, appointment_id: str | None = None,
               message_id: str | None = None) -> None:
    """offered -> booking (the chosen slot, committed before GHL is asked), booking ->
    booked (the appointment) | taken, offered -> declined | expired."""
    await conn.execute(
        """UPDATE booking_offers SET state = $3, updated_at = $4,
                  chosen_start = coalesce($5, chosen_start),
                  appointment_id = coalesce($6, appointment_id),
                  message_id = coalesce($7, message_id)
            WHERE tenant_id = $1 AND offer_id = $2""",
        offer.tenant_id, offer.offer_id, state, now, chosen_start, appointment_id, message_id)


async def booked_for(conn: asyncpg.Connection, tenant: str, message_id: str
                     ) -> Offer | None:
    """The offer booked on the lead's message `message_id` (a redelivered choice)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM booking_offers WHERE tenant_id = $1 AND message_id = $2 "
        "AND state = 'booked'", tenant, message_id)
    return None if row is None else _offer(row)


def later_than(slots: Sequence[datetime], offered: Sequence[datetime]) -> list[datetime]:
    """The free slots after the last one offered (the lead said none of those work)."""
    last = max(offered) if offered else None
    return [s for s in slots if last is None or s > last]
