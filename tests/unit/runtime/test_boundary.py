"""The dead-letter boundary: bounded retries with backoff for transient failures, permanent ones
dead-lettered at once, and a dead letter that carries the original bytes and names the error,
the worker and the source position in `dlq-*` headers."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError, model_validator

from schemas.topics import PIPELINE_DLQ
from tests.unit.runtime.fakes import (
    FakePublisher,
    RecordingSleep,
    Scripted,
    rec,
    sample,
    worker_name,
)
from workers.errors import (
    InvalidEventError,
    PermanentError,
    RetryableError,
    SignatureMismatchError,
    StaleEventError,
)
from workers.runtime.boundary import (
    DeadLetterBoundary,
    RetryPolicy,
    describe,
    read_dead_letter,
)
from workers.runtime.publisher import EventPublisher
from workers.runtime.record import Record


class Body(BaseModel):
    n: int
    s: str


class Wide(BaseModel):
    a0: int
    a1: int
    a2: int
    a3: int
    a4: int
    a5: int
    a6: int
    a7: int
    a8: int
    a9: int
    a10: int
    a11: int


class Checked(BaseModel):
    n: int

    @model_validator(mode="after")
    def positive(self) -> Checked:
        if self.n <= 0:
            raise ValueError("n must be positive")
        return self


def validation_error(model: type[BaseModel], data: dict[str, Any]) -> ValidationError:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return exc
    raise AssertionError(f"{data!r} validated")


def json_error() -> json.JSONDecodeError:
    try:
        json.loads(b"{not json")
    except json.JSONDecodeError as exc:
        return exc
    raise AssertionError("parsed")


def unicode_error() -> UnicodeDecodeError:
    try:
        b"\xff\xfe".decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc
    raise AssertionError("decoded")


class AlwaysFailing:
    """A handler that fails every attempt with a fresh error."""

    def __init__(self, make: Callable[[], Exception]) -> None:
        self.make = make
        self.calls = 0

    async def __call__(self, record: Record) -> None:
        self.calls += 1
        raise self.make()


class Throttled(Exception):
    """Not a `RetryableError`, though it has a `retry_after`: the boundary must not read it."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("throttled")
        self.retry_after = retry_after


def boundary_for(publisher: FakePublisher, policy: RetryPolicy | None = None,
                 worker: str = "probe") -> tuple[DeadLetterBoundary, RecordingSleep]:
    sleep = RecordingSleep()
    return DeadLetterBoundary(worker, publisher, policy or RetryPolicy(), sleep=sleep), sleep


RECORD = rec("tenant-a", b'{"type": "MessageIngested"}', 41, partition=2)


# --- RetryPolicy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "attempt", "retry_after", "expected"),
    [
        (RetryPolicy(backoff_s=0.5, backoff_max_s=10), 1, None, 0.5),
        (RetryPolicy(backoff_s=0.5, backoff_max_s=10), 2, None, 1.0),
        (RetryPolicy(backoff_s=0.5, backoff_max_s=10), 4, None, 4.0),
        (RetryPolicy(backoff_s=0.5, backoff_max_s=10), 6, None, 10.0),  # 16 capped
        (RetryPolicy(backoff_s=0.5, backoff_max_s=10), 1, 3.0, 3.0),  # retry_after wins
        (RetryPolicy(backoff_s=0.5, backoff_max_s=10), 5, 0.25, 0.25),  # even below backoff
        (RetryPolicy(backoff_s=0.5, backoff_max_s=10), 1, 0.0, 0.0),  # 0 is honoured, not None
        (RetryPolicy(backoff_s=0.5, backoff_max_s=10), 1, 600.0, 10.0),  # capped as well
        (RetryPolicy(backoff_s=0, backoff_max_s=10), 3, None, 0.0),
    ],
)
def test_delay_doubles_from_the_backoff_up_to_the_cap_and_honours_retry_after(
    policy: RetryPolicy, attempt: int, retry_after: float | None, expected: float
) -> None:
    assert policy.delay(attempt, retry_after) == pytest.approx(expected)


