"""End to end: raw GHL webhooks on `ghl.events` -> replies at the (fake) GHL API.

Every worker runs against the real broker, Postgres and Redis; Claude and GHL are loopback
fakes driven through the real SDK and HTTP client. Contacts get a timezone where it is
midday now, so quiet hours (tested on their own elsewhere) do not hold these replies.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from devtools.demo.ghl_events import (
    contact_event,
    inbound_message,
    number_of,
    outbound_message,
)
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from devtools.signing import signed
from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer, body, keyed, read_until
from tests.support.pipeline import fake_api_settings, onboard
from tests.support.services import ServiceUrls
from tests.support.workers import eventually, running
from tests.support.zones import midday_zone
from workers.settings import Settings

pytestmark = pytest.mark.e2e
AREAS: list[dict[str, Any]] = [{"name": "Round Rock", "aliases": ["round rock"]},
                               {"name": "Cedar Park", "aliases": ["cedar park"]}]



def remembering_model(request: dict[str, Any]) -> str:
    """A stand-in for Claude that answers from what the prompt says about the lead."""
    prompt = json.dumps(request)
    areas = [a["name"] for a in AREAS if a["name"] in prompt]
    budget = re.search(r"budget_max\W+(\d+)", prompt)
    return (f"Thanks! Noted: areas {', '.join(areas) or 'none yet'}; "
            f"budget {budget.group(1) if budget else 'unknown'}. When are you hoping to move?")


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeMessagesAPI, FakeGHLAPI]]:
    async with FakeMessagesAPI(responder=remembering_model) as claude, FakeGHLAPI() as ghl:
        yield claude, ghl


async def test_webhooks_in_replies_out(
    make_settings: Callable[..., Settings], kafka: str, migrated: ServiceUrls,
    fakes: tuple[FakeMessagesAPI, FakeGHLAPI],
) -> None:
    claude, ghl = fakes
    tenant = new_tenant()
    await onboard(migrated.database_url, tenant, AREAS)
    settings = fake_api_settings(
        make_settings, claude, ghl, tenant,
        claude_model="claude-sonnet-4-6",
    )
    zone = midday_zone()

    async def send(*events: dict[str, Any]) -> None:
        async with RawProducer(kafka) as producer:
            for event in events:
                value = json.dumps(event).encode()
                await producer.send(topics.GHL_EVENTS, value, key=tenant, headers=signed(value))

    def to(contact: str) -> list[Any]:
        return [d for d in ghl.delivered if d.contact_id == contact]

    contacts = ("buyer", "mail", "stopper", "human", "taken")
    await send(*[{**contact_event(tenant, c, first=c.title(), phone=number_of(c, "+447700")),
                  "timezone": zone} for c in contacts])
    async with running(settings, "ingestion", "memory", "learning", "responder", "outbound"):
        await send(
            inbound_message(tenant, "buyer", "Buying! need 3 beds in round rock, up to 450k"),
            inbound_message(tenant, "mail", "Do you have condos in cedar park?",
                            channel="Email"),
            inbound_message(tenant, "stopper", "Is the townhouse on Oak still available?"),
            inbound_message(tenant, "human", "Can I talk to a real person please?"),
            outbound_message(tenant, "taken", "Hi, Jen here from the office!",
                             user_id="user-jen"),
        )
        await eventually(lambda: to("buyer") and to("mail") and to("stopper")
                         and to("human"), timeout_s=60)
        await send(
            inbound_message(tenant, "buyer", "We'd like to move within 2 months"),
            inbound_message(tenant, "stopper", "STOP"),
            inbound_message(tenant, "taken", "Great, what times work for a showing?"),
        )
        await eventually(lambda: len(to("buyer")) >= 2 and len(to("stopper")) >= 2,
                         timeout_s=60)
        await send(inbound_message(tenant, "stopper", "hello?"))
        assist = await read_until(kafka, topics.AGENT_ASSIST, lambda s: len(s) >= 1,
                                  where=keyed({tenant}), settle_s=3.0)
        # What an agent sees in GHL: the hand-off's task and the living note arrive through
        # the outbound connector's write-back, and score tags follow each lead's score.
        await eventually(lambda: ghl.contact(tenant, "human").tasks
                         and ghl.contact(tenant, "human").notes, timeout_s=30)

    buyer = to("buyer")
    assert len(buyer) == 2 and all(d.type == "SMS" for d in buyer)
    assert "Round Rock" in buyer[1].message and "450000" in buyer[1].message
    # The second reply remembers the first message: the second said neither area nor budget.
    assert [d.type for d in to("mail")] == ["Email"]
    stopper = to("stopper")
    assert len(stopper) == 2 and "unsubscribed" in stopper[1].message.lower()
    human = to("human")
    assert len(human) == 1
    assert any(body(r)["reason"] == "handoff" and body(r)["contact_id"] == "human"
               for r in assist)
    assert to("taken") == []  # a human agent has the conversation
    assert all(d.location_id == tenant for d in ghl.delivered)
    assert len(ghl.delivered) == 6  # one per inbound message that needed one, no more
    seen = ghl.contact(tenant, "human")
    assert len(seen.tasks) == 1 and "talk to a real person" in seen.tasks[0]["body"]
    assert len(seen.notes) == 1
    assert "asked for a person" in next(iter(seen.notes.values()))["body"]
    for contact in ("buyer", "mail", "human"):
        tags = ghl.contact(tenant, contact).tags
        assert len([t for t in tags if t.endswith("-lead")]) == 1, (contact, tags)
    # The lead who said STOP: DND set in GHL and the opted-out tag; no score tag (agencies
    # start nurture workflows on them).
    stopped = ghl.contact(tenant, "stopper")
    assert stopped.tags == ["opted-out"]
    assert stopped.dnd_settings["SMS"]["status"] == "active"
