"""The dead-letter topic (operators): the latest dead letters (of a tenant, or all), one in
full, and replaying one, several or all of them after a confirmation page, through the same
code as `leadmem dlq` (`workers.dlq`: read, check, replay exactly once with the ledger). A
replay is audited (what was sent, skipped, left out)."""

from __future__ import annotations

import asyncio
import json
import re

from aiohttp import web
from aiokafka.errors import KafkaError

from schemas.ids import is_safe_id
from schemas.topics import PIPELINE_DLQ
from workers.console import audit
from workers.console.web import Console, NotFound, Visit, form_values
from workers.dlq import letters, replay
from workers.errors import RetryableError

LIMIT = 50
# The index page reads at most this many of the newest records of the topic, so it answers at
# once however large the DLQ grew; it says when it read only part, and `leadmem dlq list`
# reads all of it.
SCAN = 20_000
READ_TIMEOUT_S = 20.0
_POSITION = re.compile(r"^(\d{1,9}):(\d{1,19})$")


def positions(texts: list[str]) -> set[letters.Position] | None:
    """`PARTITION:OFFSET` texts as positions; None when one is not one."""
    out = set()
    for text in texts:
        match = _POSITION.match(text.strip())
        if match is None:
            return None
        out.add((int(match.group(1)), int(match.group(2))))
    return out


def _tenant(text: str | None) -> str | None:
    if not text:
        return None
    if not is_safe_id(text):
        raise NotFound()
    return text


async def _done(console: Console) -> set[letters.Identity]:
    pool = await console.admin.get()
    async with pool.acquire() as conn:
        return await letters.replayed(conn)


async def _read(console: Console, only: set[letters.Position]) -> list[letters.Letter]:
    try:
        return await asyncio.wait_for(letters.read_dlq(console.kafka, only),
                                      READ_TIMEOUT_S)
    except KafkaError as exc:
        raise RetryableError(f"Kafka did not answer: {exc!r}") from exc


async def index(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/dlq?tenant=...`."""
    tenant = _tenant(request.query.get("tenant"))
    done = await _done(console)
    try:
        listing = await asyncio.wait_for(
            letters.latest(console.kafka, LIMIT, done, tenant, newest=SCAN), READ_TIMEOUT_S)
    except KafkaError as exc:
        raise RetryableError(f"Kafka did not answer: {exc!r}") from exc
    rows = [{"position": f"{r.partition}:{r.offset}", "partition": r.partition,
             "offset": r.offset, "letter": x, "replayed": letters.identity(x) in done,
             "replayable": letters.replayable(x)} for r, x in reversed(listing.shown)]
    return console.render("dlq.html", visit=visit, rows=rows, listing=listing,
                          tenant=tenant or "", topic=PIPELINE_DLQ, limit=LIMIT)


async def show(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/dlq/{partition}/{offset}`."""
    where = (int(request.match_info["partition"]), int(request.match_info["offset"]))
    found = await _read(console, {where})
    if not found:
        raise NotFound()
    record, letter = found[0]
    shown = letters.shown(record, letter, await _done(console))
    value = shown.pop("value", None)
    return console.render("dlq_letter.html", visit=visit, position=f"{where[0]}:{where[1]}",
                          letter=letter, shown=json.dumps(shown, indent=2), value=value,
                          replayed=shown["replayed"], replayable=letters.replayable(letter))


async def _plan(console: Console, wanted: set[letters.Position] | None,
                tenant: str | None) -> tuple[str | None, int]:
    """Why the replay asked for may not be done (None: it may), and how many dead letters
    it would re-send (not replayed before)."""
    done = await _done(console)
    if wanted is not None:
        chosen = await _read(console, wanted)
        refused = replay.refusal(wanted, chosen, tenant)
        return refused, sum(1 for _, x in chosen if letters.identity(x) not in done)
    try:
        waiting = await asyncio.wait_for(
            letters.waiting_by_tenant(console.kafka, done), READ_TIMEOUT_S)
    except KafkaError as exc:
        raise RetryableError(f"Kafka did not answer: {exc!r}") from exc
    return None, (waiting.get(tenant, 0) if tenant else sum(waiting.values()))


def _asked(values: dict[str, list[str]]) -> tuple[set[letters.Position] | None, str | None,
                                                  bool]:
    """What a replay request names: positions, or all (of a tenant); `NotFound` when it
    names nothing usable."""
    tenant = _tenant((values.get("tenant") or [""])[-1] or None)
    every = (values.get("all") or [""])[-1] in ("1", "yes", "on")
    named = [p for p in values.get("position", []) if p.strip()]
    if every == bool(named):
        raise NotFound()
    wanted = positions(named) if named else None
    if named and wanted is None:
        raise NotFound()
    return wanted, tenant, every


async def confirm(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/dlq/replay?position=P:O...` or `?all=1[&tenant=T]`: what would be
    replayed, and the form (form#dlq-replay) that does it."""
    values = {k: request.query.getall(k) for k in set(request.query)}
    wanted, tenant, every = _asked(values)
    refused, count = await _plan(console, wanted, tenant)
    return console.render("dlq_confirm.html", status=400 if refused else 200, visit=visit,
                          wanted=sorted(wanted or ()), tenant=tenant or "", every=every,
                          refused=refused, count=count)


async def run(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`POST /console/dlq/replay` (form#dlq-replay, with confirm=yes): replay."""
    values = {k: v for k, v in form_values(await request.post()).items()}
    wanted, tenant, every = _asked(values)
    if (values.get("confirm") or [""])[-1] != "yes":
        refused, count = await _plan(console, wanted, tenant)
        return console.render("dlq_confirm.html", status=400, visit=visit,
                              wanted=sorted(wanted or ()), tenant=tenant or "", every=every,
                              refused=refused or "Confirm the replay first.", count=count)
    if wanted is not None:
        refused = replay.refusal(wanted, await _read(console, wanted), tenant)
        if refused:
            return console.render("dlq_confirm.html", status=400, visit=visit,
                                  wanted=sorted(wanted), tenant=tenant or "", every=every,
                                  refused=refused, count=0)
    producer = console.producer.current if console.producer is not None else None
    if producer is None:
        raise RetryableError("Kafka is not connected: nothing was replayed")
    pool = await console.admin.get()
    try:
        async with pool.acquire() as conn:
            done = await replay.replay(producer, conn,
                                       letters.iter_dlq(console.kafka, wanted),
                                       tenant)
            await audit.record(conn, audit.Actor.of(visit.user), "dlq.replay", tenant=tenant,
                               target="all" if every else ", ".join(
                                   f"{p}:{o}" for p, o in sorted(wanted or ())),
                               after={"sent": done.sent, "skipped": done.skipped,
                                      "unknown": done.unknown})
    except KafkaError as exc:
        raise RetryableError(f"Kafka did not answer: {exc!r}") from exc
    return console.render("dlq_done.html", visit=visit, done=done, tenant=tenant or "")
