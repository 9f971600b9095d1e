"""`IngestionHandler` (the shell) in memory: the real decoding, verification, normalising and
outcome per claim, with `webhook_receipts` faked behind `Receipts` (`fake_receipts`) and the
broker behind a recording publisher. Each case checks what was claimed and marked, in which
transaction, and what was published after the commit (or dead-lettered)."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.demo.ghl_events import contact_event, inbound_message, outbound_message
from schemas.topics import CONVERSATION_EVENTS, GHL_EVENTS, PIPELINE_DLQ
from tests.unit.ingestion.fake_receipts import FakeReceipts
from tests.unit.runtime.fake_store import JournalPublisher
from tests.unit.runtime.fakes import RecordingSleep, worker_name
from workers.errors import (
    InvalidEventError,
    RetryableError,
    SignatureMismatchError,
    StaleEventError,
)
from workers.ingestion.ports import Receipts
from workers.ingestion.signatures import ED25519_HEADER, SignatureVerifier
from workers.ingestion.worker import REPLAY_SOURCE, IngestionHandler
from workers.runtime.boundary import PERMANENT_ERRORS, DeadLetterBoundary, RetryPolicy
from workers.runtime.groups import process_batch
from workers.runtime.ports import Scoped
from workers.runtime.record import Record
from workers.settings import Settings

TENANT, OTHER = "loc-a", "loc-b"
KEY = Ed25519PrivateKey.generate()


class Shell:
    def __init__(self, verifier: SignatureVerifier | None = None) -> None:
        self.store = FakeReceipts()
        self.store.add(TENANT, OTHER)  # added by an operator: live
        self.publisher = JournalPublisher(self.store.journal)
        db: Scoped[Receipts] = self.store  # mypy checks the fake against the Protocol
        self.handler = IngestionHandler(db, self.publisher, Settings(),
                                        verifier or SignatureVerifier(KEY.public_key()))

    def published(self) -> list[dict[str, Any]]:
        return self.publisher.events(CONVERSATION_EVENTS)


@pytest.fixture
def shell() -> Shell:
    return Shell()


def record(body: dict[str, Any], offset: int = 0, *, key: str | None = TENANT,
           partition: int = 0, headers: dict[str, str] | None = None,
           raw: bytes | None = None) -> Record:
    """A `ghl.events` record as the receiver writes it: keyed by tenant, stamped now, signed
    with `KEY` unless `headers` are given."""
    value = raw if raw is not None else json.dumps(body).encode()
    if headers is None:
        headers = {ED25519_HEADER: base64.b64encode(KEY.sign(value)).decode()}
    return Record(GHL_EVENTS, partition, offset, value, key=key.encode() if key else None,
                  headers=dict(headers), timestamp_ms=int(time.time() * 1000))


def message(text: str, *, contact: str = "c1", tenant: str = TENANT,
            webhook_id: str | None = None) -> dict[str, Any]:
    return inbound_message(tenant, contact, text, webhook_id=webhook_id)


async def test_a_delivery_is_claimed_marked_and_published_after_the_commit(
        shell: Shell) -> None:
    body = message("hi there", webhook_id="wh-1")
    await shell.handler(record(body, 5))
    event = shell.published()[0]
    assert shell.store.journal == [
        ("begin", TENANT), ("tenant_status", TENANT), ("claim", TENANT, ("wh:wh-1",)),
        ("mark", (("c1", event["event_id"]),)), ("commit", TENANT),
        ("publish", CONVERSATION_EVENTS),
    ]
    assert shell.store.claims == {(TENANT, "wh:wh-1"): (0, 5)}
    assert event["type"] == "message.ingested" and event["tenant_id"] == TENANT
    assert event["contact_id"] == "c1" and event["body"] == "hi there"
    assert shell.publisher.published[0].key == TENANT.encode()
    [mark] = shell.store.marks
    assert mark[:4] == (TENANT, "c1", event["event_id"], body["messageId"])


async def test_the_tenant_s_status_is_read_once_and_only_lead_messages_are_marked(
        shell: Shell) -> None:
    await shell.handler(record(message("one"), 0))
    await shell.handler(record(outbound_message(TENANT, "c1", "agent here"), 1))
    await shell.handler(record(contact_event(TENANT, "c1"), 2))
    assert len(shell.store.entries("tenant_status")) == 1
    assert len(shell.store.entries("mark")) == 1  # neither our side's message nor a contact
    assert [e["type"] for e in shell.published()] == [
        "message.ingested", "message.ingested", "contact.changed"]


async def test_a_redelivered_record_publishes_its_own_claim_again_without_a_mark(
        shell: Shell) -> None:
    delivery = record(message("hello", webhook_id="wh-1"), 9)
    await shell.handler(delivery)
    await shell.handler(delivery)  # the commit went through, the offset commit did not
    first, again = shell.published()
    assert first == again  # the same event (same id): consumers skip it as processed
    assert len(shell.store.entries("claim")) == 2 and len(shell.store.entries("mark")) == 1
    assert shell.store.claims == {(TENANT, "wh:wh-1"): (0, 9)}


async def test_another_delivery_of_the_same_webhook_is_a_duplicate(shell: Shell) -> None:
    body = message("hello", webhook_id="wh-1")
    await shell.handler(record(body, 1))
    await shell.handler(record(body, 2))  # GHL's retry: another record, the same webhookId
    await shell.handler(record(body, 7, partition=2))
    assert len(shell.published()) == 1
    assert shell.store.names()[-3:] == ["begin", "claim", "commit"]  # nothing published


async def test_a_delivery_without_webhook_id_is_deduplicated_by_its_bytes(
        shell: Shell) -> None:
    body = message("hello")
    del body["webhookId"]
    await shell.handler(record(body, 1))
    await shell.handler(record(body, 2))
    [(_, _, keys)] = shell.store.entries("claim")[:1]
    assert keys[0].startswith("sha256:") and len(shell.published()) == 1


async def test_a_replayed_dead_letter_claims_as_its_original(shell: Shell) -> None:
    body = message("hello", webhook_id="wh-1")
    await shell.handler(record(body, 40, partition=1))
    # `leadmem dlq replay` put it back on ghl.events at another offset, naming the original
    signature = record(body).headers  # a replay keeps the original's headers
    replayed = record(body, 900, headers={**signature, REPLAY_SOURCE: f"{GHL_EVENTS}:1:40"})
    await shell.handler(replayed)
    assert len(shell.published()) == 2  # the original's claim: republished, not a duplicate
    other = record(body, 901, headers={**signature, REPLAY_SOURCE: f"{GHL_EVENTS}:1:41"})
    await shell.handler(other)
    assert len(shell.published()) == 2  # another position: a duplicate


async def test_a_group_is_claimed_in_one_transaction_and_published_in_batch_order(
        shell: Shell) -> None:
    early = datetime.now(UTC) - timedelta(minutes=1)
    first = inbound_message(TENANT, "c1", "first", webhook_id="wh-1", when=early)
    records = [
        record(first, 1),
        record(message("other lead", contact="c2", webhook_id="wh-2"), 2),
        record(first, 3),  # the same webhook again in the batch: a duplicate
        record(message("second", webhook_id="wh-3"), 4),
    ]
    await shell.handler.handle_group(TENANT, records)
    assert shell.store.names() == ["begin", "tenant_status", "claim", "mark", "commit",
                                   "publish", "publish", "publish"]
    assert shell.store.entries("claim") == [
        ("claim", TENANT, ("wh:wh-1", "wh:wh-2", "wh:wh-1", "wh:wh-3"))]
    assert [e["body"] for e in shell.published()] == ["first", "other lead", "second"]
    by_id = {e["body"]: e["event_id"] for e in shell.published()}
    # one mark per contact: its newest message of the group
    assert shell.store.entries("mark") == [
        ("mark", (("c1", by_id["second"]), ("c2", by_id["other lead"])))]


async def test_a_group_holding_another_tenant_s_delivery_writes_nothing(
        shell: Shell) -> None:
    records = [record(message("mine"), 1, key=None),
               record(message("theirs", tenant=OTHER), 2, key=None)]
    with pytest.raises(InvalidEventError):
        await shell.handler.handle_group(TENANT, records)
    assert shell.store.journal == []


@pytest.mark.parametrize("case", ["key", "json", "schema", "stale", "unsafe id"])
async def test_a_bad_delivery_is_a_permanent_error_and_touches_nothing(
        shell: Shell, case: str) -> None:
    body = message("hello")
    if case == "key":
        bad = record(body, key=OTHER)  # keyed by another tenant than its locationId
    elif case == "json":
        bad = record(body, raw=b"{not json")
    elif case == "schema":
        bad = record({"type": "InboundMessage", "contactId": "c1"})  # no locationId
    elif case == "stale":
        body["timestamp"] = "2020-01-01T00:00:00.000Z"
        bad = record(body)
    else:
        bad = record(message("hello", contact="c 1; DROP"))
    with pytest.raises(PERMANENT_ERRORS) as raised:
        await shell.handler(bad)
    if case == "stale":
        assert isinstance(raised.value, StaleEventError)
    assert shell.store.journal == [] and shell.publisher.published == []


async def test_signatures_are_checked_over_the_record_s_bytes() -> None:
    shell = Shell(SignatureVerifier(ed25519=KEY.public_key()))
    raw = json.dumps(message("hello")).encode()
    signed = {ED25519_HEADER: base64.b64encode(KEY.sign(raw)).decode()}
    forged = {ED25519_HEADER: base64.b64encode(KEY.sign(raw + b" ")).decode()}
    with pytest.raises(SignatureMismatchError):
        await shell.handler(record({}, 1, raw=raw, headers=forged))
    with pytest.raises(SignatureMismatchError):  # unsigned: rejected
        await shell.handler(record({}, 2, raw=raw, headers={}))
    assert shell.store.journal == []
    await shell.handler(record({}, 3, raw=raw, headers=signed))
    assert len(shell.published()) == 1


async def test_a_failed_commit_publishes_nothing_and_the_retry_claims_afresh(
        shell: Shell) -> None:
    delivery = record(message("hello", webhook_id="wh-1"), 3)
    shell.store.fail_commit.append(RetryableError("postgres unavailable: fake"))
    with pytest.raises(RetryableError):
        await shell.handler(delivery)
    assert shell.publisher.published == [] and shell.store.claims == {}
    await shell.handler(delivery)
    assert len(shell.published()) == 1
    # the status read stands (a read, not a write): not read again
    assert len(shell.store.entries("tenant_status")) == 1
    assert shell.store.names()[-2:] == ["commit", "publish"]


async def test_a_short_claim_answer_is_retried_and_publishes_nothing(shell: Shell) -> None:
    shell.store.rows_lost = 1
    with pytest.raises(RetryableError, match="claim rows"):
        await shell.handler.handle_group(TENANT, [record(message("a"), 1),
                                                  record(message("b"), 2)])
    assert shell.publisher.published == [] and shell.store.claims == {}
    assert shell.store.names()[-1] == "rollback"


async def test_through_the_batch_a_poison_record_is_dead_lettered_alone(
        shell: Shell) -> None:
    """The runtime's path: the group fails on the bad record, then each record goes through
    the dead-letter boundary; the good ones are published once, the bad one dead-lettered
    with its original bytes."""
    bad = record(message("forged", tenant=OTHER), 2)  # keyed by TENANT, body of OTHER
    records = [record(message("one", webhook_id="wh-1"), 1), bad,
               record(message("three", webhook_id="wh-3"), 3)]
    boundary = DeadLetterBoundary(worker_name(), shell.publisher, RetryPolicy(max_attempts=2),
                                  sleep=RecordingSleep())
    await process_batch("ingestion", records, shell.handler, boundary)
    assert [p.topic for p in shell.publisher.published] == [
        CONVERSATION_EVENTS, PIPELINE_DLQ, CONVERSATION_EVENTS]
    assert shell.publisher.on(PIPELINE_DLQ) == [bad.value]
    assert [e["body"] for e in shell.published()] == ["one", "three"]
    assert len(shell.store.entries("commit")) == 2  # the grouped attempt wrote nothing
