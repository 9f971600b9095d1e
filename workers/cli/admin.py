"""Operator commands: `tenant` (onboard and configure), `dlq` (inspect and replay dead letters)
and `status` (health, lag, DLQ size and cache hit rate at a glance).

Connections: tenant-scoped reads and writes (`tenant add|show|config`) go through
`TenantDatabase.transaction` as the workers' role, under row-level security. Commands that
read across tenants (`tenant list`) and the replay ledger (`dlq_replays`, owner-only) use the
admin connection, `LEADMEM_ADMIN_DATABASE_URL` (a superuser or BYPASSRLS role).
A replay re-publishes a dead letter's original bytes, key and headers (plus `replay-of`) to
its source topic and records it in `dlq_replays` in the same transaction, so replaying the
same dead letters again re-sends nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar, get_args
from zoneinfo import ZoneInfo

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from schemas.events import Channel, DeadLetter
from schemas.topics import ALL_TOPICS, PIPELINE_DLQ
from workers.cli.errors import CliError
from workers.db.tenant import TenantDatabase
from workers.errors import ConfigurationError, RetryableError
from workers.metrics import status as pipeline_status
from workers.runtime.boundary import read_dead_letter
from workers.runtime.record import Record
from workers.secrets import encrypt
from workers.settings import Settings

Sub = Any  # argparse's private _SubParsersAction
T = TypeVar("T")
_TENANT_ID = re.compile(r"^[A-Za-z0-9_.@+\-]{1,128}$")
_POSITION = re.compile(r"^(\d+):(\d+)$")
_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
_QUIET = re.compile(rf"^({_HHMM})-({_HHMM})$")
CHANNELS: tuple[str, ...] = get_args(Channel)
# Postgres away: raised by asyncpg directly, or as RetryableError by TenantDatabase.
SERVICE_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
                  RetryableError)


def register(sub: Sub) -> None:
    t = sub.add_parser("tenant", help="onboard and configure tenants (GHL locations)")
    ts = t.add_subparsers(dest="tenant_command", required=True, metavar="ACTION")
    p = ts.add_parser("add", help="create a tenant (idempotent)")
    p.add_argument("tenant_id", metavar="ID", help="the GHL locationId")
    p.add_argument("--name")
    p.set_defaults(func=lambda a: run(tenant_add(a)))
    ts.add_parser("list", help="every tenant (admin connection)").set_defaults(
        func=lambda a: run(tenant_list(a)))
    p = ts.add_parser("show", help="one tenant's configuration and counts (JSON)")
    p.add_argument("tenant_id", metavar="ID")
    p.set_defaults(func=lambda a: run(tenant_show(a)))
    p = ts.add_parser("config", help="change a tenant's reply configuration")
    p.add_argument("tenant_id", metavar="ID")
    p.add_argument("--model", help="Claude model for this tenant")
    p.add_argument("--persona", help="who the assistant speaks as")
    p.add_argument("--api-key", help="the tenant's own Anthropic key (stored encrypted)")
    p.add_argument("--service-areas", metavar="JSON",
                   help='["Austin", {"name": "Round Rock", "aliases": ["RR"]}]')
    p.add_argument("--quiet-hours", metavar="HH:MM-HH:MM", help="e.g. 21:00-08:00, or off")
    p.add_argument("--channels", help="reply channels, comma separated: " + ",".join(CHANNELS))
    p.add_argument("--ai", choices=("on", "off"), help="AI replies on or off")
    p.add_argument("--timezone", metavar="TZ", help="IANA name, e.g. America/Chicago")
    p.set_defaults(func=lambda a: run(tenant_config(a)))

    d = sub.add_parser("dlq", help="inspect and replay the dead-letter topic")
    ds = d.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    p = ds.add_parser("list", help="the latest dead letters")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--tenant")
    p.set_defaults(func=lambda a: run(dlq_list(a)))
    p = ds.add_parser("show", help="one dead letter in full (JSON)")
    p.add_argument("position", metavar="PARTITION:OFFSET")
    p.set_defaults(func=lambda a: run(dlq_show(a)))
    p = ds.add_parser("replay", help="re-publish dead letters to their source topics")
    p.add_argument("--tenant")
    p.add_argument("--all", action="store_true", help="every dead letter (of --tenant)")
    p.add_argument("positions", nargs="*", metavar="PARTITION:OFFSET")
    p.set_defaults(func=lambda a: run(dlq_replay(a)))

    p = sub.add_parser("status", help="worker health, consumer lag, DLQ size, cache hit rate")
    p.add_argument("--host", help="where the workers listen (default LEADMEM_HTTP_HOST); "
                   "'{worker}' stands for each worker's name, e.g. in compose")
    p.add_argument("--url", action="append", default=[], metavar="WORKER=URL",
                   help="base URL of one worker (repeatable), e.g. memory=http://memory:9102")
    p.set_defaults(func=lambda a: run(status(a)))


def run(coro: Awaitable[int]) -> int:
    """Run a command; a service that does not answer is a one-line error, not a traceback."""
    async def guarded() -> int:
        try:
            return await coro
        except KafkaError as exc:
            raise CliError(f"Kafka at {Settings().bootstrap} did not answer: {exc}") from exc
        except SERVICE_ERRORS as exc:
            raise CliError(f"Postgres did not answer: {type(exc).__name__}: {exc}") from exc

    return asyncio.run(guarded())


def tenant_id(value: str) -> str:
    if not _TENANT_ID.match(value):
        raise CliError(f"invalid tenant id {value!r}: use 1-128 of A-Z a-z 0-9 _ . @ + -")
    return value


@asynccontextmanager
async def tenant_tx(tenant: str) -> AsyncIterator[asyncpg.Connection]:
    """A transaction as the workers' role in which only `tenant`'s rows exist."""
    tenant = tenant_id(tenant)
    db = await TenantDatabase.connect(Settings().database_url, min_size=1, max_size=1)
    try:
        async with db.transaction(tenant) as conn:
            yield conn
    finally:
        await db.close()


@asynccontextmanager
async def admin_conn() -> AsyncIterator[asyncpg.Connection]:
    """The admin connection: sees every tenant; the only one that may touch `dlq_replays`."""
    conn = await asyncpg.connect(Settings().admin_database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def tenant_add(args: argparse.Namespace) -> int:
    async with tenant_tx(args.tenant_id) as conn:
        created = await conn.fetchval(
            """INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE
               SET name = COALESCE(EXCLUDED.name, tenants.name) RETURNING xmax = 0""",
            args.tenant_id, args.name)
        await conn.execute("INSERT INTO tenant_settings (tenant_id) VALUES ($1) "
                           "ON CONFLICT (tenant_id) DO NOTHING", args.tenant_id)
    print(f"{'added' if created else 'updated'} tenant {args.tenant_id}")
    return 0


async def tenant_list(args: argparse.Namespace) -> int:
    async with admin_conn() as conn:
        rows = await conn.fetch(
            """SELECT t.id, coalesce(t.name, '') AS name, t.ai_enabled,
                      coalesce(s.claude_model, '-') AS model,
                      s.claude_api_key_enc IS NOT NULL AS own_key,
                      (SELECT count(*) FROM contacts c WHERE c.tenant_id = t.id) AS contacts
               FROM tenants t LEFT JOIN tenant_settings s ON s.tenant_id = t.id
               ORDER BY t.id""")
    table([("TENANT", "NAME", "AI", "MODEL", "OWN KEY", "CONTACTS")] + [
        (r["id"], r["name"], "on" if r["ai_enabled"] else "off", r["model"],
         "yes" if r["own_key"] else "no", str(r["contacts"])) for r in rows])
    print(f"{len(rows)} tenant(s)")
    return 0


async def tenant_show(args: argparse.Namespace) -> int:
    async with tenant_tx(args.tenant_id) as conn:
        tenant = await conn.fetchrow("SELECT * FROM tenants WHERE id = $1", args.tenant_id)
        if tenant is None:
            raise CliError(f"no tenant {args.tenant_id!r} (add it with `tenant add`)")
        conf = await conn.fetchrow("SELECT * FROM tenant_settings WHERE tenant_id = $1",
                                   args.tenant_id)
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # RLS: this tenant
                  for t in ("contacts", "messages", "replies", "lead_profiles")}
    settings = dict(conf) if conf is not None else {}
    settings["claude_api_key"] = "set" if settings.pop("claude_api_key_enc", None) else "not set"
    settings.pop("tenant_id", None)
    print(json.dumps({**dict(tenant), "settings": settings, "counts": counts},
                     indent=2, default=str))
    return 0


def config_changes(args: argparse.Namespace) -> dict[str, Any]:
    """Validated column values for `tenant config` (raises CliError on bad input)."""
    changes: dict[str, Any] = {}
    if args.model is not None:
        if not args.model.strip():
            raise CliError("--model must not be empty")
        changes["claude_model"] = args.model.strip()
    if args.persona is not None:
        changes["persona"] = args.persona
    if args.api_key is not None:
        key = Settings().master_key
        if key is None:
            raise CliError("--api-key needs LEADMEM_MASTER_KEY to encrypt it; refusing to "
                           "store it in clear")
        try:
            changes["claude_api_key_enc"] = encrypt(args.api_key, key)
        except ConfigurationError as exc:
            raise CliError(str(exc)) from exc
    if args.service_areas is not None:
        changes["service_areas"] = service_areas(args.service_areas)
    if args.quiet_hours is not None:
        changes["quiet_hours"] = quiet_hours(args.quiet_hours)
    if args.channels is not None:
        chosen = [c.strip() for c in args.channels.split(",") if c.strip()]
        unknown = sorted(set(chosen) - set(CHANNELS))
        if not chosen or unknown:
            raise CliError(f"--channels: unknown {', '.join(unknown) or '(none given)'}; "
                           f"choose from {', '.join(CHANNELS)}")
        changes["reply_channels"] = chosen
    if args.timezone is not None:
        try:
            ZoneInfo(args.timezone)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise CliError(f"--timezone: unknown time zone {args.timezone!r}") from exc
        changes["timezone"] = args.timezone
    return changes


def service_areas(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError(f"--service-areas is not JSON: {exc}") from exc
    if not isinstance(data, list):
        raise CliError("--service-areas must be a JSON list")
    areas = []
    for item in data:
        if isinstance(item, str) and item.strip():
            areas.append({"name": item.strip(), "aliases": []})
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and all(
                isinstance(a, str) for a in item.get("aliases", [])):
            areas.append({"name": item["name"], "aliases": list(item.get("aliases", []))})
        else:
            raise CliError(f"--service-areas: {item!r} is not a name or "
                           '{"name": ..., "aliases": [...]}')
    return areas


def quiet_hours(text: str) -> dict[str, str] | None:
    if text.lower() in ("off", "none", ""):
        return None
    match = _QUIET.match(text)
    if match is None:
        raise CliError(f"--quiet-hours {text!r}: expected HH:MM-HH:MM, e.g. 21:00-08:00")
    return {"start": match.group(1), "end": match.group(3)}


async def tenant_config(args: argparse.Namespace) -> int:
    changes = config_changes(args)
    if not changes and args.ai is None:
        raise CliError("nothing to change: give at least one option (see --help)")
    async with tenant_tx(args.tenant_id) as conn:
        if not await conn.fetchval("SELECT 1 FROM tenants WHERE id = $1", args.tenant_id):
            raise CliError(f"no tenant {args.tenant_id!r} (add it with `tenant add`)")
        if args.ai is not None:
            await conn.execute("UPDATE tenants SET ai_enabled = $2 WHERE id = $1",
                               args.tenant_id, args.ai == "on")
        if changes:
            cols = list(changes)  # names come from config_changes, never from input
            sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=2))
            await conn.execute("INSERT INTO tenant_settings (tenant_id) VALUES ($1) "
                               "ON CONFLICT (tenant_id) DO NOTHING", args.tenant_id)
            await conn.execute(
                f"UPDATE tenant_settings SET {sets}, updated_at = now() WHERE tenant_id = $1",
                args.tenant_id, *changes.values())
    shown = [c if c != "claude_api_key_enc" else "claude_api_key (encrypted)" for c in changes]
    print(f"tenant {args.tenant_id}: updated "
          + ", ".join(shown + (["ai_enabled"] if args.ai is not None else [])))
    return 0


Letter = tuple[Record, DeadLetter]


async def read_dlq(bootstrap: str, only: set[tuple[int, int]] | None = None,
                   timeout_s: float = 60.0) -> list[Letter]:
    """Every dead letter on `pipeline.dlq` up to its current end (or at the positions `only`);
    records whose `dlq-*` headers do not parse are reported on stderr and left out."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False)
    try:
        await consumer.start()
        parts = [TopicPartition(PIPELINE_DLQ, p)
                 for p in sorted(consumer.partitions_for_topic(PIPELINE_DLQ) or ())]
        begins = await consumer.beginning_offsets(parts) if parts else {}
        ends = await consumer.end_offsets(parts) if parts else {}
        ranges: dict[TopicPartition, tuple[int, int]] = {}
        for tp in parts:
            start, end = begins[tp], ends[tp]
            if only is not None:
                offsets = [o for p, o in only if p == tp.partition and start <= o < end]
                start, end = (min(offsets), max(offsets) + 1) if offsets else (0, 0)
            if start < end:
                ranges[tp] = (start, end)
        if not ranges:
            return []
        consumer.assign(list(ranges))
        for tp, (start, _) in ranges.items():
            consumer.seek(tp, start)
        out: list[Letter] = []
        deadline = asyncio.get_running_loop().time() + timeout_s
        while any([await consumer.position(tp) < end for tp, (_, end) in ranges.items()]):
            if asyncio.get_running_loop().time() > deadline:
                raise CliError(f"timed out reading {PIPELINE_DLQ}")
            for tp, recs in (await consumer.getmany(timeout_ms=500)).items():
                for r in recs:
                    if r.offset < ranges[tp][1] and (only is None
                                                     or (tp.partition, r.offset) in only):
                        record = Record.from_consumer(r)
                        try:
                            out.append((record, read_dead_letter(record)))
                        except ValueError as exc:
                            print(f"skipping {tp.partition}:{r.offset}: not a dead letter "
                                  f"({exc})", file=sys.stderr)
        return out
    finally:
        await consumer.stop()