def test_default_policy() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.backoff_s, policy.backoff_max_s) == (4, 0.2, 5.0)


# --- process: success and retries ------------------------------------------------------------


async def test_a_record_handled_at_once_is_ok_and_nothing_is_published() -> None:
    publisher = FakePublisher()
    boundary, sleep = boundary_for(publisher)
    handler = Scripted()
    assert await boundary.process(RECORD, handler) == "ok"
    assert handler.calls == [RECORD]
    assert publisher.calls == [] and sleep.delays == []


@pytest.mark.parametrize(
    "error",
    [
        RetryableError("redis away"),
        ConnectionError("reset by peer"),
        TimeoutError(),
        KeyError("unexpected"),  # unknown errors count as transient
    ],
    ids=lambda e: type(e).__name__,
)
async def test_a_transient_failure_is_retried_after_a_backoff_then_succeeds(
    error: Exception,
) -> None:
    publisher = FakePublisher()
    boundary, sleep = boundary_for(publisher, RetryPolicy(max_attempts=4, backoff_s=0.25))
    handler = Scripted(error, error)
    assert await boundary.process(RECORD, handler) == "ok"
    assert handler.calls == [RECORD] * 3
    assert sleep.delays == pytest.approx([0.25, 0.5])
    assert publisher.calls == []


@pytest.mark.parametrize(
    ("policy", "delays"),
    [
        (RetryPolicy(max_attempts=1, backoff_s=0.5), []),
        (RetryPolicy(max_attempts=2, backoff_s=0.5), [0.5]),
        (RetryPolicy(), [0.2, 0.4, 0.8]),
        (RetryPolicy(max_attempts=6, backoff_s=1.0, backoff_max_s=3.0), [1.0, 2.0, 3.0, 3.0, 3.0]),
    ],
    ids=["one-attempt", "two-attempts", "defaults", "capped"],
)
async def test_a_failure_that_persists_is_dead_lettered_after_max_attempts(
    policy: RetryPolicy, delays: list[float]
) -> None:
    publisher = FakePublisher()
    boundary, sleep = boundary_for(publisher, policy)
    handler = AlwaysFailing(lambda: ConnectionError("postgres away"))
    assert await boundary.process(RECORD, handler) == "dead_lettered"
    assert handler.calls == policy.max_attempts
    assert sleep.delays == pytest.approx(delays)
    [letter] = publisher.published
    assert letter.value == RECORD.value
    assert letter.headers["dlq-attempts"] == str(policy.max_attempts)
    assert letter.headers["dlq-error-type"] == "ConnectionError"
    assert letter.headers["dlq-error"] == "ConnectionError: postgres away"


async def test_retry_after_is_honoured_capped_and_read_only_from_retryable_errors() -> None:
    publisher = FakePublisher()
    boundary, sleep = boundary_for(
        publisher, RetryPolicy(max_attempts=10, backoff_s=0.1, backoff_max_s=5.0))
    handler = Scripted(
        RetryableError("429", retry_after=0.7),  # attempt 1: the server's word
        RetryableError("503"),  # attempt 2: no retry_after, so backoff 0.1 * 2
        Throttled(retry_after=9.0),  # attempt 3: not retryable-typed, so backoff 0.1 * 4
        RetryableError("429", retry_after=60.0),  # attempt 4: capped at backoff_max_s
        RetryableError("429", retry_after=0.0),  # attempt 5: zero means now
        None,
    )
    assert await boundary.process(RECORD, handler) == "ok"
    assert len(handler.calls) == 6
    assert sleep.delays == pytest.approx([0.7, 0.2, 0.4, 5.0, 0.0])
    assert publisher.published == []


