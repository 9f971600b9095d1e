"""The outbound connector against the real broker, Postgres and the fake GHL API.

Each test runs the worker with an `OutboundConfig` pointing at its own fake GHL server.
Timing is asserted only through the times the fake recorded, never by the test's clock.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY
from pydantic import SecretStr

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import API_VERSION, FakeGHLAPI
from schemas import topics
from schemas.envelope import utcnow
from schemas.events import ReplyDrafted
from tests.conftest import new_tenant
from tests.support.kafka import body, keyed, publish_events, read_until
from tests.support.zones import midday_zone
from workers.db.tenant import TenantDatabase
from workers.ghl.limits import Limits
from workers.ghl.shared_limit import RedisWindows
from workers.outbound.config import OutboundConfig
from workers.outbound.worker import SPEC, build
from workers.runtime.boundary import read_dead_letter
from workers.runtime.host import WorkerHost
from workers.runtime.record import Record
from workers.secrets import generate_key
from workers.settings import Settings

pytestmark = pytest.mark.integration
SEND_PATH = "/conversations/messages"


@pytest.fixture
async def ghl() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI() as fake:
        yield fake


async def tenant_with_token(ghl: FakeGHLAPI, db: TenantDatabase) -> tuple[str, str]:
    """A tenant whose leads live where it is midday now: no quiet hours hold their texts."""
    tenant = new_tenant()
    token = f"tok-{tenant}"
    ghl.add_token(token, tenant)
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await conn.execute("INSERT INTO tenant_settings (tenant_id, timezone) VALUES ($1, $2)",
                           tenant, midday_zone())
    return tenant, token


def config(ghl: FakeGHLAPI, tokens: dict[str, str], **overrides: Any) -> OutboundConfig:
    values: dict[str, Any] = {
        "base_url": ghl.base_url, "tokens": tokens, "backoff_s": 0.05, "timeout_s": 5.0,
        "scheduler_interval_s": 0.2,
    }
    values.update(overrides)
    return OutboundConfig(**values)


@asynccontextmanager
async def running(settings: Settings, cfg: OutboundConfig) -> AsyncIterator[WorkerHost]:
    host = WorkerHost(replace(SPEC, build=partial(build, config=cfg)), settings)
    await host.start()
    try:
        yield host
    finally:
        await host.stop()


def reply(tenant: str, text: str, *, channel: str = "sms", contact: str = "c1",
          send_after: datetime | None = None, key: str | None = None) -> ReplyDrafted:
    now = utcnow()
    return ReplyDrafted(
        event_id=str(uuid.uuid4()), tenant_id=tenant, contact_id=contact, occurred_at=now,
        received_at=now, idempotency_key=key or f"m-{uuid.uuid4().hex[:12]}",
        channel=channel, body=text, mode="buyer", send_after=send_after,
    )


async def reply_row(db: TenantDatabase, tenant: str, key: str) -> dict[str, Any]:
    async with db.transaction(tenant) as conn:
        row = await conn.fetchrow(
            "SELECT * FROM replies WHERE tenant_id = $1 AND idempotency_key = $2", tenant, key)
    return dict(row) if row is not None else {}


async def delivered_events(kafka: str, tenant: str, n: int, settle_s: float = 1.0) -> list[Any]:
    out = await read_until(kafka, topics.REPLIES_DELIVERED, lambda s: len(s) >= n,
                           where=keyed({tenant}), settle_s=settle_s)
    return [body(r) for r in out]


def sends(ghl: FakeGHLAPI) -> list[int | None]:
    return [r.status for r in ghl.requests if r.path == SEND_PATH]


def metric(outcome: str) -> float:
    return REGISTRY.get_sample_value("leadmem_outbound_sends_total", {"outcome": outcome}) or 0.0


async def test_each_reply_is_sent_once_even_when_redelivered(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase
) -> None:
    tenant, token = await tenant_with_token(ghl, db)
    drafts = [reply(tenant, "Still looking in Austin?"),
              reply(tenant, "Hi Ana,\nhere are two homes.", channel="email"),
              reply(tenant, "Can we call at 5?", channel="whatsapp")]
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [*drafts, drafts[0]])
    cfg = config(ghl, {tenant: token})
    async with running(make_settings(), cfg):
        events = await delivered_events(kafka, tenant, 4)
    assert [(m.type, m.contact_id, m.location_id) for m in ghl.delivered] == [
        ("SMS", "c1", tenant), ("Email", "c1", tenant), ("WhatsApp", "c1", tenant)]
    first = ghl.requests[0]
    assert first.headers["authorization"] == f"Bearer {token}"
    assert first.headers["version"] == API_VERSION
    assert first.body == {"type": "SMS", "contactId": "c1", "message": drafts[0].body}
    assert ghl.delivered[1].body["html"] == "<p>Hi Ana,<br>here are two homes.</p>"

    # Every ReplyDelivered carries GHL's ids; the duplicate re-published the same event.
    assert len(events) == 4 and events[3] == events[0]
    for draft, event, sent in zip(drafts, events, ghl.delivered, strict=False):
        assert event["type"] == "reply.delivered" and event["idempotency_key"] == \
            draft.idempotency_key
        assert event["ghl_message_id"] == sent.message_id
        assert event["conversation_id"] == sent.conversation_id
        assert event["causation_id"] == draft.event_id and event["body"] == draft.body
        row = await reply_row(db, tenant, draft.idempotency_key)
        assert row["status"] == "sent" and row["ghl_message_id"] == sent.message_id
        assert row["sent_at"] is not None and row["send_attempts"] == 1

    # A restarted worker in a new group re-reads everything and sends nothing again.
    async with running(make_settings(), cfg):
        again = await delivered_events(kafka, tenant, 8)
    assert len(ghl.delivered) == 3 and sends(ghl) == [201, 201, 201]
    assert {e["event_id"] for e in again} == {e["event_id"] for e in events}


async def test_429_waits_as_told_then_sends(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase
) -> None:
    tenant, token = await tenant_with_token(ghl, db)
    ghl.inject(Fault(status=429, retry_after=0.5, path=SEND_PATH))
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [reply(tenant, "Hello")])
    async with running(make_settings(), config(ghl, {tenant: token})):
        events = await delivered_events(kafka, tenant, 1)
    assert sends(ghl) == [429, 201] and len(ghl.delivered) == 1
    assert ghl.requests[1].at - ghl.requests[0].at >= 0.45
    assert events[0]["ghl_message_id"] == ghl.delivered[0].message_id


async def test_answers_proving_it_was_not_taken_are_retried_then_sends(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase
) -> None:
    tenant, token = await tenant_with_token(ghl, db)
    ghl.inject(Fault(status=408), Fault(status=429, retry_after=0.05))  # a 5xx: in doubt
    draft = reply(tenant, "Hello")
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft])
    async with running(make_settings(), config(ghl, {tenant: token})):
        await delivered_events(kafka, tenant, 1)
    assert sends(ghl) == [408, 429, 201] and len(ghl.delivered) == 1
    assert (await reply_row(db, tenant, draft.idempotency_key))["status"] == "sent"


async def test_401_refreshes_the_token_once_then_sends(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase
) -> None:
    tenant, token = await tenant_with_token(ghl, db)
    ghl.expire_token(token)
    ghl.add_refresh_token("rt-1", tenant)
    cfg = config(ghl, {tenant: token}, oauth_client_id="cid", oauth_client_secret="secret",
                 refresh_tokens={tenant: "rt-1"})
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [reply(tenant, "Hello")])
    async with running(make_settings(master_key=SecretStr(generate_key())), cfg):
        await delivered_events(kafka, tenant, 1)
    assert [(r.path, r.status) for r in ghl.requests] == [
        (SEND_PATH, 401), ("/oauth/token", 200), (SEND_PATH, 201)]
    assert len(ghl.delivered) == 1


async def test_a_rejected_reply_is_marked_failed_and_dead_lettered(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase
) -> None:
    tenant, token = await tenant_with_token(ghl, db)
    ghl.inject(Fault(status=422, message="contactId is not a contact of this location"))
    bad, good = reply(tenant, "Hello", contact="gone"), reply(tenant, "Next one")
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [bad, good])
    async with running(make_settings(), config(ghl, {tenant: token})):
        dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 1,
                               where=keyed({tenant}))
        await delivered_events(kafka, tenant, 1, settle_s=0.5)
    letter = read_dead_letter(Record.from_consumer(dlq[0]))
    assert len(dlq) == 1 and letter.worker == "outbound"
    assert letter.error_type == "ReplyRejectedError" and letter.attempts == 1
    assert "422 contactId is not a contact of this location" in letter.error
    assert base64.b64decode(letter.value_b64) == bad.model_dump_json().encode()
    row = await reply_row(db, tenant, bad.idempotency_key)
    assert row["status"] == "failed" and "422" in row["send_error"]
    assert sends(ghl) == [422, 201] and [m.message for m in ghl.delivered] == ["Next one"]


async def test_rate_limit_spreads_a_burst_over_windows(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase,
    redis: aioredis.Redis,
) -> None:
    async with FakeGHLAPI(rate_limit_burst=5, rate_limit_interval=1.0) as ghl:
        tenant, token = await tenant_with_token(ghl, db)
        drafts = [reply(tenant, f"reply {i}") for i in range(12)]
        await publish_events(kafka, topics.REPLIES_OUTBOUND, drafts)
        # Our bucket counts a send when its turn is taken, GHL when the request arrives; the
        # claim between them (one statement reading the consent state) takes up to a few
        # hundred ms on a loaded machine. The margin over the server's 1.0 s window absorbs it.
        cfg = config(ghl, {tenant: token}, rate_limit=5, rate_interval_s=1.5)
        async with running(make_settings(), cfg):
            await delivered_events(kafka, tenant, 12, settle_s=0.2)
    at = [r.at for r in ghl.requests if r.path == SEND_PATH]
    assert sends(ghl) == [201] * 12  # the bucket kept us under the limit: no 429
    assert [m.message for m in ghl.delivered] == [d.body for d in drafts]
    assert all(at[i + 5] - at[i] >= 1.0 for i in range(len(at) - 5))  # <= 5 per window
    assert at[10] - at[0] >= 2.0  # 12 replies need three windows
    # The shared count remembers the 5 per second this fake reported for the location (as it
    # should); later tests' workers re-read this location's records, not to be paced by it.
    await redis.delete(*RedisWindows(redis, Limits()).keys(tenant))


async def test_a_held_reply_does_not_block_and_is_sent_when_due(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase
) -> None:
    tenant, token = await tenant_with_token(ghl, db)
    async with running(make_settings(), config(ghl, {tenant: token})):
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [reply(tenant, "Warm-up")])
        await delivered_events(kafka, tenant, 1, settle_s=0)  # the worker is consuming
        due = utcnow() + timedelta(seconds=2)
        held, now = reply(tenant, "Good morning!", send_after=due), reply(tenant, "Right away")
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [held, now])
        await delivered_events(kafka, tenant, 2, settle_s=0)
        row = await reply_row(db, tenant, held.idempotency_key)
        assert row["status"] == "held" and row["send_after"] == due
        assert [m.message for m in ghl.delivered] == ["Warm-up", "Right away"]
        events = await delivered_events(kafka, tenant, 3)
    assert [m.message for m in ghl.delivered] == ["Warm-up", "Right away", "Good morning!"]
    assert ghl.delivered[2].at >= due.timestamp()
    assert events[1]["idempotency_key"] == now.idempotency_key
    assert events[2]["idempotency_key"] == held.idempotency_key
    assert events[2]["ghl_message_id"] == ghl.delivered[2].message_id
    assert (await reply_row(db, tenant, held.idempotency_key))["status"] == "sent"


async def test_a_send_that_may_have_gone_out_is_never_resent(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase
) -> None:
    tenant, token = await tenant_with_token(ghl, db)
    ghl.inject(Fault(delay=3.0, path=SEND_PATH))  # GHL gets the request, we get no answer
    draft, later = reply(tenant, "Hello"), reply(tenant, "After the redelivery")
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft])
    in_doubt_before = metric("in_doubt")
    async with running(make_settings(), config(ghl, {tenant: token}, timeout_s=0.5)):
        dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 1,
                               where=keyed({tenant}))
        await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft, later])
        await delivered_events(kafka, tenant, 1, settle_s=0.5)
    letter = read_dead_letter(Record.from_consumer(dlq[0]))
    assert letter.error_type == "DeliveryInDoubtError" and "may have been" in letter.error
    row = await reply_row(db, tenant, draft.idempotency_key)
    assert row["status"] == "sending" and "may have been delivered" in row["send_error"]
    assert len(sends(ghl)) == 2  # the first attempt, then only the later reply
    assert [m.message for m in ghl.delivered] == ["After the redelivery"]
    assert metric("in_doubt") >= in_doubt_before + 2  # the timeout, then the redelivery


async def test_a_crash_after_claiming_leaves_the_reply_for_reconciliation(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase
) -> None:
    tenant, token = await tenant_with_token(ghl, db)
    draft, later = reply(tenant, "Hello"), reply(tenant, "Next")
    async with db.transaction(tenant) as conn:  # what a worker killed mid-send leaves behind
        await conn.execute(
            "INSERT INTO replies (tenant_id, idempotency_key, event_id, contact_id, channel, "
            "body, mode, status) VALUES ($1, $2, $3, 'c1', 'sms', 'Hello', 'buyer', 'sending')",
            tenant, draft.idempotency_key, draft.event_id)
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [draft, later])
    async with running(make_settings(), config(ghl, {tenant: token})):
        await delivered_events(kafka, tenant, 1, settle_s=0.5)
    assert [m.message for m in ghl.delivered] == ["Next"]
    assert (await reply_row(db, tenant, draft.idempotency_key))["status"] == "sending"


async def test_the_due_scan_reveals_keys_only_never_other_tenants_rows(
    db: TenantDatabase,
) -> None:
    a, b = new_tenant(), new_tenant()
    for tenant in (a, b):
        async with db.transaction(tenant) as conn:
            await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
            await conn.execute(
                "INSERT INTO replies (tenant_id, idempotency_key, event_id, contact_id, "
                "channel, body, mode, status, send_after) VALUES "
                "($1, 'k', 'e', 'c1', 'sms', 'secret', 'buyer', 'held', now())", tenant)
    async with db.transaction(a) as conn:
        assert await conn.fetchval("SELECT count(*) FROM replies WHERE status = 'held'") == 1
        due = {tuple(r) for r in await conn.fetch("SELECT * FROM outbound_due_replies(100000)")}
    assert {(a, "k"), (b, "k")} <= due
