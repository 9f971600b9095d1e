"""Metrics of the GHL API client (requests, rate limit waits, token refreshes), shared by
replies and CRM write-backs. Labels come from small fixed sets; no tenant label."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_ATTEMPTS = Counter(
    "leadmem_outbound_http_attempts_total",
    "Requests to GHL's send-message endpoint, by status class "
    "(2xx, 401, 429, 4xx, 5xx, other, transport).",
    ["status_class"],
)

RATE_LIMIT_WAITS = Counter(
    "leadmem_outbound_rate_limit_waits_total",
    "Sends that waited for the rate limit: local (own token bucket) or server (after a 429).",
    ["source"],
)

RATE_LIMIT_WAIT_SECONDS = Histogram(
    "leadmem_outbound_rate_limit_wait_seconds",
    "Time a send waited for the rate limit.",
    ["source"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

RATE_LIMIT_FALLBACKS = Counter(
    "leadmem_ghl_rate_limit_fallback_total",
    "Turns to call GHL decided by one replica alone (a share of the limit) because Redis, "
    "where every replica counts them, did not answer.",
)

RATE_LIMIT_CORRECTIONS = Counter(
    "leadmem_ghl_rate_limit_corrections_total",
    "Requests GHL's X-RateLimit-Remaining counted in a location's window beyond ours (someone "
    "else calls GHL for the location), added to the shared count.",
)

REQUEST_SECONDS = Histogram(
    "leadmem_outbound_ghl_request_seconds",
    "Latency of one request to GHL's send-message endpoint.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20),
)

TOKEN_REFRESHES = Counter(
    "leadmem_outbound_token_refreshes_total",
    "Access tokens obtained for a location, by outcome: ok (refreshed, rotated refresh token "
    "stored), reused (a fresh token another replica or an earlier run stored), conflict "
    "(refreshed while another writer replaced the stored tokens: theirs kept), unsaved "
    "(refreshed, but the rotated refresh token could not be stored yet: a crash loses it), "
    "minted (a location an agency installed the app for: minted with the agency's token), "
    "failed.",
    ["outcome"],
)
