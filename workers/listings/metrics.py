"""The listings sync's metrics (served on the listings worker's `/metrics`; a one-shot
`leadmem listings sync` counts into its own process)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SYNC_SECONDS = Histogram(
    "leadmem_listings_sync_seconds",
    "Duration of one feed sync of one tenant (pages, then the key reconciliation when due), "
    "by outcome (ok, or why it stopped: auth_failed, rate_limited, daily_limit, http_error, "
    "bad_request, malformed, unreachable, unordered, claim_lost, config_error, ...).",
    ["outcome"], buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600))
RECORDS = Counter(
    "leadmem_listings_records_total",
    "Listing records applied, by source (feed, csv) and what each became: listed (a listing), "
    "sold (a comparable sale), removed, invalid (a value we cannot read: reported, its key's "
    "row removed), skipped (a feed record applied already, at the watermark's instant).",
    ["source", "outcome"])
SYNC_ERRORS = Counter(
    "leadmem_listings_sync_errors_total",
    "Feed syncs that stopped before the end, by why (the sync's outcome); the next sync "
    "resumes from the last page committed.",
    ["outcome"])
REQUESTS = Counter(
    "leadmem_listings_requests_total",
    "Requests to RESO Web APIs (under each vendor's rate limit, kept client-side).")
RATE_LIMITED = Counter(
    "leadmem_listings_rate_limited_total",
    "429 answers from RESO Web APIs, waited out as their Retry-After said.")
RECONCILED = Counter(
    "leadmem_listings_reconciled_total",
    "What key reconciliations did: removed (rows whose key the feed no longer has), photos "
    "(first photos that changed without a ModificationTimestamp bump).",
    ["change"])
