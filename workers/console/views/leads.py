"""Leads: the search (name, phone or email; score, last message, next follow-up) and one lead
(the conversation as a timeline, the profile with each fact's history and the message it came
from, the score and its reasons, every reply with its status and why, the consent in force
and its history, the CRM write-backs, follow-ups and appointments). Everything is read in one
transaction of the tenant (`TenantDatabase.transaction`): a lead of another tenant is not
there to find."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from schemas.envelope import utcnow
from workers.consent_ledger import fold
from workers.consent_ledger import store as ledger
from workers.console import audit, outcomes, search, timeline
from workers.console.web import Console, NotFound, Visit, redirect, scope
from workers.db.tenant import json_value
from workers.memory import tools
from workers.memory.context import ContextStore
from workers.tenants import store as tenants
from workers.timers import store as timers

LIMIT = 50
MESSAGES = 500

_SEARCH = f"""
SELECT c.contact_id,
       coalesce(nullif(c.name, ''), nullif(btrim(coalesce(c.first_name, '') || ' ' ||
                coalesce(c.last_name, '')), ''), c.contact_id) AS display_name,
       c.email, c.phone, p.score,
       m.body AS last_body, m.direction AS last_direction, m.occurred_at AS last_at,
       {timers.follow_up_columns('$1', 'c.contact_id')}
  FROM contacts c
  LEFT JOIN lead_profiles p ON p.tenant_id = c.tenant_id AND p.contact_id = c.contact_id
  LEFT JOIN LATERAL (SELECT body, direction, occurred_at FROM messages
                      WHERE tenant_id = c.tenant_id AND contact_id = c.contact_id
                      ORDER BY occurred_at DESC LIMIT 1) m ON true
 WHERE c.tenant_id = $1
   AND ($2 = '' OR c.name ILIKE $3 ESCAPE '\\'
        OR btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''))
           ILIKE $3 ESCAPE '\\'
        OR c.email ILIKE $3 ESCAPE '\\' OR c.contact_id = $2
        OR ($4 <> '' AND regexp_replace(coalesce(c.phone, ''), '\\D', '', 'g')
                         LIKE '%' || $4 || '%'))
 ORDER BY m.occurred_at DESC NULLS LAST, c.updated_at DESC
 LIMIT {LIMIT}"""


async def index(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/t/{tenant}/leads?q=...` (form#lead-search)."""
    tenant = scope(request, visit)
    query = search.parse(request.query.get("q", ""))
    async with console.db.transaction(tenant) as conn:
        conf = await tenants.read(conn, tenant)
        if not conf.known:
            raise NotFound()
        rows = [dict(r) for r in await conn.fetch(_SEARCH, tenant, query.text, query.pattern,
                                                  query.digits)]
    return console.render("leads.html", visit=visit, tenant=conf, query=query, leads=rows,
                          limit=LIMIT, forgotten=request.query.get("forgotten", ""))


_CONTACT = """
SELECT c.*, coalesce(nullif(c.name, ''), nullif(btrim(coalesce(c.first_name, '') || ' ' ||
                coalesce(c.last_name, '')), ''), c.contact_id) AS display_name
  FROM contacts c WHERE c.tenant_id = $1 AND c.contact_id = $2"""
_PROFILE = """SELECT profile, score, score_reasons, qualification, next_questions, signals,
                     summary, version, updated_at
                FROM lead_profiles WHERE tenant_id = $1 AND contact_id = $2"""
_MESSAGES = f"""SELECT * FROM (SELECT message_id, direction, channel, sender, body, user_id,
                                      source, occurred_at
                                 FROM messages WHERE tenant_id = $1 AND contact_id = $2
                                ORDER BY occurred_at DESC LIMIT {MESSAGES}) m
                ORDER BY occurred_at"""
_ACTIVITY = """SELECT kind, ghl_type, title, status, occurred_at FROM lead_events
                WHERE tenant_id = $1 AND contact_id = $2 ORDER BY occurred_at"""
_FACTS = """SELECT f.field, f.value, f.confidence, f.valid_from, f.valid_to,
                   f.source_message_id, m.body AS source_body, m.occurred_at AS source_at
              FROM lead_facts f
              LEFT JOIN messages m ON m.tenant_id = f.tenant_id
                                  AND m.message_id = f.source_message_id
             WHERE f.tenant_id = $1 AND f.contact_id = $2"""
_REPLIES = """SELECT idempotency_key, channel, body, mode, status, suppressed_reason, review,
                     reviewed_by, reviewed_at, model, cost_usd, send_after, created_at,
                     sent_at, send_error
                FROM replies WHERE tenant_id = $1 AND contact_id = $2
               ORDER BY created_at DESC"""
_CRM_WRITES = """SELECT intent_key, kind, status, ghl_id, error, created_at, updated_at
                   FROM crm_writes WHERE tenant_id = $1 AND contact_id = $2
                  ORDER BY created_at DESC"""
_CRM_CONTACT = """SELECT note_id, note_updated_at, score_tag, fields, updated_at
                    FROM crm_contacts WHERE tenant_id = $1 AND contact_id = $2"""
_APPOINTMENTS = """SELECT appointment_id, calendar_id, start_time, status, booked_by,
                          created_at, updated_at
                     FROM appointments WHERE tenant_id = $1 AND contact_id = $2
                    ORDER BY coalesce(start_time, created_at) DESC"""
