"""The receiver's metrics: requests by outcome and tenant, produce latency, in-flight requests
and body sizes.

The `tenant` label is bounded as the metrics worker's is (`workers.metrics.tenants`): the
busiest `LEADMEM_METRICS_TENANT_LABELS` tenants by name, everyone else (and requests with no
trustworthy tenant: refused before the body was read, or unsigned) as `other`. An evicted
tenant's series are removed, so a replica exports at most N + 1 tenant values.
"""

from __future__ import annotations

import contextlib
from typing import Final

from prometheus_client import Counter, Gauge, Histogram

from workers.metrics.tenants import TenantLabels

# outcome -> HTTP status: the one table of what the receiver answers.
STATUS: Final[dict[str, int]] = {
    "accepted": 200,       # the broker acknowledged the record on ghl.events
    "invalid": 400,        # not a JSON object with a string locationId; dead-lettered
    "unauthorized": 401,   # bad or (by policy) missing signature; nothing written
    "too_large": 413,      # over LEADMEM_MAX_BODY_BYTES; nothing written
    "unavailable": 429,    # the broker did not acknowledge in time (record or dead letter)
    "busy": 429,           # over LEADMEM_RECEIVER_MAX_IN_FLIGHT
    "slow_upload": 429,    # the body took longer than LEADMEM_RECEIVER_READ_TIMEOUT_S
    "aborted": 429,        # the upload broke off (connection lost, bad chunking)
}

REQUESTS = Counter(
    "leadmem_receiver_requests",
    "Webhook requests by outcome (accepted, invalid, unauthorized, too_large, unavailable, "
    "busy, slow_upload, aborted) and tenant (top N by volume, the rest: other).",
    ["outcome", "tenant"],
)
PRODUCE_SECONDS = Histogram(
    "leadmem_receiver_produce_seconds",
    "From handing a record to the producer to the broker's acknowledgement (acks=all), by "
    "result (ok, failed: the deadline passed or the producer failed).",
    ["result"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_FLIGHT = Gauge("leadmem_receiver_in_flight", "Webhook requests being handled now.")
BODY_BYTES = Histogram(
    "leadmem_receiver_body_bytes",
    "Sizes of the webhook bodies read (bodies refused by their Content-Length are not read).",
    buckets=(256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304),
)


class RequestCounter:
    """`REQUESTS` with the tenant label bounded; `rerank` periodically (the service does)."""

    def __init__(self, tenant_labels: int) -> None:
        self.tenants = TenantLabels(tenant_labels, on_evict=self._evict)

    def count(self, outcome: str, tenant: str | None = None) -> None:
        REQUESTS.labels(outcome, self.tenants.label(tenant)).inc()

    def rerank(self) -> None:
        self.tenants.rerank()

    @staticmethod
    def _evict(tenant: str) -> None:
        for outcome in STATUS:
            with contextlib.suppress(KeyError):
                REQUESTS.remove(outcome, tenant)
