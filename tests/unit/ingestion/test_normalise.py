"""GHL webhook -> ConversationEvent (normalise) and the delivery's dedupe key: each webhook
type maps to its event type and fields; ids are deterministic, so a retry is the same event."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.demo.ghl_events import (
    appointment_event,
    contact_event,
    inbound_message,
    number_of,
    opportunity_event,
    outbound_message,
)
from schemas.envelope import derive_event_id
from schemas.events import (
    CONVERSATION_EVENT,
    ContactChanged,
    ContactDeleted,
    ContactSnapshot,
    LeadActivityRecorded,
    MessageIngested,
)
from schemas.ghl import MessageWebhook, Webhook, parse_webhook
from workers.ingestion.decode import decode_webhook
from workers.ingestion.normalise import classify_sender, dedupe_key, normalise, normalise_channel

RECEIVED = datetime(2026, 12, 3, 12, 0, 5, tzinfo=UTC)
SENT = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)  # the delivery's `timestamp`
ADDED = datetime(2026, 12, 3, 11, 59, 0, tzinfo=UTC)  # the object's `dateAdded`
T_SENT = "2026-12-03T12:00:00.000Z"
T_ADDED = "2026-12-03T11:59:00.000Z"


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def event_of(data: dict[str, Any], received: datetime = RECEIVED) -> Any:
    body = encode(data)
    return normalise(decode_webhook(body, max_bytes=1_000_000), body, received)


def delivery(type_: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "locationId": "loc1", "webhookId": "wh-1", "timestamp": T_SENT,
            **fields}


def message(**change: Any) -> dict[str, Any]:
    data = inbound_message("loc1", "c1", "Is the 3 bed on Elm available?", message_id="m1",
                           conversation="cv1", webhook_id="wh-1", when=SENT)
    data["dateAdded"] = T_ADDED
    data.update(change)
    return {k: v for k, v in data.items() if v is not None}


# --- messages -------------------------------------------------------------------------------


def test_an_inbound_message() -> None:
    event = event_of(message())
    assert event == MessageIngested(
        event_id=derive_event_id("loc1", "ingestion", "wh:wh-1"),
        tenant_id="loc1", contact_id="c1", occurred_at=ADDED, received_at=RECEIVED,
        causation_id="wh-1", direction="inbound", channel="sms",
        body="Is the 3 bed on Elm available?", message_id="m1", conversation_id="cv1",
        sender="lead", user_id=None, source=None, subject=None, status="delivered",
        attachments=[], from_address=number_of("c1", "+447700"),
    )
    assert event.type == "message.ingested"


@pytest.mark.parametrize(("fields", "direction", "sender"), [
    ({"type": "InboundMessage", "direction": "inbound"}, "inbound", "lead"),
    ({"type": "InboundMessage", "direction": None}, "inbound", "lead"),
    ({"type": "OutboundMessage", "direction": "outbound", "source": "app", "userId": "u1"},
     "outbound", "human"),
    ({"type": "OutboundMessage", "direction": "outbound", "source": "workflow"},
     "outbound", "workflow"),
    ({"type": "OutboundMessage", "direction": "outbound", "source": "Workflow",
      "userId": "u1"}, "outbound", "workflow"),  # automation beats a user id
    ({"type": "OutboundMessage", "direction": "outbound", "source": "campaign"},
     "outbound", "workflow"),
    ({"type": "OutboundMessage", "direction": "outbound", "source": "bulk_actions"},
     "outbound", "workflow"),
    ({"type": "OutboundMessage", "direction": "outbound", "source": "bulk_action"},
     "outbound", "workflow"),
    ({"type": "OutboundMessage", "direction": "outbound", "source": "trigger"},
     "outbound", "workflow"),
    ({"type": "OutboundMessage", "direction": "outbound", "source": "api"},
     "outbound", "system"),  # our own reply's echo: the memory worker relabels it `ai`
    ({"type": "OutboundMessage", "direction": None, "source": None}, "outbound", "system"),
    ({"type": "OutboundMessage", "direction": "Inbound"}, "outbound", "lead"),
    ({"type": "InboundMessage", "direction": "outbound", "source": "app", "userId": "u1"},
     "outbound", "lead"),
])
def test_direction_and_sender(fields: dict[str, Any], direction: str, sender: str) -> None:
    event = event_of(message(**fields))
    assert isinstance(event, MessageIngested)
    assert (event.direction, event.sender) == (direction, sender)
    assert event.user_id == fields.get("userId")
    assert event.source == fields.get("source")


def test_an_outbound_message_from_the_demo_builder() -> None:
    data = outbound_message("loc1", "c1", "On my way", user_id="u7", webhook_id="wh-9",
                            when=SENT)
    event = event_of(data)
    assert isinstance(event, MessageIngested)
    assert (event.direction, event.sender, event.user_id, event.source) == \
        ("outbound", "human", "u7", "app")


@pytest.mark.parametrize(("message_type", "type_string", "status", "channel"), [
    ("SMS", "TYPE_SMS", "delivered", "sms"),
    ("sms", None, None, "sms"),
    (None, "TYPE_SMS", None, "sms"),
    ("Email", "TYPE_EMAIL", None, "email"),
    ("CALL", "TYPE_CALL", "completed", "call"),
    ("CALL", "TYPE_CALL", "voicemail", "voicemail"),
    ("CALL", None, "VoiceMail", "voicemail"),
    ("VoiceMail", None, None, "voicemail"),
    ("GMB", None, None, "gmb"),
    ("FB", "TYPE_FACEBOOK", None, "fb"),
    (None, "TYPE_FACEBOOK", None, "fb"),
    ("IG", None, None, "ig"),
    ("TYPE_INSTAGRAM", None, None, "ig"),
    ("Live_Chat", "TYPE_LIVE_CHAT", None, "live_chat"),
    ("TYPE_WEBCHAT", None, None, "live_chat"),
    ("WhatsApp", "TYPE_WHATSAPP", None, "whatsapp"),
    ("Custom", "TYPE_SMS", None, "sms"),  # the first name GHL spells known wins
    ("Custom", None, None, "other"),
    (None, None, None, "other"),
    ("", "", None, "other"),
    ("SMS", None, "voicemail", "sms"),  # only a call becomes a voicemail
])
def test_channel(message_type: str | None, type_string: str | None, status: str | None,
                 channel: str) -> None:
    event = event_of(message(messageType=message_type, messageTypeString=type_string,
                             status=status))
    assert event.channel == channel
    assert event.status == status


@pytest.mark.parametrize(("names", "channel"), [
    (("SMS",), "sms"), (("TYPE_SMS",), "sms"), (("text",), "sms"), (("Phone",), "call"),
    (("VOICE-MAIL",), "voicemail"), (("google",), "gmb"), (("Messenger",), "fb"),
    (("Instagram",), "ig"), (("chat",), "live_chat"), (("live chat",), "live_chat"),
    (("whats_app",), "whatsapp"), ((None, "", "fax", "email"), "email"), (("fax",), "other"),
    ((), "other"),
])
def test_normalise_channel(names: tuple[str | None, ...], channel: str) -> None:
    assert normalise_channel(*names) == channel


def test_an_email_message() -> None:
    event = event_of(message(messageType="Email", messageTypeString="TYPE_EMAIL",
                             subject="Re: 12 Elm St", body="<p>Yes</p>",
                             to=["agent@example.com"], threadId="th1"))
    assert isinstance(event, MessageIngested)
    assert (event.channel, event.subject, event.body) == ("email", "Re: 12 Elm St", "<p>Yes</p>")


def test_a_message_without_a_body_has_an_empty_one() -> None:
    assert event_of(message(body=None)).body == ""


def test_attachments_become_strings_and_at_most_20() -> None:
    urls = [f"https://cdn.example.com/{i}.png" for i in range(25)]
    assert event_of(message(attachments=urls)).attachments == urls[:20]
    odd = event_of(message(attachments=[{"url": "u"}, 3]))
    assert odd.attachments == ["{'url': 'u'}", "3"]


@pytest.mark.parametrize(("fields", "occurred"), [
    ({"dateAdded": T_ADDED, "timestamp": T_SENT}, ADDED),
    ({"dateAdded": None, "timestamp": T_SENT}, SENT),
    ({"dateAdded": "", "timestamp": T_SENT}, SENT),
    ({"dateAdded": None, "timestamp": None}, RECEIVED),
    ({"dateAdded": "1796299140000", "timestamp": None}, ADDED),  # epoch ms as digits
])
def test_a_message_occurred_when_added_else_sent_else_received(
    fields: dict[str, Any], occurred: datetime
) -> None:
    assert event_of(message(**fields)).occurred_at == occurred


# --- contacts -------------------------------------------------------------------------------


def contact(type_: str = "ContactCreate", **change: Any) -> dict[str, Any]:
    data = contact_event("loc1", "c1", type_=type_, webhook_id="wh-1", when=SENT)
    data["dateAdded"] = T_ADDED
    data.update(change)
    return data


@pytest.mark.parametrize(("type_", "change", "occurred"), [
    ("ContactCreate", "create", ADDED),     # a new contact occurred when it was added
    ("ContactUpdate", "update", SENT),      # the others when the delivery was sent
    ("ContactTagUpdate", "tags", SENT),
    ("ContactDndUpdate", "dnd", SENT),
])
def test_contact_changes(type_: str, change: str, occurred: datetime) -> None:
    event = event_of(contact(type_))
    assert isinstance(event, ContactChanged)
    assert event.type == "contact.changed"
    assert (event.change, event.contact_id, event.tenant_id) == (change, "c1", "loc1")
    assert event.occurred_at == occurred
    assert event.causation_id == "wh-1"
    assert event.event_id == derive_event_id("loc1", "ingestion", "wh:wh-1")


def test_a_contact_created_without_a_date_added_occurred_when_sent() -> None:
    assert event_of(contact(dateAdded=None)).occurred_at == SENT


def test_a_contact_delete() -> None:
    event = event_of(contact("ContactDelete"))
    assert event == ContactDeleted(
        event_id=derive_event_id("loc1", "ingestion", "wh:wh-1"), tenant_id="loc1",
        contact_id="c1", occurred_at=SENT, received_at=RECEIVED, causation_id="wh-1",
    )


def test_the_contact_snapshot() -> None:
    event = event_of(contact(
        "ContactUpdate", firstName="Ana", lastName="Ruiz", name="Ana Ruiz",
        email="ana@example.com", phone="+15125550100", timezone="America/Chicago",
        city="Austin", state="TX", postalCode="78701", source="zillow", assignedTo="u1",
        tags=[" hot ", "buyer", "hot", "", "  ", "buyer", "Hot"],
        customFields=[{"id": "cf_budget", "value": 450000}, {"id": "cf_beds"},
                      {"id": "cf_budget", "value": 500000}],
        dnd=None, address1="1 Main St", companyName="ACME",
    ))
    assert event.contact == ContactSnapshot(
        first_name="Ana", last_name="Ruiz", name="Ana Ruiz", email="ana@example.com",
        phone="+15125550100", timezone="America/Chicago", city="Austin", state="TX",
        postal_code="78701", source="zillow", assigned_to="u1",
        tags=["hot", "buyer", "Hot"],                               # stripped, deduplicated
        custom_fields={"cf_budget": 500000, "cf_beds": None},       # the last value wins
        dnd=None, dnd_channels=None,  # not mentioned: says nothing about DND (merged later)
    )


@pytest.mark.parametrize(("fields", "changed"), [
    ({"dateUpdated": "2026-11-10T15:00:00Z", "timestamp": "2026-11-10T16:00:00Z"},
     "2026-11-10T15:00:00+00:00"),  # GHL's own change time first
    ({"timestamp": "2026-11-10T16:00:00Z"}, "2026-11-10T16:00:00+00:00"),
])
def test_a_contact_carries_when_ghl_changed_it(fields: dict[str, Any],
                                               changed: str | None) -> None:
    event = event_of(contact("ContactTagUpdate", **fields))
    assert isinstance(event, ContactChanged)
    assert (event.changed_at.isoformat() if event.changed_at else None) == changed


def test_an_inbound_sms_carries_its_number() -> None:
    inbound = event_of(message(messageType="TYPE_SMS", **{"from": "+15125550100"}))
    assert isinstance(inbound, MessageIngested) and inbound.from_address == "+15125550100"
    email = event_of(message(messageType="TYPE_EMAIL", **{"from": "a@b.c"}))
    assert isinstance(email, MessageIngested) and email.from_address is None


def test_dnd_settings_by_channel() -> None:
    event = event_of(contact("ContactDndUpdate", dnd=True, dndSettings={
        "SMS": {"status": "active", "message": "STOP", "code": "103"},
        "Call": {"status": "Permanent"},
        "Email": {},
        "WhatsApp": {"status": "INACTIVE"},
        "Fax": {"status": "active"},
    }))
    assert event.contact.dnd is True
    assert event.contact.dnd_channels == {
        "sms": "active", "call": "permanent", "email": "inactive", "whatsapp": "inactive",
        "fax": "active",
    }


# --- other activity -------------------------------------------------------------------------


def test_an_opportunity() -> None:
    data = opportunity_event("loc1", "c1", stage="stage-2", when=SENT)
    data.update(webhookId="wh-1", dateAdded=T_ADDED)
    event = event_of(data)
    assert event == LeadActivityRecorded(
        event_id=derive_event_id("loc1", "ingestion", "wh:wh-1"), tenant_id="loc1",
        contact_id="c1", occurred_at=ADDED, received_at=RECEIVED, causation_id="wh-1",
        kind="opportunity", ghl_type="OpportunityStageUpdate", ref_id="opp-c1",
        title="Buyer - 3bd", status="open",
        data={"id": "opp-c1", "contactId": "c1", "assignedTo": None, "name": "Buyer - 3bd",
              "monetaryValue": 450000.0, "pipelineId": "pipe-1",
              "pipelineStageId": "stage-2", "source": "website", "status": "open",
              "dateAdded": T_ADDED},
    )


@pytest.mark.parametrize("type_", ["OpportunityCreate", "OpportunityStatusUpdate"])
def test_every_opportunity_type(type_: str) -> None:
    event = event_of(delivery(type_, id="o1", contactId="c1", status="won"))
    assert (event.kind, event.ghl_type, event.ref_id, event.status, event.occurred_at) == \
        ("opportunity", type_, "o1", "won", SENT)


@pytest.mark.parametrize("type_", ["AppointmentCreate", "AppointmentUpdate"])
def test_an_appointment(type_: str) -> None:
    data = appointment_event("loc1", "c1", when=SENT)
    data.update(type=type_, webhookId="wh-1")
    data["appointment"]["dateAdded"] = T_ADDED
    event = event_of(data)
    assert isinstance(event, LeadActivityRecorded)
    assert (event.kind, event.ghl_type, event.contact_id, event.ref_id, event.title,
            event.status, event.occurred_at) == \
        ("appointment", type_, "c1", "appt-c1", "Showing: 12 Elm St", "confirmed", ADDED)
    assert set(event.data) == {"appointment"}
    assert event.data["appointment"]["calendarId"] == "cal-1"


def test_an_appointment_without_a_date_added_occurred_when_sent() -> None:
    data = delivery("AppointmentCreate", appointment={"id": "a1", "contactId": "c1"})
    event = event_of(data)
    assert (event.occurred_at, event.title, event.status) == (SENT, None, None)


def test_a_note() -> None:
    event = event_of(delivery("NoteCreate", id="n1", contactId="c1", body="Call back Tue",
                              dateAdded=T_ADDED))
    assert isinstance(event, LeadActivityRecorded)
    assert (event.kind, event.ghl_type, event.contact_id, event.ref_id, event.title,
            event.status, event.occurred_at) == \
        ("note", "NoteCreate", "c1", "n1", None, None, ADDED)
    assert event.data == {"id": "n1", "contactId": "c1", "body": "Call back Tue",
                          "dateAdded": T_ADDED}


def test_a_task() -> None:
    event = event_of(delivery("TaskCreate", id="t1", contactId="c1", title="Send comps",
                              assignedTo="u1", dueDate="2026-12-05T00:00:00Z"))
    assert (event.kind, event.ghl_type, event.contact_id, event.ref_id, event.title,
            event.occurred_at) == ("task", "TaskCreate", "c1", "t1", "Send comps", SENT)
    assert event.data["dueDate"] == "2026-12-05T00:00:00Z"


def test_a_conversation_unread_update() -> None:
    event = event_of(delivery("ConversationUnreadUpdate", id="cv1", contactId="c1",
                              unreadCount=2, inbox=True, dateAdded=T_ADDED))
    assert (event.kind, event.ghl_type, event.contact_id, event.ref_id, event.occurred_at) \
        == ("conversation", "ConversationUnreadUpdate", "c1", "cv1", SENT)
    assert event.data == {"id": "cv1", "contactId": "c1", "unreadCount": 2, "inbox": True,
                          "starred": None, "deleted": None, "dateAdded": T_ADDED}


@pytest.mark.parametrize(("fields", "contact_id"), [
    ({"contactId": "c1", "id": "x1"}, "c1"),
    ({"id": "x1"}, "x1"),
    ({"contactId": 42}, "42"),
    ({"contactId": "", "id": "x1"}, "x1"),
    ({}, None),
])
def test_an_unknown_type_is_passed_on(fields: dict[str, Any], contact_id: str | None) -> None:
    event = event_of(delivery("InvoiceCreate", amount=12.5, **fields))
    assert isinstance(event, LeadActivityRecorded)
    assert (event.kind, event.ghl_type, event.contact_id, event.ref_id, event.occurred_at) == \
        ("unknown", "InvoiceCreate", contact_id, None, SENT)
    assert event.data == {"amount": 12.5, **fields}


def test_an_unknown_type_name_is_cut_to_64_characters() -> None:
    event = event_of(delivery("X" * 100))
    assert event.ghl_type == "X" * 64


# --- ids, purity ----------------------------------------------------------------------------


ALL_TYPES = [
    message(), message(type="OutboundMessage"), contact(), contact("ContactDelete"),
    delivery("NoteCreate", id="n1", contactId="c1"),
    delivery("TaskCreate", id="t1", contactId="c1"),
    delivery("OpportunityCreate", id="o1", contactId="c1"),
    delivery("AppointmentCreate", appointment={"id": "a1", "contactId": "c1"}),
    delivery("ConversationUnreadUpdate", id="cv1", contactId="c1"),
    delivery("InvoiceCreate"),
]


@pytest.mark.parametrize("data", ALL_TYPES, ids=lambda d: d["type"])
def test_normalise_is_pure_and_its_events_round_trip(data: dict[str, Any]) -> None:
    first, again = event_of(data), event_of(data)
    assert first == again
    assert first.tenant_id == "loc1"
    assert first.received_at == RECEIVED
    assert CONVERSATION_EVENT.validate_json(first.model_dump_json()) == first


@pytest.mark.parametrize("data", ALL_TYPES, ids=lambda d: d["type"])
def test_the_event_id_does_not_depend_on_when_it_was_received(data: dict[str, Any]) -> None:
    later = event_of(data, RECEIVED + timedelta(minutes=30))
    assert later.event_id == event_of(data).event_id
    assert later.received_at == RECEIVED + timedelta(minutes=30)


def webhook_and_raw(data: dict[str, Any], *, indent: int | None = None) -> tuple[Webhook, bytes]:
    body = json.dumps(data, indent=indent).encode()
    return decode_webhook(body, max_bytes=1_000_000), body


def test_the_dedupe_key_is_the_webhook_id() -> None:
    webhook, body = webhook_and_raw(message(webhookId="6f1c-42"))
    assert dedupe_key(webhook, body) == "wh:6f1c-42"


def test_a_retry_with_the_same_webhook_id_is_the_same_delivery() -> None:
    """GHL's retry of a delivery carries its webhookId; any other byte may differ."""
    first, first_raw = webhook_and_raw(message(webhookId="wh-7", timestamp=T_SENT))
    retry, retry_raw = webhook_and_raw(
        message(webhookId="wh-7", timestamp="2026-12-03T12:10:00.000Z"), indent=2)
    assert first_raw != retry_raw
    assert dedupe_key(first, first_raw) == dedupe_key(retry, retry_raw) == "wh:wh-7"
    assert normalise(first, first_raw, RECEIVED).event_id == \
        normalise(retry, retry_raw, RECEIVED + timedelta(minutes=10)).event_id


