"""The `appointments` table's one writer (migrations/0017); runs in the caller's tenant
transaction. `booking_offers` is written by the booking shell beside it."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def record_appointment(conn: asyncpg.Connection, tenant: str, appointment_id: str,
                             contact: str, *, status: str, at: datetime,
                             calendar_id: str | None = None, start: datetime | None = None,
                             booked_by: str = "ghl") -> bool:
    """Store an appointment, or its new status when `at` is not older than the stored
    one's (webhooks arrive out of order); True when the row changed. Who booked it is kept
    from the first writer (our booking, or GHL's webhook)."""
    done = await conn.execute(
        """INSERT INTO appointments (tenant_id, appointment_id, contact_id, calendar_id,
                                     start_time, status, booked_by, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
           ON CONFLICT (tenant_id, appointment_id) DO UPDATE
              SET status = EXCLUDED.status,
                  calendar_id = coalesce(EXCLUDED.calendar_id, appointments.calendar_id),
                  start_time = coalesce(EXCLUDED.start_time, appointments.start_time),
                  updated_at = EXCLUDED.updated_at
            WHERE appointments.updated_at <= EXCLUDED.updated_at""",
        tenant, appointment_id, contact, calendar_id, start, status, booked_by, at)
    return done != "INSERT 0 0"
