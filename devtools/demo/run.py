"""`leadmem demo`: the pipeline, as far as it exists, on the bundled sample stream.

Sets everything up that it needs (migrations, a dev broker when none is configured, topics,
loopback fakes of the Claude and GHL APIs), runs the webhook receiver and every available
worker in this process, POSTs the stream to the receiver over HTTP as GHL would (the receiver
puts each delivery on `ghl.events`) and prints what each stage did. Then one lead's whole
journey through an agency that takes the initiative (`journey`): texted first, silent,
followed up, answers, books. The admin console runs beside them (`console`): the demo prints
its URL and two logins made for the run. The exit code is 0 only when both went as expected.
With `--linger` everything stays up after the report (SIGINT or SIGTERM ends it early, and
everything stops as after a normal run).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import aiohttp

from devtools import signing
from devtools.demo import journey
from devtools.demo.console import ConsoleLogins, console_running, demo_logins
from devtools.demo.receiver import (
    Posted,
    expected_status,
    post_stream,
    receiver_running,
    status_counts,
    webhook_url,
)
from devtools.demo.report import report_crm
from devtools.demo.report import report_replies as _report_replies
from devtools.demo.services import configure, fake_apis, install, reset
from devtools.demo.stream import AREAS, Delivery, build_stream
from devtools.demo.tail import TopicTail
from devtools.inprocess import running
from devtools.kafka import KafkaServer, port_open
from schemas import topics
from workers.db.migrate import migrate
from workers.receiver.app import WEBHOOK_PATH
from workers.receiver.install import CALLBACK_PATH
from workers.receiver.service import Receiver
from workers.registry import available
from workers.runtime.boundary import read_dead_letter
from workers.runtime.host import WorkerHost
from workers.runtime.kafka import consumer_lag, ensure_topics
from workers.settings import Settings

WATCHED = (topics.CONVERSATION_EVENTS, topics.MEMORY_UPDATED, topics.LEAD_PROFILE_UPDATED,
           topics.REPLIES_OUTBOUND, topics.REPLIES_DELIVERED, topics.AGENT_ASSIST,
           topics.PIPELINE_DLQ)


@asynccontextmanager
async def dev_broker_if_needed(settings: Settings) -> AsyncIterator[Settings]:
    """`leadmem dev`'s broker: used when it runs, else started for this run on the same data
    folder (var/kafka) and stopped after it."""
    if settings.kafka_bootstrap or port_open("127.0.0.1", settings.dev_broker_port):
        yield settings
        return
    broker = KafkaServer(Path("var/kafka"), settings.dev_broker_port,
                         controller_port=settings.dev_broker_port + 1)
    started = time.monotonic()
    broker.start()
    try:
        await broker.wait_ready()
        print(f"  started Apache Kafka {broker.version} on {broker.bootstrap} "
              f"(data in var/kafka) in {time.monotonic() - started:.1f} s")
        yield settings
    finally:
        broker.stop()


def _print_answer(posted: Posted) -> None:
    d = posted.delivery
    mark = "  <- poison" if not d.valid else ""
    answer = f"{posted.status} {posted.outcome}"
    if posted.error:
        answer += f": {posted.error[:60]}"
    if posted.attempts > 1:
        answer += f" (after {posted.attempts} attempts)"
    print(f"    {d.tenant:18} {d.label + mark:44} → {answer}", flush=True)


async def _drain(settings: Settings, hosts: list[WorkerHost], tail: TopicTail,
                 deadline: float) -> None:
    """Wait until every worker's group has consumed everything (twice in a row, since one
    stage's output is the next one's input)."""
    loop = asyncio.get_running_loop()
    quiet = 0
    while quiet < 2 and loop.time() < deadline:
        lag = 0
        for host in hosts:
            lags = await consumer_lag(settings.bootstrap, settings.group_id(host.spec.name),
                                      host.spec.topics)
            lag += sum(lags.values())
        quiet = quiet + 1 if lag == 0 else 0
        for _ in range(5):
            await tail.poll()


def _expected(stream: list[Delivery]) -> dict[str, int]:
    valid = [d for d in stream if d.valid]
    return {
        topics.CONVERSATION_EVENTS: len({d.value for d in valid}),
        topics.PIPELINE_DLQ: len(stream) - len(valid),
    }


def write_prometheus_targets(path: Path, hosts: list[WorkerHost],
                             receiver: Receiver | None = None) -> None:
    """A Prometheus `file_sd` file naming every worker's /metrics address, and the
    receiver's (written to a temporary name, then renamed, so a watching Prometheus never
    reads half a file)."""
    groups = []
    for h in hosts:
        assert h.http is not None
        groups.append({"targets": [f"127.0.0.1:{h.http.port}"],
                       "labels": {"worker": h.spec.name}})
    if receiver is not None:
        groups.append({"targets": [f"127.0.0.1:{receiver.port}"],
                       "labels": {"worker": "receiver"}})
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(groups, indent=2) + "\n")
    os.replace(tmp, path)


async def _linger(seconds: float) -> None:
    """Wait `seconds`, or until SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _print_logins(logins: ConsoleLogins) -> None:
    print(f"  admin console: {logins.url} (log in with either; demo passwords, new each run)")
    for who, login in (("operator", logins.operator),
                       (f"admin of {logins.agency.tenant}", logins.agency)):
        print(f"    {who:26} {login.email:44} password {login.password}")


