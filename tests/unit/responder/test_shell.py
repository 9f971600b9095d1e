"""`ResponderHandler` (the shell) in memory: the real guards, plan, draft rows and reply check,
with the reads and the claim faked behind `ResponderStatements`, the lead's context behind
`ContextReader`, Claude behind `Compose` (`fake_responder`), and the broker behind a
recording publisher. Each case checks what was read, whether Claude was asked, what row was
claimed and what was published (or re-published), alone and in a tenant group."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.context import ContactInfo, ContextMessage, LeadContext, MemoryPart, ProfilePart
from schemas.envelope import derive_event_id
from schemas.events import ProfileUpdated
from schemas.topics import AGENT_ASSIST, LEAD_PROFILE_UPDATED, PIPELINE_DLQ, REPLIES_OUTBOUND
from tests.unit.responder.fake_responder import FakeComposer, FakeContexts, FakeResponder
from tests.unit.runtime.fake_store import JournalPublisher
from tests.unit.runtime.fakes import RecordingSleep, worker_name
from workers.errors import InvalidEventError, RetryableError
from workers.responder.draft import CONSUMER
from workers.responder.ports import Compose, ContextReader, ResponderStatements
from workers.responder.store import LeadFacts
from workers.responder.tenant import TenantProfile
from workers.responder.worker import ResponderHandler
from workers.runtime.boundary import DeadLetterBoundary, RetryPolicy
from workers.runtime.groups import process_batch
from workers.runtime.ports import Scoped
from workers.runtime.record import Record

T, OTHER = "loc-resp", "loc-other"
NOW = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)  # a Tuesday, 12:00 in Chicago
ASKED = NOW - timedelta(minutes=1)
FACTS = LeadFacts(tenant=TenantProfile(T, name="Lone Star Realty"))


class Shell:
    def __init__(self, facts: LeadFacts = FACTS, concurrency: int = 1,
                 outcome: str = "ok") -> None:
        self.store = FakeResponder(facts)
        self.contexts = FakeContexts(self.store.journal)
        self.composer = FakeComposer(self.store.journal, outcome=outcome)
        self.publisher = JournalPublisher(self.store.journal)
        db: Scoped[ResponderStatements] = self.store  # mypy checks the fakes' Protocols
        contexts: ContextReader = self.contexts
        composer: Compose = self.composer
        self.handler = ResponderHandler(db, contexts, self.publisher, composer,
                                        now=lambda: NOW, concurrency=concurrency)

    def lead(self, contact: str, *said: str, **memory: Any) -> None:
        """The lead's context as memory cached it: its messages m-<contact>-1, -2, ..."""
        recent = [ContextMessage(direction="inbound", sender="lead", channel="sms", body=b,
                                 at=ASKED - timedelta(minutes=len(said) - i),
                                 message_id=f"m-{contact}-{i + 1}") for i, b in enumerate(said)]
        info = ContactInfo(first_name="Ana", name="Ana Ruiz", timezone="America/Chicago",
                           state="TX")
        self.contexts.held[(T, contact)] = LeadContext(
            memory=MemoryPart(tenant_id=T, contact_id=contact, contact=info, recent=recent,
                              **memory),
            profile=ProfilePart(tenant_id=T, contact_id=contact))

    def published(self, topic: str | None = None) -> list[dict[str, Any]]:
        return self.publisher.events(topic)


@pytest.fixture
def shell() -> Shell:
    return Shell()


def updated(contact: str = "c1", n: int = 1, *, tenant: str = T, reply_needed: bool = True,
            score: str = "warm") -> ProfileUpdated:
    return ProfileUpdated(
        event_id=f"pu-{contact}-{n}", tenant_id=tenant, contact_id=contact,
        occurred_at=ASKED, received_at=ASKED - timedelta(seconds=2),
        profile={"intent": "buy", "bedrooms_min": 3}, score=score,
        next_questions=["When are you hoping to move?"], message_id=f"m-{contact}-{n}",
        channel="sms", reply_needed=reply_needed)


def record(ev: ProfileUpdated, offset: int = 0, key: str | None = None) -> Record:
    return Record(LEAD_PROFILE_UPDATED, 0, offset, ev.model_dump_json().encode(),
                  key=(key or ev.tenant_id).encode())


