"""A batch handled one tenant group at a time: up to `concurrency` groups at once, each tenant's
records in batch order, a whole group in one `handle_group` call where the handler offers it,
and a failed group handled again record by record through the dead-letter boundary."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence

import pytest

from schemas.topics import PIPELINE_DLQ
from tests.unit.runtime.fakes import (
    FakePublisher,
    RecordingSleep,
    rec,
    sample,
    worker_name,
)
from workers.errors import InvalidEventError, RetryableError
from workers.runtime.boundary import DeadLetterBoundary, RetryPolicy
from workers.runtime.groups import GroupHandler, by_tenant, process_batch
from workers.runtime.record import Record


def values(records: Sequence[Record]) -> list[bytes]:
    return [r.value for r in records]


class PerRecord:
    """A handler without `handle_group`: records each value as it finishes, after yielding to
    the loop `yields(record)` times, so concurrent groups interleave."""

    def __init__(self, yields: int = 0) -> None:
        self.done: list[bytes] = []
        self.in_flight: set[str | None] = set()
        self.max_in_flight = 0
        self.yields = yields

    async def __call__(self, record: Record) -> None:
        self.in_flight.add(record.tenant_hint)
        self.max_in_flight = max(self.max_in_flight, len(self.in_flight))
        for _ in range(self.yields + record.offset % 3):
            await asyncio.sleep(0)
        if record.value.startswith(b"poison"):
            raise InvalidEventError("poison")
        self.done.append(record.value)
        self.in_flight.discard(record.tenant_hint)


class Grouped(PerRecord):
    """A handler with `handle_group` whose group either succeeds whole or fails having done
    nothing (the contract); `group_error` makes every group attempt fail with it."""

    def __init__(self, yields: int = 0, group_error: Exception | None = None) -> None:
        super().__init__(yields)
        self.groups: list[tuple[str, list[bytes]]] = []
        self.group_error = group_error

    async def handle_group(self, tenant: str, records: Sequence[Record]) -> None:
        self.groups.append((tenant, values(records)))
        self.in_flight.add(tenant)
        self.max_in_flight = max(self.max_in_flight, len(self.in_flight))
        for _ in range(self.yields):
            await asyncio.sleep(0)
        self.in_flight.discard(tenant)
        if self.group_error is not None:
            raise self.group_error
        if any(r.value.startswith(b"poison") for r in records):
            raise InvalidEventError("poison in group")
        self.done.extend(values(records))


def boundary_for(publisher: FakePublisher, worker: str = "probe",
                 ) -> tuple[DeadLetterBoundary, RecordingSleep]:
    sleep = RecordingSleep()
    return DeadLetterBoundary(worker, publisher, RetryPolicy(max_attempts=3, backoff_s=0.01),
                              sleep=sleep), sleep


def per_tenant(done: list[bytes], batch: Sequence[Record]) -> dict[str | None, list[bytes]]:
    """`done` split by the tenant of each value's record, keeping the order of `done`."""
    tenant_of = {r.value: r.tenant_hint for r in batch}
    out: dict[str | None, list[bytes]] = {}
    for v in done:
        out.setdefault(tenant_of[v], []).append(v)
    return out


# A batch of several partitions and tenants: A three times, B twice, C once, an unkeyed record,
# and D twice by header only.
BATCH = [
    rec("A", b"a1", 0),
    rec("B", b"b1", 0, partition=1),
    rec("A", b"a2", 1),
    rec("C", b"c1", 0, partition=2),
    rec(None, b"n1", 3, partition=3),
    rec("A", b"a3", 2),
    rec("B", b"b2", 1, partition=1),
    rec(None, b"d1", 0, partition=4, headers={"tenant-id": "D"}),
    rec(None, b"d2", 1, partition=4, headers={"tenant-id": "D"}),
]


def test_by_tenant_groups_in_order_of_first_appearance_and_keeps_batch_order() -> None:
    assert [(t, values(g)) for t, g in by_tenant(BATCH)] == [
        ("A", [b"a1", b"a2", b"a3"]),
        ("B", [b"b1", b"b2"]),
        ("C", [b"c1"]),
        (None, [b"n1"]),
        ("D", [b"d1", b"d2"]),
    ]


