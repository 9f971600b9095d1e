"""The ingestion worker: consumes `ghl.events`, publishes `conversation.events`.

Per record: decode and validate, verify the signature over the raw bytes, reject stale
timestamps, claim the delivery's dedupe key in Postgres (durable, per tenant), publish the
normalised event. The claim remembers which record made it, so that record's own redelivery
(a crash between commit and publish) publishes again, while another delivery with the same
`webhookId` is a duplicate and publishes nothing. A tenant's deliveries of one batch are
claimed in one transaction and published after its commit (see `runtime.groups`).

The replay window is judged against the time the delivery reached us (the record's
timestamp, set by the receiver), never against when a worker got to it: a backlog or an
outage turns no accepted webhook into a stale one. A record `leadmem dlq replay` put back
names its original position (`replay-source`) and carries its original timestamp, so it
is judged as the original was, and its claim is the original's own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
from prometheus_client import Counter

from schemas.events import ConversationEvent, MessageIngested
from schemas.ghl import WEBHOOK_MODELS, Webhook
from schemas.ids import SAFE_ID_RULE, is_safe_id
from schemas.topics import GHL_EVENTS
from workers.errors import (
    InvalidEventError,
    PermanentError,
    RetryableError,
    SignatureMismatchError,
)
from workers.ingestion.decode import check_fresh, decode_webhook
from workers.ingestion.normalise import dedupe_key, normalise
from workers.ingestion.ports import Held, Mark, Receipt, Receipts
from workers.ingestion.signatures import SignatureVerifier
from workers.runtime.boundary import Handler
from workers.runtime.bounded import TENANT_STATE_MAX, BoundedSet
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.ports import Bound, Publisher, Scoped
from workers.runtime.record import Record
from workers.settings import Settings
from workers.tenants.store import ensure as ensure_tenant

INGESTED = Counter(
    "leadmem_ingestion_events_total",
    "Webhook deliveries by GHL type (unknown types as 'other') and outcome.",
    ["type", "outcome"],
)

SIGNATURES = Counter(
    "leadmem_ingestion_signatures_total",
    "Accepted deliveries by signature verdict (verified, unverified).",
    ["verdict"],
)

_CLAIM = """
WITH ins AS (
    INSERT INTO webhook_receipts
        (tenant_id, dedupe_key, event_id, event_type, source_partition, source_offset)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
    RETURNING source_partition, source_offset
)
SELECT source_partition, source_offset, true AS claimed FROM ins
UNION ALL
SELECT source_partition, source_offset, false FROM webhook_receipts
 WHERE tenant_id = $1 AND dedupe_key = $2 AND NOT EXISTS (SELECT 1 FROM ins)
"""


# The newest accepted inbound message of a contact: the outbound claim holds back a reply to
# an older one while this one (a STOP?) is still on its way to memory.
_MARK = """
INSERT INTO inbound_marks (tenant_id, contact_id, event_id, message_id, occurred_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, contact_id) DO UPDATE
   SET event_id = EXCLUDED.event_id, message_id = EXCLUDED.message_id,
       occurred_at = EXCLUDED.occurred_at
 WHERE inbound_marks.occurred_at < EXCLUDED.occurred_at
"""


class PostgresReceipts:
    """`Receipts` over a tenant transaction's connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def ensure_tenant(self, tenant: str) -> None:
        await ensure_tenant(self.conn, tenant)

    async def claim(self, tenant: str, receipts: Sequence[Receipt]) -> list[Held]:
        rows = await self.conn.fetchmany(_CLAIM, [
            (tenant, r.dedupe_key, r.event_id, r.event_type, *r.position) for r in receipts])
        return [Held((row["source_partition"], row["source_offset"]), row["claimed"])
                for row in rows]

    async def mark(self, marks: Sequence[Mark]) -> None:
        await self.conn.executemany(_MARK, marks)


def inbound_marks(events: Sequence[ConversationEvent]) -> list[Mark]:
    """The newest inbound message of the lead's per contact among `events` (pure)."""
    newest: dict[str, MessageIngested] = {}
    for e in events:
        if (isinstance(e, MessageIngested) and e.direction == "inbound" and e.sender == "lead"
                and e.contact_id is not None):
            held = newest.get(e.contact_id)
            if held is None or e.occurred_at > held.occurred_at:
                newest[e.contact_id] = e
    return [(e.tenant_id, c, e.event_id, e.message_id, e.occurred_at)
            for c, e in newest.items()]


REPLAY_SOURCE = "replay-source"  # `<topic>:<partition>:<offset>` of a replayed record
_POSITION = re.compile(r"(-?[0-9]+):([0-9]+)")  # ASCII digits: what `int` reads back


def source_position(record: Record) -> tuple[int, int]:
    """The position a delivery's claim belongs to: its own, or for a record replayed from
    the dead-letter topic, the original's (a replay of a claimed delivery re-publishes)."""
    topic, _, position = record.headers.get(REPLAY_SOURCE, "").partition(":")
    found = _POSITION.fullmatch(position)
    if topic == GHL_EVENTS and found:  # partition -1: dead-lettered by the receiver
        return int(found[1]), int(found[2])
    return record.partition, record.offset


def received_at(record: Record, now: datetime) -> datetime:
    """When the delivery reached us: the record's timestamp (the receiver's receive time)."""
    if record.timestamp_ms:
        return datetime.fromtimestamp(record.timestamp_ms / 1000, UTC)
    return now


