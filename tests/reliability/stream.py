"""The event stream of the fault suite: what is sent, when, and what it must produce.

Thousands of GHL webhooks for many tenants, planned up front from a seeded RNG so the
expected outcome is computable: every lead's conversation is a handful of inbound messages
(some back to back, so the responder's "superseded" rule applies), some leads opt out with
STOP and write again, some are taken over by a human agent. GHL's own webhook retries
(byte-identical duplicates) and poison records of every kind are interleaved. Each tenant has
a secret word in its persona and in its leads' messages, so a leak between tenants shows in
any prompt or reply.
"""

from __future__ import annotations

import base64
import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.demo.ghl_events import (
    appointment_event,
    contact_event,
    inbound_message,
    number_of,
    opportunity_event,
    outbound_message,
)
from workers.responder.render import parse_user_turn

LeadKind = Literal["normal", "opt_out", "takeover"]
SIGNATURE_HEADER = "x-ghl-signature"

# Plain buyer/seller texts: nothing here asks for a person, opts out or names an agent, so a
# lead's guard outcome depends only on its kind.
LEAD_TEXTS = (
    "Hi, we are looking for a 3 bedroom house in Round Rock",
    "Our budget is around 450k, flexible for the right place",
    "We'd like to move within 2 months if possible",
    "Is the townhouse on Oak still available?",
    "Do you have anything with a big backyard?",
    "We need good schools nearby, two kids",
    "Pre-approved already, working with our credit union",
    "Thinking about selling our condo in Cedar Park too",
    "What are prices like in Georgetown these days?",
    "Could we see a few homes this weekend?",
    "A garage and an office would be great",
    "Single story preferred, my parents will visit often",
)
AFTER_STOP = "hello? are you still there"
# `[<tenant secret> <contact> m<NN>]` ends every lead message but STOP: whose words these are.
MARKER = re.compile(r"\[(sw[0-9a-f]{10}) (\S+) (m\d+)\]")


def marker(secret: str, message_id: str) -> str:
    """The marker of message `msg-<contact>-<NN>` of the tenant with `secret`."""
    _, contact, n = message_id.rsplit("-", 2)
    return f"[{secret} {contact} m{n}]"


@dataclass
class Tenant:
    id: str
    name: str
    secret: str
    token: str


@dataclass
class Lead:
    tenant: str
    contact: str
    kind: LeadKind
    inbound: list[str] = field(default_factory=list)  # GHL message ids, in send order
    stop_id: str | None = None  # opt_out: the STOP message
    after_stop: list[str] = field(default_factory=list)  # opt_out: written after STOP
    after_takeover: list[str] = field(default_factory=list)  # takeover: after the human
    human: list[str] = field(default_factory=list)  # takeover: the human agent's messages


@dataclass(frozen=True)
class Planned:
    """One record to produce `at` seconds into the stream."""

    at: float
    tenant: str
    value: bytes
    kind: Literal["valid", "duplicate", "poison"]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stream:
    tenants: list[Tenant]
    leads: list[Lead]
    records: list[Planned]

    @property
    def valid(self) -> list[Planned]:
        return [r for r in self.records if r.kind == "valid"]

    @property
    def poison(self) -> list[Planned]:
        return [r for r in self.records if r.kind == "poison"]

    @property
    def duplicates(self) -> list[Planned]:
        return [r for r in self.records if r.kind == "duplicate"]

    def tenant_of_contact(self) -> dict[str, str]:
        return {lead.contact: lead.tenant for lead in self.leads}

    def inbound_ids(self) -> set[str]:
        return {m for lead in self.leads for m in lead.inbound}

    def human_ids(self) -> set[str]:
        return {m for lead in self.leads for m in lead.human}


def answering_model(request: dict[str, Any]) -> str:
    """A stand-in for Claude that answers the latest lead message of the prompt's
    conversation (read back with the responder's own grammar, so a prompt that lost its
    shape fails the suite) and quotes its marker, so each reply shows which message it
    answered."""
    user = "\n".join(block.get("text", "") for message in request.get("messages", [])
                     if message.get("role") == "user"
                     for block in message.get("content", []) if isinstance(block, dict))
    said = [line.text for line in parse_user_turn(user).lines if line.who == "lead"]
    found = MARKER.findall(said[-1]) if said else []
    tag = "[{} {} {}]".format(*found[-1]) if found else "[none]"
    return f"Thanks! Noted {tag}. What price range and timing do you have in mind?"


def midday_zone() -> str:
    """An IANA zone whose local time is now between 11:00 and 17:00 (quiet hours hold no
    reply of this suite; they are tested on their own)."""
    for offset in range(-12, 13):
        name = f"Etc/GMT{offset:+d}" if offset else "Etc/GMT"
        if 11 <= datetime.now(UTC).astimezone(ZoneInfo(name)).hour < 17:
            return name
    raise AssertionError("no zone at midday")