async def test_a_reply_is_drafted_outside_any_transaction_claimed_and_published(
        shell: Shell) -> None:
    shell.lead("c1", "looking for 3 beds in Round Rock")
    await shell.handler(record(updated()))
    assert shell.store.names() == [
        "begin", "published_or_facts", "commit", "get_context", "compose",
        "begin", "contacts_named", "commit",  # the reply check's lookup of Claude's words
        "begin", "claim", "commit", "publish"]
    assert shell.store.entries("published_or_facts") == [
        ("published_or_facts", T, "c1", "m-c1-1", NOW.date())]
    # the listings and sales are read for the event's profile, in that one read
    assert shell.store.profiles == [{"intent": "buy", "bedrooms_min": 3}]
    assert shell.store.entries("get_context") == [("get_context", T, "c1", "m-c1-1")]
    [out] = shell.published(REPLIES_OUTBOUND)
    assert out["type"] == "reply.drafted" and out["body"] == shell.composer.text
    assert out["idempotency_key"] == "m-c1-1" and out["causation_id"] == "pu-c1-1"
    assert out["event_id"] == derive_event_id(T, CONSUMER, "m-c1-1")
    row = shell.store.rows[(T, "m-c1-1")]
    assert row.status == "drafted" and row.published == [out]
    assert row.claude_outcome == "ok" and row.model == "claude-test"


@pytest.mark.parametrize("ev", [updated(reply_needed=False),
                                updated().model_copy(update={"contact_id": None})])
async def test_no_reply_wanted_touches_nothing(shell: Shell, ev: ProfileUpdated) -> None:
    await shell.handler(record(ev))
    assert shell.store.journal == []


async def test_an_answered_message_republishes_what_its_claim_published(
        shell: Shell) -> None:
    shell.lead("c1", "looking for 3 beds")
    await shell.handler(record(updated()))
    first = shell.published()
    del shell.store.journal[:]
    await shell.handler(record(updated()))  # redelivered, or a second profile update
    assert shell.store.names() == ["begin", "published_or_facts", "commit", "publish"]
    assert shell.published() == first * 2  # no context read, no Claude, no second claim


@pytest.mark.parametrize("unknown", ["lead", "tenant"])
async def test_a_forgotten_lead_or_an_unknown_tenant_gets_nothing(unknown: str) -> None:
    shell = Shell(LeadFacts(tenant=TenantProfile(T), tenant_known=unknown == "lead"))
    if unknown == "tenant":
        shell.lead("c1", "hello")
    await shell.handler(record(updated()))
    assert shell.store.names() == ["begin", "published_or_facts", "commit", "get_context"]
    assert shell.publisher.published == [] and shell.store.rows == {}


async def test_a_suppressed_reply_is_claimed_silent_and_stays_silent() -> None:
    shell = Shell(LeadFacts(tenant=TenantProfile(T, ai_enabled=False)))
    shell.lead("c1", "looking for 3 beds")
    await shell.handler(record(updated()))
    assert "compose" not in shell.store.names()  # Claude is not asked
    row = shell.store.rows[(T, "m-c1-1")]
    assert row.status == "suppressed" and row.suppressed_reason == "ai_disabled"
    assert row.published == [] and shell.publisher.published == []
    await shell.handler(record(updated()))  # redelivered: the recorded silence stands
    assert shell.store.names()[-3:] == ["begin", "published_or_facts", "commit"]
    assert len(shell.store.entries("claim")) == 1 and shell.publisher.published == []


async def test_a_claude_draft_naming_another_contact_is_held(shell: Shell) -> None:
    shell.lead("c1", "looking for 3 beds")
    shell.store.contacts = ["Maria Lopez"]
    shell.composer.text = "Maria Lopez just bought nearby! When are you hoping to move?"
    await shell.handler(record(updated()))
    assert shell.store.names() == [
        "begin", "published_or_facts", "commit", "get_context", "compose",
        "begin", "contacts_named", "commit", "begin", "claim", "commit", "publish"]
    row = shell.store.rows[(T, "m-c1-1")]
    assert row.status == "suppressed" and row.suppressed_reason == "reply_check:other_contact"
    assert shell.published(REPLIES_OUTBOUND) == []
    [held] = shell.published(AGENT_ASSIST)
    assert held["reason"] == "reply_held" and "Maria Lopez" in held["note"]


async def test_the_fallback_s_own_text_is_not_checked() -> None:
    shell = Shell(outcome="not_configured")
    shell.lead("c1", "looking for 3 beds")
    shell.store.contacts = ["Maria Lopez"]
    shell.composer.text = "Maria Lopez? When are you hoping to move?"
    await shell.handler(record(updated()))
    assert "contacts_named" not in shell.store.names()
    assert shell.store.rows[(T, "m-c1-1")].claude_outcome == "not_configured"
    assert len(shell.published(REPLIES_OUTBOUND)) == 1


async def test_a_hot_lead_s_agent_gets_coaching_with_the_reply(shell: Shell) -> None:
    shell.lead("c1", "cash buyer, can close in 2 weeks")
    await shell.handler(record(updated(score="hot")))
    assert [p.topic for p in shell.publisher.published] == [REPLIES_OUTBOUND, AGENT_ASSIST]
    assert shell.published(AGENT_ASSIST)[0]["reason"] == "coaching"


