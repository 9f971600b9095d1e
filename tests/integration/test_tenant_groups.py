"""Pins the delivery rules of the per-tenant group path (`workers.runtime.groups`).

A batch's records are handled one tenant group per transaction; when a group fails, it is
handled again record by record through the dead-letter boundary. So a poison record in a
multi-tenant batch is dead-lettered alone, the rest of its tenant's records (and every other
tenant's) are processed exactly once, in order, and nothing of the failed attempt is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from schemas import topics
from tests.conftest import new_tenant
from tests.support.events import message
from tests.support.kafka import RawProducer, body, keyed, read_until
from tests.support.tenants import add_tenants
from tests.support.workers import running
from workers.db.tenant import TenantDatabase
from workers.errors import InvalidEventError
from workers.runtime.boundary import DeadLetterBoundary, RetryPolicy
from workers.runtime.groups import GroupHandler, by_tenant, process_batch
from workers.runtime.publisher import EventPublisher
from workers.runtime.record import Record
from workers.settings import Settings

pytestmark = pytest.mark.integration


async def test_poison_in_a_multi_tenant_batch_is_dead_lettered_alone(
    make_settings: Callable[..., Settings], kafka: str, db: TenantDatabase
) -> None:
    a, b = new_tenant(), new_tenant()
    await add_tenants(db, a, b)
    events = {t: [message(t, "c1", f"{t} line {i}", i=i) for i in range(4)] for t in (a, b)}
    poison = b'{"type": "MessageIngested", "tenant_id": "' + a.encode() + b'"}'
    async with RawProducer(kafka) as producer:  # all queued before the worker starts
        for i in range(4):
            for t in (a, b):
                await producer.send(topics.CONVERSATION_EVENTS,
                                    events[t][i].model_dump_json().encode(), key=t)
            if i == 1:
                await producer.send(topics.CONVERSATION_EVENTS, poison, key=a)
    async with running(make_settings(), "memory"):
        out = await read_until(kafka, topics.MEMORY_UPDATED, lambda s: len(s) >= 8,
                               where=keyed({a, b}), settle_s=2.0)
        dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 1,
                               where=keyed({a, b}), settle_s=1.0)
    assert [r.value for r in dlq] == [poison]
    for t in (a, b):
        updates = [body(r) for r in out if r.key == t.encode()]
        assert [u["message_id"] for u in updates] == [e.message_id for e in events[t]]
        async with db.transaction(t) as conn:
            assert await conn.fetchval("SELECT count(*) FROM messages") == 4
            assert await conn.fetchval("SELECT message_count FROM contacts") == 4
            assert await conn.fetchval(
                "SELECT count(*) FROM processed_events WHERE consumer = 'memory'") == 4


class Staged:
    """A group handler whose group writes commit only if the whole group succeeds."""

    def __init__(self) -> None:
        self.committed: list[bytes] = []
        self.group_calls: list[list[bytes]] = []

    async def __call__(self, record: Record) -> None:
        if record.value.startswith(b"poison"):
            raise InvalidEventError("poison")
        if record.value not in self.committed:  # idempotent per event, as the workers
            self.committed.append(record.value)

    async def handle_group(self, tenant: str, records: Sequence[Record]) -> None:
        self.group_calls.append([r.value for r in records])
        staged = []
        for r in records:
            if r.value.startswith(b"poison"):
                raise InvalidEventError("poison")
            staged.append(r.value)
        self.committed.extend(v for v in staged if v not in self.committed)


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def publish(self, message: Any, topic: str = "", **_: Any) -> Any:
        import asyncio

        self.sent.append((topic, message))
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        fut.set_result(None)
        return fut


def rec(tenant: str | None, value: bytes, offset: int) -> Record:
    return Record("t", 0, offset, value, key=tenant.encode() if tenant else None)


async def test_group_fallback_keeps_order_and_processes_once() -> None:
    batch = [rec("A", b"a1", 0), rec("B", b"b1", 1), rec("A", b"poison-a", 2),
             rec("A", b"a2", 3), rec(None, b"n1", 4), rec("B", b"b2", 5)]
    assert [(t, [r.value for r in g]) for t, g in by_tenant(batch)] == [
        ("A", [b"a1", b"poison-a", b"a2"]), ("B", [b"b1", b"b2"]), (None, [b"n1"])]
    handler, producer = Staged(), Recorder()
    assert isinstance(handler, GroupHandler)
    boundary = DeadLetterBoundary("probe", EventPublisher(producer, "probe"),
                                  RetryPolicy(max_attempts=2, backoff_s=0))
    await process_batch("probe", batch, handler, boundary)
    assert handler.committed == [b"a1", b"a2", b"b1", b"b2", b"n1"]
    assert handler.group_calls == [[b"a1", b"poison-a", b"a2"], [b"b1", b"b2"]]
    assert producer.sent == [(topics.PIPELINE_DLQ, b"poison-a")]
