"""The CRM write-back handler: `agent.assist` and `lead.profile.updated` in, GHL tasks, the
living note, score tags and custom fields out (see `plan` for what, `store` for the ledger).

It runs inside the outbound connector, because every call to GHL shares the location's rate
limit and token with the replies: one `Sender` owns both, so write-backs can never push the
replies over GHL's burst limit and one refresh serves both (a separate worker would need the
limit and the single-use refresh token shared across processes).

Calls GHL cannot dedupe (a task, a note's creation) are claimed in `crm_writes` before the
call and finished after it: a crash in between leaves the claim, and the call is never made
twice (counted as in doubt); so does an answer that proves nothing (a 5xx, a connection cut
after sending: `ghl.outcome`). The rest (note updates, tags, fields) are idempotent and are
simply made again, on a redelivery or after such an answer (`idempotent`).

An opt-out's write-back (DND on the channels it covers, the opted-out tag) is claimed too,
once per ledger entry, so a redelivery after it was made repeats nothing; but its calls are
idempotent, so a claim left 'sending' (a crash, no answer from GHL) is made again rather than
left in doubt: a DND set twice is harmless, a DND never set is not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter

from schemas.events import AgentAssistRequested, ProfileUpdated
from schemas.topics import AGENT_ASSIST
from workers.crm import store
from workers.crm.plan import Change, Write, plan
from workers.errors import RetryableError
from workers.ghl.client import (
    DeliveryInDoubtError,
    GHLUnavailableError,
    ReplyRejectedError,
)
from workers.ghl.contacts import ContactsClient
from workers.ghl.sender import ClaimLostError, Sender
from workers.runtime.ports import Transactions
from workers.runtime.record import Record

log = logging.getLogger(__name__)
CRM_WRITES = Counter(
    "leadmem_crm_writes_total",
    "CRM write-backs to GHL by kind (task, note_create, note_update, tags, fields, opt_out) "
    "and outcome (done, skipped = made before, in_doubt = claimed and unconfirmed: not "
    "repeated, failed = GHL refused, retry = not applied, retried later).",
    ["kind", "outcome"],
)


def idempotent(method: str, path: str) -> bool:
    """Calls made twice with no harm: PUT and DELETE set a state, and adding tags is a set
    union; POSTing a task or a note creates a second one."""
    return method in ("PUT", "DELETE") or (method == "POST" and path.endswith("/tags"))


class _Claim:
    """An intent's claim as the sender gives it back and takes it again between attempts,
    so a crash while waiting leaves it unclaimed (made by the redelivery), not in doubt."""

    def __init__(self, db: Transactions, tenant: str, contact: str, write: Write) -> None:
        self.db, self.tenant, self.contact, self.write = db, tenant, contact, write

    async def release(self, reason: str) -> None:
        async with self.db.transaction(self.tenant) as conn:
            await store.release(conn, self.tenant, self.write.key, reason)

    async def retake(self) -> bool:
        async with self.db.transaction(self.tenant) as conn:
            got, _ = await store.claim(conn, self.tenant, self.contact, self.write.key,
                                       self.write.kind)
        return got == "claimed"


def change_of(record: Record) -> Change | None:
    if record.topic == AGENT_ASSIST:
        assist = AgentAssistRequested.model_validate_json(record.value)
        if not assist.contact_id:
            return None
        return Change(assist.event_id, assist.contact_id, assist.occurred_at,
                      assist_reason=assist.reason, assist_note=assist.note)
    update = ProfileUpdated.model_validate_json(record.value)
    if not update.contact_id:
        return None
    return Change(update.event_id, update.contact_id, update.occurred_at, score=update.score,
                  profile=update.profile)


class CrmHandler:
    def __init__(self, db: Transactions, sender: Sender, client: ContactsClient,
                 note_interval: timedelta,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db, self.sender, self.client = db, sender, client
        self.note_interval, self.now = note_interval, now

    async def __call__(self, record: Record) -> None:
        change = change_of(record)
        if change is None:
            return
        tenant, contact = record.tenant_hint or "", change.contact_id
        if not tenant:
            return
        async with self.db.transaction(tenant) as conn:
            settings, state = await store.load(conn, tenant, contact)
        for write in plan(change, state, settings, self.note_interval, self.now()):
            await self._write(tenant, contact, write)

    async def _write(self, tenant: str, contact: str, write: Write) -> None:
        if write.kind in ("task", "note_create"):
            await self._once(tenant, contact, write)
            return
        if write.kind == "opt_out":
            await self._opt_out(tenant, contact, write)
            return
        path = f"/contacts/{contact}"
        if write.kind == "note_update":
            try:
                await self._call(tenant, "PUT", f"{path}/notes/{write.note_id}", write.body)
            except ReplyRejectedError as exc:
                if exc.status != 404:
                    raise
                # An agent deleted the note in GHL: forget it and keep one living note.
                async with self.db.transaction(tenant) as conn:
                    await store.forget_note(conn, tenant, contact, write.key)
                await self._once(tenant, contact, Write("note_create", write.key, write.body))
                return
            written = store.Written(note_updated_at=self.now())
        elif write.kind == "tags":
            if write.body["remove"]:
                await self._call(tenant, "DELETE", f"{path}/tags", {"tags": write.body["remove"]})
            if write.body["add"]:
                await self._call(tenant, "POST", f"{path}/tags", {"tags": write.body["add"]})
                written = store.Written(score_tag=write.body["add"][0])
            else:  # an opted-out lead: our score tag removed, none added
                written = store.Written(score_tag_removed=True)
        else:  # fields
            await self._call(tenant, "PUT", path, write.body)
            written = store.Written(fields={f["id"]: f["field_value"]
                                            for f in write.body["customFields"]})
        async with self.db.transaction(tenant) as conn:
            await store.remember(conn, tenant, contact, written)
        CRM_WRITES.labels(write.kind, "done").inc()

    async def _call(self, tenant: str, method: str, path: str, body: dict[str, Any],
                    claim: _Claim | None = None, turn_taken: bool = False) -> dict[str, Any]:
        """One call through the sender. Only a POST creates something GHL cannot dedupe (a
        task, a note); every other call here (a note's update, tags, fields, DND) sets a
        state, so an answer in doubt makes it again (`Sender.call(idempotent=...)`)."""
        client = self.client
        return await self.sender.call(
            tenant, lambda token: client.call(token, method, path, body), claim=claim,
            turn_taken=turn_taken, idempotent=idempotent(method, path))

    async def _once(self, tenant: str, contact: str, write: Write) -> None:
        """A task or a note's creation: claimed, called, finished; never made twice."""
        await self.sender.turn(tenant)  # the wait before the claim, not while holding it
        async with self.db.transaction(tenant) as conn:
            got, _ = await store.claim(conn, tenant, contact, write.key, write.kind)
        if got != "claimed":
            CRM_WRITES.labels(write.kind, "skipped" if got == "done" else "in_doubt").inc()
            return
        path = f"/contacts/{contact}/{'tasks' if write.kind == 'task' else 'notes'}"
        try:
            answer = await self._call(tenant, "POST", path, write.body,
                                      claim=_Claim(self.db, tenant, contact, write),
                                      turn_taken=True)
        except ClaimLostError:
            CRM_WRITES.labels(write.kind, "skipped").inc()
            return
        except DeliveryInDoubtError as exc:  # may have been made: the claim stays, unrepeated
            CRM_WRITES.labels(write.kind, "in_doubt").inc()
            log.warning("crm: %s for %s/%s may have been made; not repeating: %s",
                        write.kind, tenant, contact, exc)
            return
        except (RetryableError, ReplyRejectedError) as exc:
            async with self.db.transaction(tenant) as conn:
                await store.release(conn, tenant, write.key, str(exc))
            CRM_WRITES.labels(write.kind, "retry" if isinstance(exc, RetryableError)
                              else "failed").inc()
            raise
        item = answer.get("task" if write.kind == "task" else "note") or {}
        ghl_id = str(item.get("id")) if item.get("id") else None
        async with self.db.transaction(tenant) as conn:
            await store.finish(conn, tenant, write.key, ghl_id)
            if write.kind == "note_create":
                await store.remember(conn, tenant, contact, store.Written(
                    note_id=ghl_id, note_updated_at=self.now()))
        CRM_WRITES.labels(write.kind, "done").inc()

    async def _opt_out(self, tenant: str, contact: str, write: Write) -> None:
        """An opt-out's DND and tag: claimed once per ledger entry; made again when a claim
        was left 'sending' (idempotent calls), released when GHL did not take them (a retry
        or no answer: the record is retried; a refusal: the lead's next event tries again)."""
        await self.sender.turn(tenant)
        async with self.db.transaction(tenant) as conn:
            got, _ = await store.claim(conn, tenant, contact, write.key, write.kind)
        if got == "done":
            CRM_WRITES.labels(write.kind, "skipped").inc()
            return
        if got == "in_doubt":
            log.info("crm: opt-out write-back %s for %s/%s was left unconfirmed; making it "
                     "again (idempotent)", write.key, tenant, contact)
        path = f"/contacts/{contact}"
        turn_taken = True
        try:
            if "dndSettings" in write.body:
                await self._call(tenant, "PUT", path, {"dndSettings": write.body["dndSettings"]},
                                 turn_taken=turn_taken)
                turn_taken = False
            if write.body.get("tags"):
                await self._call(tenant, "POST", f"{path}/tags", {"tags": write.body["tags"]},
                                 turn_taken=turn_taken)
        except (RetryableError, ReplyRejectedError, DeliveryInDoubtError) as exc:
            async with self.db.transaction(tenant) as conn:
                await store.release(conn, tenant, write.key, str(exc))
            if isinstance(exc, ReplyRejectedError):  # claimed again by the lead's next event;
                # not raised, so a refusal never dead-letters this event's other write-backs
                CRM_WRITES.labels(write.kind, "failed").inc()
                log.error("crm: GHL refused the opt-out write-back %s for %s/%s: %s",
                          write.key, tenant, contact, exc)
                return
            CRM_WRITES.labels(write.kind, "retry").inc()
            if isinstance(exc, DeliveryInDoubtError):  # applied or not, idempotent: again
                raise GHLUnavailableError(f"opt-out write-back unconfirmed: {exc}") from exc
            raise
        async with self.db.transaction(tenant) as conn:
            await store.finish(conn, tenant, write.key, None)
        CRM_WRITES.labels(write.kind, "done").inc()
