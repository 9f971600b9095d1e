"""Drafts the reply check held for a person (status suppressed, reason `reply_check:<rule>`):
the list, and a person's decision on one. Releasing goes through the replies' owner
(`workers.replies.store.release_held`: suppressed -> drafted, due now) and publishes the
`ReplyDrafted` the outbound connector expects, before the transaction commits (a publish that
fails leaves the draft held; a commit that fails after it leaves a ReplyDrafted the outbound
skips, the row still suppressed); the outbound's claim still decides consent at send time.
Cancelling records the decision (`store.cancel_held`); the draft stays unsent. Both are
audited in the same transaction."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiokafka.errors import KafkaError

from schemas.envelope import derive_event_id
from schemas.events import ReplyDrafted
from workers.console import audit
from workers.console.web import Console, NotFound, Visit, redirect, scope
from workers.errors import RetryableError
from workers.replies import Reply
from workers.replies import store as replies
from workers.replies.status import HELD_FOR_REVIEW
from workers.runtime.publisher import EventPublisher
from workers.tenants import store as tenants

PUBLISH_TIMEOUT_S = 10.0
CONSUMER = "console"

_HELD = f"""
SELECT r.idempotency_key, r.contact_id, r.channel, r.body, r.mode, r.suppressed_reason,
       r.created_at, r.review, r.reviewed_by, r.reviewed_at,
       coalesce(nullif(c.name, ''), nullif(btrim(coalesce(c.first_name, '') || ' ' ||
                coalesce(c.last_name, '')), ''), r.contact_id) AS display_name
  FROM replies r
  LEFT JOIN contacts c ON c.tenant_id = r.tenant_id AND c.contact_id = r.contact_id
 WHERE r.tenant_id = $1 AND r.suppressed_reason LIKE '{HELD_FOR_REVIEW}%'
   AND ((r.status = 'suppressed' AND r.review IS NULL) OR r.reviewed_at IS NOT NULL)
 ORDER BY r.review IS NULL DESC, coalesce(r.reviewed_at, r.created_at) DESC
 LIMIT 200"""


async def index(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/t/{tenant}/held`: drafts awaiting a person, then the latest decided."""
    tenant = scope(request, visit)
    async with console.db.transaction(tenant) as conn:
        conf = await tenants.read(conn, tenant)
        if not conf.known:
            raise NotFound()
        rows = [dict(r) for r in await conn.fetch(_HELD, tenant)]
    for r in rows:
        r["rule"] = (r["suppressed_reason"] or "").removeprefix(HELD_FOR_REVIEW)
    waiting = [r for r in rows if r["review"] is None]
    decided = [r for r in rows if r["review"] is not None][:20]
    return console.render("held.html", visit=visit, tenant=conf, waiting=waiting,
                          decided=decided, done=request.query.get("done", ""),
                          status=200)


def drafted(row: Reply, at: Any) -> ReplyDrafted:
    """The event the outbound connector claims a released draft from (its id derived from
    the reply's key: a second release publishes the same event)."""
    return ReplyDrafted(
        event_id=derive_event_id(row.tenant_id, CONSUMER, row.idempotency_key, "release"),
        tenant_id=row.tenant_id, contact_id=row.contact_id, occurred_at=at,
        received_at=row.created_at or at, causation_id=row.event_id,
        idempotency_key=row.idempotency_key, channel=row.channel, body=row.body,
        mode=row.mode, reply_to_message_id=row.reply_to_message_id, send_after=at,
        model=row.model, input_tokens=row.input_tokens, output_tokens=row.output_tokens,
        cache_read_tokens=row.cache_read_tokens, cache_write_tokens=row.cache_write_tokens,
        cost_usd=float(row.cost_usd), latency_ms=row.latency_ms)


class _Producer:
    """The console's producer as the `RawProducer` `EventPublisher` publishes through."""

    def __init__(self, producer: Any) -> None:
        self.producer = producer

    async def publish(self, message: Any, topic: str = "", *, key: Any = None,
                      headers: dict[str, str] | None = None, no_confirm: bool = False) -> Any:
        return await self.producer.send(topic, message, key=key, headers=[
            (k, v.encode()) for k, v in (headers or {}).items()])


def _gone(console: Console, visit: Visit, tenant: str) -> web.Response:
    return console.render(
        "error.html", status=409, visit=visit, title="Already decided",
        message="This draft is not waiting for a person any more (released or cancelled "
                "already, or never held).", back=f"/console/t/{tenant}/held")


async def release(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`POST /console/t/{tenant}/replies/{key}/release`: send the held draft after all."""
    tenant = scope(request, visit)
    key = request.match_info["key"]
    producer = console.producer.current if console.producer is not None else None
    if producer is None:
        raise RetryableError("Kafka is not connected: nothing was released")
    now = console.clock()
    async with console.db.transaction(tenant) as conn:
        row = await replies.release_held(conn, tenant, key, visit.user.email, now)
        if row is None:
            return _gone(console, visit, tenant)
        await audit.record(conn, audit.Actor.of(visit.user), "reply.release", tenant=tenant,
                           target=key, before={"status": "suppressed",
                                               "reason": row.suppressed_reason},
                           after={"status": "drafted", "body": row.body})
        publisher = EventPublisher(_Producer(producer), CONSUMER)
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                await publisher.publish(drafted(row, now))
                await publisher.flush()
        except (KafkaError, TimeoutError) as exc:
            raise RetryableError(f"publishing the released draft failed: {exc!r}") from exc
    return redirect(f"/console/t/{tenant}/held?done=released")


async def cancel(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`POST /console/t/{tenant}/replies/{key}/cancel`: the held draft is never sent."""
    tenant = scope(request, visit)
    key = request.match_info["key"]
    async with console.db.transaction(tenant) as conn:
        if not await replies.cancel_held(conn, tenant, key, visit.user.email,
                                         console.clock()):
            return _gone(console, visit, tenant)
        await audit.record(conn, audit.Actor.of(visit.user), "reply.cancel", tenant=tenant,
                           target=key, before={"status": "suppressed"},
                           after={"status": "suppressed", "review": "cancelled"})
    return redirect(f"/console/t/{tenant}/held?done=cancelled")
