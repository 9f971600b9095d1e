"""`leadmem listings sync|import`: the agency's own listings (workers/listings).

- `sync ID [--reconcile] [--full]`: one sync of the tenant's RESO feed now, as the listings
  worker runs it (the same claim: it waits for no other sync, it says one is under way), with
  a progress bar on standard error and the outcome on standard output; exit 1 when the sync
  stopped early (the next resumes where it stopped).
- `import ID FILE.csv [--replace] [--dry-run]`: a CSV with RESO field names as headers
  (ListingKey, StandardStatus, ListPrice, City, BedroomsTotal, ...; MediaURL for the first
  photo), validated row by row: every problem is reported with its line number and, when
  there is one, nothing is written; otherwise every row is written in one transaction.
  `--replace`: rows of earlier imports that this file does not have are deleted.
The feed itself is configured with `leadmem tenant config ID --reso-url ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TextIO

from workers.cli.errors import CliError
from workers.cli.ops_common import Sub, run, tenant_id, tenant_tx
from workers.listings import csvfile, service, store
from workers.listings import metrics as listing_metrics
from workers.listings.sync import (
    BUSY,
    CONFIG_ERROR,
    NO_FEED,
    OK,
    UNINSTALLED,
    Progress,
    SyncResult,
)
from workers.runtime.clients import open_database
from workers.tenants import store as tenants

MAX_SHOWN_ERRORS = 50
NOT_STARTED = (BUSY, UNINSTALLED, CONFIG_ERROR)  # the sync never claimed the feed


def register(sub: Sub) -> None:
    p = sub.add_parser("listings", help="the agency's own listings: sync its RESO feed now, "
                       "import a CSV")
    ls = p.add_subparsers(dest="listings_command", required=True, metavar="ACTION")
    s = ls.add_parser("sync", help="sync the tenant's RESO Web API feed now (a progress bar "
                      "on stderr)")
    s.add_argument("tenant_id", metavar="ID")
    s.add_argument("--reconcile", action="store_true",
                   help="also reconcile every key now (rows the feed dropped are deleted, "
                        "first photos refreshed); otherwise when it is due")
    s.add_argument("--full", action="store_true",
                   help="replicate everything again from the start (the watermark restarts)")
    s.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
    s.set_defaults(func=lambda a: run(listings_sync(a), a.settings))
    i = ls.add_parser("import", help="import listings from a CSV with RESO field names as "
                      "headers (all rows or none)")
    i.add_argument("tenant_id", metavar="ID")
    i.add_argument("file", metavar="FILE.csv")
    i.add_argument("--replace", action="store_true",
                   help="delete the rows of earlier imports that this file does not have")
    i.add_argument("--dry-run", action="store_true",
                   help="validate and count, write nothing")
    i.set_defaults(func=lambda a: run(listings_import(a), a.settings))


class ProgressBar:
    """One line on `out`, redrawn in place on a terminal (a line per update elsewhere): the
    sync's pages, records by outcome and watermark; the total is unknown (RESO servers need
    not count), so the bar sweeps while pages arrive."""

    WIDTH = 16

    def __init__(self, out: TextIO, tenant: str) -> None:
        self.out = out
        self.tty = out.isatty()
        self.tenant = tenant
        self.started = time.monotonic()
        self.shown = False
        self.ticks = 0

    def bar(self) -> str:
        pos = self.ticks % (2 * (self.WIDTH - 3))
        pos = pos if pos < self.WIDTH - 3 else 2 * (self.WIDTH - 3) - pos
        return "[" + " " * pos + "███" + " " * (self.WIDTH - 3 - pos) + "]"

    def update(self, p: Progress) -> None:
        self.ticks += 1
        seconds = time.monotonic() - self.started
        if p.phase == "replicating":
            c = p.counts
            what = (f"{p.pages} pages, {p.records:,} records ({p.records / max(seconds, 1e-3):,.0f}"
                    f"/s): listed {c['listed']:,} sold {c['sold']:,} removed {c['removed']:,} "
                    f"invalid {c['invalid']:,}"
                    + (f", up to {p.watermark:%Y-%m-%d %H:%M:%S}" if p.watermark else ""))
        else:
            what = f"reconciling: {p.keys:,} keys read"
        line = f"{self.tenant} {self.bar()} {what} {seconds:.0f}s"
        if self.tty:
            self.out.write("\r\x1b[2K" + line)
        else:
            self.out.write(line + "\n")
        self.out.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown and self.tty:
            self.out.write("\n")
            self.out.flush()


def describe(r: SyncResult) -> list[str]:
    """The outcome of a sync as lines (pure)."""
    c = r.counts
    head = (f"tenant {r.tenant}: sync {r.outcome} in {r.seconds:.1f} s: {r.records:,} records "
            f"in {r.pages} pages ({r.requests} requests"
            + (f", {r.rate_limited} answered 429" if r.rate_limited else "") + ")")
    lines = [head, f"  listed {c['listed']:,}, sold {c['sold']:,}, removed {c['removed']:,}, "
                   f"invalid {c['invalid']:,}, already applied {c['skipped']:,}"]
    if r.reconciled:
        lines.append(f"  reconciled: {r.reconcile_removed:,} rows the feed dropped removed, "
                     f"{r.photos_changed:,} first photos changed")
    if r.watermark is not None:
        lines.append(f"  watermark {r.watermark.isoformat()}")
    lines += [f"  invalid: {example}" for example in r.invalid]
    if r.error:
        lines.append(f"  stopped: {r.error}" + ("" if r.outcome == BUSY else
                                                 " (the next sync resumes from the watermark)"))
    return lines


async def listings_sync(args: argparse.Namespace) -> int:
    tenant = tenant_id(args.tenant_id)
    s = args.settings
    async with AsyncExitStack() as stack:
        db = await open_database(s, stack, min_size=1, max_size=2)
        async with db.transaction(tenant) as conn:
            if not await tenants.exists(conn, tenant):
                raise CliError(f"no tenant {tenant!r} (add it with `tenant add`)")
            if args.full:
                since = await store.claimed_since(conn, tenant)
                if since is not None:
                    raise CliError(f"a sync of {tenant} is under way since "
                                   f"{since.isoformat()}: --full after it ends")
                if not await store.reset_watermark(conn, tenant):
                    raise CliError(f"tenant {tenant} has no RESO feed (leadmem tenant config "
                                   f"{tenant} --reso-url URL --reso-token-env VAR)")
        http = service.http_client(s)
        stack.push_async_callback(http.aclose)
        bar = ProgressBar(sys.stderr, tenant)
        try:
            result = await service.syncer(s, db, http).sync(
                tenant, reconcile=True if args.reconcile else None, progress=bar.update)
        finally:
            bar.close()
    if result.outcome == NO_FEED:
        raise CliError(f"tenant {tenant} has no RESO feed (leadmem tenant config {tenant} "
                       "--reso-url URL --reso-token-env VAR)")
    if result.outcome in NOT_STARTED:
        print(f"tenant {tenant}: not synced ({result.outcome}): {result.error}",
              file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"tenant": tenant, "outcome": result.outcome, "error": result.error,
                          "records": result.records, **result.detail(),
                          "watermark": result.watermark}, indent=2, default=str))
    else:
        print("\n".join(describe(result)))
    return 0 if result.outcome == OK else 1


async def listings_import(args: argparse.Namespace) -> int:
    tenant = tenant_id(args.tenant_id)
    try:
        data = await asyncio.to_thread(Path(args.file).read_bytes)
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    try:
        report = csvfile.read(csvfile.decode(data))
    except csvfile.CsvError as exc:
        raise CliError(f"{args.file}: {exc}") from exc
    if report.ignored:
        print(f"{args.file}: columns not read (not RESO fields we use): "
              f"{', '.join(report.ignored)}", file=sys.stderr)
    if not report.ok:
        for line, message in report.errors[:MAX_SHOWN_ERRORS]:
            print(f"{args.file}:{line}: {message}", file=sys.stderr)
        more = len(report.errors) - MAX_SHOWN_ERRORS
        if more > 0:
            print(f"... and {more} more", file=sys.stderr)
        lines = sorted({line for line, _ in report.errors})
        print(f"{args.file}: {len(report.errors)} problem(s) on {len(lines)} line(s); nothing "
              "imported", file=sys.stderr)
        return 1
    c = report.counts
    counted = f"listed {c['listed']:,}, sold {c['sold']:,}, removed {c['removed']:,}"
    if args.dry_run:
        print(f"{args.file}: {len(report.rows):,} rows valid ({counted}); nothing written "
              "(--dry-run)")
        return 0
    async with tenant_tx(args.settings, tenant) as conn:
        if not await tenants.exists(conn, tenant):
            raise CliError(f"no tenant {tenant!r} (add it with `tenant add`)")
        applied = await store.import_rows(conn, tenant, [r.outcome for r in report.rows],
                                          replace=args.replace)
    for name, n in applied.counts.items():
        if n:
            listing_metrics.RECORDS.labels(store.CSV, name).inc(n)
    print(f"tenant {tenant}: imported {len(report.rows):,} rows from {args.file} ({counted}); "
          f"{applied.deleted:,} rows deleted")
    return 0
