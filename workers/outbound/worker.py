"""The outbound connector: consumes `replies.outbound`, sends through the GHL API, publishes
`replies.delivered`.

Per reply: claim it in Postgres (see `delivery`), then send with the location's rate limit,
token and bounded retries (see `sender`), record GHL's `messageId` and publish
`ReplyDelivered` so the memory worker links the `OutboundMessage` echo. Replies due later
are held and re-queued by the scheduler (see `scheduler`). A reply GHL refuses is marked
failed and dead-lettered; one that may have gone out (`workers.ghl.outcome`: a 5xx, a cut
connection after sending) is never sent again, and the agent is told (`in_doubt_notice`).
Every replica takes its turns from one count per location in Redis (`ghl.shared_limit`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from schemas.envelope import derive_event_id
from schemas.events import AgentAssistRequested, ReplyDelivered, ReplyDrafted
from schemas.topics import AGENT_ASSIST, LEAD_PROFILE_UPDATED, REPLIES_OUTBOUND
from workers.consent.decision import Limits
from workers.crm.writer import CrmHandler
from workers.errors import InvalidEventError, RetryableError
from workers.ghl.client import (
    Delivered,
    DeliveryInDoubtError,
    ReplyRejectedError,
    message_payload,
)
from workers.ghl.contacts import ContactsClient
from workers.ghl.sender import ClaimLostError, Sender
from workers.ghl.tokens import TokenProvider
from workers.outbound.access import open_ghl
from workers.outbound.config import OutboundConfig
from workers.outbound.delivery import Claim, ReplyClaims, ReplyStore
from workers.outbound.metrics import CONSENT_BLOCKS, SENDS
from workers.outbound.scheduler import HeldReplyScheduler
from workers.replies import Action, Reply
from workers.runtime.background import Loop
from workers.runtime.boundary import Handler
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.ports import Publisher
from workers.runtime.record import Record

log = logging.getLogger(__name__)


def delivered_event(ev: ReplyDrafted, reply: Reply) -> ReplyDelivered:
    """The fact that GHL took the reply; its id is stable, so re-publishing is idempotent."""
    assert reply.ghl_message_id is not None and reply.sent_at is not None
    return ReplyDelivered(
        event_id=derive_event_id(ev.tenant_id, reply.idempotency_key, "reply.delivered"),
        tenant_id=ev.tenant_id, contact_id=reply.contact_id, occurred_at=reply.sent_at,
        received_at=ev.received_at, causation_id=ev.event_id,
        idempotency_key=reply.idempotency_key, ghl_message_id=reply.ghl_message_id,
        conversation_id=reply.ghl_conversation_id, channel=ev.channel, body=reply.body,
    )


def stale_notice(ev: ReplyDrafted, reply: Reply) -> AgentAssistRequested:
    """What the agent is told of a stale reply: the draft, as a suggestion to send by hand.
    Its id is stable, so re-publishing it on a redelivery is idempotent."""
    return AgentAssistRequested(
        event_id=derive_event_id(ev.tenant_id, reply.idempotency_key, "blocked", "stale"),
        tenant_id=ev.tenant_id, contact_id=reply.contact_id,
        occurred_at=reply.blocked_at or reply.created_at, received_at=ev.received_at,
        causation_id=ev.event_id, reason="reply_stale",
        note=("This reply was not sent: it was not delivered within the time a draft stays "
              f"current. Suggested text, if it still fits: {reply.body}"),
    )


# Opens the error noted on a reply left 'sending' because GHL's answer proved nothing (the
# agent was told); a row 'sending' without it was left by a crash, or is being sent now.
IN_DOUBT = "in doubt:"


def in_doubt_notice(ev: ReplyDrafted, reply: Reply, error: str,
                    at: datetime) -> AgentAssistRequested:
    """What the agent is told of a reply GHL may or may not have sent. Its id is stable per
    reply, so a re-publish (a redelivery) is the same notice: one task for the agent."""
    return AgentAssistRequested(
        event_id=derive_event_id(ev.tenant_id, reply.idempotency_key, "in_doubt"),
        tenant_id=ev.tenant_id, contact_id=reply.contact_id, occurred_at=at,
        received_at=ev.received_at, causation_id=ev.event_id, reason="reply_in_doubt",
        note=(f"GHL's answer ({error.removeprefix(IN_DOUBT).strip()[:300]}) does not say "
              f"whether it sent this reply, so it is not sent again. The reply: {reply.body}"),
    )


RECORD_SENT_RETRIES = (0.1, 0.5, 2.0)  # seconds before each retry of the 'sent' write
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Claim:
    """The reply's claim as the sender gives it back and takes it again between attempts
    (consent is decided again by every retake)."""

    def __init__(self, store: ReplyClaims, ev: ReplyDrafted, now: Clock) -> None:
        self.store, self.ev, self.now = store, ev, now
        self.last: Claim | None = None

    async def release(self, reason: str) -> None:
        await self.store.release(self.ev.tenant_id, self.ev.idempotency_key, reason)

    async def retake(self) -> bool:
        self.last = await self.store.claim(self.ev, self.now())
        return self.last.action is Action.SEND


class OutboundHandler:
    def __init__(self, store: ReplyClaims, sender: Sender, publisher: Publisher,
                 now: Clock = utc_now) -> None:
        self.store, self.sender, self.publisher, self.now = store, sender, publisher, now

    async def __call__(self, record: Record) -> None:
        ev = ReplyDrafted.model_validate_json(record.value)
        if record.key is not None and record.key.decode("utf-8", "replace") != ev.tenant_id:
            raise InvalidEventError(f"record key {record.key!r} is not the reply's tenant")
        if not ev.contact_id:
            raise InvalidEventError("a reply needs a contact_id to be sent")
        # The rate-limit wait comes before the claim: a crash while waiting must not leave
        # the reply claimed ("sending": in doubt, never resent). A turn taken for a reply
        # that turns out not to need sending (held, already sent) is a token spent idle.
        await self.sender.turn(ev.tenant_id)
        claim = await self.store.claim(ev, self.now())
        reply = claim.reply
        if claim.action is Action.SEND:
            await self._send(ev, reply)
        elif claim.action is Action.BLOCKED:
            await self._blocked(ev, claim)
        elif claim.action is Action.REPUBLISH and reply.ghl_message_id and reply.sent_at:
            await self.publisher.publish(delivered_event(ev, reply))
            SENDS.labels("republished").inc()
        elif claim.action is Action.IN_DOUBT:
            SENDS.labels("in_doubt").inc()
            error = reply.send_error or ""
            if error.startswith(IN_DOUBT):  # told before; again, in case that publish was lost
                await self.publisher.publish(in_doubt_notice(ev, reply, error, self.now()))
            log.warning(
                "outbound: reply %s/%s was claimed before and may have been sent; not resending "
                "(reconcile it by hand)", ev.tenant_id, ev.idempotency_key,
            )
        elif claim.action is Action.FAILED:
            # Dead-letter again: the first dead letter may have been lost in a crash.
            raise ReplyRejectedError(f"reply already failed: {reply.send_error or 'unknown'}")
        else:
            SENDS.labels({Action.HOLD: "held", Action.WAIT: "waiting"}.get(
                claim.action, "skipped")).inc()

    async def _send(self, ev: ReplyDrafted, reply: Reply) -> None:
        tenant, key = ev.tenant_id, reply.idempotency_key
        try:
            payload = message_payload(
                reply.channel, reply.contact_id, reply.body,
                subject=getattr(ev, "subject", None),
                reply_to_message_id=reply.reply_to_message_id,
            )
            window = _Claim(self.store, ev, self.now)
            delivered = await self.sender.send(tenant, payload, claim=window, turn_taken=True)
        except ClaimLostError:
            if window.last is not None and window.last.action is Action.BLOCKED:
                await self._blocked(ev, window.last)
            else:
                SENDS.labels("skipped").inc()
            return
        except ReplyRejectedError as exc:
            await self.store.mark_failed(tenant, key, str(exc))
            SENDS.labels("failed").inc()
            raise
        except DeliveryInDoubtError as exc:
            error = f"{IN_DOUBT} {exc}"
            await self.store.note_in_doubt(tenant, key, error)
            await self.publisher.publish(in_doubt_notice(ev, reply, error, self.now()))
            SENDS.labels("in_doubt").inc()
            raise
        except RetryableError as exc:
            await self.store.release(tenant, key, str(exc))
            SENDS.labels("retry").inc()
            raise
        sent_at = await self._record_sent(tenant, key, delivered)
        done = replace(
            reply, status="sent", ghl_message_id=delivered.message_id,
            ghl_conversation_id=delivered.conversation_id, sent_at=sent_at,
        )
        await self.publisher.publish(delivered_event(ev, done))
        SENDS.labels("sent").inc()

    async def _blocked(self, ev: ReplyDrafted, claim: Claim) -> None:
        """Consent was gone (or the draft stale) when it was time to send: the reply is
        suppressed for good; for a stale one the agent gets the draft as a suggestion."""
        reply = claim.reply
        reason = reply.suppressed_reason
        if claim.consent is not None:  # decided now, not found decided before
            SENDS.labels("blocked").inc()
            CONSENT_BLOCKS.labels(reason or "unknown").inc()
            log.info("outbound: reply %s/%s not sent: %s", ev.tenant_id,
                     reply.idempotency_key, reason)
        if reason == "stale":  # other reasons are the lead's wish, or a newer reply
            await self.publisher.publish(stale_notice(ev, reply))

    async def _record_sent(self, tenant: str, key: str, delivered: Delivered) -> datetime:
        """GHL took the message: recording it must outlast a cut connection, or the reply
        stays 'sending' (in doubt) although it was delivered. The write is idempotent."""
        for delay in RECORD_SENT_RETRIES:
            try:
                return await self.store.mark_sent(tenant, key, delivered)
            except RetryableError:
                await asyncio.sleep(delay)
        return await self.store.mark_sent(tenant, key, delivered)


def build(
    resources: Resources, config: OutboundConfig | None = None,
    tokens: TokenProvider | None = None,
) -> Handler:
    """Wire the handler; `config` and `tokens` default to the deployment's settings."""
    cfg = config or OutboundConfig.from_settings(resources.settings)
    http, sender = open_ghl(resources, cfg, tokens)
    store = ReplyStore(resources.database,
                       Limits(max_age=timedelta(seconds=cfg.reply_max_age_s)))
    scheduler = HeldReplyScheduler(store, resources.own_publisher(),
                                   interval_s=cfg.scheduler_interval_s,
                                   batch=cfg.scheduler_batch)
    resources.run_in_background(Loop("outbound-held", scheduler.run))
    replies = OutboundHandler(store, sender, resources.publisher)
    crm = CrmHandler(resources.database, sender, ContactsClient(http, cfg.base_url),
                     timedelta(seconds=cfg.crm_note_interval_s))
    return GHLGateway(replies, crm)


class GHLGateway:
    """Replies and CRM write-backs: every call to a location's GHL account goes through one
    `Sender`, so both share its rate limit, its token and its refresh."""

    def __init__(self, replies: Handler, crm: Handler) -> None:
        self.replies, self.crm = replies, crm

    async def __call__(self, record: Record) -> None:
        if record.topic == REPLIES_OUTBOUND:
            await self.replies(record)
        else:
            await self.crm(record)


SPEC = WorkerSpec(name="outbound", topics=(REPLIES_OUTBOUND, AGENT_ASSIST, LEAD_PROFILE_UPDATED),
                  build=build)  # Redis: GHL's limits, counted once for every replica
