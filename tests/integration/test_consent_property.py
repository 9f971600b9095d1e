"""Consent as a property: over random interleavings of lead messages (STOP / START in several
words, questions holding the keyword, email replies quoting our confirmation), DND changes and
contact updates that do not mention DND, webhooks retried late, message retention, the contact
forgotten and the same phone returning as a new contact, STOPs still on their way through the
pipeline, takeovers, clocks across quiet hours, drafts (honest, and rogue ones that ignore
consent), sends that fail before or after GHL took them, redeliveries and replays days later,
GHL never receives an automated text for a lead who opted out, has DND on SMS, was taken over,
or is in quiet hours, except one opt-out confirmation, in answer to the opt-out itself, within
5 minutes of it.

Real parts: Postgres (as the workers' role), memory's statements (messages, contacts, the
consent ledger, forgetting), ingestion's in-flight mark, retention's prune, the responder's
guards and SQL, and the outbound connector's handler, claim and sender; only GHL is an
in-process fake that records each POST with the simulated time. Bounded (examples x steps) so
it runs in the normal suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from schemas.events import ContactChanged, ContactSnapshot, MessageIngested, ReplyDrafted
from tests.conftest import new_tenant
from tests.support.services import ServiceUrls
from workers import replies
from workers.consent.decision import lead_state
from workers.consent_ledger.addresses import hasher_for
from workers.db.retention import prune_messages
from workers.db.tenant import TenantDatabase
from workers.ghl.client import Delivered, DeliveryInDoubtError, GHLUnavailableError
from workers.ghl.ratelimit import LocationLimiter
from workers.ghl.sender import Sender
from workers.ghl.tokens import StaticTokenProvider
from workers.ingestion.worker import _MARK, inbound_marks
from workers.memory import store as memory
from workers.outbound.delivery import ReplyStore
from workers.outbound.worker import OutboundHandler
from workers.replies import Reply
from workers.responder import guards, store
from workers.responder.modes import opt_out_text
from workers.runtime.record import Record

pytestmark = pytest.mark.integration
ZONE = ZoneInfo("America/Chicago")
# What each message means to a person (the oracle), not what the classifier reads.
TEXTS: list[tuple[str, str | None]] = [
    ("Looking for a 3 bed in Austin under 450k", None),
    ("STOP", "out"),
    ("Please stop texting me", "out"),
    ("ya no me escriban por favor", "out"),
    ("BAJA", "out"),
    ("can u not text me anymore", "out"),
    ("START", "in"),
    ("unstop", "in"),
    ("cancel my showing tomorrow, I'll reschedule", None),
    ("can you stop by the open house with me?", None),
    ("do you have anything with a pool?", None),
    # The keyword inside a question or a future permission is not a resubscription.
    ("what does START mean?", None),
    ("ok to text me again after the holidays", None),
]
# An email reply quoting our confirmation: the lead's own words are above the quote.
QUOTED = ("Thanks.\n\nOn Mon, Nov 9, 2026 at 9:14 AM Acme Realty <agent@acme.test> wrote:\n"
          "> " + opt_out_text("Acme").replace("\n", "\n> "))
PHONE = "+15125550100"
FAULTS = (None, None, "503", "in_doubt")

Step = tuple[Any, ...]
INBOUND = st.tuples(st.just("inbound"), st.integers(0, len(TEXTS) - 1))
# A draft is delivered at once (as the pipeline would); `deliver` is a redelivery or replay.
DRAFT = st.tuples(st.sampled_from(["draft", "draft", "rogue"]), st.integers(0, 50),
                  st.sampled_from(FAULTS))
STEPS = st.one_of(
    INBOUND, INBOUND, DRAFT, DRAFT,
    st.tuples(st.just("deliver"), st.integers(0, 50), st.sampled_from(FAULTS)),
    st.tuples(st.just("deliver"), st.integers(0, 50), st.sampled_from(FAULTS)),
    st.tuples(st.just("learn")),
    st.tuples(st.just("dnd"), st.booleans()),
    st.tuples(st.just("tags")),  # a contact update without dndSettings (our own write-back's)
    st.tuples(st.just("late_dnd"), st.booleans()),  # an older DND state retried late
    st.tuples(st.just("quoted")),
    st.tuples(st.just("prune")),
    st.tuples(st.just("forget")),
    st.tuples(st.just("in_flight"), st.integers(0, len(TEXTS) - 1)),
    st.tuples(st.just("tick"), st.sampled_from([1, 3, 6, 45, 240, 600, 4320])),
    st.tuples(st.just("tick"), st.sampled_from([1, 3, 6, 45, 240, 600, 4320])),
)
# A takeover ends automated texts for good: rare, so most runs explore the rest.
WORLDS = st.tuples(st.lists(STEPS, min_size=6, max_size=40),
                   st.one_of(st.none(), st.integers(0, 40)))


@dataclass
class Post:
    at: datetime
    body: str


@dataclass
class FakeGHL:
    """Records every message GHL took, with the simulated time."""

    clock: list[datetime]
    posts: list[Post] = field(default_factory=list)
    fault: str | None = None

    async def send(self, token: str, payload: dict[str, Any]) -> Delivered:
        fault, self.fault = self.fault, None
        if fault == "503":
            raise GHLUnavailableError("503 from GHL")
        self.posts.append(Post(self.clock[0], payload["message"]))
        if fault == "in_doubt":
            raise DeliveryInDoubtError("timed out after sending")
        return Delivered(message_id=f"g{len(self.posts)}", conversation_id="conv")


@dataclass
class Truth:
    """The lead's state as a person knows it, changed by each step."""

    opted_out: bool = False
    opted_out_at: datetime | None = None
    dnd: bool = False
    taken_over: bool = False
    confirmations: int = 0  # since the latest opt-out