_OFFERS = """SELECT offer_id, kind, slots, state, chosen_start, appointment_id, offered_at,
                    updated_at
               FROM booking_offers WHERE tenant_id = $1 AND contact_id = $2
              ORDER BY offered_at DESC"""


def _decoded(row: Any, *names: str) -> dict[str, Any]:
    out = dict(row)
    for name in names:
        out[name] = json_value(out[name])
    return out


async def lead(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/t/{tenant}/leads/{contact}`."""
    tenant = scope(request, visit)
    contact = request.match_info["contact"]
    async with console.db.transaction(tenant) as conn:
        conf = await tenants.read(conn, tenant)
        found = await conn.fetchrow(_CONTACT, tenant, contact)
        if not conf.known or found is None:
            raise NotFound()
        profile = await conn.fetchrow(_PROFILE, tenant, contact)
        messages = [dict(r) for r in await conn.fetch(_MESSAGES, tenant, contact)]
        activity = [dict(r) for r in await conn.fetch(_ACTIVITY, tenant, contact)]
        # decoded by the pool's json codec already: a fact's value may be a JSON string
        # ("relocation"), which `json_value` would try to decode a second time
        facts = [dict(r) for r in await conn.fetch(_FACTS, tenant, contact)]
        replies = [dict(r) for r in await conn.fetch(_REPLIES, tenant, contact)]
        entries = await ledger.history(conn, tenant, contact)
        crm_writes = [dict(r) for r in await conn.fetch(_CRM_WRITES, tenant, contact)]
        crm_contact = await conn.fetchrow(_CRM_CONTACT, tenant, contact)
        open_timers = await timers.open_timers(conn, tenant, contact)
        follow_up = await conn.fetchrow(
            f"SELECT {timers.follow_up_columns('$1', '$2')}", tenant, contact)
        appointments = [dict(r) for r in await conn.fetch(_APPOINTMENTS, tenant, contact)]
        offers = [_decoded(r, "slots") for r in await conn.fetch(_OFFERS, tenant, contact)]
    for r in replies:
        r["outcome"] = outcomes.outcome(r["status"], r["suppressed_reason"], r["review"])
        r["why"] = outcomes.why(r["status"], r["suppressed_reason"], r["review"],
                                r["reviewed_by"])
        r["awaiting_review"] = outcomes.awaiting_review(r["status"], r["suppressed_reason"],
                                                        r["review"])
    consent = fold(entries)
    return console.render(
        "lead.html", visit=visit, tenant=conf, contact=dict(found),
        profile=_decoded(profile, "profile", "score_reasons", "qualification",
                         "next_questions", "signals") if profile else None,
        items=timeline.merged(messages, activity), facts=timeline.by_field(facts),
        replies=replies, consent=consent, paused_until=consent.paused_until(utcnow()),
        entries=entries, crm_writes=crm_writes,
        crm_contact=_decoded(crm_contact, "fields") if crm_contact else None,
        timers=open_timers, follow_up=dict(follow_up) if follow_up else {},
        appointments=appointments, offers=offers, message_limit=MESSAGES)


async def export(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/t/{tenant}/leads/{contact}/export.json`: what `leadmem contact export`
    prints (every row of the lead, table by table), as a download."""
    tenant = scope(request, visit)
    contact = request.match_info["contact"]
    found = await tools.export_contact(console.db, tenant, contact)
    if found is None:
        raise NotFound()
    return web.Response(text=tools.to_json(found), content_type="application/json",
                        headers={"Content-Disposition":
                                 f'attachment; filename="lead-{quote(contact, safe="")}.json"'})


async def _named(console: Console, tenant: str, contact: str) -> dict[str, Any]:
    async with console.db.transaction(tenant) as conn:
        found = await conn.fetchrow(_CONTACT, tenant, contact)
        conf = await tenants.read(conn, tenant)
    if found is None or not conf.known:
        raise NotFound()
    return {"tenant": conf, "contact": dict(found)}


async def forget_confirm(console: Console, request: web.Request,
                         visit: Visit) -> web.StreamResponse:
    """`GET /console/t/{tenant}/leads/{contact}/forget`: what forgetting does, and the form
    (form#forget) that does it."""
    tenant = scope(request, visit)
    named = await _named(console, tenant, request.match_info["contact"])
    return console.render("lead_forget.html", visit=visit, **named)


async def forget(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`POST /console/t/{tenant}/leads/{contact}/forget` (with confirm=yes): what `leadmem
    contact delete` does (`workers.memory.tools.delete_contact`: Postgres and the Redis
    context; the consent ledger stays, keyed by the address hashes), then audited."""
    tenant = scope(request, visit)
    contact = request.match_info["contact"]
    named = await _named(console, tenant, contact)
    form = await request.post()
    if form.get("confirm") != "yes":
        return console.render("lead_forget.html", status=400, visit=visit, **named)
    memory = tools.Memory(console.db, console.redis, ContextStore.over(
        console.db, console.redis, console.settings.context_ttl_s))
    removed = await tools.delete_contact(memory, tenant, contact)
    async with console.db.transaction(tenant) as conn:
        await audit.record(conn, audit.Actor.of(visit.user), "contact.forget", tenant=tenant,
                           target=contact, after={"rows_removed": removed})
    return redirect(f"/console/t/{tenant}/leads?forgotten={quote(contact, safe='')}")
