"""One row class for the responder's new draft and the outbound's stored reply."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from workers.replies import CLAIM_COLUMNS, Reply

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REQUIRED: dict[str, Any] = {
    "tenant_id": "t1", "idempotency_key": "k1", "event_id": "e1", "contact_id": "c1",
    "reply_to_message_id": "m0", "channel": "sms", "body": "Hi", "mode": "buyer"}


def claimed(**over: Any) -> dict[str, Any]:
    """A row as the outbound's lock reads it: the claim columns and the lead's state."""
    row: dict[str, Any] = dict.fromkeys(CLAIM_COLUMNS)
    row |= REQUIRED | {"status": "held", "send_after": AT, "created_at": AT,
                       "due_at": AT, "ai_enabled": True, "history": ["hi"]}
    return row | over


def test_a_new_draft_needs_only_what_the_responder_knows() -> None:
    reply = Reply(**REQUIRED)
    assert reply.status == "drafted"
    assert (reply.model, reply.input_tokens, reply.cost_usd, reply.latency_ms) == (
        None, 0, 0.0, None)
    assert reply.published == [] and reply.published is not Reply(**REQUIRED).published
    assert reply.created_at is None  # the insert stamps now()
    assert (reply.ghl_message_id, reply.sent_at, reply.send_error, reply.blocked_at) == (
        None, None, None, None)


def test_from_row_reads_the_claim_columns_and_ignores_the_rest() -> None:
    reply = Reply.from_row(claimed(ghl_message_id="m1", sent_at=AT, send_error="429"))
    assert (reply.status, reply.send_after, reply.created_at) == ("held", AT, AT)
    assert (reply.ghl_message_id, reply.sent_at, reply.send_error) == ("m1", AT, "429")
    # Columns the lock does not read keep their defaults.
    assert reply.published == [] and reply.input_tokens == 0 and reply.claude_outcome is None


def test_from_row_of_a_full_row_round_trips() -> None:
    reply = Reply(**REQUIRED, status="sent", input_tokens=7, cost_usd=0.25,
                  published=[{"event_id": "e1"}], ghl_message_id="m1", sent_at=AT)
    assert Reply.from_row(dataclasses.asdict(reply) | {"send_attempts": 1}) == reply


def test_from_row_needs_the_reply_itself() -> None:
    row = claimed()
    del row["body"]
    with pytest.raises(TypeError, match="body"):
        Reply.from_row(row)


def test_the_claim_reads_exactly_the_columns_it_read_before() -> None:
    """`_LOCK` and the scheduler's due read select these, in this order; `published` and the
    usage columns stay out of the claim's row lock."""
    assert CLAIM_COLUMNS == (
        "tenant_id", "idempotency_key", "event_id", "contact_id", "channel", "body", "mode",
        "status", "reply_to_message_id", "send_after", "model", "ghl_message_id",
        "ghl_conversation_id", "sent_at", "send_error", "created_at", "suppressed_reason",
        "blocked_at")
    assert set(CLAIM_COLUMNS) <= {f.name for f in dataclasses.fields(Reply)}


def test_the_lock_selects_the_claim_columns() -> None:
    from workers.outbound.delivery import _LOCK

    select = _LOCK.split("GREATEST(")[0]
    assert select.split() == ["SELECT", *(f"r.{c}," for c in CLAIM_COLUMNS)]
