"""In-memory stand-ins for what `OutboundHandler` talks to: the `replies` rows behind the
`ReplyClaims` Protocol, GHL's send-message endpoint behind `MessageClient`, and a publisher.

`FakeReplies` moves its rows with the real status machine (`workers.replies.decide`, and
every move checked against `EDGES`), mirroring `ReplyStore.claim` step for step; only the
consent verdict is scripted instead of read from the lead's state. `FakeGHL` attributes
each POST to the reply whose claim ('sending') was held when it went out, so a test can
check that no reply is ever accepted twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from schemas.events import ReplyDrafted
from workers.consent.decision import ConsentDecision
from workers.errors import RetryableError
from workers.ghl.client import Delivered, DeliveryInDoubtError
from workers.outbound.delivery import Claim
from workers.replies import Action, Reply, Status, can_move
from workers.replies.claim import claim_action

ALLOW = ConsentDecision("send", "ok")


def block(reason: str) -> ConsentDecision:
    return ConsentDecision("block", reason)


def hold(until: datetime) -> ConsentDecision:
    return ConsentDecision("hold", "quiet_hours", until)


Key = tuple[str, str]  # (tenant_id, idempotency_key)


class FakeReplies:
    """`ReplyClaims` over a dict of `Reply` rows. `consent` is the verdict of each claim
    that would send, in turn (allow once the script is spent); every call is recorded in
    `calls`, every status a row takes in `trail`."""

    def __init__(self, sent_at: datetime) -> None:
        self.rows: dict[Key, Reply] = {}
        self.trail: dict[Key, list[str]] = {}
        self.calls: list[tuple[str, str, str]] = []  # (method, key, action or error)
        self.consent: list[ConsentDecision] = []
        self.fail_mark_sent: list[RetryableError] = []  # raised by the next mark_sent calls
        self.sent_at = sent_at  # what the database's now() would give the first 'sent'

    def seed(self, row: Reply) -> None:
        """A row stored before the test (by the responder, or an earlier delivery)."""
        key = (row.tenant_id, row.idempotency_key)
        self.rows[key] = row
        self.trail[key] = [row.status]

    def row(self, tenant: str, key: str) -> Reply:
        return self.rows[(tenant, key)]

    def sending_key(self) -> str:
        """The one reply claimed for sending now; a POST without a claim is a bug."""
        claimed = [k for (_, k), r in self.rows.items() if r.status == Status.SENDING]
        assert len(claimed) == 1, f"a POST must go out under exactly one claim: {claimed}"
        return claimed[0]

    def _move(self, key: Key, to: Status, **changes: Any) -> None:
        row = self.rows[key]
        assert can_move(row.status, to), f"{row.status} -> {to} is not an edge of EDGES"
        self.rows[key] = replace(row, status=to.value, **changes)
        self.trail[key].append(to.value)

    # --- ReplyClaims -----------------------------------------------------------------

    async def claim(self, ev: ReplyDrafted, now: datetime) -> Claim:
        key = (ev.tenant_id, ev.idempotency_key)
        if key not in self.rows:  # upsert_drafted: never over a stored row
            assert ev.contact_id is not None
            self.seed(Reply(
                tenant_id=ev.tenant_id, idempotency_key=ev.idempotency_key,
                event_id=ev.event_id, contact_id=ev.contact_id,
                reply_to_message_id=ev.reply_to_message_id, channel=ev.channel, body=ev.body,
                mode=ev.mode, model=ev.model, send_after=ev.send_after,
                created_at=ev.occurred_at,
            ))
        row = self.rows[key]
        step = claim_action(row.status, row.send_after or ev.send_after, now,
                            blocked_before=row.blocked_at is not None,
                            consent=lambda: self.consent.pop(0) if self.consent else ALLOW)
        action, send_after, verdict = step.action, step.send_after, step.verdict
        if action is Action.SEND:
            self._move(key, Status.SENDING)
        elif action is Action.HOLD:
            self._move(key, Status.HELD, send_after=send_after)
        elif action is Action.BLOCKED and verdict is not None:
            self._move(key, Status.SUPPRESSED, suppressed_reason=verdict.reason, blocked_at=now)
            row = self.rows[key]  # as ReplyStore returns it: as a redelivery will read it
        self.calls.append(("claim", ev.idempotency_key, action.value))
        return Claim(action, row, verdict)  # the row as read, like ReplyStore's

    async def mark_sent(self, tenant: str, key: str, delivered: Delivered) -> datetime:
        self.calls.append(("mark_sent", key, delivered.message_id))
        if self.fail_mark_sent:
            raise self.fail_mark_sent.pop(0)
        row = self.rows[(tenant, key)]
        sent_at = row.sent_at or self.sent_at
        self._move((tenant, key), Status.SENT, ghl_message_id=delivered.message_id,
                   ghl_conversation_id=delivered.conversation_id or row.ghl_conversation_id,
                   sent_at=sent_at, send_error=None)
        return sent_at

    async def mark_failed(self, tenant: str, key: str, error: str) -> None:
        self._after_sending("mark_failed", tenant, key, Status.FAILED, error)

    async def release(self, tenant: str, key: str, error: str) -> None:
        self._after_sending("release", tenant, key, Status.DRAFTED, error)

    async def note_in_doubt(self, tenant: str, key: str, error: str) -> None:
        self._after_sending("note_in_doubt", tenant, key, Status.SENDING, error)

    def _after_sending(self, call: str, tenant: str, key: str, to: Status, error: str) -> None:
        """Only a row still 'sending' (the claim is ours) moves, as in `workers.replies`."""
        self.calls.append((call, key, error))
        if self.rows[(tenant, key)].status == Status.SENDING:
            self._move((tenant, key), to, send_error=error[:2000])


Answer = Delivered | Exception


@dataclass(frozen=True)
class Post:
    key: str  # the reply claimed ('sending') when the POST went out
    token: str
    payload: dict[str, Any]
    answer: Answer

    @property
    def maybe_taken(self) -> bool:
        """GHL accepted it, or may have (no usable answer came back)."""
        return isinstance(self.answer, Delivered | DeliveryInDoubtError)


class FakeGHL:
    """`MessageClient`: each POST gets the next scripted answer (a `Delivered`, or an
    error to raise); once the script is spent, GHL accepts."""

    def __init__(self, claimed: Callable[[], str]) -> None:
        self.claimed = claimed
        self.answers: list[Answer] = []
        self.posts: list[Post] = []

    async def send(self, token: str, payload: dict[str, Any]) -> Delivered:
        n = len(self.posts) + 1
        answer = self.answers.pop(0) if self.answers else Delivered(f"msg-{n}", f"conv-{n}")
        self.posts.append(Post(self.claimed(), token, payload, answer))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def at_most_once(self) -> list[str]:
        """The POSTs that broke at-most-once: any POST for a reply GHL took (or may have
        taken) before. Empty when every reply went out at most once."""
        taken: set[str] = set()
        broken = []
        for i, post in enumerate(self.posts):
            if post.key in taken:
                broken.append(f"POST #{i + 1} resent {post.key}")
            if post.maybe_taken:
                taken.add(post.key)
        return broken


class RecordingPublisher:
    """`Publisher`: keeps what was published, in order."""

    def __init__(self) -> None:
        self.events: list[BaseModel] = []
        self.topics: list[str | None] = []

    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        self.events.append(event)
        self.topics.append(topic)
