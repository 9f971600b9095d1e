"""`MemoryHandler` (the shell) in memory: the real decoding, ledger loop (`processed.once`)
and core decisions, with the store, the idempotency ledger and the Redis working context
faked behind `MemoryWrites` and `MemoryCache` (`fake_memory`), and the broker behind a
recording publisher. Each case checks which statements ran in which transaction, what was
written through to the cache and published after the commit, and what a redelivery does."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from pydantic import ValidationError

from schemas.envelope import Envelope, derive_event_id
from schemas.events import LeadActivityRecorded, ReplyDelivered
from schemas.topics import CONVERSATION_EVENTS, MEMORY_UPDATED, PIPELINE_DLQ, REPLIES_DELIVERED
from tests.support.events import BASE, contact_changed, contact_deleted, message
from tests.unit.memory.fake_memory import FakeCache, FakeMemory
from tests.unit.runtime.fake_store import JournalPublisher
from tests.unit.runtime.fakes import RecordingSleep, worker_name
from workers.errors import InvalidEventError, RetryableError
from workers.memory.core import CONSUMER
from workers.memory.ports import MemoryCache, MemoryWrites
from workers.memory.store import MessageOutcome
from workers.memory.worker import MemoryHandler
from workers.runtime.boundary import DeadLetterBoundary, RetryPolicy
from workers.runtime.groups import process_batch
from workers.runtime.ports import Scoped
from workers.runtime.record import Record

T, OTHER = "loc-mem", "loc-other"


class Shell:
    def __init__(self) -> None:
        self.store = FakeMemory()
        self.cache = FakeCache(self.store.journal)
        self.publisher = JournalPublisher(self.store.journal)
        db: Scoped[MemoryWrites] = self.store  # mypy checks the fakes against the Protocols
        cache: MemoryCache = self.cache
        self.handler = MemoryHandler(db, cache, self.publisher)

    def published(self) -> list[dict[str, Any]]:
        return self.publisher.events(MEMORY_UPDATED)

    def after_commit(self) -> list[str]:
        """The names of what happened after the last commit."""
        names = self.store.names()
        return names[len(names) - names[::-1].index("commit"):]


@pytest.fixture
def shell() -> Shell:
    return Shell()


def record(event: Envelope, offset: int = 0, *, key: str | None = None) -> Record:
    topic = REPLIES_DELIVERED if isinstance(event, ReplyDelivered) else CONVERSATION_EVENTS
    return Record(topic, 0, offset, event.model_dump_json().encode(),
                  key=(key or event.tenant_id).encode())


def delivered(contact: str, key: str = "r-1") -> ReplyDelivered:
    return ReplyDelivered(event_id=f"ev-{key}", tenant_id=T, contact_id=contact,
                          occurred_at=BASE, received_at=BASE, idempotency_key=key,
                          ghl_message_id=f"g-{key}", channel="sms", body="Still looking?")


def activity(contact: str | None) -> LeadActivityRecorded:
    return LeadActivityRecorded(event_id=f"ev-act-{contact}", tenant_id=T, contact_id=contact,
                                occurred_at=BASE, received_at=BASE, kind="appointment",
                                ghl_type="AppointmentCreate", ref_id="appt-1")


async def test_an_inbound_message_is_written_then_cached_and_published(shell: Shell) -> None:
    ev = message(T, "c1", "Looking for a 3 bed in Austin")
    shell.store.lead(T, "c1", message_count=1)
    await shell.handler(record(ev))
    assert shell.store.journal == [
        ("begin", T), ("processed", T, CONSUMER, (ev.event_id,)),
        ("record_message", T, ev.event_id, True),
        ("timer_event", T, "c1", "inbound"),  # the lead wrote: its timers, in the same tx
        ("record_processed", T, CONSUMER, (ev.event_id,)),
        ("load_leads", T, ("c1",)), ("commit", T), ("cache.write_through", ((T, "c1"),)),
        ("publish", MEMORY_UPDATED),
    ]
    [out] = shell.published()
    assert out["event_id"] == derive_event_id(T, CONSUMER, ev.event_id)
    assert out["causation_id"] == ev.event_id and out["contact_id"] == "c1"
    assert out["changes"] == ["message.inbound"] and out["reply_needed"] is True
    assert out["message_id"] == ev.message_id
    assert shell.store.ledger[(T, CONSUMER, ev.event_id)] == out  # what a redelivery finds
    assert [m.contact_id for m, _ in shell.cache.written] == ["c1"]


async def test_a_redelivery_republishes_the_stored_result_and_repairs_the_cache(
        shell: Shell) -> None:
    ev = message(T, "c1", "hi")
    shell.store.lead(T, "c1")
    await shell.handler(record(ev))
    await shell.handler(record(ev))  # the commit went through, the offset commit did not
    assert len(shell.store.entries("record_message")) == 1  # written once
    assert len(shell.store.entries("record_processed")) == 2  # the second records nothing
    assert shell.store.entries("record_processed")[1][3] == ()
    first, again = shell.published()
    assert first == again
    # the cache is written through again: the crash may have come before the first write
    assert len(shell.store.entries("cache.write_through")) == 2


async def test_a_message_not_stored_records_no_result_and_publishes_nothing(
        shell: Shell) -> None:
    echo = message(T, "c1", "Still looking?", direction="outbound", sender="ai")
    shell.store.outcomes[echo.event_id] = MessageOutcome(False, linked_reply="r-1")
    shell.store.lead(T, "c1")
    await shell.handler(record(echo))
    assert shell.store.ledger == {(T, CONSUMER, echo.event_id): None}
    assert shell.published() == [] and shell.after_commit() == ["cache.write_through"]
    await shell.handler(record(echo))  # redelivered: still nothing to publish
    assert shell.published() == [] and len(shell.store.entries("record_message")) == 1


async def test_a_human_takeover_is_published_and_needs_no_reply(shell: Shell) -> None:
    by_agent = message(T, "c1", "I'll call you", direction="outbound", sender="human")
    shell.store.outcomes[by_agent.event_id] = MessageOutcome(True, takeover=True)
    await shell.handler(record(by_agent))
    [out] = shell.published()
    assert out["changes"] == ["message.outbound", "human_takeover"]
    assert out["human_takeover"] is True and out["reply_needed"] is False
    # Postgres holds no lead: nothing to write through
    assert shell.store.entries("cache.write_through") == [("cache.write_through", ())]


async def test_a_group_runs_each_event_s_statement_in_one_transaction(shell: Shell) -> None:
    msg = message(T, "c1", "hello", i=1)
    changed = contact_changed(T, "c2", tags=["buyer"])
    booked, reply, gone = activity("c1"), delivered("c1"), contact_deleted(T, "c3")
    shell.store.lead(T, "c1")
    shell.store.lead(T, "c2")
    shell.store.contact_changes = ["contact.create", "tags"]
    await shell.handler.handle_group(T, [record(e, i) for i, e in enumerate(
        [msg, changed, booked, reply, gone])])
    assert shell.store.journal[:-7] == [
        ("begin", T),
        ("processed", T, CONSUMER, tuple(e.event_id for e in (msg, changed, booked, reply,
                                                               gone))),
        ("record_message", T, msg.event_id, True), ("timer_event", T, "c1", "inbound"),
        ("ensure_contact", T, "c2"), ("upsert_contact", T, changed.event_id),
        # c1's row came with its message in this transaction: not ensured again
        ("record_activity", T, booked.event_id), ("appointment", T, booked.event_id),
        ("record_delivered", T, reply.event_id), ("follow_up", T, reply.event_id),
        ("forget_contact", T, "c3"),
        ("record_processed", T, CONSUMER, tuple(e.event_id for e in (msg, changed, booked,
                                                                      reply, gone))),
        ("load_leads", T, ("c1", "c2", "c3")), ("commit", T),
    ]
    # after the commit: the deleted lead leaves the cache, the others are written through,
    # then every result is published in the group's order
    assert shell.store.journal[-7:] == [
        ("cache.forget", T, "c3"), ("cache.write_through", ((T, "c1"), (T, "c2"))),
        *[("publish", MEMORY_UPDATED)] * 5,
    ]
    assert [e["changes"] for e in shell.published()] == [
        ["message.inbound"], ["contact.create", "tags"], ["activity.appointment"],
        ["message.outbound"], ["contact.deleted"]]
    assert shell.published()[-1]["deleted"] is True
    assert len(shell.store.entries("begin")) == 1


async def test_a_lead_deleted_and_back_in_the_same_group_stays_cached(shell: Shell) -> None:
    gone, back = contact_deleted(T, "c1"), message(T, "c1", "it's me again")
    shell.store.lead(T, "c1")  # Postgres holds it again after the group
    await shell.handler.handle_group(T, [record(gone, 0), record(back, 1)])
    assert shell.store.entries("cache.forget") == []
    assert shell.store.entries("cache.write_through") == [("cache.write_through", ((T, "c1"),))]
    # its contact row went with the delete: created again with the message
    assert shell.store.entries("record_message") == [("record_message", T, back.event_id, True)]


async def test_a_group_holding_another_tenant_s_event_writes_nothing(shell: Shell) -> None:
    records = [record(message(T, "c1", "mine")),
               record(message(OTHER, "c1", "theirs"), 1, key=T)]
    with pytest.raises(InvalidEventError):
        await shell.handler.handle_group(T, records)
    assert shell.store.journal == [] and shell.publisher.published == []


async def test_events_about_no_lead_touch_nothing(shell: Shell) -> None:
    await shell.handler(record(activity(None)))
    assert shell.store.journal == [] and shell.publisher.published == []


@pytest.mark.parametrize("failing", ["record_message", "load_leads", "commit"])
async def test_a_failed_transaction_publishes_nothing_and_the_retry_writes_again(
        shell: Shell, failing: str) -> None:
    ev = message(T, "c1", "hello")
    shell.store.lead(T, "c1")
    if failing == "commit":
        shell.store.fail_commit.append(RetryableError("postgres unavailable: fake"))
    else:
        shell.store.fail[failing] = RetryableError("postgres unavailable: fake")
    with pytest.raises(RetryableError):
        await shell.handler(record(ev))
    assert shell.store.names()[-1] == "rollback" and shell.store.ledger == {}
    assert shell.publisher.published == [] and shell.cache.written == []
    shell.store.fail.clear()
    await shell.handler(record(ev))
    assert len(shell.published()) == 1
    assert len(shell.store.entries("record_message")) == 2


async def test_no_tenant_is_created_only_a_lead_s_contact_row(shell: Shell) -> None:
    await shell.handler(record(message(T, "c1", "one")))
    await shell.handler(record(delivered("c2")))
    assert shell.store.entries("ensure_contact") == [("ensure_contact", T, "c2")]
    assert "ensure_tenant" not in shell.store.names()


async def test_an_event_of_a_location_that_is_no_tenant_is_a_permanent_error(
        shell: Shell) -> None:
    """Ingestion admits only tenants; should an event of another location come anyway,
    its rows cannot reference a tenant: dead-lettered at once, nothing created."""
    shell.store.fail["record_message"] = asyncpg.ForeignKeyViolationError(
        'insert or update on table "messages" violates foreign key constraint')
    with pytest.raises(InvalidEventError, match="no tenant"):
        await shell.handler(record(message(T, "c1", "hello")))
    assert shell.store.names()[-1] == "rollback" and shell.publisher.published == []


async def test_leads_left_dirty_by_a_failed_cache_write_are_healed_first(
        shell: Shell) -> None:
    shell.store.lead(T, "c1")
    shell.cache.down = True
    await shell.handler(record(message(T, "c1", "one")))
    assert shell.cache.dirty == 1 and len(shell.published()) == 1  # Postgres stays the truth
    shell.cache.down = False
    await shell.handler(record(message(T, "c1", "two")))
    assert shell.after_commit() == ["cache.heal", "cache.write_through", "publish"]
    assert shell.cache.dirty == 0
    await shell.handler(record(message(T, "c1", "three")))
    assert shell.after_commit() == ["cache.write_through", "publish"]  # nothing to heal


async def test_a_record_that_is_no_event_is_dead_lettered_alone(shell: Shell) -> None:
    """The runtime's path: the group fails on the bad record; each record then goes through
    the dead-letter boundary, the good ones written and published once."""
    one, three = message(T, "c1", "one"), message(T, "c1", "three")
    bad = Record(CONVERSATION_EVENTS, 0, 1, json.dumps({"type": "message.ingested"}).encode(),
                 key=T.encode())
    records = [record(one, 0), bad, record(three, 2)]
    with pytest.raises(ValidationError):
        await shell.handler(bad)
    boundary = DeadLetterBoundary(worker_name(), shell.publisher, RetryPolicy(max_attempts=2),
                                  sleep=RecordingSleep())
    await process_batch("memory", records, shell.handler, boundary)
    assert [p.topic for p in shell.publisher.published] == [
        MEMORY_UPDATED, PIPELINE_DLQ, MEMORY_UPDATED]
    assert shell.publisher.on(PIPELINE_DLQ) == [bad.value]
    assert [e["causation_id"] for e in shell.published()] == [one.event_id, three.event_id]