def test_different_webhook_ids_are_different_deliveries() -> None:
    one, one_raw = webhook_and_raw(message(webhookId="wh-1"))
    two, two_raw = webhook_and_raw(message(webhookId="wh-2"))
    assert dedupe_key(one, one_raw) != dedupe_key(two, two_raw)
    assert normalise(one, one_raw, RECEIVED).event_id != \
        normalise(two, two_raw, RECEIVED).event_id


@pytest.mark.parametrize("webhook_id", [None, ""])
def test_without_a_webhook_id_the_key_hashes_the_exact_bytes(webhook_id: str | None) -> None:
    data = message(webhookId=webhook_id)
    webhook, body = webhook_and_raw(data)
    key = dedupe_key(webhook, body)
    assert key == "sha256:" + hashlib.sha256(body).hexdigest()
    assert dedupe_key(*webhook_and_raw(data)) == key            # the same bytes: the same key
    reformatted, reformatted_raw = webhook_and_raw(data, indent=1)
    assert reformatted == webhook                               # the same content ...
    assert dedupe_key(reformatted, reformatted_raw) != key      # ... other bytes: another key
    assert normalise(webhook, body, RECEIVED).event_id == \
        derive_event_id("loc1", "ingestion", key)
    assert normalise(webhook, body, RECEIVED).causation_id == webhook_id  # as sent


