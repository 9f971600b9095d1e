"""GHL webhook -> internal event. Pure: no I/O, the same input always gives the same event."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Literal

from schemas.envelope import derive_event_id
from schemas.events import (
    Channel,
    ContactChanged,
    ContactDeleted,
    ContactSnapshot,
    ConversationEvent,
    LeadActivityRecorded,
    MessageIngested,
    Sender,
)
from schemas.ghl import (
    AppointmentWebhook,
    ContactWebhook,
    ConversationUnreadWebhook,
    MessageWebhook,
    NoteWebhook,
    OpportunityWebhook,
    TaskWebhook,
    Webhook,
)
from workers.ingestion.decode import parse_time

_CHANNELS: dict[str, Channel] = {
    "sms": "sms", "text": "sms", "email": "email", "call": "call", "phone": "call",
    "voicemail": "voicemail", "gmb": "gmb", "google": "gmb", "fb": "fb", "facebook": "fb",
    "messenger": "fb", "ig": "ig", "instagram": "ig", "livechat": "live_chat",
    "webchat": "live_chat", "chat": "live_chat", "whatsapp": "whatsapp",
}
_AUTOMATION_SOURCES = {"workflow", "campaign", "bulk_actions", "bulk_action", "trigger"}
_CONTACT_CHANGE: dict[str, Literal["create", "update", "tags", "dnd"]] = {
    "ContactCreate": "create", "ContactUpdate": "update",
    "ContactTagUpdate": "tags", "ContactDndUpdate": "dnd",
}


def normalise_channel(*names: str | None) -> Channel:
    """GHL spells channels many ways (`SMS`, `TYPE_SMS`, `Live_Chat`, `VoiceMail`)."""
    for name in names:
        if not name:
            continue
        key = re.sub(r"[^a-z]", "", name.lower().removeprefix("type_"))
        if key in _CHANNELS:
            return _CHANNELS[key]
    return "other"


def dedupe_key(webhook: Webhook, raw: bytes) -> str:
    """`webhookId` when GHL sent one, else a hash of the exact bytes."""
    if webhook.webhookId:
        return f"wh:{webhook.webhookId}"
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def classify_sender(webhook: MessageWebhook) -> Sender:
    """Who wrote a message. An outbound API message may be our own reply's echo: the memory
    worker links it to the reply (by GHL message id) and calls it `ai` then."""
    if (webhook.direction or "").lower() == "inbound" or webhook.type == "InboundMessage":
        return "lead"
    source = (webhook.source or "").lower()
    if source in _AUTOMATION_SOURCES:
        return "workflow"
    if webhook.userId:
        return "human"
    return "system"


def _contact_snapshot(w: ContactWebhook) -> ContactSnapshot:
    """The contact as the webhook describes it; DND it does not mention stays None (a partial
    view says nothing about it, so memory merges instead of overwriting)."""
    dnd_channels = None if w.dndSettings is None else {
        normalise_channel(name) if normalise_channel(name) != "other" else name.lower():
        (setting.status or "inactive").lower()
        for name, setting in w.dndSettings.items()
    }
    return ContactSnapshot(
        first_name=w.firstName, last_name=w.lastName, name=w.name, email=w.email,
        phone=w.phone, timezone=w.timezone, city=w.city, state=w.state,
        postal_code=w.postalCode, source=w.source, assigned_to=w.assignedTo,
        tags=list(dict.fromkeys(t.strip() for t in w.tags if t and t.strip())),
        custom_fields={f.id: f.value for f in w.customFields},
        dnd=w.dnd, dnd_channels=dnd_channels,
    )


def normalise(webhook: Webhook, raw: bytes, received_at: datetime) -> ConversationEvent:
    """The internal event a webhook stands for; ids derive from the delivery's dedupe key."""
    tenant = webhook.locationId
    key = dedupe_key(webhook, raw)
    base: dict[str, Any] = {
        "event_id": derive_event_id(tenant, "ingestion", key),
        "tenant_id": tenant,
        "received_at": received_at,
        "causation_id": webhook.webhookId,
    }
    when = parse_time(webhook.timestamp) or received_at

    if isinstance(webhook, MessageWebhook):
        outbound = webhook.type == "OutboundMessage" or (webhook.direction or "") == "outbound"
        channel = normalise_channel(webhook.messageType, webhook.messageTypeString)
        if channel == "call" and (webhook.status or "").lower() == "voicemail":
            channel = "voicemail"
        return MessageIngested(
            **base,
            contact_id=webhook.contactId,
            occurred_at=parse_time(webhook.dateAdded) or when,
            direction="outbound" if outbound else "inbound",
            channel=channel,
            body=webhook.body or "",
            message_id=webhook.messageId,
            conversation_id=webhook.conversationId,
            sender=classify_sender(webhook),
            user_id=webhook.userId,
            source=webhook.source,
            subject=webhook.subject,
            status=webhook.status,
            attachments=[str(a) for a in webhook.attachments][:20],
            from_address=webhook.from_ if not outbound and channel == "sms" else None,
        )
    if isinstance(webhook, ContactWebhook):
        occurred = parse_time(webhook.dateAdded) if webhook.type == "ContactCreate" else None
        if webhook.type == "ContactDelete":
            return ContactDeleted(**base, contact_id=webhook.id, occurred_at=when)
        return ContactChanged(
            **base,
            contact_id=webhook.id,
            occurred_at=occurred or when,
            change=_CONTACT_CHANGE.get(webhook.type, "update"),
            contact=_contact_snapshot(webhook),
            changed_at=parse_time(webhook.dateUpdated) or parse_time(webhook.timestamp),
        )
    return _activity(webhook, base, when)


def _activity(webhook: Webhook, base: dict[str, Any], when: datetime) -> LeadActivityRecorded:
    extra = webhook.model_dump(mode="json", exclude={"type", "locationId", "webhookId",
                                                     "timestamp"})
    if isinstance(webhook, OpportunityWebhook):
        return LeadActivityRecorded(
            **base, contact_id=webhook.contactId, occurred_at=parse_time(webhook.dateAdded) or when,
            kind="opportunity", ghl_type=webhook.type, ref_id=webhook.id, title=webhook.name,
            status=webhook.status, data=extra,
        )
    if isinstance(webhook, AppointmentWebhook):
        appt = webhook.appointment
        return LeadActivityRecorded(
            **base, contact_id=appt.contactId, occurred_at=parse_time(appt.dateAdded) or when,
            kind="appointment", ghl_type=webhook.type, ref_id=appt.id, title=appt.title,
            status=appt.appointmentStatus, data=extra,
        )
    if isinstance(webhook, NoteWebhook | TaskWebhook):
        return LeadActivityRecorded(
            **base, contact_id=webhook.contactId,
            occurred_at=parse_time(webhook.dateAdded) or when,
            kind="note" if isinstance(webhook, NoteWebhook) else "task",
            ghl_type=webhook.type, ref_id=webhook.id,
            title=getattr(webhook, "title", None), data=extra,
        )
    if isinstance(webhook, ConversationUnreadWebhook):
        return LeadActivityRecorded(
            **base, contact_id=webhook.contactId, occurred_at=when, kind="conversation",
            ghl_type=webhook.type, ref_id=webhook.id, data=extra,
        )
    contact = extra.get("contactId") or extra.get("id")
    return LeadActivityRecorded(
        **base, contact_id=str(contact) if contact else None, occurred_at=when,
        kind="unknown", ghl_type=webhook.type[:64], data=extra,
    )