async def test_a_message_claimed_meanwhile_publishes_the_first_claim_s_events(
        shell: Shell) -> None:
    shell.lead("c1", "looking for 3 beds")
    theirs = updated()  # another drafter of the same message claims first, while we draft
    other = Shell()
    other.lead("c1", "looking for 3 beds")
    other.composer.text = "Theirs: when are you hoping to move?"
    await other.handler(record(theirs))
    shell.composer.before.append(lambda: shell.store.rows.update(other.store.rows))
    await shell.handler(record(updated()))
    assert [e["body"] for e in shell.published()] == ["Theirs: when are you hoping to move?"]
    assert shell.store.rows[(T, "m-c1-1")].body.startswith("Theirs")


async def test_a_group_drafts_leads_concurrently_and_publishes_in_batch_order() -> None:
    shell = Shell(concurrency=2)
    shell.lead("c1", "first", "second")
    shell.lead("c2", "hello")
    for contact, text in (("c1", "Reply to c1"), ("c2", "Reply to c2")):
        shell.composer.texts[contact] = text
    events = [updated("c1", 1), updated("c2", 1), updated("c1", 2)]
    await shell.handler.handle_group(T, [record(e, i) for i, e in enumerate(events)])
    assert shell.composer.most_in_flight == 2  # c1's and c2's Claude calls overlapped
    # each lead's messages in order: c1's first, followed by its second, is claimed silent
    assert [e[2:] for e in shell.store.entries("claim") if e[2].startswith("m-c1")] == [
        ("m-c1-1", "suppressed"), ("m-c1-2", "drafted")]
    assert shell.store.rows[(T, "m-c1-1")].suppressed_reason == "superseded"
    # every record's events published after all, in batch order
    assert shell.store.names()[-2:] == ["publish", "publish"]
    assert [(e["idempotency_key"], e["body"]) for e in shell.published()] == [
        ("m-c2-1", "Reply to c2"), ("m-c1-2", "Reply to c1")]


async def test_one_lead_at_a_time_without_concurrency() -> None:
    shell = Shell(concurrency=1)
    shell.lead("c1", "hello")
    shell.lead("c2", "hello")
    await shell.handler.handle_group(T, [record(updated("c1")), record(updated("c2"), 1)])
    assert shell.composer.most_in_flight == 1 and len(shell.published()) == 2


async def test_a_failed_lead_fails_the_group_unpublished_and_the_retry_republishes() -> None:
    shell = Shell(concurrency=2)
    shell.lead("c1", "hello")
    shell.lead("c2", "hello")
    shell.composer.fail["c2"] = RetryableError("claude unavailable: fake")
    records = [record(updated("c1")), record(updated("c2"), 1)]
    with pytest.raises(BaseExceptionGroup):
        await shell.handler.handle_group(T, records)
    assert shell.publisher.published == []  # c1's claim may have committed: not published
    claimed = set(shell.store.rows)
    shell.composer.fail.clear()
    for rec in records:  # what the runtime does next: record by record
        await shell.handler(rec)
    assert [e["idempotency_key"] for e in shell.published()] == ["m-c1-1", "m-c2-1"]
    assert len(shell.store.entries("claim")) == len(claimed) + 1  # c1 not drafted again
    assert len(shell.store.entries("compose")) == 3


async def test_a_group_holding_another_tenant_s_event_reads_nothing(shell: Shell) -> None:
    records = [record(updated("c1")), record(updated("c2", tenant=OTHER), 1, key=T)]
    with pytest.raises(InvalidEventError):
        await shell.handler.handle_group(T, records)
    assert shell.store.journal == []


async def test_a_record_that_is_no_event_is_dead_lettered_alone(shell: Shell) -> None:
    shell.lead("c1", "hello")
    shell.lead("c2", "hello")
    bad = Record(LEAD_PROFILE_UPDATED, 0, 1,
                 json.dumps({"type": "lead.profile.updated"}).encode(), key=T.encode())
    with pytest.raises(ValidationError):
        await shell.handler(bad)
    boundary = DeadLetterBoundary(worker_name(), shell.publisher, RetryPolicy(max_attempts=2),
                                  sleep=RecordingSleep())
    await process_batch("responder", [record(updated("c1")), bad, record(updated("c2"), 2)],
                        shell.handler, boundary)
    assert [p.topic for p in shell.publisher.published] == [
        REPLIES_OUTBOUND, PIPELINE_DLQ, REPLIES_OUTBOUND]
    assert shell.publisher.on(PIPELINE_DLQ) == [bad.value]