def position(text: str) -> tuple[int, int]:
    match = _POSITION.match(text)
    if match is None:
        raise CliError(f"{text!r} is not PARTITION:OFFSET (e.g. 0:42)")
    return int(match.group(1)), int(match.group(2))


async def replayed() -> set[tuple[str, str, int, int]]:
    async with admin_conn() as conn:
        rows = await conn.fetch("SELECT worker, source_topic, source_partition, source_offset "
                                "FROM dlq_replays")
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def identity(letter: DeadLetter) -> tuple[str, str, int, int]:
    """A dead letter is the failure it records: the worker on one source record."""
    return letter.worker, letter.source_topic, letter.partition, letter.offset


async def dlq_list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    letters = await read_dlq(Settings().bootstrap)
    done = await replayed()
    if args.tenant:
        letters = [(r, x) for r, x in letters if x.tenant_id == args.tenant]
    letters.sort(key=lambda rx: rx[1].dead_lettered_at)
    shown = letters[-args.limit:]
    table([("POSITION", "DEAD-LETTERED AT", "TENANT", "WORKER", "SOURCE", "ERROR TYPE",
            "REPLAYED", "ERROR")] + [
        (f"{r.partition}:{r.offset}", x.dead_lettered_at.isoformat(timespec="seconds"),
         x.tenant_id or "-", x.worker, f"{x.source_topic}[{x.partition}]@{x.offset}",
         x.error_type, "yes" if identity(x) in done else "no", x.error[:80])
        for r, x in shown])
    print(f"{len(letters)} dead letter(s), {len(shown)} shown, "
          f"{sum(identity(x) in done for _, x in letters)} replayed")
    return 0


