"""Ingestion against the real broker and Postgres: order, dead-letters, dedupe."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.demo.ghl_events import contact_event, inbound_message, opportunity_event
from devtools.signing import signed as dev_signed
from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer, body, keyed, read_until
from tests.support.tenants import add_tenants
from workers.ingestion.worker import SPEC
from workers.runtime.boundary import read_dead_letter
from workers.runtime.host import WorkerHost
from workers.runtime.record import Record
from workers.settings import Settings

pytestmark = pytest.mark.integration


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[WorkerHost]:
    host = WorkerHost(SPEC, settings)
    await host.start()
    try:
        yield host
    finally:
        await host.stop()


def raw(event: dict[str, object]) -> bytes:
    return json.dumps(event).encode()


async def test_events_for_several_tenants_arrive_normalised_in_tenant_order(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenants = [new_tenant() for _ in range(3)]
    await add_tenants(make_settings().database_url, *tenants)
    sent: dict[str, list[str]] = {t: [] for t in tenants}
    async with RawProducer(kafka) as producer:
        for i in range(12):
            for t in tenants:
                text = f"message {i} for {t}"
                sent[t].append(text)
                value = raw(inbound_message(t, "c1", text))
                await producer.send(topics.GHL_EVENTS, value, key=t, headers=dev_signed(value))
        contact = raw(contact_event(tenants[0], "c1"))
        await producer.send(topics.GHL_EVENTS, contact, key=tenants[0],
                            headers=dev_signed(contact))
        opportunity = raw(opportunity_event(tenants[1], "c1"))
        await producer.send(topics.GHL_EVENTS, opportunity, key=tenants[1],
                            headers=dev_signed(opportunity))
        unknown = raw({"type": "SomethingNew", "locationId": tenants[2], "foo": 1})
        await producer.send(topics.GHL_EVENTS, unknown, key=tenants[2],
                            headers=dev_signed(unknown))

    async with running(make_settings()):
        out = await read_until(
            kafka, topics.CONVERSATION_EVENTS, lambda seen: len(seen) >= 39,
            where=keyed(set(tenants)), settle_s=1.0,
        )
    assert len(out) == 39
    for t in tenants:
        mine = [body(r) for r in out if r.key == t.encode()]
        messages = [e["body"] for e in mine if e["type"] == "message.ingested"]
        assert messages == sent[t]  # per-tenant order kept
        for e in mine:
            assert e["tenant_id"] == t and e["schema_version"] == 1 and e["event_id"]
    first = body(out[0])
    assert first["channel"] == "sms" and first["sender"] == "lead"
    assert first["direction"] == "inbound" and first["contact_id"] == "c1"
    kinds = {body(r)["type"] for r in out}
    assert kinds == {"message.ingested", "contact.changed", "lead.activity"}
    headers = dict(out[0].headers)
    assert headers["tenant-id"] == out[0].key
    assert headers["event-type"] == b"message.ingested"


async def test_bad_input_is_dead_lettered_and_nothing_valid_is_lost(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    signing = Ed25519PrivateKey.generate()
    public_pem = signing.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()

    def signed(data: bytes) -> dict[str, str]:
        return {"x-ghl-signature": base64.b64encode(signing.sign(data)).decode()}

    tenant = new_tenant()
    await add_tenants(make_settings().database_url, tenant)
    stale = inbound_message(tenant, "c9", "old news")
    stale["timestamp"] = "2020-01-01T00:00:00.000Z"
    wrong_types = inbound_message(tenant, "c9", "x")
    wrong_types["body"] = {"not": "text"}
    wrong_types["attachments"] = "nope"
    missing_location = inbound_message(tenant, "c9", "where am I")
    del missing_location["locationId"]
    big = inbound_message(tenant, "c9", "x" * 2_000_000)
    poison: dict[str, bytes] = {
        "not json": b"{this is not json",
        "invalid utf-8": b'{"type": "InboundMessage", "body": "\xff\xfe"}',
        "json array": b"[1, 2, 3]",
        "missing locationId": raw(missing_location),
        "wrong types": raw(wrong_types),
        "2 MB body": raw(big),
        "stale timestamp": raw(stale),
    }
    bad_signature = raw(inbound_message(tenant, "c9", "tampered"))
    valid: list[str] = []
    async with RawProducer(kafka) as producer:
        for i, value in enumerate(poison.values()):
            text = f"valid {i}"
            valid.append(text)
            good = raw(inbound_message(tenant, "c9", text))
            await producer.send(topics.GHL_EVENTS, good, key=tenant, headers=signed(good))
            await producer.send(topics.GHL_EVENTS, value, key=tenant, headers=signed(value))
        await producer.send(topics.GHL_EVENTS, bad_signature, key=tenant,
                            headers=signed(b"something else"))
        last = raw(inbound_message(tenant, "c9", "valid last"))
        valid.append("valid last")
        await producer.send(topics.GHL_EVENTS, last, key=tenant, headers=signed(last))

    settings = make_settings(ghl_ed25519_public_key=public_pem, max_body_bytes=1_000_000)
    async with running(settings):
        out = await read_until(kafka, topics.CONVERSATION_EVENTS,
                               lambda s: len(s) >= len(valid), where=keyed({tenant}),
                               settle_s=0.5)
        dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 8,
                               where=keyed({tenant}), settle_s=0.5)
    assert [body(r)["body"] for r in out] == valid
    letters = [read_dead_letter(Record.from_consumer(r)).model_dump() for r in dlq]
    assert len(letters) == 8
    originals = {base64.b64decode(x["value_b64"]) for x in letters}
    assert originals == {*poison.values(), bad_signature}
    for x in letters:
        assert x["source_topic"] == topics.GHL_EVENTS and x["offset"] >= 0
        assert x["worker"] == "ingestion" and x["error"] and x["error_type"]
    errors = " | ".join(x["error"] for x in letters)
    for expected in ("not JSON", "not valid UTF-8", "JSON list", "locationId",
                     "exceeds the limit", "signature does not match", "older than", "body"):
        assert expected in errors, expected


async def test_duplicate_delivery_produces_one_event(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    await add_tenants(make_settings().database_url, tenant)
    with_id = raw(inbound_message(tenant, "c1", "first", webhook_id="wh-dup-1"))
    no_id_event = inbound_message(tenant, "c1", "second")
    del no_id_event["webhookId"]
    no_id = raw(no_id_event)
    async with RawProducer(kafka) as producer:
        for value in (with_id, with_id, no_id, no_id, with_id):
            await producer.send(topics.GHL_EVENTS, value, key=tenant, headers=dev_signed(value))
    async with running(make_settings()):
        out = await read_until(kafka, topics.CONVERSATION_EVENTS, lambda s: len(s) >= 2,
                               where=keyed({tenant}), settle_s=2.0)
    assert [body(r)["body"] for r in out] == ["first", "second"]
