"""`OutboundHandler` end to end in memory: the real handler, `Sender`, rate limiter and status
machine, with the store, GHL and the broker faked (`fakes_handler`). Each case delivers one
`ReplyDrafted` record once or more and checks what GHL was sent, where the row went and what
was published; every test also checks that no reply was accepted by GHL twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel

from schemas.envelope import derive_event_id
from schemas.events import AgentAssistRequested, ReplyDelivered, ReplyDrafted
from schemas.topics import REPLIES_OUTBOUND
from tests.unit.outbound.conftest import ManualClock
from tests.unit.outbound.fakes_handler import (
    ALLOW,
    Answer,
    FakeGHL,
    FakeReplies,
    RecordingPublisher,
    block,
    hold,
)
from workers.consent.decision import ConsentDecision
from workers.errors import InvalidEventError, RetryableError
from workers.ghl.client import (
    Delivered,
    DeliveryInDoubtError,
    GHLUnavailableError,
    RateLimitedError,
    ReplyRejectedError,
    TokenRejectedError,
    message_payload,
)
from workers.ghl.ratelimit import LocationLimiter
from workers.ghl.sender import Sender
from workers.ghl.tokens import StaticTokenProvider, TokenUnavailableError
from workers.outbound import worker
from workers.outbound.worker import (
    OutboundHandler,
    delivered_event,
    in_doubt_notice,
    stale_notice,
)
from workers.replies import Reply
from workers.runtime.record import Record

TENANT, KEY, CONTACT = "loc-a", "m-1", "c-1"
NOW = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)  # the handler's clock
SENT_AT = NOW + timedelta(seconds=1)  # the database's, when it records 'sent'
LATER = NOW + timedelta(hours=1)
MAX_ATTEMPTS = 3


@dataclass
class World:
    replies: FakeReplies
    ghl: FakeGHL
    publisher: RecordingPublisher
    clock: ManualClock
    handler: OutboundHandler

    @property
    def row(self) -> Reply:
        return self.replies.row(TENANT, KEY)

    def posts(self) -> int:
        return len(self.ghl.posts)


@pytest.fixture
def world(clock: ManualClock) -> World:
    replies = FakeReplies(sent_at=SENT_AT)
    ghl = FakeGHL(replies.sending_key)
    publisher = RecordingPublisher()
    sender = Sender(
        ghl, StaticTokenProvider({TENANT: "tok"}),
        LocationLimiter(100, 10.0, clock=clock, sleep=clock.sleep),
        max_attempts=MAX_ATTEMPTS, backoff_s=0.5, backoff_max_s=8.0, max_wait_s=30.0,
        sleep=clock.sleep,
    )
    return World(replies, ghl, publisher, clock,
                 OutboundHandler(replies, sender, publisher, now=lambda: NOW))


@pytest.fixture(autouse=True)
def at_most_once(world: World) -> Iterator[None]:
    """Whatever a test does: never a POST for a reply GHL took, or may have taken, before."""
    yield
    assert world.ghl.at_most_once() == []


def drafted(*, channel: str = "sms", contact: str | None = CONTACT,
            send_after: datetime | None = None) -> ReplyDrafted:
    return ReplyDrafted.model_validate({
        "event_id": "ev-1", "tenant_id": TENANT, "contact_id": contact,
        "occurred_at": NOW - timedelta(minutes=1), "received_at": NOW - timedelta(minutes=2),
        "idempotency_key": KEY, "channel": channel, "body": "Still looking in Austin?",
        "mode": "buyer", "send_after": send_after,
    })


def record(ev: ReplyDrafted, key: bytes | None = TENANT.encode()) -> Record:
    return Record(REPLIES_OUTBOUND, 0, 7, ev.model_dump_json().encode(), key=key)


# --- GHL's answers, fresh per POST --------------------------------------------------------

def unavailable() -> Answer:
    return GHLUnavailableError("GHL unreachable: ConnectError('connection refused')")


def rate_limited() -> Answer:
    return RateLimitedError("GHL answered 429 to the message: slow down", retry_after=2.0)


def rejected() -> Answer:
    return ReplyRejectedError("GHL rejected the message: 422 contact not found", 422)


def in_doubt() -> Answer:
    return DeliveryInDoubtError("no answer from GHL after sending: it may have been delivered")


def server_error() -> Answer:
    return DeliveryInDoubtError("GHL answered 504 to the message (Gateway Timeout): it may "
                                "have been done", status=504)


def token_rejected() -> Answer:
    return TokenRejectedError("GHL answered 401 to the message: invalid token")


# --- The table ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One delivery of the record, and what it must leave behind."""

    status: str  # the row's status after it
    posts: int = 0  # POSTs it made
    answers: tuple[Callable[[], Answer], ...] = ()  # GHL's answers to them (else: accepted)
    consent: tuple[ConsentDecision, ...] = ()  # each claim's verdict that would send
    raises: type[Exception] | None = None
    published: tuple[str, ...] = ()  # "delivered" / "stale" / "in_doubt": what it published


