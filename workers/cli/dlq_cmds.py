"""`leadmem dlq list|show|replay`: inspect and replay the dead-letter topic.

A replay re-publishes a dead letter's original bytes, key, headers and timestamp (plus
`replay-of`, the dead letter's position, and `replay-source`, the original record's) to its
source topic and records it in `dlq_replays` (owner-only, on the admin connection) in a
transaction that commits after Kafka acknowledged, so replaying again re-sends nothing. The
consumer judges a replayed record as it judged the original: its replay window by the
original timestamp, its dedupe claim as the original's own.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.events import DeadLetter
from schemas.topics import ALL_TOPICS, PIPELINE_DLQ
from workers.cli.errors import CliError
from workers.cli.ops_common import _POSITION, Sub, admin_conn, run, table
from workers.runtime.boundary import read_dead_letter
from workers.runtime.clients import open_producer
from workers.runtime.kafka import topic_partitions
from workers.runtime.record import Record
from workers.settings import Settings

Letter = tuple[Record, DeadLetter]


def register(sub: Sub) -> None:
    d = sub.add_parser("dlq", help="inspect and replay the dead-letter topic")
    ds = d.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    p = ds.add_parser("list", help="the latest dead letters")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--tenant")
    p.set_defaults(func=lambda a: run(dlq_list(a), a.settings))
    p = ds.add_parser("show", help="one dead letter in full (JSON)")
    p.add_argument("position", metavar="PARTITION:OFFSET")
    p.set_defaults(func=lambda a: run(dlq_show(a), a.settings))
    p = ds.add_parser("replay", help="re-publish dead letters to their source topics")
    p.add_argument("--tenant")
    p.add_argument("--all", action="store_true", help="every dead letter (of --tenant)")
    p.add_argument("positions", nargs="*", metavar="PARTITION:OFFSET")
    p.set_defaults(func=lambda a: run(dlq_replay(a), a.settings))


async def iter_dlq(bootstrap: str, only: set[tuple[int, int]] | None = None,
                   timeout_s: float = 60.0) -> AsyncIterator[Letter]:
    """Every dead letter on `pipeline.dlq` up to its current end (or at the positions `only`),
    one at a time: the DLQ may be large, and no command holds it in memory. Records whose
    `dlq-*` headers do not parse are reported on stderr and left out."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, max_partition_fetch_bytes=1 << 20)
    try:
        await consumer.start()
        parts = await topic_partitions(bootstrap, [PIPELINE_DLQ])
        begins = await consumer.beginning_offsets(parts) if parts else {}
        ends = await consumer.end_offsets(parts)
        ranges: dict[TopicPartition, tuple[int, int]] = {}
        for tp in parts:
            start, end = begins[tp], ends[tp]
            if only is not None:
                offsets = [o for p, o in only if p == tp.partition and start <= o < end]
                start, end = (min(offsets), max(offsets) + 1) if offsets else (0, 0)
            if start < end:
                ranges[tp] = (start, end)
        if not ranges:
            return
        consumer.assign(list(ranges))
        for tp, (start, _) in ranges.items():
            consumer.seek(tp, start)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while any([await consumer.position(tp) < end for tp, (_, end) in ranges.items()]):
            if loop.time() > deadline:
                raise CliError(f"timed out reading {PIPELINE_DLQ}")
            for tp, recs in (await consumer.getmany(timeout_ms=500, max_records=500)).items():
                deadline = loop.time() + timeout_s  # progress: the timeout is for a stall
                for r in recs:
                    if r.offset < ranges[tp][1] and (only is None
                                                     or (tp.partition, r.offset) in only):
                        record = Record.from_consumer(r)
                        try:
                            letter = read_dead_letter(record)
                        except ValueError as exc:
                            print(f"skipping {tp.partition}:{r.offset}: not a dead letter "
                                  f"({exc})", file=sys.stderr)
                            continue
                        yield record, letter
    finally:
        await consumer.stop()


async def read_dlq(bootstrap: str, only: set[tuple[int, int]] | None = None,
                   timeout_s: float = 60.0) -> list[Letter]:
    """`iter_dlq` as a list: for a handful of positions (and tests), never the whole DLQ."""
    return [letter async for letter in iter_dlq(bootstrap, only, timeout_s)]


def position(text: str) -> tuple[int, int]:
    match = _POSITION.match(text)
    if match is None:
        raise CliError(f"{text!r} is not PARTITION:OFFSET (e.g. 0:42)")
    return int(match.group(1)), int(match.group(2))


async def replayed(settings: Settings) -> set[tuple[str, str, int, int]]:
    async with admin_conn(settings) as conn:
        rows = await conn.fetch("SELECT worker, source_topic, source_partition, source_offset "
                                "FROM dlq_replays")
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def identity(letter: DeadLetter) -> tuple[str, str, int, int]:
    """A dead letter is the failure it records: the worker on one source record."""
    return letter.worker, letter.source_topic, letter.partition, letter.offset


