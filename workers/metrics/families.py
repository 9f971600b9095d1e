"""The metric families the metrics worker exports, read off the topics.

Names carry the `leadmem_tenant_` / `leadmem_topic_` prefixes so they never collide with the
figures a worker exports about itself (`leadmem_claude_*` from the responder,
`leadmem_outbound_*` from the outbound connector): those count calls made in one process,
these count what reached a topic, per tenant, in one place. The `tenant` label is bounded
(see `workers.metrics.tenants`): the top-N tenants by volume, else `other`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

TOPIC_RECORDS = Counter(
    "leadmem_topic_records_total",
    "Records seen on a pipeline topic, by topic, event-type header and tenant (top-N).",
    ["tenant", "topic", "event_type"],
)
UNDECODABLE = Counter(
    "leadmem_topic_undecodable_records_total",
    "Records the metrics worker could not decode (counted, never dead-lettered).",
    ["topic"],
)
REPLIES = Counter(
    "leadmem_tenant_replies_total",
    "Replies drafted (reply.drafted on replies.outbound), by tenant and mode.",
    ["tenant", "mode"],
)
REPLIES_DELIVERED = Counter(
    "leadmem_tenant_replies_delivered_total",
    "Replies GHL accepted (reply.delivered on replies.delivered), by tenant.",
    ["tenant"],
)
HANDOFFS = Counter(
    "leadmem_tenant_handoffs_total",
    "Conversations handed to a human (agent.assist with reason handoff), by tenant.",
    ["tenant"],
)
OPT_OUTS = Counter(
    "leadmem_tenant_opt_outs_total",
    "Leads who opted out (lead.profile.updated whose changes set opted_out), by tenant.",
    ["tenant"],
)
DND_CHANGES = Counter(
    "leadmem_tenant_dnd_changes_total",
    "Contacts whose GHL do-not-disturb state changed (memory.updated with a dnd change).",
    ["tenant"],
)
TENANT_DEAD_LETTERS = Counter(
    "leadmem_tenant_dead_letters_total",
    "Records on pipeline.dlq, by tenant.",
    ["tenant"],
)
DLQ_RECORDS = Counter(
    "leadmem_dlq_records_total",
    "Records on pipeline.dlq, by the worker that dead-lettered them, error type and source.",
    ["worker", "error_type", "source_topic"],
)
CLAUDE_TOKENS = Counter(
    "leadmem_tenant_claude_tokens_total",
    "Claude tokens spent on drafted replies, by tenant and kind "
    "(input, output, cache_read, cache_write).",
    ["tenant", "kind"],
)
CLAUDE_COST = Counter(
    "leadmem_tenant_claude_cost_usd_total",
    "Claude cost of drafted replies in US dollars, by tenant.",
    ["tenant"],
)
END_TO_END = Histogram(
    "leadmem_end_to_end_latency_seconds",
    "From receipt of the lead's webhook to the reply on its topic, by tenant and stage "
    "(drafted, delivered).",
    ["tenant", "stage"],
    buckets=(0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120, 300, 600),
)
STAGE_LATENCY = Histogram(
    "leadmem_stage_latency_seconds",
    "From receipt of the webhook to an event's append to a topic, by topic.",
    ["topic"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
CONSUMER_LAG = Gauge(
    "leadmem_consumer_lag_records",
    "Records not yet committed by a consumer group, by group, topic and partition.",
    ["group", "topic", "partition"],
)
LAG_PROBE_FAILURES = Counter(
    "leadmem_consumer_lag_probe_failures_total",
    "Consumer-lag probes that failed (broker unreachable or slow), by group.",
    ["group"],
)
TENANTS = Gauge(
    "leadmem_metrics_tenants",
    "Tenants the metrics worker tracks (state=tracked) and names in labels (state=labelled).",
    ["state"],
)

TENANT_METRICS: tuple[Any, ...] = (
    TOPIC_RECORDS, REPLIES, REPLIES_DELIVERED, HANDOFFS, OPT_OUTS, DND_CHANGES,
    TENANT_DEAD_LETTERS, CLAUDE_TOKENS, CLAUDE_COST, END_TO_END,
)


class TenantSeries:
    """Remembers the label sets used per tenant value, so an evicted tenant's series can be
    removed from every family (prometheus_client has no "remove by one label")."""

    def __init__(self) -> None:
        self._used: dict[str, set[tuple[Any, tuple[str, ...]]]] = defaultdict(set)

    def child(self, metric: Any, tenant: str, *labels: str) -> Any:
        """`metric.labels(tenant, *labels)`; every tenant family has `tenant` first."""
        values = (tenant, *labels)
        self._used[tenant].add((metric, values))
        return metric.labels(*values)

    def evict(self, tenant: str) -> None:
        for metric, values in self._used.pop(tenant, set()):
            metric.remove(*values)
