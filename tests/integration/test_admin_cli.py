"""`leadmem tenant|dlq|status` against the real broker and Postgres, through the real CLI
entry point (`workers.cli.main`), run in a thread because each command runs its own loop."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from collections.abc import Awaitable, Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from unittest.mock import patch

import asyncpg
import pytest

import workers.cli
from devtools.demo.ghl_events import inbound_message
from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer, keyed, read_until
from tests.support.workers import running
from workers.cli import admin
from workers.db.tenant import TenantDatabase
from workers.ghl.token_store import PostgresTokenStore, StoredTokens
from workers.secrets import decrypt, generate_key
from workers.settings import Settings

pytestmark = pytest.mark.integration
MASTER_KEY = generate_key()


@dataclass
class Result:
    code: int
    out: str
    err: str


class Leadmem(Protocol):
    def __call__(self, *argv: str, stdin: str | None = None) -> Awaitable[Result]: ...


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def leadmem(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Leadmem:
    """Runs `leadmem ARGS...` with the test's services in the environment."""
    env = {"KAFKA_BOOTSTRAP": settings.bootstrap, "DATABASE_URL": settings.database_url,
           "ADMIN_DATABASE_URL": settings.admin_database_url, "REDIS_URL": settings.redis_url,
           "CONSUMER_GROUP_PREFIX": settings.consumer_group_prefix, "MASTER_KEY": MASTER_KEY}
    for name, value in env.items():
        monkeypatch.setenv(f"LEADMEM_{name}", value)
    if admin.register not in workers.cli.MODULES:  # until the lead wires it in
        monkeypatch.setattr(workers.cli, "MODULES", (*workers.cli.MODULES, admin.register))

    def invoke(argv: tuple[str, ...], stdin: str | None) -> Result:
        out, err = io.StringIO(), io.StringIO()
        given = io.StringIO(stdin) if stdin is not None else sys.stdin
        with redirect_stdout(out), redirect_stderr(err), patch.object(sys, "stdin", given):
            try:
                workers.cli.main(list(argv))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
        return Result(code, out.getvalue(), err.getvalue())

    async def run(*argv: str, stdin: str | None = None) -> Result:
        return await asyncio.to_thread(invoke, argv, stdin)

    return run


