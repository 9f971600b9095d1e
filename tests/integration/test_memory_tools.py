"""Memory tools through their commands, on the real Postgres and Redis: contact delete /
export, cache warm, integrity, legacy import, and a tiny context benchmark."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from devtools import bench_cmds
from schemas.events import LeadActivityRecorded
from tests.conftest import new_tenant
from tests.support.cli import run_in_thread
from tests.support.events import BASE, contact_changed, message
from tests.support.services import ServiceUrls, drop_database
from workers.cli import memory_cmds
from workers.consent_ledger import store as ledger
from workers.consent_ledger.addresses import hasher_for
from workers.db.tenant import TenantDatabase
from workers.memory import store
from workers.memory.cache import ContextCache, memory_key, profile_key
from workers.memory.context import ContextStore

pytestmark = pytest.mark.integration


@pytest.fixture
def contexts(db: TenantDatabase, redis: aioredis.Redis) -> ContextStore:
    return ContextStore(db, ContextCache(redis, 3600))


@pytest.fixture(autouse=True)
def env(migrated: ServiceUrls, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' settings come from the environment, as `leadmem`'s do."""
    monkeypatch.setenv("LEADMEM_DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("LEADMEM_ADMIN_DATABASE_URL", migrated.admin_database_url)
    monkeypatch.setenv("LEADMEM_REDIS_URL", migrated.redis_url)


async def cli(*argv: str) -> tuple[int, str]:
    """Run a command as `leadmem` would (its own event loop, hence a thread)."""
    return await run_in_thread([memory_cmds.register, bench_cmds.register], *argv)


async def seed(db: TenantDatabase, tenant: str, contact: str, *, messages: int = 3,
               inbound_at: datetime = BASE) -> None:
    async with db.transaction(tenant) as conn:
        await store.ensure_lead(conn, tenant, contact)
        await store.upsert_contact(conn, contact_changed(tenant, contact, tags=["buyer"]),
                                   hasher_for(None))
        for i in range(messages):
            ev = message(tenant, contact, f"message {i}", i=i)
            await store.record_message(conn, ev.model_copy(
                update={"occurred_at": inbound_at + timedelta(minutes=i)}))


async def test_export_then_delete_one_lead(db: TenantDatabase, redis: aioredis.Redis,
                                           contexts: ContextStore) -> None:
    tenant = new_tenant()
    await seed(db, tenant, "gone")
    await seed(db, tenant, "kept")
    async with db.transaction(tenant) as conn:
        await store.record_activity(conn, LeadActivityRecorded(
            event_id="act-1", tenant_id=tenant, contact_id="gone", occurred_at=BASE,
            received_at=BASE, kind="appointment", ghl_type="AppointmentCreate",
            title="Showing at Elm St"))
        await conn.execute(
            """INSERT INTO lead_facts (tenant_id, contact_id, field, value, valid_from)
               VALUES ($1, 'gone', 'bedrooms_min', '3'::jsonb, $2)""", tenant, BASE)
    assert await contexts.get_context(tenant, "gone") is not None

    code, out = await cli("contact", "export", tenant, "gone")
    assert code == 0
    dump = json.loads(out)
    assert dump["contact"]["contact_id"] == "gone" and dump["contact"]["tags"] == ["buyer"]
    assert [m["body"] for m in dump["messages"]] == ["message 0", "message 1", "message 2"]
    assert dump["messages"][0]["occurred_at"] == BASE.isoformat()
    assert dump["lead_events"][0]["title"] == "Showing at Elm St"
    assert dump["lead_facts"][0]["value"] == 3 and dump["replies"] == []
    assert len(dump["conversations"]) == 1

    code, out = await cli("contact", "delete", tenant, "gone")
    assert code == 0 and out.startswith("removed ")
    assert not await redis.exists(memory_key(tenant, "gone"), profile_key(tenant, "gone"))
    assert await cli("contact", "export", tenant, "gone") == (
        2, f"no lead 'gone' in tenant {tenant!r}")
    assert (await cli("contact", "delete", tenant, "gone"))[0] == 2
    code, out = await cli("contact", "export", tenant, "kept")
    assert code == 0 and len(json.loads(out)["messages"]) == 3


async def test_cache_warm_loads_recently_active_leads_newest_first(
    db: TenantDatabase, redis: aioredis.Redis
) -> None:
    tenant, now = new_tenant(), datetime.now(UTC)
    await seed(db, tenant, "new", inbound_at=now - timedelta(hours=1))
    await seed(db, tenant, "recent", inbound_at=now - timedelta(days=2))
    await seed(db, tenant, "dormant", inbound_at=now - timedelta(days=40))

    assert await cli("cache", "warm", "--tenant", tenant, "--limit", "1") == (
        0, "warmed 1 lead context(s)\n")
    assert await redis.exists(memory_key(tenant, "new"), profile_key(tenant, "new")) == 2
    assert not await redis.exists(memory_key(tenant, "recent"))
    assert (await cli("cache", "warm", "--tenant", tenant))[1] == "warmed 2 lead context(s)\n"
    cached = json.loads(await redis.get(memory_key(tenant, "recent")) or b"null")
    assert cached["message_count"] == 3 and cached["tenant_id"] == tenant
    assert not await redis.exists(memory_key(tenant, "dormant"))
    code, out = await cli("cache", "warm", "--limit", "1")  # all tenants, via admin listing
    assert code == 0 and out == "warmed 1 lead context(s)\n"
    assert (await cli("cache", "warm", "--tenant", "a}b"))[0] == 2


async def test_integrity_reports_drift_and_repairs_it(
    db: TenantDatabase, redis: aioredis.Redis, contexts: ContextStore
) -> None:
    tenant, other = new_tenant(), new_tenant()
    for contact in ("stale", "removed", "swapped", "fine"):
        await seed(db, tenant, contact)
        assert await contexts.get_context(tenant, contact) is not None
    await seed(db, other, "x")
    foreign = await contexts.get_context(other, "x")
    assert foreign is not None
    async with db.transaction(tenant) as conn:  # Postgres changes behind the cache's back
        await store.record_message(conn, message(tenant, "stale", "one more", i=9))
        await store.forget_contact(conn, tenant, "removed")
    await redis.set(memory_key(tenant, "swapped"), foreign.memory.model_dump_json())
    await redis.set(profile_key(tenant, "fine"), b"{not json")

    code, out = await cli("integrity", "--tenant", tenant)
    assert code == 1
    found = sorted(tuple(line.split("\t")[:2]) for line in out.splitlines() if "\t" in line)
    assert found == sorted([
        ("corrupt", profile_key(tenant, "fine")),
        ("orphan", memory_key(tenant, "removed")), ("orphan", profile_key(tenant, "removed")),
        ("stale", memory_key(tenant, "stale")),
        ("tenant_mismatch", memory_key(tenant, "swapped")),
    ])
    assert "differs in last_inbound_at, message_count, recent" in out
    assert out.splitlines()[-1].startswith("checked 8 cache entries: 5 drifted")

    assert (await cli("integrity", "--tenant", tenant, "--repair"))[0] == 0
    code, out = await cli("integrity", "--tenant", tenant)
    assert (code, out) == (0, "checked 6 cache entries: 0 drifted\n")
    assert not await redis.exists(memory_key(tenant, "removed"))
    ctx = await contexts.get_context(tenant, "stale")
    assert ctx is not None and ctx.memory.message_count == 4
    assert (await cli("integrity", "--tenant", other))[0] == 0


async def test_fill_profile_never_overwrites_a_cached_profile(
    db: TenantDatabase, redis: aioredis.Redis, contexts: ContextStore
) -> None:
    tenant = new_tenant()
    await seed(db, tenant, "c1")
    ctx = await contexts.load(tenant, "c1")
    assert ctx is not None
    assert await contexts.fill_profile(ctx.profile) is True
    newer = ctx.profile.model_copy(update={"score": "hot", "version": 2})
    await contexts.put(newer)
    assert await contexts.fill_profile(ctx.profile) is False
    assert await redis.get(profile_key(tenant, "c1")) == newer.model_dump_json().encode()


def legacy_file(location: str, contact: str, **extra: Any) -> dict[str, Any]:
    return {
        "contact_id": contact, "location_id": location,
        "conversation_history": [
            {"role": "assistant", "content": "Hi! Are you looking to buy?",
             "timestamp": "2025-03-01T10:00:00Z"},
            {"role": "user", "content": "Yes, 3 beds in Austin under 500k",
             "timestamp": "2025-03-01T10:05:00Z"},
            {"role": "assistant", "content": "Great, any timeline?",
             "timestamp": "2025-03-01T10:06:00Z"},
        ],
        "extracted_preferences": {"bedrooms": 3, "location": "Austin", "budget": 500000,
                                  "pets": "dog"},
        "lead_score": 82, "conversation_stage": "qualifying",
        "previous_sessions_summary": "Asked about condos in 2024.",
    } | extra


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(directory.rglob("*")) if p.is_file()}


