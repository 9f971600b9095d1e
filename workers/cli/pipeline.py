"""Commands that set up and run the pipeline: migrate, topics, run, schemas, extract. (The
development commands `dev`, `demo` and `bench` live in `devtools.cli`.)"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from workers.cli.errors import CliError

Sub = Any  # argparse's private _SubParsersAction


def register(sub: Sub) -> None:
    p = sub.add_parser("migrate", help="create roles/database and apply SQL migrations")
    p.add_argument("--database-url", help="admin connection (default LEADMEM_ADMIN_DATABASE_URL)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("topics", help="create missing topics on the configured broker")
    p.add_argument("--partitions", type=int)
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("run", help="run one worker (FastStream app) until SIGTERM")
    p.add_argument("worker", help="ingestion | memory | learning | responder | outbound | metrics"
                   " | receiver (the GHL webhook endpoint) | console (the admin console)"
                   " | listings (the RESO feeds' periodic sync)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("schemas", help="event contracts")
    ssub = p.add_subparsers(dest="schemas_command", required=True)
    e = ssub.add_parser("export", help="write JSON Schema files for every event")
    e.add_argument("directory", type=Path)
    e.set_defaults(func=cmd_schemas_export)

    p = sub.add_parser("extract", help="lead profiles for SPEC JSONL cases on stdin")
    p.set_defaults(func=cmd_extract)



def cmd_migrate(args: argparse.Namespace) -> int:
    from workers.db.migrate import migrate

    s = args.settings
    url = args.database_url or s.admin_database_url
    password = s.app_role_password.get_secret_value() if s.app_role_password else None
    applied = asyncio.run(migrate(url, owner=s.owner_role, app=s.app_role,
                                  app_password=password))
    print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from workers.runtime.kafka import ensure_topics
    from workers.runtime.kafka_access import kafka_access

    s = args.settings
    created = asyncio.run(ensure_topics(kafka_access(s), args.partitions or s.topic_partitions,
                                        s.topic_replication))
    print(f"created: {', '.join(created) or 'nothing (all exist)'}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from workers.registry import load_spec
    from workers.runtime.host import run_worker

    try:
        spec = load_spec(args.worker)
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from exc
    asyncio.run(run_worker(spec, args.settings))
    return 0


def cmd_schemas_export(args: argparse.Namespace) -> int:
    from schemas.export import export_json_schemas

    written = export_json_schemas(args.directory)
    print(f"wrote {len(written)} JSON Schema files to {args.directory}")
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from workers.learning.extract_cli import run

    return run(sys.stdin, sys.stdout)
