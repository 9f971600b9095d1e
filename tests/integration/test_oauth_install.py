"""Installing the Marketplace app through HTTP (issue #25, item 1): GHL sends the admin to the
receiver's `GET /oauth/callback?code=...`, which exchanges the code with the strict fake GHL
API, stores the tokens encrypted (real Postgres, as the workers' role) and creates the
tenants; the outbound worker then sends with them. A token is only ever used for its own
location."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp
import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import FakeGHLAPI
from schemas import topics
from tests.conftest import new_tenant
from tests.integration.test_outbound import config, delivered_events, reply, running
from tests.support.kafka import keyed, publish_events, read_until
from tests.support.services import ServiceUrls
from tests.support.zones import midday_zone
from workers.db.tenant import TenantDatabase
from workers.ghl.token_store import put_refresh_token
from workers.ghl.tokens import TokenUnavailableError
from workers.outbound.access import company_tokens, token_provider, token_store
from workers.outbound.config import OutboundConfig
from workers.receiver.install import CALLBACK_PATH
from workers.receiver.service import Receiver
from workers.runtime.boundary import read_dead_letter
from workers.runtime.host import Resources
from workers.runtime.publisher import EventPublisher
from workers.runtime.record import Record
from workers.secrets import decrypt, generate_key
from workers.settings import Settings
from workers.tenants import store as tenants
from workers.tenants import validate

pytestmark = pytest.mark.integration

CLIENT, SECRET = "app1-cid", "app-secret"
REDIRECT = "https://hooks.example.com/oauth/callback"
MASTER = generate_key()
SEND = "/conversations/messages"


@pytest.fixture
async def ghl() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI(oauth_clients={CLIENT: SECRET}) as fake:
        yield fake


@pytest.fixture
async def admin(migrated: ServiceUrls) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(migrated.admin_database_url)
    yield conn
    await conn.close()


@pytest.fixture
def settings(make_settings: Callable[..., Settings], ghl: FakeGHLAPI) -> Settings:
    return make_settings(ghl_base_url=ghl.base_url, ghl_oauth_client_id=CLIENT,
                         ghl_oauth_client_secret=SecretStr(SECRET),
                         ghl_oauth_redirect_uri=REDIRECT, master_key=SecretStr(MASTER))


@pytest.fixture
async def receiver(settings: Settings) -> AsyncIterator[str]:
    served = Receiver(settings)
    await served.start()
    try:
        yield f"http://127.0.0.1:{served.port}"
    finally:
        await served.stop()


async def callback(base: str, code: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(
            f"{base}{CALLBACK_PATH}", params={"code": code}) as resp:
        return resp.status, await resp.text()


def oauth_config(ghl: FakeGHLAPI) -> OutboundConfig:
    return config(ghl, {}, oauth_client_id=CLIENT, oauth_client_secret=SECRET)


async def make_live(db: TenantDatabase, tenant: str) -> None:
    """What an operator does after the install (`leadmem tenant config ...`), so the tenant's
    leads may get replies."""
    async with db.transaction(tenant) as conn:
        await tenants.update(conn, tenant, {
            **validate.timezone(midday_zone()), **validate.service_areas('["Austin"]'),
            "persona": "Sam of Acme Realty"})
        await tenants.set_ai(conn, tenant, True)


@asynccontextmanager
async def worker_tokens(settings: Settings, db: TenantDatabase, cfg: OutboundConfig
                        ) -> AsyncIterator[Any]:
    """The token provider exactly as the outbound worker wires it."""
    async with AsyncExitStack() as stack, httpx.AsyncClient() as http:
        res = Resources("outbound", settings, EventPublisher.__new__(EventPublisher), db=db,
                        stack=stack)
        yield token_provider(cfg, http, token_store(res, cfg), company_tokens(res, cfg, http))


async def test_a_location_install_stores_encrypted_tokens_and_the_outbound_sends_with_them(
    settings: Settings, receiver: str, ghl: FakeGHLAPI, db: TenantDatabase,
    admin: asyncpg.Connection, kafka: str,
) -> None:
    tenant = new_tenant()
    code = ghl.oauth.authorize_location(tenant, redirect_uri=REDIRECT, company_id="coInstall")
    status, page = await callback(receiver, code)
    assert status == 200 and "Connected to lead-memory" in page
    assert f"leadmem tenant config {tenant} --timezone" in page

    row = await admin.fetchrow("SELECT * FROM ghl_oauth_tokens WHERE tenant_id = $1", tenant)
    assert row is not None and row["updated_by"] == "install"
    refresh = decrypt(row["refresh_token_enc"], MASTER)
    access = decrypt(row["access_token_enc"], MASTER)
    assert ghl.refresh_tokens[refresh] == tenant and ghl.valid_tokens[access] == tenant
    raw = bytes(row["refresh_token_enc"]) + bytes(row["access_token_enc"])
    assert refresh.encode() not in raw and access.encode() not in raw  # nothing in clear
    t = await admin.fetchrow("SELECT status, ai_enabled, company_id FROM tenants "
                             "WHERE id = $1", tenant)
    assert t is not None and dict(t) == {"status": "installed", "ai_enabled": False,
                                         "company_id": "coInstall"}

    await make_live(db, tenant)
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [reply(tenant, "Hello from Sam")])
    ghl.requests.clear()
    async with running(settings, oauth_config(ghl)):
        await delivered_events(kafka, tenant, 1)
    sent = [r for r in ghl.requests if r.path == SEND]
    assert [r.status for r in ghl.requests] == [201]  # the stored token, no refresh needed
    assert sent[0].headers["authorization"] == f"Bearer {access}"
    assert [(m.location_id, m.message) for m in ghl.delivered] == [(tenant, "Hello from Sam")]


async def test_a_used_or_unknown_code_gets_an_error_page_and_stores_nothing(
    receiver: str, ghl: FakeGHLAPI, admin: asyncpg.Connection,
) -> None:
    tenant, other = new_tenant(), new_tenant()
    code = ghl.oauth.authorize_location(tenant, redirect_uri=REDIRECT)
    assert (await callback(receiver, code))[0] == 200
    before = await admin.fetchrow("SELECT * FROM ghl_oauth_tokens WHERE tenant_id = $1",
                                  tenant)

    status, page = await callback(receiver, code)  # a reload of the page: the code is spent
    assert status == 400 and "expired or was already used" in page
    assert "Invalid authorization code" in page
    after = await admin.fetchrow("SELECT * FROM ghl_oauth_tokens WHERE tenant_id = $1", tenant)
    assert after == before

    for unknown in ("never-issued", "x" * 40):
        status, page = await callback(receiver, unknown)
        assert status == 400 and "nothing was connected" in page
    unused = ghl.oauth.authorize_location(other, redirect_uri="https://elsewhere.example/cb")
    status, _ = await callback(receiver, unused)  # issued for another redirect URI
    assert status == 400
    assert await admin.fetchval("SELECT count(*) FROM tenants WHERE id = $1", other) == 0
    assert await admin.fetchval("SELECT count(*) FROM ghl_oauth_tokens WHERE tenant_id = $1",
                                other) == 0


async def test_an_agency_install_mints_a_token_for_each_approved_location_and_only_those(
    settings: Settings, receiver: str, ghl: FakeGHLAPI, db: TenantDatabase,
    admin: asyncpg.Connection,
) -> None:
    company = f"co{new_tenant()}"
    a, b, outsider = new_tenant(), new_tenant(), new_tenant()
    code = ghl.oauth.authorize_company(company, [a, b], redirect_uri=REDIRECT)
    status, page = await callback(receiver, code)
    assert status == 200 and "Agency connected" in page
    assert f"<code>{a}</code>" in page and f"<code>{b}</code>" in page

    agency = await admin.fetchrow("SELECT * FROM ghl_company_tokens WHERE company_id = $1",
                                  company)
    assert agency is not None and agency["updated_by"] == "install"
    assert ghl.oauth.company_refresh[decrypt(agency["refresh_token_enc"], MASTER)] == company
    minted = {m.location_id: m.access_token for m in ghl.oauth.minted
              if m.company_id == company}
    assert set(minted) == {a, b}  # each approved location, and only those
    links = {r["tenant_id"]: r for r in await admin.fetch(
        "SELECT * FROM ghl_company_locations WHERE company_id = $1", company)}
    assert set(links) == {a, b}
    for location in (a, b):
        assert decrypt(links[location]["access_token_enc"], MASTER) == minted[location]
        assert ghl.valid_tokens[minted[location]] == location
    statuses = {r["id"]: r["status"] for r in await admin.fetch(
        "SELECT id, status FROM tenants WHERE id = ANY($1::text[])", [a, b, outsider])}
    assert statuses == {a: "installed", b: "installed"}  # no tenant for the outsider

    # The outbound's tokens: each location its own minted token, the outsider none.
    async with worker_tokens(settings, db, oauth_config(ghl)) as tokens:
        assert await tokens.get(a) == minted[a] and await tokens.get(b) == minted[b]
        ghl.requests.clear()
        with pytest.raises(TokenUnavailableError, match=outsider):
            await tokens.get(outsider)
        assert ghl.requests == []

    # Who may read the agency's tokens: a transaction naming the company, nothing else.
    async with db.transaction(a) as conn:
        assert await conn.fetchval("SELECT count(*) FROM ghl_company_tokens") == 0
        assert await conn.fetchval("SELECT count(*) FROM ghl_company_locations") == 1
    async with db.company_transaction(f"co{new_tenant()}") as conn:
        assert await conn.fetchval("SELECT count(*) FROM ghl_company_tokens") == 0
    async with db.company_transaction(company) as conn:
        assert await conn.fetchval("SELECT count(*) FROM ghl_company_tokens") == 1
        assert await conn.fetchval("SELECT count(*) FROM ghl_company_locations") == 0
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with db.transaction(a) as conn:
            await conn.execute("INSERT INTO ghl_company_tokens (company_id, refresh_token_enc) "
                               "VALUES ($1, '\\xdead'::bytea)", f"co{new_tenant()}")
    forced = await admin.fetchval("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class "
                                  "WHERE relname = 'ghl_company_tokens'")
    assert forced


async def test_a_minted_token_refused_by_ghl_is_minted_again(
    settings: Settings, receiver: str, ghl: FakeGHLAPI, db: TenantDatabase,
    admin: asyncpg.Connection,
) -> None:
    company, location = f"co{new_tenant()}", new_tenant()
    code = ghl.oauth.authorize_company(company, [location], redirect_uri=REDIRECT)
    assert (await callback(receiver, code))[0] == 200
    async with worker_tokens(settings, db, oauth_config(ghl)) as tokens:
        first = await tokens.get(location)
        ghl.expire_token(first)  # a day later
        second = await tokens.refresh(location)
    assert second != first and ghl.valid_tokens[second] == location
    row = await admin.fetchrow("SELECT access_token_enc FROM ghl_company_locations "
                               "WHERE tenant_id = $1", location)
    assert row is not None and decrypt(row["access_token_enc"], MASTER) == second


async def test_a_refresh_that_answers_another_locations_token_is_refused(
    settings: Settings, ghl: FakeGHLAPI, db: TenantDatabase, admin: asyncpg.Connection,
) -> None:
    mine, theirs = new_tenant(), new_tenant()
    ghl.add_refresh_token("rt-of-theirs", theirs)
    async with db.transaction(mine) as conn:
        await tenants.add(conn, mine, None)
        await put_refresh_token(conn, mine, "rt-of-theirs", MASTER)
    async with worker_tokens(settings, db, oauth_config(ghl)) as tokens:
        with pytest.raises(TokenUnavailableError, match=f"location {theirs} for location "
                                                        f"{mine}: refused"):
            await tokens.get(mine)
    row = await admin.fetchrow("SELECT * FROM ghl_oauth_tokens WHERE tenant_id = $1", mine)
    assert row is not None and row["version"] == 1 and row["access_token_enc"] is None
    assert decrypt(row["refresh_token_enc"], MASTER) == "rt-of-theirs"
    assert await admin.fetchval("SELECT count(*) FROM ghl_oauth_tokens WHERE tenant_id = $1",
                                theirs) == 0


async def test_a_location_with_no_token_of_its_own_gets_none(
    settings: Settings, ghl: FakeGHLAPI, db: TenantDatabase, kafka: str,
) -> None:
    """No fallback: not another location's static token, not a default one."""
    owner, stranger = new_tenant(), new_tenant()
    ghl.add_token(f"tok-{owner}", owner)
    for tenant in (owner, stranger):
        async with db.transaction(tenant) as conn:
            await tenants.add(conn, tenant, None)
    for cfg in (config(ghl, {owner: f"tok-{owner}"}),
                config(ghl, {owner: f"tok-{owner}"}, oauth_client_id=CLIENT,
                       oauth_client_secret=SECRET)):
        async with worker_tokens(settings, db, cfg) as tokens:
            assert await tokens.get(owner) == f"tok-{owner}"
            with pytest.raises(TokenUnavailableError, match=stranger):
                await tokens.get(stranger)

    # Through the worker: the stranger's reply is never sent with anyone's token.
    await make_live(db, stranger)
    ghl.requests.clear()
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [reply(stranger, "Hi")])
    async with running(settings, config(ghl, {owner: f"tok-{owner}"})):
        dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 1,
                               where=keyed({stranger}))
    letter = read_dead_letter(Record.from_consumer(dlq[0]))
    assert letter.error_type == "TokenUnavailableError" and stranger in letter.error
    assert [r for r in ghl.requests if r.path == SEND] == []
    assert all(m.location_id != stranger for m in ghl.delivered)


async def test_a_mint_that_fails_at_install_is_done_at_the_first_send(
    settings: Settings, receiver: str, ghl: FakeGHLAPI, db: TenantDatabase,
    admin: asyncpg.Connection,
) -> None:
    company, a, b = f"co{new_tenant()}", new_tenant(), new_tenant()
    code = ghl.oauth.authorize_company(company, [a, b], redirect_uri=REDIRECT)
    ghl.inject(Fault(status=503, path="/oauth/locationToken"))  # GHL blips on the first mint
    status, page = await callback(receiver, code)
    assert status == 200 and "no access token yet" in page and "503" in page
    links = {r["tenant_id"]: r["access_token_enc"] for r in await admin.fetch(
        "SELECT tenant_id, access_token_enc FROM ghl_company_locations WHERE company_id = $1",
        company)}
    assert set(links) == {a, b} and links[a] is None and links[b] is not None
    async with worker_tokens(settings, db, oauth_config(ghl)) as tokens:
        assert ghl.valid_tokens[await tokens.get(a)] == a
