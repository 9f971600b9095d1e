"""A batch of dead-lettered deliveries, fixed and replayed with `leadmem dlq replay`: each is
processed exactly once, as if it had never failed (issue #15).

The fixable cause here is a body limit set too low for long emails: the deliveries are
dead-lettered at ingestion ("exceeds the limit"), the operator raises
LEADMEM_MAX_BODY_BYTES and replays the batch after more than the replay window has passed
(a replay is judged by when the original reached us), twice (the second sends nothing).
Every worker runs against the real broker, Postgres and Redis, with the fake Claude and GHL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from devtools.demo.ghl_events import contact_event, inbound_message, number_of
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from devtools.signing import signed
from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer, keyed, read_until
from tests.support.pipeline import fake_api_settings
from tests.support.services import ServiceUrls
from tests.support.tenants import add_tenants
from tests.support.workers import eventually, running
from tests.support.zones import midday_zone
from workers.cli.dlq_cmds import dlq_replay
from workers.db.tenant import TenantDatabase
from workers.settings import Settings

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(300)]
LIMIT = 4096
WINDOW_S = 8
LEADS = 6


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeMessagesAPI, FakeGHLAPI]]:
    def answer(request: dict[str, Any]) -> str:
        return "Thanks for the details! When would you like to see homes?"

    async with FakeMessagesAPI(responder=answer) as claude, FakeGHLAPI() as ghl:
        yield claude, ghl


async def test_dead_lettered_deliveries_fixed_and_replayed_are_processed_once(
    make_settings: Callable[..., Settings], kafka: str, migrated: ServiceUrls,
    fakes: tuple[FakeMessagesAPI, FakeGHLAPI],
) -> None:
    claude, ghl = fakes
    tenant = new_tenant()
    db = await TenantDatabase.connect(migrated.database_url)
    await add_tenants(db, tenant)
    settings = fake_api_settings(make_settings, claude, ghl, tenant,
                                 max_body_bytes=LIMIT, max_event_age_s=WINDOW_S)
    leads = [f"lead{i}" for i in range(LEADS)]
    zone = midday_zone()
    short = {c: inbound_message(tenant, c, f"Hi, {c} here, looking for a 3 bed",
                                message_id=f"{c}-m1") for c in leads}
    # Each lead's last message is a long email (over the limit): the one that needs a reply.
    long = {c: inbound_message(tenant, c, f"About the homes you sent ({c}): " + "details " * 700,
                               message_id=f"{c}-m2", channel="Email") for c in leads}
    try:
        async with RawProducer(kafka) as producer:
            for c in leads:
                phone = number_of(c, "+447700")
                contact = {**contact_event(tenant, c, first=c.title(), phone=phone),
                           "timezone": zone}
                for event in (contact, short[c], long[c]):
                    value = json.dumps(event).encode()
                    await producer.send(topics.GHL_EVENTS, value, key=tenant,
                                        headers=signed(value))
        async with running(settings, "ingestion", "memory", "learning", "responder",
                           "outbound"):
            dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= LEADS,
                                   where=keyed({tenant}), settle_s=1.0)
            await eventually(lambda: len(ghl.delivered) >= LEADS, timeout_s=60)
        errors = {r.headers and dict(r.headers).get("dlq-error", b"").decode() for r in dlq}
        assert len(dlq) == LEADS and all("exceeds the limit" in e for e in errors), errors
        replied_short = len(ghl.delivered)

        await asyncio.sleep(WINDOW_S + 1)  # the fix takes longer than the replay window
        fixed = settings.model_copy(update={"max_body_bytes": 1_000_000})
        for _ in range(2):  # the second replay finds every one in the ledger
            await dlq_replay(argparse.Namespace(all=True, tenant=tenant, settings=fixed,
                                                positions=[]))
        async with running(fixed, "ingestion", "memory", "learning", "responder", "outbound"):
            await eventually(lambda: len(ghl.delivered) >= replied_short + LEADS, timeout_s=90)
            await asyncio.sleep(3.0)  # anything sent twice would show by now

        async with db.transaction(tenant) as conn:
            stored = await conn.fetch("SELECT message_id, count(*) AS n FROM messages "
                                      "WHERE message_id LIKE '%-m2' GROUP BY message_id")
            replies = await conn.fetch("SELECT idempotency_key, status FROM replies "
                                       "WHERE idempotency_key LIKE '%-m2'")
            ledger = await conn.fetchval("SELECT count(*) FROM webhook_receipts")
    finally:
        await db.close()
    assert sorted((r["message_id"], r["n"]) for r in stored) == [(f"{c}-m2", 1) for c in leads]
    assert sorted(r["status"] for r in replies) == ["sent"] * LEADS
    per_lead = [sum(1 for d in ghl.delivered if d.contact_id == c) for c in leads]
    assert per_lead == [2] * LEADS, per_lead  # one reply per message, none twice
    assert ledger == 3 * LEADS  # contact, short and long: each claimed once
