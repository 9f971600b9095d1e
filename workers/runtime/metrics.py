"""Metrics every worker exports; worker-specific metrics live beside their worker.

Labels are bounded: `worker`, `topic`, `outcome` and `error_type` come from small fixed sets.
Per-tenant figures are exported only by the metrics worker, which caps tenant labels.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RECORDS = Counter(
    "leadmem_records_processed_total",
    "Records consumed by a worker, by outcome (ok, dead_lettered, retried).",
    ["worker", "topic", "outcome"],
)
DEAD_LETTERS = Counter(
    "leadmem_dead_letters_total",
    "Records sent to pipeline.dlq, by worker and error type.",
    ["worker", "error_type"],
)
HANDLE_SECONDS = Histogram(
    "leadmem_handle_duration_seconds",
    "Time to handle one record, retries included.",
    ["worker"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "leadmem_events_published_total",
    "Events published downstream, by worker and topic.",
    ["worker", "topic"],
)