def test_the_key_hashes_the_raw_bytes_given_not_a_reserialisation() -> None:
    webhook = parse_webhook({"type": "InboundMessage", "locationId": "loc1", "contactId": "c1"})
    assert isinstance(webhook, MessageWebhook)
    assert dedupe_key(webhook, b"") == "sha256:" + hashlib.sha256(b"").hexdigest()
    assert dedupe_key(webhook, b"a") != dedupe_key(webhook, b"b")


def test_the_same_webhook_id_in_two_tenants_is_two_events() -> None:
    one, one_raw = webhook_and_raw(message(webhookId="wh-1"))
    two, two_raw = webhook_and_raw(message(webhookId="wh-1", locationId="loc2"))
    assert dedupe_key(one, one_raw) == dedupe_key(two, two_raw)  # claims are per tenant
    assert normalise(one, one_raw, RECEIVED).event_id != \
        normalise(two, two_raw, RECEIVED).event_id


@pytest.mark.parametrize(("fields", "sender"), [
    ({"type": "InboundMessage"}, "lead"),
    ({"type": "OutboundMessage", "direction": "INBOUND"}, "lead"),
    ({"type": "OutboundMessage", "source": "BULK_ACTIONS"}, "workflow"),
    ({"type": "OutboundMessage", "userId": "u1"}, "human"),
    ({"type": "OutboundMessage", "userId": ""}, "system"),
    ({"type": "OutboundMessage"}, "system"),
])
def test_classify_sender(fields: dict[str, Any], sender: str) -> None:
    webhook = parse_webhook({"locationId": "loc1", "contactId": "c1", **fields})
    assert isinstance(webhook, MessageWebhook)
    assert classify_sender(webhook) == sender
