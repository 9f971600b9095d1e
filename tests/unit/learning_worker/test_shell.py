"""`LearningHandler` (the shell) in memory: the real extraction, assessment and ledger loop,
with the reads, the facts and profile rows and the ledger faked behind `LearningStatements`,
the cache behind `ProfileCache`, Claude behind a scripted `Refine` (`fake_learning`), and the
broker behind a recording publisher. Each case checks what was read and written in which
transaction, what was cached and published after the commit, and what a redelivery does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.envelope import derive_event_id
from schemas.events import MemoryUpdated, ProfileUpdated
from schemas.topics import LEAD_PROFILE_UPDATED, MEMORY_UPDATED, PIPELINE_DLQ
from tests.unit.learning_worker.fake_learning import FakeLearning, FakeProfileCache, ScriptedClaude
from tests.unit.runtime.fake_store import JournalPublisher
from tests.unit.runtime.fakes import RecordingSleep, worker_name
from workers.errors import InvalidEventError, RetryableError
from workers.learning import claude_extract
from workers.learning.ports import LearningStatements, ProfileCache
from workers.learning.worker import CONSUMER, LearningHandler, Refine
from workers.runtime.boundary import DeadLetterBoundary, RetryPolicy
from workers.runtime.groups import process_batch
from workers.runtime.ports import Scoped
from workers.runtime.record import Record
from workers.tenants import TenantSettings

T, OTHER = "loc-learn", "loc-other"
AT = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


class Shell:
    def __init__(self, claude_adds: dict[str, Any] | None = None) -> None:
        self.store = FakeLearning()
        self.cache = FakeProfileCache(self.store.journal)
        self.publisher = JournalPublisher(self.store.journal)
        self.claude = ScriptedClaude(self.store.journal, claude_adds or {})
        db: Scoped[LearningStatements] = self.store  # mypy checks the fakes' Protocols
        cache: ProfileCache = self.cache
        refine: Refine | None = self.claude if claude_adds is not None else None
        self.handler = LearningHandler(db, cache, self.publisher, refine)

    def published(self) -> list[dict[str, Any]]:
        return self.publisher.events(LEAD_PROFILE_UPDATED)


@pytest.fixture
def shell() -> Shell:
    return Shell()


def updated(contact: str, message_id: str | None, *, n: int = 1, tenant: str = T,
            reply_needed: bool = True, changes: list[str] | None = None,
            deleted: bool = False) -> MemoryUpdated:
    return MemoryUpdated(
        event_id=f"mu-{contact}-{n}", tenant_id=tenant, contact_id=contact,
        occurred_at=AT + timedelta(minutes=n), received_at=AT + timedelta(minutes=n),
        changes=changes if changes is not None else ["message.inbound"],
        message_id=message_id, channel="sms", reply_needed=reply_needed, deleted=deleted)


def record(ev: MemoryUpdated, offset: int = 0, key: str | None = None) -> Record:
    return Record(MEMORY_UPDATED, 0, offset, ev.model_dump_json().encode(),
                  key=(key or ev.tenant_id).encode())


def said(shell: Shell, contact: str, body: str, n: int = 1) -> MemoryUpdated:
    """The lead said `body` (stored by memory) and memory published that it did."""
    mid = shell.store.say(T, contact, body, AT + timedelta(minutes=n), message_id=f"m-{n}")
    return updated(contact, mid, n=n)


async def test_a_lead_message_is_learned_written_cached_and_published(shell: Shell) -> None:
    ev = said(shell, "c1", "We need 3 bedrooms")
    await shell.handler(record(ev))
    assert shell.store.journal == [
        ("begin", T), ("processed", T, CONSUMER, (ev.event_id,)), ("messages", T, "c1"),
        ("settings", T), ("facts", T, "c1"), ("stated", T, "c1"),
        ("write_versions", T, "c1", ("bedrooms_min",), ev.event_id,
         {"bedrooms_min": claude_extract.DETERMINISTIC_CONFIDENCE}),
        ("save_profile", T, "c1"), ("record_processed", T, CONSUMER, (ev.event_id,)),
        ("commit", T), ("cache.put_many", (("c1", 1),)), ("publish", LEAD_PROFILE_UPDATED),
    ]
    [out] = shell.published()
    assert out["event_id"] == derive_event_id(T, CONSUMER, ev.event_id)
    assert out["changed"] == {"bedrooms_min": 3} and out["profile"]["bedrooms_min"] == 3
    assert out["message_id"] == "m-1" and out["reply_needed"] is True
    assert shell.store.ledger[(T, CONSUMER, ev.event_id)] == out
    assert shell.cache.parts[0].profile["bedrooms_min"] == 3


@pytest.mark.parametrize("ev", [
    updated("c1", "m-1", reply_needed=False, changes=["message.outbound"]),
    updated("c1", None, reply_needed=False, changes=["contact.update", "tags"]),
    updated("c1", None, reply_needed=False, changes=["contact.deleted"], deleted=True),
])
async def test_what_no_lead_words_changed_is_not_read_at_all(shell: Shell,
                                                             ev: MemoryUpdated) -> None:
    await shell.handler(record(ev))
    assert shell.store.journal == [] and shell.publisher.published == []


async def test_an_activity_is_learned_from_without_a_reply(shell: Shell) -> None:
    shell.store.say(T, "c1", "We need 3 bedrooms", AT)
    ev = updated("c1", None, reply_needed=False, changes=["activity.appointment"])
    await shell.handler(record(ev))
    [out] = shell.published()  # a fact changed: said, though no reply is wanted
    assert out["reply_needed"] is False and out["changed"] == {"bedrooms_min": 3}


async def test_a_redelivery_republishes_the_stored_result_and_caches_the_stored_profile(
        shell: Shell) -> None:
    ev = said(shell, "c1", "We need 3 bedrooms")
    await shell.handler(record(ev))
    del shell.store.journal[:]
    await shell.handler(record(ev))  # the commit went through, the offset commit did not
    assert shell.store.journal == [
        ("begin", T), ("processed", T, CONSUMER, (ev.event_id,)),
        ("record_processed", T, CONSUMER, ()), ("load_profile", T, "c1"), ("commit", T),
        ("cache.put_many", (("c1", 1),)), ("publish", LEAD_PROFILE_UPDATED),
    ]
    first, again = shell.published()
    assert first == again


async def test_nothing_said_yet_records_no_result(shell: Shell) -> None:
    ev = updated("c1", "m-9")  # memory published it; no message row (forgotten since)
    await shell.handler(record(ev))
    assert shell.store.ledger == {(T, CONSUMER, ev.event_id): None}
    assert shell.store.entries("save_profile") == [] and shell.published() == []
    assert shell.store.entries("cache.put_many") == [("cache.put_many", ())]


async def test_facts_unchanged_write_no_versions(shell: Shell) -> None:
    await shell.handler(record(said(shell, "c1", "We need 3 bedrooms", 1)))
    await shell.handler(record(said(shell, "c1", "Thanks!", 2)))
    assert len(shell.store.entries("write_versions")) == 1
    assert len(shell.store.entries("save_profile")) == 2  # the row's version moves on
    second = shell.published()[1]
    assert second["changed"] == {} and second["reply_needed"] is True
    assert shell.cache.parts[-1].version == 2


async def test_a_group_is_learned_in_one_transaction_and_caches_each_lead_once(
        shell: Shell) -> None:
    a1 = said(shell, "c1", "We need 3 bedrooms", 1)
    b1 = said(shell, "c2", "Looking to buy in Austin", 2)
    a2 = said(shell, "c1", "Actually 4 bedrooms", 3)
    await shell.handler.handle_group(T, [record(e, i) for i, e in enumerate([a1, b1, a2])])
    assert len(shell.store.entries("begin")) == 1
    # each event asks for its lead's rows (`store.Reads` answers a repeat from its cache)
    assert shell.store.entries("messages") == [("messages", T, "c1"), ("messages", T, "c2"),
                                                ("messages", T, "c1")]
    assert [e["causation_id"] for e in shell.published()] == [
        a1.event_id, b1.event_id, a2.event_id]
    assert shell.published()[2]["changed"] == {"bedrooms_min": 4}
    # after the commit, each lead's newest profile only
    assert shell.store.entries("cache.put_many") == [("cache.put_many", (("c1", 2),
                                                                           ("c2", 1)))]


async def test_a_group_holding_another_tenant_s_event_reads_nothing(shell: Shell) -> None:
    records = [record(said(shell, "c1", "hi")),
               record(updated("c1", "m-1", tenant=OTHER), 1, key=T)]
    with pytest.raises(InvalidEventError):
        await shell.handler.handle_group(T, records)
    assert shell.store.journal == []


@pytest.mark.parametrize("failing", ["save_profile", "write_versions", "commit"])
async def test_a_failed_transaction_caches_and_publishes_nothing(shell: Shell,
                                                                 failing: str) -> None:
    ev = said(shell, "c1", "We need 3 bedrooms")
    if failing == "commit":
        shell.store.fail_commit.append(RetryableError("postgres unavailable: fake"))
    else:
        shell.store.fail[failing] = RetryableError("postgres unavailable: fake")
    with pytest.raises(RetryableError):
        await shell.handler(record(ev))
    assert shell.store.names()[-1] == "rollback"
    assert shell.store.ledger == {} and shell.store.current == {}
    assert shell.cache.parts == [] and shell.publisher.published == []
    shell.store.fail.clear()
    await shell.handler(record(ev))  # the retry learns it afresh
    assert shell.published()[0]["changed"] == {"bedrooms_min": 3}


async def test_claude_is_asked_between_two_transactions_and_once() -> None:
    shell = Shell(claude_adds={"timeline": "3_6_months"})
    areas = TenantSettings(tenant_id=T, known=True, claude_model="claude-x")
    shell.store.settings_of[T] = areas
    ev = said(shell, "c1", "We need 3 bedrooms")
    await shell.handler(record(ev))
    assert shell.store.names() == [
        "begin", "processed", "messages", "settings", "commit",  # read only
        "refine",  # outside any transaction
        "begin", "processed", "facts", "stated", "write_versions", "save_profile",
        "record_processed", "commit", "cache.put_many", "publish",
    ]
    assert shell.claude.calls == [(T, areas, 1)]  # with the tenant's settings
    [write] = shell.store.entries("write_versions")
    assert write[3] == ("bedrooms_min", "timeline")
    assert write[5] == {"bedrooms_min": claude_extract.DETERMINISTIC_CONFIDENCE,
                        "timeline": claude_extract.CLAUDE_CONFIDENCE}
    assert shell.published()[0]["profile"]["timeline"] == "3_6_months"
    await shell.handler(record(ev))  # redelivered: the stored result, Claude not asked
    assert len(shell.claude.calls) == 1 and len(shell.published()) == 2


async def test_an_event_processed_while_claude_was_asked_is_not_written_twice() -> None:
    shell = Shell(claude_adds={"timeline": "3_6_months"})
    ev = said(shell, "c1", "We need 3 bedrooms")
    theirs = ProfileUpdated(  # what another consumer of the group stored meanwhile
        event_id=derive_event_id(T, CONSUMER, ev.event_id), tenant_id=T, contact_id="c1",
        occurred_at=ev.occurred_at, received_at=ev.received_at, causation_id=ev.event_id,
        profile={"bedrooms_min": 3}, message_id=ev.message_id, reply_needed=True,
    ).model_dump(mode="json")
    shell.claude.during.append(
        lambda: shell.store.ledger.__setitem__((T, CONSUMER, ev.event_id), theirs))
    await shell.handler(record(ev))
    assert shell.store.entries("write_versions") == [] == shell.store.entries("save_profile")
    assert shell.store.entries("record_processed") == [("record_processed", T, CONSUMER, ())]
    assert shell.published() == [theirs]  # its result, re-published, never a second one


async def test_a_record_that_is_no_event_is_dead_lettered_alone(shell: Shell) -> None:
    one, three = said(shell, "c1", "We need 3 bedrooms", 1), said(shell, "c2", "4 beds", 2)
    bad = Record(MEMORY_UPDATED, 0, 1, json.dumps({"type": "memory.updated"}).encode(),
                 key=T.encode())
    with pytest.raises(ValidationError):
        await shell.handler(bad)
    boundary = DeadLetterBoundary(worker_name(), shell.publisher, RetryPolicy(max_attempts=2),
                                  sleep=RecordingSleep())
    await process_batch("learning", [record(one, 0), bad, record(three, 2)], shell.handler,
                        boundary)
    assert [p.topic for p in shell.publisher.published] == [
        LEAD_PROFILE_UPDATED, PIPELINE_DLQ, LEAD_PROFILE_UPDATED]
    assert shell.publisher.on(PIPELINE_DLQ) == [bad.value]
