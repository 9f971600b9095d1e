"""Pins the delivery rules the runtime relies on, on the real broker.

- the offset is committed only after a batch was handled: a failure that escapes the
  dead-letter boundary (here: the dead-letter publish itself fails) rewinds the batch, which
  is redelivered and then handled, so nothing is lost;
- once handled, a batch is committed: a new consumer in the same group does not see it again;
- handled offsets wait for the commit interval (no commit per batch), and are committed when
  the worker stops and, for the partitions taken away, when another member joins the group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer, keyed, read_until
from workers.errors import InvalidEventError, RetryableError
from workers.runtime.boundary import Handler
from workers.runtime.host import Resources, WorkerHost, WorkerSpec
from workers.runtime.kafka import consumer_lag
from workers.runtime.record import Record
from workers.settings import Settings

pytestmark = pytest.mark.integration


def probe_spec(seen: list[bytes]) -> WorkerSpec:
    def build(_: Resources) -> Handler:
        async def handle(record: Record) -> None:
            seen.append(record.value)
            if record.value.startswith(b"poison"):
                raise InvalidEventError("poison record")

        return handle

    return WorkerSpec("probe", (topics.GHL_EVENTS,), build, needs_db=False, needs_redis=False)


async def wait_for(cond: Callable[[], bool], timeout_s: float = 30) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not cond():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.05)


async def test_failed_dead_letter_rewinds_then_commits(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    values = [f"{tenant} ok {i}".encode() for i in range(5)]
    values.insert(2, f"poison {tenant}".encode())
    async with RawProducer(kafka) as producer:
        for v in values:
            await producer.send(topics.GHL_EVENTS, v, key=tenant)

    settings = make_settings()
    seen: list[bytes] = []
    host = WorkerHost(probe_spec(seen), settings)
    real_publish_raw = host.publisher.publish_raw
    failures = {"left": 1}

    async def flaky_publish_raw(topic: str, value: bytes, *, key: bytes | None,
                                headers: dict[str, str]) -> None:
        if topic == topics.PIPELINE_DLQ and failures["left"]:
            failures["left"] -= 1
            raise RetryableError("broker away")
        await real_publish_raw(topic, value, key=key, headers=headers)

    # Patching the method on this one instance (same signature) is the point of the test.
    host.publisher.publish_raw = flaky_publish_raw  # type: ignore[method-assign]
    await host.start()
    try:
        await wait_for(lambda: sum(1 for v in seen if v.startswith(tenant.encode())) >= 5
                       and failures["left"] == 0)
        dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 1,
                               where=keyed({tenant}), settle_s=1.0)
    finally:
        await host.stop()
    assert [r.value for r in dlq] == [f"poison {tenant}".encode()]
    mine = [v for v in seen if tenant.encode() in v]
    # The poison record was seen twice (rewound once), and every record after it was handled.
    assert mine.count(f"poison {tenant}".encode()) == 2
    assert set(values) <= set(mine)

    # Committed: the same group, restarted, sees none of these records again.
    again: list[bytes] = []
    host2 = WorkerHost(probe_spec(again), settings)
    await host2.start()
    try:
        marker = f"{tenant} marker".encode()
        async with RawProducer(kafka) as producer:
            await producer.send(topics.GHL_EVENTS, marker, key=tenant)
        await wait_for(lambda: marker in again)
    finally:
        await host2.stop()
    assert [v for v in again if tenant.encode() in v] == [f"{tenant} marker".encode()]


async def test_offsets_wait_for_the_interval_and_are_committed_at_stop(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    settings = make_settings(commit_interval_ms=600_000)
    group = settings.group_id("probe")
    seen: list[bytes] = []
    host = WorkerHost(probe_spec(seen), settings)
    await host.start()
    try:
        marker = f"{tenant} marker".encode()
        async with RawProducer(kafka) as producer:
            for i in range(3):
                await producer.send(topics.GHL_EVENTS, f"{tenant} {i}".encode(), key=tenant)
            await producer.send(topics.GHL_EVENTS, marker, key=tenant)
        await wait_for(lambda: marker in seen)
        await asyncio.sleep(0.5)
        # handled, but within the interval: nothing committed yet
        assert sum((await consumer_lag(kafka, group, (topics.GHL_EVENTS,))).values()) > 0
    finally:
        await host.stop()
    assert sum((await consumer_lag(kafka, group, (topics.GHL_EVENTS,))).values()) == 0


async def test_a_member_joining_gets_the_handled_offsets_of_the_partitions_it_takes(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenants = [new_tenant() for _ in range(12)]  # keys spread over the partitions
    settings = make_settings(commit_interval_ms=600_000)
    first: list[bytes] = []
    host1 = WorkerHost(probe_spec(first), settings)
    await host1.start()
    host2: WorkerHost | None = None
    try:
        async with RawProducer(kafka) as producer:
            for t in tenants:
                await producer.send(topics.GHL_EVENTS, f"{t} before".encode(), key=t)
        await wait_for(lambda: all(f"{t} before".encode() in first for t in tenants))
        # A second member joins: the first commits what it handled of the partitions it
        # gives away (the interval is far off), so the newcomer starts after them.
        second: list[bytes] = []
        host2 = WorkerHost(probe_spec(second), settings)
        await host2.start()
        async with RawProducer(kafka) as producer:
            for t in tenants:
                await producer.send(topics.GHL_EVENTS, f"{t} after".encode(), key=t)
        await wait_for(lambda: all(f"{t} after".encode() in first + second for t in tenants))
        assert second, "the second member took no partition"
        assert not [v for v in second if v.endswith(b" before")]
        assert sorted(v for v in first + second if v.endswith(b" after")) == sorted(
            f"{t} after".encode() for t in tenants)
    finally:
        if host2 is not None:
            await host2.stop()
        await host1.stop()
