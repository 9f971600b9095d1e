"""`leadmem prune [--dry-run]`: one retention run now (the metrics worker runs one every
`LEADMEM_RETENTION_INTERVAL_S`; see `workers.db.retention` and docs/operations.md), and
`leadmem retention show|messages`: the windows, and a tenant's message retention.

Both use the workers' connection (`LEADMEM_DATABASE_URL`), like the metrics worker: the
ledgers are pruned through the SECURITY DEFINER functions of migrations/0008_retention.sql
(counts only, windows of at least one day), a tenant's messages and settings inside its own
transactions.
"""

from __future__ import annotations

import argparse
from contextlib import AsyncExitStack

from workers.cli.errors import CliError
from workers.cli.ops_common import Sub, run, table, tenant_tx
from workers.db import retention
from workers.runtime.clients import open_database
from workers.tenants import store as tenants
from workers.tenants import validate
from workers.tenants.validate import SettingsError


def register(sub: Sub) -> None:
    p = sub.add_parser(
        "prune", help="delete what the retention windows no longer keep (idempotency ledgers; "
        "messages of tenants with a message retention; the data of tenants uninstalled "
        "longer ago than LEADMEM_UNINSTALL_PURGE_DAYS, their consent ledger kept)")
    p.add_argument("--dry-run", action="store_true",
                   help="count what would be deleted; delete nothing")
    p.set_defaults(func=lambda a: run(prune(a), a.settings))

    r = sub.add_parser("retention", help="the retention windows; a tenant's message retention")
    rs = r.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    rs.add_parser("show", help="each table's window, and the tenants whose messages have one"
                  ).set_defaults(func=lambda a: run(retention_show(a), a.settings))
    p = rs.add_parser("messages", help="keep a tenant's messages DAYS days (off: for ever)")
    p.add_argument("tenant_id", metavar="ID", help="the GHL locationId")
    p.add_argument("days", metavar="DAYS|off")
    p.set_defaults(func=lambda a: run(retention_messages(a), a.settings))


async def prune(args: argparse.Namespace) -> int:
    s = args.settings
    async with AsyncExitStack() as stack:
        db = await open_database(s, stack, min_size=1, max_size=1)
        found = await (retention.expired(db, s) if args.dry_run else retention.prune_all(db, s))
    if args.dry_run:
        table([("TABLE", "TENANT", "KEPT FOR", "WOULD DELETE")] + [
            (p.table, p.tenant or "(all)", f"{p.window.days} days", str(p.rows))
            for p in found])
        print(f"dry run: {sum(p.rows for p in found)} row(s) would be deleted")
        return 0
    table([("TABLE", "TENANT", "KEPT FOR", "DELETED", "BATCHES", "SECONDS", "ROWS/S",
            "LONGEST STATEMENT")] + [
        (p.table, p.tenant or "(all)", f"{p.window.days} days", str(p.rows), str(p.batches),
         f"{p.seconds:.2f}", f"{p.rows_per_s:.0f}", f"{p.longest_s * 1000:.1f} ms")
        for p in found])
    print(f"deleted {sum(p.rows for p in found)} row(s)")
    return 0


async def retention_show(args: argparse.Namespace) -> int:
    s = args.settings
    async with AsyncExitStack() as stack:
        db = await open_database(s, stack, min_size=1, max_size=1)
        tenants = await retention.message_retention(db)
    table([("TABLE", "TENANT", "KEPT FOR")] + [
        (name, "(all)", f"{window.days} days")
        for name, window in retention.ledger_windows(s).items()] + [
        ("messages", tenant, f"{days} days") for tenant, days in tenants] + [
        ("(all of an uninstalled tenant's but its consent ledger)", "(each)",
         f"{s.uninstall_purge_days} days after its uninstall")])
    print(f"messages of every other tenant are kept for ever; pruned every "
          f"{s.retention_interval_s:g} s by the metrics worker" if s.retention_interval_s
          else "messages of every other tenant are kept for ever; periodic pruning is off "
          "(LEADMEM_RETENTION_INTERVAL_S=0): run `leadmem prune`")
    return 0


async def retention_messages(args: argparse.Namespace) -> int:
    try:
        change = validate.message_retention_days(args.days)
    except SettingsError as exc:
        raise CliError(str(exc)) from exc
    days = change["message_retention_days"]
    async with tenant_tx(args.settings, args.tenant_id) as conn:
        await tenants.ensure(conn, args.tenant_id)
        await tenants.update(conn, args.tenant_id, change)
    print(f"messages of {args.tenant_id}: " + (
        "kept for ever" if days is None else
        f"kept {days} days (older ones go at the next prune)"))
    return 0