async def test_the_default_sleep_is_a_real_async_sleep() -> None:
    boundary = DeadLetterBoundary("probe", FakePublisher(),
                                  RetryPolicy(max_attempts=3, backoff_s=0.001))
    handler = Scripted(ConnectionError(), ConnectionError())
    assert await asyncio.wait_for(boundary.process(RECORD, handler), 1) == "ok"
    assert len(handler.calls) == 3


# --- process: permanent errors -------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        PermanentError("no"),
        InvalidEventError("missing tenant_id"),
        SignatureMismatchError("bad signature"),
        StaleEventError("too old"),
        validation_error(Body, {"n": "x"}),
        json_error(),
        unicode_error(),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_a_permanent_error_is_dead_lettered_at_once_without_retrying(
    error: Exception,
) -> None:
    publisher = FakePublisher()
    boundary, sleep = boundary_for(publisher, RetryPolicy(max_attempts=5))
    handler = Scripted(error)
    assert await boundary.process(RECORD, handler) == "dead_lettered"
    assert len(handler.calls) == 1 and sleep.delays == []
    [letter] = publisher.published
    assert letter.headers["dlq-attempts"] == "1"
    assert letter.headers["dlq-error-type"] == type(error).__name__
    assert letter.headers["dlq-error"] == describe(error)


async def test_a_permanent_error_after_transient_ones_stops_the_retries() -> None:
    publisher = FakePublisher()
    boundary, sleep = boundary_for(publisher, RetryPolicy(max_attempts=5, backoff_s=0.5))
    handler = Scripted(ConnectionError(), InvalidEventError("bad"), None)
    assert await boundary.process(RECORD, handler) == "dead_lettered"
    assert len(handler.calls) == 2
    assert sleep.delays == pytest.approx([0.5])
    [letter] = publisher.published
    assert (letter.headers["dlq-attempts"], letter.headers["dlq-error-type"]) == (
        "2", "InvalidEventError")


