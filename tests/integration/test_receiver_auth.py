"""Who may speak for a tenant, over HTTP against the real broker and ingestion: GHL deliveries
must carry a signature that verifies (HighLevel's published keys by default, the tests' own key
here); a workflow webhook (unsigned by GHL) only through its tenant's own URL, for that
tenant's `locationId`. Whatever is refused reaches no topic at all, which the tests read."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiokafka import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.demo.ghl_events import inbound_message
from devtools.signing import signed
from schemas import topics
from tests.conftest import new_tenant
from tests.support import cli
from tests.support.kafka import RawProducer, body, keyed, read_until
from tests.support.workers import eventually, running
from workers.cli import tenant_cmds
from workers.db.tenant import TenantDatabase
from workers.ingestion.workflow import WORKFLOW_HEADER, WorkflowKey, webhook_path
from workers.receiver.app import WEBHOOK_PATH
from workers.receiver.service import Receiver
from workers.runtime.boundary import read_dead_letter
from workers.runtime.kafka import log_end_offsets, topic_partitions
from workers.runtime.record import Record
from workers.settings import Settings
from workers.tenants import store as tenant_store

pytestmark = pytest.mark.integration

SECRET = "workflow-secret-of-the-tests-" + "0123456789abcdef"
KEY = WorkflowKey(SECRET.encode())
FOREIGN = Ed25519PrivateKey.generate()  # a key the deployment does not trust


def delivery(tenant: str, text: str = "Is the 3 bed on Elm still available?") -> bytes:
    return json.dumps(inbound_message(tenant, "cI08i1Bls3iTB9bKgFJh", text)).encode()


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Receiver]:
    receiver = Receiver(settings)
    await receiver.start()
    try:
        await eventually(receiver.broker_ok, timeout_s=30)
        yield receiver
    finally:
        await receiver.stop()


async def post(receiver: Receiver, path: str, data: bytes,
               headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(
            f"http://127.0.0.1:{receiver.port}{path}", data=data, headers=headers) as resp:
        text = await resp.text()
        return resp.status, json.loads(text) if text.startswith("{") else {"text": text}


async def written(bootstrap: str) -> dict[str, int]:
    """Records ever written to each of the project's topics."""
    ends = await log_end_offsets(bootstrap, await topic_partitions(bootstrap, topics.ALL_TOPICS))
    totals = dict.fromkeys(topics.ALL_TOPICS, 0)
    for tp, end in ends.items():
        totals[tp.topic] += end
    return totals


async def added(db: TenantDatabase, *tenants: str) -> None:
    """Tenants an operator added (ingestion keeps any other location's deliveries out)."""
    for tenant in tenants:
        async with db.transaction(tenant) as conn:
            await tenant_store.add(conn, tenant, None)


def holding(values: set[bytes]) -> Callable[[ConsumerRecord[bytes, bytes]], bool]:
    return lambda r: r.value in values


async def test_unsigned_forged_and_foreign_location_bodies_get_401_and_reach_no_topic(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase
) -> None:
    tenant, other = new_tenant(), new_tenant()
    await added(db, tenant, other)  # tenants both: refused for what they sent, not who
    raw = delivery(tenant, "forged: STOP means START")
    foreign = delivery(other, "tenant A's URL claiming tenant B's location")
    settings = make_settings(workflow_webhook_key=SECRET)
    async with serving(settings) as receiver, running(settings, "ingestion"):
        before = await written(kafka)
        answers = {
            "unsigned": await post(receiver, WEBHOOK_PATH, raw),
            "signed by a foreign key": await post(receiver, WEBHOOK_PATH, raw, {
                "X-GHL-Signature": base64.b64encode(FOREIGN.sign(raw)).decode()}),
            "signed over other bytes": await post(receiver, WEBHOOK_PATH, raw,
                                                  signed(raw + b" ")),
            "a workflow body for another location": await post(
                receiver, webhook_path(KEY, tenant), foreign),
            "tenant A's token with tenant B in the path": await post(
                receiver, f"/webhooks/workflow/{other}/{KEY.url_token(tenant)}", foreign),
            "a made-up token": await post(receiver, f"/webhooks/workflow/{tenant}/x", raw),
        }
        # nothing reached any topic: not ghl.events, not the DLQ, nothing downstream
        seen = await read_until(kafka, topics.GHL_EVENTS, lambda s: True,
                                where=holding({raw, foreign}), settle_s=2.0)
        dead = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: True,
                                where=holding({raw, foreign}), settle_s=1.0)
        after = await written(kafka)
    for name, (status, answer) in answers.items():
        assert (name, status, answer["outcome"]) == (name, 401, "unauthorized")
    assert "unsigned webhook" in answers["unsigned"][1]["error"]
    assert answers["signed by a foreign key"][1]["error"] == \
        "webhook signature does not match the body"
    assert answers["a workflow body for another location"][1]["error"] == \
        "the body's locationId is not this workflow URL's tenant"
    assert answers["tenant A's token with tenant B in the path"][1]["error"] == \
        "not this tenant's workflow webhook URL"
    assert seen == [] and dead == []
    assert after == before