async def run_demo(settings: Settings, *, timeout_s: float = 120.0, linger_s: float = 0.0,
                   prometheus_targets: Path | None = None, receiver_port: int = 0,
                   console_port: int | None = None, console_login: Path | None = None) -> int:
    started = time.monotonic()
    print("lead-memory demo")
    print("1. setting up")
    password = settings.app_role_password.get_secret_value() if settings.app_role_password else None
    applied = await migrate(settings.admin_database_url, owner=settings.owner_role,
                            app=settings.app_role, app_password=password)
    print(f"  migrations applied this run: {applied or 'none (up to date)'}")
    async with dev_broker_if_needed(settings) as settings, AsyncExitStack() as stack:
        created = await ensure_topics(settings.bootstrap, settings.topic_partitions)
        print(f"  broker {settings.bootstrap}; topics created: {len(created)}")
        agencies = {**AREAS, **journey.AREAS}
        await reset(settings, list(agencies))
        settings, ghl = await stack.enter_async_context(fake_apis(settings))
        print(f"  fake Claude Messages API at {settings.anthropic_base_url}, "
              f"fake GHL API at {settings.ghl_base_url}")
        # the demo plays GHL: it signs every delivery with its own key (devtools.signing)
        settings = settings.model_copy(update={"http_port": 0,
                                               "ghl_ed25519_public_key": signing.PUBLIC_PEM})
        names = available()
        hosts = await stack.enter_async_context(running(settings, *names))
        receiver = await stack.enter_async_context(receiver_running(settings,
                                                                    port=receiver_port))
        console = await stack.enter_async_context(console_running(
            settings, settings.console_port if console_port is None else console_port))
        assert console.http is not None
        console_url = f"http://127.0.0.1:{console.http.port}/console/"
        print(f"  workers running: receiver, {', '.join(names)}, console")
        url = webhook_url(receiver)
        base = f"http://127.0.0.1:{receiver.port}"
        async with aiohttp.ClientSession() as http:
            answers = [await install(http, base, url, ghl, tenant) for tenant in agencies]
        print(f"  agencies installed from the Marketplace: GET {CALLBACK_PATH} (code -> tokens, "
              f"stored encrypted) → {Counter(a for a, _ in answers)}, signed INSTALL → "
              f"{Counter(b for _, b in answers)}; each installed with AI off")
        await configure(settings, agencies)
        print(f"  configured (timezone, persona, service areas) and made live: "
              f"{', '.join(agencies)}")
        logins = await demo_logins(settings, console_url, journey.AGENCY)
        print(f"    {'receiver':10} POST {WEBHOOK_PATH}, /health /metrics on "
              f"http://127.0.0.1:{receiver.port}")
        for h in hosts:
            assert h.http is not None
            print(f"    {h.spec.name:10} /health /metrics on http://127.0.0.1:{h.http.port}")
        print(f"    {'console':10} the admin console's pages, /health /metrics on {console_url}")
        _print_logins(logins)
        if prometheus_targets is not None:
            write_prometheus_targets(prometheus_targets, hosts, receiver)
            print(f"  Prometheus file_sd targets written to {prometheus_targets}")

        tail = TopicTail(settings.bootstrap, WATCHED)
        await tail.start()
        stack.push_async_callback(tail.stop)
        stream = build_stream()
        print(f"2. POSTing {len(stream)} GHL webhook deliveries for "
              f"{len({d.tenant for d in stream})} agencies to {url}")
        print(f"  (the receiver answers 200 once {topics.GHL_EVENTS} has the delivery, 400 "
              f"for a body it cannot key by locationId: that one it dead-letters itself)")
        posted = await post_stream(url, stream, _print_answer)
        print(f"  POST {WEBHOOK_PATH} → {status_counts(posted)}")

        expected = _expected(stream)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while any(tail.count(t) < n for t, n in expected.items()):
            if loop.time() > deadline:
                print("  timed out waiting for the pipeline")
                break
            await tail.poll()
        await _drain(settings, hosts, tail, deadline)
        _report(tail, stream, expected, posted)
        _report_replies(tail, ghl)
        report_crm(ghl)
        ok = all(tail.count(t) == n for t, n in expected.items()) and all(
            p.status == expected_status(p.delivery) for p in posted)
        walked = await journey.run_journey(settings, ghl, url)
        print(f"5. what the pipeline knows, in the admin console: {console_url}")
        print(f"  log in as {logins.operator.email} (every agency)\n"
              f"  or {logins.agency.email} ({logins.agency.tenant}), with the passwords "
              "printed in 1.")
        if linger_s > 0:
            if console_login is not None:
                logins.write(console_login)
                print(f"  the console's URL and logins written to {console_login}")
            print(f"  keeping the workers running, with the receiver and the console, for "
                  f"{linger_s:g}s (--linger; Ctrl-C stops them); webhooks POSTed to {url} "
                  "go through them", flush=True)
            await _linger(linger_s)
        else:
            print("  (it stops with the demo: `leadmem demo --linger 600` keeps it up)")
    print(f"done in {time.monotonic() - started:.1f}s"
          + ("" if walked is not None else "; the lead's journey did not complete"))
    return 0 if ok and walked is not None else 1


