"""The dead-letter boundary: the one place that catches broadly.

Each record is handled with bounded retries and backoff for transient failures; a record that
is invalid, or keeps failing, goes to `pipeline.dlq` with its original bytes, the error and
its source topic/partition/offset, and the worker moves on, so one poison record never blocks
a partition. The dead-letter record's value is the original bytes, unchanged (so even a
body near the broker's size limit fits, and a replay re-sends exactly what arrived); the
error and the source position travel in `dlq-*` headers beside the original headers. If the
dead-letter publish itself fails, the error propagates: the batch is not committed and will
be redelivered.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from schemas.envelope import utcnow
from schemas.events import DeadLetter
from schemas.topics import HEADER_TENANT, PIPELINE_DLQ
from workers.errors import PermanentError, RetryableError
from workers.runtime.metrics import DEAD_LETTERS, HANDLE_SECONDS, RECORDS
from workers.runtime.ports import RecordPublisher
from workers.runtime.record import Record

log = logging.getLogger(__name__)
DLQ_PREFIX = "dlq-"

Handler = Callable[[Record], Awaitable[None]]
Outcome = Literal["ok", "dead_lettered"]

# Errors that describe the record, not the world: retrying cannot help.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    PermanentError,
    ValidationError,
    UnicodeDecodeError,
    json.JSONDecodeError,
    RecursionError,  # nesting the record's own (the ingestion edge bounds it first)
)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_s: float = 0.2
    backoff_max_s: float = 5.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_max_s)
        return min(self.backoff_s * (2 ** (attempt - 1)), self.backoff_max_s)


class DeadLetterBoundary:
    def __init__(
        self,
        worker: str,
        publisher: RecordPublisher,
        policy: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.worker = worker
        self._publisher = publisher
        self._policy = policy
        self._sleep = sleep

    async def process(self, record: Record, handle: Handler) -> Outcome:
        started = time.perf_counter()
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    await handle(record)
                    RECORDS.labels(self.worker, record.topic, "ok").inc()
                    return "ok"
                except PERMANENT_ERRORS as exc:
                    await self._dead_letter(record, exc, attempt)
                    return "dead_lettered"
                except Exception as exc:  # transient or unknown: retry a bounded number of times
                    if attempt >= self._policy.max_attempts:
                        await self._dead_letter(record, exc, attempt)
                        return "dead_lettered"
                    retry_after = exc.retry_after if isinstance(exc, RetryableError) else None
                    RECORDS.labels(self.worker, record.topic, "retried").inc()
                    log.warning(
                        "%s: attempt %d on %s[%d]@%d failed: %r",
                        self.worker, attempt, record.topic, record.partition, record.offset, exc,
                    )
                    await self._sleep(self._policy.delay(attempt, retry_after))
        finally:
            HANDLE_SECONDS.labels(self.worker).observe(time.perf_counter() - started)

    async def _dead_letter(self, record: Record, exc: BaseException, attempts: int) -> None:
        error_type = type(exc).__name__
        error = describe(exc)
        headers = dead_letter_headers(
            record.headers, worker=self.worker, source_topic=record.topic,
            partition=record.partition, offset=record.offset, exc=exc, attempts=attempts,
            tenant=record.tenant_hint, timestamp_ms=record.timestamp_ms,
        )
        await self._publisher.publish_raw(
            PIPELINE_DLQ, record.value, key=record.key, headers=headers
        )
        await self._publisher.flush()
        DEAD_LETTERS.labels(self.worker, error_type).inc()
        RECORDS.labels(self.worker, record.topic, "dead_lettered").inc()
        log.error(
            "%s: dead-lettered %s[%d]@%d after %d attempt(s): %s",
            self.worker, record.topic, record.partition, record.offset, attempts, error,
        )


def dead_letter_headers(
    headers: Mapping[str, str], *, worker: str, source_topic: str, partition: int, offset: int,
    exc: BaseException, attempts: int, tenant: str | None, timestamp_ms: int | None = None,
) -> dict[str, str]:
    """A dead letter's headers: the original record's (minus any earlier `dlq-*`), the error
    and the source position. The one writer of the format `read_dead_letter` reads (the
    webhook receiver dead-letters bodies that never reached a topic with it too)."""
    out = {k: v for k, v in headers.items() if not k.startswith(DLQ_PREFIX)}
    out.update({
        f"{DLQ_PREFIX}worker": worker,
        f"{DLQ_PREFIX}source-topic": source_topic,
        f"{DLQ_PREFIX}partition": str(partition),
        f"{DLQ_PREFIX}offset": str(offset),
        f"{DLQ_PREFIX}error-type": type(exc).__name__,
        f"{DLQ_PREFIX}error": describe(exc),
        f"{DLQ_PREFIX}attempts": str(attempts),
        f"{DLQ_PREFIX}at": utcnow().isoformat(),
    })
    if timestamp_ms:  # when the source record reached us: a replay is judged by it
        out[f"{DLQ_PREFIX}timestamp"] = str(timestamp_ms)
    if tenant:
        out[HEADER_TENANT] = tenant
    return out


def read_dead_letter(record: Record) -> DeadLetter:
    """The dead letter a `pipeline.dlq` record carries (for `leadmem dlq` and tests)."""
    h = record.headers
    return DeadLetter(
        worker=h.get(f"{DLQ_PREFIX}worker", "?"),
        source_topic=h.get(f"{DLQ_PREFIX}source-topic", "?"),
        partition=int(h.get(f"{DLQ_PREFIX}partition", "-1")),
        offset=int(h.get(f"{DLQ_PREFIX}offset", "-1")),
        key_b64=base64.b64encode(record.key).decode() if record.key else None,
        value_b64=base64.b64encode(record.value).decode(),
        headers={k: v for k, v in h.items() if not k.startswith(DLQ_PREFIX)},
        error_type=h.get(f"{DLQ_PREFIX}error-type", "?"),
        error=h.get(f"{DLQ_PREFIX}error", ""),
        attempts=int(h.get(f"{DLQ_PREFIX}attempts", "0")),
        source_timestamp_ms=int(h[f"{DLQ_PREFIX}timestamp"])
        if h.get(f"{DLQ_PREFIX}timestamp", "").isdigit() else None,
        tenant_id=record.tenant_hint,
        dead_lettered_at=datetime.fromisoformat(h[f"{DLQ_PREFIX}at"])
        if f"{DLQ_PREFIX}at" in h else utcnow(),
    )


def describe(exc: BaseException) -> str:
    """A clear, bounded one-paragraph description of why a record failed."""
    if isinstance(exc, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}"
            for err in exc.errors()[:10]
        ]
        text = f"invalid event ({exc.error_count()} errors): " + "; ".join(parts)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:2000]