class Publisher:
    async def publish(self, event: BaseModel, *, topic: str | None = None) -> None:
        return None


HASHER = hasher_for(None)


@dataclass
class World:
    db: TenantDatabase
    tenant: str
    clock: list[datetime]
    ghl: FakeGHL
    handler: OutboundHandler
    contact_id: str = "c1"  # a new id each time the contact is forgotten and comes back
    messages: list[str] = field(default_factory=list)  # message ids, in order
    drafts: list[ReplyDrafted] = field(default_factory=list)
    pending: list[tuple[MessageIngested, str | None]] = field(default_factory=list)
    truth: Truth = field(default_factory=Truth)
    violations: list[str] = field(default_factory=list)
    updates: int = 0
    last_change: datetime | None = None  # GHL's change time of the newest contact state

    @property
    def now(self) -> datetime:
        return self.clock[0]

    async def step(self, step: Step) -> None:
        kind = step[0]
        if kind == "inbound":
            await self.arrive()
            await self.inbound(*TEXTS[step[1]])
        elif kind == "quoted":  # an email reply quoting the confirmation: nothing new said
            await self.arrive()
            await self.inbound(QUOTED, None, channel="email")
        elif kind == "in_flight":  # accepted by ingestion, not yet stored by memory
            await self.in_flight(*TEXTS[step[1]])
        elif kind == "learn":
            async with self.db.transaction(self.tenant) as conn:
                await conn.execute(
                    "INSERT INTO lead_profiles (tenant_id, contact_id, profile) VALUES "
                    "($1, $2, jsonb_build_object('opted_out', false)) ON CONFLICT "
                    "(tenant_id, contact_id) DO UPDATE SET profile = excluded.profile",
                    self.tenant, self.contact_id)  # a profile re-learned without the STOP
        elif kind == "dnd":
            self.truth.dnd = step[1]
            await self.contact(ContactSnapshot(
                phone=PHONE, timezone=ZONE.key, state="TX",
                dnd_channels={"sms": "active" if step[1] else "inactive"}), self.now)
        elif kind == "late_dnd" and self.last_change is not None:
            # GHL retries a delivery older than the state applied: it changes nothing.
            await self.contact(ContactSnapshot(
                phone=PHONE, dnd_channels={"sms": "active" if step[1] else "inactive"}),
                self.last_change - timedelta(minutes=1))
        elif kind == "tags":
            await self.contact(ContactSnapshot(phone=PHONE, tags=["hot-lead"]), self.now)
        elif kind == "prune":  # retention removes every message (the STOP among them)
            await self.arrive()
            await prune_messages(self.db, self.tenant, 1, batch_rows=1000)
            self.messages.clear()
        elif kind == "forget":  # ContactDelete, then the same phone as a new contact
            await self.arrive()
            async with self.db.transaction(self.tenant) as conn:
                await memory.forget_contact(conn, self.tenant, self.contact_id)
            self.messages.clear()
            self.contact_id = f"c{self.updates + 1000}"
            await self.contact(ContactSnapshot(phone=PHONE, timezone=ZONE.key, state="TX"),
                               self.now, change="create")
            self.truth.dnd = False  # GHL's new contact has no DND
        elif kind == "takeover":
            self.truth.taken_over = True
            async with self.db.transaction(self.tenant) as conn:
                await conn.execute("UPDATE contacts SET human_takeover = true")
        elif kind in ("draft", "rogue") and self.messages:
            ev = await self.draft(self.messages[step[1] % len(self.messages)],
                                  rogue=kind == "rogue")
            if ev is not None:
                await self.deliver(ev, step[2])
        elif kind == "deliver" and self.drafts:
            await self.deliver(self.drafts[step[1] % len(self.drafts)], step[2])
        elif kind == "tick":
            self.clock[0] += timedelta(minutes=step[1])

    async def contact(self, snapshot: ContactSnapshot, changed_at: datetime,
                      change: str = "update") -> None:
        """A contact webhook as memory applies it (DND merged, in GHL's order)."""
        self.updates += 1
        ev = ContactChanged(
            event_id=f"w{self.updates}", tenant_id=self.tenant, contact_id=self.contact_id,
            occurred_at=changed_at, received_at=self.now, change=change,
            contact=snapshot, changed_at=changed_at)
        async with self.db.transaction(self.tenant) as conn:
            await memory.ensure_lead(conn, self.tenant, self.contact_id)
            await memory.upsert_contact(conn, ev, HASHER)
        if self.last_change is None or changed_at > self.last_change:
            self.last_change = changed_at

    def message(self, text: str, channel: str = "sms") -> MessageIngested:
        self.updates += 1
        self.clock[0] += timedelta(seconds=5)
        mid = f"m{self.updates}"
        return MessageIngested(
            event_id=f"e{mid}", tenant_id=self.tenant, contact_id=self.contact_id,
            occurred_at=self.now, received_at=self.now, direction="inbound",
            channel=channel, body=text, message_id=mid, sender="lead",
            from_address=PHONE if channel == "sms" else None)

    def said(self, meaning: str | None) -> None:
        if meaning == "out":  # each request may have its one confirmation, within 5 minutes
            self.truth.opted_out, self.truth.opted_out_at = True, self.now
            self.truth.confirmations = 0
        elif meaning == "in":
            self.truth.opted_out = False

    async def inbound(self, text: str, meaning: str | None, channel: str = "sms") -> None:
        ev = self.message(text, channel)
        async with self.db.transaction(self.tenant) as conn:
            await memory.record_message(conn, ev, ensure_contact=True, hasher=HASHER)
        assert ev.message_id is not None
        self.messages.append(ev.message_id)
        self.said(meaning)

    async def in_flight(self, text: str, meaning: str | None) -> None:
        """Ingestion accepted the message (its mark is recorded); memory has not stored it."""
        ev = self.message(text)
        async with self.db.transaction(self.tenant) as conn:
            await conn.executemany(_MARK, inbound_marks([ev]))
        self.pending.append((ev, meaning))
        self.said(meaning)  # the lead said it: from now on, it counts

    async def arrive(self) -> None:
        """Memory catches up with the messages in flight."""
        for ev, _ in self.pending:
            async with self.db.transaction(self.tenant) as conn:
                await memory.record_message(conn, ev, ensure_contact=True, hasher=HASHER)
            if ev.contact_id == self.contact_id and ev.message_id is not None:
                self.messages.append(ev.message_id)
        self.pending.clear()

    async def draft(self, mid: str, *, rogue: bool) -> ReplyDrafted | None:
        """The responder's decision on its own SQL and guards, or (rogue) a reply drafted as
        if nothing were known: either way only the send-time check stands before GHL."""
        async with self.db.transaction(self.tenant) as conn:
            _, facts = await store.published_or_facts(conn, self.tenant, self.contact_id, mid,
                                                      self.now.date())
            lead = await conn.fetchrow(
                "SELECT c.*, (SELECT occurred_at FROM messages WHERE message_id = $1) AS at"
                " FROM contacts c WHERE contact_id = $2", mid, self.contact_id)
        if facts is None or lead is None or lead["at"] is None:
            return None  # this message has its reply already, or is gone
        state = lead_state(
            ai_enabled=True, reply_channels=frozenset({"sms"}),
            human_takeover=lead["human_takeover"], ledger=facts.consent,
            contact_tz=lead["timezone"], phone=None, state="TX", tenant_tz=None,
            tenant_quiet=None)
        verdict = guards.Verdict("reply", "ok") if rogue else guards.decide(guards.GuardInput(
            channel="sms", consent=state, opt_out_confirmed=facts.opt_out_confirmed,
            wants_human=False, asked_at=lead["at"], answers=mid), self.now)
        mode = {"opt_out_confirmation": "opt_out_confirmation"}.get(verdict.action, "buyer")
        if rogue and self.truth.opted_out and not self.truth.confirmations:
            mode = "opt_out_confirmation"  # a rogue drafter also tries confirmations
        body = opt_out_text("Acme") if mode == "opt_out_confirmation" else f"reply to {mid}"
        status = "suppressed" if verdict.action == "suppress" else "drafted"
        ev = ReplyDrafted(
            event_id=str(uuid.uuid4()), tenant_id=self.tenant, contact_id=self.contact_id,
            occurred_at=self.now, received_at=self.now, idempotency_key=mid,
            reply_to_message_id=mid, channel="sms", body=body, mode=mode,
            send_after=verdict.send_after)
        async with self.db.transaction(self.tenant) as conn:
            await replies.store.claim(conn, Reply(
                tenant_id=self.tenant, idempotency_key=mid, event_id=ev.event_id,
                contact_id=self.contact_id, reply_to_message_id=mid, channel="sms", body=body,
                mode=mode, status=status, send_after=verdict.send_after,
                suppressed_reason=verdict.reason if status == "suppressed" else None,
                created_at=self.now, published=[ev.model_dump(mode="json")]))
        if status != "drafted":
            return None
        self.drafts.append(ev)
        return ev

    async def deliver(self, ev: ReplyDrafted, fault: str | None) -> None:
        """A delivery, redelivery or DLQ replay of `ev`; a failure is what the boundary
        would dead-letter or retry."""
        self.ghl.fault = fault
        before = len(self.ghl.posts)
        record = Record(topic="replies.outbound", partition=0, offset=0,
                        value=ev.model_dump_json().encode(), key=self.tenant.encode())
        with contextlib.suppress(GHLUnavailableError, DeliveryInDoubtError):
            await self.handler(record)
        self.ghl.fault = None
        for post in self.ghl.posts[before:]:
            self.judge(post)

    def judge(self, post: Post) -> None:
        t = self.truth
        local = post.at.astimezone(ZONE)
        what = f"{post.body!r} at {local:%a %H:%M}"
        if t.taken_over:
            self.violations.append(f"after a human took over: {what}")
        if post.body == opt_out_text("Acme"):
            t.confirmations += 1
            if not t.opted_out:
                self.violations.append(f"confirmation without an opt-out: {what}")
            elif t.confirmations > 1:
                self.violations.append(f"a second confirmation: {what}")
            elif t.opted_out_at is None or post.at - t.opted_out_at > timedelta(minutes=5):
                self.violations.append(f"confirmation later than 5 minutes: {what}")
            return
        if t.opted_out:
            self.violations.append(f"after an opt-out: {what}")
        if t.dnd:
            self.violations.append(f"under DND: {what}")
        if not 8 <= local.hour < 21:
            self.violations.append(f"in quiet hours: {what}")


