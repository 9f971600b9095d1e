"""Publishing internal events: keyed by tenant, typed headers, pipelined sends.

`publish` queues a record and returns at once; `flush` waits until the broker acknowledged
every queued record. Handlers publish, then the host flushes before the offset is committed,
so a batch's publishes travel together instead of one round trip each.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from pydantic import BaseModel

from schemas.events import TOPIC_OF
from schemas.topics import HEADER_EVENT_TYPE, HEADER_TENANT
from workers.errors import RetryableError
from workers.runtime.metrics import EVENTS_PUBLISHED


class RawProducer(Protocol):
    async def publish(
        self,
        message: Any,
        topic: str = "",
        *,
        key: bytes | Any | None = None,
        headers: dict[str, str] | None = None,
        no_confirm: bool = False,
    ) -> Any: ...


class EventPublisher:
    def __init__(self, producer: RawProducer, worker: str) -> None:
        self._producer = producer
        self._worker = worker
        self._pending: list[asyncio.Future[Any]] = []

    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        """Queue `event` on its topic (from `TOPIC_OF`) keyed by its tenant."""
        target = topic or TOPIC_OF[type(event)]
        tenant = getattr(event, "tenant_id", None) or ""
        headers = {HEADER_EVENT_TYPE: str(getattr(event, "type", type(event).__name__))}
        if tenant:
            headers[HEADER_TENANT] = tenant
        await self.publish_raw(
            target, event.model_dump_json().encode(), key=tenant.encode() or None, headers=headers
        )

    async def publish_raw(
        self, topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]
    ) -> None:
        try:
            fut = await self._producer.publish(
                value, topic, key=key, headers=headers, no_confirm=True
            )
        except Exception as exc:  # the producer's own errors: a broker away
            raise RetryableError(f"publish to {topic} failed: {exc!r}") from exc
        self._pending.append(fut)
        EVENTS_PUBLISHED.labels(self._worker, topic).inc()

    async def flush(self) -> None:
        """Wait for every queued record; raises `RetryableError` if any was not accepted."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        results = await asyncio.gather(*pending, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise RetryableError(f"{len(failed)} publishes failed: {failed[0]!r}")
