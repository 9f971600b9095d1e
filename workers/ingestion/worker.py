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

Only tenants are answered: a location that installed the app (INSTALL) or that an operator
added. A delivery for any other location, or for one that uninstalled the app, is counted
(`leadmem_ingestion_kept_out_total` by reason, logged at most once per location per
`KEPT_OUT_LOG_EVERY_S`) and kept out: nothing stored, nothing published, no tenant created.
The check is one `SELECT status` per tenant group, skipped while this process admitted the
tenant less than `ADMITTED_FOR_S` ago (bounded per process). The app's INSTALL / UNINSTALL
(`schemas.ghl.AppWebhook`) move each location they name through its lifecycle
(`workers.tenants.lifecycle`); an UNINSTALL deletes the location's GHL tokens with it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import asyncpg
from prometheus_client import Counter

from schemas.events import ConversationEvent, MessageIngested
from schemas.ghl import APP_WEBHOOK_MODELS, WEBHOOK_MODELS, AppInstallWebhook, AppWebhook, Webhook
from schemas.ids import SAFE_ID_RULE, is_safe_id
from schemas.topics import GHL_EVENTS
from workers.db.tenant import TenantDatabase
from workers.errors import (
    InvalidEventError,
    PermanentError,
    RetryableError,
    SignatureMismatchError,
)
from workers.ghl.token_store import delete_company_tokens, delete_tokens
from workers.ingestion.decode import check_fresh, decode_delivery, parse_time
from workers.ingestion.normalise import dedupe_key, normalise
from workers.ingestion.ports import AgencyTokens, Held, Mark, Receipt, Receipts
from workers.ingestion.signatures import SignatureVerifier
from workers.runtime.boundary import Handler
from workers.runtime.bounded import TENANT_STATE_MAX, LRUMap
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.ports import Bound, Publisher, Scoped
from workers.runtime.record import Record
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.tenants.model import Status

INGESTED = Counter(
    "leadmem_ingestion_events_total",
    "Webhook deliveries by GHL type (unknown types as 'other') and outcome.",
    ["type", "outcome"],
)

log = logging.getLogger(__name__)

KEPT_OUT = Counter(
    "leadmem_ingestion_kept_out_total",
    "Deliveries kept out of the pipeline (nothing stored, nothing published), by reason: "
    "unknown_location (never installed the app, never added by an operator), uninstalled.",
    ["reason"],
)

