"""Commands over leads' memory: contact delete / export, cache warm, integrity, import legacy.

Each command opens its own clients from `Settings` (environment), does its work through
`workers.memory.tools` / `legacy_import`, and prints a result; bad arguments or a missing lead
raise `CliError` (exit status 2). `integrity` exits 1 when it finds unrepaired drift, and
`import legacy` when some file could not be imported (the others are).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from workers.cli.errors import CliError
from workers.memory import tools
from workers.memory.cache import memory_key

Sub = Any  # argparse's private _SubParsersAction


def register(sub: Sub) -> None:
    p = sub.add_parser("contact", help="one lead's memory: delete or export it")
    csub = p.add_subparsers(dest="contact_command", required=True)
    for name, func, text in (("delete", cmd_contact_delete, "forget a lead (Postgres + Redis)"),
                             ("export", cmd_contact_export, "print a lead's memory as JSON")):
        c = csub.add_parser(name, help=text)
        c.add_argument("tenant", help="tenant id (GHL locationId)")
        c.add_argument("contact", help="contact id")
        c.set_defaults(func=func)

    p = sub.add_parser("cache", help="the Redis working-context cache")
    csub = p.add_subparsers(dest="cache_command", required=True)
    c = csub.add_parser("warm", help="preload the contexts of recently active leads")
    c.add_argument("--tenant", help="only this tenant (default: all)")
    c.add_argument("--limit", type=int, default=10_000, help="most leads to load (10000)")
    c.add_argument("--since-days", type=float, default=7.0,
                   help="leads whose last inbound message is this recent (7, the default TTL)")
    c.set_defaults(func=cmd_cache_warm)

    p = sub.add_parser("integrity", help="compare cached contexts with Postgres")
    p.add_argument("--tenant", help="only this tenant (default: every cached tenant)")
    p.add_argument("--repair", action="store_true", help="rewrite or delete drifted entries")
    p.set_defaults(func=cmd_integrity)

    p = sub.add_parser("import", help="import memory from other systems")
    isub = p.add_subparsers(dest="import_command", required=True)
    c = isub.add_parser("legacy", help="DIR/{location_id}/{contact_id}.json files")
    c.add_argument("directory", type=Path)
    c.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    c.set_defaults(func=cmd_import_legacy)


def _tenant(value: str | None) -> str | None:
    """A tenant id usable in a cache key pattern (no glob characters can pass)."""
    if value is not None:
        try:
            memory_key(value, "x")
        except ValueError as exc:
            raise CliError(str(exc)) from exc
    return value


def cmd_contact_delete(args: argparse.Namespace) -> int:
    async def run() -> int:
        async with tools.open_memory(args.settings) as memory:
            return await tools.delete_contact(memory, args.tenant, args.contact)

    removed = asyncio.run(run())
    if not removed:
        raise CliError(f"no lead {args.contact!r} in tenant {args.tenant!r}")
    print(f"removed {removed} row(s) of lead {args.contact} in tenant {args.tenant}")
    return 0


def cmd_contact_export(args: argparse.Namespace) -> int:
    async def run() -> dict[str, Any] | None:
        async with tools.open_memory(args.settings) as memory:
            return await tools.export_contact(memory.db, args.tenant, args.contact)

    exported = asyncio.run(run())
    if exported is None:
        raise CliError(f"no lead {args.contact!r} in tenant {args.tenant!r}")
    print(tools.to_json(exported))
    return 0


def cmd_cache_warm(args: argparse.Namespace) -> int:
    if args.limit < 1 or args.since_days <= 0:
        raise CliError("--limit and --since-days must be positive")
    tenant, settings = _tenant(args.tenant), args.settings

    async def run() -> int:
        tenants = [tenant] if tenant else await tools.list_tenants(settings.admin_database_url)
        async with tools.open_memory(settings) as memory:
            leads = await tools.active_leads(memory.db, tenants, limit=args.limit,
                                             since_days=args.since_days)
            return await tools.warm(memory, leads)

    print(f"warmed {asyncio.run(run())} lead context(s)")
    return 0


def cmd_integrity(args: argparse.Namespace) -> int:
    tenant = _tenant(args.tenant)

    async def run() -> tuple[int, list[tools.Drift]]:
        async with tools.open_memory(args.settings) as memory:
            return await tools.check_integrity(memory, tenant, repair=args.repair)

    checked, drift = asyncio.run(run())
    for d in drift:
        print(f"{d.kind}\t{d.key}\t{d.detail}")
    kinds = {k: sum(d.kind == k for d in drift) for k in sorted({d.kind for d in drift})}
    print(f"checked {checked} cache entr{'y' if checked == 1 else 'ies'}: "
          f"{len(drift)} drifted" + (f" ({kinds})" if kinds else "")
          + (f"; repaired {len(drift)}" if args.repair and drift else ""))
    return 1 if drift and not args.repair else 0


def cmd_import_legacy(args: argparse.Namespace) -> int:
    from workers.memory.legacy_import import import_legacy

    if not args.directory.is_dir():
        raise CliError(f"{args.directory} is not a directory")

    async def run() -> Any:
        async with tools.open_memory(args.settings) as memory:
            return await import_legacy(args.directory, memory.db, memory.contexts,
                                       dry_run=args.dry_run)

    report = asyncio.run(run())
    for path, reason in report.errors:
        print(f"error\t{path}\t{reason}")
    counts = report.as_dict()
    print(("dry run, nothing written: " if args.dry_run else "imported: ")
          + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
    return 1 if report.errors else 0
