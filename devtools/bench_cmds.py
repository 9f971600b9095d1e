"""`leadmem bench ...`: one sub-command per benchmark, each printing human-readable progress
and, as its last line, one JSON object (`--json`: only that line).

A benchmark is added by writing an `add_<name>(bsub)` that registers its parser and appending
it to `BENCHES`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workers.cli.errors import CliError

Sub = Any  # argparse's private _SubParsersAction


def add_bench_stores(p: argparse.ArgumentParser, database: str, redis_db: int) -> None:
    """`--database` and `--redis-db`: where a bench keeps its data (its own, emptied first)."""
    p.add_argument("--database", default=database, help=f"bench database ({database})")
    p.add_argument("--redis-db", type=int, default=redis_db,
                   help=f"bench Redis db, flushed ({redis_db})")


def add_context(bsub: Sub) -> None:
    from devtools.bench.context import ContextBench

    d = ContextBench()
    p = bsub.add_parser("context", help="get_context latency (warm / cold) and cache hit rate")
    p.add_argument("--leads", type=int, default=d.leads, help=f"leads to build ({d.leads})")
    p.add_argument("--tenants", type=int, default=d.tenants, help=f"agencies ({d.tenants})")
    p.add_argument("--reads", type=int, default=d.reads, help=f"reads per measure ({d.reads})")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--zipf-s", type=float, default=d.zipf_s, help="traffic skew exponent")
    p.add_argument("--events-per-lead-day", type=float, default=d.events_per_lead_day,
                   help="stream rate: messages per lead per day on average")
    add_bench_stores(p, d.database, d.redis_db)
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.set_defaults(func=cmd_bench_context)


def add_pipeline(bsub: Sub) -> None:
    from devtools.bench.pipeline import PipelineBench

    d = PipelineBench()
    p = bsub.add_parser(
        "pipeline", help="whole-pipeline throughput, e2e latency at half of it, the machine's "
        "broker/Postgres limits, peak memory, replica scaling")
    p.add_argument("--events", type=int, default=d.events,
                   help=f"GHL events in the throughput backlog ({d.events})")
    p.add_argument("--tenants", type=int, default=d.tenants, help=f"agencies ({d.tenants})")
    p.add_argument("--leads", type=int, default=d.leads,
                   help=f"leads per agency and phase ({d.leads})")
    p.add_argument("--latency-events", type=int, default=d.latency_events,
                   help=f"events paced at half the throughput ({d.latency_events})")
    p.add_argument("--warmup-events", type=int, default=d.warmup_events)
    p.add_argument("--latency-load", type=float, default=d.latency_load,
                   help="pace of the headline latency phase (e2e_* in the JSON) as a fraction "
                        f"of the measured throughput ({d.latency_load})")
    p.add_argument("--latency-loads", default=",".join(f"{x:g}" for x in d.latency_loads),
                   metavar="F,F,...",
                   help="every pace measured, fractions of the throughput (latency_curve; "
                        f"{','.join(f'{x:g}' for x in d.latency_loads)})")
    p.add_argument("--pace-of", type=float, default=None, metavar="EVENTS_PER_S",
                   help="the throughput the latency paces are fractions of (default: the one "
                        "this run measured); the same value paces two builds alike")
    p.add_argument("--idle-seconds", type=float, default=d.idle_s,
                   help=f"seconds of CPU measured with no traffic ({d.idle_s:g}; 0 skips)")
    p.add_argument("--no-scaling", action="store_true",
                   help="skip the second-replica phase")
    p.add_argument("--seed", type=int, default=d.seed)
    add_bench_stores(p, d.database, d.redis_db)
    p.add_argument("--log-dir", default=d.log_dir, help=f"worker logs ({d.log_dir})")
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.set_defaults(func=cmd_bench_pipeline)


def add_extract(bsub: Sub) -> None:
    from devtools.bench.extract import ExtractBench

    d = ExtractBench()
    p = bsub.add_parser(
        "extract", help="the profile extractor per inbound message (the learning worker's "
        "incremental fold) over a labelled SPEC set: P50/P95/P99, micro-F1, import time")
    p.add_argument("--cases", type=Path, default=d.cases, help=f"SPEC JSONL ({d.cases})")
    p.add_argument("--rounds", type=int, default=d.rounds,
                   help=f"folds per case, the best per message kept ({d.rounds})")
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.set_defaults(func=cmd_bench_extract)


def cmd_bench_extract(args: argparse.Namespace) -> int:
    from devtools.bench.extract import ExtractBench, run

    if args.rounds < 1:
        raise CliError("--rounds must be at least 1")
    try:
        result = run(ExtractBench(cases=args.cases, rounds=args.rounds))
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    if not args.json:
        m = result["per_message_ms"]
        print(f"{result['inbound_messages']} inbound messages in {result['cases']} cases: "
              f"P50 {m['p50']} / P95 {m['p95']} / P99 {m['p99']} ms per message "
              f"(target P95 <= 2 ms); micro-F1 {result['micro_f1']}; "
              f"import {result['import_ms']} ms")
    print(json.dumps(result))
    return 0


def add_receiver(bsub: Sub) -> None:
    from devtools.bench.receiver import ReceiverBench

    d = ReceiverBench()
    p = bsub.add_parser(
        "receiver", help="the webhook receiver over HTTP (wrk) on a fresh broker: requests/s "
        "at saturation, P50/P99 at half of it, beside the raw produce rate of the same records")
    p.add_argument("--duration", type=float, default=d.duration_s,
                   help=f"seconds of the closed-loop saturation phase ({d.duration_s:g})")
    p.add_argument("--latency-seconds", type=float, default=d.latency_s,
                   help=f"seconds of the paced latency phase ({d.latency_s:g})")
    p.add_argument("--warmup-seconds", type=float, default=d.warmup_s)
    p.add_argument("--connections", type=int, default=d.connections,
                   help=f"connections of the saturation phase ({d.connections})")
    p.add_argument("--latency-connections", type=int, default=d.latency_connections,
                   help=f"connections of the paced phase ({d.latency_connections})")
    p.add_argument("--threads", type=int, default=d.threads,
                   help=f"wrk threads ({d.threads})")
    p.add_argument("--load", type=float, default=d.load,
                   help=f"the paced phase's rate as a fraction of saturation ({d.load:g})")
    p.add_argument("--tenants", type=int, default=d.tenants,
                   help=f"distinct locationIds ({d.tenants})")
    p.add_argument("--log-dir", default=d.log_dir, help=f"receiver and broker logs ({d.log_dir})")
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.set_defaults(func=cmd_bench_receiver)


def add_retention(bsub: Sub) -> None:
    from devtools.retention_bench import RetentionBench

    d = RetentionBench()
    p = bsub.add_parser(
        "retention", help="the prune of a large processed_events (generate_series, a scratch "
        "database) while a writer inserts: rows/s, longest statement, the writer's latency")
    p.add_argument("--rows", type=int, default=d.rows, help=f"rows generated ({d.rows:,})")
    p.add_argument("--expired", type=float, default=d.expired,
                   help=f"fraction of them older than the window ({d.expired:g})")
    p.add_argument("--tenants", type=int, default=d.tenants, help=f"tenants ({d.tenants})")
    p.add_argument("--window-days", type=int, default=d.window_days,
                   help=f"retention window ({d.window_days})")
    p.add_argument("--batch-rows", type=int, default=d.batch_rows,
                   help=f"rows per prune statement ({d.batch_rows})")
    p.add_argument("--pause", type=float, default=d.pause_s,
                   help=f"seconds between two batches ({d.pause_s:g})")
    p.add_argument("--baseline-seconds", type=float, default=d.baseline_s,
                   help=f"the writer alone before the prune ({d.baseline_s:g})")
    p.add_argument("--insert-interval-ms", type=float, default=d.insert_interval_ms,
                   help=f"the writer's pause between inserts ({d.insert_interval_ms:g})")
    p.add_argument("--database", default=d.database,
                   help=f"scratch database, dropped first and at the end ({d.database})")
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.set_defaults(func=cmd_bench_retention)


def add_optout(bsub: Sub) -> None:
    from devtools.bench.optout import DEFAULT_SET, TIMING_SET

    p = bsub.add_parser(
        "optout", help="the opt-out detector: precision/recall per label and accuracy per "
        "phrasing class on a labelled set, and classify's cost per message; the reader of "
        "the lead's word on when (pauses, own hours): accuracy per kind, cost")
    p.add_argument("--set", type=Path, default=DEFAULT_SET, dest="phrasings",
                   help=f"labelled JSONL ({DEFAULT_SET.name})")
    p.add_argument("--timing-set", type=Path, default=TIMING_SET, dest="timing_set",
                   help=f"labelled JSONL of requests about when ({TIMING_SET.name})")
    p.add_argument("--messages", type=int, default=4000,
                   help="inbound messages of the cost run (4000)")
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.set_defaults(func=cmd_bench_optout)


def cmd_bench_optout(args: argparse.Namespace) -> int:
    from devtools.bench.optout import (
        classify_cost,
        load,
        report,
        send_window_cost,
        timing_score,
        traffic,
    )
    from workers.consent import timing

    if args.messages < 1:
        raise CliError("--messages must be at least 1")
    try:
        accuracy = report(args.phrasings)
        when = timing_score(load(args.timing_set))
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    messages = traffic(args.messages)
    cost = classify_cost(messages)
    when_cost = classify_cost(messages, read=timing.read)
    window = send_window_cost()
    result = {"accuracy": accuracy, "classify": cost, "send_window": window,
              "timing": {**when, "cost": when_cost}}
    if not args.json:
        for label, m in accuracy.get("labels", {}).items():
            print(f"{label!s:<12} support {m.get('support')}: precision "
                  f"{m.get('precision')}, recall {m.get('recall')}")
        for name, c in accuracy.get("classes", {}).items():
            print(f"  class {name:<32} n {c['n']:>3}  accuracy {c['accuracy']:.3f}")
        print(f"classify: mean {cost['mean_us']:.0f} us, P50 {cost['p50_us']:.0f} us, "
              f"P99 {cost['p99_us']:.0f} us per message ({int(cost['messages'])} messages)")
        print("send_window per call: " + ", ".join(f"{k.removesuffix('_us')} {v:.0f} us"
                                                   for k, v in window.items()))
        print(f"timing (the lead's word on when), {when['n']} cases: kind "
              f"{when['kind_accuracy']:.3f}, exact {when['exact']:.3f}; " + ", ".join(
                  f"{k} {c['exact']}/{c['n']}" for k, c in when["kinds"].items()))
        print(f"timing.read: mean {when_cost['mean_us']:.0f} us, P50 "
              f"{when_cost['p50_us']:.0f} us, P99 {when_cost['p99_us']:.0f} us per message")
    print(json.dumps(result, default=str))
    return 0


def add_first_touch(bsub: Sub) -> None:
    from devtools.bench.first_touch import FirstTouchBench

    d = FirstTouchBench()
    p = bsub.add_parser("first-touch", help="speed to lead: ContactCreate accepted at the "
                        "receiver to the first message POSTed to GHL (model time zero), P50/P95")
    p.add_argument("--leads", type=int, default=d.leads, help=f"new contacts ({d.leads})")
    p.add_argument("--pace-s", type=float, default=d.pace_s,
                   help=f"seconds between ContactCreates ({d.pace_s:g})")
    p.add_argument("--timer-interval-s", type=float, default=d.timer_interval_s,
                   help=f"the responder's timer scan interval ({d.timer_interval_s:g})")
    p.add_argument("--timeout-s", type=float, default=d.timeout_s)
    add_bench_stores(p, d.database, d.redis_db)
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.set_defaults(func=cmd_bench_first_touch)


def cmd_bench_first_touch(args: argparse.Namespace) -> int:
    from devtools.bench.first_touch import FirstTouchBench, run

    if args.leads < 1 or args.pace_s < 0 or args.timer_interval_s <= 0:
        raise CliError("--leads must be positive, --pace-s not negative, "
                       "--timer-interval-s positive")
    cfg = FirstTouchBench(leads=args.leads, pace_s=args.pace_s,
                          timer_interval_s=args.timer_interval_s, timeout_s=args.timeout_s,
                          database=args.database, redis_db=args.redis_db)
    result = asyncio.run(run(args.settings, cfg, report(args)))
    print(json.dumps(result, default=str))
    return 0 if result["ok"] else 1


def add_listings(bsub: Sub) -> None:
    from devtools.bench.listings import ListingsBench

    d = ListingsBench()
    p = bsub.add_parser("listings", help="a tenant's RESO feed replicated from the fake RESO "
                        "Web API (listings/s, full and incremental) and the responder's "
                        "recommendation read over them: P50/P95/P99 per lead profile")
    p.add_argument("--listings", type=int, default=d.listings,
                   help=f"records the fake MLS serves ({d.listings:,})")
    p.add_argument("--page-size", type=int, default=d.page_size,
                   help=f"the feed's $top, at most 1000 with $expand ({d.page_size})")
    p.add_argument("--rate", type=float, default=d.rate_per_s,
                   help=f"the feed's requests/s, at most 100 ({d.rate_per_s:g}; the vendor's "
                        "2/s is computed, not waited for)")
    p.add_argument("--areas", type=int, default=d.areas,
                   help=f"cities the MLS's records are spread over ({d.areas})")
    p.add_argument("--modify", type=float, default=d.modify_share,
                   help=f"share of the records modified before the incremental sync "
                        f"({d.modify_share:g})")
    p.add_argument("--reads", type=int, default=d.reads,
                   help=f"timed reads per lead profile kind ({d.reads})")
    p.add_argument("--seed", type=int, default=d.seed)
    add_bench_stores(p, d.database, d.redis_db)
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.set_defaults(func=cmd_bench_listings)


def cmd_bench_listings(args: argparse.Namespace) -> int:
    from devtools.bench.listings import MAX_EXPAND_PAGE, ListingsBench, run

    if min(args.listings, args.reads, args.areas) < 1:
        raise CliError("--listings, --reads and --areas must be positive")
    if not 1 <= args.page_size <= MAX_EXPAND_PAGE:
        raise CliError(f"--page-size must be 1 to {MAX_EXPAND_PAGE} (the largest $top with "
                       "$expand=Media)")
    if not 0 < args.rate <= 100 or not 0 < args.modify <= 1:
        raise CliError("--rate must be in (0, 100], --modify in (0, 1]")
    cfg = ListingsBench(listings=args.listings, page_size=args.page_size,
                        rate_per_s=args.rate, areas=args.areas, modify_share=args.modify,
                        reads=args.reads, seed=args.seed, database=args.database,
                        redis_db=args.redis_db)
    result = asyncio.run(run(args.settings, cfg, report(args)))
    print(json.dumps(result, default=str))
    return 0


def add_hop(bsub: Sub) -> None:
    from devtools.bench.hop import HopBench

    d = HopBench()
    p = bsub.add_parser("hop", help="the floor of one hop at a low pace: CPU per record of a "
                        "relay that only republishes (aiokafka or librdkafka alone, FastStream "
                        "over librdkafka, our runtime, our runtime with a tenant transaction), "
                        "of the broker and of Postgres")
    p.add_argument("--rate", type=float, default=d.rate, help=f"records/s ({d.rate:g})")
    p.add_argument("--records", type=int, default=d.records,
                   help=f"records paced through each mode ({d.records})")
    p.add_argument("--modes", default=",".join(d.modes),
                   help=f"modes to run, in order ({','.join(d.modes)})")
    p.add_argument("--rounds", type=int, default=d.rounds,
                   help=f"times every mode is run in turn ({d.rounds})")
    add_bench_stores(p, d.database, d.redis_db)
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.set_defaults(func=cmd_bench_hop)


def cmd_bench_hop(args: argparse.Namespace) -> int:
    from devtools.bench.hop import HopBench, run

    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    unknown = sorted(set(modes) - set(HopBench().modes))
    if unknown or not modes:
        raise CliError(f"--modes: unknown {', '.join(unknown) or '(none given)'}; choose from "
                       f"{', '.join(HopBench().modes)}")
    if args.rate <= 0 or min(args.records, args.rounds) < 1:
        raise CliError("--rate, --records and --rounds must be positive")
    cfg = HopBench(rate=args.rate, records=args.records, modes=modes, rounds=args.rounds,
                   database=args.database, redis_db=args.redis_db)
    result = asyncio.run(run(args.settings, cfg, report(args)))
    print(json.dumps(result, default=str))
    return 0


BENCHES: tuple[Callable[[Sub], None], ...] = (add_context, add_pipeline, add_extract,
                                              add_receiver, add_retention, add_optout,
                                              add_first_touch, add_listings, add_hop)


def register(sub: Sub) -> None:
    p = sub.add_parser("bench", help="benchmarks on their own database and Redis db")
    bsub = p.add_subparsers(dest="bench_command", required=True, metavar="BENCH")
    for add in BENCHES:
        add(bsub)


def report(args: argparse.Namespace) -> Callable[[str], None]:
    """Where a benchmark's progress lines go: stdout, or nowhere with --json."""
    return (lambda line: None) if args.json else (lambda line: print(line, flush=True))


