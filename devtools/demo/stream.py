"""The bundled sample stream: realistic GHL deliveries for four agencies, poison included.

Built at run time (timestamps are "now", so the replay window accepts them; message ids are
new), but every body, contact and conversation is fixed, so the demo tells the same story each
run, and a second run adds to the same leads' memory.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from devtools.demo.ghl_events import (
    appointment_event,
    contact_event,
    inbound_message,
    opportunity_event,
    outbound_message,
)

AREAS: dict[str, list[dict[str, Any]]] = {
    "loc-austin-hills": [
        {"name": "Round Rock", "aliases": ["round rock", "rr"]},
        {"name": "Cedar Park", "aliases": ["cedar park"]},
        {"name": "Downtown Austin", "aliases": ["downtown", "dt austin"]},
    ],
    "loc-phoenix-sun": [
        {"name": "Scottsdale", "aliases": ["scottsdale"]},
        {"name": "Gilbert", "aliases": ["gilbert"]},
        {"name": "Chandler", "aliases": ["chandler"]},
    ],
    "loc-tampa-bay": [
        {"name": "South Tampa", "aliases": ["south tampa"]},
        {"name": "Brandon", "aliases": ["brandon"]},
    ],
    "loc-raleigh-oak": [
        {"name": "Cary", "aliases": ["cary"]},
        {"name": "Apex", "aliases": ["apex"]},
    ],
}

# (tenant, contact, first name, phone, [(direction, text)])
CONVERSATIONS: list[tuple[str, str, str, str, list[tuple[str, str]]]] = [
    ("loc-austin-hills", "ct-sarah", "Sarah", "+15125550101", [
        ("in", "Hi! Saw your listing on Zillow. We're relocating from Denver for my "
               "husband's job and need 3 beds in round rock"),
        ("in", "Budget is up to 550k and we're pre-approved. Hoping to move in 2 months"),
    ]),
    ("loc-austin-hills", "ct-mike", "Mike", "+15125550102", [
        ("in", "Thinking about selling my place in cedar park, what could I get for it?"),
        ("human", "Hi Mike, this is Jen from the office - I'll call you this afternoon."),
    ]),
    ("loc-phoenix-sun", "ct-ana", "Ana", "+16025550103", [
        ("in", "looking for a 4br house in gilbert or chandler, up to 650k. pool is a must"),
        ("in", "we are paying cash btw"),
    ]),
    ("loc-phoenix-sun", "ct-raj", "Raj", "+16025550104", [
        ("in", "Is the townhouse in Scottsdale still available?"),
        ("in", "STOP"),
    ]),
    ("loc-tampa-bay", "ct-lena", "Lena", "+18135550105", [
        ("in", "We have a baby on the way and need more room. Brandon, 3 bed, no HOA"),
        ("in", "Can I talk to a real person please?"),
    ]),
    ("loc-raleigh-oak", "ct-tom", "Tom", "+19195550106", [
        ("in", "Just browsing for now, maybe something in apex next year"),
    ]),
]


@dataclass(frozen=True)
class Delivery:
    """One record for `ghl.events`: raw bytes keyed by tenant, and what it stands for."""

    tenant: str
    value: bytes
    label: str
    valid: bool = True


def _raw(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def build_stream(now: datetime | None = None) -> list[Delivery]:
    now = now or datetime.now(UTC)
    run = uuid.uuid4().hex[:8]  # GHL message ids are unique; the leads stay the same
    out: list[Delivery] = []
    for tenant, contact, first, phone, turns in CONVERSATIONS:
        when = now - timedelta(minutes=5)
        out.append(Delivery(tenant, _raw(contact_event(tenant, contact, first=first,
                                                          phone=phone, when=when)),
                            "ContactCreate"))
        for i, (kind, text) in enumerate(turns):
            at = when + timedelta(seconds=30 * (i + 1))
            if kind == "in":
                event = inbound_message(tenant, contact, text, when=at,
                                        message_id=f"m-{contact}-{run}-{i}")
            else:
                event = outbound_message(tenant, contact, text, user_id="user-jen", when=at,
                                         message_id=f"m-{contact}-{run}-{i}")
            out.append(Delivery(tenant, _raw(event), event["type"]))
    sarah = "loc-austin-hills", "ct-sarah"
    out.append(Delivery(sarah[0], _raw(opportunity_event(*sarah, when=now)),
                        "OpportunityStageUpdate"))
    out.append(Delivery(sarah[0], _raw(appointment_event(*sarah, when=now)), "AppointmentCreate"))
    # GHL retries: the same delivery twice (same webhookId) must count once.
    dup = inbound_message("loc-raleigh-oak", "ct-tom", "Actually, what are prices like in cary?",
                          when=now, message_id=f"m-ct-tom-{run}-dup")
    out += [Delivery("loc-raleigh-oak", _raw(dup), "InboundMessage (delivery 1)"),
            Delivery("loc-raleigh-oak", _raw(dup), "InboundMessage (retried delivery)")]
    # A type we do not model, delivered as GHL delivers every webhook: with its own
    # webhookId. (Without one, ingestion identifies a delivery by its bytes, so a second
    # demo run would rightly drop an identical payload as a retry of the first run's.)
    stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    out.append(Delivery("loc-tampa-bay", _raw({"type": "CampaignStatusUpdate",
                                               "locationId": "loc-tampa-bay",
                                               "webhookId": f"wh-campaign-{run}",
                                               "timestamp": stamp,
                                               "contactId": "ct-lena", "status": "sent"}),
                        "unknown type"))
    # Poison: each must be dead-lettered while the rest flows.
    stale = inbound_message("loc-tampa-bay", "ct-lena", "replayed", when=now - timedelta(days=3))
    out += [
        Delivery("loc-tampa-bay", b"{\"type\": \"InboundMessage\", ", "truncated JSON", False),
        Delivery("loc-phoenix-sun", b"[\"not\", \"an\", \"object\"]", "JSON array", False),
        Delivery("loc-tampa-bay", _raw(stale), "stale timestamp (replay)", False),
        Delivery("loc-austin-hills", _raw({"type": "InboundMessage",
                                           "locationId": "loc-austin-hills", "body": 42}),
                 "missing contactId, body not text", False),
    ]
    return out
