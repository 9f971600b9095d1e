"""`leadmem dlq list|show|replay`: inspect and replay the dead-letter topic (the reading and
the replay are `workers.dlq`'s, shared with the admin console).

A replay re-publishes a dead letter's original bytes, key, headers and timestamp (plus
`replay-of`, the dead letter's position, and `replay-source`, the original record's) to its
source topic and records it in `dlq_replays` (owner-only, on the admin connection) in a
transaction that commits after Kafka acknowledged, so replaying again re-sends nothing. The
consumer judges a replayed record as it judged the original: its replay window by the
original timestamp, its dedupe claim as the original's own.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

from schemas.topics import PIPELINE_DLQ
from workers.cli.errors import CliError
from workers.cli.ops_common import _POSITION, Sub, admin_conn, run, table
from workers.dlq import letters, replay
from workers.dlq.letters import Letter
from workers.runtime.clients import open_producer
from workers.runtime.kafka_access import Kafka, kafka_access
from workers.settings import Settings


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


async def iter_dlq(kafka: Kafka, only: set[tuple[int, int]] | None = None,
                   timeout_s: float = 60.0) -> AsyncIterator[Letter]:
    """`workers.dlq.letters.iter_dlq`, records that are no dead letters reported on stderr."""
    try:
        async for letter in letters.iter_dlq(kafka, only, timeout_s, on_skip=_skipped):
            yield letter
    except letters.DlqStalled as exc:
        raise CliError(str(exc)) from exc


def _skipped(message: str) -> None:
    print(message, file=sys.stderr)


async def read_dlq(kafka: Kafka, only: set[tuple[int, int]] | None = None,
                   timeout_s: float = 60.0) -> list[Letter]:
    """`iter_dlq` as a list: for a handful of positions (and tests), never the whole DLQ."""
    return [letter async for letter in iter_dlq(kafka, only, timeout_s)]


def position(text: str) -> tuple[int, int]:
    match = _POSITION.match(text)
    if match is None:
        raise CliError(f"{text!r} is not PARTITION:OFFSET (e.g. 0:42)")
    return int(match.group(1)), int(match.group(2))


async def replayed(settings: Settings) -> set[tuple[str, str, int, int]]:
    async with admin_conn(settings) as conn:
        return await letters.replayed(conn)


identity = letters.identity
replayable = letters.replayable


async def dlq_list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    done = await replayed(args.settings)
    try:
        listing = await letters.latest(kafka_access(args.settings), args.limit, done,
                                       args.tenant,
                                       on_skip=_skipped)
    except letters.DlqStalled as exc:
        raise CliError(str(exc)) from exc
    shown = listing.shown
    table([("POSITION", "DEAD-LETTERED AT", "TENANT", "WORKER", "SOURCE", "ERROR TYPE",
            "REPLAYED", "ERROR")] + [
        (f"{r.partition}:{r.offset}", x.dead_lettered_at.isoformat(timespec="seconds"),
         x.tenant_id or "-", x.worker, f"{x.source_topic}[{x.partition}]@{x.offset}",
         x.error_type, "yes" if identity(x) in done else "no", x.error[:80])
        for r, x in shown])
    print(f"{listing.total} dead letter(s), {len(shown)} shown, {listing.replays} replayed")
    return 0


async def dlq_show(args: argparse.Namespace) -> int:
    where = position(args.position)
    found = await read_dlq(kafka_access(args.settings), only={where})
    if not found:
        raise CliError(f"no dead letter at {args.position} on {PIPELINE_DLQ}")
    record, letter = found[0]
    shown = letters.shown(record, letter, await replayed(args.settings))
    print(json.dumps({"position": args.position, **shown}, indent=2))
    return 0


async def dlq_replay(args: argparse.Namespace) -> int:
    if args.all == bool(args.positions):
        raise CliError("say which dead letters: --all, or PARTITION:OFFSET ... (not both)")
    wanted = {position(p) for p in args.positions} if args.positions else None
    s = args.settings
    if wanted is not None:  # named positions: all checked before anything is replayed
        chosen = await read_dlq(kafka_access(s), only=wanted)
        refused = replay.refusal(wanted, chosen, args.tenant)
        if refused:
            raise CliError(refused)
    async with AsyncExitStack() as stack:
        producer = await open_producer(s, stack, client_id="leadmem-dlq-replay")
        async with admin_conn(args.settings) as conn:
            done = await replay.replay(producer, conn, iter_dlq(kafka_access(s), only=wanted),
                                       args.tenant)
    sent, skipped, unknown = done.sent, done.skipped, done.unknown
    print(f"replayed {len(sent)} dead letter(s)" + (f": {brief(sent)}" if sent else ""))
    if skipped:
        print(f"skipped {len(skipped)} already replayed: {brief(skipped)}")
    if unknown:
        print(f"not replayed, unknown source topic: {brief(unknown)}", file=sys.stderr)
    return 0


def brief(positions: list[str], shown: int = 20) -> str:
    """A list of positions for a terminal: the first `shown`, then how many more."""
    more = len(positions) - shown
    return ", ".join(positions[:shown]) + (f" and {more} more" if more > 0 else "")
