"""Commands that set up and run the pipeline: migrate, dev, topics, run, schemas, extract,
demo."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from workers.cli.errors import CliError
from workers.settings import Settings

Sub = Any  # argparse's private _SubParsersAction


def register(sub: Sub) -> None:
    p = sub.add_parser("migrate", help="create roles/database and apply SQL migrations")
    p.add_argument("--database-url", help="admin connection (default LEADMEM_ADMIN_DATABASE_URL)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("dev", help="start the dev Apache Kafka broker (data in var/kafka) and "
                       "create the topics")
    p.add_argument("--partitions", type=int, help="partitions per topic")
    p.add_argument("--detach", action="store_true", help="leave the broker running and return")
    p.add_argument("--stop", action="store_true", help="stop a broker started with --detach")
    p.add_argument("--data-dir", type=Path, default=Path("var/kafka"),
                   help="the broker's data folder (kept across restarts)")
    p.set_defaults(func=cmd_dev)

    p = sub.add_parser("topics", help="create missing topics on the configured broker")
    p.add_argument("--partitions", type=int)
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("run", help="run one worker (FastStream app) until SIGTERM")
    p.add_argument("worker", help="ingestion | memory | learning | responder | outbound | metrics")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("schemas", help="event contracts")
    ssub = p.add_subparsers(dest="schemas_command", required=True)
    e = ssub.add_parser("export", help="write JSON Schema files for every event")
    e.add_argument("directory", type=Path)
    e.set_defaults(func=cmd_schemas_export)

    p = sub.add_parser("extract", help="lead profiles for SPEC JSONL cases on stdin")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("demo", help="run the pipeline on the bundled sample GHL event stream")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for results")
    p.add_argument("--linger", type=float, default=0.0, metavar="SECONDS",
                   help="after the report, keep the workers running this long (for scrapers)")
    p.add_argument("--prometheus-targets", type=Path, metavar="FILE",
                   help="write a Prometheus file_sd JSON file naming every worker's /metrics")
    p.set_defaults(func=cmd_demo)


def cmd_migrate(args: argparse.Namespace) -> int:
    from workers.db.migrate import migrate

    s = Settings()
    url = args.database_url or s.admin_database_url
    password = s.app_role_password.get_secret_value() if s.app_role_password else None
    applied = asyncio.run(migrate(url, owner=s.owner_role, app=s.app_role,
                                  app_password=password))
    print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    from workers.devkafka import KafkaServer, port_open, stop_detached
    from workers.runtime.kafka import ensure_topics

    s = Settings()
    if args.stop:
        pid = stop_detached(args.data_dir)
        print(f"stopped the broker (pid {pid})" if pid
              else f"no broker running from {args.data_dir}")
        return 0
    partitions = args.partitions or s.topic_partitions
    if s.kafka_bootstrap or port_open("127.0.0.1", s.dev_broker_port):
        created = asyncio.run(ensure_topics(s.bootstrap, partitions, s.topic_replication))
        print(f"broker at {s.bootstrap} already up; created topics: {created or 'none'}")
        return 0
    broker = KafkaServer(args.data_dir, s.dev_broker_port, controller_port=s.dev_broker_port + 1)
    broker.start(detach=args.detach)

    async def ready() -> list[str]:
        await broker.wait_ready()
        return await ensure_topics(broker.bootstrap, partitions)

    try:
        created = asyncio.run(ready())
    except BaseException:
        broker.stop()
        raise
    print(f"Apache Kafka {broker.version} pid {broker.pid} at {broker.bootstrap}, data in "
          f"{args.data_dir}; topics created ({partitions} partitions): "
          f"{', '.join(created) or 'none (all exist)'}")
    if args.detach:
        print("`leadmem dev --stop` stops it")
        return 0
    print("Ctrl-C stops it (the data stays for the next start)")
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        broker.stop()
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from workers.runtime.kafka import ensure_topics

    s = Settings()
    created = asyncio.run(ensure_topics(s.bootstrap, args.partitions or s.topic_partitions,
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
    asyncio.run(run_worker(spec, Settings()))
    return 0


def cmd_schemas_export(args: argparse.Namespace) -> int:
    from schemas.export import export_json_schemas

    written = export_json_schemas(args.directory)
    print(f"wrote {len(written)} JSON Schema files to {args.directory}")
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from workers.learning.extract_cli import run

    return run(sys.stdin, sys.stdout)


def cmd_demo(args: argparse.Namespace) -> int:
    from workers.demo.run import run_demo

    return asyncio.run(run_demo(Settings(), timeout_s=args.timeout, linger_s=args.linger,
                                prometheus_targets=args.prometheus_targets))
