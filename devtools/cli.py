"""The development commands of `leadmem`: `dev` (a local Apache Kafka), `demo` and `bench`.

They come with the `devtools` package, which the production image does not ship;
`workers.cli` registers them when the package is importable.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devtools import bench_cmds

Sub = Any  # argparse's private _SubParsersAction


def register(sub: Sub) -> None:
    p = sub.add_parser("dev", help="start the dev Apache Kafka broker (data in var/kafka) and "
                       "create the topics")
    p.add_argument("--partitions", type=int, help="partitions per topic")
    p.add_argument("--detach", action="store_true", help="leave the broker running and return")
    p.add_argument("--stop", action="store_true", help="stop a broker started with --detach")
    p.add_argument("--data-dir", type=Path,
                   help="the broker's data folder (kept across restarts; default var/kafka, "
                   "with --secure var/kafka-secure)")
    p.add_argument("--secure", action="store_true",
                   help="its client listener SASL_SSL (SCRAM-SHA-512, a self-signed CA) as a "
                   "managed Kafka's; the client settings are written to DATA_DIR/client.env")
    p.add_argument("--brokers", type=int, default=1, choices=(1, 3),
                   help="3: a local cluster of three nodes (each a broker and a controller; "
                   "data in var/kafka-cluster, ports LEADMEM_DEV_BROKER_PORT to +5), topics "
                   "replicated to all three with min.insync.replicas=2")
    p.set_defaults(func=cmd_dev)

    p = sub.add_parser("demo", help="run the pipeline on the bundled sample GHL event stream")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for results")
    p.add_argument("--linger", type=float, default=0.0, metavar="SECONDS",
                   help="after the report, keep the workers running this long (for scrapers)")
    p.add_argument("--prometheus-targets", type=Path, metavar="FILE",
                   help="write a Prometheus file_sd JSON file naming every worker's /metrics")
    p.add_argument("--receiver-port", type=int, default=0, metavar="PORT",
                   help="port of the webhook receiver the stream is POSTed to (0: any free)")
    p.add_argument("--console-port", type=int, metavar="PORT",
                   help="port of the admin console (default LEADMEM_CONSOLE_PORT, 9110, or any "
                   "free one when that is taken; 0: any free)")
    p.add_argument("--console-login", type=Path, metavar="FILE",
                   help="with --linger: write the console's URL and the run's logins to FILE "
                   "(JSON, mode 0600) once the report is done (for `leadmem console-shots`)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("console-shots", help="screenshots of every page of a running admin "
                       "console (headless chromium), e.g. the demo's")
    p.add_argument("--login", type=Path, metavar="FILE", required=True,
                   help="the console's URL and logins, as `leadmem demo --linger S "
                   "--console-login FILE` writes them")
    p.add_argument("--out", type=Path, default=Path("docs/console"), metavar="DIR",
                   help="where the PNGs go (default docs/console)")
    p.add_argument("--tenant", metavar="ID", help="the tenant whose pages the operator's "
                   "shots show (default: the demo's first agency, loc-austin-hills)")
    p.add_argument("--lead", metavar="CONTACT", help="the lead of that tenant whose page is "
                   "shot (default: its first in the demo, ct-sarah)")
    p.set_defaults(func=cmd_console_shots)
    bench_cmds.register(sub)


def cmd_dev(args: argparse.Namespace) -> int:
    from devtools.kafka import KafkaServer, port_open, stop_detached
    from workers.runtime.kafka import ensure_topics
    from workers.runtime.kafka_access import kafka_access

    s = args.settings
    if args.brokers > 1:
        return dev_cluster(args)
    if args.data_dir is None:
        args.data_dir = Path("var/kafka-secure" if args.secure else "var/kafka")
    if args.stop:
        pid = stop_detached(args.data_dir)
        print(f"stopped the broker (pid {pid})" if pid
              else f"no broker running from {args.data_dir}")
        return 0
    partitions = args.partitions or s.topic_partitions
    if s.kafka_bootstrap or port_open("127.0.0.1", s.dev_broker_port):
        created = asyncio.run(ensure_topics(kafka_access(s), partitions, s.topic_replication))
        print(f"broker at {s.bootstrap} already up; created topics: {created or 'none'}")
        return 0
    broker = KafkaServer(args.data_dir, s.dev_broker_port, controller_port=s.dev_broker_port + 1,
                         secure=args.secure)
    broker.start(detach=args.detach)

    async def ready() -> list[str]:
        await broker.wait_ready()
        return await ensure_topics(broker.access, partitions)

    try:
        created = asyncio.run(ready())
    except BaseException:
        broker.stop()
        raise
    print(f"Apache Kafka {broker.version} pid {broker.pid} at {broker.bootstrap}, data in "
          f"{args.data_dir}; topics created ({partitions} partitions): "
          f"{', '.join(created) or 'none (all exist)'}")
    if broker.secure:
        print(f"SASL_SSL ({broker.client_settings()['kafka_sasl_mechanism']}): its clients' "
              f"LEADMEM_KAFKA_* settings are in {broker.client_env} (set -a; . that file)")
    return hold(broker.stop, detach=args.detach,
                stop_command=f"leadmem dev{' --secure' if broker.secure else ''} --stop")


def hold(stop: Callable[[], None], *, detach: bool, stop_command: str) -> int:
    """A started dev broker or cluster: left running (`detach`, `stop_command` stops it), or
    kept until Ctrl-C or SIGTERM, then `stop()`ped (its data stays)."""
    if detach:
        print(f"`{stop_command}` stops it")
        return 0
    print("Ctrl-C stops it (the data stays for the next start)")
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        stop()
    return 0


def dev_cluster(args: argparse.Namespace) -> int:
    """`leadmem dev --brokers 3`: the cluster's nodes started (detached, or until Ctrl-C) or
    stopped, its topics created with every node a replica, the workers' settings printed."""
    from devtools.kafka import KafkaCluster, port_open, stop_detached_cluster
    from workers.runtime.kafka import ensure_topics

    s = args.settings
    if args.secure:
        raise SystemExit("leadmem dev: --secure runs one node only; a secure cluster is not "
                         "supported (use --brokers 1 --secure)")
    data_dir = args.data_dir or Path("var/kafka-cluster")
    if args.stop:
        pids = stop_detached_cluster(data_dir)
        print(f"stopped the cluster (pids {', '.join(map(str, pids))})" if pids
              else f"no cluster node running from {data_dir}")
        return 0
    cluster = KafkaCluster(data_dir, args.brokers, port=s.dev_broker_port)
    partitions = args.partitions or s.topic_partitions
    if any(port_open("127.0.0.1", node.port) for node in cluster.nodes):
        running = asyncio.run(cluster_nodes(cluster.bootstrap))
        if running != len(cluster.nodes):
            raise SystemExit(f"leadmem dev: {cluster.bootstrap} answers as {running} broker(s), "
                             f"not this cluster of {len(cluster.nodes)} (a single dev broker? "
                             "`leadmem dev --stop` stops it)")
        created = asyncio.run(ensure_topics(cluster.bootstrap, partitions, cluster.replication))
        print(f"cluster at {cluster.bootstrap} already up; created topics: {created or 'none'}")
        print_cluster_settings(cluster.bootstrap, cluster.replication)
        return 0
    cluster.start(detach=args.detach)

    async def ready() -> list[str]:
        await cluster.wait_ready()
        return await ensure_topics(cluster.bootstrap, partitions, cluster.replication)

    try:
        created = asyncio.run(ready())
    except BaseException:
        cluster.stop()
        raise
    print(f"Apache Kafka {cluster.version}, a cluster of {len(cluster.nodes)} nodes (pids "
          f"{', '.join(str(n.pid) for n in cluster.nodes)}), data in {data_dir}; topics "
          f"created ({partitions} partitions, {cluster.replication} replicas, "
          f"min.insync.replicas {cluster.min_insync}): "
          f"{', '.join(created) or 'none (all exist)'}")
    print_cluster_settings(cluster.bootstrap, cluster.replication)
    return hold(cluster.stop, detach=args.detach,
                stop_command=f"leadmem dev --brokers {args.brokers} --stop")


async def cluster_nodes(bootstrap: str) -> int:
    """How many brokers answer at `bootstrap` (0: none does)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
    try:
        await admin.start()
        return len((await admin.describe_cluster())["brokers"])
    except KafkaError:
        return 0
    finally:
        await admin.close()


def print_cluster_settings(bootstrap: str, replication: int) -> None:
    """What a worker (or any `leadmem` command) needs to use the cluster, and keep using it
    while a node is down: every node's address, and topics it creates on every node."""
    print("Its clients' settings (every node, so a client still finds one that answers):")
    print(f"  export LEADMEM_KAFKA_BOOTSTRAP={bootstrap}")
    print(f"  export LEADMEM_TOPIC_REPLICATION={replication}")


def cmd_demo(args: argparse.Namespace) -> int:
    from devtools.demo.run import run_demo

    return asyncio.run(run_demo(args.settings, timeout_s=args.timeout, linger_s=args.linger,
                                prometheus_targets=args.prometheus_targets,
                                receiver_port=args.receiver_port,
                                console_port=args.console_port,
                                console_login=args.console_login))


def cmd_console_shots(args: argparse.Namespace) -> int:
    from devtools.console_shots import take

    return take(args.login, args.out, tenant=args.tenant, lead=args.lead)