def cmd_bench_context(args: argparse.Namespace) -> int:
    from devtools.bench.context import ContextBench, run

    if min(args.leads, args.tenants, args.reads) < 1 or args.tenants > args.leads:
        raise CliError("--leads, --tenants and --reads must be positive, tenants <= leads")
    cfg = ContextBench(leads=args.leads, tenants=args.tenants, reads=args.reads,
                       seed=args.seed, zipf_s=args.zipf_s,
                       events_per_lead_day=args.events_per_lead_day, database=args.database,
                       redis_db=args.redis_db)
    result = asyncio.run(run(args.settings, cfg, report(args)))
    print(json.dumps(result, default=str))
    return 0


def cmd_bench_pipeline(args: argparse.Namespace) -> int:
    from devtools.bench.pipeline import PipelineBench, run

    try:
        loads = tuple(float(x) for x in args.latency_loads.split(",") if x.strip())
    except ValueError as exc:
        raise CliError(f"--latency-loads: {exc}") from exc
    if not all(0 < x <= 1 for x in (*loads, args.latency_load)):
        raise CliError("--latency-load and --latency-loads must be in (0, 1]")
    if args.idle_seconds < 0:
        raise CliError("--idle-seconds must not be negative")
    if args.pace_of is not None and args.pace_of <= 0:
        raise CliError("--pace-of must be positive")
    if min(args.events, args.tenants, args.leads, args.latency_events, args.warmup_events) < 1:
        raise CliError("--events, --tenants, --leads, --latency-events and --warmup-events "
                       "must be positive")
    cfg = PipelineBench(
        events=args.events, tenants=args.tenants, leads=args.leads,
        latency_events=args.latency_events, warmup_events=args.warmup_events, seed=args.seed,
        database=args.database, redis_db=args.redis_db, log_dir=args.log_dir,
        scaling=not args.no_scaling, latency_load=args.latency_load, latency_loads=loads,
        idle_s=args.idle_seconds, pace_of=args.pace_of)
    result = asyncio.run(run(args.settings, cfg, report(args)))
    print(json.dumps(result, default=str))
    return 0


