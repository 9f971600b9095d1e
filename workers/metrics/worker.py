"""The metrics worker: consumes every pipeline topic in its own group; publishes nothing.

Exports to its /metrics (names in `workers.metrics.families`):

- records by topic, `event-type` header and tenant; replies drafted and delivered, hand-offs
  (`agent.assist` with reason `handoff`), opt-outs (`lead.profile.updated` whose changes set
  `opted_out`), DND changes, dead letters by worker / error type / source topic and by tenant;
- Claude tokens by kind and cost per tenant, from the usage fields of `reply.drafted` when
  present (flat `input_tokens`... or a `usage` object; missing fields count nothing);
- end-to-end latency (envelope `received_at` to the append of `reply.drafted` on
  replies.outbound, or of `reply.delivered` on replies.delivered) and stage latency per
  topic. The end is the record's Kafka timestamp, not the time the metrics worker reads it,
  so a restarted metrics worker catching up does not report its own backlog as latency;
- consumer lag per group, topic and partition for every worker (a periodic probe).

It refreshes each named tenant's lead funnel of the last 7 days as gauges
(`workers.metrics.funnel`, every `LEADMEM_METRICS_FUNNEL_INTERVAL_S`).

It also runs retention (`workers.metrics.retention`): every `LEADMEM_RETENTION_INTERVAL_S`
it prunes the ledgers and the messages of tenants with a retention, so nothing grows without
an operator.

Label cardinality is bounded with thousands of tenants: the `tenant` label names only the
top-N tenants by recent volume (N = `LEADMEM_METRICS_TENANT_LABELS`, default 50), re-ranked
every `LEADMEM_METRICS_RERANK_S` seconds; all others are `other` (`workers.metrics.tenants`).
Error types, workers and reply modes are capped the same way; event types and topics come
from fixed sets.

A record that cannot be decoded is counted (`leadmem_topic_undecodable_records_total`) and
skipped: the metrics worker never raises, so it never dead-letters another worker's record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from schemas.topics import (
    AGENT_ASSIST,
    ALL_TOPICS,
    GHL_EVENTS,
    HEADER_EVENT_TYPE,
    LEAD_PROFILE_UPDATED,
    MEMORY_UPDATED,
    PIPELINE_DLQ,
    REPLIES_DELIVERED,
    REPLIES_OUTBOUND,
)
from workers.metrics import families as m
from workers.metrics.funnel import FunnelJob
from workers.metrics.lag import probe_lag, worker_groups
from workers.metrics.observe import (
    decode,
    dnd_changed,
    event_type_label,
    opted_out,
    timestamp,
    usage,
)
from workers.metrics.retention import RetentionJob
from workers.metrics.tenants import OTHER, BoundedValues, TenantLabels
from workers.runtime.background import Loop, periodically
from workers.runtime.boundary import Handler, read_dead_letter
from workers.runtime.host import Resources, WorkerSpec
from workers.runtime.kafka_access import kafka_access
from workers.runtime.record import Record
from workers.settings import WORKER_PORTS


class MetricsHandler:
    def __init__(self, tenant_labels: int, clock: Callable[[], float] = time.time) -> None:
        self.series = m.TenantSeries()
        self.tenants = TenantLabels(tenant_labels, on_evict=self.series.evict)
        self.clock = clock
        self.workers = BoundedValues(16, frozenset(WORKER_PORTS))
        self.error_types = BoundedValues(32)
        self.modes = BoundedValues(16)

    async def __call__(self, record: Record) -> None:
        self.observe(record)

    async def rerank(self) -> None:
        self.tenants.rerank()
        m.TENANTS.labels("tracked").set(self.tenants.tracked)
        m.TENANTS.labels("labelled").set(len(self.tenants.labelled))

    def observe(self, record: Record) -> None:
        tenant = self.tenants.label(record.tenant_hint)
        event_type = event_type_label(record.headers.get(HEADER_EVENT_TYPE))
        self.series.child(m.TOPIC_RECORDS, tenant, record.topic, event_type).inc()
        if record.topic == GHL_EVENTS:
            return  # raw webhooks: ingestion decodes them and counts them by GHL type
        if record.topic == PIPELINE_DLQ:
            self._dead_letter(record, tenant)
            return
        payload = decode(record.value)
        if payload is None:
            m.UNDECODABLE.labels(record.topic).inc()
            return
        appended = record.timestamp_ms / 1000 if record.timestamp_ms else self.clock()
        received = timestamp(payload.get("received_at"))
        latency = None if received is None else max(0.0, appended - received)
        if latency is not None:
            m.STAGE_LATENCY.labels(record.topic).observe(latency)
        self._event(record.topic, str(payload.get("type")), payload, tenant, latency)

    def _event(self, topic: str, kind: str, payload: dict[str, Any], tenant: str,
               latency: float | None) -> None:
        child = self.series.child
        if (topic, kind) == (REPLIES_OUTBOUND, "reply.drafted"):
            child(m.REPLIES, tenant, self.modes(payload.get("mode"))).inc()
            tokens, cost = usage(payload)
            for token_kind, count in tokens.items():
                child(m.CLAUDE_TOKENS, tenant, token_kind).inc(count)
            if cost:
                child(m.CLAUDE_COST, tenant).inc(cost)
            if latency is not None:
                child(m.END_TO_END, tenant, "drafted").observe(latency)
        elif (topic, kind) == (REPLIES_DELIVERED, "reply.delivered"):
            child(m.REPLIES_DELIVERED, tenant).inc()
            if latency is not None:
                child(m.END_TO_END, tenant, "delivered").observe(latency)
        elif (topic, kind) == (AGENT_ASSIST, "agent.assist"):
            if payload.get("reason") == "handoff":
                child(m.HANDOFFS, tenant).inc()
        elif (topic, kind) == (LEAD_PROFILE_UPDATED, "lead.profile.updated"):
            if opted_out(payload):
                child(m.OPT_OUTS, tenant).inc()
        elif (topic, kind) == (MEMORY_UPDATED, "memory.updated") and dnd_changed(payload):
            child(m.DND_CHANGES, tenant).inc()

    def _dead_letter(self, record: Record, tenant: str) -> None:
        try:
            letter = read_dead_letter(record)
        except ValueError:  # malformed dlq-* headers (pydantic's errors are ValueErrors too)
            m.UNDECODABLE.labels(record.topic).inc()
            return
        source = letter.source_topic if letter.source_topic in ALL_TOPICS else OTHER
        m.DLQ_RECORDS.labels(
            self.workers(letter.worker), self.error_types(letter.error_type), source
        ).inc()
        self.series.child(m.TENANT_DEAD_LETTERS, tenant).inc()


def build(resources: Resources) -> Handler:
    s = resources.settings
    handler = MetricsHandler(s.metrics_tenant_labels)
    groups = worker_groups(s)
    kafka = kafka_access(s)
    lag_every = s.metrics_lag_interval_s
    rerank_every = s.metrics_rerank_s

    async def lag() -> None:
        await probe_lag(kafka, groups, timeout_s=max(1.0, min(lag_every, 10.0)))

    resources.run_in_background(Loop("metrics-lag", lambda: periodically(
        "metrics-lag", lag, interval_s=lag_every)))
    resources.run_in_background(
        Loop("metrics-rerank", lambda: periodically(
            "metrics-rerank", handler.rerank, interval_s=rerank_every)))
    if s.metrics_funnel_interval_s > 0:
        funnel = FunnelJob(s, lambda: handler.tenants.labelled, handler.series)
        resources.stack.push_async_callback(funnel.close)  # after the loop is stopped
        resources.run_in_background(Loop("metrics-funnel", funnel.run))
    if s.retention_interval_s > 0:
        job = RetentionJob(s)
        resources.stack.push_async_callback(job.close)  # after the loop is stopped
        resources.run_in_background(Loop("metrics-retention", job.run))
    return handler


SPEC = WorkerSpec(
    name="metrics", topics=ALL_TOPICS, build=build, needs_db=False, needs_redis=False
)
