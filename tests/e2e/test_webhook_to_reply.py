"""End to end from the HTTP edge: a GHL webhook POSTed to the receiver -> `ghl.events` ->
every worker -> `memory.updated` -> `replies.outbound` -> a POST at the (fake) GHL API.

The receiver and the five workers run in this process against the real broker, Postgres and
Redis; Claude and GHL are the loopback fakes. The webhooks are signed (Ed25519) and
ingestion is told to reject unsigned ones, so the reply also proves that the receiver
forwarded the body's bytes and the signature header unchanged.
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
from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import body, keyed, read_until
from tests.support.pipeline import fake_api_settings, onboard
from tests.support.services import ServiceUrls
from tests.support.workers import eventually, running
from tests.support.zones import midday_zone
from workers.settings import Settings

pytestmark = pytest.mark.e2e
AREAS = [{"name": "Round Rock", "aliases": ["round rock"]}]
SIGNING = Ed25519PrivateKey.generate()
PUBLIC_PEM = SIGNING.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def model(request: dict[str, Any]) -> str:
    """A stand-in for Claude that says what it was told about the lead."""
    prompt = json.dumps(request)
    area = "Round Rock" if "Round Rock" in prompt else "no area yet"
    return f"Thanks Dana! Noted: {area}. When are you hoping to move?"


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeMessagesAPI, FakeGHLAPI]]:
    async with FakeMessagesAPI(responder=model) as claude, FakeGHLAPI() as ghl:
        yield claude, ghl


async def post(http: aiohttp.ClientSession, url: str, raw: bytes) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json",
               "X-GHL-Signature": base64.b64encode(SIGNING.sign(raw)).decode()}
    async with http.post(url, data=raw, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_a_webhook_posted_to_the_receiver_is_remembered_and_answered(
    make_settings: Callable[..., Settings], kafka: str, migrated: ServiceUrls,
    fakes: tuple[FakeMessagesAPI, FakeGHLAPI],
) -> None:
    claude, ghl = fakes
    tenant = new_tenant()
    await onboard(migrated.database_url, tenant, AREAS)
    settings = fake_api_settings(
        make_settings, claude, ghl, tenant,
        ghl_ed25519_public_key=PUBLIC_PEM,
    )
    # GHL's own formatting (not json.dumps'): a re-encoding on the way would break the
    # signature, and ingestion would dead-letter the delivery instead
    created = json.dumps({**contact_event(tenant, "dana", first="Dana", phone="+447700900123"),
                          "timezone": midday_zone()}, indent=1).encode()
    message = inbound_message(tenant, "dana", "Hi! We need 3 beds in round rock, up to 450k")
    raw = json.dumps(message, indent=1).encode() + b"\n"

    async with running(settings, "ingestion", "memory", "learning", "responder", "outbound"), \
            receiver_running(settings) as receiver, aiohttp.ClientSession() as http:
        url = webhook_url(receiver)
        assert await post(http, url, created) == (200, {"outcome": "accepted"})
        assert await post(http, url, raw) == (200, {"outcome": "accepted"})
        await eventually(lambda: ghl.delivered, timeout_s=60)
        memory = await read_until(
            kafka, topics.MEMORY_UPDATED,
            lambda seen: any(body(r).get("message_id") == message["messageId"] for r in seen),
            where=keyed({tenant}))
        drafted = await read_until(kafka, topics.REPLIES_OUTBOUND, lambda seen: len(seen) >= 1,
                                   where=keyed({tenant}), settle_s=1.0)
        dead = await read_until(kafka, topics.PIPELINE_DLQ, lambda seen: True,
                                where=keyed({tenant}), settle_s=0.5)

    remembered = [body(r) for r in memory if body(r).get("message_id") == message["messageId"]]
    assert remembered[0]["reply_needed"] and remembered[0]["contact_id"] == "dana"
    (reply,) = [body(r) for r in drafted]
    assert reply["reply_to_message_id"] == message["messageId"]
    assert reply["contact_id"] == "dana" and "Round Rock" in reply["body"]
    (sent,) = ghl.delivered
    assert (sent.location_id, sent.contact_id, sent.type) == (tenant, "dana", "SMS")
    assert sent.message == reply["body"]
    assert dead == []  # the signature held over the forwarded bytes