def cmd_bench_receiver(args: argparse.Namespace) -> int:
    from devtools.bench.receiver import ReceiverBench, run
    from devtools.bench.receiver_load import LoadGeneratorMissing, wrk_path

    if min(args.duration, args.latency_seconds, args.warmup_seconds) < 1:
        raise CliError("--duration, --latency-seconds and --warmup-seconds must be >= 1")
    if min(args.connections, args.latency_connections, args.threads, args.tenants) < 1:
        raise CliError("--connections, --latency-connections, --threads and --tenants must "
                       "be positive")
    if not 0 < args.load <= 1:
        raise CliError("--load must be in (0, 1]")
    try:
        wrk_path()
    except LoadGeneratorMissing as exc:
        raise CliError(str(exc)) from exc
    cfg = ReceiverBench(
        duration_s=args.duration, latency_s=args.latency_seconds, warmup_s=args.warmup_seconds,
        connections=args.connections, latency_connections=args.latency_connections,
        threads=args.threads, load=args.load, tenants=args.tenants, log_dir=args.log_dir)
    result = asyncio.run(run(args.settings, cfg, report(args)))
    print(json.dumps(result, default=str))
    return 0


def cmd_bench_retention(args: argparse.Namespace) -> int:
    from devtools.retention_bench import RetentionBench, run

    if min(args.rows, args.tenants, args.batch_rows) < 1 or not 0 <= args.expired <= 1:
        raise CliError("--rows, --tenants and --batch-rows must be positive, --expired in [0, 1]")
    if args.window_days < 2 or min(args.pause, args.baseline_seconds,
                                   args.insert_interval_ms) < 0:
        raise CliError("--window-days must be at least 2; --pause, --baseline-seconds and "
                       "--insert-interval-ms must not be negative")
    cfg = RetentionBench(
        rows=args.rows, expired=args.expired, tenants=args.tenants,
        window_days=args.window_days, batch_rows=args.batch_rows, pause_s=args.pause,
        baseline_s=args.baseline_seconds, insert_interval_ms=args.insert_interval_ms,
        database=args.database, keep=args.keep)
    result = asyncio.run(run(args.settings, cfg, report(args)))
    print(json.dumps(result, default=str))
    return 0