def test_by_tenant_puts_untenanted_records_in_one_group_and_prefers_the_key() -> None:
    batch = [rec(None, b"n1", 0), rec(None, b"n2", 1),
             rec("K", b"k1", 2, headers={"tenant-id": "H"}),
             rec(None, b"h1", 3, headers={"tenant-id": "H"}), rec(None, b"n3", 4)]
    assert [(t, values(g)) for t, g in by_tenant(batch)] == [
        (None, [b"n1", b"n2", b"n3"]), ("K", [b"k1"]), ("H", [b"h1"])]
    assert by_tenant([]) == []


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_untenanted_records_keep_batch_order_under_concurrency(concurrency: int) -> None:
    done: list[int] = []

    async def slower_first(record: Record) -> None:
        for _ in range(3 - record.offset):  # the earlier record yields more often
            await asyncio.sleep(0)
        done.append(record.offset)

    batch = [Record("ghl.events", 0, offset, b"x") for offset in range(3)]
    boundary = DeadLetterBoundary(worker_name(), FakePublisher(), RetryPolicy())
    await process_batch("w", batch, slower_first, boundary, concurrency=concurrency)
    assert done == [0, 1, 2]


def test_the_group_handler_protocol_is_recognised_by_shape() -> None:
    assert isinstance(Grouped(), GroupHandler)
    assert not isinstance(PerRecord(), GroupHandler)


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_group_handler_gets_each_tenant_group_in_one_call(concurrency: int) -> None:
    worker = worker_name()
    publisher = FakePublisher()
    boundary, _ = boundary_for(publisher, worker)
    handler = Grouped()
    await process_batch(worker, BATCH, handler, boundary, concurrency=concurrency)
    # Groups of two or more in one call each; C (a group of one) and the unkeyed record went
    # through the per-record path.
    assert sorted(handler.groups) == [
        ("A", [b"a1", b"a2", b"a3"]), ("B", [b"b1", b"b2"]), ("D", [b"d1", b"d2"])]
    assert sorted(handler.done) == sorted(values(BATCH))
    assert publisher.published == []
    assert sample("leadmem_records_processed_total", worker=worker,
                  topic="conversation.events", outcome="ok") == len(BATCH)  # each once
    assert sample("leadmem_group_fallbacks_total", worker=worker) == 0


@pytest.mark.parametrize("concurrency", [1, 2, 8])
@pytest.mark.parametrize("handler_kind", ["per-record", "grouped"])
async def test_each_tenant_keeps_batch_order(concurrency: int, handler_kind: str) -> None:
    batch = [rec(t, f"{t}{i}".encode(), i) for i in range(5) for t in ("A", "B", "C")]
    handler = PerRecord(yields=1) if handler_kind == "per-record" else Grouped(yields=1)
    boundary, _ = boundary_for(FakePublisher())
    await process_batch("probe", batch, handler, boundary, concurrency=concurrency)
    assert per_tenant(handler.done, batch) == {
        t: [f"{t}{i}".encode() for i in range(5)] for t in ("A", "B", "C")}


@pytest.mark.parametrize(("concurrency", "expected"), [(1, 1), (2, 2), (4, 4), (10, 6)])
@pytest.mark.parametrize("handler_kind", ["per-record", "grouped"])
async def test_up_to_concurrency_tenant_groups_run_at_once(
    concurrency: int, expected: int, handler_kind: str
) -> None:
    batch = [rec(f"T{t}", f"T{t}-{i}".encode(), i) for i in range(2) for t in range(6)]
    handler = PerRecord(yields=3) if handler_kind == "per-record" else Grouped(yields=3)
    boundary, _ = boundary_for(FakePublisher())
    await process_batch("probe", batch, handler, boundary, concurrency=concurrency)
    assert handler.max_in_flight == expected
    assert sorted(handler.done) == sorted(values(batch))


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_poison_record_is_dead_lettered_alone_and_its_group_still_succeeds(
    concurrency: int,
) -> None:
    worker = worker_name()
    batch = [rec("A", b"a1", 10), rec("B", b"b1", 20), rec("A", b"poison-a", 11),
             rec("A", b"a2", 12), rec("B", b"b2", 21), rec(None, b"n1", 30)]
    publisher = FakePublisher()
    boundary, sleep = boundary_for(publisher, worker)
    handler = Grouped()
    await process_batch(worker, batch, handler, boundary, concurrency=concurrency)

    assert sorted(handler.groups) == [("A", [b"a1", b"poison-a", b"a2"]), ("B", [b"b1", b"b2"])]
    # A's group failed whole, then went record by record in order: a1 and a2 handled once.
    assert per_tenant(handler.done, batch) == {
        "A": [b"a1", b"a2"], "B": [b"b1", b"b2"], None: [b"n1"]}
    assert [(p.topic, p.value, p.headers["dlq-offset"]) for p in publisher.published] == [
        (PIPELINE_DLQ, b"poison-a", "11")]
    assert sleep.delays == []  # a permanent error: no retries
    assert sample("leadmem_group_fallbacks_total", worker=worker) == 1