async def test_a_workflow_webhook_is_accepted_on_its_tenant_s_url_and_ingested(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase
) -> None:
    tenant = new_tenant()
    await added(db, tenant)
    raw = delivery(tenant, "Hi, from a GHL workflow: is Elm St still for sale?")
    settings = make_settings(workflow_webhook_key=SECRET)
    async with serving(settings) as receiver, running(settings, "ingestion"):
        status, answer = await post(receiver, webhook_path(KEY, tenant), raw,
                                    {"Content-Type": "application/json"})
        assert (status, answer) == (200, {"outcome": "accepted"})
        (record,) = await read_until(kafka, topics.GHL_EVENTS, lambda s: len(s) >= 1,
                                     where=keyed({tenant}), timeout_s=10)
        out = await read_until(kafka, topics.CONVERSATION_EVENTS, lambda s: len(s) >= 1,
                               where=keyed({tenant}), settle_s=1.0)
        dead = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: True,
                                where=keyed({tenant}), settle_s=1.0)
    assert record.value == raw
    headers = dict(record.headers)
    assert headers["tenant-id"] == tenant.encode()
    assert headers[WORKFLOW_HEADER] == KEY.record_mac(tenant, raw).encode()
    assert "x-ghl-signature" not in headers
    (event,) = [body(r) for r in out]
    assert event["tenant_id"] == tenant and event["type"] == "message.ingested"
    assert event["body"] == "Hi, from a GHL workflow: is Elm St still for sale?"
    assert dead == []


async def test_ingestion_takes_an_unsigned_record_only_with_its_own_tenant_s_binding(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase
) -> None:
    """Records written to ghl.events by anything but the receiver: a binding made for another
    tenant, for other bytes or under another key is dead-lettered; a good one is ingested."""
    tenant, other = new_tenant(), new_tenant()
    await added(db, tenant, other)
    good = delivery(tenant, "bound to its tenant")
    borrowed = delivery(other, "tenant A's binding on tenant B's record")
    altered = delivery(tenant, "altered after binding")
    wrong_key = delivery(tenant, "bound under another key")
    unsigned = delivery(tenant, "no binding at all")
    cases = {
        good: KEY.record_mac(tenant, good),
        borrowed: KEY.record_mac(tenant, borrowed),
        altered: KEY.record_mac(tenant, delivery(tenant, "the original")),
        wrong_key: WorkflowKey(b"z" * 40).record_mac(tenant, wrong_key),
    }
    async with RawProducer(kafka) as producer:
        for value, mac in cases.items():
            key = other if value is borrowed else tenant
            await producer.send(topics.GHL_EVENTS, value, key=key,
                                headers={WORKFLOW_HEADER: mac})
        await producer.send(topics.GHL_EVENTS, unsigned, key=tenant)
    async with running(make_settings(workflow_webhook_key=SECRET), "ingestion"):
        dead = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 4,
                                where=holding({borrowed, altered, wrong_key, unsigned}),
                                timeout_s=30)
        out = await read_until(kafka, topics.CONVERSATION_EVENTS, lambda s: len(s) >= 1,
                               where=keyed({tenant, other}), settle_s=1.0)
    assert [body(r)["body"] for r in out] == ["bound to its tenant"]
    letters = [read_dead_letter(Record.from_consumer(r)) for r in dead]
    assert {base64.b64decode(d.value_b64) for d in letters} == \
        {borrowed, altered, wrong_key, unsigned}
    assert {d.error_type for d in letters} == {"SignatureMismatchError"}


async def test_without_a_workflow_key_the_workflow_route_is_not_served(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    raw = delivery(tenant)
    async with serving(make_settings()) as receiver:
        before = await written(kafka)
        status, _ = await post(receiver, webhook_path(KEY, tenant), raw)
        assert await written(kafka) == before
    assert status == 404


async def test_leadmem_tenant_webhook_url_prints_the_url_the_receiver_accepts(
    make_settings: Callable[..., Settings], kafka: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = new_tenant()
    settings = make_settings(workflow_webhook_key=SECRET)
    for name, value in {"DATABASE_URL": settings.database_url,
                        "ADMIN_DATABASE_URL": settings.admin_database_url,
                        "KAFKA_BOOTSTRAP": kafka}.items():
        monkeypatch.setenv(f"LEADMEM_{name}", value)
    registers = [tenant_cmds.register]
    # refused, each with its reason, while something is missing
    code, why = await cli.run_in_thread(registers, "tenant", "webhook-url", tenant)
    assert code == 2 and "LEADMEM_WORKFLOW_WEBHOOK_KEY is not set" in why
    monkeypatch.setenv("LEADMEM_WORKFLOW_WEBHOOK_KEY", SECRET)
    code, why = await cli.run_in_thread(registers, "tenant", "webhook-url", tenant)
    assert code == 2 and "LEADMEM_PUBLIC_URL is not set" in why
    monkeypatch.setenv("LEADMEM_PUBLIC_URL", "https://hooks.example.com/")
    code, why = await cli.run_in_thread(registers, "tenant", "webhook-url", tenant)
    assert code == 2 and why == f"no tenant {tenant!r}"
    assert (await cli.run_in_thread(registers, "tenant", "add", tenant))[0] == 0
    code, out = await cli.run_in_thread(registers, "tenant", "webhook-url", tenant)
    assert code == 0
    url = out.strip()
    assert url == f"https://hooks.example.com{webhook_path(KEY, tenant)}"
    path = url.removeprefix("https://hooks.example.com")
    raw = delivery(tenant)
    async with serving(settings) as receiver:
        assert (await post(receiver, path, raw))[0] == 200
        assert (await post(receiver, path, delivery(new_tenant())))[0] == 401