@dataclass(frozen=True)
class Case:
    id: str
    steps: tuple[Step, ...]
    trail: tuple[str, ...]  # every status the row took, in order
    channel: str = "sms"
    send_after: datetime | None = None
    found: str | None = None  # the status of a row stored before (None: no row yet)


SENT = Step("sent", posts=1, published=("delivered",))
CASES = [
    Case("first delivery", (SENT,), ("drafted", "sending", "sent")),
    Case("redelivery of a sent reply re-publishes, no POST",
         (SENT, Step("sent", published=("delivered",))), ("drafted", "sending", "sent")),
    Case("found sending (in doubt): no POST, nothing published",
         (Step("sending"), Step("sending")), ("sending",), found="sending"),
    Case("GHL rejects: failed, dead-lettered again on redelivery",
         (Step("failed", posts=1, answers=(rejected,), raises=ReplyRejectedError),
          Step("failed", raises=ReplyRejectedError)),
         ("drafted", "sending", "failed")),
    Case("a channel GHL cannot send: failed without a POST",
         (Step("failed", raises=ReplyRejectedError),), ("drafted", "sending", "failed"),
         channel="call"),
    Case("in doubt: the claim is kept, never resent, the agent told (the same notice again "
         "on redelivery)",
         (Step("sending", posts=1, answers=(in_doubt,), raises=DeliveryInDoubtError,
               published=("in_doubt",)),
          Step("sending", published=("in_doubt",))),
         ("drafted", "sending", "sending")),
    Case("a 5xx is in doubt: the claim is kept, never resent, the agent told",
         (Step("sending", posts=1, answers=(server_error,), raises=DeliveryInDoubtError,
               published=("in_doubt",)),),
         ("drafted", "sending", "sending")),
    Case("in doubt after a refused connection: the claim is kept, never resent",
         (Step("sending", posts=2, answers=(unavailable, in_doubt),
               raises=DeliveryInDoubtError, published=("in_doubt",)),
          Step("sending", published=("in_doubt",))),
         ("drafted", "sending", "drafted", "sending", "sending")),
    Case("refused connections until the attempts are spent: released; a redelivery sends once",
         (Step("drafted", posts=MAX_ATTEMPTS, answers=(unavailable,) * MAX_ATTEMPTS,
               raises=GHLUnavailableError),
          SENT),
         ("drafted", "sending", "drafted", "sending", "drafted", "sending", "drafted",
          "sending", "sent")),
    Case("429 then accepted: one message",
         (Step("sent", posts=2, answers=(rate_limited,), published=("delivered",)),),
         ("drafted", "sending", "drafted", "sending", "sent")),
    Case("401 with a static token: released, retried later",
         (Step("drafted", posts=1, answers=(token_rejected,), raises=TokenUnavailableError),
          SENT),
         ("drafted", "sending", "drafted", "sending", "sent")),
    Case("blocked at the claim (stale): the agent gets the draft, again on redelivery",
         (Step("suppressed", consent=(block("stale"),), published=("stale",)),
          Step("suppressed", published=("stale",))),
         ("drafted", "suppressed")),
    Case("blocked at the claim (opted out): nothing published",
         (Step("suppressed", consent=(block("opted_out"),)), Step("suppressed")),
         ("drafted", "suppressed")),
    Case("blocked at the retake (opted out): one POST, nothing published",
         (Step("suppressed", posts=1, answers=(unavailable,),
               consent=(ALLOW, block("opted_out"))),
          Step("suppressed")),
         ("drafted", "sending", "drafted", "suppressed")),
    Case("blocked at the retake (stale): one POST, the stale notice",
         (Step("suppressed", posts=1, answers=(rate_limited,), consent=(ALLOW, block("stale")),
               published=("stale",)),),
         ("drafted", "sending", "drafted", "suppressed")),
    Case("held at the retake (quiet hours): one POST, nothing published",
         (Step("held", posts=1, answers=(unavailable,), consent=(ALLOW, hold(LATER))),),
         ("drafted", "sending", "drafted", "held")),
    Case("held by consent at the claim",
         (Step("held", consent=(hold(LATER),)),), ("drafted", "held")),
    Case("send_after in the future: held, and still waiting on redelivery",
         (Step("held"), Step("held")), ("drafted", "held"), send_after=LATER),
    Case("a held reply found due: sent",
         (SENT,), ("held", "sending", "sent"), found="held"),
]