async def rows(db: TenantDatabase, tenant: str) -> dict[str, list[Any]]:
    async with db.transaction(tenant) as conn:
        return {t: [dict(r) for r in await conn.fetch(f"SELECT * FROM {t} ORDER BY 1, 2, 3")]
                for t in ("tenants", "contacts", "messages", "lead_facts", "lead_profiles")}


async def test_legacy_import(tmp_path: Path, db: TenantDatabase, redis: aioredis.Redis,
                             contexts: ContextStore) -> None:
    loc, loc2 = new_tenant(), new_tenant()
    (tmp_path / loc).mkdir()
    (tmp_path / loc2).mkdir()
    files = {
        f"{loc}/a1.json": json.dumps(legacy_file(loc, "a1")).encode(),
        f"{loc}/a2.json": json.dumps(legacy_file(loc, "a2", lead_score="warm",
                                                 conversation_history=[])).encode(),
        f"{loc}/bad.json": b'{"contact_id": "bad",',
        f"{loc}/wrong.json": json.dumps(legacy_file(loc, "other")).encode(),
        f"{loc}/latin.json": json.dumps(legacy_file(loc, "latin")).encode().replace(
            b"Austin", "Aust\xefn".encode("latin-1")),
        f"{loc2}/b1.json": json.dumps({"contact_id": "b1", "location_id": loc2}).encode(),
    }
    for name, raw in files.items():
        (tmp_path / name).write_bytes(raw)
    before = snapshot(tmp_path)

    code, out = await cli("import", "legacy", str(tmp_path), "--dry-run")
    assert code == 1 and out.splitlines()[-1] == (
        "dry run, nothing written: files 6, leads 2, messages imported 3, "
        "messages skipped 0, preferences 8, errors 4")
    assert (await rows(db, loc))["contacts"] == [] and not await redis.exists(
        memory_key(loc, "a1"))

    code, out = await cli("import", "legacy", str(tmp_path))
    assert code == 1
    errors = {line.split("\t")[1]: line.split("\t")[2] for line in out.splitlines()
              if line.startswith("error\t")}
    assert sorted(errors) == sorted(str(tmp_path / n) for n in (
        f"{loc}/bad.json", f"{loc}/wrong.json", f"{loc}/latin.json", f"{loc2}/b1.json"))
    assert errors[str(tmp_path / loc / "wrong.json")].startswith("contact_id 'other' does not")
    assert errors[str(tmp_path / loc / "latin.json")].startswith("not UTF-8")
    assert errors[str(tmp_path / loc / "bad.json")].startswith("bad JSON")
    assert "conversation_history" in errors[str(tmp_path / loc2 / "b1.json")]
    assert out.splitlines()[-1] == ("imported: files 6, leads 2, messages imported 3, "
                                    "messages skipped 0, preferences 8, errors 4")
    first = await rows(db, loc)
    a1 = next(c for c in first["contacts"] if c["contact_id"] == "a1")
    assert a1["message_count"] == 3
    assert a1["last_inbound_at"] == datetime(2025, 3, 1, 10, 5, tzinfo=UTC)
    assert a1["summary"] == "- earlier sessions: Asked about condos in 2024."
    assert [(m["direction"], m["sender"], m["channel"]) for m in sorted(
        first["messages"], key=lambda m: m["occurred_at"])] == [
        ("outbound", "ai", "sms"), ("inbound", "lead", "sms"), ("outbound", "ai", "sms")]
    facts = {f["field"]: f for f in first["lead_facts"] if f["contact_id"] == "a1"}
    assert {k: f["value"] for k, f in facts.items()} == {
        "bedrooms_min": 3, "locations": ["Austin"], "budget_max": 500000, "pets": "dog"}
    assert facts["bedrooms_min"]["source_event_id"] == "legacy"
    assert facts["bedrooms_min"]["confidence"] == pytest.approx(0.8)
    assert facts["bedrooms_min"]["valid_from"] == datetime(2025, 3, 1, 10, 6, tzinfo=UTC)
    profiles = {p["contact_id"]: p for p in first["lead_profiles"]}
    assert profiles["a1"]["score"] == "hot" and profiles["a2"]["score"] == "warm"
    assert profiles["a1"]["qualification"] == {"stage": "qualifying"}
    assert profiles["a1"]["profile"]["locations"] == ["Austin"]
    ctx = await contexts.get_context(loc, "a1")  # refreshed in Redis by the import
    assert await redis.exists(memory_key(loc, "a2"), profile_key(loc, "a2")) == 2
    assert ctx is not None and ctx.memory.message_count == 3 and ctx.profile.score == "hot"

    code, out = await cli("import", "legacy", str(tmp_path))
    assert out.splitlines()[-1] == ("imported: files 6, leads 2, messages imported 0, "
                                    "messages skipped 3, preferences 0, errors 4")
    assert await rows(db, loc) == first
    assert snapshot(tmp_path) == before