async def dlq_list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    done = await replayed(args.settings)
    total = replays = 0
    latest: list[tuple[str, int, int, Letter]] = []  # a heap of the `limit` latest
    async for r, x in iter_dlq(args.settings.bootstrap):
        if args.tenant and x.tenant_id != args.tenant:
            continue
        total += 1
        replays += identity(x) in done
        item = (x.dead_lettered_at.isoformat(), r.partition, r.offset, (r, x))
        if len(latest) < args.limit:
            heapq.heappush(latest, item)
        else:
            heapq.heappushpop(latest, item)
    shown = [letter for *_, letter in sorted(latest)]
    table([("POSITION", "DEAD-LETTERED AT", "TENANT", "WORKER", "SOURCE", "ERROR TYPE",
            "REPLAYED", "ERROR")] + [
        (f"{r.partition}:{r.offset}", x.dead_lettered_at.isoformat(timespec="seconds"),
         x.tenant_id or "-", x.worker, f"{x.source_topic}[{x.partition}]@{x.offset}",
         x.error_type, "yes" if identity(x) in done else "no", x.error[:80])
        for r, x in shown])
    print(f"{total} dead letter(s), {len(shown)} shown, {replays} replayed")
    return 0


async def dlq_show(args: argparse.Namespace) -> int:
    where = position(args.position)
    found = await read_dlq(args.settings.bootstrap, only={where})
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
    shown["replayed"] = identity(letter) in await replayed(args.settings)
    print(json.dumps({"position": args.position, **shown}, indent=2))
    return 0


async def dlq_replay(args: argparse.Namespace) -> int:
    if args.all == bool(args.positions):
        raise CliError("say which dead letters: --all, or PARTITION:OFFSET ... (not both)")
    wanted = {position(p) for p in args.positions} if args.positions else None
    s = args.settings
    if wanted is not None:  # named positions: all checked before anything is replayed
        chosen = await read_dlq(s.bootstrap, only=wanted)
        missing = wanted - {(r.partition, r.offset) for r, _ in chosen}
        if missing:
            raise CliError("no dead letter at " + ", ".join(f"{p}:{o}"
                                                             for p, o in sorted(missing)))
        others = [f"{r.partition}:{r.offset}" for r, x in chosen
                  if args.tenant and x.tenant_id != args.tenant]
        if others:
            raise CliError(f"not dead letters of tenant {args.tenant}: {', '.join(others)}")
        bad = [f"{r.partition}:{r.offset}" for r, x in chosen if not replayable(x)]
        if bad:
            raise CliError(f"unknown source topic for {', '.join(bad)}; not replaying")
    sent: list[str] = []
    skipped: list[str] = []
    unknown: list[str] = []
    async with AsyncExitStack() as stack:
        producer = await open_producer(s, stack, client_id="leadmem-dlq-replay")
        async with admin_conn(args.settings) as conn:
            async for r, x in iter_dlq(s.bootstrap, only=wanted):
                if args.tenant and x.tenant_id != args.tenant:
                    continue
                where = f"{r.partition}:{r.offset}"
                if not replayable(x):
                    unknown.append(where)
                    continue
                async with conn.transaction():
                    fresh = await conn.fetchval(
                        """INSERT INTO dlq_replays (worker, source_topic, source_partition,
                               source_offset, tenant, dlq_partition, dlq_offset, error_type)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                           ON CONFLICT DO NOTHING RETURNING true""",
                        *identity(x), x.tenant_id, r.partition, r.offset, x.error_type)
                    if not fresh:
                        skipped.append(where)
                        continue
                    headers = {**x.headers,
                               "replay-of": f"{PIPELINE_DLQ}:{r.partition}:{r.offset}",
                               "replay-source": f"{x.source_topic}:{x.partition}:{x.offset}"}
                    await producer.send_and_wait(  # acknowledged before the ledger commits
                        x.source_topic, r.value, key=r.key, timestamp_ms=x.source_timestamp_ms,
                        headers=[(k, v.encode()) for k, v in headers.items()])
                    sent.append(where)
    print(f"replayed {len(sent)} dead letter(s)" + (f": {brief(sent)}" if sent else ""))
    if skipped:
        print(f"skipped {len(skipped)} already replayed: {brief(skipped)}")
    if unknown:
        print(f"not replayed, unknown source topic: {brief(unknown)}", file=sys.stderr)
    return 0


def replayable(letter: DeadLetter) -> bool:
    return letter.source_topic in ALL_TOPICS and letter.source_topic != PIPELINE_DLQ


def brief(positions: list[str], shown: int = 20) -> str:
    """A list of positions for a terminal: the first `shown`, then how many more."""
    more = len(positions) - shown
    return ", ".join(positions[:shown]) + (f" and {more} more" if more > 0 else "")