async def test_onboarding_a_tenant(leadmem: Leadmem, settings: Settings) -> None:
    tenant = new_tenant()
    added = await leadmem("tenant", "add", tenant, "--name", "Acme Realty")
    assert (added.code, added.out.strip()) == (0, f"added tenant {tenant}")
    assert (await leadmem("tenant", "add", tenant)).out.strip() == f"updated tenant {tenant}"
    listed = await leadmem("tenant", "list")
    assert listed.code == 0
    assert any(line.split()[:3] == [tenant, "Acme", "Realty"] for line in listed.out.splitlines())

    configured = await leadmem(
        "tenant", "config", tenant, "--model", "claude-haiku-4-5", "--persona", "Sam at Acme",
        "--service-areas", '["Austin", {"name": "Round Rock", "aliases": ["RR"]}]',
        "--quiet-hours", "21:00-08:00", "--channels", "sms,email", "--ai", "off",
        "--timezone", "America/Chicago", "--api-key-stdin", stdin="sk-ant-secret-123\n",
    )
    assert configured.code == 0, configured.err
    shown = await leadmem("tenant", "show", tenant)
    for result in (configured, shown):
        assert "sk-ant-secret-123" not in result.out + result.err
    data = json.loads(shown.out)
    assert data["name"] == "Acme Realty" and data["ai_enabled"] is False
    conf = data["settings"]
    assert conf["claude_model"] == "claude-haiku-4-5" and conf["persona"] == "Sam at Acme"
    assert conf["service_areas"] == [{"name": "Austin", "aliases": []},
                                     {"name": "Round Rock", "aliases": ["RR"]}]
    assert conf["quiet_hours"] == {"no_texts_from": "21:00", "no_texts_until": "08:00"}
    assert conf["reply_channels"] == ["email", "sms"]  # a set, shown sorted
    assert conf["timezone"] == "America/Chicago" and conf["claude_api_key"] == "set"
    assert data["counts"] == {"contacts": 0, "messages": 0, "replies": 0, "lead_profiles": 0}

    conn = await asyncpg.connect(settings.admin_database_url)
    try:
        stored = await conn.fetchval(
            "SELECT claude_api_key_enc FROM tenant_settings WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()
    assert b"sk-ant-secret" not in stored
    assert decrypt(stored, MASTER_KEY) == "sk-ant-secret-123"


@pytest.mark.parametrize(("argv", "message"), [
    (("--quiet-hours", "25:00-08:00"), "expected HH:MM-HH:MM"),
    (("--channels", "sms,pigeon"), "unknown pigeon"),
    (("--timezone", "Mars/Olympus"), "unknown time zone"),
    (("--service-areas", '{"Austin": 1}'), "must be a JSON list"),
    (("--service-areas", "[1]"), "is not a name"),
    (("--model", " "), "must not be empty"),
    ((), "nothing to change"),
])
async def test_config_rejects_bad_input(leadmem: Leadmem, argv: tuple[str, ...],
                                        message: str) -> None:
    tenant = new_tenant()
    assert (await leadmem("tenant", "add", tenant)).code == 0
    result = await leadmem("tenant", "config", tenant, *argv)
    assert result.code == 2 and message in result.err and result.out == ""


async def test_bad_tenants_and_a_missing_master_key_are_refused(
    leadmem: Leadmem, monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = await leadmem("tenant", "config", new_tenant(), "--model", "m")
    assert unknown.code == 2 and "tenant add" in unknown.err
    assert "invalid tenant id" in (await leadmem("tenant", "add", "bad id!")).err
    assert (await leadmem("tenant", "show", new_tenant())).code == 2
    tenant = new_tenant()
    await leadmem("tenant", "add", tenant)
    monkeypatch.delenv("LEADMEM_MASTER_KEY")
    refused = await leadmem("tenant", "config", tenant, "--api-key-stdin", stdin="sk-ant-plain")
    assert refused.code == 2 and "LEADMEM_MASTER_KEY" in refused.err
    assert "sk-ant-plain" not in refused.err + refused.out
    refused = await leadmem("tenant", "config", tenant, "--ghl-refresh-token-stdin",
                            stdin="rt-plain")
    assert refused.code == 2 and "LEADMEM_MASTER_KEY" in refused.err
    assert "rt-plain" not in refused.err + refused.out


async def stored_api_key(settings: Settings, tenant: str) -> bytes | None:
    conn = await asyncpg.connect(settings.admin_database_url)
    try:
        value: bytes | None = await conn.fetchval(
            "SELECT claude_api_key_enc FROM tenant_settings WHERE tenant_id = $1", tenant)
        return value
    finally:
        await conn.close()


async def test_the_api_key_comes_from_stdin_or_the_environment_never_argv(
    leadmem: Leadmem, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = new_tenant()
    await leadmem("tenant", "add", tenant)
    argv = ("tenant", "config", tenant, "--api-key-stdin")
    from_stdin = await leadmem(*argv, stdin="  sk-ant-from-stdin\n")
    assert from_stdin.code == 0, from_stdin.err
    assert "claude_api_key (encrypted)" in from_stdin.out
    stored = await stored_api_key(settings, tenant)
    assert stored is not None and decrypt(stored, MASTER_KEY) == "sk-ant-from-stdin"

    monkeypatch.setenv("TENANT_ANTHROPIC_KEY", "sk-ant-from-env")
    argv_env = ("tenant", "config", tenant, "--api-key-env", "TENANT_ANTHROPIC_KEY")
    from_env = await leadmem(*argv_env)
    assert from_env.code == 0, from_env.err
    stored = await stored_api_key(settings, tenant)
    assert stored is not None and decrypt(stored, MASTER_KEY) == "sk-ant-from-env"
    for argv_used, result in ((argv, from_stdin), (argv_env, from_env)):
        assert not any("sk-ant" in arg for arg in argv_used)
        assert "sk-ant" not in result.out + result.err


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (("--api-key", "sk-ant-in-argv"), None, "--api-key-stdin"),
    (("--api-key",), None, "--api-key-env VAR"),
    (("--api-key-stdin",), "", "standard input was empty"),
    (("--api-key-stdin",), "sk-ant-a\nsk-ant-b\n", "must be one word"),
    (("--api-key-env", "LEADMEM_TEST_UNSET_VAR"), None, "LEADMEM_TEST_UNSET_VAR is not set"),
    (("--api-key-stdin", "--ghl-refresh-token-stdin"), "x", "both read standard input"),
])
async def test_secrets_in_argv_and_bad_secret_sources_are_refused(
    leadmem: Leadmem, settings: Settings, argv: tuple[str, ...], stdin: str | None,
    message: str,
) -> None:
    tenant = new_tenant()
    await leadmem("tenant", "add", tenant)
    result = await leadmem("tenant", "config", tenant, *argv, stdin=stdin)
    assert result.code == 2 and message in result.err, result.err
    assert "sk-ant" not in result.out + result.err and result.out == ""
    assert await stored_api_key(settings, tenant) is None  # nothing was stored


async def test_an_operator_stores_a_locations_ghl_refresh_token(
    leadmem: Leadmem, settings: Settings, db: TenantDatabase, monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = new_tenant()
    await leadmem("tenant", "add", tenant)
    first = await leadmem("tenant", "config", tenant, "--ghl-refresh-token-stdin",
                          stdin="rt-operator-1\n")
    assert first.code == 0, first.err
    assert "ghl_refresh_token (encrypted, version 1)" in first.out
    store = PostgresTokenStore(db, MASTER_KEY)
    # A refresh stored an access token meanwhile; a replaced refresh token drops it.
    loaded = await store.load(tenant)
    assert loaded is not None
    assert await store.rotate(tenant, loaded.version, "rt-rotated", "acc-1", None) is not None
    monkeypatch.setenv("GHL_RT", "rt-operator-2")
    second = await leadmem("tenant", "config", tenant, "--ghl-refresh-token-env", "GHL_RT")
    assert second.code == 0 and "version 3" in second.out
    assert await store.load(tenant) == StoredTokens("rt-operator-2", 3)
    shown = await leadmem("tenant", "show", tenant)
    oauth = json.loads(shown.out)["settings"]["ghl_refresh_token"]
    assert (oauth["version"], oauth["updated_by"]) == (3, "operator")
    for result in (first, second, shown):
        assert "rt-operator" not in result.out + result.err and "rt-rotated" not in result.out
    conn = await asyncpg.connect(settings.admin_database_url)
    try:
        raw = await conn.fetchval(
            "SELECT refresh_token_enc FROM ghl_oauth_tokens WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()
    assert b"rt-operator" not in raw


async def test_the_installed_command_reads_the_key_from_a_pipe(
    settings: Settings, leadmem: Leadmem
) -> None:
    """The real `leadmem` process: the key travels through a pipe, not its argv."""
    tenant = new_tenant()
    await leadmem("tenant", "add", tenant)
    argv = [str(Path(sys.executable).with_name("leadmem")), "tenant", "config", tenant,
            "--api-key-stdin"]
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=dict(os.environ))
    out, err = await asyncio.wait_for(proc.communicate(b"sk-ant-piped\n"), 60)
    assert proc.returncode == 0, err.decode()
    assert b"sk-ant" not in out + err and not any("sk-ant" in a for a in argv)
    stored = await stored_api_key(settings, tenant)
    assert stored is not None and decrypt(stored, MASTER_KEY) == "sk-ant-piped"


async def test_dlq_list_show_and_replay_exactly_once(
    leadmem: Leadmem, settings: Settings, kafka: str
) -> None:
    tenant, other = new_tenant(), new_tenant()
    poison = [b"{not json", json.dumps(
        {**inbound_message(tenant, "c1", "x"), "attachments": "nope"}).encode()]
    async with RawProducer(kafka) as producer:
        for value in poison:
            await producer.send(topics.GHL_EVENTS, value, key=tenant, headers={"x-trace": "t1"})
        await producer.send(topics.GHL_EVENTS, b"[1]", key=other)
    async with running(settings, "ingestion"):
        await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 3,
                         where=keyed({tenant, other}))

    listed = await leadmem("dlq", "list", "--tenant", tenant)
    assert listed.code == 0 and "2 dead letter(s), 2 shown, 0 replayed" in listed.out
    rows = [line.split() for line in listed.out.splitlines()[1:-1]]
    assert {r[2] for r in rows} == {tenant} and {r[3] for r in rows} == {"ingestion"}
    first = rows[0][0]
    shown = json.loads((await leadmem("dlq", "show", first)).out)
    assert shown["source_topic"] == topics.GHL_EVENTS and shown["worker"] == "ingestion"
    assert shown["value"] == poison[0].decode() and shown["replayed"] is False
    assert shown["headers"]["x-trace"] == "t1" and shown["error_type"]

    replay = await leadmem("dlq", "replay", "--tenant", tenant, "--all")
    assert replay.code == 0 and replay.out.startswith("replayed 2 dead letter(s)")
    again = await leadmem("dlq", "replay", "--tenant", tenant, "--all")
    assert again.out.startswith("replayed 0") and "skipped 2 already replayed" in again.out
    one = await leadmem("dlq", "replay", first)
    assert one.out.startswith("replayed 0") and f"skipped 1 already replayed: {first}" in one.out

    replayed = await read_until(
        kafka, topics.GHL_EVENTS, lambda s: len(s) >= 2, settle_s=1.0,
        where=lambda r: r.key == tenant.encode() and any(k == "replay-of" for k, _ in r.headers))
    assert sorted(r.value for r in replayed) == sorted(poison)  # the original bytes, once each
    for r in replayed:
        assert dict(r.headers)["x-trace"] == b"t1"
        assert not any(k.startswith("dlq-") for k, _ in r.headers)
    assert "0 dead letter(s)" not in (after := await leadmem("dlq", "list", "--tenant", tenant)).out
    assert "2 replayed" in after.out

    # The replay ledger is owner-only: the workers' role sees no row and can write none.
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM dlq_replays") == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                """INSERT INTO dlq_replays (worker, source_topic, source_partition,
                       source_offset, dlq_partition, dlq_offset, error_type)
                   VALUES ('x', 'ghl.events', 0, 0, 0, 0, 'x')""")
    finally:
        await conn.close()


@pytest.mark.parametrize(("argv", "message"), [
    (("dlq", "replay"), "say which dead letters"),
    (("dlq", "replay", "--all", "0:1"), "say which dead letters"),
    (("dlq", "show", "nope"), "is not PARTITION:OFFSET"),
    (("dlq", "show", "0:999999"), "no dead letter at 0:999999"),
    (("dlq", "replay", "0:999999"), "no dead letter at 0:999999"),
    (("dlq", "list", "--limit", "0"), "--limit must be at least 1"),
    (("status", "--url", "memory"), "WORKER=URL"),
])
async def test_dlq_and_status_argument_errors(leadmem: Leadmem, argv: tuple[str, ...],
                                              message: str) -> None:
    result = await leadmem(*argv)
    assert result.code == 2 and message in result.err


async def test_status_reports_health_lag_and_dlq(leadmem: Leadmem, settings: Settings) -> None:
    async with running(settings, "ingestion") as (host,):
        assert host.http is not None
        nowhere = "http://127.0.0.1:1"  # nothing listens there
        result = await leadmem("status", "--url", f"ingestion=http://127.0.0.1:{host.http.port}",
                               "--url", f"memory={nowhere}", "--url", f"responder={nowhere}")
    lines = {line.split()[0]: line.split() for line in result.out.splitlines() if line}
    assert lines["ingestion"][1:3] == ["ready", "broker=ok"]
    assert "postgres=ok" in lines["ingestion"] and lines["ingestion"][4].isdigit()
    assert lines["responder"][1] == "unreachable"
    assert "dead letters:" in result.out and "on pipeline.dlq" in result.out
    assert "context cache hit rate: unknown" in result.out
    assert result.code == 1  # not every worker is up
