"""Consent end to end, from signed webhooks POSTed to the receiver through the five workers to
the texts the (fake) GHL API records, in the four ways an adversarial review reached a lead
who had said stop, and the fifth (forget and return):

- STOP by SMS (one confirmation), then an email reply that quotes the confirmation's
  "Reply START to resubscribe", then a question: no more texts;
- GHL's SMS DND, then a tag update that does not mention DND, then a question: no text;
- STOP, then a question holding the keyword ("what does START mean?"): no more texts;
- STOP, retention prunes every message, then a new question: no more texts;
- STOP, the contact is deleted in GHL, the same phone returns as a new contact and asks a
  question: no more texts.

All leads are in one tenant and one run of the pipeline; each scenario waits for the
pipeline to decide on its last message (the reply row the responder records) before
counting what GHL received.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.demo.ghl_events import contact_event, inbound_message
from devtools.demo.receiver import receiver_running, webhook_url
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from tests.conftest import new_tenant
from tests.support.pipeline import fake_api_settings, onboard
from tests.support.services import ServiceUrls
from tests.support.workers import eventually, running
from tests.support.zones import midday_zone
from workers.db.retention import prune_messages
from workers.db.tenant import TenantDatabase
from workers.responder.modes import opt_out_text
from workers.settings import Settings

pytestmark = pytest.mark.e2e
SIGNING = Ed25519PrivateKey.generate()
PUBLIC_PEM = SIGNING.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeMessagesAPI, FakeGHLAPI]]:
    async with FakeMessagesAPI(responder=lambda _: "Happy to help! What area and budget?") \
            as claude, FakeGHLAPI() as ghl:
        yield claude, ghl


class Lead:
    """One lead's webhooks, signed and POSTed as GHL would, and what GHL received for it."""

    def __init__(self, http: aiohttp.ClientSession, url: str, db: TenantDatabase,
                 ghl: FakeGHLAPI, tenant: str, contact: str, phone: str) -> None:
        self.http, self.url, self.db, self.ghl = http, url, db, ghl
        self.tenant, self.contact, self.phone = tenant, contact, phone
        self.zone = midday_zone()
        self.sent = 0

    async def post(self, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json",
                   "X-GHL-Signature": base64.b64encode(SIGNING.sign(raw)).decode()}
        async with self.http.post(self.url, data=raw, headers=headers) as resp:
            assert resp.status == 200, await resp.text()

    async def created(self, **fields: Any) -> None:
        await self.post({**contact_event(self.tenant, self.contact, first="Dana",
                                         phone=self.phone, email=f"{self.contact}@example.com"),
                         "timezone": self.zone, **fields})

    async def says(self, text: str, channel: str = "SMS") -> None:
        """An inbound message; returns once the pipeline decided on it (its reply row)."""
        self.sent += 1
        mid = f"{self.contact}-m{self.sent}"
        await self.post(inbound_message(self.tenant, self.contact, text, channel=channel,
                                        message_id=mid, from_=self.phone))

        async def decided() -> bool:
            async with self.db.transaction(self.tenant) as conn:
                return bool(await conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM replies WHERE reply_to_message_id = $1 "
                    "AND status IN ('sent', 'suppressed', 'failed'))", mid))
        await eventually(decided, timeout_s=60)

    def texts(self, *contacts: str) -> list[str]:
        wanted = set(contacts) or {self.contact}
        return [m.message for m in self.ghl.delivered if m.contact_id in wanted]


async def test_no_automated_text_reaches_a_lead_who_said_stop(
    make_settings: Callable[..., Settings], migrated: ServiceUrls,
    fakes: tuple[FakeMessagesAPI, FakeGHLAPI],
) -> None:
    claude, ghl = fakes
    tenant = new_tenant()
    await onboard(migrated.database_url, tenant, [])
    settings = fake_api_settings(make_settings, claude, ghl, tenant,
                                 ghl_ed25519_public_key=PUBLIC_PEM)
    confirmation = opt_out_text("Hill Country Homes")
    db = await TenantDatabase.connect(migrated.database_url)
    try:
        async with running(settings, "ingestion", "memory", "learning", "responder",
                           "outbound"), \
                receiver_running(settings) as receiver, aiohttp.ClientSession() as http:
            url = webhook_url(receiver)

            def lead(contact: str, phone: str) -> Lead:
                return Lead(http, url, db, ghl, tenant, contact, phone)

            # 1. A quoted confirmation on email lifts nothing.
            quoted = lead("quoted", "+447700900201")
            await quoted.created()
            await quoted.says("STOP")
            assert quoted.texts() == [confirmation]
            await quoted.says(
                "ok thanks\n\nOn Mon, Dec 7, 2026 at 9:14 AM Hill Country Homes "
                "<agent@hillcountry.test> wrote:\n> " + confirmation.replace("\n", "\n> "),
                channel="Email")
            await quoted.says("Is the house on Elm still available?")
            assert quoted.texts() == [confirmation]

            # 2. SMS DND, then a tag update without dndSettings, then a question.
            dnd = lead("dnd", "+447700900202")
            await dnd.created()
            await dnd.created(type="ContactDndUpdate",
                              dndSettings={"SMS": {"status": "active", "message": "STOP"}})
            await dnd.created(type="ContactTagUpdate", tags=["buyer-lead", "hot-lead"])
            await dnd.says("Is the 3 bed on Elm still for sale?")
            assert dnd.texts() == []

            # 3. STOP, then a question holding the keyword.
            keyword = lead("keyword", "+447700900203")
            await keyword.created()
            await keyword.says("STOP")
            await keyword.says("what does START mean? I just want the price of Elm St")
            assert keyword.texts() == [confirmation]

            # 4. STOP, retention prunes the messages, then a new question.
            pruned = lead("pruned", "+447700900204")
            await pruned.created()
            await pruned.says("Stop texting me please")

            async def confirmation_remembered() -> bool:  # memory stores our sent reply too
                async with db.transaction(tenant) as conn:
                    return bool(await conn.fetchval(
                        "SELECT count(*) FROM messages WHERE contact_id = 'pruned' "
                        "AND direction = 'outbound'"))
            await eventually(confirmation_remembered, timeout_s=60)
            await prune_messages(db, tenant, 0, batch_rows=1000)
            async with db.transaction(tenant) as conn:
                assert not await conn.fetchval(
                    "SELECT count(*) FROM messages WHERE contact_id = 'pruned'")
            await pruned.says("how much is the condo on 5th?")
            assert pruned.texts() == [confirmation]

            # 5. STOP, ContactDelete, the same phone back as a new contact.
            gone = lead("gone", "+447700900205")
            await gone.created()
            await gone.says("unsubscribe")
            await gone.post({**contact_event(tenant, "gone", type_="ContactDelete")})
            back = lead("back", "+447700900205")
            await back.created()
            await back.says("hi, do you have any 2 bed condos downtown?")
            assert back.texts("gone", "back") == [confirmation]

            # A lead who said nothing of the kind is answered (the test has teeth).
            fine = lead("fine", "+447700900206")
            await fine.created()
            await fine.says("Hi! Any 3 bed homes under 450k?")
            assert len(fine.texts()) == 1
    finally:
        await db.close()
