"""Claude metrics. No tenant label: the metrics worker exports per-tenant figures."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "leadmem_claude_requests_total",
    "Messages API attempts by outcome (ok, rate_limited, overloaded, server_error, timeout, "
    "connection_error, malformed, rejected), plus calls never sent (breaker_open, "
    "not_configured).",
    ["outcome"],
)
DURATION = Histogram(
    "leadmem_claude_request_duration_seconds",
    "Duration of one Messages API attempt.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60),
)
TOKENS = Counter(
    "leadmem_claude_tokens_total",
    "Tokens billed, by kind (input, output, cache_read, cache_write).",
    ["kind"],
)
COST = Counter("leadmem_claude_cost_usd_total", "Estimated USD cost of Claude calls.")
