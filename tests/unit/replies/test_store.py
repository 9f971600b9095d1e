"""The writes of `replies`, against a connection that records each statement: every status
write sets the status its declared edges lead to, under the guard they rest on."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.events import ReplyDrafted
from workers.replies import Reply, Status
from workers.replies import store as replies

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class Conn:
    """Records (sql, args); `fetchval` answers `value`, `fetchrow` answers `row`."""

    def __init__(self, value: Any = None, row: dict[str, Any] | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.value, self.row = value, row

    async def execute(self, sql: str, *args: Any) -> str:
        self.calls.append((sql, args))
        return "UPDATE 1"

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.calls.append((sql, args))
        return self.value

    async def fetchrow(self, sql: str, *args: Any) -> dict[str, Any] | None:
        self.calls.append((sql, args))
        return self.row


WRITES: dict[str, Callable[[Conn], Awaitable[Any]]] = {
    "mark_sending": lambda c: replies.mark_sending(c, "t1", "k1"),
    "mark_held": lambda c: replies.mark_held(c, "t1", "k1", AT),
    "mark_suppressed": lambda c: replies.mark_suppressed(c, "t1", "k1", "opted_out", AT),
    "mark_sent": lambda c: replies.mark_sent(c, "t1", "k1", "m1", "conv1"),
    "mark_failed": lambda c: replies.mark_failed(c, "t1", "k1", "400 bad"),
    "release": lambda c: replies.release(c, "t1", "k1", "429"),
    "note_in_doubt": lambda c: replies.note_in_doubt(c, "t1", "k1", "timeout"),
    "mark_drafted": lambda c: replies.mark_drafted(c, "t1", "k1"),
    "release_held": lambda c: replies.release_held(c, "t1", "k1", "ops@example.com", AT),
}


def written_status(sql: str, args: tuple[Any, ...]) -> str:
    """The status a statement sets: a literal, or the parameter it names."""
    literal = re.search(r"SET status = '(\w+)'", sql)
    if literal:
        return literal.group(1)
    param = re.search(r"SET status = \$(\d+)", sql)
    assert param, sql
    return str(args[int(param.group(1)) - 1])


def test_every_status_write_is_exercised_here() -> None:
    assert set(WRITES) == set(replies.TRANSITIONS)


@pytest.mark.parametrize("name", sorted(replies.TRANSITIONS))
async def test_a_write_sets_the_status_its_edges_lead_to(name: str) -> None:
    conn = Conn(value=AT)
    await WRITES[name](conn)
    [(sql, args)] = conn.calls
    assert sql.startswith("UPDATE replies SET ")
    assert args[:2] == ("t1", "k1") and "WHERE tenant_id = $1 AND idempotency_key = $2" in sql
    targets = {b for _, b in replies.TRANSITIONS[name]}
    assert targets == {Status(written_status(sql, args))}
    sources = {a for a, _ in replies.TRANSITIONS[name]}
    # A write that only moves a claimed row says so in its statement: a late outcome of a
    # claim taken over (released, re-claimed) must not move the row again.
    assert ("AND status = 'sending'" in sql) == (sources == {Status.SENDING})


@pytest.mark.parametrize(("write", "status"), [
    (replies.mark_failed, "failed"), (replies.release, "drafted"),
    (replies.note_in_doubt, "sending")])
async def test_the_outcome_of_a_send_keeps_a_bounded_error(
        write: Callable[..., Awaitable[None]], status: str) -> None:
    conn = Conn()
    await write(conn, "t1", "k1", "x" * 5000)
    [(_, args)] = conn.calls
    assert args == ("t1", "k1", status, "x" * 2000)
    assert type(args[2]) is str  # passed as plain text, as before


async def test_mark_sent_keeps_the_first_sent_at_and_a_stored_conversation_id() -> None:
    conn = Conn(value=AT)
    assert await replies.mark_sent(conn, "t1", "k1", "m1", None) == AT
    [(sql, args)] = conn.calls
    assert args == ("t1", "k1", "m1", None)
    assert "ghl_conversation_id = COALESCE($4, ghl_conversation_id)" in sql
    assert "sent_at = COALESCE(sent_at, now())" in sql and sql.endswith("RETURNING sent_at")
    assert "send_error = NULL" in sql


async def test_mark_sent_of_a_missing_row_returns_none() -> None:
    assert await replies.mark_sent(Conn(value=None), "t1", "k1", "m1", "c1") is None


async def test_mark_held_and_suppressed_record_their_when_and_why() -> None:
    conn = Conn()
    await replies.mark_held(conn, "t1", "k1", AT)
    await replies.mark_suppressed(conn, "t1", "k1", "stale", AT)
    assert conn.calls[0][1] == ("t1", "k1", AT)
    assert "send_after = $3" in conn.calls[0][0]
    assert conn.calls[1][1] == ("t1", "k1", "stale", AT)
    assert "suppressed_reason = $3" in conn.calls[1][0] and "blocked_at = $4" in conn.calls[1][0]


async def test_mark_sending_counts_the_attempt() -> None:
    conn = Conn()
    await replies.mark_sending(conn, "t1", "k1")
    assert "claimed_at = now()" in conn.calls[0][0]
    assert "send_attempts = send_attempts + 1" in conn.calls[0][0]


def draft(**over: Any) -> Reply:
    fields: dict[str, Any] = {
        "tenant_id": "t1", "idempotency_key": "k1", "event_id": "e1", "contact_id": "c1",
        "reply_to_message_id": "k1", "channel": "sms", "body": "Hi", "mode": "buyer",
        "published": [{"event_id": "e1"}]}
    return Reply(**(fields | over))


async def test_claim_returns_our_events_when_it_inserts() -> None:
    conn = Conn(value="k1")
    row = draft(status="suppressed", suppressed_reason="human_takeover", created_at=AT)
    assert await replies.claim(conn, row) == [{"event_id": "e1"}]
    [(sql, args)] = conn.calls
    assert "ON CONFLICT (tenant_id, idempotency_key) DO NOTHING" in sql
    assert args[8] == "suppressed" and args[18] == "human_takeover" and args[20] == AT
    assert args[17] == [{"event_id": "e1"}]


async def test_claim_returns_the_first_claims_events_when_the_message_has_a_reply() -> None:
    conn = Conn(value=None, row={"published": [{"event_id": "first"}]})
    assert await replies.claim(conn, draft()) == [{"event_id": "first"}]
    assert conn.calls[1] == (
        "SELECT published FROM replies WHERE tenant_id = $1 AND idempotency_key = $2",
        ("t1", "k1"))


async def test_published_for_a_message_without_a_reply_is_none() -> None:
    assert await replies.published_for(Conn(row=None), "t1", "k1") is None
    assert await replies.claim(Conn(value=None, row=None), draft()) == []


async def test_upsert_drafted_dates_the_row_from_the_event() -> None:
    ev = ReplyDrafted(event_id="e1", tenant_id="t1", contact_id="c1", occurred_at=AT,
                      received_at=AT, idempotency_key="k1", reply_to_message_id="m0",
                      channel="sms", body="Hi", mode="buyer", send_after=None, model="x")
    conn = Conn()
    await replies.upsert_drafted(conn, ev)
    [(sql, args)] = conn.calls
    assert "ON CONFLICT (tenant_id, idempotency_key) DO NOTHING" in sql
    assert "status" not in sql  # a new row is drafted (the column's default)
    assert args == ("t1", "k1", "e1", "c1", "m0", "sms", "Hi", "buyer", "x", None, AT)
