"""Held replies (quiet hours): re-queued on `replies.outbound` once their time has come.

A reply whose `send_after` is in the future is stored as "held" and its record committed, so
it never blocks its partition. Every `interval_s` this loop asks Postgres for due held
replies (of every tenant), publishes each one's `ReplyDrafted` again, keyed by its tenant,
and marks it "drafted" in the same transaction. The handler then sends it like any other
reply, through the same claim, retries and dead-letter boundary. A crash before the mark
re-queues it once more, which the claim makes harmless.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError
from pydantic import ValidationError

from schemas.events import ReplyDrafted
from workers.errors import PipelineError
from workers.outbound.delivery import ReplyStore
from workers.outbound.metrics import SENDS
from workers.replies import Reply
from workers.runtime.publisher import EventPublisher

log = logging.getLogger(__name__)


def drafted_again(reply: Reply) -> ReplyDrafted:
    """The reply's event rebuilt from its row (same event id, so replays stay idempotent)."""
    return ReplyDrafted.model_validate({
        "event_id": reply.event_id, "tenant_id": reply.tenant_id,
        "contact_id": reply.contact_id, "occurred_at": reply.created_at,
        "received_at": reply.created_at, "idempotency_key": reply.idempotency_key,
        "channel": reply.channel, "body": reply.body, "mode": reply.mode,
        "reply_to_message_id": reply.reply_to_message_id, "send_after": reply.send_after,
        "model": reply.model,
    })


class HeldReplyScheduler:
    """A background loop of the outbound worker (`run`, started by the host once its broker
    runs, as a `runtime.background.Loop`).
    It publishes through its own `EventPublisher` over the host's broker: the host's
    publisher flushes per batch and must not see (or swallow the failures of) records
    published from this loop."""

    def __init__(
        self, store: ReplyStore, publisher: EventPublisher, *, interval_s: float, batch: int,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._interval_s, self._batch = interval_s, batch

    async def tick(self) -> int:
        """Re-queue due held replies; returns how many."""
        released = 0
        for tenant, key in await self._store.due_keys(self._batch):
            try:
                if await self._store.release_due(tenant, key, self._relay):
                    released += 1
                    SENDS.labels("released").inc()
            except (PipelineError, ValidationError) as exc:
                log.warning("outbound: could not re-queue held reply %s/%s: %s", tenant, key, exc)
        return released

    async def _relay(self, reply: Reply) -> None:
        await self._publisher.publish(drafted_again(reply))
        await self._publisher.flush()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.tick()
            except (PipelineError, KafkaError) as exc:
                log.warning("outbound: held-reply scan failed, retrying: %r", exc)