async def test_legacy_facts_never_override_what_was_learned_later(
    tmp_path: Path, db: TenantDatabase
) -> None:
    loc = new_tenant()
    async with db.transaction(loc) as conn:
        await store.ensure_lead(conn, loc, "c1")
        await conn.execute(
            """INSERT INTO lead_facts (tenant_id, contact_id, field, value, valid_from)
               VALUES ($1, 'c1', 'bedrooms_min', '4'::jsonb, '2026-01-01')""", loc)
    (tmp_path / loc).mkdir()
    (tmp_path / loc / "c1.json").write_text(json.dumps(legacy_file(loc, "c1")))
    for _ in range(2):
        assert (await cli("import", "legacy", str(tmp_path)))[0] == 0
    async with db.transaction(loc) as conn:
        history = await conn.fetch("SELECT value, valid_to FROM lead_facts WHERE "
                                   "field = 'bedrooms_min' ORDER BY valid_from")
        profile = await conn.fetchval("SELECT profile FROM lead_profiles")
    assert [(r["value"], r["valid_to"]) for r in history] == [
        (3, datetime(2026, 1, 1, tzinfo=UTC)), (4, None)]
    assert "bedrooms_min" not in profile and profile["budget_max"] == 500000


async def test_context_bench_smoke(migrated: ServiceUrls) -> None:
    database = f"leadmem_bench_smoke_{os.getpid()}"
    try:
        code, out = await cli("bench", "context", "--leads", "50", "--tenants", "3",
                              "--reads", "200", "--database", database, "--redis-db", "13")
    finally:
        await drop_database(migrated.admin_database_url, database)
    result = json.loads(out.splitlines()[-1])
    assert code == 0 and result["leads"] == 50 and result["stream_reads"] >= 200
    for key in ("warm_p50_ms", "warm_p95_ms", "warm_p99_ms", "cold_p50_ms", "cold_p95_ms",
                "cold_p99_ms", "hit_rate", "build_s", "messages"):
        assert key in result
    assert 0 < result["hit_rate"] <= 1


async def test_a_legacy_lead_who_said_stop_stays_stopped(tmp_path: Path,
                                                         db: TenantDatabase) -> None:
    """The old system's conversations are read as live ones are: the lead's STOP is recorded
    in the consent ledger, so importing it cannot make the AI text that lead again."""
    loc = new_tenant()
    (tmp_path / loc).mkdir()
    history = [{"role": "assistant", "content": "Hi! Still looking in Austin?",
                "timestamp": "2025-03-01T10:00:00Z"},
               {"role": "user", "content": "please stop texting me",
                "timestamp": "2025-03-01T10:05:00Z"}]
    (tmp_path / loc / "s1.json").write_text(json.dumps(
        legacy_file(loc, "s1", conversation_history=history)))
    code, _ = await cli("import", "legacy", str(tmp_path))
    assert code == 0
    async with db.transaction(loc) as conn:
        consent = await ledger.read(conn, loc, "s1")
    assert consent.opted_out_of("sms") and consent.opt_out is not None
    assert consent.opt_out.occurred_at == datetime(2025, 3, 1, 10, 5, tzinfo=UTC)
