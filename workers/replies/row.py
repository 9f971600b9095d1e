"""One reply row, as the responder builds a new draft and as the outbound reads a stored one.

Columns neither reads stay out: `send_attempts` and `claimed_at` are bookkeeping written by
the claim (`store.mark_sending`) and read by people reconciling an in-doubt reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from workers.replies.status import Status


@dataclass(frozen=True)
class Reply:
    tenant_id: str
    idempotency_key: str  # the inbound message answered: one reply per message
    event_id: str
    contact_id: str
    reply_to_message_id: str | None
    channel: str
    body: str
    mode: str
    status: str = Status.DRAFTED.value
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    latency_ms: float | None = None
    cost_usd: float = 0.0
    send_after: datetime | None = None
    published: list[dict[str, Any]] = field(default_factory=list)  # what the claim publishes
    suppressed_reason: str | None = None
    claude_outcome: str | None = None
    created_at: datetime | None = None  # when drafted (the drafter's clock); its age counts
    ghl_message_id: str | None = None
    ghl_conversation_id: str | None = None
    sent_at: datetime | None = None
    send_error: str | None = None
    blocked_at: datetime | None = None  # when the outbound suppressed it (consent, stale)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Reply:
        """The reply from a record (an asyncpg Record or a mapping): the columns it holds
        that are fields; the rest keep their defaults, other columns are ignored."""
        # `.keys()`: iterating an asyncpg Record yields its values, not its column names.
        names = row.keys()
        return cls(**{name: row[name] for name in names if name in _FIELDS})


_FIELDS = frozenset(f.name for f in fields(Reply))

# What the outbound's claim reads of the row (`_LOCK`, and the scheduler's due read): exactly
# these columns, in this order (the statements' text is built from it).
CLAIM_COLUMNS: tuple[str, ...] = (
    "tenant_id", "idempotency_key", "event_id", "contact_id", "channel", "body", "mode",
    "status", "reply_to_message_id", "send_after", "model", "ghl_message_id",
    "ghl_conversation_id", "sent_at", "send_error", "created_at", "suppressed_reason",
    "blocked_at",
)
