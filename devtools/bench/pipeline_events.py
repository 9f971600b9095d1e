"""The pipeline benchmark's GHL event mix: many agencies and leads, realistic shares.

A plan is pure data (seeded, comparable between runs); bodies are rendered when sent, so their
`timestamp` is fresh (ingestion rejects stale ones as replays) and messages are stamped in
send order. A duplicate re-sends the exact bytes of an earlier delivery (same `webhookId`),
which ingestion must drop.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from devtools.bench import data
from devtools.demo.ghl_events import (
    appointment_event,
    contact_event,
    inbound_message,
    number_of,
    opportunity_event,
    outbound_message,
)

# Shares of everything after each lead's ContactCreate. Inbound lead messages are most of the
# traffic (each needs a reply); human takeovers are rare, since they silence a lead for good.
MIX: dict[str, float] = {
    "inbound": 0.62, "workflow": 0.12, "human": 0.02, "contact_update": 0.06,
    "opportunity": 0.08, "appointment": 0.04, "duplicate": 0.06,
}
MESSAGE_KINDS = ("inbound", "workflow", "human")


@dataclass(frozen=True)
class Planned:
    index: int
    tenant: str
    contact: str
    kind: str
    text: str = ""
    dup_of: int | None = None


@dataclass
class Sent:
    """A rendered delivery: what was produced, when, and (for messages) its GHL message id."""

    tenant: str
    kind: str
    value: bytes
    message_id: str | None
    sent_ms: int = 0


def tenant_ids(tag: str, count: int) -> list[str]:
    return [f"bench{tag}t{i:03d}" for i in range(count)]


def plan(tenants: list[str], leads_per_tenant: int, events: int, phase: str,
         seed: int) -> list[Planned]:
    """`events` deliveries: a ContactCreate per lead first, then the mix, interleaved."""
    rng = random.Random(f"{seed}-{phase}")
    leads = [(t, f"{phase}-c{i:04d}") for t in tenants for i in range(leads_per_tenant)]
    out = [Planned(i, t, c, "create") for i, (t, c) in enumerate(leads[:events])]
    kinds, weights = list(MIX), list(MIX.values())
    while len(out) < events:
        i = len(out)
        kind = rng.choices(kinds, weights)[0]
        if kind == "duplicate":
            original = out[rng.randrange(len(out))]
            out.append(Planned(i, original.tenant, original.contact, "duplicate",
                               dup_of=original.dup_of if original.dup_of is not None
                               else original.index))
            continue
        tenant, contact = rng.choice(leads)
        template = rng.choice(data.INBOUND if kind == "inbound" else data.OUTBOUND)
        text = template.format(
            street=rng.choice(data.STREETS), beds=rng.randint(2, 5), baths=rng.randint(2, 3),
            area=rng.choice(data.METROS["TX"]), budget=rng.randrange(300, 900, 25),
            offer=rng.randrange(300, 900, 5), day="Saturday", month="August",
            first="there", price=rng.randrange(300, 900, 5))
        out.append(Planned(i, tenant, contact, kind, text))
    return out


class Renderer:
    """Turns planned deliveries into webhook bytes, stamped now (duplicates: earlier bytes)."""

    def __init__(self, zone: str, seed: int, tag: str) -> None:
        self.zone = zone
        self.tag = tag
        self._rng = random.Random(seed)
        self._sent: dict[int, Sent] = {}

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def render(self, p: Planned) -> Sent:
        if p.dup_of is not None:
            first = self._sent[p.dup_of]
            return Sent(p.tenant, "duplicate", first.value, None)
        now = datetime.now(UTC)
        message_id = None
        body: dict[str, object]
        if p.kind == "create":
            # A number of the lead's own, with no US area code: the midday zone is the only
            # one the lead may be in (a 512 number would add Central time's night), and one
            # lead's opt-out does not suppress the others on a shared number.
            body = {**contact_event(p.tenant, p.contact, first=p.contact.split("-")[-1].title(),
                                    phone=number_of(p.contact, "+447700"),
                                    webhook_id=self._uuid(), when=now),
                    "timezone": self.zone}
        elif p.kind == "contact_update":
            body = {**contact_event(p.tenant, p.contact, type_="ContactUpdate",
                                    phone=number_of(p.contact, "+447700"),
                                    tags=["buyer-lead", "nurture"], webhook_id=self._uuid(),
                                    when=now), "timezone": self.zone}
        elif p.kind in MESSAGE_KINDS:
            message_id = f"m{self.tag}-{p.contact}-{p.index}"
            if p.kind == "inbound":
                body = inbound_message(p.tenant, p.contact, p.text, message_id=message_id,
                                       webhook_id=self._uuid(), when=now)
            else:
                body = outbound_message(
                    p.tenant, p.contact, p.text, message_id=message_id, webhook_id=self._uuid(),
                    when=now, source="workflow" if p.kind == "workflow" else "app",
                    user_id="user-agent" if p.kind == "human" else None)
        elif p.kind == "opportunity":
            body = opportunity_event(p.tenant, p.contact, stage=f"stage-{p.index % 4}", when=now)
            body["webhookId"] = self._uuid()
        else:
            body = appointment_event(p.tenant, p.contact, when=now)
            body["webhookId"] = self._uuid()
        sent = Sent(p.tenant, p.kind, json.dumps(body).encode(), message_id)
        self._sent[p.index] = sent
        return sent


def message_rows(sent: list[Sent]) -> int:
    """How many `messages` rows the pipeline writes for these deliveries (before replies)."""
    return sum(1 for s in sent if s.kind in MESSAGE_KINDS)
