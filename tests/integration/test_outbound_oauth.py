"""GHL OAuth tokens kept in Postgres (`ghl_oauth_tokens`), encrypted with the master key:
against the real database (as the workers' role, row-level security on), the fake GHL API
and, for restarts, the real outbound worker on the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from devtools.fakes.ghl_api import FakeGHLAPI
from schemas import topics
from tests.conftest import new_tenant
from tests.integration.test_outbound import (
    config,
    delivered_events,
    reply,
    running,
    tenant_with_token,
)
from tests.support.kafka import body, keyed, publish_events, read_until
from tests.support.services import ServiceUrls
from workers.db.tenant import TenantDatabase
from workers.errors import ConfigurationError
from workers.ghl.token_store import PostgresTokenStore, put_refresh_token
from workers.ghl.tokens import OAuthTokenProvider
from workers.outbound.worker import build
from workers.runtime.host import Resources
from workers.runtime.publisher import EventPublisher
from workers.secrets import decrypt, generate_key
from workers.settings import Settings

pytestmark = pytest.mark.integration
MASTER = generate_key()
OAUTH = "/oauth/token"
SEND = "/conversations/messages"


@pytest.fixture
async def ghl() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI(oauth_clients={"cid": "secret"}) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
async def admin(migrated: ServiceUrls) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(migrated.admin_database_url)
    yield conn
    await conn.close()


async def tenant_with_refresh_token(db: TenantDatabase, ghl: FakeGHLAPI) -> str:
    tenant = new_tenant()
    ghl.add_refresh_token(f"rt-{tenant}", tenant)
    async with db.transaction(tenant) as conn:
        await conn.execute("INSERT INTO tenants (id) VALUES ($1)", tenant)
        await put_refresh_token(conn, tenant, f"rt-{tenant}", MASTER)
    return tenant


def provider(ghl: FakeGHLAPI, http: httpx.AsyncClient, db: TenantDatabase,
             **kw: Any) -> OAuthTokenProvider:
    return OAuthTokenProvider(http, base_url=ghl.base_url, client_id="cid",
                              client_secret="secret", store=PostgresTokenStore(db, MASTER), **kw)


async def stored_row(admin: asyncpg.Connection, tenant: str) -> dict[str, Any]:
    row = await admin.fetchrow("SELECT * FROM ghl_oauth_tokens WHERE tenant_id = $1", tenant)
    assert row is not None
    return dict(row)


def refresh_forms(ghl: FakeGHLAPI) -> list[tuple[int | None, str]]:
    return [(r.status, r.body["refresh_token"]) for r in ghl.requests if r.path == OAUTH]


async def test_a_refresh_stores_the_rotated_token_encrypted(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient, admin: asyncpg.Connection
) -> None:
    tenant = await tenant_with_refresh_token(db, ghl)
    access = await provider(ghl, http, db).get(tenant)
    row = await stored_row(admin, tenant)
    rotated = decrypt(row["refresh_token_enc"], MASTER)
    assert rotated != f"rt-{tenant}" and ghl.refresh_tokens[rotated] == tenant
    assert decrypt(row["access_token_enc"], MASTER) == access
    assert (row["version"], row["updated_by"]) == (2, "refresh")
    assert row["access_expires_at"] is not None
    # Nothing readable at rest: neither token appears in the row's bytes.
    raw = b"".join(bytes(row[c]) for c in ("refresh_token_enc", "access_token_enc"))
    assert rotated.encode() not in raw and access.encode() not in raw
    assert b"fake-rt-" not in raw and b"rt-" not in raw


async def test_a_location_is_seeded_from_the_settings_once(
    db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient, admin: asyncpg.Connection
) -> None:
    tenant = new_tenant()  # not even a tenant row yet
    ghl.add_refresh_token("rt-settings", tenant)
    access = await provider(ghl, http, db, seed_refresh_tokens={tenant: "rt-settings"}).get(
        tenant)
    row = await stored_row(admin, tenant)
    assert row["version"] == 2 and ghl.refresh_tokens[decrypt(row["refresh_token_enc"],
                                                               MASTER)] == tenant
    # A new process with the same (now spent) setting reads the store, not the setting: the
    # stored access token first, then (once GHL refuses it) the stored refresh token.
    again = provider(ghl, http, db, seed_refresh_tokens={tenant: "rt-settings"})
    assert await again.get(tenant) == access and len(refresh_forms(ghl)) == 1
    await again.refresh(tenant)
    assert refresh_forms(ghl)[1] == (200, decrypt(row["refresh_token_enc"], MASTER))


async def test_two_replicas_refreshing_at_once_lose_no_token(
    migrated: ServiceUrls, db: TenantDatabase, ghl: FakeGHLAPI, http: httpx.AsyncClient,
    admin: asyncpg.Connection,
) -> None:
    tenant = await tenant_with_refresh_token(db, ghl)
    other_pool = await TenantDatabase.connect(migrated.database_url)  # the second replica's
    try:
        a, b = provider(ghl, http, db), provider(ghl, http, other_pool)
        token_a, token_b = await asyncio.gather(a.refresh(tenant), b.refresh(tenant))
    finally:
        await other_pool.close()
    assert sorted(s or 0 for s, _ in refresh_forms(ghl)) == [200, 400]  # one token, spent once
    assert token_a == token_b and ghl.valid_tokens[token_a] == tenant
    row = await stored_row(admin, tenant)
    assert row["version"] == 2 and decrypt(row["access_token_enc"], MASTER) == token_a
    assert ghl.refresh_tokens[decrypt(row["refresh_token_enc"], MASTER)] == tenant


async def test_the_store_writes_only_over_the_version_it_read(
    db: TenantDatabase, ghl: FakeGHLAPI, admin: asyncpg.Connection
) -> None:
    tenant = await tenant_with_refresh_token(db, ghl)
    store = PostgresTokenStore(db, MASTER)
    read = await store.load(tenant)
    assert read is not None and read.version == 1
    results = await asyncio.gather(*(
        store.rotate(tenant, read.version, f"rt-{i}", f"acc-{i}", None) for i in range(4)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and winners[0].version == 2
    stored = await store.load(tenant)
    assert stored == winners[0]
    assert await store.rotate(tenant, 1, "rt-late", "acc-late", None) is None


async def test_another_tenant_sees_no_token_row(
    db: TenantDatabase, ghl: FakeGHLAPI
) -> None:
    tenant = await tenant_with_refresh_token(db, ghl)
    other = new_tenant()
    async with db.transaction(other) as conn:
        assert await conn.fetchval("SELECT count(*) FROM ghl_oauth_tokens") == 0
        assert await conn.execute(
            "UPDATE ghl_oauth_tokens SET version = 99 WHERE tenant_id = $1", tenant) == "UPDATE 0"
    assert await PostgresTokenStore(db, MASTER).load(other) is None
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with db.transaction(other) as conn:
            await put_refresh_token(conn, tenant, "rt-forged", MASTER)
    stored = await PostgresTokenStore(db, MASTER).load(tenant)
    assert stored is not None and stored.version == 1 and stored.refresh_token == f"rt-{tenant}"


async def test_a_restarted_worker_sends_with_the_rotated_token(
    make_settings: Callable[..., Settings], kafka: str, ghl: FakeGHLAPI, db: TenantDatabase,
    admin: asyncpg.Connection,
) -> None:
    """The defect: the rotated refresh token lived only in memory, so after one refresh and a
    restart the location could not send again (the settings' token is spent)."""
    tenant, token = await tenant_with_token(ghl, db)
    ghl.expire_token(token)
    ghl.add_refresh_token("rt-1", tenant)
    cfg = config(ghl, {tenant: token}, oauth_client_id="cid", oauth_client_secret="secret",
                 refresh_tokens={tenant: "rt-1"})
    settings = make_settings(master_key=SecretStr(MASTER))
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [reply(tenant, "First")])
    async with running(settings, cfg):
        await delivered_events(kafka, tenant, 1)
    assert refresh_forms(ghl) == [(200, "rt-1")]
    first_access = decrypt((await stored_row(admin, tenant))["access_token_enc"], MASTER)

    # Restart, and GHL has since expired the access token: the stored refresh token works.
    ghl.expire_token(first_access)
    await publish_events(kafka, topics.REPLIES_OUTBOUND, [reply(tenant, "Second")])
    async with running(make_settings(master_key=SecretStr(MASTER)), cfg):
        await read_until(kafka, topics.REPLIES_DELIVERED,
                         lambda seen: any(body(r)["body"] == "Second" for r in seen),
                         where=keyed({tenant}))
    forms = refresh_forms(ghl)
    assert len(forms) == 2 and forms[1][0] == 200 and forms[1][1] != "rt-1"
    assert [m.body["message"] for m in ghl.delivered] == ["First", "Second"]
    assert (await stored_row(admin, tenant))["version"] == 3


async def test_the_worker_refuses_oauth_without_a_master_key(
    make_settings: Callable[..., Settings], db: TenantDatabase, ghl: FakeGHLAPI,
) -> None:
    cfg = config(ghl, {}, oauth_client_id="cid", oauth_client_secret="secret")
    resources = Resources("outbound", make_settings(master_key=None),
                          EventPublisher.__new__(EventPublisher), db=db)
    async with resources.stack:
        with pytest.raises(ConfigurationError, match="LEADMEM_MASTER_KEY"):
            build(resources, config=cfg)