def expected(kind: str, ev: ReplyDrafted, row: Reply) -> BaseModel:
    """The event of `kind` the handler must publish for the row as it is now."""
    if kind == "in_doubt":
        assert row.send_error is not None and row.send_error.startswith(worker.IN_DOUBT)
        return in_doubt_notice(ev, row, row.send_error, NOW)
    return delivered_event(ev, row) if kind == "delivered" else stale_notice(ev, row)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_outbound_handler(world: World, case: Case) -> None:
    ev = drafted(channel=case.channel, send_after=case.send_after)
    if case.found is not None:
        world.replies.seed(Reply(
            tenant_id=TENANT, idempotency_key=KEY, event_id=ev.event_id, contact_id=CONTACT,
            reply_to_message_id=None, channel=ev.channel, body=ev.body, mode=ev.mode,
            status=case.found, created_at=ev.occurred_at, send_after=NOW - timedelta(hours=1)))
    for n, step in enumerate(case.steps, 1):
        world.ghl.answers = [answer() for answer in step.answers]
        world.replies.consent = list(step.consent)
        posts, published = world.posts(), len(world.publisher.events)
        if step.raises is None:
            await world.handler(record(ev))
        else:
            with pytest.raises(step.raises):
                await world.handler(record(ev))
        assert (world.row.status, world.posts() - posts) == (step.status, step.posts), n
        assert world.ghl.answers == [], f"delivery {n}: GHL was asked less than scripted"
        assert world.replies.consent == [], f"delivery {n}: consent was asked less"
        assert world.publisher.events[published:] == [
            expected(kind, ev, world.row) for kind in step.published], n
    assert tuple(world.replies.trail[(TENANT, KEY)]) == case.trail
    assert all(p.key == KEY and p.token == "tok" for p in world.ghl.posts)
    assert sum(isinstance(p.answer, Delivered) for p in world.ghl.posts) <= 1


# --- Details the table does not show ------------------------------------------------------

async def test_first_delivery_records_ghls_ids_and_publishes_a_stable_event(
    world: World,
) -> None:
    ev = drafted()
    world.ghl.answers = [Delivered("ghl-msg-9", "ghl-conv-3")]
    await world.handler(record(ev))
    [post] = world.ghl.posts
    assert post.payload == message_payload("sms", CONTACT, ev.body)
    row = world.row
    assert (row.status, row.ghl_message_id, row.ghl_conversation_id, row.sent_at) == (
        "sent", "ghl-msg-9", "ghl-conv-3", SENT_AT)
    [event] = world.publisher.events
    assert isinstance(event, ReplyDelivered)
    assert event.event_id == derive_event_id(TENANT, KEY, "reply.delivered")
    assert (event.ghl_message_id, event.conversation_id, event.occurred_at,
            event.causation_id, event.body) == ("ghl-msg-9", "ghl-conv-3", SENT_AT,
                                                ev.event_id, ev.body)
    assert world.publisher.topics == [None]  # its own topic

    await world.handler(record(ev))  # redelivered: the very same event again
    assert world.publisher.events == [event, event] and len(world.ghl.posts) == 1


