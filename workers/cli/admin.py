"""Operator commands: `tenant` (onboard and configure), `dlq` (inspect and replay dead letters),
`prune` (retention, now) and `status` (health, lag, DLQ size and cache hit rate at a glance).

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

from schemas.topics import PIPELINE_DLQ
from workers.cli import (
    app_cmds,
    consent_cmds,
    console_cmds,
    dlq_cmds,
    listings_cmds,
    prune_cmds,
    report_cmds,
    tenant_cmds,
)
from workers.cli.errors import CliError
from workers.cli.ops_common import Sub, run, table
from workers.metrics import status as pipeline_status


def register(sub: Sub) -> None:
    tenant_cmds.register(sub)
    dlq_cmds.register(sub)
    prune_cmds.register(sub)
    consent_cmds.register(sub)
    app_cmds.register(sub)
    report_cmds.register(sub)
    listings_cmds.register(sub)
    console_cmds.register(sub)

    p = sub.add_parser("status", help="worker health, consumer lag, DLQ size, cache hit rate")
    p.add_argument("--host", help="where the workers listen (default LEADMEM_HTTP_HOST); "
                   "'{worker}' stands for each worker's name, e.g. in compose")
    p.add_argument("--url", action="append", default=[], metavar="WORKER=URL",
                   help="base URL of one worker (repeatable), e.g. memory=http://memory:9102")
    p.set_defaults(func=lambda a: run(status(a), a.settings))


async def status(args: argparse.Namespace) -> int:
    """Exit 0 when every worker answers ready, else 1 (scripts can wait on it)."""
    overrides = dict(u.split("=", 1) for u in args.url if "=" in u)
    if len(overrides) != len(args.url):
        raise CliError("--url takes WORKER=URL, e.g. memory=http://memory:9102")
    s = args.settings
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