async def test_a_group_that_fails_transiently_is_handled_again_record_by_record() -> None:
    worker = worker_name()
    batch = [rec("A", b"a1", 0), rec("A", b"a2", 1), rec("A", b"a3", 2)]
    publisher = FakePublisher()
    boundary, sleep = boundary_for(publisher, worker)
    handler = Grouped(group_error=ConnectionError("postgres blip"))
    await process_batch(worker, batch, handler, boundary)
    assert handler.groups == [("A", [b"a1", b"a2", b"a3"])]
    assert handler.done == [b"a1", b"a2", b"a3"]
    assert publisher.published == [] and sleep.delays == []
    assert sample("leadmem_group_fallbacks_total", worker=worker) == 1


async def test_a_per_record_handler_goes_through_the_boundary_record_by_record() -> None:
    batch = [rec("A", b"a1", 0), rec("A", b"poison", 1), rec("A", b"a2", 2)]
    publisher = FakePublisher()
    boundary, _ = boundary_for(publisher)
    handler = PerRecord()
    await process_batch("probe", batch, handler, boundary, concurrency=3)
    assert handler.done == [b"a1", b"a2"]
    assert values([p.as_record() for p in publisher.published]) == [b"poison"]


def ticks(*values: float) -> Iterator[float]:
    yield from values


async def test_a_grouped_success_splits_the_group_time_over_its_records() -> None:
    worker = worker_name()
    batch = [rec("A", b"a1", 0), rec("A", b"a2", 1), rec("A", b"a3", 2)]
    clock = ticks(100.0, 103.0)
    boundary, _ = boundary_for(FakePublisher(), worker)
    await process_batch(worker, batch, Grouped(), boundary, clock=lambda: next(clock))
    assert sample("leadmem_handle_duration_seconds_count", worker=worker) == 3
    assert sample("leadmem_handle_duration_seconds_sum", worker=worker) == pytest.approx(3.0)
    assert sample("leadmem_handle_duration_seconds_bucket", worker=worker, le="1.0") == 3
    assert sample("leadmem_handle_duration_seconds_bucket", worker=worker, le="0.5") == 0


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_an_empty_batch_does_nothing(concurrency: int) -> None:
    publisher = FakePublisher()
    boundary, _ = boundary_for(publisher)
    handler = Grouped()
    await process_batch("probe", [], handler, boundary, concurrency=concurrency)
    assert handler.groups == [] and handler.done == [] and publisher.calls == []


class Blocking(PerRecord):
    """Every record waits forever (until cancelled), but poison fails after a few yields."""

    def __init__(self) -> None:
        super().__init__()
        self.started: list[bytes] = []
        self.cancelled: list[bytes] = []

    async def __call__(self, record: Record) -> None:
        self.started.append(record.value)
        if record.value.startswith(b"poison"):
            for _ in range(3):  # let another group start first
                await asyncio.sleep(0)
            raise InvalidEventError("poison")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.append(record.value)
            raise
        self.done.append(record.value)


async def test_a_failing_dead_letter_cancels_the_other_groups_and_is_raised_as_itself() -> None:
    failure = RetryableError("broker away")
    boundary, _ = boundary_for(FakePublisher(fail_publish=failure))
    handler = Blocking()
    batch = [rec("A", b"poison-a", 0), rec("B", b"b1", 0, partition=1),
             rec("C", b"c1", 0, partition=2), rec("D", b"d1", 0, partition=3)]
    with pytest.raises(RetryableError) as raised:
        await asyncio.wait_for(
            process_batch("probe", batch, handler, boundary, concurrency=2), 2)
    assert raised.value is failure  # not wrapped in an ExceptionGroup
    assert handler.started[:2] == [b"poison-a", b"b1"]
    # Every group that got going was cancelled, and the last never got a slot. (The slot the
    # failed group frees can still be taken before the cancellation lands: C may start.)
    assert sorted(handler.cancelled) == handler.started[1:]
    assert b"d1" not in handler.started
    assert handler.done == []


async def test_sequentially_a_failing_dead_letter_stops_the_batch_and_is_raised() -> None:
    failure = RetryableError("broker away")
    boundary, _ = boundary_for(FakePublisher(fail_flush=failure))
    handler = PerRecord()
    batch = [rec("A", b"a1", 0), rec("A", b"poison", 1), rec("A", b"a2", 2), rec("B", b"b1", 0)]
    with pytest.raises(RetryableError) as raised:
        await process_batch("probe", batch, handler, boundary, concurrency=1)
    assert raised.value is failure
    assert handler.done == [b"a1"]  # nothing after the failure
