"""An agency's whole Marketplace life through HTTP (issue #25): GHL sends the admin to our
`GET /oauth/callback?code=...` and posts a signed INSTALL; the agency finishes its settings and
goes live; a lead's message is answered with the location's own OAuth token; GHL posts a
signed UNINSTALL; the next message gets no reply and no CRM write, the location's tokens are
gone and its consent ledger stays.

The receiver and the five workers run in this process against the real broker, Postgres and
Redis; Claude and GHL (with its OAuth endpoints) are the strict loopback fakes. No operator
types a token: the only secrets are the app's client credentials and the master key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from devtools.demo.ghl_events import contact_event, inbound_message
from devtools.demo.receiver import receiver_running, webhook_url
from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from devtools.signing import signed
from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import body, keyed, read_until
from tests.support.services import ServiceUrls
from tests.support.workers import eventually, running
from tests.support.zones import midday_zone
from workers.consent_ledger import store as ledger
from workers.db.tenant import TenantDatabase
from workers.receiver.install import CALLBACK_PATH
from workers.secrets import generate_key
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.tenants import validate

pytestmark = pytest.mark.e2e
CLIENT, SECRET = "app-cid", "app-secret"
REDIRECT = "https://hooks.example.com/oauth/callback"


def model(request: dict[str, Any]) -> str:
    return "Thanks Dana! Happy to help in Round Rock. When are you hoping to move?"


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeMessagesAPI, FakeGHLAPI]]:
    async with FakeMessagesAPI(responder=model) as claude, \
            FakeGHLAPI(oauth_clients={CLIENT: SECRET}) as ghl:
        yield claude, ghl


async def post(http: aiohttp.ClientSession, url: str, event: dict[str, Any]) -> int:
    raw = json.dumps(event, indent=1).encode()
    async with http.post(url, data=raw, headers={"Content-Type": "application/json",
                                                 **signed(raw)}) as resp:
        return resp.status


def app_event(kind: str, tenant: str, company: str) -> dict[str, Any]:
    return {"type": kind, "appId": "app1", "companyId": company, "locationId": tenant,
            "webhookId": str(uuid.uuid4()),
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z")}


async def test_install_go_live_answer_uninstall_silence(
    make_settings: Callable[..., Settings], kafka: str, migrated: ServiceUrls,
    fakes: tuple[FakeMessagesAPI, FakeGHLAPI],
) -> None:
    claude, ghl = fakes
    tenant, company = new_tenant(), f"co{uuid.uuid4().hex[:8]}"
    settings = make_settings(
        anthropic_api_key=SecretStr("test-key"), anthropic_base_url=claude.base_url,
        ghl_base_url=ghl.base_url, ghl_oauth_client_id=CLIENT,
        ghl_oauth_client_secret=SecretStr(SECRET), ghl_oauth_redirect_uri=REDIRECT,
        master_key=SecretStr(generate_key()))
    db = await TenantDatabase.connect(migrated.database_url)
    try:
        async with running(settings, "ingestion", "memory", "learning", "responder",
                           "outbound"), receiver_running(settings) as receiver, \
                aiohttp.ClientSession() as http:
            url = webhook_url(receiver)
            base = url.split("/webhooks/")[0]
            # 1. Install: GHL redirects the admin with a code, then posts INSTALL.
            code = ghl.oauth.authorize_location(tenant, redirect_uri=REDIRECT,
                                                company_id=company)
            async with http.get(f"{base}{CALLBACK_PATH}", params={"code": code}) as resp:
                page = await resp.text()
                assert resp.status == 200, page
            assert tenant in page
            assert await post(http, url, app_event("INSTALL", tenant, company)) == 200
            async with db.transaction(tenant) as conn:
                installed = await tenants.read(conn, tenant)
                assert await conn.fetchval("SELECT count(*) FROM ghl_oauth_tokens") == 1
            assert (installed.status, installed.ai_enabled) == ("installed", False)

            # 2. The agency finishes its settings and goes live (what `tenant config` does).
            async with db.transaction(tenant) as conn:
                await tenants.update(conn, tenant, {
                    **validate.timezone(midday_zone()), **validate.persona("Warm agent"),
                    **validate.service_areas('["Round Rock"]')})
                await tenants.go_live(conn, tenant)

            # 3. A lead writes: answered through GHL with the location's own OAuth token.
            # GHL's DND on email for her: recorded in the consent ledger.
            created = contact_event(tenant, "dana", first="Dana", dnd_settings={
                "Email": {"status": "active", "message": "", "code": ""}})
            assert await post(http, url, {**created, "timezone": midday_zone()}) == 200
            first = inbound_message(tenant, "dana", "Hi, 3 beds in round rock please")
            assert await post(http, url, first) == 200
            await eventually(lambda: ghl.delivered, timeout_s=60)
            (sent,) = ghl.delivered
            assert (sent.location_id, sent.contact_id) == (tenant, "dana")
            sends = [r for r in ghl.requests if r.path == "/conversations/messages"]
            assert sends and all(r.status in (200, 201) for r in sends)

            # 4. UNINSTALL: tokens gone at once, the tenant silent.
            assert await post(http, url, app_event("UNINSTALL", tenant, company)) == 200

            async def uninstalled() -> bool:
                async with db.transaction(tenant) as conn:
                    return await tenants.status(conn, tenant) == "uninstalled"
            await eventually(uninstalled, timeout_s=30)
            calls_before = len(ghl.requests)
            later = inbound_message(tenant, "dana", "Also, is there anything with a pool?")
            assert await post(http, url, later) == 200
            # What the pipeline did with it, after giving it time (the first answer took <2 s).
            seen = await read_until(kafka, topics.MEMORY_UPDATED, lambda rs: True,
                                    where=keyed({tenant}), settle_s=5.0)
        async with db.transaction(tenant) as conn:
            tokens_left = await conn.fetchval("SELECT count(*) FROM ghl_oauth_tokens")
            kept = await ledger.read(conn, tenant, "dana")
    finally:
        await db.close()

    assert [body(r) for r in seen if body(r).get("message_id") == later["messageId"]] == []
    assert len(ghl.delivered) == 1  # no reply after the UNINSTALL
    assert ghl.requests[calls_before:] == []  # no send, no CRM write-back
    assert tokens_left == 0
    assert "email" in kept.dnd  # the consent ledger outlives the install
