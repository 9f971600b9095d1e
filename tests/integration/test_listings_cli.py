"""`leadmem tenant config --reso-*`, `leadmem listings sync|import` and `leadmem tenant show`
through the real CLI entry point (`workers.cli.main`, in a thread: each command runs its own
loop), against the real Postgres and the fake RESO Web API."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import AsyncIterator, Awaitable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from unittest.mock import patch

import pytest

import workers.cli
from devtools.fakes.reso_api import FakeResoAPI, sample_listings
from tests.conftest import new_tenant
from tests.support.services import ServiceUrls
from tests.support.tenants import add_tenants
from workers.db.tenant import TenantDatabase
from workers.listings import store
from workers.secrets import decrypt, generate_key

pytestmark = pytest.mark.integration
MASTER_KEY = generate_key()
TOKEN = "feed-token-123"


@dataclass
class Result:
    code: int
    out: str
    err: str


class Leadmem(Protocol):
    def __call__(self, *argv: str, stdin: str | None = None) -> Awaitable[Result]: ...


@pytest.fixture
def leadmem(migrated: ServiceUrls, monkeypatch: pytest.MonkeyPatch) -> Leadmem:
    for name, value in {"DATABASE_URL": migrated.database_url,
                        "ADMIN_DATABASE_URL": migrated.admin_database_url,
                        "MASTER_KEY": MASTER_KEY}.items():
        monkeypatch.setenv(f"LEADMEM_{name}", value)

    def invoke(argv: tuple[str, ...], stdin: str | None) -> Result:
        out, err = io.StringIO(), io.StringIO()
        given = io.StringIO(stdin) if stdin is not None else sys.stdin
        code = 0
        with redirect_stdout(out), redirect_stderr(err), patch.object(sys, "stdin", given):
            try:
                workers.cli.main(list(argv))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
        return Result(code, out.getvalue(), err.getvalue())

    async def run(*argv: str, stdin: str | None = None) -> Result:
        return await asyncio.to_thread(invoke, argv, stdin)

    return run


@pytest.fixture
async def api() -> AsyncIterator[FakeResoAPI]:
    fake = FakeResoAPI(tokens={TOKEN: "agency"}, clients={"cid": "csecret"})
    fake.load(sample_listings(300, seed=31))
    async with fake:
        yield fake


@pytest.fixture
async def tenant(db: TenantDatabase) -> str:
    t = new_tenant()
    await add_tenants(db, t)
    return t


async def feed_row(db: TenantDatabase, tenant: str) -> dict[str, Any] | None:
    async with db.transaction(tenant) as conn:
        row = await conn.fetchrow("SELECT * FROM listing_feeds")
    return None if row is None else dict(row)


async def test_configure_sync_and_show(leadmem: Leadmem, db: TenantDatabase, api: FakeResoAPI,
                                       tenant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = await leadmem("tenant", "config", tenant, "--reso-url", api.base_url,
                            "--reso-token", TOKEN)
    assert refused.code == 2 and "--reso-token-env VAR" in refused.err
    assert TOKEN not in refused.err and await feed_row(db, tenant) is None
    no_token = await leadmem("tenant", "config", tenant, "--reso-url", api.base_url)
    assert no_token.code == 2 and "needs its bearer token" in no_token.err
    unset = await leadmem("tenant", "config", tenant, "--reso-url", api.base_url,
                          "--reso-token-env", "FEED_TOKEN")
    assert unset.code == 2 and "FEED_TOKEN is not set" in unset.err
    monkeypatch.setenv("FEED_TOKEN", TOKEN)
    remote = await leadmem("tenant", "config", tenant, "--reso-url", "http://mls.example.com",
                           "--reso-token-env", "FEED_TOKEN")
    assert remote.code == 2 and "https" in remote.err
    escaping = await leadmem("tenant", "config", tenant, "--reso-filter", "City eq 'a') or (true")
    assert escaping.code == 2 and "parenthesis" in escaping.err
    done = await leadmem("tenant", "config", tenant, "--reso-url", api.base_url,
                         "--reso-token-env", "FEED_TOKEN", "--reso-page-size", "100",
                         "--reso-rate", "50/40000", "--reso-filter",
                         "OriginatingSystemName eq 'actris'")
    assert done.code == 0, done.err
    assert "reso feed" in done.out and "reso token (encrypted)" in done.out
    row = await feed_row(db, tenant)
    assert row is not None and TOKEN.encode() not in bytes(row["token_enc"])
    assert decrypt(row["token_enc"], MASTER_KEY) == TOKEN
    assert (row["page_size"], row["rate_per_s"], row["daily_limit"]) == (100, 50.0, 40000)

    synced = await leadmem("listings", "sync", tenant)
    assert synced.code == 0, synced.err
    assert f"tenant {tenant}: sync ok" in synced.out and "300 records in 3 pages" in synced.out
    progress = [line for line in synced.err.splitlines() if line.startswith(tenant)]
    assert len(progress) >= 3 and "3 pages, 300 records" in progress[2]

    shown = await leadmem("tenant", "show", tenant)
    assert shown.code == 0, shown.err
    listings = json.loads(shown.out)["listings"]
    assert sum(listings["by_status"].values()) + listings["comparable_sales"] \
        + json.loads(shown.out)["listings"]["feed"]["last_sync_detail"]["counts"]["removed"] \
        == 300
    assert listings["active"] == listings["by_status"]["active"] > 0
    feed = listings["feed"]
    assert (feed["base_url"], feed["auth"], feed["token"]) == (api.base_url, "bearer", "set")
    assert (feed["last_sync_outcome"], feed["last_sync_records"]) == ("ok", 300)
    assert feed["last_reconciled_at"] is not None and feed["syncing_since"] is None
    assert TOKEN not in shown.out

    as_json = await leadmem("listings", "sync", tenant, "--json", "--full")
    body = json.loads(as_json.out)
    assert as_json.code == 0 and body["outcome"] == "ok" and body["records"] == 300

    async with db.transaction(tenant) as conn:  # another sync holds the feed
        await store.claim(conn, tenant, "other", datetime.now(UTC), timedelta(minutes=10),
                          MASTER_KEY)
    busy = await leadmem("listings", "sync", tenant)
    assert busy.code == 1 and "not synced (busy): another sync holds the feed" in busy.err
    full = await leadmem("listings", "sync", tenant, "--full")
    assert full.code == 2 and "is under way" in full.err

    off = await leadmem("tenant", "config", tenant, "--reso-url", "off")
    assert off.code == 0 and "reso feed removed" in off.out
    missing = await leadmem("listings", "sync", tenant)
    assert missing.code == 2 and "has no RESO feed" in missing.err


async def test_client_credentials_from_stdin(leadmem: Leadmem, db: TenantDatabase,
                                             api: FakeResoAPI, tenant: str) -> None:
    done = await leadmem("tenant", "config", tenant, "--reso-url", api.base_url,
                         "--reso-client-id", "cid", "--reso-client-secret-stdin",
                         "--reso-token-url", f"{api.base_url}/oauth2/token", stdin="csecret\n")
    assert done.code == 0, done.err
    row = await feed_row(db, tenant)
    assert row is not None and row["auth"] == "client_credentials" and row["token_enc"] is None
    assert decrypt(row["client_secret_enc"], MASTER_KEY) == "csecret"
    synced = await leadmem("listings", "sync", tenant)
    assert synced.code == 0 and "sync ok" in synced.out
    wrong = await leadmem("tenant", "config", tenant, "--reso-client-secret-stdin",
                          stdin="nope")
    assert wrong.code == 0
    failed = await leadmem("listings", "sync", tenant)
    assert failed.code == 1 and "sync auth_failed" in failed.out and "invalid_client" in \
        failed.out


async def test_csv_import_good_and_bad(leadmem: Leadmem, db: TenantDatabase, tenant: str,
                                       tmp_path: Path) -> None:
    header = "ListingKey,StandardStatus,ListPrice,ClosePrice,CloseDate,City,BedroomsTotal," \
             "MediaURL,PublicRemarks"
    good = tmp_path / "good.csv"
    good.write_text("\n".join((
        header,
        "C1,Active,450000,,,Austin,3,https://p.test/c1.jpg,Nice",
        "C2,Coming Soon,\"$510,000\",,,Round Rock,4,,",
        "C3,Closed,,430000,2026-01-20,Austin,3,,",
    )) + "\n")
    imported = await leadmem("listings", "import", tenant, str(good))
    assert imported.code == 0, imported.err
    assert "imported 3 rows" in imported.out and "PublicRemarks" in imported.err
    async with db.transaction(tenant) as conn:
        listings = {r["listing_id"]: dict(r) for r in await conn.fetch("SELECT * FROM listings")}
        sales = await conn.fetch("SELECT sale_id, sold_price, source FROM comparable_sales")
    assert set(listings) == {"C1", "C2"}
    assert (listings["C2"]["status"], listings["C2"]["price"], listings["C2"]["source"]) == (
        "coming_soon", 510000, "csv")
    assert listings["C1"]["photo_url"] == "https://p.test/c1.jpg"
    assert [(s["sale_id"], s["sold_price"], s["source"]) for s in sales] == [
        ("C3", 430000, "csv")]

    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join((
        header,
        "C1,Active,460000,,,Austin,3,,",        # fine, but not written: the file has errors
        "C4,Active,lots,,,Austin,3,,",          # line 3
        "C5,Sold,1,,,Austin,3,,",               # line 4
        "C6,Active,1,,,Austin,3,,",             # fine
        "C7,Closed,,1,,Austin,three,,",         # line 6: two problems
    )) + "\n")
    refused = await leadmem("listings", "import", tenant, str(bad))
    assert refused.code == 1
    assert f"{bad}:3: ListPrice: not a number ('lots')" in refused.err
    assert f"{bad}:4: StandardStatus: not a RESO StandardStatus ('Sold')" in refused.err
    assert f"{bad}:6: BedroomsTotal: not a number ('three')" in refused.err
    assert f"{bad}:6: CloseDate: missing" in refused.err
    assert "4 problem(s) on 3 line(s); nothing imported" in refused.err
    async with db.transaction(tenant) as conn:
        after = {r["listing_id"]: r["price"] for r in
                 await conn.fetch("SELECT listing_id, price FROM listings")}
    assert after == {"C1": 450000, "C2": 510000}  # nothing of the bad file

    replacing = tmp_path / "replace.csv"
    replacing.write_text(header + "\nC2,Pending,500000,,,Round Rock,4,,\n")
    dry = await leadmem("listings", "import", tenant, str(replacing), "--replace", "--dry-run")
    assert dry.code == 0 and "nothing written" in dry.out
    replaced = await leadmem("listings", "import", tenant, str(replacing), "--replace")
    assert replaced.code == 0 and "2 rows deleted" in replaced.out  # C1 and the sale C3
    async with db.transaction(tenant) as conn:
        assert [tuple(r) for r in await conn.fetch("SELECT listing_id, status FROM listings")] \
            == [("C2", "pending")]

    unreadable = await leadmem("listings", "import", tenant, str(tmp_path / "none.csv"))
    assert unreadable.code == 2 and "cannot read" in unreadable.err
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"ListingKey\n\xff\xfe\n")
    assert "not UTF-8" in (await leadmem("listings", "import", tenant, str(binary))).err