async def test_cancellation_is_neither_retried_nor_dead_lettered() -> None:
    publisher = FakePublisher()
    boundary, sleep = boundary_for(publisher)
    handler = Scripted(asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        await boundary.process(RECORD, handler)
    assert len(handler.calls) == 1
    assert publisher.calls == [] and sleep.delays == []


# --- the dead letter ------------------------------------------------------------------------


async def test_the_dead_letter_carries_the_original_bytes_and_names_error_worker_and_source(
) -> None:
    record = Record("ghl.events", 3, 1234, b"\x00raw \xff body", key=b"tenant-a",
                    headers={"event-type": "MessageIngested", "trace-id": "t-1"},
                    timestamp_ms=1_764_000_000_000)
    publisher = FakePublisher()
    boundary, _ = boundary_for(publisher, worker="ingest")
    before = datetime.now(UTC)
    assert await boundary.process(record, Scripted(InvalidEventError("bad body"))) == (
        "dead_lettered")
    after = datetime.now(UTC)

    assert publisher.calls == ["publish_raw", "flush"]  # flushed before the record counts done
    [letter] = publisher.published
    assert (letter.topic, letter.value, letter.key) == (PIPELINE_DLQ, record.value, b"tenant-a")
    headers = dict(letter.headers)
    assert before <= datetime.fromisoformat(headers.pop("dlq-at")) <= after
    assert headers == {
        "event-type": "MessageIngested",
        "trace-id": "t-1",
        "tenant-id": "tenant-a",
        "dlq-worker": "ingest",
        "dlq-source-topic": "ghl.events",
        "dlq-partition": "3",
        "dlq-offset": "1234",
        "dlq-error-type": "InvalidEventError",
        "dlq-error": "InvalidEventError: bad body",
        "dlq-attempts": "1",
        "dlq-timestamp": "1764000000000",  # when the source reached us: a replay keeps it
    }

    dead = read_dead_letter(letter.as_record(offset=9))
    assert base64.b64decode(dead.value_b64) == record.value
    assert dead.key_b64 is not None and base64.b64decode(dead.key_b64) == b"tenant-a"
    assert before <= dead.dead_lettered_at <= after
    assert dead.model_dump(exclude={"dead_lettered_at", "value_b64", "key_b64"}) == {
        "type": "dead.letter",
        "worker": "ingest",
        "source_topic": "ghl.events",
        "partition": 3,
        "offset": 1234,
        "headers": {"event-type": "MessageIngested", "trace-id": "t-1",
                    "tenant-id": "tenant-a"},
        "error_type": "InvalidEventError",
        "error": "InvalidEventError: bad body",
        "attempts": 1,
        "tenant_id": "tenant-a",
        "source_timestamp_ms": 1_764_000_000_000,
    }


async def test_a_replayed_record_loses_its_old_dlq_headers() -> None:
    record = rec("t", b"body", 5, headers={
        "event-type": "X", "dlq-error": "old error", "dlq-attempts": "9",
        "dlq-worker": "other", "dlq-something-else": "stale"})
    publisher = FakePublisher()
    boundary, _ = boundary_for(publisher, worker="memory")
    await boundary.process(record, Scripted(PermanentError("new error")))
    [letter] = publisher.published
    assert "dlq-something-else" not in letter.headers
    assert letter.headers["event-type"] == "X"
    assert (letter.headers["dlq-error"], letter.headers["dlq-attempts"],
            letter.headers["dlq-worker"]) == ("PermanentError: new error", "1", "memory")


@pytest.mark.parametrize(
    ("key", "headers", "tenant"),
    [
        (b"t-key", {}, "t-key"),
        (None, {"tenant-id": "t-hdr"}, "t-hdr"),
        (b"t-key", {"tenant-id": "t-hdr"}, "t-key"),  # the key is the tenant
        (None, {}, None),
    ],
    ids=["key", "header", "key-over-header", "none"],
)
async def test_the_dead_letter_keeps_the_key_and_names_the_tenant(
    key: bytes | None, headers: dict[str, str], tenant: str | None
) -> None:
    publisher = FakePublisher()
    boundary, _ = boundary_for(publisher)
    await boundary.process(Record("t", 0, 0, b"v", key=key, headers=headers),
                           Scripted(PermanentError("x")))
    [letter] = publisher.published
    assert letter.key == key
    assert letter.headers.get("tenant-id") == tenant
    assert read_dead_letter(letter.as_record()).tenant_id == tenant


def test_reading_a_record_without_dlq_headers_gives_placeholders() -> None:
    dead = read_dead_letter(Record(PIPELINE_DLQ, 0, 0, b"v", headers={"x": "y"}))
    assert (dead.worker, dead.source_topic, dead.partition, dead.offset) == ("?", "?", -1, -1)
    assert (dead.error_type, dead.error, dead.attempts) == ("?", "", 0)
    assert dead.headers == {"x": "y"} and dead.key_b64 is None and dead.tenant_id is None


# --- a failing dead-letter publish ---------------------------------------------------------


@pytest.mark.parametrize("stage", ["publish", "flush"])
@pytest.mark.parametrize(
    ("policy", "handler_error", "attempts"),
    [
        (RetryPolicy(max_attempts=4), InvalidEventError("bad"), 1),
        (RetryPolicy(max_attempts=2), ConnectionError("away"), 2),
    ],
    ids=["permanent", "exhausted"],
)
async def test_a_failing_dead_letter_publish_propagates_and_is_not_retried(
    stage: str, policy: RetryPolicy, handler_error: Exception, attempts: int
) -> None:
    failure = RetryableError("broker away")
    publisher = (FakePublisher(fail_publish=failure) if stage == "publish"
                 else FakePublisher(fail_flush=failure))
    boundary, sleep = boundary_for(publisher, policy)
    handler = AlwaysFailing(lambda: handler_error)
    with pytest.raises(RetryableError) as raised:
        await boundary.process(RECORD, handler)
    assert raised.value is failure
    assert handler.calls == attempts
    assert len(sleep.delays) == attempts - 1


class Producer:
    """A raw producer as `EventPublisher` drives it: sends recorded, futures settled by `ack`."""

    def __init__(self, *, refuse: Exception | None = None,
                 nack: Exception | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.refuse = refuse
        self.nack = nack

    async def publish(self, message: Any, topic: str = "", *, key: bytes | Any | None = None,
                      headers: dict[str, str] | None = None, no_confirm: bool = False) -> Any:
        if self.refuse is not None:
            raise self.refuse
        self.sent.append({"message": message, "topic": topic, "key": key, "headers": headers,
                          "no_confirm": no_confirm})
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.nack is not None:
            fut.set_exception(self.nack)
        else:
            fut.set_result(None)
        return fut


async def test_with_the_real_publisher_the_dead_letter_is_sent_raw_and_flushed() -> None:
    producer = Producer()
    boundary = DeadLetterBoundary("probe", EventPublisher(producer, "probe"), RetryPolicy(),
                                  sleep=RecordingSleep())
    assert await boundary.process(RECORD, Scripted(InvalidEventError("x"))) == "dead_lettered"
    [sent] = producer.sent
    assert (sent["topic"], sent["message"], sent["key"], sent["no_confirm"]) == (
        PIPELINE_DLQ, RECORD.value, RECORD.key, True)
    assert sent["headers"]["dlq-offset"] == str(RECORD.offset)


@pytest.mark.parametrize(
    ("producer", "message"),
    [
        (Producer(refuse=ConnectionError("no route")), "publish to pipeline.dlq failed"),
        (Producer(nack=ConnectionError("not leader")), "1 publishes failed"),
    ],
    ids=["send-refused", "send-not-acknowledged"],
)
async def test_with_the_real_publisher_a_broker_failure_propagates_as_retryable(
    producer: Producer, message: str
) -> None:
    boundary = DeadLetterBoundary("probe", EventPublisher(producer, "probe"), RetryPolicy(),
                                  sleep=RecordingSleep())
    with pytest.raises(RetryableError, match=message):
        await boundary.process(RECORD, Scripted(InvalidEventError("x")))


# --- describe ------------------------------------------------------------------------------


def test_describe_a_validation_error_names_each_field_and_bounds_the_list() -> None:
    text = describe(validation_error(Wide, {}))
    head, _, listed = text.partition(": ")
    assert head == "invalid event (12 errors)"
    parts = listed.split("; ")
    assert len(parts) == 10
    assert parts[0] == "a0: Field required" and parts[-1] == "a9: Field required"


def test_describe_a_model_level_validation_error_names_the_body() -> None:
    assert describe(validation_error(Checked, {"n": -1})) == (
        "invalid event (1 errors): <body>: Value error, n must be positive")


def test_describe_names_the_error_type_and_is_bounded() -> None:
    assert describe(KeyError("k")) == "KeyError: 'k'"
    long = describe(RuntimeError("x" * 5000))
    assert len(long) == 2000 and long.startswith("RuntimeError: xxx")


# --- metrics -------------------------------------------------------------------------------


async def test_metrics_count_retries_dead_letters_and_handle_time() -> None:
    worker = worker_name()
    publisher = FakePublisher()
    boundary, _ = boundary_for(publisher, RetryPolicy(max_attempts=3), worker=worker)
    topic = RECORD.topic
    await boundary.process(RECORD, AlwaysFailing(lambda: ConnectionError()))
    await boundary.process(RECORD, Scripted(TimeoutError()))
    assert sample("leadmem_records_processed_total", worker=worker, topic=topic,
                  outcome="retried") == 3
    assert sample("leadmem_records_processed_total", worker=worker, topic=topic,
                  outcome="dead_lettered") == 1
    assert sample("leadmem_records_processed_total", worker=worker, topic=topic,
                  outcome="ok") == 1
    assert sample("leadmem_dead_letters_total", worker=worker,
                  error_type="ConnectionError") == 1
    assert sample("leadmem_handle_duration_seconds_count", worker=worker) == 2