async def play(database_url: str, start: datetime, steps: list[Step]) -> list[str]:
    db = await TenantDatabase.connect(database_url, max_size=2)
    try:
        tenant, clock = new_tenant(), [start]
        ghl = FakeGHL(clock)
        sender = Sender(ghl, StaticTokenProvider({tenant: "tok"}),
                        LocationLimiter(1000, 1.0), max_attempts=2, sleep=no_sleep)
        handler = OutboundHandler(ReplyStore(db), sender, Publisher(),
                                  now=lambda: clock[0])
        async with db.transaction(tenant) as conn:
            await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        world = World(db, tenant, clock, ghl, handler)
        await world.contact(ContactSnapshot(phone=PHONE, timezone=ZONE.key, state="TX"), start,
                            change="create")
        for step in steps:
            await world.step(step)
        return world.violations
    finally:
        await db.close()


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def database_url(migrated: ServiceUrls) -> str:
    return migrated.database_url


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(hour=st.integers(0, 23), world=WORLDS)
def test_no_text_reaches_a_lead_without_consent(
        database_url: str, hour: int, world: tuple[list[Step], int | None]) -> None:
    steps, takeover_at = world
    steps = [("inbound", 0), *steps]  # a lead who wrote: something to answer from the start
    if takeover_at is not None:
        steps = [*steps[:takeover_at], ("takeover",), *steps[takeover_at:]]
    start = datetime(2026, 11, 9, hour, 17, tzinfo=ZONE).astimezone(UTC)
    violations = asyncio.run(play(database_url, start, steps))
    assert not violations, violations


async def test_the_property_has_teeth(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the send-time check switched off, the same world finds the violations: a reply
    drafted before a STOP goes out after it, and one goes out at night."""
    from workers.consent.decision import ConsentDecision
    from workers.outbound import delivery

    monkeypatch.setattr(delivery, "consent",
                        lambda *_a, **_k: ConsentDecision("send", "unchecked"))
    noon = datetime(2026, 11, 9, 12, 0, tzinfo=ZONE).astimezone(UTC)
    steps: list[Step] = [("inbound", 0), ("tick", 600), ("draft", 0, None),  # held at 22:00
                         # after STOP, due at 9:00 in El Paso (a TX lead may be there)
                         ("inbound", 1), ("tick", 720), ("deliver", 0, None),
                         ("inbound", 6), ("tick", 720), ("rogue", 2, None)]  # at 22:00
    violations = await play(database_url, noon, steps)
    assert any("after an opt-out" in v for v in violations), violations
    assert any("in quiet hours" in v for v in violations), violations
