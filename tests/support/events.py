"""Internal events for tests that feed a worker directly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from devtools.demo.ghl_events import number_of
from schemas.events import ContactChanged, ContactDeleted, ContactSnapshot, MessageIngested

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def message(tenant: str, contact: str, body: str, *, i: int = 0, direction: str = "inbound",
            sender: str = "lead", message_id: str | None = None, event_id: str | None = None,
            **extra: Any) -> MessageIngested:
    return MessageIngested(
        event_id=event_id or str(uuid.uuid4()), tenant_id=tenant, contact_id=contact,
        occurred_at=BASE + timedelta(minutes=i), received_at=BASE + timedelta(minutes=i),
        direction=direction, channel="sms", body=body,
        message_id=message_id or f"m-{uuid.uuid4().hex[:10]}", conversation_id=f"cv-{contact}",
        sender=sender, **extra,
    )


def contact_changed(tenant: str, contact: str, *, tags: list[str] | None = None,
                    change: str = "create", **fields: Any) -> ContactChanged:
    return ContactChanged(
        event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id=contact, occurred_at=BASE,
        received_at=BASE, change=change,
        # A number of the contact's own: the consent ledger suppresses every contact on an
        # opted-out number.
        contact=ContactSnapshot(**{"first_name": "Ana", "phone": number_of(contact, "+1512555"),
                                   "tags": tags or [], **fields}),
    )


def contact_deleted(tenant: str, contact: str) -> ContactDeleted:
    return ContactDeleted(event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id=contact,
                          occurred_at=BASE, received_at=BASE)