async def dlq_show(args: argparse.Namespace) -> int:
    where = position(args.position)
    found = await read_dlq(Settings().bootstrap, only={where})
    if not found:
        raise CliError(f"no dead letter at {args.position} on {PIPELINE_DLQ}")
    record, letter = found[0]
    shown = letter.model_dump(mode="json")
    try:
        shown["value"] = record.value.decode("utf-8")
    except UnicodeDecodeError:
        shown["value"] = None  # not text: value_b64 carries it
    else:
        del shown["value_b64"]
    shown["replayed"] = identity(letter) in await replayed()
    print(json.dumps({"position": args.position, **shown}, indent=2))
    return 0


async def dlq_replay(args: argparse.Namespace) -> int:
    if args.all == bool(args.positions):
        raise CliError("say which dead letters: --all, or PARTITION:OFFSET ... (not both)")
    wanted = {position(p) for p in args.positions} if args.positions else None
    s = Settings()
    chosen = await read_dlq(s.bootstrap, only=wanted)
    missing = (wanted or set()) - {(r.partition, r.offset) for r, _ in chosen}
    if missing:
        raise CliError("no dead letter at " + ", ".join(f"{p}:{o}" for p, o in sorted(missing)))
    if args.tenant:
        others = [f"{r.partition}:{r.offset}" for r, x in chosen if x.tenant_id != args.tenant]
        if wanted and others:
            raise CliError(f"not dead letters of tenant {args.tenant}: {', '.join(others)}")
        chosen = [(r, x) for r, x in chosen if x.tenant_id == args.tenant]
    bad = [f"{r.partition}:{r.offset}" for r, x in chosen
           if x.source_topic not in ALL_TOPICS or x.source_topic == PIPELINE_DLQ]
    if bad:
        raise CliError(f"unknown source topic for {', '.join(bad)}; not replaying")
    producer = AIOKafkaProducer(bootstrap_servers=s.bootstrap, acks="all",
                                enable_idempotence=s.kafka_idempotence,
                                max_request_size=16 * 1024 * 1024)
    sent, skipped = [], []
    try:
        await producer.start()
        async with admin_conn() as conn:
            for r, x in chosen:
                async with conn.transaction():
                    fresh = await conn.fetchval(
                        """INSERT INTO dlq_replays (worker, source_topic, source_partition,
                               source_offset, tenant, dlq_partition, dlq_offset, error_type)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                           ON CONFLICT DO NOTHING RETURNING true""",
                        *identity(x), x.tenant_id, r.partition, r.offset, x.error_type)
                    if not fresh:
                        skipped.append(f"{r.partition}:{r.offset}")
                        continue
                    headers = {**x.headers, "replay-of": f"{PIPELINE_DLQ}:{r.partition}:"
                                                         f"{r.offset}"}
                    await producer.send_and_wait(  # acknowledged before the ledger commits
                        x.source_topic, r.value, key=r.key,
                        headers=[(k, v.encode()) for k, v in headers.items()])
                    sent.append(f"{r.partition}:{r.offset}")
    finally:
        await producer.stop()
    print(f"replayed {len(sent)} dead letter(s)" + (f": {', '.join(sent)}" if sent else ""))
    if skipped:
        print(f"skipped {len(skipped)} already replayed: {', '.join(skipped)}")
    return 0


