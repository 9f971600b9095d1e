"""The outbound connector's metrics. Labels come from small fixed sets; no tenant label."""

from __future__ import annotations

from prometheus_client import Counter

SENDS = Counter(
    "leadmem_outbound_sends_total",
    "Replies handled, by outcome: sent, held, released (held reply due, re-queued), "
    "republished (already sent), in_doubt (claimed but unconfirmed: not resent), failed, "
    "retry (not delivered, released for a later attempt), waiting, blocked (consent gone or "
    "stale at the moment of sending), skipped.",
    ["outcome"],
)

CONSENT_BLOCKS = Counter(
    "leadmem_outbound_consent_blocks_total",
    "Replies not sent because the check immediately before sending refused them, by reason "
    "(opted_out, dnd, human_takeover, stale, superseded, ...).",
    ["reason"],
)
