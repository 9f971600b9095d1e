"""Builders of realistic GHL webhook bodies (shapes from shared/GHL.md).

Used by the demo stream, the tests and the benchmarks, so every producer of sample events
speaks the same payloads.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any


def _iso(when: datetime | None) -> str:
    return (when or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def number_of(contact: str, prefix: str) -> str:
    """A phone number of the contact's own under `prefix` (stable: derived from its id)."""
    digits = 12 - len(prefix.lstrip("+"))
    value = int(hashlib.sha256(contact.encode()).hexdigest(), 16) % 10**digits
    return f"{prefix}{value:0{digits}d}"


def inbound_message(
    location: str, contact: str, body: str, *, channel: str = "SMS",
    message_id: str | None = None, conversation: str | None = None,
    webhook_id: str | None = None, when: datetime | None = None,
    from_: str | None = None,
) -> dict[str, Any]:
    """An inbound message; `from_` is the lead's number (an SMS's sender becomes the contact's
    phone when GHL has none). By default a UK number of the contact's own, so that no US area
    code's zone is added to the contact's in tests that pick a zone by the hour, and no two
    contacts share a number (the consent ledger suppresses every contact on an opted-out
    number)."""
    from_ = from_ or number_of(contact, "+447700")
    return {
        "type": "InboundMessage",
        "locationId": location,
        "webhookId": webhook_id or str(uuid.uuid4()),
        "timestamp": _iso(when),
        "attachments": [],
        "body": body,
        "contactId": contact,
        "contentType": "text/plain",
        "conversationId": conversation or f"conv-{contact}",
        "dateAdded": _iso(when),
        "direction": "inbound",
        "messageType": channel,
        "messageId": message_id or f"msg-{uuid.uuid4().hex[:16]}",
        "status": "delivered",
        "from": from_,
        "to": "+15125550199",
        "messageTypeString": f"TYPE_{channel.upper()}",
    }


def outbound_message(
    location: str, contact: str, body: str, *, source: str = "app", user_id: str | None = None,
    channel: str = "SMS", message_id: str | None = None, webhook_id: str | None = None,
    when: datetime | None = None,
) -> dict[str, Any]:
    event = inbound_message(location, contact, body, channel=channel, message_id=message_id,
                            webhook_id=webhook_id, when=when)
    event.update(type="OutboundMessage", direction="outbound", source=source)
    if user_id:
        event["userId"] = user_id
    return event


def contact_event(
    location: str, contact: str, *, type_: str = "ContactCreate", first: str = "Sam",
    last: str = "Lee", phone: str | None = None, email: str | None = None,
    tags: list[str] | None = None, dnd: bool = False,
    dnd_settings: dict[str, dict[str, str]] | None = None, webhook_id: str | None = None,
    when: datetime | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": type_, "locationId": location, "webhookId": webhook_id or str(uuid.uuid4()),
        "timestamp": _iso(when), "id": contact, "firstName": first, "lastName": last,
        "name": f"{first} {last}",
        "email": email or f"{first.lower()}.{contact.lower()}@example.com",
        "phone": phone or number_of(contact, "+1512555"), "source": "zillow",
        "dateAdded": _iso(when), "dnd": dnd,
        "tags": tags or ["buyer-lead"], "customFields": [{"id": "cf_budget", "value": ""}],
        "country": "US",
    }
    if dnd_settings is not None:
        event["dndSettings"] = dnd_settings
    return event


def opportunity_event(location: str, contact: str, *, stage: str = "new",
                      value: float = 450000.0, when: datetime | None = None) -> dict[str, Any]:
    return {
        "type": "OpportunityStageUpdate", "locationId": location,
        "webhookId": str(uuid.uuid4()), "timestamp": _iso(when),
        "id": f"opp-{contact}", "contactId": contact, "name": "Buyer - 3bd", "status": "open",
        "monetaryValue": value, "pipelineId": "pipe-1", "pipelineStageId": stage,
        "source": "website", "dateAdded": _iso(when),
    }


def appointment_event(location: str, contact: str, *, when: datetime | None = None
                      ) -> dict[str, Any]:
    return {
        "type": "AppointmentCreate", "locationId": location, "webhookId": str(uuid.uuid4()),
        "timestamp": _iso(when),
        "appointment": {
            "id": f"appt-{contact}", "calendarId": "cal-1", "contactId": contact,
            "title": "Showing: 12 Elm St", "address": "12 Elm St", "appointmentStatus":
            "confirmed", "startTime": _iso(when), "endTime": _iso(when),
            "dateAdded": _iso(when),
        },
    }


def app_event(kind: str, *, location: str | None = None, company: str = "co-demo",
              locations: list[str] | None = None, app: str = "app-leadmem",
              company_name: str = "Demo Agency", when: datetime | None = None
              ) -> dict[str, Any]:
    """The Marketplace app's INSTALL / UNINSTALL (GHL.md "Marketplace app"): for a location,
    or (no `location`) agency-level, optionally listing `locations` (a bulk install)."""
    event: dict[str, Any] = {
        "type": kind, "appId": app, "companyId": company, "webhookId": str(uuid.uuid4()),
        "timestamp": _iso(when),
    }
    if location is not None:
        event["locationId"] = location
    if locations is not None:
        event["locationIds"] = list(locations)
    if kind == "INSTALL":
        event.update({"userId": "user-admin", "planId": "plan-1",
                      "trial": {"onTrial": False}, "isWhitelabelCompany": False,
                      "companyName": company_name})
    return event