def _report(tail: TopicTail, stream: list[Delivery], expected: dict[str, int],
            posted: list[Posted]) -> None:
    print("3. what the pipeline did")
    wrong = [p for p in posted if p.status != expected_status(p.delivery)]
    print(f"    {'receiver':22} POST {WEBHOOK_PATH} → {status_counts(posted)}"
          + (f"; {len(wrong)} not as expected" if wrong else ""))
    for topic in WATCHED:
        want = expected.get(topic)
        suffix = f" (expected {want})" if want is not None else ""
        print(f"    {topic:22} {tail.count(topic):4} events{suffix}")
    per_tenant: dict[str, Counter[str]] = {}
    for rec in tail.records[topics.CONVERSATION_EVENTS]:
        event: dict[str, Any] = json.loads(rec.value)
        per_tenant.setdefault(event["tenant_id"], Counter())[event["type"]] += 1
    print("  normalised events per agency:")
    for tenant, counts in sorted(per_tenant.items()):
        print(f"    {tenant:18} " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    dups = len([d for d in stream if d.valid]) - expected[topics.CONVERSATION_EVENTS]
    print(f"  duplicate deliveries dropped: {dups}")
    print("  dead letters:")
    for rec in tail.records[topics.PIPELINE_DLQ]:
        letter = read_dead_letter(rec)
        where = ("refused at HTTP" if letter.partition < 0
                 else f"{letter.source_topic}[{letter.partition}]@{letter.offset}")
        print(f"    {letter.tenant_id or '?':18} {letter.worker:9} {where:16} "
              f"{letter.error[:80]}")
