"""What the demo stands up around the workers: loopback fakes of the Claude Messages API and
the GHL API (this machine has no network, the fake plays GHL's OAuth too), and its agencies,
each installed through the Marketplace flow (callback + INSTALL over HTTP), configured and
made live."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from pydantic import SecretStr

from devtools.demo import feed
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from devtools.signing import signed
from workers.db.tenant import TenantDatabase
from workers.receiver.install import CALLBACK_PATH
from workers.secrets import generate_key
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.tenants import validate

PERSONAS = {
    "loc-austin-hills": ("Austin Hills Realty", "America/Chicago"),
    "loc-phoenix-sun": ("Sun Valley Homes", "America/Phoenix"),
    "loc-tampa-bay": ("Bayside Realty", "America/New_York"),
    "loc-raleigh-oak": ("Oak City Realty", "America/New_York"),
    "loc-denver-peak": ("Peak Realty", "America/Denver"),  # the journey's (demo/journey.py)
}


# A few listings and recent sales, so recommendation and seller modes have data to use.
LISTINGS = {
    "loc-austin-hills": [
        ("rr-101", "1810 Brushy Creek Rd", "Round Rock", 529000, 3, 2.5, "single_family",
         ["yard", "garage"]),
        ("cp-204", "77 Lakeline Blvd", "Cedar Park", 615000, 4, 3.0, "single_family",
         ["pool", "garage"]),
    ],
    "loc-phoenix-sun": [
        ("gb-12", "3120 E Baseline Rd", "Gilbert", 639000, 4, 3.0, "single_family",
         ["pool", "garage"]),
    ],
}
# Profile fields each demo agency maps to its own GHL custom fields (CRM write-back).
CRM_FIELDS = {"budget_max": "fld-budget-max", "timeline": "fld-timeline",
              "locations": "fld-areas"}
COMPS = {"loc-austin-hills": [("s-1", "Cedar Park", 598000, 4), ("s-2", "Cedar Park", 571000, 3)]}


DEMO_CLIENT, DEMO_SECRET = "lead-memory-demo", "demo-client-secret"  # the app, as GHL knows it
DEMO_REDIRECT = "https://demo.lead-memory.invalid/oauth/callback"
DEMO_COMPANY = "co-demo"


async def reset(settings: Settings, agencies: list[str]) -> None:
    """A demo agency's rows (and cached contexts) from an earlier run are deleted, so each run
    starts from nothing, as its fake GHL API does."""
    db = await TenantDatabase.connect(settings.database_url, min_size=1, max_size=2)
    cache = aioredis.Redis.from_url(settings.redis_url)
    try:
        for tenant in agencies:
            async with db.transaction(tenant) as conn:  # every tenant table cascades
                await conn.execute("DELETE FROM tenants WHERE id = $1", tenant)
            keys = [k async for k in cache.scan_iter(match=f"lm:{{{tenant}}}:*")]
            if keys:
                await cache.delete(*keys)
    finally:
        await cache.aclose()
        await db.close()


async def install(http: aiohttp.ClientSession, base_url: str, webhook_url: str,
                  ghl: FakeGHLAPI, tenant: str) -> tuple[int, int]:
    """The agency installs the app as it would in GHL: GHL sends its admin to our callback
    with a code (exchanged for the location's tokens, stored encrypted), then posts a signed
    INSTALL. Returns both answers' statuses."""
    code = ghl.oauth.authorize_location(tenant, redirect_uri=DEMO_REDIRECT,
                                        company_id=DEMO_COMPANY)
    async with http.get(f"{base_url}{CALLBACK_PATH}", params={"code": code}) as resp:
        callback = resp.status
    event = {"type": "INSTALL", "appId": DEMO_CLIENT, "companyId": DEMO_COMPANY,
             "locationId": tenant, "webhookId": str(uuid.uuid4()),
             "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
    raw = json.dumps(event).encode()
    async with http.post(webhook_url, data=raw,
                         headers={"Content-Type": "application/json", **signed(raw)}) as resp:
        return callback, resp.status


async def configure(settings: Settings, areas: dict[str, list[dict[str, Any]]]) -> None:
    """What each agency does after installing: its service areas, persona and timezone (as
    `leadmem tenant config` sets them), then live (as `tenant config ID --ai on` does, which
    refuses while one of those is missing); then its listings and recent sales replicated
    from its MLS feed (`feed`)."""
    db = await TenantDatabase.connect(settings.database_url, min_size=1, max_size=2)
    try:
        for tenant, tenant_areas in areas.items():
            name, zone = PERSONAS.get(tenant, (tenant, "America/New_York"))
            async with db.transaction(tenant) as conn:
                await tenants.update(conn, tenant, {
                    **validate.service_areas(json.dumps(tenant_areas)),
                    **validate.persona(f"a friendly, concise agent at {name}"),
                    **validate.timezone(zone),
                    **validate.custom_fields(json.dumps(CRM_FIELDS)),
                    **validate.crm_default_user("user-front-desk")})
                await tenants.go_live(conn, tenant)
        synced = await feed.replicate(db, settings.master_key, LISTINGS, COMPS, list(areas))
        failed = {t: r.outcome for t, r in synced.items() if r.error or r.counts["invalid"]}
        if failed:
            raise RuntimeError(f"the demo's listing feeds did not replicate: {failed}")
        print("  listings replicated from each agency's MLS (fake RESO Web API, `leadmem "
              "listings sync`): " + ", ".join(
                  f"{t} {r.counts['listed']} listed + {r.counts['sold']} closed"
                  for t, r in synced.items()))
    finally:
        await db.close()


def _text(blocks: Any) -> str:
    if isinstance(blocks, str):
        return blocks
    return "\n".join(b.get("text", "") for b in blocks or [] if isinstance(b, dict))


def scripted_model(request: dict[str, Any]) -> str:
    """The demo's stand-in for Claude: a short reply built only from what the prompt gives
    (the lead's name and remembered preferences, the turn's most valuable question), so the
    printed replies show what the responder handed the model."""
    system = _text(request.get("system"))
    user = "\n".join(_text(m.get("content")) for m in request.get("messages", []))
    name = re.search(r'first_name: "(\w+)', user)  # values are JSON (responder/render.py)
    mode = re.search(r"^# This turn \(mode: (\w+)\)", system, re.MULTILINE)
    if mode and mode.group(1) in ("first_touch", "follow_up"):  # the agency writes first
        return _initiative(mode.group(1), system, name.group(1) if name else None)
    question = re.search(r"Most valuable open question: (.+)", system)
    known = [template.format(m.group(1).strip()) for template, field in (
        ("in {}", "locations"), ("up to ${}", "budget_max"), ("{}+ beds", "bedrooms_min"))
        if (m := re.search(rf"^{field}: (.+)$", user, re.MULTILINE))]
    ack = f" Noted: {', '.join(known)}." if known else ""
    match = re.search(r"Listing match to share \(use only these facts\): (.+)", system)
    point = re.search(r"Talking point from recent comparable sales: (.+)", system)
    ack += f" {match.group(1).strip()}" if match else ""
    ack += f" {point.group(1).strip()}" if point else ""
    ask = f" {question.group(1).strip()}" if question else ""
    hello = f"Thanks {name.group(1)}!" if name and name.group(1) != "unknown" else "Thanks!"
    return (hello + ack + ask).replace("[", "").replace("]", "").replace('"', "")


def _initiative(mode: str, system: str, name: str | None) -> str:
    """A first touch or a follow-up, from what the turn's instructions give (the agency,
    the property asked about or the source, a listing that fits)."""
    hi = f"Hi {name}" if name and name != "unknown" else "Hi"
    if mode == "follow_up":
        match = re.search(r"A listing that fits and was not sent before: (.+?)(?: Write in|$)",
                          system, re.MULTILINE)
        if match:
            return f"{hi}, a new one that fits came up: {match.group(1).strip()} Want to see it?"
        return (f"{hi}, no rush at all: are you still thinking about a move? Happy to pick "
                "it up whenever suits you.")
    agency = re.search(r"^Agency: (.+)$", system, re.MULTILINE)
    about = re.search(r"The property they asked about: (.+?)\.(?= |$)", system, re.MULTILINE)
    via = re.search(r"They came in through: (.+?)\.(?= |$)", system, re.MULTILINE)
    text = f"{hi}, this is {agency.group(1).strip() if agency else 'the team'}!"
    if about:
        return (text + f" Thanks for asking about {about.group(1)}. Would you like to see it, "
                "or shall I send a few similar homes?")
    thanks = f" Thanks for reaching out through {via.group(1)}." if via else " Thanks for " \
        "reaching out."
    return text + thanks + " Are you looking to buy, sell, or both?"


@asynccontextmanager
async def fake_apis(settings: Settings) -> AsyncIterator[tuple[Settings, FakeGHLAPI]]:
    """Start both fakes; returns settings pointing the workers at them, with the demo app's
    OAuth client (no location token is configured: each comes from its install) and a master
    key for the tokens at rest (a fresh one per run when none is set)."""
    claude = FakeMessagesAPI(responder=scripted_model)
    ghl = FakeGHLAPI(oauth_clients={DEMO_CLIENT: DEMO_SECRET})
    await claude.start()
    await ghl.start()
    try:
        yield settings.model_copy(update={
            "anthropic_api_key": SecretStr("demo-key"),
            "anthropic_base_url": claude.base_url,
            "ghl_base_url": ghl.base_url,
            "ghl_oauth_client_id": DEMO_CLIENT,
            "ghl_oauth_client_secret": SecretStr(DEMO_SECRET),
            "ghl_oauth_redirect_uri": DEMO_REDIRECT,
            "master_key": settings.master_key or SecretStr(generate_key()),
        }), ghl
    finally:
        await ghl.stop()
        await claude.stop()