def plan_tenants(rng: random.Random, n: int) -> list[Tenant]:
    return [Tenant(id=f"loc{rng.getrandbits(48):012x}", name=f"Agency {i:02d}",
                   secret=f"sw{rng.getrandbits(40):010x}", token=f"tok-{i}-{rng.getrandbits(32):x}")
            for i in range(n)]


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def plan_stream(rng: random.Random, ts: list[Tenant], key: Ed25519PrivateKey, base: datetime, *,
                leads_per_tenant: int, window_s: float, zone: str,
                poison_share: float = 0.03, duplicate_share: float = 0.04,
                start_share: float = 0.55) -> Stream:
    """Plan every record; `base` is when the stream starts (webhook times follow the plan, so
    each is fresh when sent and a lead's messages keep their order in time). Leads write
    first within `start_share` of the window (their conversations go on after it)."""
    leads: list[Lead] = []
    records: list[Planned] = []

    def emit(at: float, tenant: Tenant, event: dict[str, Any]) -> None:
        raw = json.dumps(event).encode()
        # signed, as GHL signs every delivery (and ingestion takes no unsigned one)
        headers = {SIGNATURE_HEADER: base64.b64encode(key.sign(raw)).decode()}
        records.append(Planned(at, tenant.id, raw, "valid", headers))
        if rng.random() < duplicate_share:  # GHL retried the webhook: the same bytes again
            records.append(Planned(at + rng.uniform(0.2, 8.0), tenant.id, raw, "duplicate",
                                   headers))

    def when(at: float) -> datetime:
        return base + timedelta(seconds=at)

    for tenant in ts:
        for n in range(leads_per_tenant):
            contact = f"c{tenant.id[-6:]}{n:03d}"
            kind: LeadKind = rng.choices(("normal", "opt_out", "takeover"), (70, 15, 15))[0]
            lead = Lead(tenant.id, contact, kind)
            leads.append(lead)
            t = rng.uniform(0.0, window_s * start_share)
            emit(t, tenant, {**contact_event(tenant.id, contact, first=f"Lead{n}",
                                             phone=number_of(contact, "+447700"), when=when(t)),
                             "timezone": zone})
            texts = rng.sample(LEAD_TEXTS, 4)

            def say(text: str | None, after: float, lead: Lead = lead,
                    tenant: Tenant = tenant) -> str:
                """An inbound message: `text` with its marker, or a bare STOP (None)."""
                nonlocal t
                t += after
                mid = f"msg-{lead.contact}-{len(lead.inbound) + len(lead.human):02d}"
                body = "STOP" if text is None else f"{text} {marker(tenant.secret, mid)}"
                emit(t, tenant, inbound_message(tenant.id, lead.contact, body, message_id=mid,
                                                when=when(t)))
                lead.inbound.append(mid)
                return mid

            def gap() -> float:
                # Back to back (the first may be superseded) or a pause of a few seconds.
                return rng.uniform(0.05, 0.3) if rng.random() < 0.3 else rng.uniform(2.0, 12.0)

            first = rng.uniform(0.5, 3.0)
            if kind == "normal":
                for i in range(rng.randint(1, 4)):
                    say(texts[i], first if i == 0 else gap())
            elif kind == "opt_out":
                for i in range(rng.randint(0, 2)):
                    say(texts[i], first if i == 0 else gap())
                lead.stop_id = say(None, gap())
                lead.after_stop.append(say(AFTER_STOP, gap()))
            else:
                say(texts[0], first)
                t += rng.uniform(0.5, 4.0)
                hid = f"msg-{contact}-{len(lead.inbound) + len(lead.human):02d}"
                emit(t, tenant, outbound_message(tenant.id, contact, "Hi, Jen here from the "
                                                 f"office! [{tenant.secret}]",
                                                 user_id="user-jen", message_id=hid,
                                                 when=when(t)))
                lead.human.append(hid)
                for i in range(rng.randint(1, 2)):
                    lead.after_takeover.append(say(texts[i + 1], rng.uniform(0.5, 6.0)))
            if rng.random() < 0.5:  # activity beside the conversation
                t2 = t + rng.uniform(0.2, 3.0)
                builder = opportunity_event if rng.random() < 0.5 else appointment_event
                emit(t2, tenant, builder(tenant.id, contact, when=when(t2)))
            if rng.random() < 0.5:  # the CRM updates the contact (a tag added)
                t2 = t + rng.uniform(0.2, 3.0)
                phone = number_of(contact, "+447700")
                emit(t2, tenant, {**contact_event(tenant.id, contact, type_="ContactTagUpdate",
                                                  first=f"Lead{n}", phone=phone,
                                                  tags=["buyer-lead", "engaged"], when=when(t2)),
                                  "timezone": zone})

    valid_count = len(records)
    for i in range(max(8, int(valid_count * poison_share))):
        tenant = rng.choice(ts)
        records.append(_poison(rng, i, tenant, base, rng.uniform(0.0, window_s)))
    records.sort(key=lambda r: r.at)
    return Stream(ts, leads, records)


def _poison(rng: random.Random, i: int, tenant: Tenant, base: datetime, at: float) -> Planned:
    """One record that ingestion must dead-letter (each unique, so it is found by its bytes)."""
    contact = f"p{tenant.id[-6:]}{i:03d}"
    good = inbound_message(tenant.id, contact, f"poison {i} [{tenant.secret}]",
                           message_id=f"poison-{i}", when=base + timedelta(seconds=at))
    kind = i % 6
    headers: dict[str, str] = {}
    if kind == 0:
        value = f"not json {i} {{{rng.random()}".encode()
    elif kind == 1:
        value = json.dumps([good, i]).encode()  # a JSON array, not an object
    elif kind == 2:
        value = json.dumps({**good, "contactId": 1000 + i}).encode()  # wrong type
    elif kind == 3:
        stale = base - timedelta(hours=2, seconds=i)
        value = json.dumps(inbound_message(tenant.id, contact, f"poison {i}",
                                           message_id=f"poison-{i}", when=stale)).encode()
    elif kind == 4:
        value = json.dumps(good).encode()
        headers[SIGNATURE_HEADER] = base64.b64encode(rng.randbytes(64)).decode()
    else:
        # Keyed by one tenant (as every record), claiming another tenant's location.
        value = json.dumps({**good, "locationId": "loc-someone-else"}).encode()
    return Planned(at, tenant.id, value, "poison", headers)