SIGNATURES = Counter(
    "leadmem_ingestion_signatures_total",
    "Accepted deliveries by signature verdict (verified: a GHL signature; workflow: a "
    "tenant's workflow webhook, bound to it by the receiver).",
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

    async def tenant_status(self, tenant: str) -> Status | None:
        return await tenants.status(self.conn, tenant)

    async def claim(self, tenant: str, receipts: Sequence[Receipt]) -> list[Held]:
        rows = await self.conn.fetchmany(_CLAIM, [
            (tenant, r.dedupe_key, r.event_id, r.event_type, *r.position) for r in receipts])
        return [Held((row["source_partition"], row["source_offset"]), row["claimed"])
                for row in rows]

    async def mark(self, marks: Sequence[Mark]) -> None:
        await self.conn.executemany(_MARK, marks)

    async def install(self, location: str, company: str | None, name: str | None,
                      at: datetime) -> Status:
        return await tenants.install(self.conn, location, company, name, at)

    async def uninstall(self, location: str, at: datetime) -> Status | None:
        status = await tenants.uninstall(self.conn, location, at)
        if status == "uninstalled":  # no call is made for it again: its tokens go now
            await delete_tokens(self.conn, location)
        return status

    async def company_locations(self, company: str) -> list[str]:
        rows = await self.conn.fetch("SELECT tenant_id FROM tenant_company_locations($1)",
                                     company)
        return [r["tenant_id"] for r in rows]


class PostgresAgencyTokens:
    """`AgencyTokens` in the company's own transaction (`TenantDatabase.company_transaction`:
    no tenant transaction sees an agency's tokens)."""

    def __init__(self, db: TenantDatabase) -> None:
        self.db = db

    async def forget(self, company: str) -> bool:
        async with self.db.company_transaction(company) as conn:
            return await delete_company_tokens(conn, company)


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
    return ghl_type if ghl_type in WEBHOOK_MODELS or ghl_type in APP_WEBHOOK_MODELS else "other"


ADMITTED_FOR_S = 60.0  # how long a process trusts a tenant's status before reading it again
KEPT_OUT_LOG_EVERY_S = 300.0  # a kept-out location is logged at most this often (per process)
ADMITTED: tuple[Status, ...] = ("installed", "live")


class IngestionHandler:
    def __init__(
        self,
        db: Scoped[Receipts],
        publisher: Publisher,
        settings: Settings,
        verifier: SignatureVerifier,
        clock: Callable[[], float] = time.monotonic,
        agencies: AgencyTokens | None = None,
    ) -> None:
        self.db = db
        self.agencies = agencies
        self.publisher = publisher
        self.settings = settings
        self.verifier = verifier
        self.clock = clock
        # Tenants admitted (installed or live) -> until when, per process and bounded: a
        # tenant dropped or expired costs one `SELECT status` at its next group. An unknown
        # or uninstalled location is read again every group (one statement, nothing more).
        self._admitted: LRUMap[str, float] = LRUMap(TENANT_STATE_MAX)
        self._logged: LRUMap[str, float] = LRUMap(TENANT_STATE_MAX)  # kept out: last logged

    def _verify(self, record: Record, webhook: Webhook | AppWebhook, now: datetime) -> str:
        """Key, signature and freshness checks of a decoded delivery (no side effects);
        returns the signature verdict. The app's INSTALL / UNINSTALL are keyed by their
        location, else their company (`AppWebhook.key`)."""
        location = webhook.key if isinstance(webhook, AppWebhook) else webhook.locationId
        key = record.key.decode("utf-8", "replace") if record.key is not None else None
        if key is not None and key != location:
            raise InvalidEventError(
                f"record key {record.key!r} is not the body's locationId {location!r}"
            )
        # unsigned: only with the receiver's workflow binding of these bytes to this tenant
        verdict = self.verifier.verify(record.value, record.headers, location)
        if isinstance(webhook, AppWebhook) and verdict != "verified":
            # Only GHL installs and uninstalls the app: a tenant's workflow binding (or a
            # record produced straight to the topic with one) never does.
            raise SignatureMismatchError(
                f"{webhook.type} must carry GHL's signature, not a workflow binding")
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
            webhook = decode_delivery(record.value, max_bytes=self.settings.max_body_bytes)
            ghl_type = type_label(webhook.type)
            verdict = self._verify(record, webhook, now)
            if isinstance(webhook, AppWebhook):
                await self._app_event(record, webhook, verdict, now)
            else:
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
        invalid one makes the whole group go record by record, where it is counted. A group
        holding the app's INSTALL / UNINSTALL (rare) goes record by record too, in order, so
        the deliveries after an INSTALL are admitted and those after an UNINSTALL are not."""
        now = datetime.now(UTC)
        checked = []
        for record in records:
            webhook = decode_delivery(record.value, max_bytes=self.settings.max_body_bytes)
            if isinstance(webhook, AppWebhook):
                for one in records:
                    await self(one)
                return
            checked.append((record, webhook, self._verify(record, webhook, now)))
            if webhook.locationId != tenant:
                raise InvalidEventError("a delivery's key is not its locationId")
        await self._claim(tenant, checked, now)

    def _is_admitted(self, tenant: str) -> bool:
        until = self._admitted.get(tenant)
        return until is not None and until > self.clock()

    def _note_status(self, tenant: str, status: Status | None) -> None:
        if status in ADMITTED:
            self._admitted[tenant] = self.clock() + ADMITTED_FOR_S
        else:
            self._admitted.pop(tenant)

    def _keep_out(self, tenant: str, status: Status | None,
                  checked: Sequence[tuple[Record, Webhook, str]]) -> None:
        """Count (and log, at most once per location per interval) deliveries of a location
        that is no tenant, or that uninstalled the app: nothing stored, nothing published."""
        reason = "uninstalled" if status == "uninstalled" else "unknown_location"
        KEPT_OUT.labels(reason).inc(len(checked))
        for _, webhook, _ in checked:
            INGESTED.labels(type_label(webhook.type), "kept_out").inc()
        now = self.clock()
        last = self._logged.get(tenant)
        if last is None or now - last >= KEPT_OUT_LOG_EVERY_S:
            self._logged[tenant] = now
            log.warning("ingestion: kept out %d delivery(ies) of location %r (%s; logged at "
                        "most every %.0f s per location)", len(checked), tenant[:128],
                        "it uninstalled the app" if reason == "uninstalled" else
                        "it never installed the app and no operator added it",
                        KEPT_OUT_LOG_EVERY_S)

    async def _app_event(self, record: Record, webhook: AppWebhook, verdict: str,
                         now: datetime) -> None:
        """The app's INSTALL / UNINSTALL: each location it names (an agency-level UNINSTALL:
        each location its INSTALLs recorded) in its own tenant transaction. Nothing is
        published downstream; the transitions are idempotent, so a redelivery or a GHL
        retry changes nothing (`workers.tenants.lifecycle`)."""
        ghl_type = type_label(webhook.type)
        at = parse_time(webhook.timestamp) or received_at(record, now)
        locations = list(webhook.locations)
        for location in locations:
            if not is_safe_id(location):
                raise InvalidEventError(f"locationId {location[:40]!r} is not a usable id: "
                                        f"expected {SAFE_ID_RULE}")
        install = isinstance(webhook, AppInstallWebhook)
        company = (webhook.companyId or "").strip() or None
        if not locations and install:
            # An agency-level install names no location: each one the agency approves
            # arrives with its own INSTALL (or the OAuth callback installs it).
            log.info("ingestion: %s of company %r names no location; nothing to install",
                     webhook.type, (company or "")[:128])
            INGESTED.labels(ghl_type, "no_location").inc()
        elif not locations and company is not None:
            async with self.db.transaction(company) as tx:
                locations = await tx.company_locations(company)
            if not locations:
                INGESTED.labels(ghl_type, "unknown_company").inc()
            if self.agencies is not None:  # the agency removed the app: its own tokens go
                await self.agencies.forget(company)
        for location in locations:
            async with self.db.transaction(location) as tx:
                status = (await tx.install(location, company, webhook.companyName, at)
                          if install else await tx.uninstall(location, at))
            self._note_status(location, status)
            INGESTED.labels(ghl_type, status or "unknown_location").inc()
            log.info("ingestion: %s of location %r: %s", webhook.type, location,
                     status or "no such tenant (nothing created)")
        SIGNATURES.labels(verdict).inc()

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
        status: Status | None = "live"  # admitted: read below unless fresh in this process
        async with self.db.transaction(tenant) as tx:
            if not self._is_admitted(tenant):  # one statement per group, none while fresh
                status = await tx.tenant_status(tenant)
                self._note_status(tenant, status)
            if status in ADMITTED:
                # One pipelined round trip for the group; each claim sees the ones before it.
                rows = await tx.claim(tenant, receipts)
                if len(rows) != len(checked):
                    raise RetryableError(f"{len(rows)} claim rows for {len(checked)} "
                                         "deliveries")
                for (_, webhook, verdict), event, position, row in zip(
                        checked, events, positions, rows, strict=True):
                    own = row.position == position
                    outcome = ("accepted" if row.claimed else "republished" if own
                               else "duplicate")
                    claims.append((event, type_label(webhook.type), verdict, outcome))
                marks = inbound_marks([e for e, *_, outcome in claims
                                       if outcome == "accepted"])
                if marks:
                    await tx.mark(marks)
        if status not in ADMITTED:  # never installed and never added, or uninstalled
            self._keep_out(tenant, status, checked)
            return
        for event, ghl_type, verdict, outcome in claims:
            SIGNATURES.labels(verdict).inc()
            if outcome != "duplicate":
                await self.publisher.publish(event)
            INGESTED.labels(ghl_type, outcome).inc()

def build(resources: Resources) -> Handler:
    s = resources.settings
    verifier = SignatureVerifier.of(s)
    return IngestionHandler(Bound(resources.database, PostgresReceipts), resources.publisher,
                            s, verifier, agencies=PostgresAgencyTokens(resources.database))


SPEC = WorkerSpec(name="ingestion", topics=(GHL_EVENTS,), build=build, needs_redis=False)