def check_ids(event: ConversationEvent) -> None:
    """Every stage keys Redis and SQL by these ids: reject what they could not hold."""
    for kind, value in (("locationId", event.tenant_id), ("contact id", event.contact_id)):
        if value is not None and not is_safe_id(value):
            raise InvalidEventError(f"{kind} {value[:40]!r} is not a usable id: "
                                    f"expected {SAFE_ID_RULE}")


def type_label(ghl_type: str | None) -> str:
    """Bounded label: known GHL types by name, anything else as 'other'."""
    return ghl_type if ghl_type in WEBHOOK_MODELS else "other"


class IngestionHandler:
    def __init__(
        self,
        db: Scoped[Receipts],
        publisher: Publisher,
        settings: Settings,
        verifier: SignatureVerifier,
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.settings = settings
        self.verifier = verifier
        # Bounded: a forgotten tenant costs one `INSERT ... ON CONFLICT DO NOTHING`.
        self._known_tenants: BoundedSet[str] = BoundedSet(TENANT_STATE_MAX)

    def _verify(self, record: Record, webhook: Webhook, now: datetime) -> str:
        """Key, signature and freshness checks of a decoded delivery (no side effects);
        returns the signature verdict."""
        key = record.key.decode("utf-8", "replace") if record.key is not None else None
        if key is not None and key != webhook.locationId:
            raise InvalidEventError(
                f"record key {record.key!r} is not the body's locationId {webhook.locationId!r}"
            )
        verdict = self.verifier.verify(record.value, record.headers)
        replay_without_time = REPLAY_SOURCE in record.headers and not record.timestamp_ms
        if not replay_without_time:  # an operator's replay of an untimed record is trusted
            check_fresh(webhook.timestamp, received_at(record, now),
                        max_age_s=self.settings.max_event_age_s,
                        max_skew_s=self.settings.max_clock_skew_s)
        return verdict

    async def __call__(self, record: Record) -> None:
        ghl_type = "unparsed"
        now = datetime.now(UTC)
        try:
            webhook = decode_webhook(record.value, max_bytes=self.settings.max_body_bytes)
            ghl_type = type_label(webhook.type)
            verdict = self._verify(record, webhook, now)
            await self._claim(webhook.locationId, [(record, webhook, verdict)], now)
        except PermanentError as exc:
            outcome = "bad_signature" if isinstance(exc, SignatureMismatchError) else "rejected"
            INGESTED.labels(ghl_type, outcome).inc()
            raise
        except ValueError:  # pydantic's ValidationError
            INGESTED.labels(ghl_type, "invalid").inc()
            raise

    async def handle_group(self, tenant: str, records: Sequence[Record]) -> None:
        """A tenant's deliveries of a batch in one transaction (see `runtime.groups`); an
        invalid one makes the whole group go record by record, where it is counted."""
        now = datetime.now(UTC)
        checked = []
        for record in records:
            webhook = decode_webhook(record.value, max_bytes=self.settings.max_body_bytes)
            checked.append((record, webhook, self._verify(record, webhook, now)))
            if webhook.locationId != tenant:
                raise InvalidEventError("a delivery's key is not its locationId")
        await self._claim(tenant, checked, now)

    async def _claim(self, tenant: str, checked: Sequence[tuple[Record, Webhook, str]],
                     now: datetime) -> None:
        """Claim each delivery's dedupe key in one transaction; after the commit, publish
        what was claimed (or a record's own earlier claim: its redelivery), in order."""
        claims: list[tuple[ConversationEvent, str, str, str]] = []
        events, positions, receipts = [], [], []
        for record, webhook, _ in checked:  # pure: an error here is the record's, not Postgres's
            event = normalise(webhook, record.value, received_at(record, now))
            check_ids(event)
            events.append(event)
            positions.append(source_position(record))
            receipts.append(Receipt(dedupe_key(webhook, record.value), event.event_id,
                                    webhook.type[:64], positions[-1]))
        async with self.db.transaction(tenant) as tx:
            if tenant not in self._known_tenants:
                await tx.ensure_tenant(tenant)
            # One pipelined round trip for the group; each claim sees the ones before it.
            rows = await tx.claim(tenant, receipts)
            if len(rows) != len(checked):
                raise RetryableError(f"{len(rows)} claim rows for {len(checked)} deliveries")
            for (_, webhook, verdict), event, position, row in zip(checked, events, positions,
                                                                    rows, strict=True):
                own = row.position == position
                outcome = "accepted" if row.claimed else "republished" if own else "duplicate"
                claims.append((event, type_label(webhook.type), verdict, outcome))
            marks = inbound_marks([e for e, *_, outcome in claims if outcome == "accepted"])
            if marks:
                await tx.mark(marks)
        self._known_tenants.add(tenant)
        for event, ghl_type, verdict, outcome in claims:
            SIGNATURES.labels(verdict).inc()
            if outcome != "duplicate":
                await self.publisher.publish(event)
            INGESTED.labels(ghl_type, outcome).inc()


def build(resources: Resources) -> Handler:
    s = resources.settings
    verifier = SignatureVerifier.from_settings(
        s.ghl_ed25519_public_key, s.ghl_rsa_public_key, s.unsigned_policy
    )
    return IngestionHandler(Bound(resources.database, PostgresReceipts), resources.publisher,
                            s, verifier)


SPEC = WorkerSpec(name="ingestion", topics=(GHL_EVENTS,), build=build, needs_redis=False)