async def status(args: argparse.Namespace) -> int:
    """Exit 0 when every worker answers ready, else 1 (scripts can wait on it)."""
    overrides = dict(u.split("=", 1) for u in args.url if "=" in u)
    if len(overrides) != len(args.url):
        raise CliError("--url takes WORKER=URL, e.g. memory=http://memory:9102")
    s = Settings()
    workers, dlq, cache = await pipeline_status.gather(s, args.host, overrides)
    table([("WORKER", "HEALTH", "CHECKS", "LAG", "URL")] + [
        (w.name, w.state, " ".join(f"{k}={'ok' if v else 'FAIL'}" for k, v in w.checks.items())
         or "-", "?" if w.lag is None else str(w.lag), w.url) for w in workers])
    print(f"dead letters: {'unknown (broker away)' if dlq is None else dlq} on {PIPELINE_DLQ}")
    if cache:
        reads = sum(cache.values())
        rate = f"{100 * cache.get('hit', 0) / reads:.1f}%" if reads else "no reads yet"
        print(f"context cache hit rate: {rate} "
              f"({', '.join(f'{k} {v:.0f}' for k, v in sorted(cache.items()))})")
    else:
        print("context cache hit rate: unknown (memory worker /metrics not reachable)")
    return 0 if all(w.state == "ready" for w in workers) else 1


def table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
