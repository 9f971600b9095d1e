"""Postgres side of memory: applying conversation events and loading a lead's memory.

Every function takes a connection inside `TenantDatabase.transaction(tenant)`, so row-level
security scopes each statement to the tenant even where a query names it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg

from schemas.context import (
    RECENT_MESSAGES,
    ContextMessage,
    MemoryPart,
    ProfilePart,
)
from schemas.events import (
    ContactChanged,
    LeadActivityRecorded,
    MessageIngested,
    ReplyDelivered,
)
from workers.consent.quiet import whereabouts
from workers.consent_ledger import NONE as NO_ENTRIES
from workers.consent_ledger import store as ledger
from workers.consent_ledger.addresses import AddressHasher, e164
from workers.memory import core, echo
from workers.memory.core import NewMessage
from workers.memory.rows import memory_part
from workers.replies import store as replies
from workers.tenants.store import ensure as ensure_tenant


@dataclass(frozen=True)
class MessageOutcome:
    stored: bool
    linked_reply: str | None = None
    takeover: bool = False


async def ensure_lead(conn: asyncpg.Connection, tenant: str, contact: str) -> None:
    """The lead's row, and its tenant's if missing: for operators' imports (`leadmem import
    legacy`); the memory worker never creates a tenant (it ensures the contact alone)."""
    await ensure_tenant(conn, tenant)
    await conn.execute(
        "INSERT INTO contacts (tenant_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        tenant, contact,
    )


async def record_message(conn: asyncpg.Connection, ev: MessageIngested, *,
                         ensure_contact: bool = False,
                         hasher: AddressHasher | None = None) -> MessageOutcome:
    """Store a message once. An outbound message whose GHL id is one of our delivered
    replies is that reply's echo: linked, not stored again. A human user's outbound
    message marks the conversation as taken over. `ensure_contact`: create the contact row
    if missing, in the same round trip as the insert."""
    assert ev.contact_id is not None
    known: echo.Known | None = None
    if ev.direction == "outbound" and ev.message_id:
        found = await conn.fetchrow(  # one round trip: stored already? one of our replies?
            """SELECT EXISTS (SELECT 1 FROM messages WHERE tenant_id = $1
                                 AND message_id = $2) AS found,
                      (SELECT reply_key FROM messages
                        WHERE tenant_id = $1 AND message_id = $2) AS reply_key,
                      (SELECT idempotency_key FROM replies
                        WHERE tenant_id = $1 AND ghl_message_id = $2) AS ours""",
            ev.tenant_id, ev.message_id,
        )
        assert found is not None
        known = echo.Known(found["found"], found["reply_key"], found["ours"])
    verdict = echo.classify(ev.direction, ev.sender, known)
    if not verdict.store:
        return MessageOutcome(False, verdict.reply_key)
    stored = await _insert_message(conn, core.ingested_message(ev, verdict),
                                   ensure_contact=ensure_contact, conversation=True,
                                   takeover=verdict.takeover)
    if not stored:
        return MessageOutcome(False)
    await record_consent(conn, ev, hasher)
    return MessageOutcome(True, verdict.reply_key, verdict.takeover)


async def record_consent(conn: asyncpg.Connection, ev: MessageIngested,
                         hasher: AddressHasher | None) -> None:
    """An inbound message of the lead's: its number as the contact's phone when none is
    known (an SMS), and what its words say of consent into the ledger (`record_words`)."""
    if not core.reply_needed(ev.direction, ev.sender):
        return
    assert ev.contact_id is not None
    phone = e164(ev.from_address)
    if phone is not None and hasher is not None:
        await conn.execute(
            """UPDATE contacts SET phone = $3, address_hashes = ARRAY(
                   SELECT DISTINCT a FROM unnest(address_hashes || $4::text[]) a ORDER BY a)
                WHERE tenant_id = $1 AND contact_id = $2 AND phone IS NULL""",
            ev.tenant_id, ev.contact_id, phone, hasher.of(phones=[phone]))
    await record_words(conn, ev.tenant_id, ev.contact_id, ev.message_id or ev.event_id,
                       ev.body, ev.channel, ev.occurred_at)


async def record_words(conn: asyncpg.Connection, tenant: str, contact: str, ref: str,
                       body: str, channel: str, at: datetime) -> None:
    """What a message of the lead's own says of consent, into the ledger: no round trip for
    an ordinary message, one read first when the entry depends on the consent in force.
    Live messages (`record_consent`) and legacy imports alike."""
    reading = core.consent_reading(body, channel)
    current = await ledger.read(conn, tenant, contact) if reading.needs_state else NO_ENTRIES
    zones = await lead_zones(conn, tenant, contact) if reading.needs_zones else ()
    await ledger.append(conn, tenant, contact, core.consent_entries(
        reading, current, ref=ref, channel=channel, at=at, zones=zones))


async def lead_zones(conn: asyncpg.Connection, tenant: str,
                     contact: str) -> tuple[ZoneInfo, ...]:
    """Every zone the lead may be in (`quiet.whereabouts`: its own zone, state, ZIP and
    phone; the tenant's zone only when none is known), to place a pause it asked for."""
    row = await conn.fetchrow(
        """SELECT c.timezone, c.state, c.postal_code, c.phone,
                  (SELECT s.timezone FROM tenant_settings s WHERE s.tenant_id = $1) AS tenant_tz
             FROM (SELECT 1) one
             LEFT JOIN contacts c ON c.tenant_id = $1 AND c.contact_id = $2""",
        tenant, contact)
    assert row is not None
    where = whereabouts(contact_tz=row["timezone"], state=row["state"],
                        postal_code=row["postal_code"], phone=row["phone"],
                        tenant_tz=row["tenant_tz"])
    return tuple(ZoneInfo(z) for z in where.zones)


async def record_delivered(conn: asyncpg.Connection, ev: ReplyDelivered) -> bool:
    """Our reply reached GHL: store it as the AI's message (or, when its echo came first,
    relabel the echo). Returns True when the conversation gained a message."""
    assert ev.contact_id is not None
    # The conversation id stays as the outbound stored it (None: kept); see `mark_sent`.
    await replies.mark_sent(conn, ev.tenant_id, ev.idempotency_key, ev.ghl_message_id, None)
    relabelled = await conn.execute(
        """UPDATE messages SET sender = 'ai', reply_key = $3
           WHERE tenant_id = $1 AND message_id = $2 AND reply_key IS NULL""",
        ev.tenant_id, ev.ghl_message_id, ev.idempotency_key,
    )
    if relabelled != "UPDATE 0":
        return False
    return await _insert_message(conn, core.delivered_message(ev))


async def insert_message(conn: asyncpg.Connection, *, tenant: str, event_id: str,
                         contact: str, direction: str, channel: str, sender: str, body: str,
                         at: datetime, message_id: str | None = None,
                         conversation: str | None = None, user_id: str | None = None,
                         source: str | None = None, reply_key: str | None = None) -> bool:
    """Store one message with the contact's bookkeeping (count, summary fold, last times)
    exactly as the worker does, for importers; False when the event id is already stored.
    The contact row must exist (`ensure_lead`)."""
    return await _insert_message(conn, NewMessage(
        tenant, event_id, message_id, contact, conversation, direction, channel, sender, body,
        user_id, source, reply_key, at))


_INSERT_MESSAGE = """
    INSERT INTO messages (tenant_id, event_id, message_id, contact_id, conversation_id,
                          direction, channel, sender, body, user_id, source, reply_key,
                          occurred_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT DO NOTHING RETURNING true
"""
# The same, creating the contact first (its foreign key is checked at the statement's end).
_ENSURE_AND_INSERT_MESSAGE = """
    WITH contact AS (INSERT INTO contacts (tenant_id, contact_id) VALUES ($1, $4)
                     ON CONFLICT DO NOTHING)
""" + _INSERT_MESSAGE
# The contact's bookkeeping, and (optionally) the conversation's, in one round trip.
_UPDATE_CONTACT = """
    WITH conversation AS (
        INSERT INTO conversations (tenant_id, conversation_id, contact_id, channel,
                                   human_takeover, taken_over_by, last_message_at)
        SELECT $1, $7::text, $2, $8::text, $6::boolean, CASE WHEN $6 THEN $9::text END, $4
        WHERE $7::text IS NOT NULL
        ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
            human_takeover = conversations.human_takeover OR EXCLUDED.human_takeover,
            taken_over_by = COALESCE(EXCLUDED.taken_over_by, conversations.taken_over_by),
            last_message_at = GREATEST(conversations.last_message_at,
                                       EXCLUDED.last_message_at)
    )
    UPDATE contacts SET
        message_count = message_count + 1,
        summary = $5,
        last_inbound_at = CASE WHEN $3 = 'inbound'
            THEN GREATEST(last_inbound_at, $4) ELSE last_inbound_at END,
        last_outbound_at = CASE WHEN $3 = 'outbound'
            THEN GREATEST(last_outbound_at, $4) ELSE last_outbound_at END,
        human_takeover = human_takeover OR $6::boolean,
        updated_at = now()
    WHERE tenant_id = $1 AND contact_id = $2
"""


async def _insert_message(conn: asyncpg.Connection, msg: NewMessage, *,
                          ensure_contact: bool = False, conversation: bool = False,
                          takeover: bool = False) -> bool:
    """Insert the message and keep the contact's bookkeeping (count, summary fold, last
    times; and a human takeover) and, given `conversation` and a message naming one, the
    conversation's (taken over too): three round trips, whatever is updated.
    `ensure_contact`: create the contact row if missing, in the insert's round trip."""
    inserted = await conn.fetchval(
        _ENSURE_AND_INSERT_MESSAGE if ensure_contact else _INSERT_MESSAGE,
        msg.tenant, msg.event_id, msg.message_id, msg.contact, msg.conversation_id,
        msg.direction, msg.channel, msg.sender, msg.body, msg.user_id, msg.source,
        msg.reply_key, msg.at,
    )
    if not inserted:
        return False
    # The message that just left the recent window is folded into the summary (read with
    # the locked summary in one round trip).
    row = await conn.fetchrow(
        """SELECT c.summary, l.sender, l.body, l.occurred_at FROM contacts c
           LEFT JOIN LATERAL (SELECT sender, body, occurred_at FROM messages
                              WHERE tenant_id = $1 AND contact_id = $2
                              ORDER BY occurred_at DESC, created_at DESC OFFSET $3 LIMIT 1
                             ) l ON true
           WHERE c.tenant_id = $1 AND c.contact_id = $2 FOR UPDATE OF c""",
        msg.tenant, msg.contact, RECENT_MESSAGES,
    )
    left = (core.LeftWindow(row["sender"], row["body"], row["occurred_at"])
            if row is not None and row["sender"] is not None else None)
    new_summary = core.next_summary(row["summary"] if row is not None else None, left)
    kept = core.conversation_of(msg) if conversation else None
    conv_id, conv_channel, conv_user = kept or (None, None, None)
    await conn.execute(
        _UPDATE_CONTACT, msg.tenant, msg.contact, msg.direction, msg.at, new_summary, takeover,
        conv_id, conv_channel, conv_user,
    )
    return True


async def upsert_contact(conn: asyncpg.Connection, ev: ContactChanged,
                         hasher: AddressHasher) -> list[str]:
    """Apply GHL's description of a contact, unless a newer one was applied already; DND it
    does not mention is kept (`core.merged_dnd`), and what it changes of DND is recorded in
    the consent ledger. Returns what changed (as `core.contact_changes` decides, its tag diff
    recorded)."""
    assert ev.contact_id is not None
    c = ev.contact
    old = await conn.fetchrow(
        "SELECT tags, dnd, dnd_channels, ghl_changed_at, phone, email FROM contacts "
        "WHERE tenant_id = $1 AND contact_id = $2 FOR UPDATE",
        ev.tenant_id, ev.contact_id,
    )
    held = (core.HeldContact(old["tags"], old["dnd"], old["dnd_channels"] or {},
                             old["ghl_changed_at"], old["phone"], old["email"])
            if old is not None else None)
    if core.is_stale(held, ev.changed_at):
        return [f"contact.{ev.change}"]  # older than what is held: nothing to apply
    dnd = core.merged_dnd(held, c)
    phone = c.phone or (held.phone if held else None)
    email = c.email or (held.email if held else None)
    await conn.execute(
        """
        UPDATE contacts SET first_name = $3, last_name = $4, name = $5, email = $6, phone = $7,
            timezone = COALESCE($8, timezone), city = $9, state = $10, postal_code = $11,
            source = COALESCE($12, source), assigned_to = $13, tags = $14,
            custom_fields = $15::jsonb, dnd = $16, dnd_channels = $17::jsonb,
            address_hashes = $18, ghl_changed_at = GREATEST(ghl_changed_at, $19),
            updated_at = now()
        WHERE tenant_id = $1 AND contact_id = $2
        """,
        ev.tenant_id, ev.contact_id, c.first_name, c.last_name, c.name, email, phone,
        c.timezone, c.city, c.state, c.postal_code, c.source, c.assigned_to, c.tags,
        c.custom_fields, dnd.dnd, dnd.channels, hasher.of(phones=[phone], emails=[email]),
        ev.changed_at,
    )
    await ledger.append(conn, ev.tenant_id, ev.contact_id, core.dnd_entries(ev, held))
    diff = core.contact_changes(ev.change, held, c)
    if diff.added or diff.removed:
        await conn.execute(
            """INSERT INTO contact_tag_changes
               (tenant_id, contact_id, event_id, added, removed, changed_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
            ev.tenant_id, ev.contact_id, ev.event_id, diff.added, diff.removed,
            ev.occurred_at,
        )
    return diff.changes


async def record_activity(conn: asyncpg.Connection, ev: LeadActivityRecorded) -> None:
    await conn.execute(
        """INSERT INTO lead_events (tenant_id, event_id, contact_id, kind, ghl_type, ref_id,
                                    title, status, data, occurred_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10) ON CONFLICT DO NOTHING""",
        ev.tenant_id, ev.event_id, ev.contact_id, ev.kind, ev.ghl_type, ev.ref_id, ev.title,
        ev.status, ev.data, ev.occurred_at,
    )


async def contact_tables(conn: asyncpg.Connection) -> list[str]:
    """Every table holding per-lead rows (found, not listed, so new tables are forgotten
    too); `contacts` last. Not the consent ledger: forgetting never lifts a suppression."""
    rows = await conn.fetch(
        """SELECT table_name FROM information_schema.columns
           WHERE table_schema = 'public' AND column_name = 'contact_id'
           AND table_name IN (SELECT table_name FROM information_schema.columns
                              WHERE table_schema = 'public' AND column_name = 'tenant_id')"""
    )
    names = sorted({r["table_name"] for r in rows} - {"contacts", "consent_events"})
    return [*names, "contacts"]


async def forget_contact(conn: asyncpg.Connection, tenant: str, contact: str) -> int:
    """Delete every row of one lead but its consent: the ledger's rows are detached from the
    contact and keep the keyed hashes of its addresses (`consent_ledger.store.forget`), so the
    same phone or email returning as a new contact stays suppressed. Returns the number of
    rows removed."""
    removed = 0
    await ledger.forget(conn, tenant, contact)
    for table in await contact_tables(conn):
        status = await conn.execute(
            f'DELETE FROM "{table}" WHERE tenant_id = $1 AND contact_id = $2', tenant, contact
        )
        removed += int(status.rsplit(" ", 1)[-1])
    return removed


async def load_profile(
    conn: asyncpg.Connection, tenant: str, contact: str
) -> ProfilePart:
    row = await conn.fetchrow(
        """SELECT profile, score, score_reasons, qualification, next_questions, version
           FROM lead_profiles WHERE tenant_id = $1 AND contact_id = $2""",
        tenant, contact,
    )
    if row is None:
        return ProfilePart(tenant_id=tenant, contact_id=contact)
    return ProfilePart(tenant_id=tenant, contact_id=contact, **dict(row))


async def load_memory(conn: asyncpg.Connection, tenant: str, contact: str) -> MemoryPart | None:
    c = await conn.fetchrow(
        "SELECT * FROM contacts WHERE tenant_id = $1 AND contact_id = $2", tenant, contact
    )
    if c is None:
        return None
    rows = await conn.fetch(
        """SELECT direction, sender, channel, body, occurred_at, message_id FROM messages
           WHERE tenant_id = $1 AND contact_id = $2
           ORDER BY occurred_at DESC, created_at DESC LIMIT $3""",
        tenant, contact, RECENT_MESSAGES,
    )
    recent = [
        ContextMessage(direction=r["direction"], sender=r["sender"], channel=r["channel"],
                       body=r["body"], at=r["occurred_at"], message_id=r["message_id"])
        for r in reversed(rows)
    ]
    return memory_part(tenant, contact, c, recent)