async def test_a_reply_in_doubt_tells_the_agent_with_one_notice(world: World) -> None:
    ev = drafted()
    world.ghl.answers = [server_error()]
    with pytest.raises(DeliveryInDoubtError):
        await world.handler(record(ev))
    await world.handler(record(ev))  # a redelivery: the same notice (one task downstream)
    first, again = world.publisher.events
    assert isinstance(first, AgentAssistRequested) and first == again
    assert first.event_id == derive_event_id(TENANT, KEY, "in_doubt")
    assert (first.reason, first.contact_id, first.causation_id) == (
        "reply_in_doubt", CONTACT, ev.event_id)
    assert "504" in first.note and ev.body in first.note and "in doubt:" not in first.note
    assert world.publisher.topics == [None, None]  # agent.assist, the event's own topic
    assert world.row.status == "sending" and len(world.ghl.posts) == 1


async def test_retries_give_the_claim_back_between_attempts_and_at_the_end(
    world: World,
) -> None:
    world.ghl.answers = [unavailable() for _ in range(MAX_ATTEMPTS)]
    with pytest.raises(GHLUnavailableError, match=f"gave up after {MAX_ATTEMPTS} attempts"):
        await world.handler(record(drafted()))
    assert [c[0] for c in world.replies.calls] == [
        "claim", "release", "claim", "release", "claim", "release"]
    assert world.row.send_error is not None and "gave up" in world.row.send_error
    assert world.clock.sleeps == [0.5, 1.0]  # backoff, waited without the claim
    assert world.publisher.events == []


async def test_429_waits_out_the_pause_without_the_claim(world: World) -> None:
    world.ghl.answers = [rate_limited()]
    await world.handler(record(drafted()))
    assert world.clock.sleeps == [pytest.approx(2.0)]
    assert [c[0] for c in world.replies.calls] == ["claim", "release", "claim", "mark_sent"]


async def test_the_sent_write_outlasts_a_cut_connection(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "RECORD_SENT_RETRIES", (0.0, 0.0, 0.0))
    world.replies.fail_mark_sent = [RetryableError("connection lost")] * 2
    await world.handler(record(drafted()))
    assert world.row.status == "sent" and len(world.ghl.posts) == 1
    assert [c[0] for c in world.replies.calls].count("mark_sent") == 3
    assert world.publisher.events == [delivered_event(drafted(), world.row)]


async def test_rejected_is_dead_lettered_again_with_the_first_error(world: World) -> None:
    world.ghl.answers = [rejected()]
    with pytest.raises(ReplyRejectedError):
        await world.handler(record(drafted()))
    with pytest.raises(ReplyRejectedError, match=r"already failed: .*422 contact not found"):
        await world.handler(record(drafted()))
    assert len(world.ghl.posts) == 1 and world.publisher.events == []


async def test_a_record_keyed_without_a_tenant_is_accepted(world: World) -> None:
    await world.handler(record(drafted(), key=None))
    assert world.row.status == "sent" and len(world.ghl.posts) == 1


@dataclass(frozen=True)
class Invalid:
    id: str
    ev: ReplyDrafted
    key: bytes | None = TENANT.encode()
    match: str = ""


INVALID = [
    Invalid("keyed by another tenant", drafted(), key=b"loc-b", match="not the reply's tenant"),
    Invalid("without a contact", drafted(contact=None), match="needs a contact_id"),
    Invalid("without a contact, unkeyed", drafted(contact=None), key=None,
            match="needs a contact_id"),
]


@pytest.mark.parametrize("case", INVALID, ids=[c.id for c in INVALID])
async def test_an_invalid_record_is_refused_before_any_claim(world: World, case: Invalid) -> None:
    with pytest.raises(InvalidEventError, match=case.match):
        await world.handler(record(case.ev, key=case.key))
    assert world.replies.calls == [] and world.ghl.posts == [] and world.publisher.events == []
